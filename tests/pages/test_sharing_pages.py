"""The sharing pages, used over HTTP as a browser without JavaScript would.

The person shares sections, invites someone, records who speaks for them, stops sharing and
reads who has looked; the people they share with see exactly what was shared, and nobody
else sees the sharing pages at all. Each test starts its own plan.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.helpers import change_section, create_plan
from tests.conftest import Persona, make_persona

# --- personas -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def owner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "owner")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def planner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "planner")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def gp(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "gp")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def carer(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "carer")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def stranger(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "stranger")
    yield persona
    await persona.client.aclose()


# --- helpers --------------------------------------------------------------------------------


def assert_page(response: httpx.Response, status: int = 200) -> str:
    """An HTML page with this status and exactly one h1; its text with entities undone."""
    assert response.status_code == status, response.text[:3000]
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert len(re.findall(r"<h1[\s>]", response.text)) == 1, "a page has exactly one h1"
    assert " style=" not in response.text
    return html.unescape(response.text)


def csrf_token(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF field in the page"
    return match.group(1)


async def submit(
    client: httpx.AsyncClient, form_url: str, data: dict[str, Any], action: str | None = None
) -> httpx.Response:
    """Open the page with the form, then send it with what a person typed, as a browser does."""
    form_page = await client.get(form_url)
    assert form_page.status_code in (200, 201), form_page.text[:2000]
    token = csrf_token(form_page.text)
    return await client.post(action or form_url, data={**data, "_csrf_token": token})


def error_summary(page: str) -> list[tuple[str, str]]:
    """The error summary's links: (href, text)."""
    summary = re.search(r'class="nhsuk-list nhsuk-error-summary__list">(.*?)</ul>', page, re.S)
    assert summary, "no error summary on the page"
    assert "There is a problem" in page and "<title>Error: " in page
    return [
        (href, " ".join(text.split()))
        for href, text in re.findall(r'<a href="([^"]+)"\s*>(.*?)</a>', summary.group(1), re.S)
    ]


def share_data(email: str, sections: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "grantee": "email",
        "grantee_email": email,
        "sections": sections,
        "access": "view",
        "purpose": "To help me write my plan",
        "until[day]": "",
        "until[month]": "",
        "until[year]": "",
        **extra,
    }


async def share(owner: Persona, plan_id: str, grantee: Persona, sections: list[str]) -> str:
    response = await submit(
        owner.client, f"/plans/{plan_id}/sharing/new", share_data(grantee.email, sections)
    )
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"] == f"/plans/{plan_id}/sharing?done=given"
    grants = (await owner.client.get(f"/api/v1/plans/{plan_id}/grants")).json()
    grant_id: str = next(g["id"] for g in grants if g["grantee"]["email"] == grantee.email)
    return grant_id


async def invite(owner: Persona, plan_id: str, **fields: Any) -> tuple[str, str]:
    """Make an invitation with the form; returns the link page and the link's path."""
    data = {
        "email": "",
        "sections": ["staying_safe"],
        "access": "comment",
        "purpose": "To help me stay safe",
        "until[day]": "",
        "until[month]": "",
        "until[year]": "",
        "valid_days": "7",
        **fields,
    }
    response = await submit(owner.client, f"/plans/{plan_id}/sharing/invite", data)
    page = assert_page(response, 201)
    assert "location" not in response.headers
    match = re.search(
        r'<input[^>]*id="invitation-link"[^>]*value="(http://testserver(/invitations/[^"]+))"'
        r"[^>]*readonly",
        page,
    )
    assert match, "no readonly link on the page"
    return page, match.group(2)


# --- sharing with someone who has an account ------------------------------------------------


async def test_the_owner_shares_one_section_and_the_grantee_sees_only_it(owner, planner) -> None:
    plan = await create_plan(owner.client, title="Alex's plan for 2027")
    await change_section(owner.client, plan["id"], "about_me", who_i_am="I love the sea")
    await change_section(owner.client, plan["id"], "starting_point", what_i_enjoy="Secret jazz")

    page = assert_page(await owner.client.get(f"/plans/{plan['id']}/sharing"))
    assert "Who can see your plan" in page
    assert "Your plan is not shared with anyone." in page
    for text in (
        "Share with someone who has an account",
        "Invite someone to help",
        "Record someone who speaks for you",
        "Who has looked at your plan",
    ):
        assert text in page

    form = assert_page(await owner.client.get(f"/plans/{plan['id']}/sharing/new"))
    for legend in ("Which sections of the plan can they see?", "What can they do with these"):
        assert re.search(r"<legend[^>]*>\s*" + legend, form), legend
    assert form.count('name="sections"') == 10
    await share(owner, plan["id"], planner, ["about_me"])

    shared = assert_page(await owner.client.get(f"/plans/{plan['id']}/sharing?done=given"))
    assert "Your plan is now shared" in shared
    assert "Planner" in shared and planner.email in shared
    assert "About me" in shared and "Read only" in shared
    assert "Until you stop it" in shared and "Active" in shared
    assert "See your plan as Planner" in shared

    seen = assert_page(await planner.client.get(f"/plans/{plan['id']}"))
    assert "This is Owner's plan." in seen
    assert f'href="/plans/{plan["id"]}/sections/about_me"' in seen
    assert "My starting point" not in seen and "Secret jazz" not in seen
    assert 'id="money"' not in seen
    for part in ("outcomes", "money", "actions", "contacts", "sharing", "access-log"):
        assert f'href="/plans/{plan["id"]}/{part}"' not in seen, part
    # The owner's own overview still has everything.
    own = assert_page(await owner.client.get(f"/plans/{plan['id']}"))
    for part in ("outcomes", "money", "actions", "contacts", "sharing", "access-log"):
        assert f'href="/plans/{plan["id"]}/{part}"' in own, part

    mine = assert_page(await planner.client.get("/plans"))
    assert "Plans shared with you" in mine
    shared_list = mine.split("Plans shared with you", 1)[1]
    assert "Alex's plan for 2027" in shared_list and "Owner" in shared_list


async def test_a_changed_grant_shows_the_new_sections_and_keeps_history(owner, gp) -> None:
    plan = await create_plan(owner.client)
    grant_id = await share(owner, plan["id"], gp, ["about_me"])
    url = f"/plans/{plan['id']}/sharing/grants/{grant_id}"

    form = assert_page(await owner.client.get(url))
    assert re.search(r'value="about_me"\s+checked', form)
    assert re.search(r'value="view"\s+checked', form)
    changed = await submit(
        owner.client,
        url,
        {
            "sections": ["about_me", "contacts"],
            "access": "edit",
            "purpose": "To help with contacts",
            "until[day]": "15",
            "until[month]": "3",
            "until[year]": "2031",
            "reason": "They know my neighbours",
        },
    )
    assert changed.status_code == 303, changed.text[:2000]
    assert changed.headers["location"] == f"/plans/{plan['id']}/sharing?done=changed"

    seen = assert_page(await gp.client.get(f"/plans/{plan['id']}"))
    assert f'href="/plans/{plan["id"]}/contacts"' in seen
    listed = assert_page(await owner.client.get(f"/plans/{plan['id']}/sharing"))
    assert "Until the end of 15 March 2031" in listed
    again = assert_page(await owner.client.get(url))
    assert 'value="15"' in again and 'value="2031"' in again

    history = assert_page(await owner.client.get(f"{url}/history"))
    assert "History of sharing with Gp" in history
    assert history.index("Changed what is shared") < history.index("Shared")
    assert "They know my neighbours" in history
    assert "Read, comment and change" in history and "Read only" in history


async def test_bad_sharing_is_shown_by_each_field_and_nothing_is_saved(owner, planner) -> None:
    plan = await create_plan(owner.client)
    url = f"/plans/{plan['id']}/sharing/new"

    none_chosen = await submit(owner.client, url, share_data(planner.email, []))
    page = assert_page(none_chosen, 400)
    assert ("#sections", "Choose at least one section") in error_summary(page)
    assert "To help me write my plan" in page and planner.email in page

    yesterday = dt.date.today() - dt.timedelta(days=2)
    past = await submit(
        owner.client,
        url,
        share_data(
            planner.email,
            ["about_me"],
            **{
                "until[day]": str(yesterday.day),
                "until[month]": str(yesterday.month),
                "until[year]": str(yesterday.year),
            },
        ),
    )
    page = assert_page(past, 400)
    [(href, message)] = error_summary(page)
    assert href == "#until-day" and "must be in the future" in message
    assert f'value="{yesterday.year}"' in page
    assert re.search(r'value="about_me"\s+checked', page)

    unknown = await submit(owner.client, url, share_data("nobody-here@example.org", ["about_me"]))
    page = assert_page(unknown, 400)
    [(href, message)] = error_summary(page)
    assert href == "#grantee_email" and "Nobody has an account" in message

    yourself = await submit(owner.client, url, share_data(owner.email, ["about_me"]))
    page = assert_page(yourself, 400)
    [(href, message)] = error_summary(page)
    assert href == "#grantee_email" and "already see and change all of it" in message

    nobody = await submit(owner.client, url, share_data("", ["about_me"], grantee=""))
    page = assert_page(nobody, 400)
    assert ("#grantee", "Choose who to share with") in error_summary(page)

    assert (await owner.client.get(f"/api/v1/plans/{plan['id']}/grants")).json() == []
    still = assert_page(await owner.client.get(f"/plans/{plan['id']}/sharing"))
    assert "Your plan is not shared with anyone." in still


async def test_stopping_sharing_takes_access_away(owner, planner) -> None:
    plan = await create_plan(owner.client)
    grant_id = await share(owner, plan["id"], planner, ["about_me"])
    assert (await planner.client.get(f"/plans/{plan['id']}")).status_code == 200
    url = f"/plans/{plan['id']}/sharing/grants/{grant_id}/stop"

    confirm = assert_page(await owner.client.get(url))
    assert "Are you sure you want to stop sharing with Planner?" in confirm
    stopped = await submit(owner.client, url, {"reason": "Plan finished"})
    assert stopped.status_code == 303
    assert stopped.headers["location"] == f"/plans/{plan['id']}/sharing?done=stopped"

    page = assert_page(await owner.client.get(stopped.headers["location"]))
    assert "Sharing stopped" in page and "Stopped" in page
    assert f"/sharing/grants/{grant_id}/stop" not in page  # nothing left to stop
    assert_page(await planner.client.get(f"/plans/{plan['id']}"), 404)

    history = assert_page(
        await owner.client.get(f"/plans/{plan['id']}/sharing/grants/{grant_id}/history")
    )
    assert "Stopped sharing" in history and "Plan finished" in history


# --- invitations ----------------------------------------------------------------------------


async def test_an_invitation_link_is_shown_once_and_accepted_once(
    client, owner, planner, gp
) -> None:
    plan = await create_plan(owner.client)
    page, path = await invite(owner, plan["id"])
    assert "readonly" in page
    assert "works once" in page
    assert "Anyone who has it can use it" in page

    anonymous = assert_page(await client.get(path))
    assert "Owner has invited you to help with their plan" in anonymous
    assert "Staying safe" in anonymous and "Read and comment" in anonymous
    assert "To help me stay safe" in anonymous and "Until they stop it" in anonymous
    assert f'href="/sign-in?next={path}"' in anonymous
    assert f'href="{path}/account"' in anonymous
    sign_in = await client.get(f"/sign-in?next={path}")
    assert f'value="{path}"' in sign_in.text  # safe_next keeps the invitation address

    landing = assert_page(await planner.client.get(path))
    accept_form = re.search(rf'<form method="post" action="{path}".*?</form>', landing, re.S)
    assert accept_form and "Accept" in accept_form.group(0)
    accepted = await planner.client.post(path, data={"_csrf_token": csrf_token(landing)})
    assert accepted.status_code == 303, accepted.text[:2000]
    assert accepted.headers["location"] == f"/plans/{plan['id']}?accepted=1"
    overview = assert_page(await planner.client.get(accepted.headers["location"]))
    assert "Invitation accepted" in overview
    assert f'href="/plans/{plan["id"]}/sections/staying_safe"' in overview

    used = assert_page(await gp.client.get(path), 410)
    assert "This invitation has been used already" in used
    again = await gp.client.post(path, data={"_csrf_token": csrf_token(used)})
    page = assert_page(again, 410)
    assert "used already" in page and 'href="/plans"' in page

    listed = assert_page(await owner.client.get(f"/plans/{plan['id']}/sharing"))
    assert "Accepted by Planner" in listed
    assert_page(await client.get("/invitations/not-a-real-token"), 404)


async def test_someone_new_creates_an_account_from_an_invitation(client, owner) -> None:
    plan = await create_plan(owner.client)
    _, path = await invite(owner, plan["id"], sections=["about_me", "review"], access="edit")

    form = assert_page(await client.get(f"{path}/account"))
    assert "Create an account to help Owner" in form
    short = await submit(
        client,
        f"{path}/account",
        {"name": "Helper", "email": "helper-new@example.org", "password": "short"},
    )
    page = assert_page(short, 400)
    assert ("#password", "Choose a password of at least 10 characters") in error_summary(page)
    assert 'value="helper-new@example.org"' in page

    email = f"helper-{uuid.uuid4().hex[:8]}@example.org"
    made = await submit(
        client,
        f"{path}/account",
        {"name": "Helper Person", "email": email, "password": "a long enough password"},
    )
    assert made.status_code == 303, made.text[:2000]
    assert made.headers["location"] == f"/plans/{plan['id']}?accepted=1"
    overview = assert_page(await client.get(made.headers["location"]))
    assert "This is Owner's plan." in overview
    assert f'href="/plans/{plan["id"]}/sections/review"' in overview
    mine = assert_page(await client.get("/plans"))
    assert "Plans shared with you" in mine

    # The link is used now: a second account cannot be made from it.
    gone = await client.get(f"{path}/account")
    assert gone.status_code == 303  # signed in now: back to the invitation page
    assert_page(await client.get(path), 410)


async def test_an_email_invitation_asks_for_that_address(client, owner, planner) -> None:
    plan = await create_plan(owner.client)
    _, path = await invite(owner, plan["id"], email="someone-else@example.org")
    landing = assert_page(await planner.client.get(path))
    assert "This invitation is for a different account" in landing
    assert 'action="' + path + '"' not in landing

    wrong = await submit(
        client,
        f"{path}/account",
        {"name": "Other", "email": "other@example.org", "password": "a long enough password"},
    )
    page = assert_page(wrong, 400)
    [(href, message)] = error_summary(page)
    assert href == "#email" and "someone-else@example.org" in message


async def test_an_open_invitation_can_be_withdrawn(client, owner) -> None:
    plan = await create_plan(owner.client)
    _, path = await invite(owner, plan["id"])
    sharing = assert_page(await owner.client.get(f"/plans/{plan['id']}/sharing"))
    withdraw_url = re.search(r'href="(/plans/[^"]+/withdraw)"', sharing)
    assert withdraw_url
    done = await submit(owner.client, withdraw_url.group(1), {})
    assert done.status_code == 303
    page = assert_page(await owner.client.get(done.headers["location"]))
    assert "Invitation withdrawn" in page and "Withdrawn" in page
    closed = assert_page(await client.get(path), 410)
    assert "withdrawn" in closed


# --- see your plan as …, and who has looked -------------------------------------------------


async def test_preview_shows_exactly_the_grantees_sections(owner, gp) -> None:
    plan = await create_plan(owner.client)
    await change_section(owner.client, plan["id"], "about_me", who_i_am="Keen gardener")
    await change_section(owner.client, plan["id"], "starting_point", what_i_enjoy="Hidden thing")
    await change_section(owner.client, plan["id"], "contacts", notes="Call my sister first")
    grant_id = await share(owner, plan["id"], gp, ["about_me", "contacts"])

    page = assert_page(
        await owner.client.get(f"/plans/{plan['id']}/sharing/grants/{grant_id}/preview")
    )
    assert "This is what Gp sees" in page
    headings = re.findall(r'<h2 id="section-([a-z_]+)">', page)
    assert headings == ["about_me", "contacts"]
    assert "Keen gardener" in page and "Call my sister first" in page
    assert "Hidden thing" not in page and "My starting point" not in page


async def test_the_access_log_lists_the_grantees_read(owner, planner) -> None:
    plan = await create_plan(owner.client)
    empty = assert_page(await owner.client.get(f"/plans/{plan['id']}/access-log"))
    assert "Nobody else has looked at your plan yet." in empty

    await share(owner, plan["id"], planner, ["about_me"])
    assert (await planner.client.get(f"/plans/{plan['id']}")).status_code == 200
    page = assert_page(await owner.client.get(f"/plans/{plan['id']}/access-log"))
    table = re.search(r"<table.*?</table>", page, re.S)
    assert table, "no table"
    assert "<th" in table.group(0) and "Which sections" in table.group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)[1:]
    texts = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]
    # Newest first: the planner's read, then the owner sharing.
    assert "Planner" in texts[0] and "Read" in texts[0] and "About me" in texts[0]
    assert any("Shared" in text and "Owner" in text for text in texts[1:])
    assert re.search(r"\d{1,2} \w+ \d{4} at \d{1,2}(:\d\d)?(am|pm)|midnight|midday", texts[0])


# --- who speaks for the person --------------------------------------------------------------


async def test_a_representative_wider_than_their_authority_is_refused(owner, carer) -> None:
    plan = await create_plan(owner.client)
    url = f"/plans/{plan['id']}/sharing/representatives/new"
    form = assert_page(await owner.client.get(url))
    assert "Covers money only" in form and "Covers every section except money" in form

    data = {
        "email": carer.email,
        "authority": "lpa_property_financial",
        "authority_reference": "LPA-123",
        "relationship": "My daughter",
        "sections": ["about_me", "money"],
        "powers": ["view"],
        "how_decisions_are_reached": "We talk it through together",
    }
    refused = await submit(owner.client, url, data)
    page = assert_page(refused, 400)
    [(href, message)] = error_summary(page)
    assert href == "#sections" and "does not cover About me" in message
    assert "We talk it through together" in page and 'value="LPA-123"' in page
    sharing = assert_page(await owner.client.get(f"/plans/{plan['id']}/sharing"))
    assert "Nobody is recorded as speaking for you." in sharing

    recorded = await submit(
        owner.client,
        url,
        {
            **data,
            "authority": "lpa_health_welfare",
            "sections": ["about_me", "staying_safe"],
            "powers": ["view", "edit", "share"],
        },
    )
    assert recorded.status_code == 303, recorded.text[:2000]
    sharing = assert_page(await owner.client.get(recorded.headers["location"]))
    assert "Representative recorded" in sharing
    assert "Lasting power of attorney for health and welfare" in sharing
    overview = assert_page(await owner.client.get(f"/plans/{plan['id']}"))
    assert "Who speaks for you" in overview and "We talk it through together" in overview
    seen = assert_page(await carer.client.get(f"/plans/{plan['id']}"))
    assert "Who speaks for Owner" in seen
    assert "Who can see Owner's plan" in seen
    # Someone who speaks for the person, with the power to share, manages sharing for them.
    theirs = assert_page(await carer.client.get(f"/plans/{plan['id']}/sharing"))
    assert "Who can see Owner's plan" in theirs
    assert "Record someone who speaks for Owner" in theirs

    end_url = re.search(r'href="(/plans/[^"]+/representatives/[^"]+/end)"', sharing)
    assert end_url
    ended = await submit(owner.client, end_url.group(1), {"reason": "No longer needed"})
    assert ended.status_code == 303
    assert "Nobody is recorded" in assert_page(await owner.client.get(ended.headers["location"]))
    assert_page(await carer.client.get(f"/plans/{plan['id']}"), 404)


# --- nobody else sees the sharing pages -----------------------------------------------------


async def test_only_the_person_sees_the_sharing_pages(owner, planner, stranger) -> None:
    plan = await create_plan(owner.client)
    grant_id = await share(owner, plan["id"], planner, ["about_me"])
    base = f"/plans/{plan['id']}"
    pages = [
        f"{base}/sharing",
        f"{base}/sharing/new",
        f"{base}/sharing/invite",
        f"{base}/sharing/representatives/new",
        f"{base}/sharing/grants/{grant_id}",
        f"{base}/sharing/grants/{grant_id}/stop",
        f"{base}/sharing/grants/{grant_id}/history",
        f"{base}/sharing/grants/{grant_id}/preview",
        f"{base}/access-log",
    ]
    for url in pages:
        assert_page(await stranger.client.get(url), 404)
        refused = assert_page(await planner.client.get(url), 403)
        assert "Only the person whose plan this is" in refused, url

    token = csrf_token((await planner.client.get("/plans")).text)
    for url in (f"{base}/sharing/new", f"{base}/sharing/grants/{grant_id}/stop"):
        post = await planner.client.post(
            url, data={**share_data(planner.email, ["money"]), "_csrf_token": token}
        )
        assert_page(post, 403)
    stranger_token = csrf_token((await stranger.client.get("/plans")).text)
    post = await stranger.client.post(
        f"{base}/sharing/new",
        data={**share_data(stranger.email, ["money"]), "_csrf_token": stranger_token},
    )
    assert_page(post, 404)
    grants = (await owner.client.get(f"/api/v1/plans/{plan['id']}/grants")).json()
    assert [g["sections"] for g in grants] == [["about_me"]]
    assert grants[0]["status"] == "active"


async def test_the_sharing_pages_need_sign_in(client, owner) -> None:
    plan = await create_plan(owner.client)
    response = await client.get(f"/plans/{plan['id']}/sharing")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
