"""What the notifications API answers with."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec


class NotificationRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    # What happened, e.g. `return` or `authorise_budget`: one of `service.EVENTS`.
    kind: str
    # Plain words about what happened; never any of the plan's content.
    message: str
    # A path in the portal with ids only, e.g. /plans/<id>/sign-off.
    link: str
    plan_id: uuid.UUID | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationList(msgspec.Struct, kw_only=True):
    # How many of all my notifications are unread, not only of those listed.
    unread: int
    # Newest first.
    items: list[NotificationRead]
