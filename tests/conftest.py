"""Test set-up: a real database (SQLite file or PostgreSQL server), real HTTP to the app.

PORTAL_TEST_DATABASE=sqlite (default) or postgres chooses the database; the settings are put
in the environment before `portal` is imported, because Piccolo binds tables at import.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

ROOT = Path(__file__).resolve().parent.parent
_TMP = Path(tempfile.mkdtemp(prefix="portal-tests-"))
_DATABASE = os.environ.get("PORTAL_TEST_DATABASE", "sqlite")
_PG_ADMIN_URL = os.environ.get(
    "PORTAL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_PG_DB = f"portal_test_{uuid.uuid4().hex[:12]}"


def _postgres_url(database: str) -> str:
    base = _PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{database}"


def _pg_admin(sql: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(_PG_ADMIN_URL)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


if _DATABASE == "postgres":
    _pg_admin(f'CREATE DATABASE "{_PG_DB}"')
    os.environ["PORTAL_DATABASE_URL"] = _postgres_url(_PG_DB)
    # PostgreSQL has no embedded secret file: the app, and the live server after it, need this.
    os.environ["PORTAL_SECRET_KEY"] = f"test-secret-{uuid.uuid4().hex}{uuid.uuid4().hex}"
elif _DATABASE == "sqlite":
    os.environ.pop("PORTAL_DATABASE_URL", None)
    os.environ["PORTAL_SQLITE_PATH"] = str(_TMP / "portal.sqlite3")
else:
    raise RuntimeError("PORTAL_TEST_DATABASE must be sqlite or postgres")
os.environ["PICCOLO_CONF"] = "portal.piccolo_conf"

from litestar.channels import ChannelsPlugin  # noqa: E402

from portal.app import create_app  # noqa: E402
from portal.db import close_database, open_database  # noqa: E402
from portal.live import events as live  # noqa: E402
from portal.migrations import migrate  # noqa: E402
from portal.piccolo_conf import DB  # noqa: E402
from portal.security import CSRF_COOKIE_NAME, CSRF_HEADER_NAME  # noqa: E402
from portal.settings import load_settings  # noqa: E402

PASSWORD = "correct-horse-battery"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _form_carries_token(request: httpx.Request) -> bool:
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    return form and b"_csrf_token=" in request.content


CSRF_TOKEN_PATH = "/api/v1/session/csrf"


def _cookie_pairs(header: str) -> dict[str, str]:
    pairs = (item.strip().partition("=") for item in header.split(";") if item.strip())
    return {name: value for name, _, value in pairs}


def sends_csrf_header(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """Every change this client makes carries the CSRF token of the session it sends, as an API
    client must: fetched from GET /api/v1/session/csrf whenever the cookies it sends (its
    session, or its anonymous CSRF id) are not the ones the token was fetched with.

    Not when the request sets the header itself (tests of forged tokens), nor when it posts a
    form with its own `_csrf_token` field (read from the page, sent as a browser sends it).
    """
    if getattr(http, "_portal_sends_csrf", False):
        return http
    fetched: dict[str, str] = {}

    async def add_token(request: httpx.Request) -> None:
        if (
            request.method in _SAFE_METHODS
            or CSRF_HEADER_NAME in request.headers
            or _form_carries_token(request)
        ):
            return
        cookies = request.headers.get("cookie", "")
        if fetched.get("cookies") != cookies:
            # A GET, so this hook lets it by; the same cookies as the change it is for.
            answer = await http.get(CSRF_TOKEN_PATH, headers={"Cookie": cookies})
            assert answer.status_code == 200, answer.text
            # A new anonymous id was set: the change goes with it, as a browser's would.
            for name, value in answer.cookies.items():
                if name.endswith(CSRF_COOKIE_NAME) and name not in _cookie_pairs(cookies):
                    cookies = f"{cookies}; {name}={value}" if cookies else f"{name}={value}"
            if cookies:
                request.headers["Cookie"] = cookies
            fetched.update(cookies=cookies, token=answer.json()["csrf_token"])
        request.headers[CSRF_HEADER_NAME] = fetched["token"]

    hooks = http.event_hooks
    http.event_hooks = {**hooks, "request": [*hooks.get("request", []), add_token]}
    http._portal_sends_csrf = True  # type: ignore[attr-defined]
    return http


async def csrf_token(http: httpx.AsyncClient, **kwargs: object) -> str:
    """The token for the cookies this client (or a Cookie header in `kwargs`) sends now."""
    answer = await http.get(CSRF_TOKEN_PATH, **kwargs)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return str(answer.json()["csrf_token"])


async def csrf_ready(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client after its first GET (GET /api/v1/session/csrf, as the README says), which
    gives an anonymous client its CSRF cookie; from then on it sends the token with every
    change, the one for whatever session it has at the time."""
    await csrf_token(http)
    return sends_csrf_header(http)


def pytest_report_header() -> str:
    where = os.environ.get("PORTAL_DATABASE_URL") or os.environ["PORTAL_SQLITE_PATH"]
    return f"portal test database: {_DATABASE} ({where})"


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _DATABASE == "postgres":
        try:
            _pg_admin(f'DROP DATABASE IF EXISTS "{_PG_DB}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001 - cleaning up must not hide the test result
            print(f"could not drop {_PG_DB}: {exc}", file=sys.stderr)


@pytest.fixture(scope="session")
def database_kind() -> str:
    return _DATABASE


@pytest.fixture(scope="session")
async def app():  # type: ignore[no-untyped-def]
    settings = load_settings()
    await migrate(quiet=True)
    await open_database(DB, settings)
    # Live-update streams end after a second here, so that a request to one answers: httpx's
    # ASGITransport waits for the whole response. The live tests' app processes keep an hour.
    made = create_app(msgspec.structs.replace(settings, live_stream_seconds=1))
    # The app's lifespan does not run under httpx's ASGITransport: start its live-update
    # channels here, as the lifespan would.
    channels = made.plugins.get(ChannelsPlugin)
    try:
        async with channels:
            live.use(channels)
            yield made
    finally:
        live.use(None)
        await close_database(DB)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """An anonymous client speaking HTTP to the app in this process (with the CSRF cookie)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as anonymous:
        yield await csrf_ready(anonymous)


class Persona:
    """A person with a local account, and a signed-in HTTP client of their own."""

    def __init__(self, name: str, email: str, client: httpx.AsyncClient) -> None:
        self.name = name
        self.email = email
        self.client = client


async def make_persona(app, name: str) -> Persona:  # type: ignore[no-untyped-def]
    from portal.accounts.service import create_user

    email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, name.title())
    http = await csrf_ready(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    )
    response = await http.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return Persona(name, email, http)


@pytest.fixture
async def owner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "owner")
    yield persona
    await persona.client.aclose()


@pytest.fixture
async def stranger(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "stranger")
    yield persona
    await persona.client.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """The real `portal serve` in its own process, on the test database, until the block ends."""
    port = free_port()
    env = {**os.environ, **(extra_env or {})}
    # A file, not a pipe: nobody reads a pipe during the run, and a full one would stall the server.
    log_path = _TMP / f"live-server-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=_TMP,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"portal serve exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(
            f"portal serve did not answer /health within 30 s:\n{log_path.read_text()}"
        )
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The real `portal serve` in its own process, on the test database, for browsers and load."""
    with serving() as url:
        yield url
