"""32 people save one section at the same moment: nothing is lost, nothing is saved twice.

Each writer reads the section (and its ETag) first, then all of them write at once. A write
either lands as exactly one new revision, with versions following on without a gap, or is
refused (409, or 503 with Retry-After) and leaves no trace. The same runs in process over
ASGI and against a real `portal serve` over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from portal.accounts.service import create_user
from tests.conftest import csrf_ready, sends_csrf_header

from .helpers import assert_problem, create_plan, plan_url

WRITERS = 32
PASSWORD = "concurrent-writers-pw"
# The text fields of "About me": each can be changed without touching the others.
FIELDS = (
    "who_i_am",
    "strengths_and_skills",
    "relationships_and_community",
    "health_and_wellbeing_needs",
    "how_decisions_are_reached",
    "representative_name",
    "representative_relationship",
)

Body = dict[str, Any]


async def sign_in_many(
    make_client: Callable[[], httpx.AsyncClient], email: str
) -> list[httpx.AsyncClient]:
    """WRITERS clients, each with its own session for the same account."""
    clients = await asyncio.gather(*(csrf_ready(make_client()) for _ in range(WRITERS)))
    responses = await asyncio.gather(
        *(c.post("/api/v1/session", json={"email": email, "password": PASSWORD}) for c in clients)
    )
    assert [r.status_code for r in responses] == [201] * WRITERS
    assert (
        len({r.cookies.get("portal_sid") or r.headers["set-cookie"] for r in responses}) == WRITERS
    )
    return clients


async def race(
    clients: list[httpx.AsyncClient], url: str, change: Callable[[int, Body], Body]
) -> tuple[int, list[httpx.Response], Body]:
    """Everyone reads, then everyone writes their change at once from what they read."""
    reads = await asyncio.gather(*(c.get(url) for c in clients))
    assert {r.status_code for r in reads} == {200}
    assert len({r.headers["ETag"] for r in reads}) == 1
    start = reads[0].json()["version"]
    bodies = [change(i, dict(r.json()["content"])) for i, r in enumerate(reads)]
    responses = await asyncio.gather(
        *(
            c.put(url, json=body, headers={"If-Match": read.headers["ETag"]})
            for c, body, read in zip(clients, bodies, reads, strict=True)
        )
    )
    return start, list(responses), reads[0].json()["content"]


async def check_nothing_lost(
    reader: httpx.AsyncClient, url: str, start: int, responses: list[httpx.Response]
) -> list[tuple[int, Body]]:
    """The rules every race must keep; returns the accepted writers and what they saved."""
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409, 503}, [(r.status_code, r.text) for r in responses]
    accepted = [(i, r.json()) for i, r in enumerate(responses) if r.status_code == 200]
    for r in responses:
        if r.status_code == 409:
            problem = assert_problem(r, 409, "nothing was saved")
            assert problem["conflicting_fields"]
            assert problem["version"] > start
        elif r.status_code == 503:
            assert_problem(r, 503)
            assert int(r.headers["Retry-After"]) >= 1

    versions = sorted(body["version"] for _, body in accepted)
    assert versions == list(range(start + 1, start + 1 + len(accepted)))
    for i, body in accepted:
        assert responses[i].headers["ETag"] == f'"{body["version"]}"'

    history = (await reader.get(f"{url}/revisions")).json()
    # One revision for every version ever accepted: those before the race, and the winners.
    assert [rev["version"] for rev in history] == list(range(start + len(accepted), 0, -1))
    new = [rev for rev in history if rev["version"] > start]
    assert [rev["version"] for rev in new] == versions[::-1]
    assert all(rev["author"] == "Many Writers" for rev in new)
    for _, body in accepted:
        matching = [rev for rev in new if rev["content"] == body["content"]]
        assert len(matching) == 1
        assert matching[0]["version"] == body["version"]

    final = (await reader.get(url)).json()
    assert final["version"] == start + len(accepted)
    if accepted:
        assert final["content"] == new[0]["content"]
    return accepted


async def run_rounds(clients: list[httpx.AsyncClient], plan_id: str) -> None:
    reader = clients[0]
    url = f"{plan_url(plan_id)}/sections/about_me"

    # Round 1: all 32 change the same field to different words. One wins; 31 are told.
    start, responses, _ = await race(
        clients, url, lambda i, content: {**content, "who_i_am": f"Writer {i} says who I am"}
    )
    accepted = await check_nothing_lost(reader, url, start, responses)
    assert len(accepted) == 1
    [(winner, saved)] = accepted
    assert saved["content"]["who_i_am"] == f"Writer {winner} says who I am"
    for r in responses:
        if r.status_code == 409:
            assert r.json()["conflicting_fields"] == ["who_i_am"]
            assert r.json()["current"]["who_i_am"] == saved["content"]["who_i_am"]
    assert sum(r.status_code in (409, 503) for r in responses) == WRITERS - 1
    final = (await reader.get(url)).json()["content"]
    assert final["who_i_am"] == saved["content"]["who_i_am"]

    # Round 2: all 32 at once over seven fields. Changes to different fields all merge in;
    # on each field the first change wins and the rest conflict.
    start, responses, before = await race(
        clients, url, lambda i, content: {**content, FIELDS[i % len(FIELDS)]: f"Round 2 writer {i}"}
    )
    accepted = await check_nothing_lost(reader, url, start, responses)
    winners: dict[str, int] = {}
    for i, _ in accepted:
        field = FIELDS[i % len(FIELDS)]
        assert field not in winners, f"two writes to {field} were both accepted"
        winners[field] = i
    if not any(r.status_code == 503 for r in responses):
        assert set(winners) == set(FIELDS)
    for i, r in enumerate(responses):
        if r.status_code == 409:
            assert r.json()["conflicting_fields"] == [FIELDS[i % len(FIELDS)]]
    final = (await reader.get(url)).json()["content"]
    for field in FIELDS:
        expected = f"Round 2 writer {winners[field]}" if field in winners else before[field]
        assert final[field] == expected
    refused_values = {
        f"Round 2 writer {i}" for i, r in enumerate(responses) if r.status_code != 200
    }
    assert not refused_values & set(final.values())
    if not any(r.status_code == 503 for r in responses):
        assert sum(r.status_code == 409 for r in responses) == WRITERS - len(FIELDS)

    # Round 3: seven writers, each a different field: every change must be merged and kept.
    start, responses, before = await race(
        clients[: len(FIELDS)], url, lambda i, content: {**content, FIELDS[i]: f"Round 3 field {i}"}
    )
    accepted = await check_nothing_lost(reader, url, start, responses)
    if not any(r.status_code == 503 for r in responses):
        assert len(accepted) == len(FIELDS)
    final = (await reader.get(url)).json()["content"]
    kept = {i for i, _ in accepted}
    for i, field in enumerate(FIELDS):
        assert final[field] == (f"Round 3 field {i}" if i in kept else before[field])


async def new_account() -> str:
    email = f"writers-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, "Many Writers")
    return email


@pytest.fixture
async def in_process_writers(app) -> AsyncIterator[list[httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    """32 clients sharing one session: signing in hashes a password, and the live test below
    already signs in 32 times; here the point is 32 requests inside one process at once."""
    email = await new_account()
    transport = httpx.ASGITransport(app=app)
    first = await csrf_ready(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
    signed_in = await first.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 201
    # The others share first's cookies: its session and its CSRF token.
    clients = [first] + [
        sends_csrf_header(
            httpx.AsyncClient(
                transport=transport, base_url="http://testserver", cookies=first.cookies
            )
        )
        for _ in range(WRITERS - 1)
    ]
    yield clients
    await asyncio.gather(*(c.aclose() for c in clients))


@pytest.fixture
async def live_writers(app, live_server: str) -> AsyncIterator[list[httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    email = await new_account()  # written to the same database the server uses
    clients = await sign_in_many(lambda: httpx.AsyncClient(base_url=live_server, timeout=60), email)
    yield clients
    await asyncio.gather(*(c.aclose() for c in clients))


async def test_32_writers_in_process_lose_nothing(
    in_process_writers: list[httpx.AsyncClient],
) -> None:
    plan = await create_plan(in_process_writers[0])
    await run_rounds(in_process_writers, plan["id"])


async def test_32_writers_against_a_real_server_lose_nothing(
    live_writers: list[httpx.AsyncClient],
) -> None:
    plan = await create_plan(live_writers[0])
    await run_rounds(live_writers, plan["id"])
    # Every writer's own session still works against the server afterwards.
    reads = await asyncio.gather(*(c.get(plan_url(plan["id"])) for c in live_writers))
    assert {r.status_code for r in reads} == {200}
