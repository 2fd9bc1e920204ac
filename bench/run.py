"""Benchmark the real portal server on SQLite and PostgreSQL: health, a plan read, a section write.

Run from the repository root:  .venv/bin/python bench/run.py [--seconds N] [--concurrency C]
    [--databases sqlite,postgres] [--warmup W] [--client raw|httpx]

For each database it starts `python -m portal.cli serve` as its own process on a fresh database,
creates a user with the CLI, signs in over HTTP, writes one full plan per connection through the
API, and then drives C keep-alive connections from this process (the load generator) for N
seconds per endpoint after a warm-up. At the end it stops the server with SIGTERM while requests
are still in flight (CONVENTIONS pitfall 14), checks that every acknowledged write is in the
database, and removes the temporary database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import httpx
import uvloop
from plan_content import (
    ACTIONS,
    CONTACTS,
    OUTCOMES,
    SECTIONS,
    SUPPORT_ITEMS,
    WRITE_ALTERNATIVE,
    WRITE_FIELD,
    WRITE_SECTION,
    action_body,
)

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "latest.json"
HOST = "127.0.0.1"
EMAIL = "bench.owner@example.org"
PASSWORD = "bench-password-1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DATABASE_VARIABLES = {"PORTAL_DATABASE_URL", "PORTAL_SQLITE_PATH"}
DB_LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
# The portal refuses a change without its session's CSRF token, sent in a header.
CSRF_PATH = "/api/v1/session/csrf"
CSRF_HEADER = "X-CSRF-Token"
ENDPOINTS = {
    "health": "GET /health",
    "plan_read": "GET /api/v1/plans/{id}",
    "section_write": f"PUT /api/v1/plans/{{id}}/sections/{WRITE_SECTION}",
}


class BenchError(RuntimeError):
    """The benchmark could not set up or run; the message says what was seen."""


# --- CPU accounting ----------------------------------------------------------------------


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    server: float  # seconds of CPU used by the server process (all its threads)
    client: float  # seconds of CPU used by this process, the load generator
    database: float  # seconds of CPU used by the PostgreSQL backends serving the server
    machine_busy: float  # seconds of CPU used by everything on the machine
    machine_total: float
    processes: dict[int, float]  # every process's CPU seconds, to name what else was busy


def _process_cpu(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _machine_cpu() -> tuple[float, float]:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def cpu_snapshot(server_pid: int, database_pids: list[int]) -> CpuSnapshot:
    busy, total = _machine_cpu()
    times = os.times()
    return CpuSnapshot(
        at=time.perf_counter(),
        server=_process_cpu(server_pid),
        client=times.user + times.system,
        database=sum(_process_cpu(pid) for pid in database_pids),
        machine_busy=busy,
        machine_total=total,
        processes=_all_processes_cpu(),
    )


def _all_processes_cpu() -> dict[int, float]:
    used = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            used[int(entry.name)] = _process_cpu(int(entry.name))
    return used


def _process_name(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"pid {pid} (gone)"
    name = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    return f"{pid} {name[:70]}" if name else f"pid {pid}"


def cpu_use(start: CpuSnapshot, end: CpuSnapshot, ours: set[int]) -> dict[str, Any]:
    """Percent of one core over the interval; the machine's total is out of cores x 100."""
    wall = end.at - start.at
    server = 100 * (end.server - start.server) / wall
    client = 100 * (end.client - start.client) / wall
    database = 100 * (end.database - start.database) / wall
    machine = 100 * (end.machine_busy - start.machine_busy) / wall
    return {
        "server_percent": round(server, 1),
        "client_percent": round(client, 1),
        "database_percent": round(database, 1),
        "machine_percent": round(machine, 1),
        # Anything else running on the machine at the same time: it skews the figures.
        "other_percent": round(max(0.0, machine - server - client - database), 1),
        "other_busiest": _busiest_others(start, end, ours, wall),
    }


def _busiest_others(start: CpuSnapshot, end: CpuSnapshot, ours: set[int], wall: float) -> list[str]:
    """The processes outside the benchmark that used the most CPU meanwhile."""
    used = [
        (seconds - start.processes.get(pid, 0.0), pid)
        for pid, seconds in end.processes.items()
        if pid not in ours
    ]
    busiest = sorted(used, reverse=True)[:3]
    return [f"{100 * s / wall:.0f}%: {_process_name(pid)}" for s, pid in busiest if s / wall > 0.05]


def wait_for_quiet(max_wait: float) -> float:
    """Wait (up to max_wait seconds) until other work uses under a quarter of a core.

    Between measurements the server and this process are idle, so what is busy is someone else.
    """
    started = time.monotonic()
    told = False
    while True:
        before = _machine_cpu()[0]
        time.sleep(1)
        busy = _machine_cpu()[0] - before
        waited = time.monotonic() - started
        if busy < 0.25 or waited >= max_wait:
            return waited
        if not told:
            print(f"   waiting for other work to finish ({busy:.0%} of a core busy) …", flush=True)
            told = True


# --- HTTP clients for the load --------------------------------------------------------------


@dataclass
class Reply:
    status: int
    etag: str | None
    body: bytes


class Connection(Protocol):
    async def request(
        self, method: str, path: str, headers: bytes = b"", body: bytes = b""
    ) -> Reply: ...

    async def close(self) -> None: ...


class RawConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: far cheaper per request than httpx."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.fixed = f"Host: {HOST}:{port}\r\nCookie: {cookie}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: bytes = b"", body: bytes = b""
    ) -> Reply:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self.fixed + headers
        if body:
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        self.writer.write(head + b"\r\n" + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, etag, close, chunked = 0, None, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"etag":
                etag = value.strip().decode()
            elif name == b"connection":
                close = value.strip().lower() == b"close"
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if chunked:
            content = await self._read_chunked()
        else:
            content = await self.reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return Reply(status, etag, content)

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append((await self.reader.readexactly(size + 2))[:-2])

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class HttpxConnection:
    """The same interface over one shared httpx.AsyncClient pool, to compare clients."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self, method: str, path: str, headers: bytes = b"", body: bytes = b""
    ) -> Reply:
        extra = {}
        for line in headers.decode().split("\r\n"):
            if line:
                name, _, value = line.partition(":")
                extra[name] = value.strip()
        if body:
            extra["Content-Type"] = "application/json"
        response = await self.client.request(method, path, headers=extra, content=body or None)
        return Reply(response.status_code, response.headers.get("etag"), response.content)

    async def close(self) -> None:
        pass


LOAD_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, httpx.HTTPError)


# --- workloads ----------------------------------------------------------------------------------


class Workload:
    """What one connection sends, over and over."""

    async def send(self, conn: Connection) -> Reply:
        raise NotImplementedError

    async def after(self, conn: Connection, reply: Reply) -> None:
        """Keep any state the next request depends on."""


class Health(Workload):
    async def send(self, conn: Connection) -> Reply:
        return await conn.request("GET", "/health")


class PlanRead(Workload):
    def __init__(self, plan_id: str) -> None:
        self.path = f"/api/v1/plans/{plan_id}"

    async def send(self, conn: Connection) -> Reply:
        return await conn.request("GET", self.path)


class SectionWrite(Workload):
    """Each connection writes its own plan from the ETag of its last write, so none conflict."""

    def __init__(self, plan_id: str, etag: str, csrf_token: str) -> None:
        self.plan_id = plan_id
        self.path = f"/api/v1/plans/{plan_id}/sections/{WRITE_SECTION}"
        self.csrf = f"{CSRF_HEADER}: {csrf_token}\r\n".encode()
        original = SECTIONS[WRITE_SECTION]
        changed = {**original, WRITE_FIELD: WRITE_ALTERNATIVE}
        self.bodies = [json.dumps(changed).encode(), json.dumps(original).encode()]
        self.turn = 0
        self.etag = etag
        self.acknowledged = int(etag.strip('"'))

    async def send(self, conn: Connection) -> Reply:
        body = self.bodies[self.turn]
        headers = f"If-Match: {self.etag}\r\n".encode() + self.csrf
        return await conn.request("PUT", self.path, headers, body)

    async def after(self, conn: Connection, reply: Reply) -> None:
        if 200 <= reply.status < 300 and reply.etag:
            self.etag = reply.etag
            self.acknowledged = max(self.acknowledged, int(reply.etag.strip('"')))
            self.turn ^= 1
            return
        # Start again from what the server holds, so one failure does not cause more.
        current = await conn.request("GET", self.path)
        if current.etag:
            self.etag = current.etag


@dataclass
class PhaseResult:
    endpoint: str
    seconds: float
    requests: int
    latencies: list[float] = field(repr=False)
    errors: Counter[str]
    error_samples: list[str]
    cpu: dict[str, Any]
    response_bytes: int

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            if not ordered:
                return None
            return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

        return {
            "endpoint": self.endpoint,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.requests / self.seconds, 1),
            "p50_ms": pct(0.50),
            "p90_ms": pct(0.90),
            "p99_ms": pct(0.99),
            "max_ms": round(1000 * ordered[-1], 2) if ordered else None,
            "errors": sum(self.errors.values()),
            "errors_by_status": dict(self.errors),
            "error_samples": self.error_samples,
            "response_bytes": self.response_bytes,
            "cpu": self.cpu,
        }


async def _open_connections(
    kind: str, port: int, cookie: str, count: int
) -> tuple[list[Connection], httpx.AsyncClient | None]:
    if kind == "httpx":
        client = httpx.AsyncClient(
            base_url=f"http://{HOST}:{port}",
            headers={"Cookie": cookie},
            limits=httpx.Limits(max_connections=count, max_keepalive_connections=count),
            timeout=60,
        )
        return [HttpxConnection(client) for _ in range(count)], client
    conns: list[Connection] = [RawConnection(port, cookie) for _ in range(count)]
    for conn in conns:  # connect before the clock starts
        await conn.request("GET", "/health")
    return conns, None


async def measure(
    endpoint: str,
    workloads: list[Workload],
    *,
    client_kind: str,
    port: int,
    cookie: str,
    server_pid: int,
    database_pids: list[int],
    warmup: float,
    seconds: float,
) -> PhaseResult:
    """Closed loop: each connection sends its next request as soon as the last one is answered.

    Requests that start and finish inside the measured window count; the warm-up before it
    fills pools and caches and is thrown away.
    """
    conns, shared = await _open_connections(client_kind, port, cookie, len(workloads))
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    samples: list[str] = []
    response_bytes = 0
    begin = time.perf_counter()
    window_start = begin + warmup
    window_end = window_start + seconds

    async def worker(conn: Connection, work: Workload) -> None:
        nonlocal response_bytes
        while (start := time.perf_counter()) < window_end:
            try:
                reply = await work.send(conn)
                end = time.perf_counter()
                await work.after(conn, reply)
            except LOAD_ERRORS as exc:
                if start >= window_start:
                    errors[f"connection: {type(exc).__name__}"] += 1
                    if len(samples) < 5:
                        samples.append(f"{type(exc).__name__}: {exc}")
                await conn.close()
                continue
            ok = 200 <= reply.status < 300
            if start >= window_start and not ok:
                errors[str(reply.status)] += 1
                if len(samples) < 5:
                    samples.append(f"{reply.status}: {reply.body[:300].decode(errors='replace')}")
            if window_start <= start and end <= window_end:
                latencies.append(end - start)
                response_bytes = len(reply.body)

    async def sample_cpu() -> dict[str, Any]:
        await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
        first = cpu_snapshot(server_pid, database_pids)
        await asyncio.sleep(max(0.0, window_end - time.perf_counter()))
        ours = {server_pid, os.getpid(), *database_pids}
        return cpu_use(first, cpu_snapshot(server_pid, database_pids), ours)

    sampler = asyncio.create_task(sample_cpu())
    await asyncio.gather(*(worker(c, w) for c, w in zip(conns, workloads, strict=True)))
    cpu = await sampler
    for conn in conns:
        await conn.close()
    if shared is not None:
        await shared.aclose()
    return PhaseResult(
        endpoint=endpoint,
        seconds=seconds,
        requests=len(latencies),
        latencies=latencies,
        errors=errors,
        error_samples=samples,
        cpu=cpu,
        response_bytes=response_bytes,
    )


async def stop_under_load(
    server: subprocess.Popen[bytes],
    workloads: list[Workload],
    *,
    port: int,
    cookie: str,
    load_seconds: float,
    stop_timeout: float,
) -> dict[str, Any]:
    """Send SIGTERM while every connection has a request in flight, and time the exit."""
    conns = [RawConnection(port, cookie) for _ in workloads]
    statuses: Counter[str] = Counter()
    answered_after_signal = 0
    signalled_at: float | None = None

    async def worker(conn: RawConnection, work: Workload) -> None:
        nonlocal answered_after_signal
        while True:
            try:
                reply = await work.send(conn)
                await work.after(conn, reply)
            except LOAD_ERRORS as exc:
                # Once the server is going, a closed connection is the expected way to learn it.
                statuses[f"connection closed ({type(exc).__name__})"] += 1
                return
            statuses[str(reply.status)] += 1
            if signalled_at is not None:
                answered_after_signal += 1

    tasks = [asyncio.create_task(worker(c, w)) for c, w in zip(conns, workloads, strict=True)]
    await asyncio.sleep(load_seconds)
    signalled_at = time.perf_counter()
    server.send_signal(signal.SIGTERM)
    hung = not await asyncio.to_thread(_exited_within, server, stop_timeout)
    exit_seconds = time.perf_counter() - signalled_at
    still_waiting = sum(1 for t in tasks if not t.done())
    if hung:
        server.kill()
        server.wait()
    await asyncio.wait(tasks, timeout=5)
    for task in tasks:
        task.cancel()
    for conn in conns:
        await conn.close()
    return {
        "hung": hung,
        "exit_seconds": round(exit_seconds, 3),
        "exit_code": server.returncode,
        "timeout_seconds": stop_timeout,
        "responses_by_status": dict(statuses),
        "failed_responses": sum(
            n for status, n in statuses.items() if status.isdigit() and not status.startswith("2")
        ),
        "answered_after_sigterm": answered_after_signal,
        "clients_still_waiting_at_exit": still_waiting,
    }


def _exited_within(server: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        server.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def run_async(work: Any) -> Any:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


# --- databases --------------------------------------------------------------------------------


class Database:
    kind: str
    description: str

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def acknowledged_versions(self) -> dict[str, int]:
        raise NotImplementedError

    def after_stop_checks(self) -> dict[str, Any]:
        raise NotImplementedError

    def backend_pids(self) -> list[int]:
        """Processes doing the database's work outside the server; SQLite runs inside it."""
        return []

    def cleanup(self) -> None:
        raise NotImplementedError


class SqliteDatabase(Database):
    kind = "sqlite"

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        self.path = self.directory / "portal.sqlite3"
        self.description = f"temporary file {self.path} (WAL)"

    def env(self) -> dict[str, str]:
        return {"PORTAL_DATABASE_URL": "", "PORTAL_SQLITE_PATH": str(self.path)}

    def acknowledged_versions(self) -> dict[str, int]:
        with contextlib.closing(sqlite3.connect(self.path)) as db:
            rows = db.execute(
                "SELECT plan, version FROM plan_section WHERE key = ?", (WRITE_SECTION,)
            ).fetchall()
        return {str(uuid.UUID(str(plan))): version for plan, version in rows}

    def after_stop_checks(self) -> dict[str, Any]:
        # A stopped server must not leave the file locked or damaged.
        with contextlib.closing(sqlite3.connect(self.path, timeout=0)) as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
                lock = "free"
            except sqlite3.OperationalError as exc:
                lock = f"not free: {exc}"
        return {"integrity_check": integrity, "write_lock": lock}

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class PostgresDatabase(Database):
    kind = "postgres"

    def __init__(self, base_url: str) -> None:
        url = urlparse(base_url)
        self.connect_args = {
            "host": url.hostname or HOST,
            "port": url.port or 5432,
            "user": url.username or "postgres",
            "password": url.password,
        }
        self.name = f"portal_bench_{uuid.uuid4().hex[:12]}"
        auth = url.netloc
        self.url = f"postgresql://{auth}/{self.name}"
        self.description = f"temporary database {self.name} on {url.hostname}:{url.port or 5432}"
        self.secret_key = secrets.token_urlsafe(48)
        self.created = False
        run_async(self._admin(f'CREATE DATABASE "{self.name}"'))
        self.created = True

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(database="postgres", **self.connect_args)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def _fetch(self, database: str, sql: str, *args: Any) -> list[Any]:
        import asyncpg

        conn = await asyncpg.connect(database=database, **self.connect_args)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    def env(self) -> dict[str, str]:
        # With PostgreSQL the portal needs its secret given; SQLite makes one beside the file.
        return {"PORTAL_DATABASE_URL": self.url, "PORTAL_SECRET_KEY": self.secret_key}

    def acknowledged_versions(self) -> dict[str, int]:
        rows = run_async(
            self._fetch(
                self.name, "SELECT plan, version FROM plan_section WHERE key = $1", WRITE_SECTION
            )
        )
        return {str(row["plan"]): row["version"] for row in rows}

    def backend_pids(self) -> list[int]:
        rows = run_async(
            self._fetch(
                "postgres",
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.name,
            )
        )
        return [row["pid"] for row in rows]

    def after_stop_checks(self) -> dict[str, Any]:
        # A stopped server must not leave connections (and their locks) behind.
        rows = run_async(
            self._fetch(
                "postgres",
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1",
                self.name,
            )
        )
        return {"connections_left_open": rows[0]["n"]}

    def cleanup(self) -> None:
        if self.created:
            run_async(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.created = False


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(database: Database) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DATABASE_VARIABLES}
    env.update(database.env())
    env["PYTHONUNBUFFERED"] = "1"
    return env


def create_user(env: dict[str, str]) -> None:
    # `users create` needs a database that is there: on a fresh one, `migrate` makes it first.
    create = ["users", "create", "--email", EMAIL, "--password", PASSWORD, "--name", "Maggie Doyle"]
    for command in (["migrate"], create):
        result = subprocess.run(
            [sys.executable, "-m", "portal.cli", *command],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise BenchError(
                f"`portal {' '.join(command[:2])}` failed:\n{result.stdout}{result.stderr}"
            )


@contextlib.contextmanager
def running_server(
    env: dict[str, str], port: int, log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """The real server, as `portal serve` runs it; killed on the way out if still running."""
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", "serve", "--host", HOST, "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise BenchError(
                    f"the server exited with code {server.returncode} before it answered:\n"
                    + log_tail(log_path)
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{HOST}:{port}/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise BenchError(
                    "the server did not answer /health within 60 s:\n" + log_tail(log_path)
                )
            time.sleep(0.1)
        yield server
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def scan_log(path: Path) -> dict[str, Any]:
    """What the server said besides its access log: warnings, errors, tracebacks, locks."""
    notable: list[str] = []
    counts: Counter[str] = Counter()
    with open(path, errors="replace") as log:
        for line in log:
            if '" 2' in line and line.startswith("INFO:") and "HTTP/1.1" in line:
                continue
            lowered = line.lower()
            if "database is locked" in lowered:
                counts["database is locked"] += 1
            if "traceback" in lowered:
                counts["tracebacks"] += 1
            if line.startswith(("ERROR", "WARNING", "CRITICAL")):
                counts[line.split(":", 1)[0]] += 1
            elif "Warning:" in line:
                counts["Python warnings"] += 1
            if line.startswith("INFO:") and "HTTP/1.1" in line:
                counts["non-2xx access log lines"] += 1
            if len(notable) < 40 and not line.startswith("INFO:     127.0.0.1"):
                notable.append(line.rstrip())
    return {"counts": dict(counts), "lines": notable}


# --- setting up plans through the API -------------------------------------------------------


def _check(response: httpx.Response, expected: int) -> httpx.Response:
    if response.status_code != expected:
        raise BenchError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}, expected {expected}: {response.text[:500]}"
        )
    return response


def sign_in(port: int) -> tuple[httpx.Client, str, str]:
    """A signed-in client, its Cookie header and its session's CSRF token (as the README's
    script gets them: GET /api/v1/session/csrf, then the sign-in answer's token)."""
    client = httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30)
    client.headers[CSRF_HEADER] = _check(client.get(CSRF_PATH), 200).json()["csrf_token"]
    credentials = {"email": EMAIL, "password": PASSWORD}
    response = _check(client.post("/api/v1/session", json=credentials), 201)
    if not response.cookies:
        raise BenchError("signing in set no session cookie")
    token = str(response.json()["csrf_token"])
    client.headers[CSRF_HEADER] = token
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return client, cookie, token


def create_full_plan(client: httpx.Client, number: int) -> tuple[str, str]:
    """One plan with every section written and every list filled; returns its id and write ETag."""
    plan = _check(
        client.post(
            "/api/v1/plans",
            json={"kind": "personal_health_budget", "title": f"Maggie's plan ({number})"},
        ),
        201,
    ).json()
    base = f"/api/v1/plans/{plan['id']}"
    etags = {}
    for key, content in SECTIONS.items():
        written = client.put(f"{base}/sections/{key}", json=content, headers={"If-Match": '"0"'})
        etags[key] = _check(written, 200).headers["etag"]
    outcome_ids = [
        _check(client.post(f"{base}/outcomes", json=outcome), 201).json()["id"]
        for outcome in OUTCOMES
    ]
    for outcome, item in SUPPORT_ITEMS:
        item_body = {**item, "outcome_id": outcome_ids[outcome]}
        _check(client.post(f"{base}/support-items", json=item_body), 201)
    for goal, action, days in ACTIONS:
        outcome_id = outcome_ids[goal] if goal is not None else None
        _check(client.post(f"{base}/actions", json=action_body(action, days, outcome_id)), 201)
    for contact in CONTACTS:
        _check(client.post(f"{base}/contacts", json=contact), 201)
    return plan["id"], etags[WRITE_SECTION]


def describe_plan(client: httpx.Client, plan_id: str) -> dict[str, Any]:
    response = _check(client.get(f"/api/v1/plans/{plan_id}"), 200)
    plan = response.json()
    written = [s["key"] for s in plan["sections"] if s["version"] > 0]
    facts = {
        "sections": len(plan["sections"]),
        "sections_written": len(written),
        "criteria_met": plan["criteria_summary"]["met"],
        "ready_for_sign_off": plan["criteria_summary"]["ready"],
        "outcomes": len(plan["outcomes"]),
        "support_items": len(plan["support_items"]),
        "actions": len(plan["actions"]),
        "contacts": len(plan["contacts"]),
        "json_bytes": len(response.content),
    }
    if (
        facts["sections_written"],
        facts["outcomes"],
        facts["support_items"],
        facts["actions"],
        facts["contacts"],
    ) != (len(SECTIONS), 3, 5, 4, 2) or not facts["ready_for_sign_off"]:
        raise BenchError(f"the plan read back is not the full plan that was written: {facts}")
    return facts


# --- one database ---------------------------------------------------------------------------


def bench_database(database: Database, args: argparse.Namespace) -> dict[str, Any]:
    env = server_env(database)
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="portal-bench-log-")) / "server.log"
    result: dict[str, Any] = {"database": database.kind, "description": database.description}
    try:
        print(f"\n== {DB_LABELS[database.kind]}: {database.description}", flush=True)
        create_user(env)
        with running_server(env, port, log_path) as server:
            client, cookie, csrf_token = sign_in(port)
            with contextlib.closing(client):
                started = time.perf_counter()
                plans = [create_full_plan(client, n + 1) for n in range(args.concurrency)]
                result["setup_seconds"] = round(time.perf_counter() - started, 2)
                result["plan"] = describe_plan(client, plans[0][0])
            print(
                f"   {len(plans)} full plans written through the API "
                f"in {result['setup_seconds']} s "
                f"({result['plan']['json_bytes']} bytes of JSON each when read)",
                flush=True,
            )
            common = {
                "client_kind": args.client,
                "port": port,
                "cookie": cookie,
                "server_pid": server.pid,
                "warmup": args.warmup,
                "seconds": args.seconds,
            }
            writes = [SectionWrite(plan_id, etag, csrf_token) for plan_id, etag in plans]
            phases: list[tuple[str, list[Workload]]] = [
                ("health", [Health() for _ in plans]),
                ("plan_read", [PlanRead(plan_id) for plan_id, _ in plans]),
                ("section_write", list(writes)),
            ]
            result["endpoints"] = {}
            for name, workloads in phases:
                print(f"   measuring {ENDPOINTS[name]} …", flush=True)
                waited = wait_for_quiet(args.quiet_wait)
                pids = database.backend_pids()  # the server's pool is open by now
                phase = run_async(measure(ENDPOINTS[name], workloads, database_pids=pids, **common))
                result["endpoints"][name] = phase.summary()
                result["endpoints"][name]["waited_for_quiet_seconds"] = round(waited, 1)

            print("   stopping the server with SIGTERM under load …", flush=True)
            mixed: list[Workload] = [
                writes[i] if i % 2 == 0 else PlanRead(plans[i][0]) for i in range(len(plans))
            ]
            shutdown = run_async(
                stop_under_load(
                    server,
                    mixed,
                    port=port,
                    cookie=cookie,
                    load_seconds=1.5,
                    stop_timeout=args.shutdown_timeout,
                )
            )
            stored = database.acknowledged_versions()
            lost = {
                w.plan_id: {"acknowledged": w.acknowledged, "stored": stored.get(w.plan_id)}
                for w in writes
                if (stored.get(w.plan_id) or 0) < w.acknowledged
            }
            shutdown["acknowledged_writes_lost"] = lost
            shutdown.update(database.after_stop_checks())
            result["shutdown"] = shutdown
        result["server_log"] = scan_log(log_path)
        # uvicorn re-raises SIGTERM once it has shut down, so exit code -15 is the normal ending;
        # the log says whether the app's shutdown (closing the database) ran.
        result["shutdown"]["application_shutdown_complete"] = (
            "Application shutdown complete" in log_path.read_text(errors="replace")
        )
        return result
    finally:
        shutil.rmtree(log_path.parent, ignore_errors=True)


# --- reporting --------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def format_database(result: dict[str, Any]) -> list[str]:
    label = DB_LABELS[result["database"]]
    out = [f"{label} ({result['description']})"]
    out.append(
        f"{'endpoint':<44}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'server':>8}{'client':>8}{'db':>6}{'other':>7}"
    )
    for phase in result["endpoints"].values():
        cpu = phase["cpu"]
        database = f"{cpu['database_percent']:.0f}%" if result["database"] == "postgres" else "-"
        out.append(
            f"{phase['endpoint']:<44}{phase['requests_per_second']:>8.0f}{_ms(phase['p50_ms']):>8}"
            f"{_ms(phase['p99_ms']):>8}{phase['errors']:>7}"
            f"{cpu['server_percent']:>7.0f}%{cpu['client_percent']:>7.0f}%{database:>6}"
            f"{cpu['other_percent']:>6.0f}%"
        )
    for phase in result["endpoints"].values():
        if phase["errors"]:
            out.append(f"  ! {phase['endpoint']}: {phase['errors_by_status']}")
            out.extend(f"    {sample}" for sample in phase["error_samples"][:3])
    for phase in result["endpoints"].values():
        if phase["cpu"]["other_percent"] > 25:
            out.append(
                f"  ! other processes used {phase['cpu']['other_percent']:.0f}% of a core during "
                f"{phase['endpoint']}: figures skewed, run again on a quiet machine"
            )
            out.extend(f"      {line}" for line in phase["cpu"]["other_busiest"])
    saturated = [
        p["endpoint"] for p in result["endpoints"].values() if p["cpu"]["client_percent"] > 90
    ]
    if saturated:
        out.append(
            f"  ! the load generator used a whole core during: {', '.join(saturated)}; "
            "the server may be faster than shown (try --client raw)"
        )
    ratios = result["ratios"]
    out.append(
        f"ratios (req/s): plan read / health = {ratios['plan_read_per_health']}, "
        f"write / health = {ratios['write_per_health']}"
    )
    shutdown = result["shutdown"]
    state = "HUNG" if shutdown["hung"] else "exited"
    if not shutdown["hung"] and not shutdown["application_shutdown_complete"]:
        state += " WITHOUT completing the app's shutdown"
    extra = {
        k: v
        for k, v in shutdown.items()
        if k in {"integrity_check", "write_lock", "connections_left_open"}
    }
    out.append(
        f"stop under load: SIGTERM -> {state} after {shutdown['exit_seconds']} s "
        f"(exit code {shutdown['exit_code']}), {shutdown['answered_after_sigterm']} answers after "
        f"the signal, non-2xx answers: {shutdown['failed_responses']}, "
        f"acknowledged writes lost: {len(shutdown['acknowledged_writes_lost'])}, "
        + ", ".join(f"{k}: {v}" for k, v in extra.items())
    )
    log_counts = result["server_log"]["counts"]
    if log_counts:
        out.append(f"server log: {log_counts}")
    return out


def format_comparison(results: dict[str, dict[str, Any]]) -> list[str]:
    sqlite, postgres = results["sqlite"]["endpoints"], results["postgres"]["endpoints"]
    out = ["SQLite vs PostgreSQL (req/s ratio above 1 means SQLite is faster)"]
    out.append(
        f"{'endpoint':<44}{'SQLite':>9}{'Postgres':>10}{'ratio':>8}"
        f"{'p99 SQLite':>12}{'p99 Postgres':>14}"
    )
    for name in ENDPOINTS:
        a, b = sqlite[name], postgres[name]
        out.append(
            f"{a['endpoint']:<44}{a['requests_per_second']:>9.0f}{b['requests_per_second']:>10.0f}"
            f"{_ratio(a['requests_per_second'], b['requests_per_second']):>8}"
            f"{_ms(a['p99_ms']):>12}{_ms(b['p99_ms']):>14}"
        )
    return out


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
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent connections")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated")
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="raw asyncio streams (default) or an httpx keep-alive pool",
    )
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="server to create the temporary database on",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        help="seconds to wait before each measurement for other work to stop",
    )
    parser.add_argument(
        "--shutdown-timeout",
        type=float,
        default=30,
        help="seconds to wait after SIGTERM before calling the stop a hang",
    )
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.databases) - set(DB_LABELS)
    if unknown or not args.databases:
        parser.error(f"--databases takes sqlite and/or postgres, not {sorted(unknown)}")
    if args.concurrency < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--concurrency must be at least 1 and --seconds more than 0")
    return args


def _stop_on_sigterm() -> None:
    def handler(signum: int, frame: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise KeyboardInterrupt from None
        # Inside a measurement: cancel it, so the event loop unwinds instead of a callback failing.
        for task in asyncio.all_tasks(loop):
            task.cancel()

    signal.signal(signal.SIGTERM, handler)


def run_all(
    args: argparse.Namespace, makers: dict[str, Callable[[], Database]]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    results: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    for kind in args.databases:
        database: Database | None = None
        try:
            database = makers[kind]()
            result = bench_database(database, args)
            eps = result["endpoints"]
            health = eps["health"]["requests_per_second"]
            result["ratios"] = {
                "plan_read_per_health": _ratio(eps["plan_read"]["requests_per_second"], health),
                "write_per_health": _ratio(eps["section_write"]["requests_per_second"], health),
            }
            results[kind] = result
        except Exception as exc:  # report it and go on to the next database
            failures[kind] = f"{type(exc).__name__}: {exc}"
            print(
                f"\n!! {DB_LABELS[kind]} benchmark failed: {failures[kind]}",
                file=sys.stderr,
                flush=True,
            )
        finally:
            if database is not None:
                database.cleanup()
    return results, failures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _stop_on_sigterm()
    overrides = {
        k: v
        for k, v in os.environ.items()
        if k.startswith("PORTAL_") and k not in DATABASE_VARIABLES
    }
    cores = os.cpu_count() or 1
    print(
        f"Plan portal benchmark: uvicorn (1 worker), {args.concurrency} connections, "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s per endpoint, client: {args.client}\n"
        f"This machine has {cores} CPU cores; the load generator, the server and the database "
        "share them, so the figures are for the whole system on one machine.",
        flush=True,
    )
    if overrides:
        print(f"PORTAL_* settings passed to the server: {overrides}", flush=True)

    makers: dict[str, Callable[[], Database]] = {
        "sqlite": SqliteDatabase,
        "postgres": lambda: PostgresDatabase(args.postgres_url),
    }
    try:
        results, failures = run_all(args, makers)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(
            "\nInterrupted: the server was stopped and the temporary database removed.",
            file=sys.stderr,
        )
        return 130

    report: list[str] = [""]
    for result in results.values():
        report += format_database(result) + [""]
    comparison = None
    if {"sqlite", "postgres"} <= results.keys():
        report += format_comparison(results) + [""]
        comparison = {
            name: {
                "sqlite_per_postgres_requests_per_second": _ratio(
                    results["sqlite"]["endpoints"][name]["requests_per_second"],
                    results["postgres"]["endpoints"][name]["requests_per_second"],
                )
            }
            for name in ENDPOINTS
        }
    for kind, message in failures.items():
        report.append(f"!! {DB_LABELS[kind]} was not measured: {message}")
    report.append(
        f"CPU columns: percent of one core (the machine has {cores}) during the measured window: "
        "the server process (with SQLite inside it), this load generator, PostgreSQL's backends "
        "for the server, and anything else running on the machine at the time."
    )
    print("\n".join(report), flush=True)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "git": git_revision(),
                "machine": {
                    "cpu_cores": cores,
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "note": "client, server and database share the same cores",
                },
                "settings": {
                    "seconds": args.seconds,
                    "warmup": args.warmup,
                    "concurrency": args.concurrency,
                    "client": args.client,
                    "server": "python -m portal.cli serve (uvicorn, 1 worker, access log on)",
                    "portal_overrides": overrides,
                },
                "databases": results,
                "sqlite_vs_postgres": comparison,
                "failures": failures,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Results written to {RESULTS.relative_to(REPO)}", flush=True)
    errors = any(p["errors"] for r in results.values() for p in r["endpoints"].values())
    stop_failed = any(
        r["shutdown"]["hung"]
        or r["shutdown"]["failed_responses"]
        or r["shutdown"]["acknowledged_writes_lost"]
        for r in results.values()
    )
    return 1 if failures or errors or stop_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
