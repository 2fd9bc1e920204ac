"""Pat's plan waiting for sign-off and Chris's agreed one: written, submitted and decided
through the same services the portal's pages call."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import msgspec

from portal.core.actor import Actor
from portal.core.sections import SECTION_TITLES
from portal.demo.people import (
    CHRIS_ALLOCATION,
    CHRIS_REVIEW_IN,
    DEMO_AGREED,
    DEMO_BUDGET_AUTHORISER,
    DEMO_ORGANISATION,
    DEMO_STAFF,
    DEMO_SUBMITTED,
    PAT_ALLOCATION,
    demo_actor,
)
from portal.demo.plans import PlanContent, chris_plan, pat_plan
from portal.plans import access as plan_access
from portal.plans import reading as plan_reading
from portal.plans import rows as plan_rows
from portal.plans import schemas as plan_schemas
from portal.plans import sections as plan_sections
from portal.signoff import allocation, outcome_decisions, overview, staff_decisions, submitting
from portal.signoff import schemas as signoff_schemas


async def _write_plan(
    owner: Actor, plan: PlanContent, progress: Callable[[str], None]
) -> uuid.UUID:
    made = await plan_access.create_plan(
        owner,
        plan_schemas.PlanCreate(kind=plan_schemas.PlanKind.care_and_support, title=plan.title),
    )
    for key, content in plan.sections:
        progress(f"  writing '{SECTION_TITLES[key]}'")
        await plan_sections.write_section(owner, made.id, key, content, based_on=0)
    progress("  adding outcomes, support, actions and contacts")
    for goal in plan.goals:
        outcome = await plan_rows.create_row(owner, made.id, "outcome", goal.outcome)
        for item in goal.support:
            linked = msgspec.structs.replace(item, outcome_id=outcome.id)
            await plan_rows.create_row(owner, made.id, "support", linked)
        for action in goal.actions:
            linked_action = msgspec.structs.replace(action, outcome_id=outcome.id)
            await plan_rows.create_row(owner, made.id, "action", linked_action)
    for contact in plan.contacts:
        await plan_rows.create_row(owner, made.id, "contact", contact)
    return made.id


async def _submit(owner: Actor, plan_id: uuid.UUID, council: uuid.UUID) -> None:
    """The person submits, agreeing to share the sign-off sections with the council."""
    await submitting.submit_plan(
        owner,
        plan_id,
        signoff_schemas.SubmitRequest(organisation_id=council, share_with_organisation=True),
    )


async def _submitted_hash(staff: Actor, plan_id: uuid.UUID) -> str:
    """The version a member of staff reads before deciding, as the sign-off page shows it."""
    status = await overview.sign_off_status(staff, plan_id)
    assert status.submitted_hash is not None
    return status.submitted_hash


async def load_pat(council: uuid.UUID, progress: Callable[[str], None]) -> bool:
    """Pat's complete plan, submitted to the council: it waits for plan authorisation."""
    pat = await demo_actor(DEMO_SUBMITTED, "Pat Taylor")
    if await plan_reading.list_plans(pat):
        return False
    progress("Creating Pat's plan…")
    plan_id = await _write_plan(pat, pat_plan(dt.date.today()), progress)
    progress(f"  submitting it to {DEMO_ORGANISATION}")
    await _submit(pat, plan_id, council)
    # The council's own figure, which the budget is checked against; the outcomes stay for
    # Casey to agree or decline before authorising the plan.
    casey = await demo_actor(DEMO_STAFF, "Casey Jones")
    progress("  Casey Jones sets the council's indicative allocation")
    await allocation.set_allocation(
        casey,
        plan_id,
        signoff_schemas.AllocationSet(
            annual_pence=PAT_ALLOCATION, reason="The resource allocation system"
        ),
    )
    return True


async def _agree_outcomes(staff: Actor, plan_id: uuid.UUID) -> None:
    """Staff agree each proposed outcome: a plan is authorised with its outcomes decided."""
    for outcome in await plan_rows.list_rows(staff, plan_id, "outcome"):
        await outcome_decisions.decide_outcome(
            staff, plan_id, outcome.id, signoff_schemas.OutcomeDecision(decision="agreed")
        )


async def load_chris(council: uuid.UUID, progress: Callable[[str], None]) -> bool:
    """Chris's complete plan, submitted, authorised by Casey and its budget by Drew: agreed."""
    chris = await demo_actor(DEMO_AGREED, "Chris Green")
    if await plan_reading.list_plans(chris):
        return False
    today = dt.date.today()
    review_on = today + CHRIS_REVIEW_IN
    progress("Creating Chris's plan…")
    plan_id = await _write_plan(chris, chris_plan(today, review_on), progress)
    progress(f"  submitting it to {DEMO_ORGANISATION}")
    await _submit(chris, plan_id, council)
    # Staff are signed in after their roles are given, so they act with them.
    casey = await demo_actor(DEMO_STAFF, "Casey Jones")
    progress("  Casey Jones agrees the outcomes and authorises the plan")
    await _agree_outcomes(casey, plan_id)
    await staff_decisions.authorise_plan(
        casey,
        plan_id,
        signoff_schemas.AuthorisePlanRequest(
            version_hash=await _submitted_hash(casey, plan_id),
            note="Clear outcomes, and each item of support serves one of them.",
        ),
    )
    drew = await demo_actor(DEMO_BUDGET_AUTHORISER, "Drew Evans")
    progress("  Drew Evans sets the allocation and authorises the budget: the plan is agreed")
    await allocation.set_allocation(
        drew,
        plan_id,
        signoff_schemas.AllocationSet(
            annual_pence=CHRIS_ALLOCATION, reason="The resource allocation system"
        ),
    )
    await staff_decisions.authorise_budget(
        drew,
        plan_id,
        signoff_schemas.AuthoriseBudgetRequest(
            version_hash=await _submitted_hash(drew, plan_id),
            variation_reason=(
                "The travel training is a one-off £450 this year; from next year the plan "
                "costs less than the allocation."
            ),
            review_date=review_on,
        ),
    )
    return True
