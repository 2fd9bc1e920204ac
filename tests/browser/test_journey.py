"""A person on a phone signs in, starts a plan, writes a section and sees it met.

Every page visited is checked with axe-core against WCAG 2.2 A and AA, including pages
showing errors and success banners.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


async def criterion_status(page, number: int) -> str:  # type: ignore[no-untyped-def]
    return (await page.locator(f"#criterion-{number}-status").inner_text()).strip()


async def test_phone_journey_from_sign_in_to_a_met_criterion(phone, person, live_server) -> None:  # type: ignore[no-untyped-def]
    page = phone

    # Signed out, the portal asks to sign in; a wrong password says so plainly.
    await page.goto(f"{live_server}/")
    assert page.url == f"{live_server}/sign-in"
    await assert_accessible(page, "sign in")
    await page.fill("#email", person.email)
    await page.fill("#password", "not-my-password")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()
    assert "There is a problem" in await page.locator(".nhsuk-error-summary").inner_text()
    await assert_accessible(page, "sign in with an error")

    await page.fill("#password", person.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{live_server}/plans")
    assert await page.locator("h1").inner_text() == "My plans"
    await assert_accessible(page, "my plans")

    # Start a plan.
    await page.get_by_label("Care and support plan").check()
    await page.get_by_label("Give your plan a name (optional)").fill("Jo's plan")
    await page.get_by_role("button", name="Start plan").click()
    await page.wait_for_url(re.compile(r"/plans/[0-9a-f-]{36}\?started=1$"))
    plan_url = page.url.split("?")[0]
    assert "Jo's plan" in await page.locator("h1").inner_text()
    assert await criterion_status(page, 1) == "Not started"
    await assert_accessible(page, "plan overview")

    # Open "My starting point", fill it in and save.
    await page.get_by_role("link", name="1. My starting point").click()
    await page.wait_for_url(f"{plan_url}/sections/starting_point")
    await assert_accessible(page, "section form")
    await page.get_by_label("What I enjoy doing and want to keep doing, or do more of").fill(
        "Gardening and walking the dog"
    )
    await page.get_by_label("What I want to achieve in the next part of my life").fill(
        "Get back to my allotment"
    )
    await page.get_by_label("Who helped me plan").fill("My daughter, Sam")
    await page.get_by_role("button", name="Save", exact=True).click()
    await page.wait_for_url(f"{plan_url}?saved=starting_point")
    assert (
        "My starting point saved" in await page.locator(".nhsuk-notification-banner").inner_text()
    )
    assert await criterion_status(page, 1) == "Met"
    assert "1 of 9 criteria met" in await page.locator("#criteria-count").inner_text()
    await assert_accessible(page, "overview after saving")

    # The section's history shows what was saved.
    await page.goto(f"{plan_url}/sections/starting_point/history")
    assert "Version 1" in await page.locator("#versions").inner_text()
    await assert_accessible(page, "history")

    # A date that cannot be real comes back with the error and what was typed.
    await page.goto(f"{plan_url}/sections/review")
    await assert_accessible(page, "review form")
    await page.get_by_label("My care coordinator", exact=True).fill("Pat Coordinator")
    await page.get_by_label("Day").fill("31")
    await page.get_by_label("Month").fill("2")
    await page.get_by_label("Year").fill("2027")
    await page.get_by_role("button", name="Save", exact=True).click()
    # With scripts the form is sent in the background first; its errors come as the page.
    await page.locator(".nhsuk-error-summary").wait_for()
    assert "must be a real date" in await page.locator(".nhsuk-error-summary").inner_text()
    assert (
        await page.get_by_label("My care coordinator", exact=True).input_value()
        == "Pat Coordinator"
    )
    await assert_accessible(page, "review form with an error")

    # The list pages, empty and with an item added.
    await page.goto(f"{plan_url}/outcomes")
    await assert_accessible(page, "outcomes")
    await page.get_by_label("The outcome I want").fill("Grow my own vegetables")
    await page.get_by_label("How I will achieve it").fill("Allotment twice a week with Sam")
    await page.get_by_role("button", name="Add outcome").click()
    await page.wait_for_url(f"{plan_url}/outcomes?added=outcome")
    assert "Grow my own vegetables" in await page.locator("#rows").inner_text()
    await assert_accessible(page, "outcomes with one")

    await page.goto(f"{plan_url}/money")
    await assert_accessible(page, "money")
    await page.get_by_label("What the support is").fill("Gardening help")
    await page.get_by_label("How much it costs").fill("25.50")
    await page.get_by_label("Every week").check()
    await page.get_by_label("Which outcome this helps you achieve").select_option(
        label="Grow my own vegetables"
    )
    await page.get_by_role("button", name="Add support item").click()
    await page.wait_for_url(f"{plan_url}/money?added=support")
    rows = await page.locator("#rows").inner_text()
    assert "£25.50 every week" in rows and "£1,326.00 a year" in rows
    await assert_accessible(page, "money with support")

    await page.goto(f"{plan_url}/sections/money")
    await assert_accessible(page, "money section form")

    await page.goto(f"{plan_url}/actions")
    await assert_accessible(page, "actions")
    await page.goto(f"{plan_url}/contacts")
    await assert_accessible(page, "contacts")

    # Signing out from the header works.
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{live_server}/sign-in")


async def test_the_journey_works_without_javascript(browser, person, live_server) -> None:  # type: ignore[no-untyped-def]
    from tests.browser.conftest import PHONE

    context = await browser.new_context(java_script_enabled=False, **PHONE)
    try:
        page = await context.new_page()
        await page.goto(f"{live_server}/plans")
        assert (
            page.url == f"{live_server}/sign-in?next=/plans" or page.url == f"{live_server}/sign-in"
        )
        await page.fill("#email", person.email)
        await page.fill("#password", person.password)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{live_server}/plans")
        await page.get_by_label("Personal health budget plan").check()
        await page.get_by_role("button", name="Start plan").click()
        await page.wait_for_url(re.compile(r"/plans/[0-9a-f-]{36}\?started=1$"))
        plan_url = page.url.split("?")[0]
        await page.goto(f"{plan_url}/sections/working_not_working")
        await page.get_by_label("What is working", exact=True).fill("My PA\nThe day centre")
        await page.get_by_label("What is not working").fill("Evenings alone")
        await page.get_by_role("button", name="Save", exact=True).click()
        await page.wait_for_url(f"{plan_url}?saved=working_not_working")
        assert (await page.locator("#criterion-3-status").inner_text()).strip() == "Met"
    finally:
        await context.close()


async def test_conflict_edit_and_remove_pages_are_accessible(phone, person, live_server) -> None:  # type: ignore[no-untyped-def]
    page = phone
    await page.goto(f"{live_server}/sign-in")
    await page.fill("#email", person.email)
    await page.fill("#password", person.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{live_server}/plans")
    await page.get_by_label("Carer's support plan").check()
    await page.get_by_role("button", name="Start plan").click()
    await page.wait_for_url(re.compile(r"\?started=1$"))
    plan_url = page.url.split("?")[0]

    # Two tabs open the same section; the second saves first, then the first one conflicts.
    await page.goto(f"{plan_url}/sections/about_me")
    other = await page.context.new_page()
    await other.goto(f"{plan_url}/sections/about_me")
    await other.get_by_label("Who I am").fill("Written in the other tab")
    await other.get_by_role("button", name="Save", exact=True).click()
    await other.wait_for_url(f"{plan_url}?saved=about_me")
    await other.close()

    await page.get_by_label("Who I am").fill("Written in this tab")
    await page.get_by_label("No", exact=True).check()
    await page.get_by_role("button", name="Save", exact=True).click()
    await page.wait_for_selector("h1:has-text('Someone else changed this section')")
    assert "Someone else changed this section" in await page.locator("h1").inner_text()
    assert "Written in this tab" in await page.locator("#mine-who_i_am").inner_text()
    assert "Written in the other tab" in await page.locator("#theirs-who_i_am").inner_text()
    await assert_accessible(page, "conflict")
    await page.get_by_role("button", name="Save my choices").click()
    await page.wait_for_load_state()
    assert "There is a problem" in await page.locator(".nhsuk-error-summary").inner_text()
    await assert_accessible(page, "conflict with an error")
    await page.get_by_label("Keep my version").check()
    await page.get_by_role("button", name="Save my choices").click()
    await page.wait_for_url(f"{plan_url}?saved=about_me")

    await page.goto(f"{plan_url}/contacts")
    await page.get_by_label("Name", exact=True).fill("Dr Patel")
    await page.get_by_role("button", name="Add contact").click()
    await page.wait_for_url(f"{plan_url}/contacts?added=contact")
    await page.get_by_role("link", name="Change Dr Patel").click()
    await assert_accessible(page, "change a contact")
    await page.get_by_role("link", name="Remove this contact").click()
    await assert_accessible(page, "remove a contact")
    await page.get_by_role("button", name="Yes, remove it").click()
    await page.wait_for_url(f"{plan_url}/contacts?removed=contact")
    assert "Contact removed" in await page.locator(".nhsuk-notification-banner").inner_text()

    await page.goto(f"{plan_url}/not-a-page")
    assert "Page not found" in await page.locator("h1").inner_text()
    await assert_accessible(page, "page not found")
