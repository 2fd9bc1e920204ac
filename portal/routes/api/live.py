"""GET /api/v1/plans/{id}/events: the plan's live events as Server-Sent Events."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.response import ServerSentEvent

from portal.accounts.service import actor_for_token
from portal.consent.policy import Permission, decide
from portal.core.actor import Actor
from portal.core.clock import now
from portal.core.errors import FieldError, Invalid, Unavailable, not_found
from portal.core.sections import SECTION_KEYS
from portal.live import events
from portal.live import service as live
from portal.live.events import current_plugin
from portal.plans import access as plan_access
from portal.routes.api import openapi as doc
from portal.routes.auth import require_actor, session_token
from portal.settings import Settings


class Presence(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # The section the reader has open; None: the plan as a whole.
    section: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    # Typing in that section's form just now ("Sam (co-author) is editing Money"). Only someone
    # who may change the section is shown as editing it.
    editing: bool = False


class LiveController(Controller):
    path = "/api/v1/plans/{plan_id:uuid}"
    tags = ["live"]
    dependencies = {"actor": Provide(require_actor)}

    @get(
        "/events",
        media_type="text/event-stream",
        **doc.signed_in_read(404, 503, corrections=doc.EVENT_STREAM),
    )
    async def events(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
    ) -> ServerSentEvent:
        """Events as they happen: `ready` first, then `change` (a section or row was saved:
        its `section`, `subject` and new `version`, and who saved it) for the sections this
        reader may see, and `end` when the stream stops (access lost, signed out, or after an hour:
        reconnect). Nothing in an event is plan content: read the section again."""
        await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
        if current_plugin() is None:
            raise Unavailable(
                "Live updates are not running",
                "The page still works: reload it to see the latest changes.",
                headers={"Retry-After": "10"},
            )
        settings: Settings = request.app.state.settings
        token = session_token(request)

        async def current_actor() -> Actor | None:
            return await actor_for_token(token)

        return ServerSentEvent(
            live.stream(
                actor,
                plan_id,
                lifetime=settings.live_stream_seconds,
                current_actor=current_actor,
            ),
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @post("/presence", status_code=204, **doc.signed_in_change(404))
    async def presence(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], data: JSONBody[Presence]
    ) -> None:
        """Say that I have the plan (or one section of it) open: the others who may see that
        section are told, as a `presence` event with my name and standing. Send it again every
        minute or so while the page is open; readers forget it after two minutes."""
        record = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
        if data.section is not None:
            if data.section not in SECTION_KEYS:
                raise Invalid(
                    "There is no such section",
                    f"There is no plan section called {data.section[:40]!r}.",
                    errors=[FieldError("section", "Give a section key, or leave it out")],
                )
            if not decide(actor, Permission.SECTION_VIEW, record.access, data.section):
                raise not_found("section")
        editing = (
            data.editing
            and data.section is not None
            and decide(actor, Permission.SECTION_EDIT, record.access, data.section)
        )
        events.present(actor, record.access, data.section, now(), editing=editing)
