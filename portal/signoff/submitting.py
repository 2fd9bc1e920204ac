"""Submitting a plan for sign-off (or again after changes): every criterion met, and the person's
consent to share the sign-off sections with the organisation that signs it off."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from portal.audit.trail import AuditDraft, append
from portal.consent import access_log
from portal.consent.money import may_see_money
from portal.consent.policy import (
    SIGN_OFF_SECTIONS,
    is_owner,
)
from portal.core.actor import Actor
from portal.core.clock import now as utc_now
from portal.core.errors import (
    Conflict,
    FieldError,
    Invalid,
)
from portal.core.sections import CRITERIA_KEYS, SECTION_KEYS, SECTION_TITLES
from portal.db import write_transaction
from portal.notifications.service import tell_about_plan
from portal.plans import reading as plan_reading
from portal.plans.allocation import staff_allocation
from portal.plans.criteria import evaluate_criteria
from portal.plans.tables import Plan
from portal.plans.workflow import (
    State,
    Transition,
    next_state,
)
from portal.signoff import redact
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import (
    organisation_rows,
    version_rows,
)
from portal.signoff.repository.plan_rows import SignOffPlan
from portal.signoff.repository.version_rows import VersionRow
from portal.signoff.transitions import (
    audited,
    decision_outcome,
    move_state,
    open_for_transition,
    plan_state,
    submitted_version,
)
from portal.signoff.version_history import content_hash

# Which kind of organisation signs off which kind of plan (Care Act plans: the council;
# personal health budgets: the NHS integrated care board).
SIGNING_OFF_KINDS: dict[str, frozenset[str]] = {
    "care_and_support": frozenset({"council"}),
    "carer_support": frozenset({"council"}),
    "personal_health_budget": frozenset({"nhs_icb"}),
}


KIND_WORDS = {"council": "council", "nhs_icb": "NHS integrated care board"}


def _json(value: Any) -> str:
    return msgspec.json.encode(value, order="sorted").decode()


def missing_criteria(snapshot_facts: list[Any]) -> list[FieldError]:
    return [
        FieldError(result.key, f"{result.title}: {'; '.join(result.missing) or 'not started'}")
        for result in snapshot_facts
        if result.status != "met"
    ]


async def _organisation_for(
    plan: SignOffPlan, organisation_id: uuid.UUID | None
) -> signoff_schemas.OrganisationChoice:
    kinds = SIGNING_OFF_KINDS.get(plan.kind, frozenset())
    chosen = organisation_id or plan.signing_off_organisation
    if chosen is None:
        raise Invalid(
            "Choose who signs it off",
            "Choose the organisation that will sign off your plan.",
            errors=[FieldError("organisation_id", "Choose an organisation")],
        )
    org = await organisation_rows.get_organisation(chosen)
    if org is None or org.kind not in kinds:
        raise Invalid(
            "Not an organisation that signs off this plan",
            "Choose one of the organisations listed: only "
            + " or ".join(KIND_WORDS.get(k, k) for k in sorted(kinds))
            + " organisations sign off this kind of plan.",
            errors=[FieldError("organisation_id", "Choose an organisation from the list")],
        )
    return org


async def submit_plan(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.SubmitRequest
) -> signoff_schemas.DecisionOutcome:
    """Submit (or submit again after changes): every criterion met, and the person's consent
    to share the sign-off sections with the organisation, recorded with the version."""

    async def act() -> int:
        plan = await open_for_transition(actor, plan_id, Transition.SUBMIT)
        row = await plan_state(plan_id)
        state = State(row.state)
        transition = Transition.SUBMIT if state == State.DRAFT else Transition.RESUBMIT
        target = next_state(state, transition)
        org = await _organisation_for(row, data.organisation_id)
        if not data.share_with_organisation:
            raise Invalid(
                "Agree to share your plan",
                f"Submitting shares these sections of your plan with {org.name}: "
                f"{', '.join(SECTION_TITLES[k] for k in CRITERIA_KEYS)}. Tick that you agree, "
                "then submit.",
                errors=[FieldError("share_with_organisation", "Tick that you agree to share")],
            )
        snapshot = await plan_reading.snapshot_plan(plan_id)
        missing = missing_criteria(evaluate_criteria(await plan_reading.plan_facts(plan_id)))
        if not may_see_money(actor, plan.access):
            missing = redact.missing_without_money(missing)
        if missing:
            raise Invalid(
                "Your plan is not ready to submit",
                "Every part of a good plan needs to be there before it is signed off. Still "
                "missing: " + " ".join(f"{e.message}." for e in missing),
                errors=missing,
            )
        digest = content_hash(snapshot)
        previous: VersionRow | None = None
        if transition == Transition.RESUBMIT:
            previous = await submitted_version(row)
            if previous.content_hash == digest:
                raise Conflict(
                    "Nothing has changed",
                    f"Version {previous.number} of your plan is already waiting for sign-off "
                    "and nothing has changed since you submitted it.",
                    current_state=state.value,
                )
        now = utc_now()
        shared = [key for key in SECTION_KEYS if key in SIGN_OFF_SECTIONS]
        async with write_transaction(Plan._meta.db):
            number = await version_rows.next_version_number(plan_id)
            await move_state(
                plan_id,
                transition,
                {"state": state.value, "submitted_version": row.submitted_version},
                {
                    "state": target.value,
                    "signing_off_organisation": org.id,
                    "submitted_version": number,
                    "state_changed_at": now,
                },
            )
            if previous is not None:
                await version_rows.set_version_status(previous.id, "withdrawn")
            money = snapshot["money"]
            # The organisation's own figure, if its staff set one already (it follows the
            # plan's organisation, just moved to the one chosen now); never the person's note.
            allocation = await staff_allocation(plan_id)
            await version_rows.insert_version(
                version_rows.NewVersion(
                    plan=plan_id,
                    number=number,
                    status="submitted",
                    organisation=org.id,
                    content=_json(snapshot),
                    content_hash=digest,
                    shared_sections=_json(shared),
                    annual_cost_pence=money["total_annual_pence"],
                    allocation_annual_pence=allocation,
                    submitted_by=actor.user_id,
                    submitted_at=now,
                )
            )
            await append(
                AuditDraft(
                    action=transition.value,
                    actor_user=actor.user_id,
                    actor_name=actor.display_name,
                    role="person" if is_owner(actor, plan.access) else "representative",
                    organisation=org.id,
                    plan=plan_id,
                    version_number=number,
                    from_state=state.value,
                    to_state=target.value,
                    version_hash=digest,
                    details={"shared_sections": shared, "consent": True},
                ),
                now,
            )
            await tell_about_plan(plan_id, transition.value, actor.user_id)
            # Submitting is consent to share: it is listed with every other sharing change.
            await access_log.record(
                actor, plan.access, "submitted", shared, str(org.id), always=True
            )
        return number

    number = await audited(actor, plan_id, Transition.SUBMIT.value, act)
    return await decision_outcome(plan_id, Transition.SUBMIT, number)
