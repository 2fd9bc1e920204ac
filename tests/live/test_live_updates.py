"""Live updates across two app instances: two real `portal serve` processes on one database and
one Redis (127.0.0.1:6379), a change saved through one, streamed as Server-Sent Events from the
other, and every event checked against the access decision before it is sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.live.conftest import account, signed_in


class Stream:
    """One reader's event stream, read in the background into a list of (event, data, when)."""

    def __init__(self, http: httpx.AsyncClient, plan_id: str) -> None:
        self.http = http
        self.plan_id = plan_id
        self.events: list[tuple[str, dict[str, Any], float]] = []
        self.ready = asyncio.Event()
        self.ended = asyncio.Event()
        self.status: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        url = f"/api/v1/plans/{self.plan_id}/events"
        async with self.http.stream("GET", url, timeout=None) as response:
            self.status = response.status_code
            if response.status_code != 200:
                self.ended.set()
                self.ready.set()
                return
            assert response.headers["content-type"].startswith("text/event-stream")
            event, data = "message", ""
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    data += line.split(":", 1)[1].strip()
                elif line == "":
                    if data:
                        self.events.append((event, json.loads(data), time.perf_counter()))
                        if event == "ready":
                            self.ready.set()
                    event, data = "message", ""
        self.ended.set()

    async def __aenter__(self) -> Stream:
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self.ready.wait(), timeout=10)
        return self

    async def __aexit__(self, *_: Any) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await self._task

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [data for event, data, _ in self.events if event == kind]

    async def wait_for(self, kind: str, section: str | None, within: float) -> float:
        """When an event of this kind about this section arrived (perf_counter)."""
        deadline = time.perf_counter() + within
        while time.perf_counter() < deadline:
            for event, data, at in self.events:
                if event == kind and data.get("section") == section:
                    return at
            await asyncio.sleep(0.005)
        raise AssertionError(f"no {kind} about {section} within {within} s: {self.events}")


async def write(http: httpx.AsyncClient, plan_id: str, key: str, content: dict[str, Any]) -> int:
    current = await http.get(f"/api/v1/plans/{plan_id}/sections/{key}")
    assert current.status_code == 200, current.text
    written = await http.put(
        f"/api/v1/plans/{plan_id}/sections/{key}",
        json={**current.json()["content"], **content},
        headers={"If-Match": current.headers["etag"]},
    )
    assert written.status_code == 200, written.text
    version: int = written.json()["version"]
    return version


async def share(http: httpx.AsyncClient, plan_id: str, email: str, sections: list[str]) -> str:
    response = await http.post(
        f"/api/v1/plans/{plan_id}/grants",
        json={
            "grantee_email": email,
            "sections": sections,
            "access": "view",
            "purpose": "To follow my plan",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
async def people(instances: tuple[str, str]) -> AsyncIterator[dict[str, Any]]:
    first, second = instances
    names = {"owner": "Maggie Owner", "reader": "Sam Reader", "money": "Robin Money"}
    emails = {key: await account(name) for key, name in names.items()}
    owner = await signed_in(first, emails["owner"])
    made = await owner.post("/api/v1/plans", json={"kind": "care_and_support"})
    assert made.status_code == 201, made.text
    plan_id = str(made.json()["id"])
    grants = {
        "reader": await share(owner, plan_id, emails["reader"], ["about_me"]),
        "money": await share(owner, plan_id, emails["money"], ["money"]),
    }
    clients = {
        "owner": owner,
        "reader": await signed_in(second, emails["reader"]),
        "money": await signed_in(second, emails["money"]),
    }
    yield {"plan_id": plan_id, "grants": grants, **clients}
    for client in clients.values():
        await client.aclose()


async def test_a_change_through_one_instance_reaches_a_reader_of_the_other_within_a_second(
    people: dict[str, Any],
) -> None:
    plan_id = people["plan_id"]
    async with (
        Stream(people["reader"], plan_id) as reader,
        Stream(people["money"], plan_id) as money_reader,
    ):
        saved_at = time.perf_counter()
        version = await write(people["owner"], plan_id, "about_me", {"who_i_am": "I am Maggie."})
        arrived = await reader.wait_for("change", "about_me", within=1.0)
        print(f"\nchange seen on the other instance after {(arrived - saved_at) * 1000:.0f} ms")
        assert arrived - saved_at < 1.0
        (change,) = reader.of("change")
        assert change["subject"] == "section:about_me" and change["version"] == version
        assert change["by_name"] == "Maggie Owner"
        # Nothing in the event is what was written.
        assert "Maggie." not in json.dumps(reader.events)

        # The money reader may not see "About me": they were told nothing of it. A change to
        # the money does reach them, so their stream was working all along.
        await write(people["owner"], plan_id, "money", {"holding_notes": "Direct payment."})
        await money_reader.wait_for("change", "money", within=1.0)
        assert [e["section"] for e in money_reader.of("change")] == ["money"]
        await asyncio.sleep(0.3)
        assert [e["section"] for e in reader.of("change")] == ["about_me"]


async def test_a_revoked_grant_ends_the_stream_and_strangers_get_none(
    people: dict[str, Any], instances: tuple[str, str]
) -> None:
    plan_id = people["plan_id"]
    async with Stream(people["reader"], plan_id) as reader:
        revoked = await people["owner"].post(
            f"/api/v1/plans/{plan_id}/grants/{people['grants']['reader']}/revoke",
            json={"reason": "No longer needed"},
        )
        assert revoked.status_code == 200, revoked.text
        await write(people["owner"], plan_id, "about_me", {"who_i_am": "Changed after."})
        await asyncio.wait_for(reader.ended.wait(), timeout=5)
        assert reader.of("end") == [{"reason": "access"}]
        assert reader.of("change") == []
    # A new stream is refused like any other request for a plan one may not see.
    async with Stream(people["reader"], plan_id) as again:
        assert again.status == 404
    stranger = await signed_in(instances[1], await account("Alex Stranger"))
    try:
        async with Stream(stranger, plan_id) as theirs:
            assert theirs.status == 404
    finally:
        await stranger.aclose()


async def test_who_is_where_reaches_only_those_who_may_see_that_section(
    people: dict[str, Any],
) -> None:
    plan_id = people["plan_id"]
    url = f"/api/v1/plans/{plan_id}/presence"
    async with (
        Stream(people["reader"], plan_id) as reader,
        Stream(people["money"], plan_id) as money_reader,
    ):
        # The person is at "About me" (through the first instance).
        said = await people["owner"].post(url, json={"section": "about_me"})
        assert said.status_code == 204, said.text
        await reader.wait_for("presence", "about_me", within=1.0)
        (seen,) = reader.of("presence")
        assert seen["by_name"] == "Maggie Owner" and seen["subject"] == "the person"
        # At the plan as a whole, everyone who may open it is told.
        await people["owner"].post(url, json={})
        await money_reader.wait_for("presence", None, within=1.0)
        assert [p["section"] for p in money_reader.of("presence")] == [None]
        # The money reader says where they are: a section they may see, or nothing.
        assert (await people["money"].post(url, json={"section": "money"})).status_code == 204
        refused = await people["money"].post(url, json={"section": "about_me"})
        assert refused.status_code == 404
        unknown = await people["money"].post(url, json={"section": "diary"})
        assert unknown.status_code == 422 and "diary" in unknown.json()["detail"]
        await asyncio.sleep(0.3)
        assert [p["section"] for p in reader.of("presence")] == ["about_me", None]
        assert reader.of("presence")[-1]["subject"] == "the person"


async def test_someone_typing_is_shown_editing_only_where_they_may_change_it(
    people: dict[str, Any],
) -> None:
    plan_id = people["plan_id"]
    url = f"/api/v1/plans/{plan_id}/presence"
    async with (
        Stream(people["reader"], plan_id) as reader,
        Stream(people["money"], plan_id) as money_reader,
    ):
        # The person types in "About me": the reader is told they are editing it.
        said = await people["owner"].post(url, json={"section": "about_me", "editing": True})
        assert said.status_code == 204, said.text
        await reader.wait_for("presence", "about_me", within=1.0)
        (seen,) = reader.of("presence")
        assert seen["editing"] is True and seen["by_name"] == "Maggie Owner"
        # Someone who may only read the money section is never shown as editing it.
        said = await people["money"].post(url, json={"section": "money", "editing": True})
        assert said.status_code == 204, said.text
        await money_reader.wait_for("presence", "money", within=1.0)
        (own,) = [p for p in money_reader.of("presence") if p["section"] == "money"]
        assert own["editing"] is False
        # Reading, not typing, is the default.
        await people["owner"].post(url, json={"section": "about_me"})
        await asyncio.sleep(0.3)
        assert [p["editing"] for p in reader.of("presence")] == [True, False]
        refused = await people["owner"].post(url, json={"section": "about_me", "editing": "yes"})
        assert refused.status_code == 422 and "editing" in refused.text
