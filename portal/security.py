"""Security headers on every response, set in one place; the CSRF cookie and its checks."""

from __future__ import annotations

from collections.abc import Callable
from secrets import compare_digest
from typing import Any

from litestar import Request, Response
from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.templating import NHSUK_INLINE_SCRIPT_CSP_SOURCE

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    f"script-src 'self' {NHSUK_INLINE_SCRIPT_CSP_SOURCE}; "
    "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def security_headers_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in _HEADERS if item[0] not in present)
                path = scope.get("path", "")
                if (
                    not path.startswith(("/static/", "/assets/"))
                    and b"cache-control" not in present
                ):
                    # Plan pages and API answers are personal: never kept by shared caches.
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


# CSRF protection is Litestar's CSRFMiddleware (configured in portal/app.py): a signed random
# token in this cookie must come back in this header (API clients) or in the form field
# `_csrf_token` (pages: Litestar's `csrf_input`).
CSRF_COOKIE_NAME = "portal_csrf"
CSRF_HEADER_NAME = "X-CSRF-Token"

# What Litestar's CSRFMiddleware says when it refuses; no other 403 says this.
_CSRF_REFUSAL = "CSRF token verification failed"

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def is_csrf_refusal(exc: Exception) -> bool:
    return isinstance(exc, PermissionDeniedException) and exc.detail == _CSRF_REFUSAL


def csrf_cookie_is_signed(token: str, secret: str) -> bool:
    """Whether this server's secret signed the token (Litestar's layout: 64 hex, then HMAC)."""
    value, mac = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    expected = generate_csrf_hash(token=value, secret=secret)
    # As bytes: compare_digest refuses str with non-ASCII characters, and a cookie may have them.
    return len(value) == CSRF_SECRET_LENGTH and compare_digest(mac.encode(), expected.encode())


def renew_unsigned_csrf_cookie(handler: Handler) -> Handler:
    """After a refused token, drop a CSRF cookie this secret never signed.

    Litestar keeps whatever CSRF cookie a browser already has, so one from before the secret
    changed (a new var/secret_key, a rotated PORTAL_SECRET_KEY) would fail every form for good.
    Dropping it makes "reload the page and try again" true: the reload gets a fresh cookie.
    """

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        response = handler(request, exc)
        config = request.app.csrf_config
        token = request.cookies.get(CSRF_COOKIE_NAME)
        if (
            config is not None
            and token
            and is_csrf_refusal(exc)
            and not csrf_cookie_is_signed(token, config.secret)
        ):
            response.delete_cookie(CSRF_COOKIE_NAME, path=config.cookie_path)
        return response

    handle.__name__ = f"renew_unsigned_csrf_cookie_{getattr(handler, '__name__', 'handler')}"
    return handle
