"""Signing in and out through the JSON API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from portal.accounts.service import end_session, sign_in, start_session
from portal.consent.policy import Actor
from portal.plans.schemas import SessionCreate, SessionRead
from portal.problems import Problem
from portal.routes.api import openapi as doc
from portal.routes.auth import cleared_cookie, require_actor, session_cookie
from portal.security import CLEAR_SITE_DATA


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
        settings = request.app.state.settings
        old = request.cookies.get(settings.session_cookie_name)
        if old:
            await end_session(old)
        token = await start_session(user, settings.session_hours)
        from portal.accounts.service import actor_for_token

        actor = await actor_for_token(token)
        assert actor is not None
        return Response(
            SessionRead(
                user_id=actor.user_id,
                person_id=actor.person_id,
                display_name=actor.display_name,
                email=actor.email,
            ),
            status_code=201,
            cookies=[session_cookie(settings, token)],
        )

    @get("/", dependencies={"actor": Provide(require_actor)}, **doc.signed_in_read())
    async def who_am_i(self, actor: NamedDependency[Actor]) -> SessionRead:
        return SessionRead(
            user_id=actor.user_id,
            person_id=actor.person_id,
            display_name=actor.display_name,
            email=actor.email,
        )

    @delete("/", status_code=204, **doc.sign_out())
    async def sign_out(self, request: Request[Any, Any, Any]) -> Response[None]:
        settings = request.app.state.settings
        token = request.cookies.get(settings.session_cookie_name)
        if token:
            await end_session(token)
        return Response(
            None,
            status_code=204,
            cookies=[cleared_cookie(settings)],
            headers=dict(CLEAR_SITE_DATA),
        )
