"""Security headers on every response, set in one place; the CSRF token bound to the session;
what static files may do that pages may not (be compressed, be kept and revalidated)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from secrets import compare_digest
from types import MappingProxyType
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, Headers, MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from portal.settings import Settings, secret_key_for
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


# --- CSRF -----------------------------------------------------------------------------------

# Our own, not Litestar's CSRFMiddleware: Litestar's accepts any token its secret signed, so one
# taken from an anonymous visit worked with someone else's signed-in session, and it cannot be
# tied to our server-side sessions. Here the token is an HMAC of what the request stands for:
# the session (a hash of its cookie, never the cookie itself) when signed in, else a random id
# in the CSRF cookie. It changes when a session starts or ends, and a token from any other
# session, a made-up one or none is refused. Pages carry it in `_csrf_token` (`csrf_input`),
# scripts read it from the page and API clients get it from GET /api/v1/session/csrf or the
# sign-in answer, and send it in the header.
CSRF_COOKIE_NAME = "portal_csrf"
CSRF_HEADER_NAME = "X-CSRF-Token"
CSRF_FORM_FIELD = "_csrf_token"
CSRF_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Files there may be kept by caches, so never carry anyone's cookie; GET-only anyway.
# The service worker and the manifest are files of the same kind.
CSRF_EXCLUDED_PATHS = re.compile(r"^/static/|^/assets/|^/sw\.js$|^/manifest\.webmanifest$")

# What a refusal says; no other 403 says this (problems.py and the error pages explain it).
_CSRF_REFUSAL = "CSRF token verification failed"
# secrets.token_urlsafe(32): anything else in the cookie (Litestar's old signed cookie, a cut
# or edited one) is replaced by a fresh id, so "reload the page and try again" always works.
_ANONYMOUS_ID = re.compile(r"[A-Za-z0-9_-]{43}")


def host_only(name: str, secure: bool) -> str:
    """`__Host-name` when cookies are Secure: the browser then takes the cookie only from a
    secure page of this very host (no Domain, path /), so a sibling subdomain or a plain-http
    page cannot plant one. Browsers still share cookies between ports of a host: that the
    token is bound to the session is what makes a planted or read cookie worth nothing."""
    if secure and not name.startswith("__Host-"):
        return f"__Host-{name}"
    return name


def session_cookie_name(settings: Settings) -> str:
    return host_only(settings.session_cookie_name, settings.secure_cookies)


def is_csrf_refusal(exc: Exception) -> bool:
    return isinstance(exc, PermissionDeniedException) and exc.detail == _CSRF_REFUSAL


def _session_binding(session_token: str) -> bytes:
    return b"session:" + hashlib.sha256(session_token.encode()).hexdigest().encode()


def _anonymous_binding(anonymous_id: str) -> bytes:
    return b"anonymous:" + anonymous_id.encode()


class CsrfProtection:
    """The CSRF check for one app: its middleware, its guard, and the tokens it expects."""

    def __init__(self, settings: Settings) -> None:
        self._key = hmac.new(
            secret_key_for(settings).encode(), b"portal csrf token", hashlib.sha256
        ).digest()
        self.cookie_name = host_only(CSRF_COOKIE_NAME, settings.secure_cookies)
        self.session_cookie_name = session_cookie_name(settings)
        self._secure = settings.secure_cookies

    def _token(self, binding: bytes) -> str:
        return hmac.new(self._key, binding, hashlib.sha256).hexdigest()

    def token_for_session(self, session_token: str) -> str:
        return self._token(_session_binding(session_token))

    def cookie(self, value: str, max_age: int | None = None) -> Cookie:
        return Cookie(
            key=self.cookie_name,
            value=value,
            max_age=max_age,
            path="/",
            httponly=True,
            secure=self._secure,
            samesite="lax",
        )

    def expected_token(self, cookies: Mapping[str, str]) -> tuple[str, str | None]:
        """The token this request's cookies stand for, and a new anonymous id to set if the
        request has neither a session cookie nor a well-formed anonymous one."""
        session = cookies.get(self.session_cookie_name)
        if session:
            return self.token_for_session(session), None
        anonymous = cookies.get(self.cookie_name, "")
        if _ANONYMOUS_ID.fullmatch(anonymous):
            return self._token(_anonymous_binding(anonymous)), None
        fresh = secrets.token_urlsafe(32)
        return self._token(_anonymous_binding(fresh)), fresh

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Puts the expected token where templates find it (Litestar's `csrf_input` and
        `csrf_token()` read ScopeState.csrf_token), sets a new anonymous cookie when one is
        needed, and marks a change that did not send the token."""

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or CSRF_EXCLUDED_PATHS.match(scope["path"]):
                await app(scope, receive, send)
                return
            request: Request[Any, Any, Any] = scope["litestar_app"].request_class(
                scope=scope, receive=receive
            )
            expected, fresh = self.expected_token(request.cookies)
            ScopeState.from_scope(scope).csrf_token = expected
            if request.method not in CSRF_SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER_NAME)
                if sent is None and request.content_type[0] in {
                    RequestEncodingType.URL_ENCODED,
                    RequestEncodingType.MULTI_PART,
                }:
                    # Parsed once and kept in the scope: the handler reads the same form.
                    field = (await request.form()).get(CSRF_FORM_FIELD)
                    sent = field if isinstance(field, str) else None
                # As bytes: compare_digest refuses str with non-ASCII characters.
                good = sent is not None and compare_digest(sent.encode(), expected.encode())
                scope["portal_csrf_checked"] = good  # type: ignore[typeddict-unknown-key]
            if fresh is None:
                await app(scope, receive, send)
                return
            cookie = self.cookie(fresh)

            async def send_with_cookie(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = MutableScopeHeaders.from_message(message)
                    prefix = f"{self.cookie_name}="
                    # A handler that set this cookie itself (signing out) has the last word.
                    if not any(
                        value.startswith(prefix) for value in headers.getall("set-cookie", [])
                    ):
                        headers.add("set-cookie", cookie.to_header(header=""))
                await send(message)

            await app(scope, receive, send_with_cookie)

        return middleware

    @staticmethod
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        """Refuses a change the middleware did not find the right token on (or never saw: it
        fails closed). Raised here, inside the route, and not in the middleware: so the refusal
        is answered by our exception handlers with every other middleware's headers (security
        headers, no-store, the fresh cookie) on it."""
        scope = connection.scope
        if (
            scope["type"] == ScopeType.HTTP
            and scope.get("method") not in CSRF_SAFE_METHODS
            and scope.get("portal_csrf_checked") is not True
        ):
            raise PermissionDeniedException(_CSRF_REFUSAL)


def csrf_protection(request: Request[Any, Any, Any]) -> CsrfProtection:
    protection: CsrfProtection = request.app.state.csrf
    return protection


def csrf_token_of(request: Request[Any, Any, Any]) -> str:
    """The token this request's own cookies stand for (what its page's forms carry)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def bind_csrf_to_session(request: Request[Any, Any, Any], session_token: str) -> str:
    """The token for a session this request just started; a page rendered in the same
    request (and the API's sign-in answer) carries it, not the one the request came with."""
    token = csrf_protection(request).token_for_session(session_token)
    ScopeState.from_scope(request.scope).csrf_token = token
    return token


def expired_csrf_cookie(request: Request[Any, Any, Any]) -> Cookie:
    """Signing out drops the anonymous id too: the next visit starts from a new one, so no
    token from before the session is good after it."""
    return csrf_protection(request).cookie("", max_age=0)


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
