"""Benchmark the PDF export: a ~10-page plan in standard and large print, a long narrative,
and the memory of the app and of its PDF workers.

Run from the repository root:  .venv/bin/python bench/exports.py [--runs N | --quick]

It makes a fresh SQLite database in a temporary directory, migrates it, builds the real app
(`create_app(load_settings())`) and drives it over HTTP in this process, signed in as the
person. Each case is one `GET /api/v1/plans/{id}/export/pdf` for warm-up and N measured (the
median, min and max are reported), against WeasyPrint rendering the same finished HTML
(`plan_pdf_html`) directly in this process (`render_pdf_now`): the ratio portal / direct is
what the portal adds (database, template, the hop to a worker process and back, HTTP).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    # `bench.` and `tests.` are imported as the test suite imports them.
    sys.path.insert(0, str(REPO))

from bench.plan_content import long_sections  # noqa: E402

if TYPE_CHECKING:
    from litestar import Litestar

    from portal.core.actor import Actor

RESULTS = REPO / "bench" / "results" / "exports-latest.json"
EMAIL = "margaret.hughes@example.org"
PASSWORD = "bench-password-1"
PERSON = "Margaret Hughes"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")
# Over this much of a core used by other processes during a measurement skews it.
BUSY_PERCENT = 25
ATTEMPTS = 3  # in all, for one measurement (--quick: 1)


class BenchError(RuntimeError):
    """The benchmark could not set up or run; the message says what was seen."""


# --- the ~10-page plan: the complete plan, and what Maggie and Claire added at the meeting ----

# Fields written longer than in `SECTIONS`: a second paragraph after the first.
LONGER: dict[str, dict[str, str]] = {
    "starting_point": {
        "what_i_enjoy": (
            "In the summer I grow tomatoes and sweet peas in the little greenhouse Claire's "
            "husband built for me, and I give most of them away to the neighbours. I like "
            "listening to the afternoon play on the radio with a cup of tea, and doing the "
            "crossword with Pat on a Saturday morning. I would like to go back to the lunch "
            "club at the Methodist hall, which I stopped going to when the bus route changed."
        ),
        "what_i_dont_like": (
            "I do not like people talking about me as if I am not in the room, at the surgery "
            "or at the hospital. I do not like being told to use a commode downstairs: I want "
            "to sleep in my own bed upstairs for as long as I can manage the stairs safely."
        ),
        "what_i_want_to_achieve": (
            "I would also like to be able to cook Sunday dinner again with a bit of help, and to "
            "go on the church coach trip to Whitby in September. Most of all I want to feel "
            "that I am in charge of my own day, and that help fits around me."
        ),
        "what_stops_me": (
            "When I have been in hospital I lose my confidence for weeks and stop going out. "
            "Carers who do not know me do not notice when I am getting poorly, and by the time "
            "anyone does I am already in A&E. Money is tight and I worry about the heating bills."
        ),
    },
    "about_me": {
        "who_i_am": (
            "I was married to Ken for 44 years; he died four years ago and I still miss him "
            "every day. We have one daughter, Claire, and two grandchildren, Ellie who is 12 and "
            "Sam who is 9. I am chapel, not church, whatever Pat says, and I have sung alto in "
            "one choir or another since I was at school."
        ),
        "health_and_wellbeing_needs": (
            "I take four inhalers and a tablet for my blood pressure, and Dev has written down "
            "which is which. I use a rollator outside and a stick in the house. My hearing is "
            "not what it was, so please face me when you talk and do not cover your mouth. I "
            "sleep badly when my chest is tight and I am tired in the afternoons."
        ),
    },
    "staying_safe": {
        "contingency_plan": (
            "There is a folder on the kitchen table with this plan, my medicines list, my "
            "rescue plan and Claire's and Pat's numbers. Anyone covering for my PA should read "
            "the first two pages before they start. If I go into hospital, Claire will tell the "
            "singing group and the payroll service, and my PA's hours will be paid as usual "
            "for the first two weeks so that I do not lose her."
        ),
    },
    "review": {
        "how_reviewed": (
            "Before the review Claire and I will go through my diary and write down what has "
            "changed. I want the review to start with what I think, not with the paperwork, "
            "and I want a copy of anything written about me afterwards, in large print."
        ),
    },
}

# List entries added after those in `SECTIONS`.
MORE_ITEMS: dict[str, dict[str, list[str]]] = {
    "working_not_working": {
        "working": [
            "My daughter Claire comes on Wednesdays and Sundays and we plan the week together.",
            "The key safe means the nurses and the out-of-hours doctor can let themselves in.",
            "The singing group leader rings me when I miss a week, which makes me feel wanted.",
            "My pendant alarm: I used it once last year and help came within twenty minutes.",
        ],
        "not_working": [
            "I have no way to get to the lunch club since the 31 bus stopped coming up our road.",
            "My medicines come in different boxes each month and I get confused about which is "
            "which, especially when I am poorly.",
            "The bedroom is cold in winter because I am frightened of the heating bills.",
            "Hospital appointments are all at different places and I cannot get to most of them "
            "without Claire taking a day off work.",
        ],
    },
    "important_to_for": {
        "important_to_me": [
            "Going to chapel on Sunday mornings and having a chat with my friends afterwards.",
            "Looking after my garden and my greenhouse, even if someone else does the digging.",
            "Having the same people help me, who know how I like my tea and my mornings.",
            "Keeping my independence: I want to be asked, not told.",
        ],
        "important_for_me": [
            "Having my flu, COVID and pneumonia jabs every autumn.",
            "Eating properly, even on days when I am too tired to cook.",
            "Keeping my bedroom warm at night, because cold air sets my chest off.",
            "Getting out of the house at least three times a week so that I do not get low.",
        ],
    },
}

MORE_RISKS: list[dict[str, str]] = [
    {
        "risk": "Getting low and lonely in the winter when I cannot get out.",
        "mitigation": (
            "My PA takes me to singing and the lunch club, Claire rings every evening, and the "
            "Age UK befriender visits on Mondays. If I stop wanting to go out, my PA tells Claire "
            "and we talk to my GP."
        ),
        "who_helps": "My PA, Claire and the Age UK befriender",
    },
    {
        "risk": "Taking my medicines wrongly when I am poorly or tired.",
        "mitigation": (
            "The pharmacy puts my tablets in a weekly blister pack and my PA checks it when she "
            "comes. My inhalers are labelled with what each one is for and when to take it."
        ),
        "who_helps": "Hillsborough Pharmacy and my PA",
    },
    {
        "risk": "A cold house in winter making my breathing worse.",
        "mitigation": (
            "Claire has applied for the warm home discount and a heating check. Part of my "
            "budget pays for extra heating on the coldest weeks, agreed with Sunita."
        ),
        "who_helps": "Claire and Sunita Rahman",
    },
]

MORE_OUTCOMES: list[dict[str, str]] = [
    {
        "title": "Feel less low and lonely through the winter",
        "how": (
            "I get out at least three times a week: singing, the lunch club and chapel. The Age "
            "UK befriender visits on Mondays, and my PA helps me keep in touch with friends."
        ),
    },
    {
        "title": "Take my medicines the right way, every day",
        "how": (
            "My tablets come in a weekly blister pack, my PA checks it with me, and Dev reviews "
            "my inhalers every three months."
        ),
    },
]

# (index into the complete plan's outcomes and then these, item)
MORE_SUPPORT: list[tuple[int, dict[str, Any]]] = [
    (
        3,
        {
            "description": "Day centre place on Tuesdays, with lunch and transport",
            "provider": "Hillsborough Methodist lunch club, through the council",
            "cost_pence": 4_200,
            "frequency": "weekly",
        },
    ),
    (
        3,
        {
            "description": "Age UK befriending, one visit a week",
            "provider": "Age UK Sheffield",
            "cost_pence": 1_500,
            "frequency": "weekly",
        },
    ),
    (
        2,
        {
            "description": "Extra heating in the coldest weeks of the year",
            "provider": "Paid to my energy supplier",
            "cost_pence": 30_000,
            "frequency": "annual",
        },
    ),
]

MORE_ACTIONS: list[tuple[int | None, dict[str, str], int]] = [
    (3, {"what": "Ask Age UK for a befriender and arrange the first visit", "who": "Claire"}, 21),
    (
        4,
        {"what": "Ask the pharmacy to put my tablets in a weekly blister pack", "who": "Maggie"},
        5,
    ),
    (2, {"what": "Apply for the warm home discount and a heating check", "who": "Claire"}, 30),
    (None, {"what": "Put a copy of this plan in the folder on the kitchen table", "who": "PA"}, 35),
]

MORE_CONTACTS: list[dict[str, str]] = [
    {
        "name": "Claire Doyle",
        "role": "My daughter, with lasting power of attorney",
        "when_to_contact": "If I go into hospital, or about anything to do with my money.",
        "phone": "07700 900461",
        "email": "claire.doyle@example.org",
    },
    {
        "name": "Pat Wilson",
        "role": "Neighbour at number 14, has a key",
        "when_to_contact": "If I do not answer the door or the phone in the morning.",
        "phone": "0114 496 0587",
        "email": "",
    },
    {
        "name": "Dr Okafor",
        "role": "GP, Hillsborough Medical Practice",
        "when_to_contact": "For my tablets, my jabs, or if I am low for more than two weeks.",
        "phone": "0114 496 0777",
        "email": "",
    },
]


# --- the portal in this process ----------------------------------------------------------------


@contextlib.asynccontextmanager
async def portal_app(directory: Path) -> AsyncIterator[Litestar]:
    """The real app on a fresh SQLite file in `directory`, migrated as the tests migrate it.
    Its PDF workers are closed (and waited for) when the block ends."""
    # Piccolo binds tables to the engine at import: choose the database before importing portal.
    os.environ.pop("PORTAL_DATABASE_URL", None)
    os.environ["PORTAL_SQLITE_PATH"] = str(directory / "portal.sqlite3")
    os.environ["PICCOLO_CONF"] = "portal.piccolo_conf"
    from portal.app import create_app
    from portal.db import close_database, open_database
    from portal.migrations import migrate
    from portal.piccolo_conf import DB
    from portal.settings import load_settings

    settings = load_settings()
    if Path(settings.sqlite_path).parent != directory:
        raise BenchError(f"the app would use {settings.sqlite_path}, not the temporary database")
    await migrate(quiet=True)
    await open_database(DB, settings)
    try:
        app = create_app(settings)
        # Litestar sends the root logger's INFO to the console. The app's PDF workers configure
        # no logging, so WeasyPrint's font subsetting is quiet there: keep it quiet here too,
        # and the client's line per request with it.
        for name in ("fontTools", "weasyprint", "httpx"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            yield app
        finally:
            app.state.pdf_renderer.close()
    finally:
        await close_database(DB)


async def signed_in(app: Litestar, email: str, name: str) -> httpx.AsyncClient:
    """A new account and an HTTP client signed in as it, sending its session's CSRF token with
    every change, as the README's script does."""
    from portal.accounts.service import create_user
    from portal.security import CSRF_HEADER_NAME

    await create_user(email, PASSWORD, name)
    # Litestar's ASGI signature is narrower than the one httpx asks for; it is an ASGI app.
    asgi: Any = app
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi), base_url="http://testserver", timeout=300
    )
    token = _expect(await http.get("/api/v1/session/csrf"), 200).json()["csrf_token"]
    signed = await http.post(
        "/api/v1/session",
        json={"email": email, "password": PASSWORD},
        headers={CSRF_HEADER_NAME: token},
    )
    _expect(signed, 201)
    # Bound to the new session: sent with every change from now on.
    http.headers[CSRF_HEADER_NAME] = signed.json()["csrf_token"]
    return http


def _expect(response: httpx.Response, status: int) -> httpx.Response:
    if response.status_code != status:
        raise BenchError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}, not {status}: {response.text[:300]}"
        )
    return response


async def write_ten_page_plan(http: httpx.AsyncClient) -> str:
    """The complete plan (`tests/factories.py::write_complete_plan`), then the rest of what
    the person wrote: longer answers, more entries, risks, outcomes, support, actions, contacts."""
    from tests.factories import write_complete_plan

    plan_id = await write_complete_plan(http)
    base = f"/api/v1/plans/{plan_id}"
    for key in sorted(LONGER.keys() | MORE_ITEMS.keys() | {"staying_safe"}):
        current = _expect(await http.get(f"{base}/sections/{key}"), 200)
        content = dict(current.json()["content"])
        for name, more in LONGER.get(key, {}).items():
            content[name] = f"{content[name]}\n{more}"
        for name, items in MORE_ITEMS.get(key, {}).items():
            content[name] = [*content[name], *items]
        if key == "staying_safe":
            content["risks"] = [*content["risks"], *MORE_RISKS]
        written = await http.put(
            f"{base}/sections/{key}",
            json=content,
            headers={"If-Match": current.headers["etag"]},
        )
        _expect(written, 200)
    outcomes = _expect(await http.get(f"{base}/outcomes"), 200).json()
    outcome_ids = [row["id"] for row in outcomes]
    for outcome in MORE_OUTCOMES:
        made = _expect(await http.post(f"{base}/outcomes", json=outcome), 201)
        outcome_ids.append(made.json()["id"])
    for index, item in MORE_SUPPORT:
        body = {**item, "outcome_id": outcome_ids[index]}
        _expect(await http.post(f"{base}/support-items", json=body), 201)
    for goal, action, days in MORE_ACTIONS:
        body = {**action, "due_by": (dt.date.today() + dt.timedelta(days=days)).isoformat()}
        if goal is not None:
            body["outcome_id"] = outcome_ids[goal]
        _expect(await http.post(f"{base}/actions", json=body), 201)
    for contact in MORE_CONTACTS:
        _expect(await http.post(f"{base}/contacts", json=contact), 201)
    return plan_id


async def write_long_plan(http: httpx.AsyncClient) -> str:
    """A new plan with every section of `long_sections()` written (If-Match "0")."""
    created = _expect(await http.post("/api/v1/plans", json={"kind": "care_and_support"}), 201)
    plan_id = str(created.json()["id"])
    for key, content in long_sections().items():
        written = await http.put(
            f"/api/v1/plans/{plan_id}/sections/{key}", json=content, headers={"If-Match": '"0"'}
        )
        _expect(written, 200)
    return plan_id


async def export_pdf(http: httpx.AsyncClient, plan_id: str, variant: str) -> bytes:
    response = await http.get(f"/api/v1/plans/{plan_id}/export/pdf", params={"variant": variant})
    _expect(response, 200)
    if response.headers.get("content-type") != "application/pdf":
        raise BenchError(f"the export is {response.headers.get('content-type')}, not a PDF")
    return response.content


def page_count(pdf: bytes) -> int:
    # Imported when first needed, so that PDFium is not in the app's peak memory.
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


# --- measuring ---------------------------------------------------------------------------------


def _machine_busy() -> float:
    """CPU seconds used by everything on the machine so far (idle and iowait left out)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLOCK_TICKS


def _processes() -> list[tuple[int, int, float, bytes]]:
    """Every process now: its id, its parent's id, its CPU seconds so far, its command line."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
        except OSError:
            continue  # it ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
        found.append((int(entry.name), int(fields[1]), cpu, cmdline))
    return found


def _ours_busy() -> float:
    """CPU seconds used so far by this process and its live children (the PDF workers)."""
    me = os.getpid()
    return sum(cpu for pid, parent, cpu, _ in _processes() if me in (pid, parent))


def _pdf_workers_alive() -> set[int]:
    """This process's live PDF workers (the pool's processes, started by multiprocessing)."""
    me = os.getpid()
    return {pid for pid, parent, _, cmd in _processes() if parent == me and b"spawn_main" in cmd}


def _peak_rss_kb(pid: int) -> int:
    """A live process's peak resident set so far (VmHWM), in KiB; 0 if it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


@dataclass
class Timing:
    median_ms: float
    min_ms: float
    max_ms: float
    runs_ms: list[float]
    # Percent of one core used meanwhile by processes other than this one and its workers.
    other_cpu_percent: float
    waited_for_quiet_seconds: float = 0.0
    # Measured again (up to ATTEMPTS times in all) when other work used over BUSY_PERCENT.
    attempts: int = 1


async def timed(runs: int, once: Callable[[], Awaitable[T]]) -> tuple[Timing, T]:
    """One unmeasured call to warm up, then `runs` measured ones; and what the first gave."""
    first = await once()
    samples: list[float] = []
    machine, ours, started = _machine_busy(), _ours_busy(), time.perf_counter()
    for _ in range(runs):
        start = time.perf_counter()
        await once()
        samples.append((time.perf_counter() - start) * 1000)
    wall = time.perf_counter() - started
    other = max(0.0, (_machine_busy() - machine) - (_ours_busy() - ours)) / wall * 100
    timing = Timing(
        median_ms=round(statistics.median(samples), 1),
        min_ms=round(min(samples), 1),
        max_ms=round(max(samples), 1),
        runs_ms=[round(s, 1) for s in samples],
        other_cpu_percent=round(other, 1),
    )
    return timing, first


@dataclass(frozen=True)
class Pace:
    runs: int  # measured calls per case, after one warm-up
    quiet_wait: float  # seconds to wait at most for the machine to be quiet
    attempts: int  # measurements at most while other work keeps the machine busy


async def timed_when_quiet(pace: Pace, once: Callable[[], Awaitable[T]]) -> tuple[Timing, T]:
    """`timed` once the machine is quiet, again if other work got busy meanwhile."""
    for attempt in range(1, pace.attempts + 1):
        waited = wait_for_quiet(pace.quiet_wait)
        timing, first = await timed(pace.runs, once)
        timing.waited_for_quiet_seconds, timing.attempts = waited, attempt
        if timing.other_cpu_percent <= BUSY_PERCENT or attempt == pace.attempts:
            break
        print(f"     other work used {timing.other_cpu_percent:.0f}% of a core: again", flush=True)
    return timing, first


def wait_for_quiet(max_wait: float) -> float:
    """Wait (up to max_wait seconds) until other work uses under a quarter of a core."""
    started = time.monotonic()
    while True:
        before = _machine_busy()
        time.sleep(1)
        waited = time.monotonic() - started
        if _machine_busy() - before < 0.25 or waited >= max_wait:
            return round(waited, 1)


@dataclass
class Case:
    name: str
    label: str
    plan: str  # which plan: "ten_page" or "long"
    variant: str


CASES = [
    Case("standard", "~10-page plan, standard print", "ten_page", "standard"),
    Case("large", "~10-page plan, large print", "ten_page", "large"),
    Case("long", "long narrative, standard print", "long", "standard"),
]


def _mb(kilobytes: int) -> float:
    return round(kilobytes / 1024, 1)  # ru_maxrss is in KiB on Linux


async def measure(pace: Pace, directory: Path) -> dict[str, Any]:
    """Every case through the portal, then the memory figures, then the same HTML rendered
    directly in this process (after the app's peak is read, so that it does not count)."""
    from portal.exports.pdf import render_pdf_now
    from portal.exports.service import plan_pdf_html
    from tests.factories import actor_of

    cases: dict[str, dict[str, Any]] = {}
    worker_peaks: dict[int, int] = {}  # each PDF worker's VmHWM (KiB), read after each export
    exported: dict[str, bytes] = {}  # each case's PDF from the portal, its pages counted later
    async with portal_app(directory) as app:
        settings = app.state.settings
        http = await signed_in(app, EMAIL, PERSON)
        try:
            print("   writing the plans through the API …", flush=True)
            plans = {
                "ten_page": await write_ten_page_plan(http),
                "long": await write_long_plan(http),
            }
            for case in CASES:
                print(f"   {case.label}: the portal, 1 + {pace.runs} exports …", flush=True)

                async def portal_once(case: Case = case) -> bytes:
                    pdf = await export_pdf(http, plans[case.plan], case.variant)
                    for pid in _pdf_workers_alive():
                        worker_peaks[pid] = max(worker_peaks.get(pid, 0), _peak_rss_kb(pid))
                    return pdf

                timing, pdf = await timed_when_quiet(pace, portal_once)
                exported[case.name] = pdf
                cases[case.name] = {
                    "label": case.label,
                    "variant": case.variant,
                    "pdf_kb": round(len(pdf) / 1024, 1),
                    "portal": asdict(timing),
                }
        finally:
            await http.aclose()
        # This process's high-water mark before any PDF is rendered in it: the app's peak.
        memory: dict[str, Any] = {
            "app_peak_rss_mb": _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        }
        app.state.pdf_renderer.close()
        # The pool's workers have been waited for, so RUSAGE_CHILDREN now holds the largest
        # peak among them (not their sum). Linux counts a child's memory from before its exec
        # too, when it was still a copy of this process, so this is never below the app's RSS
        # at the moment the worker was started: the workers' own peak is their VmHWM.
        memory["children_peak_rss_mb"] = _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        memory["pdf_worker_peak_rss_mb"] = _mb(max(worker_peaks.values(), default=0))
        memory["pdf_workers_used"] = len(worker_peaks)
        for name, pdf in exported.items():
            cases[name]["pages"] = page_count(pdf)

        actor: Actor = await actor_of(EMAIL)
        for case in CASES:
            entry = cases[case.name]

            async def html_once(case: Case = case) -> str:
                html, *_ = await plan_pdf_html(
                    actor,
                    uuid.UUID(plans[case.plan]),
                    variant=case.variant,
                    base_url=settings.base_url,
                )
                return html

            html_timing, html = await timed(pace.runs, html_once)
            print(
                f"   {case.label}: WeasyPrint in this process, 1 + {pace.runs} renders …",
                flush=True,
            )

            async def direct_once(html: str = html) -> bytes:
                return render_pdf_now(html)

            direct, pdf = await timed_when_quiet(pace, direct_once)
            if page_count(pdf) != entry["pages"]:
                raise BenchError(
                    f"{case.label}: the portal's PDF has {entry['pages']} pages, the same HTML "
                    f"rendered here {page_count(pdf)}"
                )
            entry["html_kb"] = round(len(html.encode()) / 1024, 1)
            entry["html"] = asdict(html_timing)
            entry["direct"] = asdict(direct)
            entry["portal_per_direct"] = round(entry["portal"]["median_ms"] / direct.median_ms, 3)
    return {"cases": cases, "memory": memory, "pdf_workers_setting": settings.pdf_workers}


# --- reporting -----------------------------------------------------------------------------------


def _spread(timing: dict[str, Any]) -> str:
    return f"{timing['median_ms']:.0f} ({timing['min_ms']:.0f}–{timing['max_ms']:.0f})"


def format_table(result: dict[str, Any]) -> list[str]:
    out = [
        f"{'case':<34}{'pages':>6}{'portal ms':>22}{'direct ms':>22}{'portal/direct':>15}"
        f"{'html ms':>9}",
    ]
    for case in result["cases"].values():
        out.append(
            f"{case['label']:<34}{case['pages']:>6}{_spread(case['portal']):>22}"
            f"{_spread(case['direct']):>22}{case['portal_per_direct']:>15.2f}"
            f"{case['html']['median_ms']:>9.0f}"
        )
    memory = result["memory"]
    out.append(
        f"peak RSS: app process {memory['app_peak_rss_mb']:.0f} MB (RUSAGE_SELF); PDF worker "
        f"{memory['pdf_worker_peak_rss_mb']:.0f} MB (VmHWM, the largest of the "
        f"{memory['pdf_workers_used']} that ran; pool size {result['pdf_workers_setting']}); "
        f"RUSAGE_CHILDREN {memory['children_peak_rss_mb']:.0f} MB"
    )
    for case in result["cases"].values():
        for side in ("portal", "direct"):
            busy = case[side]["other_cpu_percent"]
            if busy > BUSY_PERCENT:
                out.append(
                    f"  ! other processes used {busy:.0f}% of a core during {case['label']} "
                    f"({side}): figures skewed, run again on a quiet machine"
                )
    return out


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "cpu_cores": os.cpu_count(),
        "python": platform.python_version(),
        "weasyprint": version("weasyprint"),
        "pypdfium2": version("pypdfium2"),
        "platform": platform.platform(),
    }


def git_revision() -> dict[str, Any]:
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain")),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    runs = parser.add_mutually_exclusive_group()
    runs.add_argument("--runs", type=int, default=7, help="measured exports per case (default 7)")
    runs.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run (CI): 2 measured per case, no waiting for a quiet machine, no retries",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=None,
        help="seconds to wait at most before each measurement for other work to stop (120)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.attempts = 1 if args.quick else ATTEMPTS
    if args.quiet_wait is None:
        args.quiet_wait = 0 if args.quick else 120
    if args.quick:
        args.runs = 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    about = machine()
    print(
        f"PDF export benchmark: {args.runs} measured runs per case after 1 warm-up, in process "
        f"over HTTP on a temporary SQLite database\nMachine: {about['cpu_cores']} CPU cores, "
        f"Python {about['python']}, WeasyPrint {about['weasyprint']}, {about['platform']}",
        flush=True,
    )
    directory = Path(tempfile.mkdtemp(prefix="portal-bench-exports-"))
    try:
        result = asyncio.run(measure(Pace(args.runs, args.quiet_wait, args.attempts), directory))
    except BenchError as exc:
        print(f"\n!! {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print("\n" + "\n".join(format_table(result)), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "git": git_revision(),
                "machine": about,
                "settings": {
                    "runs": args.runs,
                    "warm_up_runs": 1,
                    "quiet_wait_seconds": args.quiet_wait,
                    "attempts": args.attempts,
                    "database": "sqlite",
                },
                **result,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Results written to {RESULTS.relative_to(REPO)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
