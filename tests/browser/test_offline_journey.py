"""The installable app on a phone, offline: Chromium says the portal can be installed; a plan
opened once is read with no connection, with the offline notice; an edit made offline is kept
through closing the page and arrives when the phone is back online; a conflicting change made
meanwhile by someone else brings the choose-a-version screen; an edit for a plan no longer
shared is kept and shown, never lost; autosave saves while typing; signing out leaves nothing
of the person's on the phone."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.browser.conftest import LAUNCH_ARGS, PHONE, chromium_path
from tests.browser.test_sign_off_journey import account, checked, sign_in
from tests.conftest import PASSWORD, csrf_ready

pytestmark = pytest.mark.browser

OUTBOX = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open('portal', 1)
    open.onupgradeneeded = () => open.result.createObjectStore('outbox', { keyPath: 'id' })
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
        const tx = open.result.transaction('outbox', 'readonly')
        const all = tx.objectStore('outbox').getAll()
        all.onsuccess = () => { open.result.close(); resolve(all.result) }
    }
})"""
KEPT_PAGES = """async () => {
    const names = (await caches.keys()).filter((n) => n.startsWith('portal-pages-'))
    const paths = []
    for (const name of names) {
        const kept = await (await caches.open(name)).keys()
        for (const request of kept) paths.push(new URL(request.url).pathname)
    }
    return paths
}"""


async def api(live_server: str, email: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=live_server, timeout=30)
    await csrf_ready(http)
    signed = await http.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert signed.status_code == 201, signed.text
    return http


async def plan_with_about_me(http: httpx.AsyncClient, who_i_am: str) -> str:
    made = await http.post("/api/v1/plans", json={"kind": "care_and_support"})
    assert made.status_code == 201, made.text
    plan_id = str(made.json()["id"])
    await write_about_me(http, plan_id, who_i_am=who_i_am)
    return plan_id


async def about_me(http: httpx.AsyncClient, plan_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/v1/plans/{plan_id}/sections/about_me")
    assert response.status_code == 200, response.text
    return dict(response.json()["content"])


async def write_about_me(http: httpx.AsyncClient, plan_id: str, **fields: str) -> None:
    current = await http.get(f"/api/v1/plans/{plan_id}/sections/about_me")
    sent = await http.put(
        f"/api/v1/plans/{plan_id}/sections/about_me",
        json={**current.json()["content"], **fields},
        headers={"If-Match": current.headers["etag"]},
    )
    assert sent.status_code == 200, sent.text


async def share(http: httpx.AsyncClient, plan_id: str, email: str) -> str:
    shared = await http.post(
        f"/api/v1/plans/{plan_id}/grants",
        json={
            "grantee_email": email,
            "sections": ["about_me"],
            "access": "edit",
            "purpose": "To write the plan together",
        },
    )
    assert shared.status_code == 201, shared.text
    return str(shared.json()["id"])


async def app_ready(page: Any) -> None:
    """The service worker is in charge of this page, and the outbox has looked at the queue."""
    await page.wait_for_selector("html[data-outbox=ready]", state="attached")
    await page.evaluate("() => navigator.serviceWorker.ready")
    if not await page.evaluate("() => !!navigator.serviceWorker.controller"):
        await page.reload()
        await page.wait_for_selector("html[data-outbox=ready]", state="attached")
    assert await page.evaluate("() => !!navigator.serviceWorker.controller")


async def opened_on_the_phone(page: Any, live_server: str, email: str, plan_id: str) -> None:
    """Sign in and open the plan and its "About me" online, so the phone keeps both."""
    await sign_in(page, live_server, email, f"/plans/{plan_id}")
    await app_ready(page)
    await page.goto(f"{live_server}/plans/{plan_id}/sections/about_me")
    await app_ready(page)


async def offline_edit(page: Any, live_server: str, plan_id: str, text: str) -> None:
    """Open the plan and its "About me" online (so the phone keeps them), then offline edit
    "Who I am" and press Save."""
    await page.goto(f"{live_server}/plans/{plan_id}")
    await app_ready(page)
    await page.goto(f"{live_server}/plans/{plan_id}/sections/about_me")
    await app_ready(page)
    await page.context.set_offline(True)
    await page.goto(f"{live_server}/plans/{plan_id}/sections/about_me")
    notice = page.locator("#offline-notice")
    await notice.wait_for(state="visible")
    await page.get_by_label("Who I am").fill(text)
    await page.get_by_role("button", name="Save", exact=True).click()
    await page.locator("#save-status").get_by_text("You are offline").wait_for()
    kept = await page.evaluate(OUTBOX)
    assert [dict(e["fields"]).get("who_i_am") for e in kept] == [text]


async def test_the_portal_can_be_installed_and_opens_to_my_plans(
    app, live_server, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    owner = await account("Maggie Owner")
    # A profile on disk: Chromium never offers to install from an incognito context, which
    # is what a plain new_context() is.
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium_path(),
            headless=True,
            args=LAUNCH_ARGS,
            bypass_csp=True,
            **PHONE,
        )
        try:
            await installable(context, live_server, owner)
        finally:
            await context.close()


async def installable(context: Any, live_server: str, owner: str) -> None:
    """Chromium finds nothing in the way of installing, and the app opens to my plans."""
    page = await context.new_page()
    await sign_in(page, live_server, owner, "/plans")
    await app_ready(page)
    cdp = await context.new_cdp_session(page)
    installability = await cdp.send("Page.getInstallabilityErrors")
    assert installability["installabilityErrors"] == [], installability
    manifest = await cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest
    assert manifest["url"] == f"{live_server}/manifest.webmanifest"
    # The installed app opens straight to the person's plans.
    parsed = await page.evaluate("() => fetch('/manifest.webmanifest').then((r) => r.json())")
    start = await page.goto(f"{live_server}{parsed['start_url']}")
    assert start is not None and start.status == 200
    assert page.url.startswith(f"{live_server}/plans")
    assert await page.locator("h1").inner_text() == "My plans"
    sizes = {icon["sizes"] for icon in parsed["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in parsed["icons"])
    for icon in parsed["icons"]:
        got = await page.request.get(f"{live_server}{icon['src']}")
        assert got.status == 200 and got.headers["content-type"] == "image/png", icon
    await checked(page, "your plans with the app installed")


async def test_read_offline_edit_close_and_the_edit_arrives_online(
    browser, app, live_server
) -> None:  # type: ignore[no-untyped-def]
    owner = await account("Maggie Owner")
    http = await api(live_server, owner)
    context = await browser.new_context(bypass_csp=True, **PHONE)
    try:
        plan_id = await plan_with_about_me(http, "I am Maggie and I love my garden.")
        page = await context.new_page()
        await opened_on_the_phone(page, live_server, owner, plan_id)
        assert set(await page.evaluate(KEPT_PAGES)) >= {
            f"/plans/{plan_id}",
            f"/plans/{plan_id}/sections/about_me",
        }

        # No connection: the plan is read from the phone, with the notice.
        await context.set_offline(True)
        await page.goto(f"{live_server}/plans/{plan_id}")
        notice = page.locator("#offline-notice")
        await notice.wait_for(state="visible")
        words = await notice.inner_text()
        assert "You are offline" in words and "Last updated" in words, words
        assert await notice.get_attribute("role") == "status"
        await checked(page, "plan read offline")
        # A page never opened on this phone says so.
        await page.goto(f"{live_server}/plans/{plan_id}/money")
        assert await page.locator("h1").inner_text() == "You are offline"

        # An edit made offline is kept on the phone, and the page is closed.
        changed = f"I am Maggie, offline {uuid.uuid4().hex[:6]}."
        await offline_edit(page, live_server, plan_id, changed)
        await checked(page, "section saved offline")
        await page.close()
        assert (await about_me(http, plan_id))["who_i_am"] == "I am Maggie and I love my garden."

        # Back online: the next page opened sends it, and says so.
        await context.set_offline(False)
        page = await context.new_page()
        await page.goto(f"{live_server}/plans")
        saved = page.locator("#kept-changes [data-outcome=saved]")
        await saved.wait_for()
        assert "has been saved" in await saved.inner_text()
        assert (await about_me(http, plan_id))["who_i_am"] == changed
        assert await page.evaluate(OUTBOX) == []
        await checked(page, "offline change saved")
    finally:
        await context.close()
        await http.aclose()


async def test_a_conflict_made_while_offline_shows_the_choose_a_version_screen(
    browser, app, live_server
) -> None:  # type: ignore[no-untyped-def]
    owner = await account("Maggie Owner")
    writer = await account("Sam Writer")
    http = await api(live_server, owner)
    other = await api(live_server, writer)
    context = await browser.new_context(bypass_csp=True, **PHONE)
    try:
        plan_id = await plan_with_about_me(http, "I am Maggie.")
        await share(http, plan_id, writer)
        page = await context.new_page()
        await sign_in(page, live_server, owner, f"/plans/{plan_id}")
        mine = "I am Maggie, written on the bus."
        await offline_edit(page, live_server, plan_id, mine)
        await page.close()
        # Meanwhile Sam changes the same answer.
        await write_about_me(other, plan_id, who_i_am="Maggie is my mum.")

        await context.set_offline(False)
        page = await context.new_page()
        await page.goto(f"{live_server}/plans/{plan_id}")
        conflict = page.locator("#kept-changes [data-outcome=conflict]")
        await conflict.wait_for()
        await checked(page, "offline change in conflict")
        # Nothing was decided for the person: both are still there to choose from.
        assert (await about_me(http, plan_id))["who_i_am"] == "Maggie is my mum."
        await conflict.get_by_role("button", name="Choose which version to keep").click()
        await page.wait_for_selector("h1:has-text('Someone else changed this section')")
        assert await page.locator("#mine-who_i_am").inner_text() == mine
        assert await page.locator("#theirs-who_i_am").inner_text() == "Maggie is my mum."
        await checked(page, "choose a version after offline")
        await page.get_by_label("Keep my version").check()
        await page.get_by_role("button", name="Save my choices").click()
        await page.wait_for_url(f"{live_server}/plans/{plan_id}?saved=about_me")
        assert (await about_me(http, plan_id))["who_i_am"] == mine
        await page.wait_for_selector("html[data-outbox=ready]", state="attached")
        assert await page.evaluate(OUTBOX) == []
    finally:
        await context.close()
        await http.aclose()
        await other.aclose()


async def test_an_edit_kept_for_a_plan_no_longer_shared_is_shown_not_lost(
    browser, app, live_server
) -> None:  # type: ignore[no-untyped-def]
    owner = await account("Maggie Owner")
    writer = await account("Sam Writer")
    http = await api(live_server, owner)
    context = await browser.new_context(bypass_csp=True, **PHONE)
    try:
        plan_id = await plan_with_about_me(http, "I am Maggie.")
        grant_id = await share(http, plan_id, writer)
        page = await context.new_page()
        await sign_in(page, live_server, writer, f"/plans/{plan_id}")
        text = "Maggie likes <b>tea</b> & cake."
        await offline_edit(page, live_server, plan_id, text)
        await page.close()
        revoked = await http.post(
            f"/api/v1/plans/{plan_id}/grants/{grant_id}/revoke", json={"reason": ""}
        )
        assert revoked.status_code == 200, revoked.text

        await context.set_offline(False)
        page = await context.new_page()
        await page.goto(f"{live_server}/plans")
        refused = page.locator("#kept-changes [data-outcome=refused]")
        await refused.wait_for()
        words = await refused.inner_text()
        assert "could not be saved" in words and text in words, words
        assert (await about_me(http, plan_id))["who_i_am"] == "I am Maggie."
        await checked(page, "kept change for a plan no longer shared")
        # Still on the phone until the person removes it.
        await page.reload()
        await refused.wait_for()
        await refused.get_by_role("button", name="Remove it from this phone").click()
        await refused.get_by_text("has been removed from this phone").wait_for()
        assert await page.evaluate(OUTBOX) == []
    finally:
        await context.close()
        await http.aclose()


async def test_autosave_while_typing_and_the_form_without_javascript(
    browser, app, live_server
) -> None:  # type: ignore[no-untyped-def]
    owner = await account("Maggie Owner")
    http = await api(live_server, owner)
    contexts = []
    try:
        plan_id = await plan_with_about_me(http, "I am Maggie.")
        context = await browser.new_context(bypass_csp=True, **PHONE)
        contexts.append(context)
        page = await context.new_page()
        await sign_in(page, live_server, owner, f"/plans/{plan_id}/sections/about_me")
        await page.wait_for_selector("html[data-outbox=ready]", state="attached")
        await page.get_by_label("Who I am").fill("I am Maggie, saved as I type.")
        await page.locator("#save-status").get_by_text("Saved at").wait_for()
        assert (await about_me(http, plan_id))["who_i_am"] == "I am Maggie, saved as I type."
        # Typing on, then Save: one more save on top of the autosaved one, no conflict.
        await page.get_by_label("My strengths and skills").fill("Baking.")
        await page.get_by_role("button", name="Save", exact=True).click()
        await page.wait_for_url(f"{live_server}/plans/{plan_id}?saved=about_me")
        content = await about_me(http, plan_id)
        assert content["who_i_am"] == "I am Maggie, saved as I type."
        assert content["strengths_and_skills"] == "Baking."
        assert await page.locator("#live-updates").is_hidden()

        plain = await browser.new_context(java_script_enabled=False, **PHONE)
        contexts.append(plain)
        page = await plain.new_page()
        await sign_in(page, live_server, owner, f"/plans/{plan_id}/sections/about_me")
        await page.get_by_label("Who I am").fill("I am Maggie, without scripts.")
        await page.get_by_role("button", name="Save", exact=True).click()
        await page.wait_for_url(f"{live_server}/plans/{plan_id}?saved=about_me")
        assert (await about_me(http, plan_id))["who_i_am"] == "I am Maggie, without scripts."
    finally:
        for context in contexts:
            await context.close()
        await http.aclose()


async def test_signing_out_leaves_nothing_of_the_person_on_the_phone(
    browser, app, live_server
) -> None:  # type: ignore[no-untyped-def]
    owner = await account("Maggie Owner")
    http = await api(live_server, owner)
    context = await browser.new_context(bypass_csp=True, **PHONE)
    try:
        plan_id = await plan_with_about_me(http, "I am Maggie.")
        page = await context.new_page()
        await opened_on_the_phone(page, live_server, owner, plan_id)
        await page.get_by_label("Who I am").fill("Half a thought")
        await page.wait_for_function(f"async () => ({OUTBOX})().then((kept) => kept.length > 0)")
        assert await page.evaluate(KEPT_PAGES)
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url(f"{live_server}/sign-in")
        assert await page.evaluate(KEPT_PAGES) == []
        # The sign-in page registers the worker again (Clear-Site-Data removed it); it keeps
        # the shell only.
        await page.evaluate("() => navigator.serviceWorker.ready")
        databases = await page.evaluate("() => indexedDB.databases()")
        assert all(d["name"] != "portal" for d in databases) or await page.evaluate(OUTBOX) == []
        # Offline now, the plan is not on the phone any more.
        await context.set_offline(True)
        await page.goto(f"{live_server}/plans/{plan_id}")
        assert await page.locator("h1").inner_text() == "You are offline"
        assert "I am Maggie" not in await page.content()
    finally:
        await context.close()
        await http.aclose()
