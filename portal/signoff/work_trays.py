"""The organisation's work trays: how many plans wait in each, and one page of a tray, oldest
first, each plan on it checked by the access decision."""

from __future__ import annotations

import uuid

import msgspec

from portal.consent import access as consent_access
from portal.consent.money import may_see_money
from portal.consent.policy import (
    TRAY_ROLES,
    Permission,
    Tray,
    decide,
    decide_tray,
)
from portal.core.actor import Actor
from portal.core.clock import today as england_today
from portal.core.errors import (
    Forbidden,
    Malformed,
    NotFound,
    not_found,
)
from portal.signoff import schemas as signoff_schemas
from portal.signoff.limits import MAX_PER_PAGE, spending_limit
from portal.signoff.repository import (
    tray_rows,
    version_rows,
)

TRAY_TITLES: dict[Tray, str] = {
    Tray.PLAN_AUTHORISATION: "Awaiting plan authorisation",
    Tray.BUDGET_AUTHORISATION: "Awaiting budget authorisation",
    Tray.REVIEWS_DUE: "Reviews due in the next 28 days",
    Tray.REVIEWS_OVERDUE: "Overdue reviews",
    Tray.REVIEW_REQUESTS: "Review requests",
    Tray.CHANGES_TO_CONFIRM: "Package changes to confirm (within tolerance)",
    Tray.CHANGES_FOR_TEAM_MANAGER: "Package changes for a team manager (outside tolerance)",
}


def _trays_for(actor: Actor, organisation_id: uuid.UUID) -> list[Tray]:
    return [tray for tray in Tray if decide_tray(actor, tray, organisation_id)]


async def _require_staff(actor: Actor, organisation_id: uuid.UUID) -> list[Tray]:
    trays = _trays_for(actor, organisation_id)
    if not trays:
        raise not_found("organisation")
    return trays


async def tray_counts(actor: Actor, organisation_id: uuid.UUID) -> list[signoff_schemas.TrayCount]:
    trays = await _require_staff(actor, organisation_id)
    today = england_today()
    return [
        signoff_schemas.TrayCount(
            tray=t.value,
            title=TRAY_TITLES[t],
            count=await tray_rows.count_tray(t, organisation_id, today),
        )
        for t in trays
    ]


async def _one_offs_this_year(rows: list[tray_rows.TrayRow]) -> dict[uuid.UUID, int]:
    """What one-off costs add this year to each plan's version waiting for its budget, in one
    query: the spending limit counts them beside the yearly cost."""
    waiting = {row.id: row.submitted_version for row in rows if row.submitted_version is not None}
    if not waiting:
        return {}
    one_offs: dict[uuid.UUID, int] = {}
    for version in await version_rows.contents_of_plans(list(waiting)):
        if waiting.get(version.plan) == version.number:
            money = msgspec.json.decode(version.content).get("money") or {}
            one_offs[version.plan] = int(money.get("one_off_this_year_pence") or 0)
    return one_offs


async def tray_page(
    actor: Actor, organisation_id: uuid.UUID, tray: str, page: int, per_page: int
) -> signoff_schemas.TrayPage:
    """One page of a tray, oldest first; each plan on it is checked by the access decision."""
    trays = await _require_staff(actor, organisation_id)
    try:
        chosen = Tray(tray)
    except ValueError:
        raise NotFound(
            "No such tray",
            f"There is no tray '{tray[:40]}'. The trays are: {', '.join(t.value for t in Tray)}.",
        ) from None
    if chosen not in trays:
        needed = " or ".join(sorted(role.value.replace("_", " ") for role in TRAY_ROLES[chosen]))
        raise Forbidden("Not your tray", f"This tray is for a {needed} of the organisation.")
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Malformed(
            "Page not understood",
            f"Pages start at 1, and a page holds from 1 to {MAX_PER_PAGE} plans.",
        )
    today = england_today()
    total = await tray_rows.count_tray(chosen, organisation_id, today)
    rows = await tray_rows.page_of_tray(
        chosen, organisation_id, today, per_page, (page - 1) * per_page
    )
    facts = await consent_access.facts_for_plans(
        actor,
        [
            consent_access.PlanRef(
                id=row.id,
                person_id=row.person,
                state=row.state,
                signing_off_organisation_id=row.signing_off_organisation,
                has_agreed_version=row.agreed_version is not None,
            )
            for row in rows
        ],
    )
    # As authorising it counts: nothing is within the limit of one who is not an authoriser.
    limit = spending_limit(actor, organisation_id) or 0
    one_offs = await _one_offs_this_year(rows) if chosen == Tray.BUDGET_AUTHORISATION else {}
    items = []
    for row in rows:
        if not decide(actor, Permission.PLAN_VIEW, facts[row.id]):
            continue
        cost = (
            row.annual_cost_pence
            if row.annual_cost_pence is not None and may_see_money(actor, facts[row.id])
            else None
        )
        items.append(
            signoff_schemas.TrayItem(
                plan_id=row.id,
                person_name=row.person_name,
                title=row.title,
                kind=row.kind,
                state=row.state,
                version_number=row.submitted_version or row.agreed_version,
                waiting_since=row.since,
                due_on=row.review_date,
                annual_cost_pence=cost,
                # Counted as authorising it is: the yearly cost and one-off costs this year.
                within_my_limit=(
                    cost + one_offs.get(row.id, 0) <= limit
                    if chosen == Tray.BUDGET_AUTHORISATION and cost is not None
                    else None
                ),
            )
        )
    return signoff_schemas.TrayPage(
        tray=chosen.value,
        title=TRAY_TITLES[chosen],
        organisation_id=organisation_id,
        count=total,
        page=page,
        per_page=per_page,
        pages=max(1, -(-total // per_page)),
        items=items,
    )
