"""An organisation's work trays: how many plans wait in each, and one tray a page at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.accounts import organisations
from portal.bounds import PageNumber
from portal.consent.policy import Tray
from portal.core.actor import Actor
from portal.plans.schemas import PLAN_KIND_LABELS
from portal.routes.pages.common import plan_url, render
from portal.routes.pages.organisations import ORGANISATIONS_NAV, organisation_url
from portal.signoff import work_trays

PER_PAGE = 25
# After a redirect the banner is chosen by a known key, never taken from the address.
_TRAY_BANNERS = {
    "authorised": "Plan authorised: it now waits for budget authorisation",
    "returned": "Plan returned to the person with your comments",
    "agreed": "Budget authorised: the plan is agreed",
}
# The trays whose plans are worked on the review page.
REVIEW_TRAYS = frozenset(
    {
        Tray.REVIEWS_DUE.value,
        Tray.REVIEWS_OVERDUE.value,
        Tray.REVIEW_REQUESTS.value,
        Tray.CHANGES_TO_CONFIRM.value,
        Tray.CHANGES_FOR_TEAM_MANAGER.value,
    }
)


class TrayLink(msgspec.Struct, frozen=True, kw_only=True):
    tray: str
    title: str
    count: int
    href: str


class TrayRow(msgspec.Struct, frozen=True, kw_only=True):
    """A plan waiting in a tray, linking to where it is worked on."""

    plan_id: uuid.UUID
    person_name: str
    title: str
    kind: str
    version_number: int | None
    waiting_since: dt.datetime | None
    annual_cost_pence: int | None
    within_my_limit: bool | None
    due_on: dt.date | None
    href: str


def tray_url(organisation_id: uuid.UUID, tray: str) -> str:
    return organisation_url(organisation_id, "trays", tray)


@get("/organisations/{organisation_id:uuid}/trays", name="trays")
async def trays_page(
    actor: NamedDependency[Actor], organisation_id: FromPath[uuid.UUID]
) -> Response[Any]:
    counts = await work_trays.tray_counts(actor, organisation_id)
    organisation = await organisations.read_organisation(actor, organisation_id)
    return render(
        "signoff/trays.html",
        actor,
        organisation=organisation,
        trays=[
            TrayLink(
                tray=c.tray, title=c.title, count=c.count, href=tray_url(organisation_id, c.tray)
            )
            for c in counts
        ],
        navigation_items=ORGANISATIONS_NAV,
        back_href="/organisations",
        back_text="Your organisations",
    )


@get("/organisations/{organisation_id:uuid}/trays/{tray:str}", name="tray")
async def tray_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
    tray: FromPath[str],
    page: PageNumber = 1,
) -> Response[Any]:
    found = await work_trays.tray_page(actor, organisation_id, tray, page, PER_PAGE)
    organisation = await organisations.read_organisation(actor, organisation_id)
    url = tray_url(organisation_id, found.tray)
    decides = found.tray in (Tray.PLAN_AUTHORISATION.value, Tray.BUDGET_AUTHORISATION.value)
    # Sign-off trays lead to the decision; review trays to the review page.
    leads_to = "decide" if decides else ("review" if found.tray in REVIEW_TRAYS else "")
    return render(
        "signoff/tray.html",
        actor,
        organisation=organisation,
        tray=found,
        budget=found.tray == Tray.BUDGET_AUTHORISATION.value,
        review_dates=found.tray in (Tray.REVIEWS_DUE.value, Tray.REVIEWS_OVERDUE.value),
        items=[
            TrayRow(
                plan_id=item.plan_id,
                person_name=item.person_name,
                title=item.title,
                kind=PLAN_KIND_LABELS.get(item.kind, item.kind),
                version_number=item.version_number,
                waiting_since=item.waiting_since,
                annual_cost_pence=item.annual_cost_pence,
                within_my_limit=item.within_my_limit,
                due_on=item.due_on,
                href=plan_url(item.plan_id, leads_to),
            )
            for item in found.items
        ],
        previous_url=f"{url}?page={found.page - 1}" if found.page > 1 else None,
        next_url=f"{url}?page={found.page + 1}" if found.page < found.pages else None,
        banner=_TRAY_BANNERS.get(request.query_params.get("done") or ""),
        navigation_items=ORGANISATIONS_NAV,
        back_href=organisation_url(organisation_id, "trays"),
        back_text="Work trays",
    )


TRAY_ROUTES = [trays_page, tray_page]
