"""Input refused before any rule ran is an attempt too: the person can see it.

A change whose body (or form) could not be used is answered with a 422 by the validation
handler, before a service is called, so no service can log it. For a change to a plan, this
adds the attempt to the plan's access log after the answer is sent: who, when and which route,
never what was sent. Only for someone who may know the plan exists; the person's own
mistakes are theirs and are not listed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.background_tasks import BackgroundTask

from portal.consent import access as consent_access
from portal.routes.auth import optional_actor

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_log = logging.getLogger("portal.consent")

Handler = Callable[[Request[Any, Any, Any], Exception], Response[Any]]


async def _record(request: Request[Any, Any, Any], plan_id: uuid.UUID, route: str) -> None:
    try:
        actor = await optional_actor(request)
        if actor is not None:
            await consent_access.record_refused_input(actor, plan_id, route)
    except Exception as exc:  # noqa: BLE001 - the answer is sent; a log line must not fail it
        _log.warning("refused input not logged for plan %s (%s)", plan_id, type(exc).__name__)


def logs_refused_input(handler: Handler) -> Handler:
    """The handler's answer, and for a change to a plan the attempt in its access log."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        response = handler(request, exc)
        plan_id = request.scope.get("path_params", {}).get("plan_id")
        if request.method not in _SAFE and isinstance(plan_id, uuid.UUID):
            route = request.scope.get("path_template") or ""
            response.background = BackgroundTask(_record, request, plan_id, str(route))
        return response

    return handle
