"""The sharing pages over HTTP, as a browser without JavaScript would use them: the person
shares sections with someone who has an account, changes and stops it, reads its history and
sees the plan as they do; the people they share with see exactly what was shared.

Each test starts its own plan.
"""

from __future__ import annotations

import datetime as dt
import re

from tests.api.helpers import change_section, create_plan
from tests.pages.sharing.helpers import assert_page, error_summary, share, share_data, submit

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
