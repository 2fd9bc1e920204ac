"""Staff agree or decline an outcome the person proposed; the person sees the decision on it,
and the plan is authorised only once each proposed outcome is decided."""

from __future__ import annotations

import uuid

from portal.audit.trail import AuditDraft, append
from portal.consent import access_log
from portal.consent.policy import STAFF_DECISIONS, Permission
from portal.core.actor import Actor
from portal.core.clock import now as utc_now
from portal.core.errors import (
    Conflict,
    NotFound,
)
from portal.db import write_transaction
from portal.notifications.service import tell_about_plan
from portal.plans import rows as plan_rows
from portal.plans.schemas import OutcomeRead
from portal.plans.tables import Plan
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import content_rows
from portal.signoff.repository.columns import json_text
from portal.signoff.transitions import (
    audited,
    invalid_field,
    open_plan_for,
    plan_state,
    role_for,
)


async def decide_outcome(
    actor: Actor, plan_id: uuid.UUID, outcome_id: uuid.UUID, data: signoff_schemas.OutcomeDecision
) -> OutcomeRead:
    """Staff agree or decline a proposed outcome; the person sees the decision on it."""
    action = f"outcome_{data.decision}"

    async def act() -> None:
        plan = await open_plan_for(
            actor, plan_id, Permission.OUTCOME_DECIDE, "agree or decline outcomes"
        )
        outcome = await content_rows.live_outcome(plan_id, outcome_id)
        if outcome is None:
            raise NotFound("No such outcome", "This plan has no such outcome.")
        reason = data.reason.strip()
        if data.decision == "declined" and not reason:
            raise invalid_field("reason", "Say why", "Say why the outcome is declined.")
        row = await plan_state(plan_id)
        org = row.signing_off_organisation
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            decided = await content_rows.decide_outcome(
                outcome, data.decision, reason, actor.display_name[:200], now
            )
            if not decided:
                raise Conflict("Changed just now", "The outcome changed just now. Try again.")
            await content_rows.insert_revision(
                content_rows.NewRevision(
                    plan=plan_id,
                    subject=f"outcome:{outcome_id}",
                    version=outcome.version + 1,
                    # The person's words are unchanged; the revision marks the decision's version.
                    content=json_text({"title": outcome.title, "how": outcome.how}),
                    changed_fields=json_text(["status", "status_reason"]),
                    author=actor.user_id,
                    created_at=now,
                )
            )
            await append(
                AuditDraft(
                    action=action,
                    actor_user=actor.user_id,
                    actor_name=actor.display_name,
                    role=role_for(actor, org, STAFF_DECISIONS[Permission.OUTCOME_DECIDE]),
                    organisation=org,
                    plan=plan_id,
                    version_number=row.agreed_version or row.submitted_version,
                    from_state=outcome.status,
                    to_state=data.decision,
                    reason=reason,
                    details={"outcome": str(outcome_id)},
                ),
                now,
            )
            await access_log.record(actor, plan.access, "edit", ["outcomes"], str(outcome_id))
            await tell_about_plan(plan_id, "outcome_decided", actor.user_id)

    await audited(actor, plan_id, action, act)
    outcome: OutcomeRead = await plan_rows.read_row(actor, plan_id, "outcome", outcome_id)
    return outcome
