"""Who may open a plan: the decision's facts, loaded fresh for each request, and the gate every
read and change of a plan goes through.

A grant revoked a moment ago counts for nothing on the very next request. The decision itself is
`policy.decide`; this module reads what it needs and records the refusals the person should see.
"""

from __future__ import annotations

import uuid
from typing import Any

from portal.consent import access_log
from portal.consent import schemas as consent_schemas
from portal.consent.policy import (
    GrantFact,
    Permission,
    PlanAccessFacts,
    RepresentationFact,
    decide,
    is_owner,
    visible_sections,
)
from portal.consent.repository import access as access_repository
from portal.consent.repository import access_log as log_repository
from portal.consent.repository.access import PlanRef, plan_ref
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import DomainError, Forbidden, not_found
from portal.core.sections import SECTION_KEYS

__all__ = [
    "PlanRef",
    "facts_for",
    "facts_for_plans",
    "plan_access",
    "plan_ref",
    "plans_shared_with",
    "read_access_log",
    "record_refused_input",
    "sections_seen_by",
]


async def facts_for_plans(actor: Actor | None, plans: list[PlanRef]) -> dict[uuid.UUID, Any]:
    """The decision's facts for each plan, in two queries however many plans there are."""
    at = clock.now()
    grants: dict[uuid.UUID, list[GrantFact]] = {}
    reps: dict[uuid.UUID, list[RepresentationFact]] = {}
    others = [plan for plan in plans if not is_owner(actor, _bare(plan))]
    if actor is not None and others:
        orgs = sorted(actor.organisation_ids)
        grants = await access_repository.grant_facts(
            [plan.id for plan in others], actor.user_id, orgs
        )
        person_ids = sorted({plan.person_id for plan in others})
        reps = await access_repository.representation_facts(person_ids, actor.user_id)
    return {
        plan.id: PlanAccessFacts(
            plan_id=plan.id,
            person_id=plan.person_id,
            state=plan.state,
            signing_off_organisation_id=plan.signing_off_organisation_id,
            has_agreed_version=plan.has_agreed_version,
            grants=tuple(grants.get(plan.id, ())),
            representations=tuple(reps.get(plan.person_id, ())),
            at=at,
        )
        for plan in plans
    }


def _bare(plan: PlanRef) -> PlanAccessFacts:
    return PlanAccessFacts(plan_id=plan.id, person_id=plan.person_id)


async def facts_for(actor: Actor | None, plan: PlanRef) -> PlanAccessFacts:
    facts: PlanAccessFacts = (await facts_for_plans(actor, [plan]))[plan.id]
    return facts


async def plans_shared_with(actor: Actor) -> list[uuid.UUID]:
    """Plans that are not the actor's own but that a grant, a representation or a submission
    to their organisation may open to them; the decision has the last word on each."""
    found = await access_repository.plan_ids_open_to(actor.user_id, sorted(actor.organisation_ids))
    return sorted(found)


async def plan_access(
    actor: Actor | None, plan_id: uuid.UUID, permission: Permission
) -> tuple[dict[str, Any], PlanAccessFacts]:
    """The plan's row and the facts, if the actor may do this; 404 when they may not know it."""
    row = await access_repository.plan_row(plan_id)
    if row is None:
        raise not_found("plan")
    facts = await facts_for(actor, plan_ref(row))
    if not decide(actor, Permission.PLAN_VIEW, facts):
        if actor is not None:
            await access_log.record(actor, facts, "refused")
        raise not_found("plan")
    if not decide(actor, permission, facts):
        raise Forbidden("Not allowed", _NOT_ALLOWED.get(permission, _NOT_ALLOWED_PLAN))
    return row, facts


_NOT_ALLOWED_PLAN = "You can read this plan but not change it."
_NOT_ALLOWED = {
    Permission.PLAN_SHARE: "Only the person whose plan this is, or someone who speaks for them, "
    "can choose who sees it.",
    Permission.PLAN_ACCESS_LOG: "Only the person whose plan this is, or someone who speaks for "
    "them, can see who has looked at it.",
    Permission.PLAN_WITHDRAW_CONSENT: "Only the person whose plan this is, or someone who speaks "
    "for them with the power to share it, can withdraw consent to share it for sign-off.",
}


def sections_seen_by(actor: Actor | None, facts: PlanAccessFacts) -> list[str]:
    return visible_sections(actor, facts, SECTION_KEYS)


async def record_refused_input(actor: Actor, plan_id: uuid.UUID, route: str) -> None:
    """A change to the plan refused for its input before any rule ran: the attempt goes in the
    access log (the route only, never what was sent), if the actor may know the plan exists."""
    try:
        _, facts = await plan_access(actor, plan_id, Permission.PLAN_VIEW)
    except DomainError:
        return
    await access_log.record(actor, facts, "input_refused", (), route.rsplit("/", 1)[-1])


async def read_access_log(
    actor: Actor, plan_id: uuid.UUID, limit: int = 500
) -> list[consent_schemas.AccessEventRead]:
    """Who read, changed, exported or shared the plan, newest first."""
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_ACCESS_LOG)
    return [
        consent_schemas.AccessEventRead(
            at=event.at,
            who=event.actor_name or "Someone not signed in",
            event=event.event,
            description=access_log.EVENT_WORDS.get(event.event, event.event),
            sections=event.sections,
            subject=event.subject,
        )
        for event in await log_repository.access_events_of_plan(facts.plan_id, limit)
    ]
