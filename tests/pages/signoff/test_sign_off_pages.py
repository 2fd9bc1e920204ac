"""The sign-off pages, used over HTTP as a browser without JavaScript would.

The person submits their plan from the submit page (agreeing to share is required; an
unfinished plan is told what is missing); a plan authoriser finds it in their work tray, reads
it and authorises or returns it with a comment on a section; the person sees that comment on
the section's page and on the sign-off page; a budget authoriser agrees the budget with a
reason for the variation, and one whose spending limit is too low is refused on the page.
Every form is sent with the `_csrf_token` read from the page it is on, as a browser sends it.
"""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation, write_complete_plan

HIGH_LIMIT = 5_000_000  # £50,000 a year
LOW_LIMIT = 500_000  # £5,000 a year
# The realistic plan (bench/plan_content.py) costs £11,264.00 a year; its allocation is £18,500.
COST = "£11,264.00"
ALLOCATION = "£18,500.00"
UNDER_BY = "£7,236.00"
CRITERIA_TITLES = [
    "My starting point",
    "About me",
    "What is working and not working",
    "What is important to me and for me",
    "Staying safe",
    "My outcomes",
    "Money",
    "Action plan",
    "Review",
]


# --- personas -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    # Another council too, so that the person always chooses between several.
    await make_organisation(kind="council")
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    names = ["owner", "authoriser", "budget", "frugal", "stranger"]
    made = {name: await make_persona(app, name) for name in names}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", HIGH_LIMIT)
    await give_role(made["frugal"], council, "budget_authoriser", LOW_LIMIT)
    yield made
    for persona in made.values():
        await persona.client.aclose()


# --- helpers --------------------------------------------------------------------------------


def assert_page(response: httpx.Response, status: int = 200) -> str:
    """An HTML page with this status and exactly one h1; its text with entities undone."""
    assert response.status_code == status, response.text[:3000]
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert len(re.findall(r"<h1[\s>]", response.text)) == 1, "a page has exactly one h1"
    assert " style=" not in response.text
    return html.unescape(response.text)


def words(page: str) -> str:
    """The page's text as a person reads it: tags gone, spaces squeezed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def table_rows(page: str) -> list[list[str]]:
    """Every body row of every table on the page, as the words of each cell."""
    rows = []
    for body in re.findall(r"<tbody[^>]*>(.*?)</tbody>", page, re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            # The responsive table repeats each column's heading in the cell, for phones.
            rows.append(
                [
                    words(re.sub(r'<span class="nhsuk-table__heading"[^>]*>.*?</span>', "", c))
                    for c in cells
                ]
            )
    return rows


def row_with(page: str, needle: str) -> list[str]:
    """The cells of the table row holding this text (an address, say)."""
    for body in re.findall(r"<tbody[^>]*>(.*?)</tbody>", page, re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            if needle in row:
                return table_rows(f"<tbody><tr>{row}</tr></tbody>")[0]
    raise AssertionError(f"no row with {needle}")


def csrf_token(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF field in the page"
    return match.group(1)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


def error_summary(page: str) -> list[tuple[str, str]]:
    """The error summary's links: (href, text)."""
    summary = re.search(r'class="nhsuk-list nhsuk-error-summary__list">(.*?)</ul>', page, re.S)
    assert summary, "no error summary on the page"
    assert "There is a problem" in page and "<title>Error: " in page
    return [
        (href, " ".join(text.split()))
        for href, text in re.findall(r'<a href="([^"]+)"\s*>(.*?)</a>', summary.group(1), re.S)
    ]


async def send(
    client: httpx.AsyncClient, form_url: str, action: str, data: dict[str, Any]
) -> httpx.Response:
    """Open the page with the form, then send it with what a person typed, as a browser does."""
    page = await client.get(form_url)
    assert page.status_code == 200, page.text[:2000]
    assert f'<form method="post" action="{action}"' in page.text, "the form posts without JS"
    return await client.post(action, data={**data, "_csrf_token": csrf_token(page.text)})


async def follow(client: httpx.AsyncClient, response: httpx.Response, location: str) -> str:
    assert response.status_code == 303, response.text[:3000]
    assert response.headers["location"] == location
    return assert_page(await client.get(location))


def submit_data(council: uuid.UUID, agree: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"organisation_id": str(council)}
    if agree:
        data["share_with_organisation"] = "yes"
    return data


async def submit_through_pages(owner: Persona, plan_id: str, council: uuid.UUID) -> str:
    response = await send(
        owner.client, f"/plans/{plan_id}/submit", f"/plans/{plan_id}/submit", submit_data(council)
    )
    return await follow(owner.client, response, f"/plans/{plan_id}/sign-off?done=submitted")


async def submitted_plan(people: dict[str, Persona], council: uuid.UUID) -> str:
    plan_id = await write_complete_plan(people["owner"].client)
    await submit_through_pages(people["owner"], plan_id, council)
    return plan_id


async def decide(who: Persona, plan_id: str, decision: str, data: dict[str, Any]) -> httpx.Response:
    """Send one of the decide page's forms, with the version read from the page."""
    page = await who.client.get(f"/plans/{plan_id}/decide")
    assert page.status_code == 200, page.text[:2000]
    action = f"/plans/{plan_id}/decide/{decision}"
    assert f'<form method="post" action="{action}"' in page.text
    return await who.client.post(
        action,
        data={
            "version_hash": hidden(page.text, "version_hash"),
            "_csrf_token": csrf_token(page.text),
            **data,
        },
    )


async def api_status(who: Persona, plan_id: str) -> dict[str, Any]:
    response = await who.client.get(f"/api/v1/plans/{plan_id}/sign-off")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def write_about_me(who: Persona, plan_id: str, text: str) -> None:
    url = f"/api/v1/plans/{plan_id}/sections/about_me"
    section = await who.client.get(url)
    content = {**section.json()["content"], "who_i_am": text}
    written = await who.client.put(url, json=content, headers={"If-Match": section.headers["etag"]})
    assert written.status_code == 200, written.text


def tray_url(council: uuid.UUID, tray: str) -> str:
    return f"/organisations/{council}/trays/{tray}"


# --- the person submits ---------------------------------------------------------------------


async def test_an_unfinished_plan_shows_what_is_missing_and_cannot_be_submitted(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner = people["owner"]
    created = await owner.client.post("/api/v1/plans", json={"kind": "care_and_support"})
    plan_id = created.json()["id"]

    page = words(assert_page(await owner.client.get(f"/plans/{plan_id}/sign-off")))
    assert "Draft" in page and "What is still missing" in page
    sign_off = (await owner.client.get(f"/plans/{plan_id}/sign-off")).text
    for key in ("starting_point", "about_me", "review"):
        assert f'href="/plans/{plan_id}/sections/{key}"' in sign_off
    assert f'href="/plans/{plan_id}/outcomes"' in sign_off

    # Even agreeing to share, an unfinished plan is refused with what each criterion lacks.
    refused = await send(
        owner.client, f"/plans/{plan_id}/submit", f"/plans/{plan_id}/submit", submit_data(council)
    )
    body = assert_page(refused, 422)
    links = error_summary(body)
    assert [href for href, _ in links] == [
        f"#missing-{key}"
        for key in (
            "starting_point",
            "about_me",
            "working_not_working",
            "important_to_for",
            "staying_safe",
            "outcomes",
            "money",
            "action_plan",
            "review",
        )
    ]
    assert links[0][1].startswith("My starting point:")
    assert 'id="missing-about_me"' in body
    assert (await api_status(owner, plan_id))["state"] == "draft"


async def test_the_person_submits_their_plan_from_the_submit_page(people, council) -> None:  # type: ignore[no-untyped-def]
    owner = people["owner"]
    plan_id = await write_complete_plan(owner.client)
    council_name = (await api_status(owner, plan_id))["organisations"]
    name = next(o["name"] for o in council_name if o["id"] == str(council))

    # The sign-off page offers to submit; the submit page says what goes to whom.
    sign_off = assert_page(await owner.client.get(f"/plans/{plan_id}/sign-off"))
    assert f'href="/plans/{plan_id}/submit"' in sign_off and "Submit your plan" in sign_off
    assert "What is still missing" not in sign_off
    form = assert_page(await owner.client.get(f"/plans/{plan_id}/submit"))
    shared = re.search(r'<ul[^>]*id="shared-sections">(.*?)</ul>', form, re.S)
    assert shared is not None
    assert re.findall(r"<li>(.*?)</li>", shared.group(1)) == CRITERIA_TITLES
    assert "Who to contact" not in shared.group(1)
    assert name in form and "Who will sign off your plan?" in form
    assert f'name="organisation_id" type="radio" value="{council}"' in form
    assert "I agree to share these sections with the organisation you choose" in form

    # Without agreeing, nothing is submitted and the checkbox is pointed at.
    refused = await send(
        owner.client,
        f"/plans/{plan_id}/submit",
        f"/plans/{plan_id}/submit",
        submit_data(council, agree=False),
    )
    body = assert_page(refused, 422)
    [(href, message)] = error_summary(body)
    assert href == "#share_with_organisation" and "Tick that you agree" in message
    assert f'type="radio" value="{council}" checked' in refused.text, "the choice is kept"
    assert (await api_status(owner, plan_id))["state"] == "draft"

    # Agreeing submits it: back on the sign-off page, with where it is and who signs it off.
    page = words(await submit_through_pages(owner, plan_id, council))
    assert "Plan submitted for sign-off" in page
    assert "Submitted: awaiting plan authorisation" in page and name in page
    status = await api_status(owner, plan_id)
    assert status["state"] == "submitted" and status["submitted_version"] == 1
    code = status["versions"][0]["verification_code"]
    assert code in page and "Waiting for sign-off" in page
    assert (
        f'href="/plans/{plan_id}/versions/1"'
        in (await owner.client.get(f"/plans/{plan_id}/sign-off")).text
    )
    assert "Submit your plan" not in page, "nothing changed: nothing to submit again"

    # The overview says where the plan is, and links to sign-off.
    overview = words(assert_page(await owner.client.get(f"/plans/{plan_id}")))
    assert "Sign-off Submitted: awaiting plan authorisation" in overview

    # Submitting again with nothing changed is explained on the form.
    twice = await send(
        owner.client, f"/plans/{plan_id}/submit", f"/plans/{plan_id}/submit", submit_data(council)
    )
    [(href, message)] = error_summary(assert_page(twice, 409))
    assert href == "#submit-plan" and "nothing has changed" in message


async def test_only_the_person_submits_and_strangers_learn_nothing(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await write_complete_plan(people["owner"].client)
    stranger = people["stranger"]
    for path in ("sign-off", "submit", "decide", "versions/1"):
        assert_page(await stranger.client.get(f"/plans/{plan_id}/{path}"), 404)
    # Staff see nothing of a draft.
    assert_page(await people["authoriser"].client.get(f"/plans/{plan_id}/sign-off"), 404)
    # The person makes no decision on their own plan.
    refused = words(assert_page(await people["owner"].client.get(f"/plans/{plan_id}/decide"), 403))
    assert "no sign-off decision for you to make" in refused
    # A form sent without the page's token changes nothing.
    forged = await people["owner"].client.post(
        f"/plans/{plan_id}/submit", data={**submit_data(council), "_csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert (await api_status(people["owner"], plan_id))["state"] == "draft"


# --- the plan authoriser --------------------------------------------------------------------


async def test_the_authoriser_returns_the_plan_with_a_comment_the_person_then_sees(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner, authoriser = people["owner"], people["authoriser"]
    plan_id = await submitted_plan(people, council)

    # The organisations page leads to the trays; the tray lists the plan with a link to decide.
    organisations = assert_page(await authoriser.client.get("/organisations"))
    assert f'href="/organisations/{council}/trays"' in organisations
    trays = assert_page(await authoriser.client.get(f"/organisations/{council}/trays"))
    assert "Awaiting plan authorisation" in trays
    assert "Awaiting budget authorisation" not in trays, "not a budget authoriser"
    assert f'href="{tray_url(council, "plan_authorisation")}"' in trays
    tray = await authoriser.client.get(tray_url(council, "plan_authorisation") + "?page=1")
    tray_page = assert_page(tray)
    assert f'href="/plans/{plan_id}/decide"' in tray_page and "Owner" in tray_page

    # The decide page shows the plan as submitted and the decisions open to a plan authoriser.
    decide_page = assert_page(await authoriser.client.get(f"/plans/{plan_id}/decide"))
    text = words(decide_page)
    assert "Decide on Owner's plan" in text
    assert "everyone calls me Maggie" in text and "Who I am" in text
    assert f"{COST} a year" in text and f"{ALLOCATION} a year" in text
    assert "Authorise the plan" in text and "Return the plan" in text
    assert "Authorise the budget" not in text
    assert "Who to contact" not in text, "contacts are not shared for sign-off"
    digest = (await api_status(authoriser, plan_id))["submitted_hash"]
    assert hidden(decide_page, "version_hash") == digest
    assert 'name="comment-about_me"' in decide_page and 'name="comment-contacts"' not in decide_page

    # Returning needs something said.
    empty = await decide(authoriser, plan_id, "return", {"reason": ""})
    [(href, message)] = error_summary(assert_page(empty, 422))
    assert href == "#reason" and "Add a comment" in message

    # A comment on "About me" returns it; the tray says so, and the plan is gone for them.
    returned = await decide(
        authoriser,
        plan_id,
        "return",
        {"reason": "A little more is needed", "comment-about_me": "Say who helps you day to day."},
    )
    banner = words(
        await follow(
            authoriser.client,
            returned,
            tray_url(council, "plan_authorisation") + "?done=returned",
        )
    )
    assert "Plan returned to the person with your comments" in banner
    assert_page(await authoriser.client.get(f"/plans/{plan_id}/decide"), 404)

    # The person sees the comment on the section's page, who made it, and when.
    section = words(assert_page(await owner.client.get(f"/plans/{plan_id}/sections/about_me")))
    assert "Comments from the plan authoriser (Authoriser)" in section
    assert "Say who helps you day to day." in section
    other = words(assert_page(await owner.client.get(f"/plans/{plan_id}/sections/review")))
    assert "Say who helps you day to day." not in other

    # And on the sign-off page: by section, with a link, and the decision in the history.
    sign_off_html = assert_page(await owner.client.get(f"/plans/{plan_id}/sign-off"))
    sign_off = words(sign_off_html)
    assert "Draft" in sign_off and "Returned with comments" in sign_off
    comments = re.search(r'id="comments-about_me">(.*?)</div>\s*</div>', sign_off_html, re.S)
    assert comments is not None and "Say who helps you day to day." in comments.group(1)
    assert f'href="/plans/{plan_id}/sections/about_me"' in comments.group(1)
    assert "Returned the plan with comments (version 1) A little more is needed" in sign_off
    assert "Submitted the plan for sign-off (version 1)" in sign_off
    assert sign_off.index("Returned the plan") < sign_off.index("Submitted the plan for")

    # The person changes "About me": the version page keeps what was sent, compare shows it.
    await write_about_me(owner, plan_id, "I am Maggie. Claire, my daughter, helps me every day.")
    kept = words(assert_page(await owner.client.get(f"/plans/{plan_id}/versions/1")))
    assert "Version 1" in kept and "everyone calls me Maggie" in kept
    assert "Claire, my daughter" not in kept and "Returned with comments" in kept
    compared = assert_page(await owner.client.get(f"/plans/{plan_id}/versions/1/compare"))
    rows = {row[0]: row[1] for row in table_rows(compared)}
    assert rows["About me"] == "Changed Who I am"
    assert rows["Review"] == "No change"
    assert "1 section has changed" in words(compared)
    assert_page(await owner.client.get(f"/plans/{plan_id}/versions/9"), 404)


async def test_the_plan_and_then_the_budget_are_authorised_through_the_pages(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner, authoriser, budget, frugal = (
        people["owner"],
        people["authoriser"],
        people["budget"],
        people["frugal"],
    )
    plan_id = await submitted_plan(people, council)

    # The outcomes are decided first: until then the page lists them instead of the button.
    waiting = assert_page(await authoriser.client.get(f"/plans/{plan_id}/decide"))
    assert "Still to decide" in words(waiting)
    assert f'action="/plans/{plan_id}/decide/authorise-plan"' not in waiting
    for action in re.findall(rf'action="(/plans/{plan_id}/outcome-decisions/[^"]+)"', waiting):
        page = assert_page(await authoriser.client.get(f"/plans/{plan_id}/decide"))
        agreed_one = await authoriser.client.post(
            action,
            data={"decision": "agreed", "back": "decide", "_csrf_token": csrf_token(page)},
        )
        assert agreed_one.status_code == 303, agreed_one.text[:2000]
    ready = words(assert_page(await authoriser.client.get(f"/plans/{plan_id}/decide")))
    assert "Still to decide" not in ready

    authorised = await decide(authoriser, plan_id, "authorise-plan", {"note": "Clear and full"})
    page = words(
        await follow(
            authoriser.client,
            authorised,
            tray_url(council, "plan_authorisation") + "?done=authorised",
        )
    )
    assert "Plan authorised: it now waits for budget authorisation" in page
    assert (await api_status(owner, plan_id))["state"] == "plan_authorised"

    # A budget authoriser with a low limit sees the cost and that it is above their limit.
    tray = assert_page(await frugal.client.get(tray_url(council, "budget_authorisation")))
    cells = row_with(tray, f'href="/plans/{plan_id}/decide"')
    assert cells[0] == "Owner" and cells[2] == "1" and cells[4:] == [COST, "No"]
    frugal_html = assert_page(await frugal.client.get(f"/plans/{plan_id}/decide"))
    frugal_page = words(frugal_html)
    assert "Your spending limit £5,000.00 a year" in frugal_page
    assert "This plan costs more than you can approve" in frugal_page
    assert f'action="/plans/{plan_id}/decide/authorise-budget"' in frugal_html
    assert f'action="/plans/{plan_id}/decide/authorise-plan"' not in frugal_html
    refused = await decide(
        frugal, plan_id, "authorise-budget", {"variation_reason": "Day centre costs fall"}
    )
    [(href, message)] = error_summary(assert_page(refused, 403))
    assert href == "#authorise-budget"
    assert "above your spending limit" in message and COST in message and "£5,000.00" in message
    assert (await api_status(owner, plan_id))["state"] == "plan_authorised"

    # Nobody has set the organisation's allocation yet: the budget cannot be checked against it.
    unset = words(assert_page(await budget.client.get(f"/plans/{plan_id}/decide")))
    assert "Set the indicative allocation first" in unset
    assert f"The plan notes {ALLOCATION} a year: what the person was told" in unset
    not_yet = await decide(
        budget, plan_id, "authorise-budget", {"variation_reason": "Day centre costs fall"}
    )
    [(href, message)] = error_summary(assert_page(not_yet, 409))
    assert href == "#authorise-budget" and "has not set the indicative allocation" in message
    set_page = assert_page(await budget.client.get(f"/plans/{plan_id}/decide"))
    wrong = await budget.client.post(
        f"/plans/{plan_id}/decide/allocation",
        data={"allocation_amount": "lots", "_csrf_token": csrf_token(set_page)},
    )
    [(href, message)] = error_summary(assert_page(wrong, 400))
    assert href == "#allocation_amount" and "pounds and pence" in message
    assert 'value="lots"' in wrong.text, "what was typed is kept"
    allocated = await budget.client.post(
        f"/plans/{plan_id}/decide/allocation",
        data={
            "allocation_amount": "18,500.00",
            "allocation_reason": "The resource allocation system's figure",
            "_csrf_token": csrf_token(set_page),
        },
    )
    shown = words(
        await follow(budget.client, allocated, f"/plans/{plan_id}/decide?done=allocation_set")
    )
    assert "Indicative allocation set" in shown
    assert f"{ALLOCATION} a year, set by Budget on" in shown

    # The budget differs from the allocation: the page says a reason is needed, and asks for it.
    budget_page = words(assert_page(await budget.client.get(f"/plans/{plan_id}/decide")))
    assert (
        f"Needed: the plan costs {UNDER_BY} a year less than the indicative allocation of "
        f"{ALLOCATION}" in budget_page
    )
    no_reason = await decide(budget, plan_id, "authorise-budget", {"variation_reason": " "})
    [(href, message)] = error_summary(assert_page(no_reason, 422))
    assert href == "#variation_reason" and "Say why the budget differs" in message
    bad_date = await decide(
        budget,
        plan_id,
        "authorise-budget",
        {
            "variation_reason": "Day centre costs fall in year two",
            "review_date[day]": "31",
            "review_date[month]": "2",
            "review_date[year]": "2030",
        },
    )
    body = assert_page(bad_date, 400)
    [(href, message)] = error_summary(body)
    assert href == "#review_date-day" and "real date" in message
    assert "Day centre costs fall in year two" in body, "what was typed is kept"

    agreed = await decide(
        budget,
        plan_id,
        "authorise-budget",
        {
            "variation_reason": "Day centre costs fall in year two",
            "review_date[day]": "1",
            "review_date[month]": "12",
            "review_date[year]": "2035",
        },
    )
    page = words(
        await follow(
            budget.client, agreed, tray_url(council, "budget_authorisation") + "?done=agreed"
        )
    )
    assert "Budget authorised: the plan is agreed" in page

    # The person sees their plan agreed, with its review date, and the agreed version.
    sign_off = words(assert_page(await owner.client.get(f"/plans/{plan_id}/sign-off")))
    assert "Agreed" in sign_off and "Review by 1 December 2035" in sign_off
    # ... and the allocation as the organisation's figure, on the sign-off and money pages.
    assert "Indicative allocation from" in sign_off and f"{ALLOCATION} a year Set by" in sign_off
    money_page = words(assert_page(await owner.client.get(f"/plans/{plan_id}/money")))
    assert "Indicative allocation from" in money_page and "Set by Budget on" in money_page
    assert "Authorised the budget: the plan is agreed" in sign_off
    assert "Day centre costs fall in year two" in sign_off
    assert "Authorised the plan (version 1) Clear and full" in sign_off
    version = words(assert_page(await owner.client.get(f"/plans/{plan_id}/versions/1")))
    assert "Reason for the budget variation Day centre costs fall in year two" in version
    assert re.search(r"Agreed \d{1,2} [A-Z][a-z]+ \d{4} at \S+ by Budget", version), version
    # Nobody has a decision left to make.
    assert_page(await budget.client.get(f"/plans/{plan_id}/decide"), 403)


async def test_a_plan_changed_after_submitting_asks_to_be_submitted_again(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, authoriser = people["owner"], people["authoriser"]
    plan_id = await submitted_plan(people, council)
    stale_page = assert_page(await authoriser.client.get(f"/plans/{plan_id}/decide"))
    await write_about_me(owner, plan_id, "Something new after submitting.")

    sign_off = words(assert_page(await owner.client.get(f"/plans/{plan_id}/sign-off")))
    assert "submit it again so staff see your changes" in sign_off
    assert "Submit your plan again" in sign_off
    warned = words(assert_page(await authoriser.client.get(f"/plans/{plan_id}/decide")))
    assert "Changed since it was submitted" in warned

    # Deciding on what was read before the change is refused on the page.
    refused = await authoriser.client.post(
        f"/plans/{plan_id}/decide/authorise-plan",
        data={
            "version_hash": hidden(stale_page, "version_hash"),
            "_csrf_token": csrf_token(stale_page),
        },
    )
    [(href, message)] = error_summary(assert_page(refused, 409))
    assert href == "#authorise-plan" and "changed after version 1" in message

    # Submitting it again makes version 2, which replaces version 1.
    form = words(assert_page(await owner.client.get(f"/plans/{plan_id}/submit")))
    assert "Submit your plan again" in form
    page = words(await submit_through_pages(owner, plan_id, council))
    assert "Replaced by a later submission" in page
    assert (await api_status(owner, plan_id))["submitted_version"] == 2


# --- trays ----------------------------------------------------------------------------------


async def test_a_tray_pages_25_at_a_time_oldest_first(app) -> None:  # type: ignore[no-untyped-def]
    organisation = await make_organisation(kind="council")
    owner = await make_persona(app, "paged")
    staff = await make_persona(app, "tray")
    try:
        await give_role(staff, organisation, "plan_authoriser")
        started = time.monotonic()
        first = await write_complete_plan(owner.client)
        order = [first]
        await submit_through_pages(owner, first, organisation)
        for _ in range(25):
            plan_id = await write_complete_plan(owner.client)
            response = await owner.client.post(
                f"/api/v1/plans/{plan_id}/submit",
                json={"organisation_id": str(organisation), "share_with_organisation": True},
            )
            assert response.status_code == 200, response.text
            order.append(plan_id)
        assert time.monotonic() - started < 300

        url = tray_url(organisation, "plan_authorisation")
        page_one = assert_page(await staff.client.get(url))
        links = re.findall(r'href="/plans/([0-9a-f-]{36})/decide"', page_one)
        assert links == order[:25], "oldest first, 25 a page"
        assert "26 plans are waiting" in words(page_one)
        assert "Page 1 of 2" in words(page_one)
        assert f'href="{url}?page=2"' in page_one and 'rel="next"' in page_one
        assert 'rel="prev"' not in page_one

        page_two = assert_page(await staff.client.get(f"{url}?page=2"))
        assert re.findall(r'href="/plans/([0-9a-f-]{36})/decide"', page_two) == order[25:]
        assert "Page 2 of 2" in words(page_two)
        assert f'href="{url}?page=1"' in page_two and 'rel="next"' not in page_two

        counts = words(assert_page(await staff.client.get(f"/organisations/{organisation}/trays")))
        assert "Awaiting plan authorisation 26 plans are waiting" in counts

        # Not their tray, not a page, not their organisation.
        assert_page(await staff.client.get(tray_url(organisation, "budget_authorisation")), 403)
        assert_page(await staff.client.get(f"{url}?page=0"), 400)
        assert_page(await owner.client.get(url), 404)
        assert_page(await owner.client.get(f"/organisations/{organisation}/trays"), 404)
    finally:
        await owner.client.aclose()
        await staff.client.aclose()
