"""The invitation pages over HTTP, as a browser without JavaScript would use them: a link is
shown once, accepted once (with an account or a new one), kept to one address, and withdrawn.

Each test starts its own plan.
"""

from __future__ import annotations

import re
import uuid

from tests.api.helpers import create_plan
from tests.pages.sharing.helpers import assert_page, csrf_token, error_summary, invite, submit

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
