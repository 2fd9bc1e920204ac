"""Staff of the signing-off organisation set the plan's indicative allocation.

The person may note what they were told in the money section; the figure budget authorisation
checks the cost against is the organisation's, set here by a coordinator or budget authoriser
(`Permission.ALLOCATION_SET`), kept as a row of its own and written to the audit trail. The
figure is money: the audit entry's reason (which every reader of the decisions sees) stays
empty, and the amount and the staff member's reason go in its details.
"""

from __future__ import annotations

import uuid

from portal.audit.trail import AuditDraft, append
from portal.consent import access_log
from portal.consent.policy import STAFF_DECISIONS, Permission
from portal.core.actor import Actor
from portal.core.clock import now as utc_now
from portal.core.errors import FieldError, Invalid
from portal.db import write_transaction
from portal.plans.allocation import StaffAllocation, staff_allocation, staff_allocation_record
from portal.plans.money import check_cost
from portal.plans.tables import Plan
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import content_rows, version_rows
from portal.signoff.transitions import audited, open_plan_for, plan_state, role_for

ACTION = "set_allocation"
_WORDS = "set the indicative allocation"


def _checked_amount(pence: int) -> int:
    try:
        check_cost(pence, "annual")
    except ValueError as exc:
        raise Invalid(
            "Allocation not accepted",
            f"Check the indicative allocation a year: {exc}",
            errors=[FieldError(field="annual_pence", message=str(exc))],
        ) from exc
    return pence


async def set_allocation(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.AllocationSet
) -> StaffAllocation:
    """Record the organisation's indicative allocation a year; the newest one is in force."""

    async def act() -> None:
        plan = await open_plan_for(actor, plan_id, Permission.ALLOCATION_SET, _WORDS)
        annual = _checked_amount(data.annual_pence)
        reason = data.reason.strip()
        row = await plan_state(plan_id)
        organisation = row.signing_off_organisation
        assert organisation is not None  # only staff of the signing-off organisation get here
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            previous = await staff_allocation(plan_id)
            await content_rows.insert_allocation(
                plan_id, organisation, annual, reason, actor.user_id, actor.display_name[:200], now
            )
            if row.submitted_version is not None:
                # The version under sign-off shows the figure it will be checked against.
                await version_rows.set_version_allocation(plan_id, row.submitted_version, annual)
            await append(
                AuditDraft(
                    action=ACTION,
                    actor_user=actor.user_id,
                    actor_name=actor.display_name,
                    role=role_for(actor, organisation, STAFF_DECISIONS[Permission.ALLOCATION_SET]),
                    organisation=organisation,
                    plan=plan_id,
                    version_number=row.submitted_version or row.agreed_version,
                    from_state=row.state,
                    to_state=row.state,
                    details={
                        "annual_pence": annual,
                        "previous_annual_pence": previous,
                        "reason": reason,
                    },
                ),
                now,
            )
            await access_log.record(actor, plan.access, "edit", ["money"], "allocation")

    await audited(actor, plan_id, ACTION, act)
    record = await staff_allocation_record(plan_id)
    assert record is not None
    return record
