"""The one access decision: may this actor do this to this plan (and section)?

Every route, page, export and list asks `decide`; nothing else in the portal decides access.
Until sharing exists (grants, representatives, staff roles), only a plan's own person may see
or change it; everyone else is told the plan does not exist.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

import msgspec


class Permission(StrEnum):
    PLAN_VIEW = "plan:view"
    PLAN_EDIT = "plan:edit"
    SECTION_VIEW = "section:view"
    SECTION_EDIT = "section:edit"
    SECTION_RESTORE = "section:restore"
    OUTCOME_PROPOSE = "outcome:propose"
    MONEY_EDIT = "money:edit"


class Actor(msgspec.Struct, frozen=True):
    """Who is asking: a signed-in user and the person they are."""

    user_id: uuid.UUID
    person_id: uuid.UUID
    display_name: str
    email: str


class PlanAccessFacts(msgspec.Struct, frozen=True):
    """What the decision needs to know about a plan."""

    plan_id: uuid.UUID
    person_id: uuid.UUID


def decide(
    actor: Actor | None,
    permission: Permission,
    plan: PlanAccessFacts,
    section_key: str | None = None,
) -> bool:
    """True when the actor may do this; an owner with capacity controls all of their plan."""
    if actor is None:
        return False
    return actor.person_id == plan.person_id


def visible_sections(
    actor: Actor | None, plan: PlanAccessFacts, keys: tuple[str, ...]
) -> list[str]:
    """The sections of a plan the actor may read, in order; lists are filtered by the same rule."""
    return [key for key in keys if decide(actor, Permission.SECTION_VIEW, plan, key)]
