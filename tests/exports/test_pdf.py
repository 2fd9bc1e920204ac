"""The plan as an accessible PDF, read back as a screen reader or a checker would read it.

Real HTTP to the app, a real database, the real WeasyPrint in the app's worker processes; the
PDF is opened with pikepdf (catalogue, structure tree) and PDFium (the text of each tagged
element in reading order), never by looking at the HTML it was made from.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pypdfium2.raw as raw
import pytest

from bench.plan_content import SECTIONS, long_sections
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from tests.api.helpers import assert_problem, plan_url
from tests.conftest import Persona
from tests.exports.pdf_reading import ReadPdf
from tests.factories import write_complete_plan
from tests.signoff.test_sign_off import authorise_budget, authorise_plan, submit

FRONT_MATTER = ["About this copy", "Contents"]
HIGH_LIMIT = 5_000_000


@pytest.fixture(scope="module")
async def complete_plan(people) -> str:  # type: ignore[no-untyped-def]
    return await write_complete_plan(people["person"].client)


async def fetch_pdf(who: Persona, plan_id: str, **params: Any) -> ReadPdf:
    response = await who.client.get(f"{plan_url(plan_id)}/export/pdf", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="plan-') and plan_id in disposition
    keep = os.environ.get("PORTAL_SCREENSHOTS")
    if keep:
        name = f"{plan_id[:8]}-{params.get('variant', 'standard')}-{uuid.uuid4().hex[:4]}.pdf"
        (Path(keep) / name).write_bytes(response.content)
    return ReadPdf(response.content)


def section_headings(pdf: ReadPdf) -> list[str]:
    return [text for tag, text in pdf.headings() if tag == "H2" and text not in FRONT_MATTER]


def assert_accessible(pdf: ReadPdf) -> None:
    """What PDF/UA-1 asks that can be read off the file, for any plan and any audience."""
    assert pdf.lang == "en-GB"
    assert pdf.title.strip(), "the document has no title"
    assert pdf.shows_title, "viewers must show the title, not the file name"
    assert pdf.marked, "the PDF is not marked as tagged"
    tags = pdf.struct_tags()
    assert tags.count("H1") == 1 and "Document" in tags
    # Headings never skip a level: h1, then h2, h3, h4 one step at a time.
    levels = [int(tag[1]) for tag, _ in pdf.headings()]
    assert levels and levels[0] == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"a heading skips from H{before} to H{after}"
    # Every table has header cells, in a header row.
    for cells in pdf.struct_tables():
        assert "THead" in cells and "TH" in cells, f"a table without header cells: {cells[:8]}"
        assert cells.index("THead") < cells.index("TBody"), cells[:8]
    # Every figure has alternative text.
    assert all(alt.strip() for alt in pdf.figures()), pdf.figures()
    # Every font is embedded.
    fonts = pdf.fonts()
    assert fonts and all(embedded for _, embedded in fonts), fonts
    # The bookmarks follow the headings: the title, then each h2.
    outline = pdf.outline()
    assert outline[0][0] == 1
    assert [t for level, t in outline if level == 2] == [
        text for tag, text in pdf.headings() if tag == "H2"
    ]


def squash(text: str) -> str:
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def in_order(haystack: str, needles: list[str]) -> bool:
    at = 0
    for needle in needles:
        found = haystack.find(needle, at)
        if found < 0:
            return False
        at = found + len(needle)
    return True


async def test_the_person_gets_their_whole_plan_as_a_tagged_accessible_pdf(
    people, complete_plan
) -> None:  # type: ignore[no-untyped-def]
    pdf = await fetch_pdf(people["person"], complete_plan)
    assert_accessible(pdf)
    titles = [SECTION_TITLES[key] for key in SECTION_KEYS]
    # The structure tree's h2s are this copy's front matter, then every section in order.
    assert [t for tag, t in pdf.headings() if tag == "H2"] == FRONT_MATTER + titles
    assert section_headings(pdf) == titles
    # Each question the person answered is a heading under its section, in the first person.
    h3 = [t for tag, t in pdf.headings() if tag == "H3"]
    assert "What I enjoy doing and want to keep doing, or do more of" in h3
    assert "My support and what it costs" not in h3  # that is the table's caption
    # Lists are lists; the support, actions and contacts are tables with header cells.
    tags = Counter(pdf.struct_tags())
    assert tags["L"] >= 3 and tags["LI"] >= 6
    assert len(pdf.tables()) == 5  # outcomes, support, money totals, actions, contacts
    headers = [squash(e.text) for t in pdf.tables() for e in t.walk() if e.tag == "TH"]
    assert {"Support", "Cost", "A year", "What will happen", "By when", "Name"} <= set(headers)
    # The money figure says in words what its bar shows.
    assert pdf.figures() == [
        "My support costs £11,264.00 a year against an allocation of £18,500.00: under by "
        "£7,236.00 a year."
    ]
    # The text holds every section, in order, with the person's own words and UK money.
    text = squash(pdf.text())
    assert in_order(text, ["About this copy", "Not agreed", *titles])
    assert squash(SECTIONS["starting_point"]["what_i_enjoy"])[:60] in text
    assert "£7,722.00" in text and "£18,500.00" in text
    assert "This is my plan. I wrote it, with the people I chose." in text
    # Sentences built from what the person wrote never end twice ("notices.. How").
    assert not re.search(r"[a-z]\.\. [A-Z]", text), re.search(r".{30}[a-z]\.\. [A-Z].{10}", text)
    pdf.close()


def body_sizes(pdf: ReadPdf) -> Counter[float]:
    """The size of the text of every paragraph and list item, in points, as drawn."""
    sizes: Counter[float] = Counter()
    for index in range(len(pdf.pdfium)):
        page = pdf.pdfium[index]
        for obj in page.get_objects(max_depth=8):
            if obj.type != raw.FPDF_PAGEOBJ_TEXT:
                continue
            size = raw.c_float()
            assert raw.FPDFTextObj_GetFontSize(obj.raw, size)
            matrix = obj.get_matrix()
            sizes[round(size.value * matrix.d, 1)] += 1
    return sizes


async def test_large_print_is_18pt_and_more_in_one_column(people, complete_plan) -> None:  # type: ignore[no-untyped-def]
    standard = await fetch_pdf(people["person"], complete_plan)
    large = await fetch_pdf(people["person"], complete_plan, variant="large")
    assert_accessible(large)
    assert section_headings(large) == section_headings(standard)
    # Body text is 18pt or more: only the page footers (14pt) are smaller.
    sizes = body_sizes(large)
    small = {size: n for size, n in sizes.items() if size < 18}
    assert set(small) <= {14.0}, sizes
    assert sizes.most_common(1)[0][0] >= 18
    assert body_sizes(standard).most_common(1)[0][0] < 18
    # One column: support rows are headed lists, not a grid, so only the totals are a table.
    assert len(large.tables()) == 1
    h4 = [t for tag, t in large.headings() if tag == "H4"]
    assert "Community transport when my PA is off" in h4
    text = squash(large.text())
    assert "Who provides it: Hillsborough Community Transport" in text
    assert len(large.pdfium) > len(standard.pdfium)
    standard.close()
    large.close()


async def share(owner: Persona, plan_id: str, grantee: Persona, sections: list[str]) -> str:
    response = await owner.client.post(
        f"{plan_url(plan_id)}/grants",
        json={
            "grantee_email": grantee.email,
            "sections": sections,
            "access": "edit",
            "purpose": "To help me write my plan",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def access_log(owner: Persona, plan_id: str) -> list[dict[str, Any]]:
    response = await owner.client.get(f"{plan_url(plan_id)}/access-log")
    assert response.status_code == 200, response.text
    log: list[dict[str, Any]] = response.json()
    return log


async def test_anyone_else_gets_exactly_what_they_may_see_and_the_export_is_logged(
    people,
) -> None:  # type: ignore[no-untyped-def]
    person, planner = people["person"], people["planner"]
    plan_id = await write_complete_plan(person.client)
    shared = ["about_me", "outcomes"]
    grant_id = await share(person, plan_id, planner, shared)
    pdf = await fetch_pdf(planner, plan_id)
    assert_accessible(pdf)
    assert section_headings(pdf) == ["About me", "My outcomes"]
    text = squash(pdf.text())
    assert "This is the plan of Person." in text
    assert "This copy holds only the parts of the plan that Planner may see." in text
    # Nothing of a section the planner may not see: not its words, not its money.
    hidden_words = [
        SECTIONS["starting_point"]["what_i_enjoy"][:40],
        SECTIONS["money"]["holding_notes"][:40],
        SECTIONS["staying_safe"]["contingency_plan"][:40],
        "£7,722.00",
        "Hillsborough Community Transport",
    ]
    for words in hidden_words:
        assert squash(words) not in text, words
    assert pdf.figures() == []
    exported = [e for e in await access_log(person, plan_id) if e["event"] == "export"]
    assert [(e["who"], e["sections"]) for e in exported] == [("Planner", shared)]
    pdf.close()

    # The person prints the copy they would hand the planner: the same sections, and the
    # export is theirs in the log (the person's own reads are not listed, their exports are).
    as_planner = await fetch_pdf(person, plan_id, audience=f"grant:{grant_id}")
    assert section_headings(as_planner) == ["About me", "My outcomes"]
    assert "Made on" in squash(as_planner.text()) and "by Person for Planner" in squash(
        as_planner.text()
    )
    as_planner.close()
    # The planner cannot print someone else's view.
    assert_problem(
        await planner.client.get(
            f"{plan_url(plan_id)}/export/pdf", params={"audience": f"grant:{grant_id}"}
        ),
        403,
    )


async def test_an_agreed_version_says_so_and_a_printed_copy_can_be_checked(people, council) -> None:  # type: ignore[no-untyped-def]
    person = people["person"]
    plan_id = await write_complete_plan(person.client)
    await submit(person, plan_id, council)
    await authorise_plan(people["authoriser"], plan_id)
    agreed = await authorise_budget(people["budget"], plan_id)
    version = agreed["versions"][0]
    code = version["verification_code"]
    pdf = await fetch_pdf(person, plan_id)
    assert_accessible(pdf)
    text = squash(pdf.text())
    assert "Agreed version 1" in text
    assert f"Verification code: {code}" in text
    assert "by Budget" in text and "authorised on" in text and "by Authoriser" in text
    assert f"/plans/{plan_id}/check-copy" in text
    pdf.close()
    # The same version asked for by number says the same; staff print it too.
    staff_copy = await fetch_pdf(people["authoriser"], plan_id, version=1)
    assert f"Verification code: {code}" in squash(staff_copy.text())
    assert section_headings(staff_copy) == [SECTION_TITLES[k] for k in SECTION_KEYS[:9]]
    staff_copy.close()

    # Staff enter the code from the paper copy: it matches the agreed version.
    check = await people["authoriser"].client.post(
        f"{plan_url(plan_id)}/check-copy", json={"code": code.lower().replace("-", " ")}
    )
    assert check.status_code == 200, check.text
    assert check.json()["matches"] is True and check.json()["version"] == 1
    assert check.json()["status"] == "agreed"
    wrong = "0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111"
    miss = await people["authoriser"].client.post(
        f"{plan_url(plan_id)}/check-copy", json={"code": wrong}
    )
    assert miss.status_code == 200 and miss.json()["matches"] is False
    assert_problem(
        await people["authoriser"].client.post(
            f"{plan_url(plan_id)}/check-copy", json={"code": "not a code"}
        ),
        422,
        "12 letters and digits",
    )
    # Someone who may not open the plan learns nothing, not even whether the code matches.
    assert_problem(
        await people["stranger"].client.post(
            f"{plan_url(plan_id)}/check-copy", json={"code": code}
        ),
        404,
    )

    # Once the person changes the plan, a new copy is no longer the agreed version.
    section = await person.client.get(f"{plan_url(plan_id)}/sections/contacts")
    changed = await person.client.put(
        f"{plan_url(plan_id)}/sections/contacts",
        json={"notes": "Ring Claire first."},
        headers={"If-Match": section.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    draft = await fetch_pdf(person, plan_id)
    assert "Agreed version" not in squash(draft.text())
    assert "Not agreed" in squash(draft.text())
    draft.close()


HOSTILE = '<script>alert("x")</script><b onclick="x()">bold</b> &amp; {{ 7*7 }} ${x}'
RTL = "أنا أحب حديقتي שלום עולם"
EMOJI = "I like singing 🎶😀 and tea ☕ — Zoë, Łódź, 東京"
LONG_WORD = "Breathing" * 300


async def test_hostile_text_prints_literally_and_the_pdf_stays_accessible(people) -> None:  # type: ignore[no-untyped-def]
    person = people["person"]
    created = await person.client.post("/api/v1/plans", json={"kind": "care_and_support"})
    plan_id = str(created.json()["id"])
    base = plan_url(plan_id)
    contents = {
        "starting_point": {
            "what_i_enjoy": HOSTILE,
            "what_i_dont_like": RTL,
            "what_stops_me": EMOJI,
            "what_i_want_to_achieve": LONG_WORD,
        },
        "about_me": {"who_i_am": HOSTILE + "\n\n" + EMOJI},
        "working_not_working": {"working": [HOSTILE, RTL], "not_working": [LONG_WORD]},
        "review": {"care_coordinator_name": HOSTILE[:200]},
    }
    for key, content in contents.items():
        written = await person.client.put(
            f"{base}/sections/{key}", json=content, headers={"If-Match": '"0"'}
        )
        assert written.status_code == 200, written.text
    outcome = await person.client.post(
        f"{base}/outcomes", json={"title": HOSTILE[:200], "how": RTL}
    )
    assert outcome.status_code == 201, outcome.text
    # A huge table: 300 lines of support.
    for n in range(300):
        made = await person.client.post(
            f"{base}/support-items",
            json={
                "description": f"Support {n} {HOSTILE[:60]}",
                "provider": RTL[:100],
                "cost_pence": 1000 + n,
                "frequency": "weekly",
            },
        )
        assert made.status_code == 201, made.text
    for variant in ("standard", "large"):
        pdf = await fetch_pdf(person, plan_id, variant=variant)
        assert_accessible(pdf)
        text = pdf.text()
        flat = squash(text)
        # Shown as typed, never interpreted: the tags and the template syntax are text.
        assert '<script>alert("x")</script>' in flat
        assert '<b onclick="x()">bold</b> &amp; {{ 7*7 }} ${x}' in flat
        assert "49" not in flat.split("{{ 7*7 }}")[0][-5:]
        for words in ("🎶😀", "Zoë, Łódź, 東京", "☕"):
            assert words in flat, words
        for word in ("حديقتي", "שלום"):
            assert word in flat, word
        # The very long word is all there, broken over lines but not cut.
        # (Page footers come at the end of each page's text: take them out to join the pages.)
        joined = re.sub(r"Person – not agreed Page \d+ of \d+", "", text)
        assert re.sub(r"[^A-Za-z]", "", joined).count("Breathing") == 600
        assert "Support 299" in flat
        # Empty sections still have their heading, with nothing made up under them.
        assert section_headings(pdf) == [SECTION_TITLES[k] for k in SECTION_KEYS]
        assert "Not written yet" in flat
        if variant == "standard":
            support = [t for t in pdf.tables() if "Support 0" in t.text]
            assert support, "the support table is missing"
        pdf.close()


async def test_unknown_variant_audience_or_version_is_a_clear_4xx(
    people, complete_plan, client
) -> None:  # type: ignore[no-untyped-def]
    person = people["person"]
    url = f"{plan_url(complete_plan)}/export/pdf"
    assert_problem(
        await person.client.get(url, params={"variant": "huge"}), 400, "standard or large"
    )
    assert_problem(await person.client.get(url, params={"audience": "everyone"}), 400, "grant:")
    assert_problem(await person.client.get(url, params={"audience": f"grant:{uuid.uuid4()}"}), 404)
    assert_problem(await person.client.get(url, params={"version": 7}), 404, "no version 7")
    assert_problem(await person.client.get(url, params={"version": "seven"}), 422)
    assert_problem(await people["stranger"].client.get(url), 404)
    assert (await client.get(url)).status_code == 401
    # Nothing of the plan was exported by any of those.
    log = await access_log(person, complete_plan)
    assert not [e for e in log if e["event"] == "export" and e["who"] != "Person"]


async def test_a_30_page_plan_renders_off_the_event_loop(people) -> None:  # type: ignore[no-untyped-def]
    person = people["person"]
    created = await person.client.post("/api/v1/plans", json={"kind": "care_and_support"})
    plan_id = str(created.json()["id"])
    for key, content in long_sections().items():
        written = await person.client.put(
            f"{plan_url(plan_id)}/sections/{key}", json=content, headers={"If-Match": '"0"'}
        )
        assert written.status_code == 200, written.text
    # Warm the worker so the timing below is of rendering, not of starting a process.
    (await fetch_pdf(person, plan_id, variant="large")).close()

    started = time.perf_counter()
    export = asyncio.create_task(
        person.client.get(f"{plan_url(plan_id)}/export/pdf", params={"variant": "standard"})
    )
    await asyncio.sleep(0.3)
    waits = []
    for _ in range(5):
        before = time.perf_counter()
        health = await person.client.get("/health")
        waits.append(time.perf_counter() - before)
        assert health.status_code == 200
    assert not export.done(), "the PDF was made too quickly to show anything"
    response = await export
    took = time.perf_counter() - started
    assert response.status_code == 200
    pdf = ReadPdf(response.content)
    worst = max(waits) * 1000
    print(f"\n{len(pdf.pdfium)}-page PDF: {took:.2f} s; /health meanwhile: max {worst:.1f} ms")
    assert max(waits) < 0.25, waits
    assert 28 <= len(pdf.pdfium) <= 40, len(pdf.pdfium)
    assert_accessible(pdf)
    pdf.close()
