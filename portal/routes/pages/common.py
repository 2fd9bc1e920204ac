"""What every page shares: who is signed in, rendering with the base context, banners, nav."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from litestar import Request

from portal.consent import directory
from portal.consent.policy import Permission, is_owner, visible_sections
from portal.core.actor import Actor
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.plans import service as plans
from portal.plans.schemas import PlanRead
from portal.plans.service import PlanRecord
from portal.routes.auth import optional_actor

# How a page is rendered and where it sends people is shared with the error answers, which
# live outside the pages (portal.routes.rendering); the pages take them from here.
from portal.routes.rendering import SignInRedirect as SignInRedirect
from portal.routes.rendering import render as render
from portal.routes.rendering import safe_next as safe_next
from portal.routes.rendering import see_other as see_other
from portal.routes.rendering import sign_in_url as sign_in_url


async def page_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await optional_actor(request)
    if actor is None:
        raise SignInRedirect(request.url.path if request.method == "GET" else "/plans")
    return actor


# Someone who may only read a page does not have it kept on their phone: the service worker
# keeps no copy of a page sent with this header (and drops one it kept before).
KEEP_HEADER = "X-Portal-Keep"


def keep_offline(may_change: bool) -> dict[str, str]:
    """The headers that say whether the service worker may keep this page for offline reading."""
    return {} if may_change else {KEEP_HEADER: "no"}


def plan_url(plan_id: uuid.UUID, *parts: str) -> str:
    return "/".join([f"/plans/{plan_id}", *parts]).rstrip("/")


# The pages a plan has, in the order people work through them; the header shows them.
PLAN_NAV: tuple[tuple[str, str], ...] = (
    ("", "Plan overview"),
    ("outcomes", "Outcomes"),
    ("money", "Money"),
    ("actions", "Action plan"),
    ("contacts", "Contacts"),
    ("print", "Print or download"),
)


# The section each list page shows; someone the section is not shared with gets no link to it.
_NAV_SECTIONS = {
    "outcomes": "outcomes",
    "money": "money",
    "actions": "action_plan",
    "contacts": "contacts",
}


def plan_nav(
    plan_id: uuid.UUID, current: str | None, visible: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The header's links for a plan; `visible` (the section keys the reader may see, as the
    service returned them) leaves out pages they cannot open. None: the owner's full set."""
    shown = None if visible is None else set(visible)
    items: list[dict[str, Any]] = [{"href": "/plans", "text": "My plans"}]
    for part, text in PLAN_NAV:
        if shown is not None and part in _NAV_SECTIONS and _NAV_SECTIONS[part] not in shown:
            continue
        item: dict[str, Any] = {"href": plan_url(plan_id, part), "text": text}
        if part == current:
            item["current"] = True
        items.append(item)
    return items


def shown_sections(actor: Actor | None, plan: PlanRead | PlanRecord) -> list[str]:
    """The section keys this reader may see: a read plan carries only those already."""
    if isinstance(plan, PlanRecord):
        return visible_sections(actor, plan.access, SECTION_KEYS)
    return [section.key for section in plan.sections]


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
    if query.get("accepted") == "1":
        return "Invitation accepted: you can now see what was shared with you"
    for verb in ("added", "changed", "removed"):
        noun = _ROW_NOUNS.get(query.get(verb) or "")
        if noun:
            return f"{noun} {verb}"
    return None


# --- the plan a page is about ---------------------------------------------------------------


class PlanPage:
    """The plan a page is about, with the reader's standing and the words for whose it is."""

    def __init__(self, record: PlanRecord, mine: bool, owner_name: str) -> None:
        self.record = record
        self.id = record.id
        self.title = record.title
        self.mine = mine
        self.owner_name = owner_name
        self.whose = "your plan" if mine else f"{owner_name}'s plan"
        self.whose_title = "Your plan" if mine else f"{owner_name}'s plan"


async def plan_page(actor: Actor, plan_id: uuid.UUID, permission: Permission) -> PlanPage:
    """The plan, if `permission` allows the actor it (else the service's 404), for a page."""
    record = await plans.load_plan(actor, plan_id, permission)
    mine = is_owner(actor, record.access)
    owner_name = "" if mine else await directory.person_name(record.person_id)
    return PlanPage(record, mine, owner_name)
