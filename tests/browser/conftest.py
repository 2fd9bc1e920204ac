"""A real Chromium (Debian's) driven by async Playwright, on a phone-sized screen.

Pages come from `live_server` (a real `portal serve` on the test database); people are
created in this process through the accounts service, on the same database.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "en-GB",
    "timezone_id": "Europe/London",
}


def chromium_path() -> str | None:
    # Debian's `chromium` is a wrapper script; the real binary starts faster.
    real = Path("/usr/lib/chromium/chromium")
    if real.exists():
        return str(real)
    return shutil.which("chromium")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    executable = chromium_path()
    if executable is None:
        # A missing browser is a broken set-up, not a reason to pass quietly.
        pytest.fail("Chromium is not installed: run scripts/ensure-chromium (make test does).")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def phone(browser) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    """A page in a fresh phone context; CSP bypassed only so that axe can be injected."""
    context = await browser.new_context(bypass_csp=True, **PHONE)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()


class Person:
    def __init__(self, email: str, password: str, name: str) -> None:
        self.email = email
        self.password = password
        self.name = name


@pytest.fixture
async def person(app, live_server) -> Person:  # type: ignore[no-untyped-def]
    """Someone with a local account, made in this process on the live server's database."""
    from portal.accounts.service import create_user
    from tests.conftest import PASSWORD

    email = f"journey-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, "Jo Journey")
    return Person(email, PASSWORD, "Jo Journey")


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}\n"
            f"  {violation['helpUrl']}"
        )
        for node in violation["nodes"][:5]:
            lines.append(f"    at {json.dumps(node['target'])}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            lines.append(f"      {summary}")
    return "\n".join(lines)


async def assert_accessible(page: Any, label: str = "") -> None:
    """axe-core finds no WCAG 2.2 A/AA violation on the page as it is now."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    results = await page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return {violations: r.violations, passes: r.passes.length};
        }""",
        WCAG_TAGS,
    )
    violations = results["violations"]
    where = f"{label or await page.title()} ({page.url})"
    assert not violations, f"axe found problems on {where}:\n{_describe(violations)}"
    assert results["passes"] > 0, f"axe checked nothing on {where}"
