"""Messages: what the portal has told me about plans, newest first, and marking them read."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.core.actor import Actor
from portal.notifications import service
from portal.routes.pages.common import render, see_other

NOTIFICATIONS_NAV: list[dict[str, Any]] = [
    {"href": "/plans", "text": "My plans"},
    {"href": "/notifications", "text": "Messages", "current": True},
]


@get("/notifications", name="notifications")
async def notifications_page(actor: NamedDependency[Actor]) -> Response[Any]:
    return render(
        "notifications/list.html",
        actor,
        notifications=await service.my_notifications(actor),
        navigation_items=NOTIFICATIONS_NAV,
    )


@post("/notifications/{notification_id:uuid}/read", name="notification-read")
async def mark_read(
    actor: NamedDependency[Actor], notification_id: FromPath[uuid.UUID]
) -> Response[Any]:
    await service.mark_read(actor, notification_id)
    # Back to the list, at the message just read (a fixed id, never text from the request).
    return see_other(f"/notifications#notification-{notification_id}")


NOTIFICATION_ROUTES: list[Any] = [notifications_page, mark_read]
