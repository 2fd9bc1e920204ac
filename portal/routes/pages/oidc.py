"""Signing in through an OpenID provider: leave for the provider, come back, get a session.

Both ends are GETs (the provider sends the browser back with a redirect). What was asked of
the provider is kept server-side; the browser keeps only the state, in a cookie, so that a
callback finishes only in the browser that started it.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect

from portal.accounts.oidc import ProviderUnavailable, SignInRefused
from portal.accounts.oidc_service import LOGIN_MINUTES, begin_oidc_sign_in, finish_oidc_sign_in
from portal.core.errors import not_found
from portal.problems import status_of
from portal.routes.auth import begin_session, optional_actor
from portal.routes.pages.common import render, safe_next, see_other
from portal.settings import OidcProvider, Settings

log = logging.getLogger("portal.accounts.oidc")

STATE_COOKIE = "portal_oidc_state"
_STATE_COOKIE_PATH = "/sign-in/oidc/"


def _provider(settings: Settings, name: str) -> OidcProvider:
    for provider in settings.oidc_providers:
        if provider.name == name:
            return provider
    raise not_found()


def _redirect_uri(request: Request[Any, Any, Any], provider: OidcProvider) -> str:
    if provider.redirect_uri:
        return provider.redirect_uri
    return f"{str(request.base_url).rstrip('/')}/sign-in/oidc/{provider.name}/callback"


def _state_cookie(settings: Settings, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=STATE_COOKIE,
        value=value,
        max_age=max_age,
        httponly=True,
        secure=settings.secure_cookies,
        # Lax: the provider's redirect back is a top-level GET, which carries it.
        samesite="lax",
        path=_STATE_COOKIE_PATH,
    )


def _refusal_page(
    settings: Settings, provider: OidcProvider, refusal: SignInRefused | ProviderUnavailable
) -> Response[Any]:
    log.warning("oidc: sign-in with %s refused: %s", provider.name, refusal.reason)
    response = render(
        "accounts/oidc_error.html",
        None,
        status=status_of(refusal),
        error_title=refusal.title,
        error_detail=refusal.detail,
        reference=refusal.reason,
        provider=provider,
    )
    response.cookies.append(_state_cookie(settings, "", 0))
    return response


@get("/sign-in/oidc/{provider_name:str}", name="oidc-start")
async def oidc_start(
    request: Request[Any, Any, Any], provider_name: FromPath[str]
) -> Response[Any]:
    settings: Settings = request.app.state.settings
    provider = _provider(settings, provider_name)
    next_path = safe_next(request.query_params.get("next"))
    if await optional_actor(request) is not None:
        return see_other(next_path)
    try:
        started = await begin_oidc_sign_in(
            provider, redirect_uri=_redirect_uri(request, provider), next_path=next_path
        )
    except ProviderUnavailable as refusal:
        return _refusal_page(settings, provider, refusal)
    return Redirect(
        path=started.authorization_url,
        status_code=303,
        cookies=[_state_cookie(settings, started.state, LOGIN_MINUTES * 60)],
    )


@get("/sign-in/oidc/{provider_name:str}/callback", name="oidc-callback")
async def oidc_callback(
    request: Request[Any, Any, Any], provider_name: FromPath[str]
) -> Response[Any]:
    settings: Settings = request.app.state.settings
    provider = _provider(settings, provider_name)
    try:
        user, next_path = await finish_oidc_sign_in(
            provider,
            redirect_uri=_redirect_uri(request, provider),
            params={
                key: value
                for key in ("state", "code", "error", "iss")
                if (value := request.query_params.get(key)) is not None
            },
            browser_state=request.cookies.get(STATE_COOKIE),
        )
    except (SignInRefused, ProviderUnavailable) as refusal:
        return _refusal_page(settings, provider, refusal)
    _, cookie = await begin_session(request, user)
    return Redirect(
        path=safe_next(next_path),
        status_code=303,
        cookies=[cookie, _state_cookie(settings, "", 0)],
    )


OIDC_ROUTES = [oidc_start, oidc_callback]
