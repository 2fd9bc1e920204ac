"""Streaming a plan's events to one reader as Server-Sent Events, each one checked first."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable

import msgspec
from litestar.response.sse import ServerSentEventMessage

from portal.consent import access as consent_access
from portal.consent.policy import Permission, decide
from portal.core.actor import Actor
from portal.core.errors import DomainError, Unavailable
from portal.live.events import LiveEvent, current_plugin, plan_channel

__all__ = ["stream"]

LOG = logging.getLogger("portal.live")

# With nothing to send, a comment this often keeps proxies from closing the stream, and the
# reader's access is checked again: a revoked grant ends the stream within this time.
HEARTBEAT_SECONDS = 15.0
# A stream ends after this long; EventSource reconnects by itself (and signs in again).
MAX_STREAM_SECONDS = 3600.0
RETRY_MS = 3000


def _message(event: LiveEvent) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        data=msgspec.json.encode(event).decode(),
        event=event.type,
        id=f"{event.at.isoformat()}",
    )


async def _may_see(actor: Actor, event: LiveEvent) -> bool | None:
    """True: send it; False: not for this reader; None: the reader lost the plan (stop)."""
    try:
        _, facts = await consent_access.plan_access(actor, event.plan_id, Permission.PLAN_VIEW)
    except DomainError:
        return None
    if event.section is None:
        return True
    return decide(actor, Permission.SECTION_VIEW, facts, event.section)


async def stream(
    actor: Actor,
    plan_id: uuid.UUID,
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
    lifetime: float = MAX_STREAM_SECONDS,
    current_actor: Callable[[], Awaitable[Actor | None]] | None = None,
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """The events of one plan that this reader may see, until they lose the plan, sign out,
    the stream reaches its lifetime, or the client goes away. The caller checked access to
    the plan. `current_actor` reads the reader's session again at each heartbeat (None: signed
    out), so that a sign-out, or a staff role that ended, counts from then on."""
    plugin = current_plugin()
    if plugin is None:
        raise Unavailable(
            "Live updates are not running", "Reload the page to see the latest changes."
        )
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + lifetime
    async with plugin.start_subscription([plan_channel(plan_id)]) as subscriber:
        yield ServerSentEventMessage(event="ready", data="{}", retry=RETRY_MS)
        events = subscriber.iter_events()
        # The next event is awaited by a task that lives across heartbeats: cancelling a wait
        # on the generator itself would close it, and no event would come after the first beat.
        pending: asyncio.Future[bytes] | None = None
        try:
            while loop.time() < ends_at:
                if pending is None:
                    pending = asyncio.ensure_future(anext(events))
                wait = min(heartbeat, max(ends_at - loop.time(), 0.01))
                done, _ = await asyncio.wait({pending}, timeout=wait)
                if not done:
                    if current_actor is not None:
                        fresh = await current_actor()
                        if fresh is None:
                            yield ServerSentEventMessage(
                                event="end", data='{"reason": "signed_out"}'
                            )
                            return
                        actor = fresh
                    try:
                        await consent_access.plan_access(actor, plan_id, Permission.PLAN_VIEW)
                    except DomainError:
                        yield ServerSentEventMessage(event="end", data='{"reason": "access"}')
                        return
                    yield ServerSentEventMessage(comment="still here")
                    continue
                try:
                    raw = pending.result()
                except StopAsyncIteration:
                    return
                finally:
                    pending = None
                try:
                    event = msgspec.json.decode(raw, type=LiveEvent)
                except msgspec.DecodeError:
                    LOG.warning("a live event that could not be read was dropped")
                    continue
                allowed = await _may_see(actor, event)
                if allowed is None:
                    yield ServerSentEventMessage(event="end", data='{"reason": "access"}')
                    return
                if allowed:
                    yield _message(event)
        finally:
            if pending is not None:
                pending.cancel()
        yield ServerSentEventMessage(event="end", data='{"reason": "lifetime"}')
