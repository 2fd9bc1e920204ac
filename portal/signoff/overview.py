"""Where a plan is in sign-off, what this reader may do next, and the comments and decisions so
far."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from portal.consent.money import may_see_money
from portal.consent.policy import (
    SIGN_OFF_SECTIONS,
    SUBMITTED_STATES,
    Permission,
    decide,
    visible_sections,
)
from portal.core.actor import Actor
from portal.core.sections import SECTION_KEYS
from portal.plans import access as plan_access
from portal.plans import reading as plan_reading
from portal.plans.allocation import staff_allocation_record
from portal.plans.criteria import evaluate_criteria
from portal.plans.workflow import (
    RULES,
    STATE_WORDS,
    State,
    Transition,
    allowed_from,
)
from portal.signoff import redact
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import (
    decision_rows,
    organisation_rows,
    version_rows,
)
from portal.signoff.submitting import SIGNING_OFF_KINDS, missing_criteria
from portal.signoff.transitions import plan_state
from portal.signoff.version_history import as_seen, content_hash, version_summary

ACTION_WORDS: dict[str, str] = {
    "submit": "Submitted the plan for sign-off",
    "resubmit": "Submitted the changed plan again",
    "authorise_plan": "Authorised the plan",
    "authorise_budget": "Authorised the budget: the plan is agreed",
    "return": "Returned the plan with comments",
    "amend": "Started a new draft by changing the agreed plan",
    "start_review": "Started a review",
    "withdraw_consent": "Withdrew consent to share the plan for sign-off: it is a draft again",
    "request_review": "Asked for a review",
    "decline_review": "Decided a review is not needed now",
    "propose_change": "Proposed a change to the support",
    "confirm_change": "Confirmed a change to the support",
    "decline_change": "Declined a change to the support",
    "change_to_review": "Turned a change request into a review",
    "outcome_agreed": "Agreed an outcome",
    "outcome_declined": "Declined an outcome",
    "set_allocation": "Set the indicative allocation",
}


async def _comments(
    actor: Actor, plan: plan_access.PlanRecord
) -> list[signoff_schemas.CommentRead]:
    visible = set(visible_sections(actor, plan.access, SECTION_KEYS))
    return [c for c in await decision_rows.returned_comments(plan.id) if c.section in visible]


async def comments_for(actor: Actor, plan_id: uuid.UUID) -> list[signoff_schemas.CommentRead]:
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    return await _comments(actor, plan)


async def _decisions(plan_id: uuid.UUID, money: bool) -> list[signoff_schemas.DecisionRead]:
    """The decisions on the plan; the notes of money decisions only for who may see money."""
    return [
        signoff_schemas.DecisionRead(
            seq=row.seq,
            at=row.at,
            action=row.action,
            description=ACTION_WORDS.get(row.action, row.action),
            by=row.actor_name,
            role=row.role,
            version_number=row.version_number,
            from_state=row.from_state,
            to_state=row.to_state,
            reason=(
                row.reason
                if money or not redact.is_money_entry(row.action, _details(row.details))
                else None
            ),
        )
        for row in await decision_rows.decisions(plan_id)
    ]


def _details(text: Any) -> dict[str, Any]:
    try:
        found = msgspec.json.decode(text or "{}")
    except msgspec.DecodeError:
        return {}
    return found if isinstance(found, dict) else {}


async def organisations_for_kind(kind: str) -> list[signoff_schemas.OrganisationChoice]:
    kinds = sorted(SIGNING_OFF_KINDS.get(kind, frozenset()))
    if not kinds:
        return []
    return await organisation_rows.organisations_of_kinds(kinds)


async def sign_off_status(actor: Actor, plan_id: uuid.UUID) -> signoff_schemas.SignOffRead:
    """Where the plan is, what this reader may do next, and the comments and decisions so far."""
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    row = await plan_state(plan_id)
    state = State(row.state)
    money_shown = may_see_money(actor, plan.access)
    versions = [
        as_seen(version_summary(v), money_shown) for v in await version_rows.list_versions(plan_id)
    ]
    submitted = next((v for v in versions if v.number == row.submitted_version), None)
    current_hash: str | None = None
    if submitted is not None:
        current_hash = content_hash(await plan_reading.snapshot_plan(plan_id))
    org: signoff_schemas.OrganisationChoice | None = None
    if row.signing_off_organisation:
        org = await organisation_rows.get_organisation(row.signing_off_organisation)
    may_submit = decide(actor, Permission.PLAN_SUBMIT, plan.access)
    missing: list[str] = []
    if may_submit:
        results = evaluate_criteria(await plan_reading.plan_facts(plan_id))
        errors = missing_criteria(results)
        missing = [
            e.message for e in (errors if money_shown else redact.missing_without_money(errors))
        ]
    money = await plan_reading.plan_money(plan_id) if money_shown else None
    # Consent can be withdrawn only while submitting has shared the plan (see withdrawal.py).
    sharing = state.value in SUBMITTED_STATES or row.agreed_version is not None
    allocation = await staff_allocation_record(plan_id) if money_shown else None
    steps = [
        t.value
        for t in allowed_from(state)
        if t != Transition.AMEND
        and (t != Transition.WITHDRAW_CONSENT or sharing)
        and decide(actor, RULES[t].permission, plan.access)
    ]
    return signoff_schemas.SignOffRead(
        plan_id=plan.id,
        state=state.value,
        state_words=STATE_WORDS[state],
        submitted_version=row.submitted_version,
        agreed_version=row.agreed_version,
        review_date=row.review_date,
        organisation=org,
        changed_since_submitted=(submitted is not None and current_hash != submitted.content_hash),
        current_hash=current_hash,
        submitted_hash=submitted.content_hash if submitted else None,
        shares_sections=[k for k in SECTION_KEYS if k in SIGN_OFF_SECTIONS],
        organisations=await organisations_for_kind(row.kind) if may_submit else [],
        missing=missing,
        annual_cost_pence=money.total_annual_pence if money else None,
        one_off_this_year_pence=money.one_off_this_year_pence if money else None,
        allocation_annual_pence=allocation.annual_pence if allocation else None,
        organisation_allocation=allocation,
        next_steps=steps,
        comments=await _comments(actor, plan),
        decisions=await _decisions(plan_id, money_shown),
        versions=versions,
    )
