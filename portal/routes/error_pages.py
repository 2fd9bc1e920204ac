"""Errors on pages are pages: the same problems the API explains in JSON, shown as HTML.

It answers for every route, the API's and the pages' alike, so it lives beside them in
portal.routes and imports neither.

`pages_or(api_handler)` wraps one of portal.problems' handlers: under /api/ the API's
problem+json answer is unchanged; anywhere else the person gets an NHS.UK error page with
the same status, and "sign in first" becomes a redirect to the sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from portal.core.errors import DomainError
from portal.problems import is_path_refusal, status_of
from portal.routes.rendering import SignInRedirect, render, see_other, sign_in_url
from portal.security import is_csrf_refusal

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]

_PAGE_TEXT: dict[int, tuple[str, str]] = {
    400: (
        "There is a problem with what was sent",
        "Go back, check what you entered and try again.",
    ),
    403: ("You cannot do this", "You can look at this but not change it."),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you pasted the web address, check you copied the entire address.",
    ),
    405: ("Page not found", "This page cannot be used that way. Go back and try again."),
    413: ("Too much to save at once", "Go back and save less text at a time."),
    429: ("Too many attempts", "Wait a minute, then try again."),
}
# A form sent without its security token (from another site, or a page kept open from before).
_CSRF_PAGE_TEXT = (
    "Sorry, that form could not be used",
    "Its security check failed, so nothing was saved or changed. "
    "Go back, reload the page and try again.",
)


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _actor(request: Request[Any, Any, Any]) -> Any:
    # Only an actor this request already looked up: an error page must not touch the database.
    cached = request.scope.get("portal_actor", None)
    return cached or None


def problem_page(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    if status == 401:
        return see_other(sign_in_url(request.url.path if request.method == "GET" else "/plans"))
    if status == 404:
        title, detail = _PAGE_TEXT[404]
    elif status >= 500:
        title = "Sorry, there is a problem with the service"
        detail = "Try again later. Anything you saved before this is still there."
    response = render(
        "errors/problem.html",
        _actor(request),
        status=status,
        error_title=title,
        error_detail=detail,
    )
    # Only headers that make sense on a page (Retry-After); the API's ETag is meaningless here.
    if headers and "Retry-After" in headers:
        response.headers["Retry-After"] = headers["Retry-After"]
    return response


def pages_or(api_handler: Handler) -> Handler:
    """The API's handler for /api/ paths; an HTML page (or a sign-in redirect) elsewhere."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if is_api_path(request.url.path):
            return api_handler(request, exc)
        try:
            if isinstance(exc, SignInRedirect):
                return see_other(sign_in_url(exc.next_path))
            if isinstance(exc, DomainError):
                return problem_page(request, status_of(exc), exc.title, exc.detail, exc.headers)
            if isinstance(exc, ValidationException) and is_path_refusal(exc):
                # A number in the address that nothing can have: no such page.
                return problem_page(request, 404, "", "")
            if isinstance(exc, ValidationException):
                title, detail = _PAGE_TEXT[400]
                return problem_page(request, 400, title, detail)
            if isinstance(exc, HTTPException):
                status = exc.status_code
                title, detail = _PAGE_TEXT.get(status, ("Something went wrong", "Try again."))
                if is_csrf_refusal(exc):
                    title, detail = _CSRF_PAGE_TEXT
                return problem_page(request, status, title, detail, dict(exc.headers or {}))
            request.logger.exception("unhandled error on %s %s", request.method, request.url.path)
            return problem_page(request, 500, "", "")
        except Exception:  # noqa: BLE001 - an error page that fails must still answer something
            request.logger.exception("error page failed on %s", request.url.path)
            return api_handler(request, exc)

    handle.__name__ = f"pages_or_{api_handler.__name__}"
    return handle


def redirect_to_sign_in(request: Request[Any, Any, Any], exc: SignInRedirect) -> Response[Any]:
    return see_other(sign_in_url(exc.next_path))
