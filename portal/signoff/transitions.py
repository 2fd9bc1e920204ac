"""What every sign-off decision does around its rule: the access decision and the state machine
open it, a refusal is audited, the plan's state moves by compare-and-set, and the answer says
where the plan is now.

Every transition is checked three times, in this order: the access decision says whether this
actor may make it (`portal.consent.policy.decide`, the permission named in `workflow.RULES`);
the state machine says whether it is open from the plan's state; the rules in `submitting` and
`staff_decisions` say whether the content allows it (criteria met, the version read is the version
submitted, the cost is within the authoriser's limit). The state changes by compare-and-set inside
a write transaction, so of two people deciding at once exactly one wins and the other gets 409.
Each decision and each refused attempt is an entry in the audit trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from portal.audit.trail import AuditDraft, append_alone
from portal.consent.policy import (
    STAFF_DECISIONS,
    Permission,
    decide,
    is_owner,
)
from portal.core.actor import Actor, Role
from portal.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    not_found,
    status_of,
)
from portal.plans import access as plan_access
from portal.plans import reading as plan_reading
from portal.plans.workflow import (
    RULES,
    STATE_WORDS,
    IllegalTransition,
    State,
    Transition,
    next_state,
)
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import (
    plan_rows,
    version_rows,
)
from portal.signoff.repository.plan_rows import SignOffPlan
from portal.signoff.repository.version_rows import VersionRow
from portal.signoff.version_history import content_hash

_T = TypeVar("_T")


async def plan_state(plan_id: uuid.UUID) -> SignOffPlan:
    """The plan's place in sign-off (404 when there is no such plan)."""
    plan = await plan_rows.get_plan(plan_id)
    if plan is None:
        raise not_found("plan")
    return plan


async def submitted_version(row: SignOffPlan) -> VersionRow:
    number = row.submitted_version
    version = await version_rows.get_version(row.id, number) if number is not None else None
    if version is None:
        # The state machine guarantees one while submitted; say so plainly if not.
        raise Conflict("Nothing under sign-off", "This plan has no version waiting for sign-off.")
    return version


def role_for(actor: Actor, organisation_id: uuid.UUID | None, roles: frozenset[Role]) -> str:
    held = sorted(
        role.role.value
        for role in actor.roles
        if role.organisation_id == organisation_id and role.role in roles
    )
    return held[0] if held else ""


async def audited(
    actor: Actor, plan_id: uuid.UUID, action: str, act: Callable[[], Awaitable[_T]]
) -> _T:
    """Run a decision; when it is refused, write the attempt to the audit trail and re-raise."""
    try:
        return await act()
    except DomainError as problem:
        await append_alone(
            AuditDraft(
                action=action,
                outcome="refused",
                actor_user=actor.user_id,
                actor_name=actor.display_name,
                plan=plan_id,
                reason=f"{status_of(problem)} {problem.title}: {problem.detail}"[:1000],
            )
        )
        raise


def _not_allowed(actor: Actor, plan: plan_access.PlanRecord, transition: Transition) -> DomainError:
    return not_allowed(actor, plan, RULES[transition].permission, RULES[transition].words)


def not_allowed(
    actor: Actor, plan: plan_access.PlanRecord, permission: Permission, words: str
) -> DomainError:
    """Why this actor may not do this, in words that say who can."""
    if permission in STAFF_DECISIONS and is_owner(actor, plan.access):
        return Forbidden(
            "Not allowed",
            "You cannot make a sign-off decision on your own plan. Another member of staff "
            "must decide.",
        )
    if permission in STAFF_DECISIONS and plan.access.representations:
        return Forbidden(
            "Not allowed",
            "You speak for this person, so you cannot make a sign-off decision on their plan. "
            "Another member of staff must decide.",
        )
    if permission in STAFF_DECISIONS:
        needed = " or ".join(
            role.value.replace("_", " ") for role in sorted(STAFF_DECISIONS[permission])
        )
        return Forbidden(
            "Not allowed",
            f"Only a {needed} of the organisation the plan was submitted to can {words}.",
        )
    if permission == Permission.PLAN_SUBMIT:
        return Forbidden(
            "Not allowed",
            "Only the person whose plan this is, or someone who speaks for them with the power "
            "to share it, can submit it.",
        )
    return Forbidden("Not allowed", f"You can read this plan but you cannot {words}.")


async def open_for_transition(
    actor: Actor, plan_id: uuid.UUID, transition: Transition
) -> plan_access.PlanRecord:
    rule = RULES[transition]
    return await open_plan_for(actor, plan_id, rule.permission, rule.words)


async def open_plan_for(
    actor: Actor, plan_id: uuid.UUID, permission: Permission, words: str
) -> plan_access.PlanRecord:
    """The plan, once the actor may do this to it: 404 when they may not know it, else 403."""
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    if not decide(actor, permission, plan.access):
        raise not_allowed(actor, plan, permission, words)
    return plan


async def move_state(
    plan_id: uuid.UUID,
    transition: Transition,
    expected: dict[str, Any],
    values: dict[str, Any],
) -> None:
    """Compare-and-set the plan's state: only if it is still what the decision was based on."""
    if not await plan_rows.move_plan(plan_id, expected, values):
        now = await plan_state(plan_id)
        raise IllegalTransition(transition, State(now.state))


def _check_hash(given: str, version: VersionRow) -> None:
    if given.strip().lower() != version.content_hash:
        raise Conflict(
            "A different version",
            f"You read a different version of this plan from the one now waiting (version "
            f"{version.number}). Reload the plan, read it again, then decide.",
            errors=[FieldError("version_hash", "Reload the plan and decide on what you read")],
            current_hash=version.content_hash,
        )


async def decided_version(
    actor: Actor, plan_id: uuid.UUID, transition: Transition, version_hash: str
) -> tuple[plan_access.PlanRecord, SignOffPlan, State, VersionRow]:
    """The start of every staff decision on a submitted version: the actor may make it, the
    state machine allows it, and the version they read is the one waiting."""
    plan = await open_for_transition(actor, plan_id, transition)
    row = await plan_state(plan_id)
    target = next_state(row.state, transition)
    version = await submitted_version(row)
    _check_hash(version_hash, version)
    return plan, row, target, version


async def check_unchanged(plan_id: uuid.UUID, version: VersionRow) -> dict[str, Any]:
    snapshot = await plan_reading.snapshot_plan(plan_id)
    if content_hash(snapshot) != version.content_hash:
        raise Conflict(
            "Changed since it was submitted",
            f"The plan was changed after version {version.number} was submitted, so what you "
            "read is not the plan as it is now. It needs to be submitted again before anyone "
            "can sign it off.",
        )
    return snapshot


async def decision_outcome(
    plan_id: uuid.UUID, transition: Transition, number: int
) -> signoff_schemas.DecisionOutcome:
    """Where a decision left the plan."""
    row = await plan_state(plan_id)
    state = State(row.state)
    return signoff_schemas.DecisionOutcome(
        plan_id=plan_id,
        decision=transition.value,
        state=state.value,
        state_words=STATE_WORDS[state],
        version_number=number,
        agreed_version=row.agreed_version,
        review_date=row.review_date,
    )


def invalid_field(field: str, title: str, detail: str) -> DomainError:
    """A refusal about one field, whose message is the detail itself."""
    return Invalid(title, detail, errors=[FieldError(field, detail)])
