"""The work trays: one query shape a tray, counted and paged, oldest first."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.consent.policy import Tray
from portal.core.values import as_date, as_uuid, aware
from portal.plans.tables import Plan
from portal.plans.workflow import State
from portal.signoff.repository.columns import int_or_none, uuid_or_none

# Plans wait in these trays while in this state.
TRAY_STATES: dict[Tray, State] = {
    Tray.PLAN_AUTHORISATION: State.SUBMITTED,
    Tray.BUDGET_AUTHORISATION: State.PLAN_AUTHORISED,
}
REVIEW_NOTICE = dt.timedelta(days=28)

# Each tray is one query shape: which plans (FROM … WHERE …), since when they wait, and which
# version's cost to show. Every tray orders oldest first, and every shape is served by an index
# (plan_tray, plan_review_due, review_request_open, package_change_open).
_TRAY_SELECT = (
    'SELECT p."id", p."person", p."state", p."title", p."kind", p."submitted_version",'
    ' p."signing_off_organisation", p."agreed_version", p."review_date",'
    ' o."display_name" AS person_name, v."annual_cost_pence", {since} AS since'
)
_OPEN_ROWS = (
    ' JOIN (SELECT "plan", MIN({time}) AS since FROM "{table}" WHERE "status" = {{}}{extra}'
    ' GROUP BY "plan") w ON w."plan" = p."id"'
)


def _tray_shape(
    tray: Tray, organisation_id: uuid.UUID, today: dt.date
) -> tuple[str, str, list[Any], str]:
    """(the since column, FROM … WHERE …, its parameters, ORDER BY) for one tray."""
    people = ' FROM "plan" p JOIN "person" o ON o."id" = p."person"'
    submitted = (
        ' LEFT JOIN "plan_version" v ON v."plan" = p."id" AND v."number" = p."submitted_version"'
    )
    agreed = ' LEFT JOIN "plan_version" v ON v."plan" = p."id" AND v."number" = p."agreed_version"'
    if tray in TRAY_STATES:
        return (
            'p."state_changed_at"',
            people + submitted + ' WHERE p."signing_off_organisation" = {} AND p."state" = {}',
            [organisation_id, TRAY_STATES[tray].value],
            'p."state_changed_at", p."id"',
        )
    if tray in (Tray.REVIEWS_DUE, Tray.REVIEWS_OVERDUE):
        window = (
            'p."review_date" >= {} AND p."review_date" <= {}'
            if tray == Tray.REVIEWS_DUE
            else 'p."review_date" < {}'
        )
        dates = [today, today + REVIEW_NOTICE] if tray == Tray.REVIEWS_DUE else [today]
        return (
            'p."state_changed_at"',
            people
            + agreed
            + ' WHERE p."signing_off_organisation" = {} AND p."agreed_version" IS NOT NULL AND '
            + window,
            [organisation_id, *dates],
            'p."review_date", p."id"',
        )
    if tray == Tray.REVIEW_REQUESTS:
        waiting = _OPEN_ROWS.format(time='"requested_at"', table="review_request", extra="")
        params: list[Any] = ["open"]
    else:
        waiting = _OPEN_ROWS.format(
            time='"proposed_at"', table="package_change", extra=' AND "route" = {}'
        )
        route = "coordinator" if tray == Tray.CHANGES_TO_CONFIRM else "team_manager"
        params = ["open", route]
    return (
        'w."since"',
        people + waiting + agreed + ' WHERE p."signing_off_organisation" = {}',
        [*params, organisation_id],
        'w."since", p."id"',
    )


async def count_tray(tray: Tray, organisation_id: uuid.UUID, today: dt.date) -> int:
    _, source, params, _ = _tray_shape(tray, organisation_id, today)
    rows = await Plan.raw(f"SELECT COUNT(*) AS n{source}", *params)  # noqa: S608
    return int(rows[0]["n"])


class TrayRow(msgspec.Struct, frozen=True, kw_only=True):
    """A plan waiting in a tray, with whose it is, since when, and its version's yearly cost."""

    id: uuid.UUID
    person: uuid.UUID
    state: str
    title: str
    kind: str
    submitted_version: int | None
    signing_off_organisation: uuid.UUID | None
    agreed_version: int | None
    review_date: dt.date | None
    person_name: str
    annual_cost_pence: int | None
    since: dt.datetime | None


async def page_of_tray(
    tray: Tray, organisation_id: uuid.UUID, today: dt.date, limit: int, offset: int
) -> list[TrayRow]:
    """One page of a tray, oldest first."""
    since, source, params, order = _tray_shape(tray, organisation_id, today)
    rows = await Plan.raw(
        _TRAY_SELECT.format(since=since) + source + f" ORDER BY {order} LIMIT {{}} OFFSET {{}}",
        *params,
        limit,
        offset,
    )
    return [
        TrayRow(
            id=as_uuid(row["id"]),
            person=as_uuid(row["person"]),
            state=row["state"],
            title=row["title"],
            kind=row["kind"],
            submitted_version=int_or_none(row["submitted_version"]),
            signing_off_organisation=uuid_or_none(row["signing_off_organisation"]),
            agreed_version=int_or_none(row["agreed_version"]),
            review_date=as_date(row["review_date"]),
            person_name=row["person_name"],
            annual_cost_pence=int_or_none(row["annual_cost_pence"]),
            since=aware(row["since"]),
        )
        for row in rows
    ]
