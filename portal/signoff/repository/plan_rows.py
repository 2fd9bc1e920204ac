"""The plan's place in sign-off: its state and versions, read and moved by compare-and-set."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.core.values import as_date, as_uuid
from portal.plans.tables import Plan
from portal.plans.workflow import State
from portal.signoff.repository.columns import int_or_none, uuid_or_none


class SignOffPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The plan's sign-off columns: where it is, who signs it off, which versions count."""

    id: uuid.UUID
    person: uuid.UUID
    kind: str
    title: str
    state: str
    signing_off_organisation: uuid.UUID | None
    submitted_version: int | None
    agreed_version: int | None
    review_date: dt.date | None


def _plan(row: dict[str, Any]) -> SignOffPlan:
    return SignOffPlan(
        id=as_uuid(row["id"]),
        person=as_uuid(row["person"]),
        kind=row["kind"],
        title=row["title"],
        state=row["state"],
        signing_off_organisation=uuid_or_none(row.get("signing_off_organisation")),
        submitted_version=int_or_none(row["submitted_version"]),
        agreed_version=int_or_none(row["agreed_version"]),
        review_date=as_date(row["review_date"]),
    )


async def get_plan(plan_id: uuid.UUID) -> SignOffPlan | None:
    rows = await Plan.raw('SELECT * FROM "plan" WHERE "id" = {}', plan_id)
    return _plan(dict(rows[0])) if rows else None


async def move_plan(plan_id: uuid.UUID, expected: dict[str, Any], values: dict[str, Any]) -> bool:
    """Compare-and-set the plan's sign-off columns; False when they are no longer `expected`."""
    sets = ", ".join(f'"{name}" = {{}}' for name in values)
    checks = " AND ".join(
        f'"{name}" IS NULL' if value is None else f'"{name}" = {{}}'
        for name, value in expected.items()
    )
    moved = await Plan.raw(
        f'UPDATE "plan" SET {sets} WHERE "id" = {{}} AND {checks} RETURNING "id"',  # noqa: S608
        *values.values(),
        plan_id,
        *[value for value in expected.values() if value is not None],
    )
    return bool(moved)


async def withdraw_plan(
    plan_id: uuid.UUID, target: str, now: dt.datetime, expected: dict[str, Any]
) -> bool:
    """Compare-and-set the plan back out of sign-off: no version under it, none agreed."""
    where = " AND ".join(
        f'"{name}" IS NULL' if value is None else f'"{name}" = {{}}'
        for name, value in expected.items()
    )
    moved = await Plan.raw(
        'UPDATE "plan" SET "state" = {}, "state_changed_at" = {}, "submitted_version" = NULL,'  # noqa: S608
        f' "agreed_version" = NULL, "review_date" = NULL WHERE "id" = {{}} AND {where}'
        ' RETURNING "id"',
        target,
        now,
        plan_id,
        *[value for value in expected.values() if value is not None],
    )
    return bool(moved)


async def send_change_to_budget(
    plan_id: uuid.UUID, number: int, agreed_version: int, now: dt.datetime
) -> bool:
    """A confirmed change above the agreed budget waits for budget authorisation."""
    moved = await Plan.raw(
        'UPDATE "plan" SET "state" = {}, "submitted_version" = {}, "state_changed_at" = {},'
        ' "updated_at" = {} WHERE "id" = {} AND "state" = {} AND "agreed_version" = {}'
        ' RETURNING "id"',
        State.PLAN_AUTHORISED.value,
        number,
        now,
        now,
        plan_id,
        State.AGREED.value,
        agreed_version,
    )
    return bool(moved)


async def agree_change(
    plan_id: uuid.UUID, number: int, agreed_version: int, now: dt.datetime
) -> bool:
    """A confirmed change within the agreed budget is the agreed plan at once."""
    moved = await Plan.raw(
        'UPDATE "plan" SET "agreed_version" = {}, "updated_at" = {}'
        ' WHERE "id" = {} AND "state" = {} AND "agreed_version" = {} RETURNING "id"',
        number,
        now,
        plan_id,
        State.AGREED.value,
        agreed_version,
    )
    return bool(moved)
