"""Who is asking: the signed-in actor behind a request's session cookie."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from portal.accounts.service import actor_for_token
from portal.consent.policy import Actor
from portal.problems import Problem
from portal.settings import Settings


class SignInNeeded(Problem):
    def __init__(self) -> None:
        super().__init__(401, "Sign in needed", "Sign in first, then try again.")


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def optional_actor(request: Request[Any, Any, Any]) -> Actor | None:
    cached = request.scope.get("portal_actor", False)
    if cached is None or isinstance(cached, Actor):
        return cached
    token = request.cookies.get(_settings(request).session_cookie_name)
    actor = await actor_for_token(token)
    request.scope["portal_actor"] = actor  # type: ignore[typeddict-unknown-key]
    return actor


async def require_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await optional_actor(request)
    if actor is None:
        raise SignInNeeded()
    return actor


def session_cookie(settings: Settings, token: str) -> Cookie:
    return Cookie(
        key=settings.session_cookie_name,
        value=token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def cleared_cookie(settings: Settings) -> Cookie:
    return Cookie(
        key=settings.session_cookie_name,
        value="",
        max_age=0,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )
