"""Security headers on every response, set in one place; the CSRF cookie and its checks;
what static files may do that pages may not (be compressed, be kept and revalidated)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from secrets import compare_digest
from types import MappingProxyType
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Headers, MutableScopeHeaders
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


# Signing out leaves nothing behind on the phone: the browser drops the service worker's
# caches, its registration and IndexedDB (offline copies and queued edits) with the session.
CLEAR_SITE_DATA: Mapping[str, str] = MappingProxyType({"Clear-Site-Data": '"cache", "storage"'})


# --- static files ---------------------------------------------------------------------------

# Only static files are compressed, and only text: pages and API answers carry CSRF tokens next
# to text the person typed (BREACH), and the live-update stream would be held back in a buffer.
_COMPRESSIBLE_TYPES = frozenset(
    {
        "text/css",
        "text/javascript",
        "application/javascript",
        "image/svg+xml",
        "application/json",
        "application/manifest+json",
    }
)
# Below this, gzip's framing costs about what it saves.
_GZIP_MINIMUM_BYTES = 1024
_GZIP_LEVEL = 6
# What a 304 repeats of the 200 it stands for (RFC 9110, section 15.4.5).
_NOT_MODIFIED_HEADERS = frozenset(
    {"cache-control", "content-location", "date", "etag", "expires", "last-modified", "vary"}
)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (a q of 0 refuses it)."""
    accepted: dict[str, bool] = {}
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        quality = params.strip().removeprefix("q=").strip() if params else "1"
        try:
            accepted[coding.strip()] = float(quality or "1") > 0
        except ValueError:
            accepted[coding.strip()] = False
    if "gzip" in accepted:
        return accepted["gzip"]
    return accepted.get("*", False)


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/").removeprefix("w/")


def _not_modified(request: Headers, etag: str | None, last_modified: str | None) -> bool:
    """A conditional GET the stored copy still answers (If-None-Match wins, weakly compared)."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        if etag is None:
            return False
        tags = {_opaque(tag) for tag in if_none_match.split(",")}
        return "*" in tags or _opaque(etag) in tags
    if_modified_since = request.get("if-modified-since")
    if if_modified_since is None or last_modified is None:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False


def static_files_middleware(app: ASGIApp) -> ASGIApp:
    """For the static routers only: revalidated on each use (the router sends `no-cache`), a
    conditional GET answered with 304, and text sent gzipped to browsers that take it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request = Headers.from_scope(scope)
        head = scope.get("method") == "HEAD"
        mode = "as-is"
        compressor: Any = None

        async def send_static(message: Message) -> None:
            nonlocal mode, compressor
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    await send(message)
                    return
                headers = MutableScopeHeaders.from_message(message)
                media_type = headers.get("content-type", "").split(";")[0].strip().lower()
                length = headers.get("content-length")
                compressible = (
                    media_type in _COMPRESSIBLE_TYPES
                    and "content-encoding" not in headers
                    and (length is None or int(length) >= _GZIP_MINIMUM_BYTES)
                )
                gzipped = compressible and accepts_gzip(request.get("accept-encoding", ""))
                if compressible:
                    headers.extend_header_value("vary", "Accept-Encoding")
                etag = headers.get("etag")
                if gzipped and etag and not etag.startswith("W/"):
                    # Another encoding of the same file: a strong tag would claim the same bytes.
                    etag = f"W/{etag}"
                    headers["etag"] = etag
                if _not_modified(request, etag, headers.get("last-modified")):
                    mode = "not-modified"
                    kept = [
                        (name, value)
                        for name, value in headers.headers
                        if name.decode("latin-1").lower() in _NOT_MODIFIED_HEADERS
                    ]
                    await send({**message, "status": 304, "headers": kept})
                    return
                if gzipped:
                    mode = "gzip"
                    del headers["content-length"]
                    headers["content-encoding"] = "gzip"
                    compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                await send(message)
                return
            if message["type"] != "http.response.body" or mode == "as-is" or head:
                await send(message)
                return
            more = message.get("more_body", False)
            if mode == "not-modified":
                # The file is read all the same; only its bytes are not sent.
                if not more:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            body = compressor.compress(message.get("body", b""))
            if not more:
                body += compressor.flush()
            await send({"type": "http.response.body", "body": body, "more_body": more})

        await app(scope, receive, send_static)

    return middleware
