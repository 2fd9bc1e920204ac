"""Sign-off in a real browser: the person submits their plan on a phone; a plan authoriser and
then a budget authoriser, each at a desktop, find it in their work tray and decide; the person
then sees their plan agreed. axe-core checks every page visited.

Set PORTAL_SCREENSHOTS to a directory to keep a screenshot of each page this journey checks.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, assert_accessible
from tests.conftest import PASSWORD, csrf_ready
from tests.factories import give_role, make_organisation, write_complete_plan

pytestmark = pytest.mark.browser

DESKTOP: dict[str, Any] = {
    "viewport": {"width": 1280, "height": 800},
    "locale": "en-GB",
    "timezone_id": "Europe/London",
}


async def checked(page: Any, label: str) -> None:
    """axe-core finds nothing wrong here; with PORTAL_SCREENSHOTS set, keep a picture too."""
    await assert_accessible(page, label)
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        # Playwright makes the folder if it is not there.
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        await page.screenshot(path=os.path.join(folder, f"sign-off-{name}.png"), full_page=True)


async def account(name: str) -> str:
    from portal.accounts.service import create_user

    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, name)
    return email


async def sign_in(page: Any, live_server: str, email: str, then: str) -> None:
    await page.goto(f"{live_server}/sign-in")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{live_server}/plans")
    await page.goto(f"{live_server}{then}")


async def written_plan(live_server: str, email: str) -> str:
    """The person's complete plan, written through the API of the live server."""
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        await csrf_ready(http)
        signed_in = await http.post("/api/v1/session", json={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 201, signed_in.text
        return await write_complete_plan(http)


async def test_submitted_on_a_phone_authorised_at_desktops_agreed_on_the_phone(  # type: ignore[no-untyped-def]
    browser, app, live_server
) -> None:
    council_name = f"Northshire {uuid.uuid4().hex[:6]} Council"
    council = await make_organisation(council_name, "council")
    # Another council, so that the person chooses who signs it off.
    await make_organisation(kind="council")
    owner = await account("Maggie Morgan")
    authoriser = await account("Casey Jones")
    budget = await account("Robin Budget")
    await give_role(authoriser, council, "plan_authoriser")
    await give_role(budget, council, "budget_authoriser", 5_000_000)
    plan_id = await written_plan(live_server, owner)
    plan_url = f"{live_server}/plans/{plan_id}"

    phone_context = await browser.new_context(bypass_csp=True, **PHONE)
    desk_context = await browser.new_context(bypass_csp=True, **DESKTOP)
    budget_context = await browser.new_context(bypass_csp=True, **DESKTOP)
    for context in (phone_context, desk_context, budget_context):
        context.set_default_timeout(15_000)
    try:
        # On the phone: from the overview to the sign-off page, then submit.
        phone = await phone_context.new_page()
        await sign_in(phone, live_server, owner, f"/plans/{plan_id}")
        await phone.get_by_role("link", name=re.compile("^Sign-off of your plan")).click()
        await phone.wait_for_url(f"{plan_url}/sign-off")
        assert (await phone.locator("#sign-off-state").inner_text()).strip() == "Draft"
        await checked(phone, "sign-off page, draft")
        await phone.get_by_role("link", name="Submit your plan").click()
        await phone.wait_for_url(f"{plan_url}/submit")
        shared = await phone.locator("#shared-sections li").all_inner_texts()
        assert shared[0] == "My starting point" and shared[-1] == "Review" and len(shared) == 9
        await checked(phone, "submit page (phone)")

        # Not agreeing yet: the error summary says what to do, and takes focus.
        await phone.get_by_label(council_name).check()
        await phone.get_by_role("button", name="Submit your plan").click()
        await phone.wait_for_load_state()
        summary = phone.locator(".nhsuk-error-summary")
        assert "Tick that you agree" in await summary.inner_text()
        await checked(phone, "submit page with an error (phone)")
        await phone.get_by_label(
            "I agree to share these sections with the organisation you choose"
        ).check()
        await phone.get_by_role("button", name="Submit your plan").click()
        await phone.wait_for_url(f"{plan_url}/sign-off?done=submitted")
        assert "Plan submitted for sign-off" in await phone.locator("main").inner_text()
        assert (await phone.locator("#sign-off-state").inner_text()).strip() == (
            "Submitted: awaiting plan authorisation"
        )
        await checked(phone, "sign-off page, submitted (phone)")

        # At a desktop: the plan authoriser's trays, the tray, the plan, and the decision.
        desk = await desk_context.new_page()
        await sign_in(desk, live_server, authoriser, "/organisations")
        await checked(desk, "your organisations")
        await desk.get_by_role("link", name=re.compile(f"^Work trays of {council_name}")).click()
        await desk.wait_for_url(f"{live_server}/organisations/{council}/trays")
        await checked(desk, "work trays")
        await desk.get_by_role("link", name="Awaiting plan authorisation").click()
        await desk.wait_for_url(f"{live_server}/organisations/{council}/trays/plan_authorisation")
        await checked(desk, "plan authorisation tray")
        await desk.locator(f'a[href="/plans/{plan_id}/decide"]').click()
        await desk.wait_for_url(f"{plan_url}/decide")
        main = await desk.locator("main").inner_text()
        assert "Decide on Maggie Morgan's plan" in main and "everyone calls me Maggie" in main
        assert "£11,264.00 a year" in main
        # The outcomes come first: the plan is authorised once each one is agreed or declined.
        assert "Still to decide" in main
        assert await desk.get_by_role("button", name="Authorise the plan").count() == 0
        await checked(desk, "decide page, plan authoriser (desktop)")
        # Each outcome keeps its form once decided (a decision can be changed): agree each once.
        agree = desk.get_by_role("button", name=re.compile(r"^Agree "))
        for index in range(await agree.count()):
            await agree.nth(index).click()
            await desk.wait_for_url(f"{plan_url}/decide?done=outcome_agreed")
        assert "Still to decide" not in await desk.locator("main").inner_text()
        await checked(desk, "decide page, outcomes agreed (desktop)")
        await desk.get_by_label("A note for the record (optional)").fill("Clear and complete.")
        await desk.get_by_role("button", name="Authorise the plan").click()
        await desk.wait_for_url(re.compile(r"/trays/plan_authorisation\?done=authorised$"))
        assert "Plan authorised" in await desk.locator(".nhsuk-notification-banner").inner_text()
        await checked(desk, "tray after authorising")

        # At another desktop: the budget authoriser agrees the budget, giving the reason.
        desk2 = await budget_context.new_page()
        await sign_in(
            desk2, live_server, budget, f"/organisations/{council}/trays/budget_authorisation"
        )
        assert "£11,264.00" in await desk2.locator("#tray").inner_text()
        await checked(desk2, "budget authorisation tray")
        await desk2.locator(f'a[href="/plans/{plan_id}/decide"]').click()
        await desk2.wait_for_url(f"{plan_url}/decide")
        # The council's own allocation, which the budget is checked against, is set first.
        assert "Set the indicative allocation first" in await desk2.locator("main").inner_text()
        await desk2.get_by_label("Indicative allocation a year").fill("18,500.00")
        await desk2.get_by_role("button", name="Set the allocation").click()
        await desk2.wait_for_url(f"{plan_url}/decide?done=allocation_set")
        assert "£18,500.00 a year, set by Robin Budget" in (
            await desk2.locator("#allocation").inner_text()
        )
        reason = desk2.get_by_label("Reason for the budget variation", exact=True)
        assert "less than the indicative allocation" in (
            await desk2.locator("#variation_reason-hint").inner_text()
        )
        await checked(desk2, "decide page, budget authoriser (desktop)")
        await reason.fill("The day centre place costs less than was allowed for.")
        await desk2.get_by_role("button", name="Authorise the budget").click()
        await desk2.wait_for_url(re.compile(r"/trays/budget_authorisation\?done=agreed$"))
        banner = await desk2.locator(".nhsuk-notification-banner").inner_text()
        assert "the plan is agreed" in banner
        await checked(desk2, "tray after agreeing")

        # Back on the phone: the plan is agreed, with who agreed it and why the budget differs.
        await phone.goto(f"{plan_url}/sign-off")
        assert (await phone.locator("#sign-off-state").inner_text()).strip() == "Agreed"
        given = await phone.locator("#organisation-allocation").inner_text()
        assert "£18,500.00 a year" in given and "Set by Robin Budget" in given
        decisions = await phone.locator("#decisions").inner_text()
        assert "Authorised the budget: the plan is agreed" in decisions
        assert "Robin Budget" in decisions and "costs less than was allowed for" in decisions
        await checked(phone, "sign-off page, agreed (phone)")
        await phone.get_by_role("link", name="Read version 1").click()
        await phone.wait_for_url(f"{plan_url}/versions/1")
        assert "Agreed" in await phone.locator("#version-facts").inner_text()
        await checked(phone, "agreed version (phone)")
    finally:
        for context in (phone_context, desk_context, budget_context):
            await context.close()
