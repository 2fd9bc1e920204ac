"""Live updates in real browsers: the person edits "About me" at a desktop while the planner
they share it with has the plan open on a phone; the planner's page says who is on which part
and who changed what, without a reload, and links to the latest. Someone shown only the money
is told nothing of "About me"."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, assert_accessible
from tests.browser.test_sign_off_journey import DESKTOP, account, checked, sign_in
from tests.conftest import PASSWORD, csrf_ready

pytestmark = pytest.mark.browser


async def plan_shared(live_server: str, owner: str, shares: dict[str, list[str]]) -> str:
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        await csrf_ready(http)
        signed = await http.post("/api/v1/session", json={"email": owner, "password": PASSWORD})
        assert signed.status_code == 201, signed.text
        made = await http.post("/api/v1/plans", json={"kind": "care_and_support"})
        plan_id = str(made.json()["id"])
        for email, sections in shares.items():
            shared = await http.post(
                f"/api/v1/plans/{plan_id}/grants",
                json={
                    "grantee_email": email,
                    "sections": sections,
                    "access": "view",
                    "purpose": "To help me plan",
                },
            )
            assert shared.status_code == 201, shared.text
        return plan_id


async def test_a_change_at_a_desktop_appears_on_the_planners_phone(  # type: ignore[no-untyped-def]
    browser, app, live_server
) -> None:
    owner = await account("Maggie Owner")
    planner = await account("Sam Planner")
    money_only = await account("Robin Money")
    plan_id = await plan_shared(live_server, owner, {planner: ["about_me"], money_only: ["money"]})
    contexts: list[Any] = []
    try:
        pages = {}
        for who, email, where in (
            ("planner", planner, PHONE),
            ("money", money_only, PHONE),
            ("owner", owner, DESKTOP),
        ):
            context = await browser.new_context(bypass_csp=True, **where)
            contexts.append(context)
            page = await context.new_page()
            await sign_in(page, live_server, email, f"/plans/{plan_id}")
            pages[who] = page
        # The readers' pages are open and listening before the change.
        for who in ("planner", "money"):
            await pages[who].wait_for_selector("html[data-live=ready]", state="attached")
        owner_page = pages["owner"]
        await owner_page.goto(f"{live_server}/plans/{plan_id}/sections/about_me")
        # Who else is here: the planner sees the person at "About me".
        presence = pages["planner"].locator("#live-presence")
        await presence.get_by_text("Maggie Owner (the person) is on About me.").wait_for(
            timeout=5000
        )
        await owner_page.get_by_label("Who I am").fill(f"I am Maggie {uuid.uuid4().hex[:4]}.")
        # Typing is told at once: the person is editing, not just reading.
        await presence.get_by_text("Maggie Owner (the person) is editing About me.").wait_for(
            timeout=5000
        )
        await owner_page.get_by_role("button", name="Save", exact=True).click()

        notice = pages["planner"].locator("#live-updates")
        await notice.wait_for(state="visible", timeout=5000)
        assert (await notice.inner_text()).startswith("Maggie Owner changed About me.")
        assert await notice.get_attribute("role") == "status"
        await checked(pages["planner"], "live update on a phone")
        await notice.get_by_role("link", name="See the latest version").click()
        await pages["planner"].wait_for_url(f"{live_server}/plans/{plan_id}")

        # The money reader was told nothing: About me is not theirs to see, nor who is on it.
        await pages["money"].wait_for_timeout(500)
        assert not await pages["money"].locator("#live-updates").is_visible()
        assert "About me" not in await pages["money"].locator("main").inner_text()
        await assert_accessible(pages["money"], "no live update for another section")
    finally:
        for context in contexts:
            await context.close()
