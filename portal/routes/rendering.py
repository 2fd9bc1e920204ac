"""How every HTML answer is made: a page from a template, a redirect after a form, sign-in.

The pages and the answers given before or instead of a page (an error page, the refused-input
page) render the same way, so this sits beside them in portal.routes, not inside the pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar.response import Redirect, Template

from portal.core.actor import Actor


class SignInRedirect(Exception):
    """A page needs someone signed in; send the browser to sign in, then back here."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def safe_next(value: str | None) -> str:
    """Only a path on this site, so a crafted sign-in link cannot send people elsewhere."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or any(c in value for c in "\r\n\\")
        or len(value) > 500
    ):
        return "/plans"
    return value


def sign_in_url(next_path: str) -> str:
    target = safe_next(next_path)
    if target in ("/", "/plans"):
        return "/sign-in"
    return f"/sign-in?next={quote(target, safe='/')}"


def see_other(url: str) -> Redirect:
    """After a POST, always a GET: refreshing the next page never sends the form again."""
    return Redirect(path=url, status_code=303)


USER_HEADER = "X-Portal-User"


def render(
    template: str,
    actor: Actor | None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    if actor is not None:
        # Whom the page was made for: the service worker keeps offline copies only of pages
        # made for the person signed in now, never one left over from someone else.
        headers = {**(headers or {}), USER_HEADER: str(actor.user_id)}
    return Template(
        template_name=template,
        context={"current_user": actor, **context},
        status_code=status,
        headers=headers,
    )
