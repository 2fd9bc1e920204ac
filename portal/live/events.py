"""Publishing plan events: the services call `changed` once a write has committed."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, Literal

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from portal.consent.policy import ACCESS_RANK, Access, PlanAccessFacts, is_owner
from portal.core.actor import ROLE_LABELS, Actor
from portal.settings import Settings

__all__ = [
    "LiveEvent",
    "changed",
    "channels_plugin",
    "current_plugin",
    "plan_channel",
    "present",
    "standing",
    "use",
]

LOG = logging.getLogger("portal.live")

# A reader who stops reading keeps at most this many events waiting; older ones are dropped
# (the client reads the plan again when it reconnects), so memory stays bounded.
MAX_BACKLOG = 200
_plugin: ChannelsPlugin | None = None


class LiveEvent(msgspec.Struct, kw_only=True, frozen=True):
    """Something happened on a plan. `section` is the section it belongs to (None: the plan
    as a whole, such as its sign-off), which decides who may be told."""

    type: Literal["change", "presence", "sign_off"]
    plan_id: uuid.UUID
    section: str | None
    subject: str = ""
    version: int | None = None
    by_user: uuid.UUID | None = None
    by_name: str = ""
    # Presence only: typing in the section's form, not just reading it.
    editing: bool = False
    at: dt.datetime


def plan_channel(plan_id: uuid.UUID) -> str:
    return f"plan.{plan_id}"


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    """Redis pub/sub when configured (several instances share events), else memory."""
    backend: Any
    if settings.redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend  # noqa: PLC0415
        from redis.asyncio import Redis  # noqa: PLC0415

        backend = RedisChannelsPubSubBackend(
            redis=Redis.from_url(settings.redis_url), key_prefix="PORTAL_LIVE"
        )
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=MAX_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


def use(plugin: ChannelsPlugin | None) -> None:
    """The app's channels, once it has started (None when it stops)."""
    global _plugin
    _plugin = plugin


def current_plugin() -> ChannelsPlugin | None:
    return _plugin


def _publish(event: LiveEvent) -> None:
    plugin = _plugin
    if plugin is None:
        return
    try:
        plugin.publish(msgspec.json.encode(event), plan_channel(event.plan_id))
    except RuntimeError:
        # The app is starting or stopping; nobody is listening yet, or any more.
        LOG.debug("live event not sent: channels not running")


def changed(
    actor: Actor, plan_id: uuid.UUID, section: str, subject: str, version: int, at: dt.datetime
) -> None:
    """A section or row was saved (after its transaction committed)."""
    _publish(
        LiveEvent(
            type="change",
            plan_id=plan_id,
            section=section,
            subject=subject,
            version=version,
            by_user=actor.user_id,
            by_name=actor.display_name,
            at=at,
        )
    )


def standing(actor: Actor, facts: PlanAccessFacts) -> str:
    """Who someone is to this plan, in a few words: "the person", "speaks for them", a staff
    role, or what their grant lets them do."""
    if is_owner(actor, facts):
        return "the person"
    if facts.representations:
        return "speaks for them"
    staff = [r for r in actor.roles if r.organisation_id == facts.signing_off_organisation_id]
    if staff:
        return ROLE_LABELS[staff[0].role].lower()
    ranks = [ACCESS_RANK[g.access] for g in facts.grants]
    if ranks and max(ranks) >= ACCESS_RANK[Access.EDIT]:
        return "co-author"
    if ranks and max(ranks) >= ACCESS_RANK[Access.COMMENT]:
        return "commenting"
    return "reading"


def present(
    actor: Actor,
    facts: PlanAccessFacts,
    section: str | None,
    at: dt.datetime,
    *,
    editing: bool = False,
) -> None:
    """Someone has the plan open, at one section or at the plan as a whole (and may be typing
    in that section's form)."""
    _publish(
        LiveEvent(
            type="presence",
            plan_id=facts.plan_id,
            section=section,
            subject=standing(actor, facts),
            by_user=actor.user_id,
            by_name=actor.display_name,
            editing=editing,
            at=at,
        )
    )
