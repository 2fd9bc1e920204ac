"""Signing in and out through the JSON API, and the CSRF token a script sends with changes."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from portal.accounts.service import actor_for_token, sign_in
from portal.core.actor import Actor
from portal.plans.schemas import CsrfTokenRead, SessionCreate, SessionRead
from portal.problems import Problem
from portal.routes.api import openapi as doc
from portal.routes.auth import begin_session, finish_session, require_actor
from portal.security import CLEAR_SITE_DATA, csrf_token_of


def _session_read(actor: Actor, csrf_token: str) -> SessionRead:
    return SessionRead(
        user_id=actor.user_id,
        person_id=actor.person_id,
        display_name=actor.display_name,
        email=actor.email,
        csrf_token=csrf_token,
    )


class SessionController(Controller):
    path = "/api/v1/session"
    tags = ["session"]

    @post("/", status_code=201, **doc.anonymous_change(401, 429))
    async def sign_in(
        self, request: Request[Any, Any, Any], data: JSONBody[SessionCreate]
    ) -> Response[SessionRead]:
        settings = request.app.state.settings
        address = request.client.host if request.client else None
        user = await sign_in(data.email, data.password, address, settings)
        if user is None:
            raise Problem(
                401,
                "Sign-in details not recognised",
                "The email address or password is not right. Check them and try again.",
            )
        token, cookie = await begin_session(request, user)
        actor = await actor_for_token(token)
        assert actor is not None
        # The new session's token: the one the client sent with this request is now refused.
        return Response(
            _session_read(actor, csrf_token_of(request)), status_code=201, cookies=[cookie]
        )

    @get("/", dependencies={"actor": Provide(require_actor)}, **doc.signed_in_read())
    async def who_am_i(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> SessionRead:
        return _session_read(actor, csrf_token_of(request))

    @get("/csrf", **doc.anonymous_read())
    async def csrf_token(self, request: Request[Any, Any, Any]) -> CsrfTokenRead:
        """The token to send in the X-CSRF-Token header with every change, signed in or not
        (the first step before signing in). It changes when the client signs in or out."""
        return CsrfTokenRead(csrf_token=csrf_token_of(request))

    @delete("/", status_code=204, **doc.sign_out())
    async def sign_out(self, request: Request[Any, Any, Any]) -> Response[None]:
        return Response(
            None,
            status_code=204,
            cookies=await finish_session(request),
            headers=dict(CLEAR_SITE_DATA),
        )
