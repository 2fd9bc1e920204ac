"""A plan for the actor who asks: starting one, loading one they may use, checking a section.

Every function of the plans services takes the actor and asks `portal.consent` before it reads
or writes; these are the checks they start with.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from portal.consent import access as consent_access
from portal.consent import access_log
from portal.consent.policy import Permission, PlanAccessFacts, decide
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import DomainError, Forbidden, NotFound, not_found
from portal.core.sections import SECTION_KEYS
from portal.plans import repository
from portal.plans import schemas as plan_schemas
from portal.plans.content import empty_section, section_to_dict
from portal.plans.repository import PlanRow


class PlanRecord(msgspec.Struct, frozen=True):
    id: uuid.UUID
    person_id: uuid.UUID
    kind: str
    title: str
    state: str
    created_at: dt.datetime
    updated_at: dt.datetime
    # What the access decision knows of this plan and the actor who loaded it.
    access: PlanAccessFacts


def plan_record(row: PlanRow, access: PlanAccessFacts) -> PlanRecord:
    return PlanRecord(
        row.id, row.person, row.kind, row.title, row.state, row.created_at, row.updated_at, access
    )


async def load_plan(actor: Actor | None, plan_id: uuid.UUID, permission: Permission) -> PlanRecord:
    """The plan, if the actor may do this to it; otherwise 404, so its existence does not leak."""
    row, facts = await consent_access.plan_access(actor, plan_id, permission)
    return plan_record(repository.plan_row(row), facts)


def no_such_section(key: str) -> DomainError:
    return NotFound(
        "No such section",
        f"'{key[:40]}' is not a section of a plan. The sections are: {', '.join(SECTION_KEYS)}.",
    )


async def require_section(actor: Actor, plan: PlanRecord, key: str, permission: Permission) -> None:
    if key not in SECTION_KEYS:
        raise no_such_section(key)
    if not decide(actor, Permission.SECTION_VIEW, plan.access, key):
        # Someone who may open the plan tried a section not shared with them: the person sees it.
        await access_log.record(actor, plan.access, "refused", [key])
        raise not_found("section")
    if not decide(actor, permission, plan.access, key):
        raise Forbidden("Not allowed", "You can read this section but not change it.")


async def open_section(
    actor: Actor, plan_id: uuid.UUID, key: str, permission: Permission
) -> PlanRecord:
    """The plan, once the actor may do this to this section; pages ask before reading a form,
    so nobody learns anything about a plan from how their form is judged."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await require_section(actor, plan, key, permission)
    return plan


async def create_plan(actor: Actor, data: plan_schemas.PlanCreate) -> PlanRecord:
    """Start a plan for the actor's own person, with every section empty at version 0."""
    title = data.title.strip() or plan_schemas.PLAN_KIND_LABELS[data.kind]
    now = clock.now()
    plan_id = uuid.uuid4()
    async with repository.write_transaction():
        await repository.insert_plan(
            plan_id,
            actor.person_id,
            str(data.kind),
            title,
            "draft",
            actor.user_id,
            now,
            {key: section_to_dict(empty_section(key)) for key in SECTION_KEYS},
        )
    return PlanRecord(
        id=plan_id,
        person_id=actor.person_id,
        kind=str(data.kind),
        title=title,
        state="draft",
        created_at=now,
        updated_at=now,
        access=PlanAccessFacts(plan_id=plan_id, person_id=actor.person_id),
    )
