"""Versions of a plan: as kept, as submitted, and the changes decisions make to them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.core.values import as_date, as_uuid, aware
from portal.signoff.repository.columns import int_or_none, marks, uuid_or_none
from portal.signoff.tables import PlanVersion


class VersionRow(msgspec.Struct, frozen=True, kw_only=True):
    """A version as kept, with the names of the people who made and decided it."""

    id: uuid.UUID
    number: int
    status: str
    organisation: uuid.UUID
    organisation_name: str
    content: str
    content_hash: str
    shared_sections: list[str]
    annual_cost_pence: int
    allocation_annual_pence: int | None
    submitted_at: dt.datetime
    submitted_by_name: str
    plan_authorised_at: dt.datetime | None
    plan_authorised_by_name: str | None
    agreed_at: dt.datetime | None
    agreed_by_name: str | None
    budget_variation_reason: str
    review_date: dt.date | None
    returned_at: dt.datetime | None
    package_change: uuid.UUID | None
    confirmed_by_name: str | None
    change_proposed_by: str | None


_VERSION_SQL = (
    'SELECT v.*, o."name" AS organisation_name, sp."display_name" AS submitted_by_name,'
    ' pp."display_name" AS plan_authorised_by_name, ap."display_name" AS agreed_by_name'
    ' FROM "plan_version" v'
    ' JOIN "organisation" o ON o."id" = v."organisation"'
    ' JOIN "user_account" su ON su."id" = v."submitted_by"'
    ' JOIN "person" sp ON sp."id" = su."person"'
    ' LEFT JOIN "user_account" pu ON pu."id" = v."plan_authorised_by"'
    ' LEFT JOIN "person" pp ON pp."id" = pu."person"'
    ' LEFT JOIN "user_account" au ON au."id" = v."agreed_by"'
    ' LEFT JOIN "person" ap ON ap."id" = au."person"'
)


def _version(row: dict[str, Any]) -> VersionRow:
    return VersionRow(
        id=as_uuid(row["id"]),
        number=int(row["number"]),
        status=row["status"],
        organisation=as_uuid(row["organisation"]),
        organisation_name=row["organisation_name"],
        content=row["content"],
        content_hash=row["content_hash"],
        shared_sections=list(msgspec.json.decode(row["shared_sections"] or "[]", type=list[str])),
        annual_cost_pence=int(row["annual_cost_pence"]),
        allocation_annual_pence=int_or_none(row["allocation_annual_pence"]),
        submitted_at=aware(row["submitted_at"]),
        submitted_by_name=row["submitted_by_name"],
        plan_authorised_at=aware(row["plan_authorised_at"]),
        plan_authorised_by_name=row.get("plan_authorised_by_name"),
        agreed_at=aware(row["agreed_at"]),
        agreed_by_name=row.get("agreed_by_name"),
        budget_variation_reason=row["budget_variation_reason"],
        review_date=as_date(row["review_date"]),
        returned_at=aware(row["returned_at"]),
        package_change=uuid_or_none(row.get("package_change")),
        confirmed_by_name=row.get("confirmed_by_name") or None,
        change_proposed_by=row.get("change_proposed_by") or None,
    )


async def list_versions(plan_id: uuid.UUID) -> list[VersionRow]:
    """Every version of the plan, newest first."""
    rows = await PlanVersion.raw(
        _VERSION_SQL + ' WHERE v."plan" = {} ORDER BY v."number" DESC', plan_id
    )
    return [_version(dict(row)) for row in rows]


async def get_version(plan_id: uuid.UUID, number: int) -> VersionRow | None:
    rows = await PlanVersion.raw(
        _VERSION_SQL + ' WHERE v."plan" = {} AND v."number" = {}', plan_id, number
    )
    return _version(dict(rows[0])) if rows else None


class VersionContent(msgspec.Struct, frozen=True, kw_only=True):
    plan: uuid.UUID
    number: int
    content: str


async def contents_of_plans(plan_ids: list[uuid.UUID]) -> list[VersionContent]:
    """The content of every version of these plans, in one query."""
    plan_marks = marks(plan_ids)
    found = await PlanVersion.raw(
        f'SELECT "plan", "number", "content" FROM "plan_version" WHERE "plan" IN ({plan_marks})',  # noqa: S608
        *plan_ids,
    )
    return [
        VersionContent(plan=as_uuid(row["plan"]), number=int(row["number"]), content=row["content"])
        for row in found
    ]


async def next_version_number(plan_id: uuid.UUID) -> int:
    top = await PlanVersion.raw(
        'SELECT MAX("number") AS n FROM "plan_version" WHERE "plan" = {}', plan_id
    )
    return int(top[0]["n"] or 0) + 1


class VersionTerms(msgspec.Struct, frozen=True, kw_only=True):
    """What a version made from a confirmed change carries over from the agreed one."""

    number: int
    annual_cost_pence: int
    budget_from_version: int | None
    shared_sections: str
    budget_variation_reason: str


async def version_terms(plan_id: uuid.UUID, number: int) -> VersionTerms | None:
    rows = await PlanVersion.raw(
        'SELECT "number", "annual_cost_pence", "budget_from_version", "shared_sections",'
        ' "budget_variation_reason" FROM "plan_version" WHERE "plan" = {} AND "number" = {}',
        plan_id,
        number,
    )
    if not rows:
        return None
    return VersionTerms(
        number=int(rows[0]["number"]),
        annual_cost_pence=int(rows[0]["annual_cost_pence"]),
        budget_from_version=int_or_none(rows[0]["budget_from_version"]),
        shared_sections=rows[0]["shared_sections"],
        budget_variation_reason=rows[0]["budget_variation_reason"],
    )


class NewVersion(msgspec.Struct, frozen=True, kw_only=True):
    plan: uuid.UUID
    number: int
    status: str
    organisation: uuid.UUID
    content: str
    content_hash: str
    shared_sections: str
    annual_cost_pence: int
    allocation_annual_pence: int | None
    submitted_by: uuid.UUID
    submitted_at: dt.datetime
    agreed_by: uuid.UUID | None = None
    agreed_at: dt.datetime | None = None
    budget_variation_reason: str = ""
    review_date: dt.date | None = None
    package_change: uuid.UUID | None = None
    confirmed_by: uuid.UUID | None = None
    confirmed_by_name: str = ""
    change_proposed_by: str = ""
    budget_from_version: int | None = None


async def insert_version(version: NewVersion) -> None:
    await PlanVersion.insert(PlanVersion(**msgspec.structs.asdict(version)))


async def set_version_status(version_id: uuid.UUID, status: str) -> None:
    await PlanVersion.update({PlanVersion.status: status}).where(PlanVersion.id == version_id)


async def supersede_agreed_versions(plan_id: uuid.UUID) -> None:
    """The agreed version, when another is agreed, is kept as superseded."""
    await PlanVersion.update({PlanVersion.status: "superseded"}).where(
        (PlanVersion.plan == plan_id) & (PlanVersion.status == "agreed")
    )


async def record_plan_authorised(
    version_id: uuid.UUID, status: str, by: uuid.UUID, at: dt.datetime
) -> None:
    await PlanVersion.update(
        {
            PlanVersion.status: status,
            PlanVersion.plan_authorised_by: by,
            PlanVersion.plan_authorised_at: at,
        }
    ).where(PlanVersion.id == version_id)


class AgreedBudget(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    by: uuid.UUID
    at: dt.datetime
    variation_reason: str
    review_date: dt.date
    allocation_annual_pence: int


async def record_agreed(version_id: uuid.UUID, agreed: AgreedBudget) -> None:
    await PlanVersion.update(
        {
            PlanVersion.status: agreed.status,
            PlanVersion.agreed_by: agreed.by,
            PlanVersion.agreed_at: agreed.at,
            PlanVersion.budget_variation_reason: agreed.variation_reason,
            PlanVersion.review_date: agreed.review_date,
            # The organisation's figure this budget was agreed against.
            PlanVersion.allocation_annual_pence: agreed.allocation_annual_pence,
        }
    ).where(PlanVersion.id == version_id)


async def record_returned(version_id: uuid.UUID, by: uuid.UUID, at: dt.datetime) -> None:
    await PlanVersion.update(
        {
            PlanVersion.status: "returned",
            PlanVersion.returned_by: by,
            PlanVersion.returned_at: at,
        }
    ).where(PlanVersion.id == version_id)


async def set_version_allocation(plan_id: uuid.UUID, number: int, annual_pence: int) -> None:
    await PlanVersion.update({PlanVersion.allocation_annual_pence: annual_pence}).where(
        (PlanVersion.plan == plan_id) & (PlanVersion.number == number)
    )


class Submission(msgspec.Struct, frozen=True, kw_only=True):
    """A version as the consent it carries: who submitted it, and when."""

    id: uuid.UUID
    number: int
    status: str
    submitted_at: dt.datetime
    content_hash: str
    submitter_person: uuid.UUID
    submitter_name: str


async def get_submission(plan_id: uuid.UUID, number: int) -> Submission | None:
    rows = await PlanVersion.raw(
        'SELECT v."id", v."number", v."status", v."submitted_at", v."content_hash",'
        ' su."person" AS submitter_person, sp."display_name" AS submitter_name'
        ' FROM "plan_version" v'
        ' JOIN "user_account" su ON su."id" = v."submitted_by"'
        ' JOIN "person" sp ON sp."id" = su."person"'
        ' WHERE v."plan" = {} AND v."number" = {}',
        plan_id,
        number,
    )
    if not rows:
        return None
    row = rows[0]
    return Submission(
        id=as_uuid(row["id"]),
        number=int(row["number"]),
        status=row["status"],
        submitted_at=aware(row["submitted_at"]),
        content_hash=row["content_hash"],
        submitter_person=as_uuid(row["submitter_person"]),
        submitter_name=row["submitter_name"],
    )
