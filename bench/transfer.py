"""Measure what a phone downloads for a plan: the first visit to a plan page, a later visit to
the same page, and a later visit to another page of the plan (a section); and our scripts' sizes.

Run from the repository root:  .venv/bin/python bench/transfer.py [--section KEY]

It starts the real server (`python -m portal.cli serve`) on a fresh SQLite file, creates an
account with the CLI, signs in over HTTP and writes a full plan through the API (as bench/run.py
does), then drives Debian's Chromium through Playwright in a phone-sized context holding that
sign-in. The Chrome DevTools Protocol counts the bytes: `Network.loadingFinished`'s
`encodedDataLength` (headers and body as they crossed the wire) for each request, and
`Network.responseReceived` to tell what the service worker or the HTTP cache answered. The
service worker's own fetches (its install, and pages it fetches from the network for the
page) happen in the worker, so it is watched too; the worker's own script is fetched by the
browser, and CDP reports only that answer's headers, so it is sized by asking the server for it
again. The live-update stream, a request that stays open as long as the page does, is left out.
The server's access log is read for each visit: its 304s (the browser reports a revalidated
answer as a 200), and a check that nothing went by unseen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.run import (  # noqa: E402
    HOST,
    BenchError,
    SqliteDatabase,
    create_full_plan,
    create_user,
    free_port,
    git_revision,
    running_server,
    server_env,
    sign_in,
)

# The same browser set-up as the browser tests: Debian's Chromium, a phone-sized screen.
from tests.browser.conftest import LAUNCH_ARGS, PHONE  # noqa: E402

RESULTS = REPO / "bench" / "results" / "transfer-latest.json"
STATIC = REPO / "portal" / "static"
# As portal/security.py compresses static text; files under 1 kB are sent as they are.
GZIP_LEVEL = 6
QUIET_MS = 500  # a visit is over when nothing has been in flight for this long
SETTLE_TIMEOUT_S = 20
WORKER_READY_TIMEOUT_MS = 10_000
TYPES = ("document", "css", "js", "other")


# --- what the browser fetched -------------------------------------------------------------


@dataclass
class Fetch:
    """One request, made by the page or by its service worker."""

    url: str
    by: str  # "page" or "worker"
    phase: str
    resource_type: str = ""
    mime: str = ""
    status: int = 0
    from_worker: bool = False  # the page's request, answered by the service worker
    worker_source: str = ""  # where the worker got it: network, cache-storage, http-cache
    from_cache: bool = False  # the HTTP cache (disk or memory) answered
    wire_bytes: int = 0  # headers and body as received (encoded), when it crossed the network
    decoded_bytes: int = 0
    done: bool = False
    failed: str = ""

    @property
    def is_stream(self) -> bool:
        return self.resource_type == "EventSource" or self.mime == "text/event-stream"

    @property
    def kind(self) -> str:
        mime = self.mime or ""
        if self.resource_type == "Document" or mime == "text/html":
            return "document"
        if self.resource_type == "Stylesheet" or mime == "text/css":
            return "css"
        if self.resource_type == "Script" or "javascript" in mime:
            return "js"
        return "other"

    @property
    def over_network(self) -> bool:
        """Crossed the network itself (a page request the worker passed on is counted by the
        worker's own fetch); a request cut short after its answer came (a navigation away
        cancels the presence call) counts what had arrived."""
        answered = not self.failed or self.status > 0
        return self.done and answered and not (self.from_worker or self.from_cache)


class Recorder:
    """Network events of the page and of its service workers (see `watch`), each request
    tagged with the phase (the visit) it started in."""

    def __init__(self) -> None:
        self.phase = ""
        self.fetches: dict[tuple[str, str], Fetch] = {}
        self.worker_sessions: set[str] = set()

    def network_event(self, by: str, method: str, params: dict[str, Any]) -> None:
        key = (by, params.get("requestId", ""))
        if method == "Network.requestWillBeSent":
            hop = self.fetches.get(key)
            redirect = params.get("redirectResponse")
            if hop is not None and redirect:
                # A redirect reuses the request id; its answer arrives with the next request.
                hop.status = redirect.get("status", 0)
                hop.wire_bytes = int(redirect.get("encodedDataLength") or 0)
                hop.done = True
                self.fetches[(by, f"{key[1]} redirect {len(self.fetches)}")] = hop
            self.fetches[key] = Fetch(
                url=params["request"]["url"],
                by=by,
                phase=self.phase,
                resource_type=params.get("type", ""),
            )
            return
        fetch = self.fetches.get(key)
        if fetch is None:
            return
        if method == "Network.responseReceived":
            response = params["response"]
            fetch.status = response.get("status", 0)
            fetch.mime = response.get("mimeType", "")
            fetch.resource_type = fetch.resource_type or params.get("type", "")
            fetch.from_worker = bool(response.get("fromServiceWorker"))
            fetch.worker_source = response.get("serviceWorkerResponseSource", "")
            fetch.from_cache = bool(
                response.get("fromDiskCache") or response.get("fromPrefetchCache")
            )
            # What had arrived with the headers; loadingFinished gives the whole.
            fetch.wire_bytes = int(response.get("encodedDataLength") or 0)
        elif method == "Network.requestServedFromCache":
            fetch.from_cache = True
        elif method == "Network.dataReceived":
            fetch.decoded_bytes += params.get("dataLength", 0)
        elif method == "Network.loadingFinished":
            fetch.wire_bytes = int(params.get("encodedDataLength") or 0)
            fetch.done = True
        elif method == "Network.loadingFailed":
            fetch.failed = params.get("errorText", "failed")
            fetch.done = True

    def in_flight(self) -> list[Fetch]:
        return [f for f in self.fetches.values() if not f.done and not f.is_stream]

    def of_phase(self, phase: str) -> list[Fetch]:
        return [f for f in self.fetches.values() if f.phase == phase and not f.is_stream]


def watch(context: Any, page: Any, recorder: Recorder) -> Any:
    """A CDP session on the page, with its network events recorded; and the same for each
    service worker of the page, attached to as it starts (before it runs: nothing is missed).

    Playwright's CDP sessions take no child sessions, so the workers are attached to in the
    protocol's non-flat mode: their messages arrive wrapped in Target.receivedMessageFromTarget.
    """
    session = context.new_cdp_session(page)
    for method in (
        "Network.requestWillBeSent",
        "Network.responseReceived",
        "Network.requestServedFromCache",
        "Network.dataReceived",
        "Network.loadingFinished",
        "Network.loadingFailed",
    ):
        session.on(
            method, lambda params, method=method: recorder.network_event("page", method, params)
        )

    def attached(event: dict[str, Any]) -> None:
        worker = event["sessionId"]
        if event["targetInfo"]["type"] == "service_worker":
            recorder.worker_sessions.add(worker)
            commands = ["Network.enable", "Runtime.runIfWaitingForDebugger"]
        else:
            commands = ["Runtime.runIfWaitingForDebugger"]
        for number, method in enumerate(commands, start=1):
            message = json.dumps({"id": number, "method": method, "params": {}})
            session.send("Target.sendMessageToTarget", {"sessionId": worker, "message": message})

    def message(event: dict[str, Any]) -> None:
        if event.get("sessionId") not in recorder.worker_sessions:
            return
        body = json.loads(event["message"])
        if str(body.get("method", "")).startswith("Network."):
            recorder.network_event("worker", body["method"], body.get("params", {}))

    session.on("Target.attachedToTarget", attached)
    session.on("Target.receivedMessageFromTarget", message)
    session.send("Network.enable")
    session.send(
        "Target.setAutoAttach",
        {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False},
    )
    return session


def settle(page: Any, recorder: Recorder) -> None:
    """Until nothing but the live stream has been in flight for QUIET_MS (events arrive while
    Playwright waits)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        if recorder.in_flight():
            quiet_since = time.monotonic()
        elif (time.monotonic() - quiet_since) * 1000 >= QUIET_MS:
            return
    stuck = ", ".join(f.url for f in recorder.in_flight())
    raise BenchError(f"still loading after {SETTLE_TIMEOUT_S} s: {stuck}")


def worker_ready(page: Any) -> str | None:
    """The path of the service worker's script once one is active for this page; None when
    none registers in time."""
    script: str | None = page.evaluate(
        """(ms) => !navigator.serviceWorker ? null : Promise.race([
            navigator.serviceWorker.ready.then((r) => new URL(r.active.scriptURL).pathname),
            new Promise((resolve) => setTimeout(() => resolve(null), ms)),
        ])""",
        WORKER_READY_TIMEOUT_MS,
    )
    return script


# --- the server's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    status: int


class AccessLog:
    """Requests the server logged since the last look (uvicorn's access log): the check that
    nothing went by unseen, and the 304s (the browser reports a revalidated answer as 200)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size

    def since_last_look(self) -> list[Logged]:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
            self.offset = log.tell()
        seen = []
        for line in text.splitlines():
            # INFO:     127.0.0.1:41422 - "GET /sw.js HTTP/1.1" 200 OK
            parts = line.split('"')
            if len(parts) < 3 or not parts[1].endswith(("HTTP/1.1", "HTTP/1.0")):
                continue
            method, path, _ = parts[1].split(" ")
            if not path.endswith("/events"):  # the live-update stream
                seen.append(Logged(method, path, int(parts[2].split()[0])))
        return seen


def answer_size(client: httpx.Client, path: str) -> int:
    """Headers and body of the server's answer to a browser's request for a service worker's
    script, as Chromium asks for it (CDP reports only the headers of that one)."""
    headers = {
        "Service-Worker": "script",
        "Accept": "*/*",
        "Accept-Encoding": "gzip, deflate, br, zstd",
    }
    with client.stream("GET", path, headers=headers) as response:
        body = b"".join(response.iter_raw())
        head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n\r\n")
        head += sum(len(name) + len(value) + 4 for name, value in response.headers.raw)
    return head + len(body)


# --- one run ---------------------------------------------------------------------------------


@dataclass
class Visit:
    name: str
    url: str
    requests: int = 0  # the page's requests, the live stream left out
    network_requests: int = 0  # the page's and its service worker's that crossed the network
    network_bytes: int = 0
    not_modified: int = 0  # 304s among them: a revalidation, headers only
    cached_requests: int = 0  # answered by the HTTP cache or the service worker's cache
    cached_bytes: int = 0  # their decoded size
    network_by_type: dict[str, int] = field(default_factory=dict)
    worker_own: int = 0  # fetches the worker made for itself (its install), not for the page
    worker_own_bytes: int = 0
    server_saw: int = 0  # requests in the server's access log, the live stream left out
    worker_script_fetches: int = 0  # of the worker's script, sized by fetching it again
    unseen: list[str] = field(default_factory=list)
    service_worker: bool = False
    fetches: list[dict[str, Any]] = field(default_factory=list)  # each one, for the JSON file


def summarise(
    visit: Visit, fetches: list[Fetch], server: list[Logged], worker_script: tuple[str, int] | None
) -> Visit:
    """The visit's figures from what the browser reported, checked against the server's log."""
    script_path, script_bytes = worker_script or ("", 0)
    page = [f for f in fetches if f.by == "page"]
    # The worker's own script is counted from the server's log below.
    worker = [f for f in fetches if f.by == "worker" and httpx.URL(f.url).path != script_path]
    passed_on = [f.url for f in page if f.from_worker and f.worker_source == "network"]
    visit.requests = len(page)
    visit.network_by_type = dict.fromkeys(TYPES, 0)
    for fetch in page + worker:
        if fetch.over_network:
            visit.network_requests += 1
            visit.network_bytes += fetch.wire_bytes
            visit.network_by_type[fetch.kind] += fetch.wire_bytes
    for fetch in page:
        if (fetch.from_cache or fetch.from_worker) and fetch.worker_source != "network":
            visit.cached_requests += 1
            visit.cached_bytes += fetch.decoded_bytes
    for fetch in worker:
        if fetch.url in passed_on:
            passed_on.remove(fetch.url)
        elif fetch.over_network:
            visit.worker_own += 1
            visit.worker_own_bytes += fetch.wire_bytes
    visit.fetches = [
        {
            "path": httpx.URL(f.url).raw_path.decode(),
            "by": f.by,
            "kind": f.kind,
            "status": f.status,
            "wire_bytes": f.wire_bytes if f.over_network else 0,
            "answered_by": (
                "network"
                if f.over_network
                else f"service worker ({f.worker_source})"
                if f.from_worker
                else "http cache"
                if f.from_cache
                else f.failed or "unfinished"
            ),
        }
        for f in page + worker
    ]
    visit.server_saw = len(server)
    visit.not_modified = sum(line.status == 304 for line in server)
    seen = [httpx.URL(f.url).raw_path.decode() for f in page + worker if f.over_network]
    for line in server:
        if line.method == "GET" and line.path == script_path:
            # Fetched by the browser for the worker's registration or an update check.
            visit.network_requests += 1
            visit.network_bytes += script_bytes
            visit.network_by_type["js"] += script_bytes
            visit.worker_script_fetches += 1
        elif line.path in seen:
            seen.remove(line.path)
        else:
            visit.unseen.append(f"{line.method} {line.path} {line.status}")
    return visit


def script_sizes(client: httpx.Client) -> list[dict[str, Any]]:
    """Each script in portal/static/: on disk, gzipped as the server does, and as served."""
    sizes = []
    for path in sorted(STATIC.glob("*.js")):
        data = path.read_bytes()
        # The page registers the worker at /sw.js; the rest are loaded from /static/.
        url = "/sw.js" if path.name == "sw.js" else f"/static/{path.name}"
        with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
            served = b"".join(response.iter_raw())
            ok = response.status_code == 200
            encoding = response.headers.get("content-encoding", "identity")
        sizes.append(
            {
                "name": path.name,
                "raw_bytes": len(data),
                "gzip_bytes": len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)),
                "served_bytes": len(served) if ok else None,
                "served_encoding": encoding,
            }
        )
    return sizes


def browse(
    client: httpx.Client,
    chromium: str,
    cookies: list[Any],
    visits: list[tuple[str, str]],
    server_log: Path,
) -> list[Visit]:
    """The visits one after the other, in one fresh phone context."""
    from playwright.sync_api import sync_playwright

    recorder = Recorder()
    log = AccessLog(server_log)
    worker_script: tuple[str, int] | None = None
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=LAUNCH_ARGS
        )
        try:
            context = browser.new_context(**PHONE)
            context.add_cookies(cookies)
            page = context.new_page()
            watch(context, page, recorder)
            log.since_last_look()
            for number, (name, url) in enumerate(visits):
                print(f"   {name} …", flush=True)
                recorder.phase = name
                response = page.goto(url, wait_until="load")
                if response is None or response.url != url or not response.ok:
                    status = response.status if response else "no answer"
                    raise BenchError(f"{url} did not open ({status}): signed in?")
                settle(page, recorder)
                script = None
                if number == 0:
                    # The next visits are "later" ones: after the worker (if any) is installed.
                    script = worker_ready(page)
                    settle(page, recorder)
                served = log.since_last_look()
                if script:
                    worker_script = (script, answer_size(client, script))
                    log.since_last_look()  # that fetch was ours, not the browser's
                controlled = bool(page.evaluate("() => !!navigator.serviceWorker?.controller"))
                visit = Visit(name, httpx.URL(url).path, service_worker=controlled)
                results.append(summarise(visit, recorder.of_phase(name), served, worker_script))
            context.close()
        finally:
            browser.close()
    return results


def measure(section: str) -> dict[str, Any]:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise BenchError("Chromium is not installed: run scripts/ensure-chromium")
    database = SqliteDatabase()
    env = server_env(database)
    port = free_port()
    base = f"http://{HOST}:{port}"
    log_path = database.directory / "server.log"
    try:
        print("   creating the account and writing a full plan through the API …", flush=True)
        create_user(env)
        with running_server(env, port, log_path):
            client, _, _ = sign_in(port)
            try:
                plan_id, _ = create_full_plan(client, 1)
                cookies = [
                    {
                        "name": cookie.name,
                        "value": cookie.value or "",
                        "url": base,
                        "httpOnly": cookie.has_nonstandard_attr("HttpOnly"),
                        "sameSite": "Lax",
                    }
                    for cookie in client.cookies.jar
                ]
                plan_url = f"{base}/plans/{plan_id}"
                visits = [
                    ("first visit, plan page", plan_url),
                    ("later visit, same page", plan_url),
                    (f"later visit, section page ({section})", f"{plan_url}/sections/{section}"),
                ]
                results = browse(client, chromium, cookies, visits, log_path)
                scripts = script_sizes(client)
            finally:
                client.close()
    finally:
        database.cleanup()
    return {"visits": [asdict(v) for v in results], "scripts": scripts, "chromium": chromium}


# --- reporting -----------------------------------------------------------------------------------


def _kb(count: int) -> str:
    return f"{count / 1024:.1f}"


def format_table(result: dict[str, Any]) -> list[str]:
    out = [
        f"{'page':<38}{'requests':>9}{'network':>9}{'304s':>6}{'kB net':>8}{'cached':>8}"
        f"{'kB cached':>10}  kB over the network: " + " ".join(f"{t:>8}" for t in TYPES),
    ]
    for visit in result["visits"]:
        by_type = " ".join(f"{_kb(visit['network_by_type'][t]):>8}" for t in TYPES)
        out.append(
            f"{visit['name']:<38}{visit['requests']:>9}{visit['network_requests']:>9}"
            f"{visit['not_modified']:>6}{_kb(visit['network_bytes']):>8}"
            f"{visit['cached_requests']:>8}{_kb(visit['cached_bytes']):>10}"
            f"{'':>23}{by_type}"
        )
    out.append(
        "requests: the page's own; network: those and the service worker's that crossed the "
        "network (kB net: headers and body as sent, compressed or not); cached: answered by the "
        "HTTP cache or the service worker's cache (kB cached: their size unpacked). The "
        "live-update stream is left out."
    )
    for visit in result["visits"]:
        notes = [f"controlled by a service worker: {'yes' if visit['service_worker'] else 'no'}"]
        if visit["worker_own"]:
            notes.append(
                f"the service worker fetched {visit['worker_own']} files for itself "
                f"({_kb(visit['worker_own_bytes'])} kB, included above)"
            )
        if visit["worker_script_fetches"]:
            notes.append(
                f"the browser fetched the worker's script {visit['worker_script_fetches']} "
                "time(s) (sized by fetching it again: CDP reports only its headers)"
            )
        notes.append(f"the server logged {visit['server_saw']} requests")
        out.append(f"  {visit['name']}: " + "; ".join(notes))
        if visit["unseen"]:
            out.append(
                f"    ! the server answered these, not seen in the browser: {visit['unseen']}"
            )
    out.append("")
    out.append(f"{'script':<26}{'raw kB':>8}{'gzip kB':>9}{'served kB':>11}  served as")
    total = {"raw_bytes": 0, "gzip_bytes": 0}
    for script in result["scripts"]:
        served = script["served_bytes"]
        out.append(
            f"{script['name']:<26}{_kb(script['raw_bytes']):>8}{_kb(script['gzip_bytes']):>9}"
            f"{_kb(served) if served is not None else 'n/a':>11}  {script['served_encoding']}"
        )
        for key in total:
            total[key] += script[key]
    out.append(f"{'all':<26}{_kb(total['raw_bytes']):>8}{_kb(total['gzip_bytes']):>9}")
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--section",
        default="about_me",
        help="the section whose page is the third visit (default about_me)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        "Transfer sizes of a plan page on a phone (390x844), real server on a temporary SQLite "
        "database, Debian's Chromium",
        flush=True,
    )
    try:
        result = measure(args.section)
    except BenchError as exc:
        print(f"\n!! {exc}", file=sys.stderr)
        return 1
    print("\n" + "\n".join(format_table(result)), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "git": git_revision(),
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
