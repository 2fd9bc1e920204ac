"""The plan's own rows that sign-off decides on or changes: outcomes, support lines and their
revisions, the organisation's allocation."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from portal.core.values import as_uuid
from portal.plans.tables import Outcome, PlanAllocation, Revision, SupportItem
from portal.signoff.repository.columns import int_or_none, uuid_or_none
from portal.signoff.tolerance import PackageLine


class OutcomeRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    title: str
    how: str
    status: str
    version: int


async def proposed_outcomes(plan_id: uuid.UUID) -> list[OutcomeRow]:
    """The outcomes still only proposed, in the plan's order."""
    rows = await Outcome.raw(
        'SELECT "id", "title" FROM "outcome" WHERE "plan" = {} AND "deleted" = {}'
        ' AND "status" = {} ORDER BY "position", "created_at"',
        plan_id,
        False,
        "proposed",
    )
    return [
        OutcomeRow(id=as_uuid(row["id"]), title=row["title"], how="", status="proposed", version=0)
        for row in rows
    ]


async def live_outcome(plan_id: uuid.UUID, outcome_id: uuid.UUID) -> OutcomeRow | None:
    rows = await Outcome.raw(
        'SELECT * FROM "outcome" WHERE "id" = {} AND "plan" = {} AND "deleted" = {}',
        outcome_id,
        plan_id,
        False,
    )
    if not rows:
        return None
    row = rows[0]
    return OutcomeRow(
        id=as_uuid(row["id"]),
        title=row["title"],
        how=row["how"],
        status=row["status"],
        version=int(row["version"]),
    )


async def decide_outcome(
    outcome: OutcomeRow, decision: str, reason: str, by_name: str, now: dt.datetime
) -> bool:
    """Compare-and-set the outcome's decision on the version read; False when it moved on."""
    updated = await Outcome.raw(
        'UPDATE "outcome" SET "status" = {}, "status_reason" = {}, "decided_by_name" = {},'
        ' "decided_at" = {}, "version" = {}, "updated_at" = {}'
        ' WHERE "id" = {} AND "version" = {} RETURNING "id"',
        decision,
        reason,
        by_name,
        now,
        outcome.version + 1,
        now,
        outcome.id,
        outcome.version,
    )
    return bool(updated)


class SupportLine(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    description: str
    provider: str
    cost_pence: int
    frequency: str
    outcome: uuid.UUID | None
    minutes_per_week: int | None
    ordered_minutes_per_week: int | None
    position: int
    version: int


async def live_support_line(plan_id: uuid.UUID, item_id: uuid.UUID) -> SupportLine | None:
    rows = await SupportItem.raw(
        'SELECT * FROM "support_item" WHERE "id" = {} AND "plan" = {} AND "deleted" = {}',
        item_id,
        plan_id,
        False,
    )
    if not rows:
        return None
    row = rows[0]
    return SupportLine(
        id=as_uuid(row["id"]),
        description=row["description"],
        provider=row["provider"],
        cost_pence=int(row["cost_pence"]),
        frequency=row["frequency"],
        outcome=uuid_or_none(row["outcome"]),
        minutes_per_week=int_or_none(row["minutes_per_week"]),
        ordered_minutes_per_week=int_or_none(row["ordered_minutes_per_week"]),
        position=int(row["position"]),
        version=int(row["version"]),
    )


async def is_live_line(item_id: uuid.UUID) -> bool:
    items = await SupportItem.raw(
        'SELECT * FROM "support_item" WHERE "id" = {} AND "deleted" = {}', item_id, False
    )
    return bool(items)


async def package_lines(plan_id: uuid.UUID) -> list[PackageLine]:
    """Every live line of the plan: the package the tolerance rule is applied to."""
    rows = await SupportItem.raw(
        'SELECT "id", "cost_pence", "frequency", "minutes_per_week", "ordered_minutes_per_week"'
        ' FROM "support_item" WHERE "plan" = {} AND "deleted" = {} ORDER BY "position", "id"',
        plan_id,
        False,
    )
    return [
        PackageLine(
            id=str(as_uuid(row["id"])),
            cost_pence=int(row["cost_pence"]),
            frequency=row["frequency"],
            minutes_per_week=row["minutes_per_week"],
            ordered_minutes_per_week=row["ordered_minutes_per_week"],
        )
        for row in rows
    ]


async def order_agreed_hours(plan_id: uuid.UUID) -> None:
    """The hours agreed now are the order a provider's tolerance counts from."""
    await SupportItem.raw(
        'UPDATE "support_item" SET "ordered_minutes_per_week" = "minutes_per_week"'
        ' WHERE "plan" = {} AND "deleted" = {} AND "ordered_minutes_per_week" IS NULL',
        plan_id,
        False,
    )


async def end_line(line: SupportLine, now: dt.datetime) -> bool:
    """Compare-and-set: end the line (kept, as removed) if it is still the version read."""
    ended = await SupportItem.raw(
        'UPDATE "support_item" SET "deleted" = {}, "ended_at" = {}, "version" = {},'
        ' "updated_at" = {} WHERE "id" = {} AND "version" = {} RETURNING "id"',
        True,
        now,
        line.version + 1,
        now,
        line.id,
        line.version,
    )
    return bool(ended)


class NewLine(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    plan: uuid.UUID
    position: int
    description: str
    provider: str
    cost_pence: int
    frequency: str
    outcome: uuid.UUID | None
    minutes_per_week: int | None
    ordered_minutes_per_week: int | None
    replaces: uuid.UUID
    created_by: uuid.UUID
    created_at: dt.datetime


async def insert_line(line: NewLine) -> None:
    await SupportItem.insert(
        SupportItem(**msgspec.structs.asdict(line), version=1, updated_at=line.created_at)
    )


class NewRevision(msgspec.Struct, frozen=True, kw_only=True):
    plan: uuid.UUID
    subject: str
    version: int
    content: str
    changed_fields: str
    author: uuid.UUID
    created_at: dt.datetime
    deleted: bool = False


async def insert_revision(revision: NewRevision) -> None:
    await Revision.insert(Revision(**msgspec.structs.asdict(revision)))


async def insert_allocation(
    plan_id: uuid.UUID,
    organisation_id: uuid.UUID,
    annual_pence: int,
    reason: str,
    by: uuid.UUID,
    by_name: str,
    at: dt.datetime,
) -> None:
    await PlanAllocation.insert(
        PlanAllocation(
            id=uuid.uuid4(),
            plan=plan_id,
            organisation=organisation_id,
            annual_pence=annual_pence,
            reason=reason,
            set_by=by,
            set_by_name=by_name,
            set_at=at,
        )
    )
