"""On a phone: someone the person shared "About me" with to view reads it as text, with no
form and nothing to type into; nothing is queued on their phone and the page is not kept for
reading offline. And the person, changing a plan they have submitted, is warned above the form
and nothing is saved until they press Save. axe-core checks every page visited.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, assert_accessible
from tests.browser.test_offline_journey import (
    KEPT_PAGES,
    OUTBOX,
    about_me,
    api,
    app_ready,
    plan_with_about_me,
)
from tests.browser.test_sign_off_journey import account, sign_in, written_plan
from tests.factories import make_organisation

pytestmark = pytest.mark.browser

WHO_I_AM = "I am Maggie. I love my garden and the singing group."


async def test_a_view_only_grantee_reads_the_section_as_text_and_keeps_nothing(  # type: ignore[no-untyped-def]
    browser, app, live_server
) -> None:
    owner = await account("Maggie Owner")
    viewer = await account("Gita Practitioner")
    http = await api(live_server, owner)
    context = await browser.new_context(bypass_csp=True, **PHONE)
    context.set_default_timeout(15_000)
    try:
        plan_id = await plan_with_about_me(http, WHO_I_AM)
        shared = await http.post(
            f"/api/v1/plans/{plan_id}/grants",
            json={
                "grantee_email": viewer,
                "sections": ["about_me"],
                "access": "view",
                "purpose": "My GP, to read who I am",
            },
        )
        assert shared.status_code == 201, shared.text
        page = await context.new_page()
        section_path = f"/plans/{plan_id}/sections/about_me"
        await sign_in(page, live_server, viewer, f"/plans/{plan_id}")
        await app_ready(page)
        await assert_accessible(page, "shared plan overview")
        await page.goto(f"{live_server}{section_path}")
        await app_ready(page)

        main = page.locator("main")
        # The section as text: the question and the person's own words.
        assert "About me" in await page.locator("h1").inner_text()
        text = await main.inner_text()
        assert "Who I am" in text and WHO_I_AM in text
        # Nothing to type into, nothing to press to save.
        assert await main.locator("form").count() == 0
        assert await main.locator("input, textarea, select, [contenteditable]").count() == 0
        assert await page.get_by_role("button", name="Save").count() == 0
        assert await page.locator("#save-status").count() == 0
        await assert_accessible(page, "about me, to read")

        # Nothing queued on the phone, and the page is not kept for reading offline.
        assert await page.evaluate(OUTBOX) == []
        kept = await page.evaluate(KEPT_PAGES)
        assert section_path not in kept and f"/plans/{plan_id}" not in kept, kept
        await context.set_offline(True)
        await page.goto(f"{live_server}{section_path}")
        assert await page.locator("h1").inner_text() == "You are offline"
        assert WHO_I_AM not in await page.content()
        await assert_accessible(page, "offline, nothing kept")
        await context.set_offline(False)

        # The person, on the same page, gets the form to change it.
        owner_context = await browser.new_context(bypass_csp=True, **PHONE)
        owner_context.set_default_timeout(15_000)
        try:
            mine = await owner_context.new_page()
            await sign_in(mine, live_server, owner, section_path)
            await mine.wait_for_selector("html[data-outbox=ready]", state="attached")
            assert await mine.get_by_label("Who I am").input_value() == WHO_I_AM
            assert await mine.get_by_role("button", name="Save", exact=True).count() == 1
        finally:
            await owner_context.close()
    finally:
        await context.close()
        await http.aclose()


async def test_typing_in_a_submitted_plan_waits_for_save(  # type: ignore[no-untyped-def]
    browser, app, live_server
) -> None:
    council = await make_organisation(kind="council")
    owner = await account("Maggie Owner")
    plan_id = await written_plan(live_server, owner)
    http = await api(live_server, owner)
    context = await browser.new_context(bypass_csp=True, **PHONE)
    context.set_default_timeout(15_000)
    try:
        submitted = await http.post(
            f"/api/v1/plans/{plan_id}/submit",
            json={"organisation_id": str(council), "share_with_organisation": True},
        )
        assert submitted.status_code == 200, submitted.text
        before = (await about_me(http, plan_id))["who_i_am"]
        page = await context.new_page()
        await sign_in(page, live_server, owner, f"/plans/{plan_id}/sections/about_me")
        await page.wait_for_selector("html[data-outbox=ready]", state="attached")
        warning = page.locator("#change-warning")
        assert "out of date" in await warning.inner_text()
        await assert_accessible(page, "about me, submitted, with the warning")

        # Typing is kept on the phone, held: no autosave, however long the pause.
        await page.get_by_label("Who I am").fill("A change after submitting")
        await page.wait_for_function(f"async () => ({OUTBOX})().then((kept) => kept.length === 1)")
        await page.wait_for_timeout(3_500)
        kept = await page.evaluate(OUTBOX)
        assert [entry["state"] for entry in kept] == ["held"]
        assert "Saved at" not in await page.locator("#save-status").inner_text()
        assert (await about_me(http, plan_id))["who_i_am"] == before
        # Another page does not send it behind the person's back either.
        await page.goto(f"{live_server}/plans/{plan_id}")
        await page.wait_for_selector("html[data-outbox=ready]", state="attached")
        assert (await about_me(http, plan_id))["who_i_am"] == before

        # Back on the section, the typing is filled in again; Save saves it, on purpose.
        await page.goto(f"{live_server}/plans/{plan_id}/sections/about_me")
        await page.wait_for_selector("html[data-outbox=ready]", state="attached")
        assert await page.get_by_label("Who I am").input_value() == "A change after submitting"
        assert (await about_me(http, plan_id))["who_i_am"] == before
        await page.get_by_role("button", name="Save", exact=True).click()
        await page.wait_for_url(f"{live_server}/plans/{plan_id}?saved=about_me")
        assert (await about_me(http, plan_id))["who_i_am"] == "A change after submitting"
        assert await page.evaluate(OUTBOX) == []
    finally:
        await context.close()
        await http.aclose()
