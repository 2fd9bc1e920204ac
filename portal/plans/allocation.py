"""The organisation's indicative allocation of a plan: the figure sign-off checks the cost against.

The person may note in the money section what they were told; that note is theirs and is not
what budget authorisation compares with. Staff of the signing-off organisation set the figure
(`portal.signoff.allocation.set_allocation`); each setting is a row of its own, and the newest
row of the organisation the plan is now with is the figure in force. Callers have asked the
access decision first: this is money, seen only by those who may see the money section.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec

from portal.core.values import as_uuid, aware
from portal.plans.tables import PlanAllocation

_CURRENT_SQL = (
    'SELECT a."annual_pence", a."reason", a."set_by_name", a."set_at", a."organisation",'
    ' o."name" AS organisation_name, a."plan"'
    ' FROM "plan_allocation" a'
    ' JOIN "plan" p ON p."id" = a."plan" AND p."signing_off_organisation" = a."organisation"'
    ' JOIN "organisation" o ON o."id" = a."organisation"'
)


class StaffAllocation(msgspec.Struct, kw_only=True):
    """The organisation's figure, who set it and when: what the person is shown as theirs."""

    annual_pence: int
    organisation_id: uuid.UUID
    organisation_name: str
    set_by: str
    set_at: dt.datetime
    reason: str = ""


def _record(row: dict[str, Any]) -> StaffAllocation:
    return StaffAllocation(
        annual_pence=int(row["annual_pence"]),
        organisation_id=as_uuid(row["organisation"]),
        organisation_name=row["organisation_name"],
        set_by=row["set_by_name"],
        set_at=aware(row["set_at"]),
        reason=row["reason"],
    )


async def staff_allocation_record(plan_id: uuid.UUID) -> StaffAllocation | None:
    """The figure in force with who set it, or None while the organisation has set none."""
    rows = await PlanAllocation.raw(
        _CURRENT_SQL + ' WHERE a."plan" = {} ORDER BY a."set_at" DESC, a."id" LIMIT 1', plan_id
    )
    return _record(dict(rows[0])) if rows else None


async def staff_allocation(plan_id: uuid.UUID) -> int | None:
    """The indicative allocation a year, in pence, set by staff of the organisation the plan is
    with; None while they have set none. Budget authorisation and package changes compare with it.
    """
    record = await staff_allocation_record(plan_id)
    return record.annual_pence if record else None


async def staff_allocations(plan_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The figure in force for each of several plans, in one query; plans with none are absent."""
    ids = list(plan_ids)
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    rows = await PlanAllocation.raw(
        _CURRENT_SQL + f' WHERE a."plan" IN ({marks}) ORDER BY a."set_at", a."id"',  # noqa: S608
        *ids,
    )
    # Oldest first, so the newest row of each plan is the one left in the map.
    return {as_uuid(row["plan"]): int(row["annual_pence"]) for row in rows}
