"""The notifications API: what I have been told about plans, and marking it read."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from portal.core.actor import Actor
from portal.notifications import schemas as notification_schemas
from portal.notifications import service
from portal.routes.api import openapi as doc
from portal.routes.auth import require_actor

Limit = Annotated[
    int,
    QueryParameter(
        description=f"How many, from 1 to {service.MAX_LISTED}", ge=1, le=service.MAX_LISTED
    ),
]


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/", **doc.signed_in_read(400, 422))
    async def my_notifications(
        self, actor: NamedDependency[Actor], limit: Limit = 50
    ) -> notification_schemas.NotificationList:
        """Mine, newest first (up to `limit`, 1 to 200), and how many of them all are unread."""
        return await service.my_notifications(actor, limit)

    @post("/{notification_id:uuid}/read", status_code=200, **doc.signed_in_change(404, body=False))
    async def mark_read(
        self, actor: NamedDependency[Actor], notification_id: FromPath[uuid.UUID]
    ) -> notification_schemas.NotificationRead:
        """Someone else's notification is 404, as if it did not exist."""
        return await service.mark_read(actor, notification_id)
