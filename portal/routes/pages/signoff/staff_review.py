"""The staff review page: a plan's review requests, its package changes and its outcomes, with
the forms that answer them (those forms' handlers live beside what they decide)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent.policy import Permission, decide
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, DomainError, Forbidden, Invalid
from portal.plans import rows as plan_rows
from portal.routes.pages.common import plan_page, plan_url, render, see_other, shown_sections
from portal.routes.pages.organisations import ORGANISATIONS_NAV
from portal.routes.pages.signoff.form import problem_errors, send_form
from portal.routes.pages.signoff.views import (
    ChangeView,
    OutcomeView,
    change_view,
    may_work_reviews,
    outcome_anchors,
    outcome_views,
    request_views,
    support_lines,
)
from portal.signoff import changes as package_changes
from portal.signoff import overview
from portal.signoff import requests as review_requests

# After a redirect the banner is chosen by a known key, never taken from the address.
_REVIEW_BANNERS = {
    "started": "Review started: the plan is a draft again, for the person to change and submit",
    "request_declined": "Review request answered: a review is not needed now",
    "change_confirmed": "Change confirmed: the plan holds the new hours and cost",
    "change_for_budget": (
        "Change confirmed: it takes the cost above the agreed budget (or the allocation), so the "
        "new version waits for budget authorisation before it is agreed"
    ),
    "change_declined": "Change declined",
    "change_review": "The change was turned into a request for a full review",
    "outcome_agreed": "Outcome agreed",
    "outcome_declined": "Outcome declined",
}


def review_url(plan_id: uuid.UUID) -> str:
    return plan_url(plan_id, "review")


def empty_review_values() -> dict[str, Any]:
    """What each form on the page holds before anything is typed: its reason boxes by id."""
    return {"note": "", "requests": {}, "changes": {}, "outcomes": {}}


async def review_page_for(
    actor: Actor,
    plan_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    http_status: int = 200,
    banner: str | None = None,
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    if not may_work_reviews(actor, plan.record):
        raise Forbidden(
            "No review for you to work on",
            "This page is for the care coordinators, team managers and plan authorisers of the "
            "organisation that signs off the plan. You can read the plan's sign-off page.",
        )
    access = plan.record.access
    status = await overview.sign_off_status(actor, plan_id)
    asked = request_views(await review_requests.list_requests(actor, plan_id), plan.mine)
    visible = shown_sections(actor, plan.record)
    changes: list[ChangeView] = []
    if "money" in visible:
        lines = support_lines(await plan_rows.list_rows(actor, plan_id, "support"))
        changes = [
            change_view(plan.id, change, lines)
            for change in await package_changes.list_changes(actor, plan_id)
        ]
    may_outcomes = decide(actor, Permission.OUTCOME_DECIDE, access)
    outcomes: list[OutcomeView] = []
    if may_outcomes and "outcomes" in visible:
        outcomes = outcome_views(plan.id, await plan_rows.list_rows(actor, plan_id, "outcome"))
    opened = [c for c in changes if c.status == "open"]
    anchors = {
        "start": "start-review",
        "note": "note",
        **{f"request-{q.id}": f"request-{q.id}-reason" for q in asked},
        **{f"change-{c.id}": f"change-{c.id}-reason" for c in opened},
        **{f"change-{c.id}-review": f"change-{c.id}" for c in opened},
        **outcome_anchors(outcomes),
    }
    today = clock.today()
    return render(
        "signoff/review.html",
        actor,
        status=http_status,
        plan=plan,
        sign_off=status,
        open_requests=[q for q in asked if q.status == "open"],
        answered_requests=[q for q in asked if q.status != "open"],
        open_changes=opened,
        earlier_changes=[c for c in changes if c.status != "open"],
        outcomes=outcomes,
        may_start="start_review" in status.next_steps,
        may_answer_requests=decide(actor, Permission.REVIEW_START, access),
        may_decide_changes=decide(actor, Permission.CHANGE_CONFIRM, access),
        may_decide_outside=decide(actor, Permission.CHANGE_CONFIRM_OUTSIDE_TOLERANCE, access),
        review_overdue=status.review_date is not None and status.review_date < today,
        values=values or empty_review_values(),
        errors=errors or {},
        anchors=anchors,
        banner=banner,
        navigation_items=ORGANISATIONS_NAV,
        back_href=plan_url(plan.id, "sign-off"),
        back_text="Sign-off",
    )


@get("/plans/{plan_id:uuid}/review", name="review")
async def review_page(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    return await review_page_for(
        actor, plan_id, banner=_REVIEW_BANNERS.get(request.query_params.get("done") or "")
    )


async def decided_on_review_page(
    actor: Actor,
    plan_id: uuid.UUID,
    decision: Callable[[], Awaitable[Any]],
    *,
    key: str,
    fields: dict[str, str],
    errors: dict[str, str],
    values: dict[str, Any],
    done: Callable[[Any], str],
    refusals: tuple[type[DomainError], ...] = (Conflict, Invalid),
) -> Response[Any]:
    """A form of the review page: make the decision unless the form is wrong; back to the
    review page, saying what happened, or the page again with why not (by the form's `key`)."""

    async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
        return await review_page_for(
            actor, plan_id, values=values, errors=errors, http_status=http_status
        )

    return await send_form(
        errors,
        decision,
        done=lambda result: see_other(review_url(plan_id) + f"?done={done(result)}"),
        again=again,
        refused=lambda problem: problem_errors(problem, fields, key),
        refusals=refusals,
    )


STAFF_REVIEW_ROUTES = [review_page]
