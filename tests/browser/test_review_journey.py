"""Reviews in a real browser. The person asks for a review of their agreed plan on a phone; a
care coordinator at a desktop finds it in the review requests tray, opens the plan's review
page and starts the review; the person then sees their plan is a draft again. A care provider
proposes a change to the hours on a phone, and the coordinator confirms it at a desktop; an
admin reads the organisation's tolerance. axe-core checks every page visited.

Set PORTAL_SCREENSHOTS to a directory to keep a screenshot of each page this journey checks.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, assert_accessible
from tests.browser.test_sign_off_journey import DESKTOP, sign_in
from tests.conftest import PASSWORD, Persona, csrf_ready
from tests.factories import give_role, make_organisation
from tests.signoff.test_reviews_and_changes import PA_MORNINGS, agreed_plan

pytestmark = pytest.mark.browser


async def checked(page: Any, label: str) -> None:
    """axe-core finds nothing wrong here; with PORTAL_SCREENSHOTS set, keep a picture too."""
    await assert_accessible(page, label)
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        await page.screenshot(path=os.path.join(folder, f"review-{name}.png"), full_page=True)


async def persona(app: Any, name: str) -> Persona:
    """An account, and an API client signed in as it on the app in this process (the same
    database the live server uses), to set the plan up as these people would."""
    from portal.accounts.service import create_user

    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, name)
    http = await csrf_ready(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    )
    signed_in = await http.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 201, signed_in.text
    return Persona(name, email, http)


@pytest.fixture
async def world(app) -> AsyncIterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """A council with its staff, a care provider, and Maggie's plan agreed by the council."""
    council_name = f"Northshire {uuid.uuid4().hex[:6]} Council"
    council = await make_organisation(council_name, "council")
    people = {
        "owner": await persona(app, "Maggie Morgan"),
        "authoriser": await persona(app, "Casey Jones"),
        "budget": await persona(app, "Robin Budget"),
        "coordinator": await persona(app, "Sam Carter"),
        "admin": await persona(app, "Alex Admin"),
        "provider": await persona(app, "Pat Provider"),
    }
    await give_role(people["authoriser"], council, "plan_authoriser")
    await give_role(people["budget"], council, "budget_authoriser", 10_000_000)
    await give_role(people["coordinator"], council, "coordinator")
    await give_role(people["admin"], council, "admin")
    await give_role(people["provider"], await make_organisation(kind="provider"), "coordinator")
    review_on = dt.date.today() + dt.timedelta(days=90)
    plan_id = await agreed_plan(people, council, review_date=review_on.isoformat())
    try:
        yield {
            "council": council,
            "council_name": council_name,
            "people": people,
            "plan_id": plan_id,
            "review_on": review_on,
        }
    finally:
        for who in people.values():
            await who.client.aclose()


async def test_asked_for_on_a_phone_started_at_a_desktop_a_draft_again_on_the_phone(  # type: ignore[no-untyped-def]
    browser, live_server, world
) -> None:
    people, council, plan_id = world["people"], world["council"], world["plan_id"]
    plan_url = f"{live_server}/plans/{plan_id}"
    review_on = world["review_on"]
    due = f"{review_on.day} {review_on:%B} {review_on.year}"

    phone_context = await browser.new_context(bypass_csp=True, **PHONE)
    desk_context = await browser.new_context(bypass_csp=True, **DESKTOP)
    for context in (phone_context, desk_context):
        context.set_default_timeout(15_000)
    try:
        # On the phone: the agreed plan's sign-off page offers a review.
        phone = await phone_context.new_page()
        await sign_in(phone, live_server, people["owner"].email, f"/plans/{plan_id}/sign-off")
        assert (await phone.locator("#sign-off-state").inner_text()).strip() == "Agreed"
        await checked(phone, "sign-off page, agreed (phone)")
        await phone.get_by_role("link", name="Ask for a review").click()
        await phone.wait_for_url(f"{plan_url}/review-request")
        assert (await phone.locator("#review-date").inner_text()).strip() == due
        hint = await phone.locator("#reason-hint").inner_text()
        assert f"The review is due on {due}" in hint and "say why" in hint
        await checked(phone, "review request page (phone)")

        # Before the review date a reason is needed: the error summary says so.
        await phone.get_by_role("button", name="Ask for a review").click()
        await phone.wait_for_load_state()
        summary = phone.locator(".nhsuk-error-summary")
        assert "before the review date" in await summary.inner_text()
        await checked(phone, "review request page with an error (phone)")
        await phone.get_by_label("What has changed").fill("My breathing is worse this winter.")
        await phone.get_by_role("button", name="Ask for a review").click()
        await phone.wait_for_url(f"{plan_url}/sign-off?done=review_requested")
        assert (
            "You asked for a review"
            in await phone.locator(".nhsuk-notification-banner").inner_text()
        )
        requests = await phone.locator("#review-requests").inner_text()
        assert (
            "My breathing is worse this winter." in requests and "Waiting for an answer" in requests
        )
        await checked(phone, "sign-off page, review asked for (phone)")

        # At a desktop: the coordinator's review requests tray, then the plan's review page.
        desk = await desk_context.new_page()
        await sign_in(
            desk, live_server, people["coordinator"].email, f"/organisations/{council}/trays"
        )
        await checked(desk, "work trays, coordinator (desktop)")
        await desk.get_by_role("link", name="Review requests").click()
        await desk.wait_for_url(f"{live_server}/organisations/{council}/trays/review_requests")
        assert "Maggie Morgan" in await desk.locator("#tray").inner_text()
        await checked(desk, "review requests tray (desktop)")
        await desk.locator(f'a[href="/plans/{plan_id}/review"]').click()
        await desk.wait_for_url(f"{plan_url}/review")
        main = await desk.locator("main").inner_text()
        assert "Review of Maggie Morgan's plan" in main
        assert "Asked by Maggie Morgan (the person)" in main
        assert "My breathing is worse this winter." in main
        await checked(desk, "review page (desktop)")
        await desk.get_by_label("A note for the record (optional)").fill("Home visit on Tuesday.")
        await desk.get_by_role("button", name="Start the review").click()
        await desk.wait_for_url(f"{plan_url}/review?done=started")
        banner = await desk.locator(".nhsuk-notification-banner").inner_text()
        assert "Review started" in banner
        assert (await desk.locator("#sign-off-state").inner_text()).strip() == "Draft"
        await checked(desk, "review page after starting (desktop)")

        # Back on the phone: the plan is a draft again, and the request has its answer.
        await phone.goto(f"{plan_url}/sign-off")
        assert (await phone.locator("#sign-off-state").inner_text()).strip() == "Draft"
        requests = await phone.locator("#review-requests").inner_text()
        assert "Review started" in requests and "Home visit on Tuesday." in requests
        decisions = await phone.locator("#decisions").inner_text()
        assert "Started a review" in decisions and "Sam Carter" in decisions
        await checked(phone, "sign-off page, review started (phone)")
    finally:
        for context in (phone_context, desk_context):
            await context.close()


async def test_a_change_proposed_on_a_phone_is_confirmed_at_a_desktop(  # type: ignore[no-untyped-def]
    browser, live_server, world
) -> None:
    people, council, plan_id = world["people"], world["council"], world["plan_id"]
    plan_url = f"{live_server}/plans/{plan_id}"

    phone_context = await browser.new_context(bypass_csp=True, **PHONE)
    desk_context = await browser.new_context(bypass_csp=True, **DESKTOP)
    for context in (phone_context, desk_context):
        context.set_default_timeout(15_000)
    try:
        # On the phone, the provider finds the line on the money page and proposes a change.
        phone = await phone_context.new_page()
        await sign_in(phone, live_server, people["provider"].email, f"/plans/{plan_id}/money")
        await checked(phone, "money page, provider (phone)")
        await phone.get_by_role("link", name=f"Propose a change to {PA_MORNINGS}").click()
        await phone.wait_for_url(re.compile(r"/package-changes/new\?item="))
        assert (await phone.locator("#hours-before").inner_text()).strip() == "9 hours a week"
        assert (await phone.locator("#cost-before").inner_text()).strip() == "£148.50 a week"
        await checked(phone, "propose a change page (phone)")
        await phone.get_by_role("button", name="Propose the change").click()
        await phone.wait_for_load_state()
        assert "Enter how many hours" in await phone.locator(".nhsuk-error-summary").inner_text()
        await checked(phone, "propose a change page with errors (phone)")
        await phone.locator("#after-hours").fill("10")
        await phone.locator("#after-minutes").fill("0")
        await phone.get_by_label("Weekly cost after the change").fill("165.00")
        await phone.get_by_label("Why the package needs to change").fill(
            "Mornings take longer since the winter."
        )
        await phone.get_by_role("button", name="Propose the change").click()
        await phone.wait_for_url(re.compile(r"/package-changes/[0-9a-f-]{36}\?done=proposed$"))
        route = await phone.locator("#change-route").inner_text()
        assert "Your coordinator will confirm this change" in route
        await checked(phone, "proposed change (phone)")

        # At a desktop, the coordinator confirms it from the tray's review page.
        desk = await desk_context.new_page()
        await sign_in(
            desk,
            live_server,
            people["coordinator"].email,
            f"/organisations/{council}/trays/changes_to_confirm",
        )
        await checked(desk, "changes to confirm tray (desktop)")
        await desk.locator(f'a[href="/plans/{plan_id}/review"]').click()
        await desk.wait_for_url(f"{plan_url}/review")
        assert "Within tolerance" in await desk.locator("#changes ~ .nhsuk-card").first.inner_text()
        await checked(desk, "review page with a change (desktop)")
        await desk.get_by_role("button", name=f"Confirm the change to {PA_MORNINGS}").click()
        # £16.50 a week more takes the cost above the agreed budget: the new version waits for
        # budget authorisation before it is agreed.
        await desk.wait_for_url(f"{plan_url}/review?done=change_for_budget")
        banner = await desk.locator(".nhsuk-notification-banner").inner_text()
        assert "Change confirmed" in banner and "waits for budget authorisation" in banner
        await checked(desk, "review page after confirming (desktop)")

        # The provider sees the new hours on the money page.
        await phone.goto(f"{plan_url}/money")
        assert "10 hours a week" in await phone.locator("#rows").inner_text()
        await checked(phone, "money page after the change (phone)")

        # An admin of the council reads and can change the tolerance.
        admin = await desk_context.new_page()
        await desk_context.clear_cookies()
        await sign_in(admin, live_server, people["admin"].email, f"/organisations/{council}")
        await admin.get_by_role("link", name="Tolerance for package changes").click()
        await admin.wait_for_url(f"{live_server}/organisations/{council}/tolerance")
        assert "up to 5 hours a week" in await admin.locator("#rule-words").inner_text()
        await checked(admin, "tolerance page, admin (desktop)")
    finally:
        for context in (phone_context, desk_context):
            await context.close()
