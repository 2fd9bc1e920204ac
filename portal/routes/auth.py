"""Who is asking: the signed-in actor behind a request's session cookie."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.datastructures import Cookie

from portal.accounts.service import actor_for_token, end_session, start_session
from portal.core.actor import Actor
from portal.problems import Problem
from portal.security import bind_csrf_to_session, expired_csrf_cookie, session_cookie_name
from portal.settings import Settings

if TYPE_CHECKING:
    from portal.accounts.repository import UserRecord


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
    token = session_token(request)
    actor = await actor_for_token(token)
    request.scope["portal_actor"] = actor  # type: ignore[typeddict-unknown-key]
    return actor


async def require_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await optional_actor(request)
    if actor is None:
        raise SignInNeeded()
    return actor


def session_token(request: Request[Any, Any, Any]) -> str | None:
    """The session cookie's value as sent (`__Host-` prefixed when cookies are Secure)."""
    return request.cookies.get(session_cookie_name(_settings(request)))


def session_cookie(settings: Settings, token: str) -> Cookie:
    return Cookie(
        key=session_cookie_name(settings),
        value=token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def cleared_cookie(settings: Settings) -> Cookie:
    return Cookie(
        key=session_cookie_name(settings),
        value="",
        max_age=0,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


async def begin_session(request: Request[Any, Any, Any], user: UserRecord) -> tuple[str, Cookie]:
    """Every sign-in: the session the request came with (if any) is ended, a new one starts,
    and the CSRF token moves to it. Its token and the cookie for the answer."""
    settings = _settings(request)
    old = session_token(request)
    if old:
        await end_session(old)
    token = await start_session(user, settings.session_hours)
    bind_csrf_to_session(request, token)
    request.scope.pop("portal_actor", None)  # type: ignore[typeddict-item]
    return token, session_cookie(settings, token)


async def finish_session(request: Request[Any, Any, Any]) -> list[Cookie]:
    """Every sign-out: the session ends on the server; the cookies for the answer drop it and
    the anonymous CSRF id, so no token from before is good afterwards."""
    token = session_token(request)
    if token:
        await end_session(token)
    return [cleared_cookie(_settings(request)), expired_csrf_cookie(request)]
