"""Printing in a real browser: the person downloads their plan on a phone, in standard and large
print, and the files are tagged PDFs holding the plan; a plan authoriser at a desktop checks a
printed copy's verification code against the agreed version. axe-core checks every page visited.

Set PORTAL_SCREENSHOTS to a directory to keep a screenshot of each page this journey checks.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pikepdf
import pypdfium2 as pdfium
import pytest

from tests.browser.conftest import PHONE, assert_accessible
from tests.browser.test_sign_off_journey import DESKTOP, account, sign_in, written_plan
from tests.conftest import PASSWORD, csrf_ready
from tests.factories import decide_outcomes, give_role, make_organisation, set_allocation

pytestmark = pytest.mark.browser

SECTION_TITLES = ["About me", "Money"]


async def checked(page: Any, label: str) -> None:
    """axe-core finds nothing wrong here; with PORTAL_SCREENSHOTS set, keep a picture too."""
    await assert_accessible(page, label)
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        # Playwright makes the folder if it is not there.
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        await page.screenshot(path=os.path.join(folder, f"print-{name}.png"), full_page=True)


async def follow_header_link(page: Any, name: str) -> None:
    """Click a link of the NHS.UK header; on a narrow screen it may sit in the "More" menu."""
    link = page.locator("header").get_by_role("link", name=name, exact=True)
    if not await link.is_visible():
        await page.locator("header").get_by_role("button", name="More").click()
    await link.click()


def read_pdf(path: Path) -> tuple[pikepdf.Pdf, str, int]:
    """The file opened with pikepdf, the text PDFium draws on its pages, and its page count."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), data[:40]
    document = pdfium.PdfDocument(data)
    try:
        text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
        pages = len(document)
    finally:
        document.close()
    return pikepdf.open(path), text, pages


def assert_tagged_plan(path: Path) -> tuple[str, int]:
    """A tagged PDF in British English that holds the plan; returns its text and page count."""
    pdf, text, pages = read_pdf(path)
    with pdf:
        root = pdf.Root
        assert str(root.get("/Lang", "")) == "en-GB"
        assert "/StructTreeRoot" in root, "the PDF has no structure tree"
        mark_info = root.get("/MarkInfo")
        assert mark_info is not None and bool(mark_info.get("/Marked")), "not marked as tagged"
    for title in [*SECTION_TITLES, "About this copy"]:
        assert title in text, f"{title!r} is not in {path.name}"
    return text, pages


def assert_named_by_ids(filename: str, plan_id: str, large: bool) -> None:
    """The suggested name carries the plan's id and a date, never words from the plan."""
    assert filename.startswith("plan-") and filename.endswith(".pdf"), filename
    suffix = "-large-print" if large else ""
    assert re.fullmatch(rf"plan-{plan_id}{suffix}-\d{{4}}-\d{{2}}-\d{{2}}\.pdf", filename), filename


async def download(page: Any, link_name: str, into: Path) -> tuple[Path, str]:
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name=link_name, exact=True).click()
    got = await waiting.value
    assert await got.failure() is None
    path = into / got.suggested_filename
    await got.save_as(path)
    return path, got.suggested_filename


async def test_a_person_downloads_their_plan_on_a_phone_in_standard_and_large_print(  # type: ignore[no-untyped-def]
    browser, app, live_server, tmp_path
) -> None:
    owner = await account("Maggie Morgan")
    plan_id = await written_plan(live_server, owner)
    plan_url = f"{live_server}/plans/{plan_id}"

    context = await browser.new_context(bypass_csp=True, accept_downloads=True, **PHONE)
    context.set_default_timeout(15_000)
    try:
        phone = await context.new_page()
        await sign_in(phone, live_server, owner, f"/plans/{plan_id}")
        await follow_header_link(phone, "Print or download")
        await phone.wait_for_url(f"{plan_url}/print")
        assert "Print or download" in await phone.locator("h1").inner_text()
        await checked(phone, "print page (phone)")

        standard, standard_name = await download(
            phone, "Download your plan (PDF, standard print)", tmp_path
        )
        assert_named_by_ids(standard_name, plan_id, large=False)
        _, standard_pages = assert_tagged_plan(standard)

        large, large_name = await download(
            phone, "Download your plan in large print (PDF, 18 point text)", tmp_path
        )
        assert_named_by_ids(large_name, plan_id, large=True)
        _, large_pages = assert_tagged_plan(large)
        # 18 point text takes more paper than the standard print.
        assert large_pages > standard_pages, (standard_pages, large_pages)

        # Downloading leaves the person on the print page.
        assert phone.url == f"{plan_url}/print"
    finally:
        await context.close()


async def agreed_plan(live_server: str, owner: str, council: uuid.UUID, staff: list[str]) -> str:
    """The owner's complete plan, submitted to the council and agreed by its staff (plan
    authoriser, then budget authoriser), all through the live server's API."""
    plan_id = await written_plan(live_server, owner)
    base = f"/api/v1/plans/{plan_id}"
    submitted = await as_person(
        live_server,
        owner,
        "POST",
        f"{base}/submit",
        {"organisation_id": str(council), "share_with_organisation": True},
    )
    assert submitted["decision"] == "submit", submitted
    for email, step, extra in (
        (staff[0], "authorise-plan", {}),
        (staff[1], "authorise-budget", {"variation_reason": "Day centre costs fall"}),
    ):
        async with signed_in(live_server, email) as http:
            # Outcomes are decided before the plan is authorised; the council's allocation
            # is set before the budget is.
            if step == "authorise-plan":
                await decide_outcomes(http, plan_id)
            else:
                await set_allocation(http, plan_id, 1_850_000)
            status = await http.get(f"{base}/sign-off")
            assert status.status_code == 200, status.text
            digest = status.json()["submitted_hash"]
            done = await http.post(f"{base}/{step}", json={"version_hash": digest, **extra})
            assert done.status_code == 200, done.text
    return plan_id


@asynccontextmanager
async def signed_in(live_server: str, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the live server, signed in as this person."""
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        await csrf_ready(http)
        response = await http.post("/api/v1/session", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.text
        yield http


async def as_person(
    live_server: str, email: str, method: str, path: str, body: Any = None
) -> dict[str, Any]:
    async with signed_in(live_server, email) as http:
        response = await http.request(method, path, json=body)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


async def test_a_plan_authoriser_checks_a_printed_copy_at_a_desktop(  # type: ignore[no-untyped-def]
    browser, app, live_server
) -> None:
    council = await make_organisation(kind="council")
    owner = await account("Maggie Morgan")
    authoriser = await account("Casey Jones")
    budget = await account("Robin Budget")
    await give_role(authoriser, council, "plan_authoriser")
    await give_role(budget, council, "budget_authoriser", 5_000_000)
    plan_id = await agreed_plan(live_server, owner, council, [authoriser, budget])
    sign_off = await as_person(live_server, owner, "GET", f"/api/v1/plans/{plan_id}/sign-off")
    assert sign_off["state"] == "agreed", sign_off
    code = sign_off["versions"][0]["verification_code"]
    check_url = f"{live_server}/plans/{plan_id}/check-copy"

    context = await browser.new_context(bypass_csp=True, **DESKTOP)
    context.set_default_timeout(15_000)
    try:
        desk = await context.new_page()
        await sign_in(desk, live_server, authoriser, f"/plans/{plan_id}/check-copy")
        assert "Check a printed copy" in await desk.locator("h1").inner_text()
        await checked(desk, "check a copy (desktop)")

        # The agreed version's code, as printed under "About this copy".
        await desk.fill("#code", code)
        await desk.get_by_role("button", name="Check the code").click()
        await desk.wait_for_url(check_url)
        result = await desk.locator("#check-result").inner_text()
        assert "The code matches the agreed version" in result, result
        assert "version 1" in result and code in result
        await checked(desk, "check a copy, matching (desktop)")

        # A code of the right shape that is no version of this plan.
        await desk.fill("#code", "0000-0000-0000")
        await desk.get_by_role("button", name="Check the code").click()
        await desk.wait_for_load_state()
        result = await desk.locator("#check-result").inner_text()
        assert "does not match" in result, result
        await checked(desk, "check a copy, not matching (desktop)")

        # Not a code at all: the NHS.UK error summary and the field's own error.
        await desk.fill("#code", "abc")
        await desk.get_by_role("button", name="Check the code").click()
        await desk.wait_for_load_state()
        summary = await desk.locator(".nhsuk-error-summary").inner_text()
        assert "There is a problem" in summary and "12 letters and digits" in summary, summary
        field_error = await desk.locator("#code-error").inner_text()
        assert "12 letters and digits" in field_error, field_error
        assert await desk.locator("#check-result").count() == 0
        assert (await desk.title()).startswith("Error: ")
        assert await desk.locator("#code").input_value() == "abc"
        await checked(desk, "check a copy with an error (desktop)")
    finally:
        await context.close()
