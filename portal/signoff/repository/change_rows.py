"""Package changes: proposed, rerouted, decided."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.core.values import as_uuid, aware
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository.columns import int_or_none, json_text, uuid_or_none
from portal.signoff.repository.request_rows import Answer, close_all_open
from portal.signoff.tables import PackageChange

_CHANGE_SQL = (
    'SELECT c.*, po."name" AS proposer_organisation_name FROM "package_change" c'
    ' LEFT JOIN "organisation" po ON po."id" = c."proposer_organisation" WHERE c."plan" = {}'
)


def _change(row: dict[str, Any]) -> signoff_schemas.PackageChangeRead:
    return signoff_schemas.PackageChangeRead(
        id=as_uuid(row["id"]),
        plan_id=as_uuid(row["plan"]),
        support_item_id=as_uuid(row["support_item"]),
        proposed_by=row["proposer_name"],
        proposed_at=aware(row["proposed_at"]),
        minutes_before=row["minutes_before"],
        minutes_after=row["minutes_after"],
        ordered_minutes=row["ordered_minutes"],
        weekly_cost_before_pence=int(row["weekly_cost_before_pence"]),
        weekly_cost_after_pence=int(row["weekly_cost_after_pence"]),
        reason=row["reason"],
        route=row["route"],
        route_reasons=msgspec.json.decode(row["route_reason"] or "[]", type=list[str]),
        status=row["status"],
        decided_at=aware(row["decided_at"]),
        decision_reason=row["decision_reason"],
        new_support_item_id=uuid_or_none(row["new_support_item"]),
        package_weekly_before_pence=int_or_none(row["package_weekly_before_pence"]),
        package_weekly_after_pence=int_or_none(row["package_weekly_after_pence"]),
        package_ordered_minutes=int_or_none(row["package_ordered_minutes"]),
        package_minutes_after=int_or_none(row["package_minutes_after"]),
        proposer_organisation_id=uuid_or_none(row["proposer_organisation"]),
        proposer_organisation_name=row.get("proposer_organisation_name"),
        version_number=int_or_none(row["version_number"]),
        budget_authorisation=bool(row["budget_authorisation"]),
    )


async def list_changes(plan_id: uuid.UUID) -> list[signoff_schemas.PackageChangeRead]:
    rows = await PackageChange.raw(_CHANGE_SQL + ' ORDER BY c."proposed_at" DESC', plan_id)
    return [_change(dict(row)) for row in rows]


async def get_change(
    plan_id: uuid.UUID, change_id: uuid.UUID
) -> signoff_schemas.PackageChangeRead | None:
    rows = await PackageChange.raw(_CHANGE_SQL + ' AND c."id" = {}', plan_id, change_id)
    return _change(dict(rows[0])) if rows else None


class PackageTotals(msgspec.Struct, frozen=True, kw_only=True):
    """The package as a whole before and after a change (as `tolerance.PackageFigures`)."""

    weekly_before_pence: int
    weekly_after_pence: int
    ordered_minutes: int
    minutes_after: int


class NewChange(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    plan: uuid.UUID
    support_item: uuid.UUID
    proposed_by: uuid.UUID
    proposer_name: str
    proposer_organisation: uuid.UUID | None
    minutes_before: int
    minutes_after: int
    ordered_minutes: int
    weekly_cost_before_pence: int
    weekly_cost_after_pence: int
    package_weekly_before_pence: int
    package_weekly_after_pence: int
    package_ordered_minutes: int
    package_minutes_after: int
    reason: str
    route: str
    route_reasons: list[str]
    proposed_at: dt.datetime


async def insert_change(change: NewChange) -> None:
    fields = msgspec.structs.asdict(change)
    fields["route_reason"] = json_text(fields.pop("route_reasons"))
    await PackageChange.insert(PackageChange(**fields, status="open"))


async def close_change(change_id: uuid.UUID, values: dict[str, Any]) -> bool:
    """Compare-and-set: only an open change can be decided, so of two decisions one wins."""
    sets = ", ".join(f'"{name}" = {{}}' for name in values)
    moved = await PackageChange.raw(
        f'UPDATE "package_change" SET {sets} WHERE "id" = {{}} AND "status" = {{}}'  # noqa: S608
        ' RETURNING "id"',
        *values.values(),
        change_id,
        "open",
    )
    return bool(moved)


async def close_open_changes(plan_id: uuid.UUID, answer: Answer) -> list[uuid.UUID]:
    """Close every open package change of the plan; the ones closed."""
    return await close_all_open("package_change", plan_id, answer)


async def reroute_change(
    change_id: uuid.UUID, route: str, reasons: list[str], totals: PackageTotals
) -> None:
    """An open change moves to another route, with the package figures that sent it there."""
    await PackageChange.raw(
        'UPDATE "package_change" SET "route" = {}, "route_reason" = {},'
        ' "package_weekly_before_pence" = {}, "package_weekly_after_pence" = {},'
        ' "package_ordered_minutes" = {}, "package_minutes_after" = {}'
        ' WHERE "id" = {} AND "status" = {}',
        route,
        json_text(reasons),
        totals.weekly_before_pence,
        totals.weekly_after_pence,
        totals.ordered_minutes,
        totals.minutes_after,
        change_id,
        "open",
    )
