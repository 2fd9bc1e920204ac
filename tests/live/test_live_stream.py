"""The live stream's limits, on the real channels (in memory and on Redis) and the real
database: a reader who never reads holds a bounded backlog, a stream ends after its lifetime,
and a stream checks the reader's access while nothing happens."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import msgspec
import pytest

from portal.live import events as live
from portal.live.service import stream
from portal.settings import load_settings
from tests.factories import actor_of


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/0"], ids=["memory", "redis"])
async def test_a_reader_who_never_reads_holds_at_most_the_backlog(redis_url: str) -> None:
    settings = msgspec.structs.replace(load_settings(), redis_url=redis_url)
    plugin = live.channels_plugin(settings)
    channel = live.plan_channel(uuid.uuid4())
    async with plugin, plugin.start_subscription([channel]) as subscriber:
        for n in range(4_999):
            plugin.publish(b'{"n": %d}' % n, channel)
        await plugin.wait_published(b'{"n": 4999}', channel)
        await asyncio.sleep(0.5)
        assert 0 < subscriber.qsize <= live.MAX_BACKLOG
        # Another flood changes nothing: what waits for this reader stays bounded.
        for n in range(5_000):
            plugin.publish(b'{"n": %d}' % n, channel)
        await plugin.wait_published(b'{"n": 5000}', channel)
        await asyncio.sleep(0.5)
        assert subscriber.qsize <= live.MAX_BACKLOG
        first = msgspec.json.decode(await anext(subscriber.iter_events()))
        assert isinstance(first["n"], int)


async def test_a_stream_beats_checks_access_and_ends_after_its_lifetime(owner) -> None:  # type: ignore[no-untyped-def]
    made = await owner.client.post("/api/v1/plans", json={"kind": "care_and_support"})
    plan_id = uuid.UUID(made.json()["id"])
    actor = await actor_of(owner.email)
    plugin = live.channels_plugin(load_settings())
    previous = live.current_plugin()  # the test app's, put back afterwards
    async with plugin:
        live.use(plugin)
        try:
            seen = []
            started = asyncio.get_running_loop().time()
            async for message in stream(actor, plan_id, heartbeat=0.1, lifetime=0.6):
                seen.append(message.event or ("comment" if message.comment else "message"))
                if seen.count("comment") == 2 and seen[-1] == "comment":
                    # A change after the stream has beaten twice still arrives as an event.
                    live.changed(
                        actor, plan_id, "about_me", "section:about_me", 2, dt.datetime.now(dt.UTC)
                    )
            took = asyncio.get_running_loop().time() - started
        finally:
            live.use(previous)
    assert seen[0] == "ready" and seen[-1] == "end"
    assert "change" in seen and seen.index("change") > seen.index("comment") + 1
    assert seen.count("comment") >= 3
    assert took < 2


async def test_a_stream_for_someone_who_lost_the_plan_ends_at_the_next_beat(
    owner, stranger
) -> None:  # type: ignore[no-untyped-def]
    made = await owner.client.post("/api/v1/plans", json={"kind": "care_and_support"})
    plan_id = uuid.UUID(made.json()["id"])
    # As if the stranger had had access when the stream began, and lost it since.
    actor = await actor_of(stranger.email)
    plugin = live.channels_plugin(load_settings())
    previous = live.current_plugin()  # the test app's, put back afterwards
    async with plugin:
        live.use(plugin)
        try:
            seen = [m async for m in stream(actor, plan_id, heartbeat=0.1, lifetime=5)]
        finally:
            live.use(previous)
    assert [m.event for m in seen] == ["ready", "end"]
    assert seen[-1].data == '{"reason": "access"}'


async def test_a_stream_ends_at_the_next_beat_after_its_reader_signs_out(owner) -> None:  # type: ignore[no-untyped-def]
    made = await owner.client.post("/api/v1/plans", json={"kind": "care_and_support"})
    plan_id = uuid.UUID(made.json()["id"])
    actor = await actor_of(owner.email)
    sessions = [actor, actor, None]  # signed in for two beats, then signed out

    async def current_actor() -> Any:
        return sessions.pop(0)

    plugin = live.channels_plugin(load_settings())
    previous = live.current_plugin()
    async with plugin:
        live.use(plugin)
        try:
            seen = [
                m
                async for m in stream(
                    actor, plan_id, heartbeat=0.1, lifetime=5, current_actor=current_actor
                )
            ]
        finally:
            live.use(previous)
    assert [m.event or "comment" for m in seen] == ["ready", "comment", "comment", "end"]
    assert seen[-1].data == '{"reason": "signed_out"}'
    assert sessions == []
