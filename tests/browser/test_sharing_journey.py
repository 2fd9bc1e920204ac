"""On a phone: the person invites a co-author, who creates an account from the link, edits the
one section shared with them and cannot open another; the person then sees both in
"who has looked at my plan". axe-core checks every page visited.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import PHONE, assert_accessible

pytestmark = pytest.mark.browser


async def test_invited_co_author_edits_only_their_section_and_the_owner_sees_it(  # type: ignore[no-untyped-def]
    browser, person, live_server
) -> None:
    owner_context = await browser.new_context(bypass_csp=True, **PHONE)
    helper_context = await browser.new_context(bypass_csp=True, **PHONE)
    owner_context.set_default_timeout(15_000)
    helper_context.set_default_timeout(15_000)
    try:
        page = await owner_context.new_page()

        # The person signs in and starts a plan.
        await page.goto(f"{live_server}/sign-in")
        await page.fill("#email", person.email)
        await page.fill("#password", person.password)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{live_server}/plans")
        await page.get_by_label("Personal health budget plan").check()
        await page.get_by_role("button", name="Start plan").click()
        await page.wait_for_url(re.compile(r"/plans/[0-9a-f-]{36}\?started=1$"))
        plan_url = page.url.split("?")[0]

        # From the overview: who can see my plan, then invite someone to help with "About me".
        await page.get_by_role("link", name=re.compile("^Who can see")).click()
        await page.wait_for_url(f"{plan_url}/sharing")
        await assert_accessible(page, "who can see my plan")
        await page.get_by_role("link", name="Invite someone to help").click()
        await page.wait_for_url(f"{plan_url}/sharing/invite")
        await assert_accessible(page, "invite form")
        await page.get_by_label("About me", exact=True).check()
        await page.get_by_label("Edit", exact=True).check()
        await page.get_by_label("What is it for?").fill("To help me write about myself")
        await page.get_by_role("button", name="Make the invitation link").click()
        link = await page.locator("#invitation-link").input_value()
        assert re.fullmatch(rf"{re.escape(live_server)}/invitations/[A-Za-z0-9_-]{{20,}}", link)
        await assert_accessible(page, "invitation link")

        # The co-author opens the link on their own phone and creates an account from it.
        helper = await helper_context.new_page()
        await helper.goto(link)
        assert "has invited you to help" in await helper.locator("h1").inner_text()
        assert "About me" in await helper.locator("main").inner_text()
        await assert_accessible(helper, "invitation")
        await helper.get_by_role("link", name="Create an account").click()
        await assert_accessible(helper, "create an account")
        await helper.get_by_label("Your name").fill("Bo Broker")
        await helper.get_by_label("Your email address").fill(
            f"bo-{uuid.uuid4().hex[:8]}@example.org"
        )
        await helper.get_by_label("Choose a password").fill("a-long-password-1")
        await helper.get_by_role("button", name="Create account and accept").click()
        await helper.wait_for_url(re.compile(re.escape(plan_url) + r"(\?.*)?$"))
        overview = await helper.locator("main").inner_text()
        assert "About me" in overview and "My starting point" not in overview
        await assert_accessible(helper, "shared plan overview")

        # They write in the section shared with them.
        await helper.goto(f"{plan_url}/sections/about_me")
        await assert_accessible(helper, "about me form")
        await helper.get_by_label("Who I am", exact=True).fill("Written with Bo's help")
        await helper.get_by_role("button", name="Save", exact=True).click()
        await helper.wait_for_url(f"{plan_url}?saved=about_me")

        # A section not shared with them is not there at all.
        refused = await helper.goto(f"{plan_url}/sections/starting_point")
        assert refused is not None and refused.status == 404
        await assert_accessible(helper, "not found")

        # The person sees the change and both events in "who has looked at my plan".
        await page.goto(f"{plan_url}/sections/about_me")
        assert await page.get_by_label("Who I am", exact=True).input_value() == (
            "Written with Bo's help"
        )
        await page.goto(plan_url)
        await page.get_by_role("link", name=re.compile("^Who has looked at")).click()
        await page.wait_for_url(f"{plan_url}/access-log")
        rows = [
            " | ".join(cell.strip() for cell in await row.locator("td, th").all_inner_texts())
            for row in await page.locator("tbody tr").all()
        ]
        changed = [r for r in rows if "Bo Broker" in r and "Changed" in r and "About me" in r]
        tried = [
            r
            for r in rows
            if "Bo Broker" in r and "Tried to open" in r and "My starting point" in r
        ]
        assert changed and tried, rows
        await assert_accessible(page, "who has looked at my plan")
    finally:
        await owner_context.close()
        await helper_context.close()
