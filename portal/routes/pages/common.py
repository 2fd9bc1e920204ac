"""What every page shares: who is signed in, rendering with the base context, banners, nav."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.response import Redirect, Template

from portal.consent.policy import Actor
from portal.plans.content import SECTION_KEYS, SECTION_TITLES
from portal.routes.auth import optional_actor


class SignInRedirect(Exception):
    """A page needs someone signed in; send the browser to sign in, then back here."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


async def page_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await optional_actor(request)
    if actor is None:
        raise SignInRedirect(request.url.path if request.method == "GET" else "/plans")
    return actor


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


def render(
    template: str,
    actor: Actor | None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    return Template(
        template_name=template,
        context={"current_user": actor, **context},
        status_code=status,
        headers=headers,
    )


def plan_url(plan_id: uuid.UUID, *parts: str) -> str:
    return "/".join([f"/plans/{plan_id}", *parts]).rstrip("/")


# The pages a plan has, in the order people work through them; the header shows them.
PLAN_NAV: tuple[tuple[str, str], ...] = (
    ("", "Plan overview"),
    ("outcomes", "Outcomes"),
    ("money", "Money"),
    ("actions", "Action plan"),
    ("contacts", "Contacts"),
)


def plan_nav(plan_id: uuid.UUID, current: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [{"href": "/plans", "text": "My plans"}]
    for part, text in PLAN_NAV:
        item: dict[str, Any] = {"href": plan_url(plan_id, part), "text": text}
        if part == current:
            item["current"] = True
        items.append(item)
    return items


PLANS_NAV: list[dict[str, Any]] = [{"href": "/plans", "text": "My plans", "current": True}]

# Banners after a redirect name what happened with a fixed word and a known key, never with
# text from the address, so a crafted link cannot put words on the page.
_ROW_NOUNS = {
    "outcome": "Outcome",
    "support": "Support item",
    "action": "Action",
    "contact": "Contact",
}


def banner_for(query: Any) -> str | None:
    """The success message a redirect asked for, or None."""
    saved = query.get("saved")
    if saved in SECTION_KEYS:
        return f"{SECTION_TITLES[saved]} saved"
    restored = query.get("restored")
    if restored in SECTION_KEYS:
        return f"{SECTION_TITLES[restored]}: earlier version restored"
    if query.get("started") == "1":
        return "Plan started"
    for verb in ("added", "changed", "removed"):
        noun = _ROW_NOUNS.get(query.get(verb) or "")
        if noun:
            return f"{noun} {verb}"
    return None
