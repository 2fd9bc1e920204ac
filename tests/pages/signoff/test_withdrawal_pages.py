"""The sharing page tells the truth about sign-off, and the person can take their consent back.

Used over HTTP as a browser without JavaScript would: the page lists the organisation a plan
was submitted to, with the sections it sees, since when and by which submission; the withdraw
page warns what withdrawing means; confirming takes the plan out of the organisation's trays
and its staff no longer see it. Each test starts its own plan.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator

import pytest

from portal.audit.trail import verify
from portal.core.sections import CRITERIA_KEYS, SECTION_TITLES
from portal.security import CSRF_HEADER_NAME
from portal.templating import uk_datetime
from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation, write_complete_plan
from tests.pages.sharing.helpers import assert_page, csrf_token, error_summary
from tests.signoff.test_sign_off import authorise_budget, authorise_plan, status, submit

SIGN_OFF_TITLES = [SECTION_TITLES[key] for key in CRITERIA_KEYS]


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(name=f"Northshire Council {uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    names = ["owner", "authoriser", "budget", "carer", "gp", "stranger"]
    made = {name: await make_persona(app, name) for name in names}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", 5_000_000)
    yield made
    for persona in made.values():
        await persona.client.aclose()


async def council_name(who: Persona, plan_id: str) -> str:
    name: str = (await status(who, plan_id))["organisation"]["name"]
    return name


def card(page: str) -> str:
    """The sharing page's card for the signing-off organisation."""
    found = re.search(r'id="sign-off-sharing">(.*?)</div>\s*</div>', page, re.S)
    assert found, "no card for the signing-off organisation"
    return found.group(1)


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


async def test_the_sharing_page_lists_the_organisation_a_plan_was_submitted_to(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner = people["owner"]
    plan_id = await write_complete_plan(owner.client)
    draft = assert_page(await owner.client.get(f"/plans/{plan_id}/sharing"))
    assert 'id="sign-off-sharing"' not in draft
    assert "is not shared with anyone" in draft

    submitted = await submit(owner, plan_id, council)
    name = submitted["organisation"]["name"]
    since = dt.datetime.fromisoformat(submitted["versions"][0]["submitted_at"])
    page = assert_page(await owner.client.get(f"/plans/{plan_id}/sharing"))
    assert "is not shared with anyone" not in page
    shown = card(page)
    words = text_of(shown)
    assert name in words and "Signs off the plan" in words
    # The sections, in plan order, by their titles; nothing else (contacts are not shared).
    sections = re.search(r"Sections</dt>(.*?)</dd>", shown, re.S)
    assert sections is not None
    assert re.findall(r"<li>(.*?)</li>", sections.group(1)) == SIGN_OFF_TITLES
    assert SECTION_TITLES["contacts"] not in words
    assert f"Since {uk_datetime(since)}" in words
    assert f"You submitted version 1 for sign-off on {uk_datetime(since)}." in words
    assert "Read and comment" in words
    assert f'href="/plans/{plan_id}/sharing/sign-off/withdraw"' in shown


async def test_a_representative_sees_who_gave_the_consent(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, carer = people["owner"], people["carer"]
    plan_id = await write_complete_plan(owner.client)
    recorded = await owner.client.post(
        f"/api/v1/plans/{plan_id}/representatives",
        json={
            "email": carer.email,
            "authority": "consent",
            "sections": ["about_me", "money"],
            "powers": ["view", "share"],
        },
    )
    assert recorded.status_code == 201, recorded.text
    await submit(owner, plan_id, council)
    await authorise_plan(people["authoriser"], plan_id)
    agreed = await authorise_budget(people["budget"], plan_id)
    since = dt.datetime.fromisoformat(agreed["versions"][0]["submitted_at"])
    words = text_of(card(assert_page(await carer.client.get(f"/plans/{plan_id}/sharing"))))
    assert (
        f"Owner (the person) submitted version 1, which is now the agreed plan, on "
        f"{uk_datetime(since)}." in words
    )
    # The carer has the power to share, so they may withdraw it too.
    assert "Withdraw consent" in words


async def test_withdrawing_consent_by_the_pages(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, authoriser = people["owner"], people["authoriser"]
    plan_id = await write_complete_plan(owner.client)
    await submit(owner, plan_id, council)
    name = await council_name(owner, plan_id)
    tray = f"/organisations/{council}/trays/plan_authorisation"
    assert plan_id in assert_page(await authoriser.client.get(tray))

    # The warning says what it means, before anything changes.
    form_url = f"/plans/{plan_id}/sharing/sign-off/withdraw"
    form = assert_page(await owner.client.get(form_url))
    assert f"Are you sure you want to stop sharing your plan with {name}?" in form
    means = text_of(form.split('id="withdrawing-means"')[1].split("</ul>")[0])
    assert "goes back to being a draft" in means and f"leaves {name}'s work trays" in means
    assert "no longer see these sections" in means and "About me" in means
    assert "Version 1, which is waiting for plan authorisation, will not be signed off" in means
    assert "submit it again" in means
    assert "Yes, withdraw consent" in form and "No, keep sharing it" in form
    token = csrf_token(form)

    # With a forged CSRF token the change is refused, and nothing changes.
    forged = await owner.client.post(
        form_url, data={"confirm": "yes", "state": "submitted"}, headers={CSRF_HEADER_NAME: "x"}
    )
    assert forged.status_code == 403
    assert (await status(owner, plan_id))["state"] == "submitted"

    # A page read before the plan moved on: the warning is shown again with the reason.
    stale = await owner.client.post(
        form_url, data={"confirm": "yes", "state": "plan_authorised", "_csrf_token": token}
    )
    page = assert_page(stale, 409)
    assert error_summary(page) == [
        (
            "#withdraw",
            "The plan is now 'submitted', not as it was when you read what withdrawing means. "
            "Read it again, then decide.",
        )
    ]
    assert (await status(owner, plan_id))["state"] == "submitted"

    done = await owner.client.post(
        form_url, data={"confirm": "yes", "state": "submitted", "_csrf_token": token}
    )
    assert done.status_code == 303, done.text[:2000]
    assert done.headers["location"] == f"/plans/{plan_id}/sharing?done=consent_withdrawn"
    after = assert_page(await owner.client.get(done.headers["location"]))
    assert "Consent withdrawn: the plan is a draft again, out of sign-off" in after
    assert 'id="sign-off-sharing"' not in after

    # Gone from the authoriser's tray; their pages of the plan are "Page not found".
    assert plan_id not in assert_page(await authoriser.client.get(tray))
    for path in ("", "/sections/about_me", "/sign-off", "/decide", "/money"):
        response = await authoriser.client.get(f"/plans/{plan_id}{path}")
        assert response.status_code == 404, path
    assert (await verify()).ok

    # The person's sign-off page tells the story; they can submit again.
    sign_off = assert_page(await owner.client.get(f"/plans/{plan_id}/sign-off"))
    assert "Withdrew consent to share the plan for sign-off" in sign_off
    assert "Consent withdrawn" in sign_off
    assert f'href="/plans/{plan_id}/submit"' in sign_off
    again = await submit(owner, plan_id, council)
    assert again["state"] == "submitted" and again["submitted_version"] == 2
    assert plan_id in assert_page(await authoriser.client.get(tray))

    # Once nothing is shared, the withdraw page says so and offers no button.
    await owner.client.post(f"/api/v1/plans/{plan_id}/withdraw-consent", json={"confirm": True})
    nothing = assert_page(await owner.client.get(form_url))
    assert "Your plan is not shared for sign-off" in nothing and "Yes, withdraw" not in nothing
    refused = await owner.client.post(
        form_url, data={"confirm": "yes", "_csrf_token": csrf_token(nothing)}
    )
    assert "no consent to withdraw" in assert_page(refused, 409)


async def test_nobody_else_opens_the_withdraw_page(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, gp = people["owner"], people["gp"]
    plan_id = await write_complete_plan(owner.client)
    granted = await owner.client.post(
        f"/api/v1/plans/{plan_id}/grants",
        json={
            "grantee_email": gp.email,
            "sections": ["about_me"],
            "access": "view",
            "purpose": "My GP",
        },
    )
    assert granted.status_code == 201, granted.text
    await submit(owner, plan_id, council)
    form_url = f"/plans/{plan_id}/sharing/sign-off/withdraw"
    assert_page(await people["stranger"].client.get(form_url), 404)
    refused = assert_page(await gp.client.get(form_url), 403)
    assert "power to share it, can withdraw consent" in refused
    assert_page(await people["authoriser"].client.get(form_url), 403)
    # A form sent anyway (with a real token from a page of their own) changes nothing.
    token = csrf_token(assert_page(await gp.client.get("/plans")))
    sent = await gp.client.post(form_url, data={"confirm": "yes", "_csrf_token": token})
    assert sent.status_code == 403
    assert (await status(owner, plan_id))["state"] == "submitted"
