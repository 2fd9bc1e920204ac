"""32 co-authors writing one plan at once through two app instances, for a bounded time
(30 s; PORTAL_LOAD_SECONDS changes it), on loopback: no accepted write is lost, and every
refused write was told it conflicted. Prints writes a second and the 99th percentile.

Each co-author keeps rewriting one field of one of four sections, reading the section first
and sending the version it read (If-Match). Some share a field with another co-author (their
writes truly conflict: 409), the others' stale writes merge. Afterwards the history of each
section is read back and every accepted write is found in it, at the version it was told.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from typing import Any

import httpx

from tests.conftest import PASSWORD, csrf_ready
from tests.live.conftest import account, signed_in

WRITERS = 32
SECONDS = float(os.environ.get("PORTAL_LOAD_SECONDS", "30"))
# Four sections, and in each the fields co-authors write; 32 writers over 12 fields means
# most fields have two or three writers, so real conflicts happen as well as merges.
FIELDS = {
    "starting_point": ["what_i_enjoy", "what_i_dont_like", "what_i_want_to_achieve"],
    "about_me": ["who_i_am", "strengths_and_skills", "relationships_and_community"],
    "review": ["how_reviewed", "going_well_signs", "going_wrong_signs"],
    "contacts": ["notes"],
    "staying_safe": ["contingency_plan", "point_of_contact_name"],
}
SLOTS = [(key, name) for key, names in FIELDS.items() for name in names]


async def writer(http: httpx.AsyncClient, plan_id: str, n: int, until: float) -> dict[str, Any]:
    key, field = SLOTS[n % len(SLOTS)]
    url = f"/api/v1/plans/{plan_id}/sections/{key}"
    accepted: list[tuple[int, str]] = []
    conflicts = 0
    other: Counter[int] = Counter()
    latencies: list[float] = []
    count = 0
    while time.monotonic() < until:
        current = await http.get(url)
        if current.status_code != 200:
            other[current.status_code] += 1
            continue
        count += 1
        value = f"writer {n} wrote {count}"
        started = time.perf_counter()
        sent = await http.put(
            url,
            json={**current.json()["content"], field: value},
            headers={"If-Match": current.headers["etag"]},
        )
        latencies.append(time.perf_counter() - started)
        if sent.status_code == 200:
            accepted.append((sent.json()["version"], value))
        elif sent.status_code == 409:
            body = sent.json()
            assert field in body["conflicting_fields"], body
            conflicts += 1
        else:
            other[sent.status_code] += 1
    return {
        "key": key,
        "field": field,
        "accepted": accepted,
        "conflicts": conflicts,
        "other": other,
        "latencies": latencies,
    }


async def test_32_co_authors_through_two_instances_lose_no_update(
    instances: tuple[str, str],
) -> None:
    owner_email = await account("Maggie Owner")
    owner = await signed_in(instances[0], owner_email)
    made = await owner.post("/api/v1/plans", json={"kind": "care_and_support"})
    plan_id = str(made.json()["id"])
    emails = [await account(f"Writer{n} Coauthor") for n in range(WRITERS)]
    for email in emails:
        shared = await owner.post(
            f"/api/v1/plans/{plan_id}/grants",
            json={
                "grantee_email": email,
                "sections": list(FIELDS),
                "access": "edit",
                "purpose": "To write the plan together",
            },
        )
        assert shared.status_code == 201, shared.text
    clients = []
    for n, email in enumerate(emails):
        http = httpx.AsyncClient(base_url=instances[n % 2], timeout=60)
        await csrf_ready(http)
        signed = await http.post("/api/v1/session", json={"email": email, "password": PASSWORD})
        assert signed.status_code == 201, signed.text
        clients.append(http)
    try:
        started = time.monotonic()
        results = await asyncio.gather(
            *(writer(http, plan_id, n, started + SECONDS) for n, http in enumerate(clients))
        )
        took = time.monotonic() - started
    finally:
        for http in clients:
            await http.aclose()

    accepted = sum(len(r["accepted"]) for r in results)
    conflicts = sum(r["conflicts"] for r in results)
    other: Counter[int] = sum((r["other"] for r in results), Counter())
    latencies = sorted(t for r in results for t in r["latencies"])
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0
    print(
        f"\n{WRITERS} co-authors, {took:.0f} s, two instances: {accepted} writes accepted "
        f"({accepted / took:.1f}/s), {conflicts} conflicts, p99 {p99:.0f} ms, other {dict(other)}"
    )
    # Every refused write was a conflict: nothing else went wrong.
    assert not other, other
    assert accepted > WRITERS and conflicts > 0

    # Every accepted write is in the history, at the version it was told, and in order.
    for key in FIELDS:
        history = await owner.get(f"/api/v1/plans/{plan_id}/sections/{key}/revisions")
        assert history.status_code == 200
        by_version = {r["version"]: r["content"] for r in history.json()}
        claimed = [
            (version, r["field"], value)
            for r in results
            if r["key"] == key
            for version, value in r["accepted"]
        ]
        versions = [version for version, _, _ in claimed]
        assert len(versions) == len(set(versions)), f"two writes were told the same version: {key}"
        assert sorted(by_version) == list(range(1, len(by_version) + 1)), "a gap in the history"
        for version, field, value in claimed:
            assert by_version[version][field] == value, (key, version, field)
        # The section now holds, for each field, the last accepted write to it.
        now = (await owner.get(f"/api/v1/plans/{plan_id}/sections/{key}")).json()["content"]
        for field in FIELDS[key]:
            mine = [(v, value) for v, f, value in claimed if f == field]
            if mine:
                assert now[field] == max(mine)[1], (key, field)
    await owner.aclose()
