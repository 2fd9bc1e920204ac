"""Review pages: asking for a review, the staff review page (review requests, package changes
and outcomes), proposing a change to the package, and an organisation's tolerance figures.

Every rule is the reviews service's (`portal.signoff.requests` and `portal.signoff.changes`,
which ask the access decision): these pages read forms, call the service and show what it says.
Each form handler first makes sure the reader may do what the form does (404 for a plan they
may not know, 403 for a decision that is not theirs) and only then reads the form. A refusal
about what was sent (422), the plan or the request having moved on (409), or a change only a
team manager may decide (403) is shown on the form's page with an NHS.UK error summary.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from portal.accounts import organisations
from portal.accounts import schemas as account_schemas
from portal.bounds import parse_whole
from portal.consent.policy import Permission, decide
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, DomainError, Forbidden, Invalid, not_found
from portal.core.money import MAX_WEEKLY_PENCE
from portal.plans import access as plan_access
from portal.plans import rows as plan_rows
from portal.plans import schemas as plan_schemas
from portal.plans.wording import hours_words
from portal.problems import status_of
from portal.routes.pages.common import (
    PlanPage,
    plan_page,
    plan_url,
    render,
    see_other,
    shown_sections,
)
from portal.routes.pages.forms import FieldProblem, check_length, parse_pounds, pounds_value, text
from portal.routes.pages.organisations import ORGANISATIONS_NAV, organisation_url
from portal.routes.pages.reviews import (
    REASON_LIMIT,
    decide_page,
    may_work_reviews,
    outcome_anchors,
    outcome_views,
    person_page,
    problem_errors,
    request_views,
)
from portal.routes.pages.rows import hours_parts, hours_values, parse_hours
from portal.signoff import changes as package_changes
from portal.signoff import outcome_decisions, overview, tolerance_settings, transitions
from portal.signoff import requests as review_requests
from portal.signoff import schemas as signoff_schemas

# A tolerance rule may have up to this many weekly cost bands (as the service allows).
MAX_BANDS = 20
MAX_BAND_PENCE = MAX_WEEKLY_PENCE

CHANGE_TAGS: dict[str, dict[str, str]] = {
    "open": {"text": "Waiting for a decision", "colour": "blue"},
    "confirmed": {"text": "Confirmed", "colour": "green"},
    "declined": {"text": "Declined", "colour": "red"},
    "review": {"text": "Turned into a review", "colour": "orange"},
    "withdrawn": {"text": "Closed: consent withdrawn", "colour": "grey"},
}
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
_CHANGE_BANNERS = {
    "proposed": "Change proposed",
    "review": "You asked for a full review instead of this change",
}
_TOLERANCE_BANNERS = {"changed": "Tolerance changed: new package changes follow it"}


def _review_url(plan_id: uuid.UUID) -> str:
    return plan_url(plan_id, "review")


def _reason(form: Any, name: str, label: str, key: str, errors: dict[str, str]) -> str:
    value = text(form, name).strip()
    try:
        check_length(label, value, REASON_LIMIT)
    except FieldProblem as exc:
        errors[key] = str(exc)
    return value


def _lines(items: list[plan_schemas.SupportItemRead]) -> dict[str, str]:
    return {str(item.id): item.description for item in items}


def change_view(
    plan_id: uuid.UUID, change: signoff_schemas.PackageChangeRead, lines: dict[str, str]
) -> dict[str, Any]:
    """A package change as people read it: the line, hours and cost before and after, who
    decides and why, and where its forms post."""
    line = lines.get(str(change.support_item_id)) or (
        lines.get(str(change.new_support_item_id)) if change.new_support_item_id else None
    )
    url = plan_url(plan_id, "package-changes", str(change.id))
    return {
        "id": change.id,
        "line": line or "A support line that has changed since",
        "proposed_by": change.proposed_by
        + (f" of {change.proposer_organisation_name}" if change.proposer_organisation_name else ""),
        "proposed_at": change.proposed_at,
        "hours_before": f"{hours_words(change.minutes_before)} a week",
        "hours_after": f"{hours_words(change.minutes_after)} a week",
        "hours_ordered": f"{hours_words(change.ordered_minutes)} a week",
        "cost_before": change.weekly_cost_before_pence,
        "cost_after": change.weekly_cost_after_pence,
        # The package as a whole, which the tolerance rule was applied to (older changes: none).
        "package": (
            {
                "cost_before": change.package_weekly_before_pence,
                "cost_after": change.package_weekly_after_pence,
                "hours_ordered": f"{hours_words(change.package_ordered_minutes or 0)} a week",
                "hours_after": f"{hours_words(change.package_minutes_after or 0)} a week",
            }
            if change.package_weekly_after_pence is not None
            else None
        ),
        "version_number": change.version_number,
        "budget_authorisation": change.budget_authorisation,
        "reason": change.reason,
        "route": change.route,
        "route_reasons": change.route_reasons,
        "status": change.status,
        "tag": CHANGE_TAGS.get(change.status, {"text": change.status, "colour": "grey"}),
        "decided_at": change.decided_at,
        "decision_reason": change.decision_reason,
        "url": url,
        "decision_action": f"{url}/decision",
        "review_action": f"{url}/review",
    }


# --- asking for a review ----------------------------------------------------------------


def _request_page(
    actor: Actor,
    plan: PlanPage,
    status: signoff_schemas.SignOffRead,
    *,
    reason: str = "",
    errors: dict[str, str] | None = None,
    http_status: int = 200,
) -> Response[Any]:
    due = status.review_date
    return person_page(
        "reviews/review_request.html",
        actor,
        plan,
        status=http_status,
        sign_off=status,
        review_date=due,
        early=due is not None and clock.today() < due,
        reason=reason,
        errors=errors or {},
        anchors={"request": "ask"},
        action_url=plan_url(plan.id, "review-request"),
        back_href=plan_url(plan.id, "sign-off"),
        back_text="Sign-off",
    )


@get("/plans/{plan_id:uuid}/review-request", name="review-request")
async def review_request_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.REVIEW_REQUEST)
    return _request_page(actor, plan, await overview.sign_off_status(actor, plan_id))


@post("/plans/{plan_id:uuid}/review-request", name="review-request-send")
async def ask_for_review(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    # Access first, so nobody learns anything about a plan from how their form is judged.
    plan = await plan_page(actor, plan_id, Permission.REVIEW_REQUEST)
    form = await request.form()
    errors: dict[str, str] = {}
    reason = _reason(form, "reason", "Why you want a review", "reason", errors)
    http_status = 400
    if not errors:
        try:
            await review_requests.request_review(
                actor, plan_id, signoff_schemas.ReviewRequestCreate(reason=reason)
            )
        except DomainError as problem:
            if not isinstance(problem, (Conflict, Invalid)):
                raise
            http_status = status_of(problem)
            errors = problem_errors(problem, {"reason": "reason"}, "request")
        else:
            return see_other(plan_url(plan_id, "sign-off") + "?done=review_requested")
    status = await overview.sign_off_status(actor, plan_id)
    return _request_page(
        actor, plan, status, reason=text(form, "reason"), errors=errors, http_status=http_status
    )


# --- the staff review page ----------------------------------------------------------------


def _empty_review_values() -> dict[str, Any]:
    return {"note": "", "requests": {}, "changes": {}, "outcomes": {}}


async def _review_page(
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
    changes: list[dict[str, Any]] = []
    if "money" in visible:
        lines = _lines(await plan_rows.list_rows(actor, plan_id, "support"))
        changes = [
            change_view(plan.id, change, lines)
            for change in await package_changes.list_changes(actor, plan_id)
        ]
    may_outcomes = decide(actor, Permission.OUTCOME_DECIDE, access)
    outcomes = []
    if may_outcomes and "outcomes" in visible:
        outcomes = outcome_views(plan.id, await plan_rows.list_rows(actor, plan_id, "outcome"))
    opened = [c for c in changes if c["status"] == "open"]
    anchors = {
        "start": "start-review",
        "note": "note",
        **{f"request-{q['id']}": f"request-{q['id']}-reason" for q in asked},
        **{f"change-{c['id']}": f"change-{c['id']}-reason" for c in opened},
        **{f"change-{c['id']}-review": f"change-{c['id']}" for c in opened},
        **outcome_anchors(outcomes),
    }
    today = clock.today()
    return render(
        "reviews/review.html",
        actor,
        status=http_status,
        plan=plan,
        sign_off=status,
        open_requests=[q for q in asked if q["status"] == "open"],
        answered_requests=[q for q in asked if q["status"] != "open"],
        open_changes=opened,
        earlier_changes=[c for c in changes if c["status"] != "open"],
        outcomes=outcomes,
        may_start="start_review" in status.next_steps,
        may_answer_requests=decide(actor, Permission.REVIEW_START, access),
        may_decide_changes=decide(actor, Permission.CHANGE_CONFIRM, access),
        may_decide_outside=decide(actor, Permission.CHANGE_CONFIRM_OUTSIDE_TOLERANCE, access),
        review_overdue=status.review_date is not None and status.review_date < today,
        values=values or _empty_review_values(),
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
    return await _review_page(
        actor, plan_id, banner=_REVIEW_BANNERS.get(request.query_params.get("done") or "")
    )


async def _decided(
    actor: Actor,
    plan_id: uuid.UUID,
    decision: Any,
    *,
    key: str,
    fields: dict[str, str],
    errors: dict[str, str],
    values: dict[str, Any],
    done: str | Callable[[Any], str],
    refusals: tuple[type[DomainError], ...] = (Conflict, Invalid),
) -> Response[Any]:
    """Make the decision unless the form is wrong; back to the review page, saying what
    happened, or the page again with why not."""
    http_status = 400
    if not errors:
        try:
            result = await decision()
        except DomainError as problem:
            if not isinstance(problem, refusals):
                raise
            http_status = status_of(problem)
            errors = problem_errors(problem, fields, key)
        else:
            said = done(result) if callable(done) else done
            return see_other(_review_url(plan_id) + f"?done={said}")
    return await _review_page(actor, plan_id, values=values, errors=errors, http_status=http_status)


@post("/plans/{plan_id:uuid}/review/start", name="review-start")
async def start_review(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    await transitions.open_plan_for(actor, plan_id, Permission.REVIEW_START, "start a review")
    form = await request.form()
    errors: dict[str, str] = {}
    note = _reason(form, "note", "The note", "note", errors)
    values = {**_empty_review_values(), "note": text(form, "note")}

    async def decision() -> Any:
        return await review_requests.start_review(
            actor, plan_id, signoff_schemas.ReviewStart(note=note)
        )

    return await _decided(
        actor,
        plan_id,
        decision,
        key="start",
        fields={"note": "note"},
        errors=errors,
        values=values,
        done="started",
    )


@post(
    "/plans/{plan_id:uuid}/review/requests/{request_id:uuid}/decline",
    name="review-request-decline",
)
async def decline_request(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await transitions.open_plan_for(
        actor, plan_id, Permission.REVIEW_START, "answer review requests"
    )
    form = await request.form()
    key = f"request-{request_id}"
    errors: dict[str, str] = {}
    reason = _reason(form, "reason", "Why a review is not needed now", key, errors)
    values = {**_empty_review_values(), "requests": {str(request_id): text(form, "reason")}}

    async def decision() -> Any:
        return await review_requests.decline_request(
            actor, plan_id, request_id, signoff_schemas.ReviewDecline(reason=reason)
        )

    return await _decided(
        actor,
        plan_id,
        decision,
        key=key,
        fields={"reason": key},
        errors=errors,
        values=values,
        done="request_declined",
    )


@post(
    "/plans/{plan_id:uuid}/package-changes/{change_id:uuid}/decision",
    name="package-change-decision",
)
async def decide_change(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    change_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await transitions.open_plan_for(
        actor, plan_id, Permission.CHANGE_CONFIRM, "decide on changes to the support"
    )
    form = await request.form()
    key = f"change-{change_id}"
    errors: dict[str, str] = {}
    choice = text(form, "decision")
    if choice not in ("confirm", "decline"):
        errors[key] = "Choose whether to confirm or decline the change"
    reason = _reason(form, "reason", "The note or reason", key, errors)
    values = {**_empty_review_values(), "changes": {str(change_id): text(form, "reason")}}

    async def decision() -> Any:
        data = signoff_schemas.ChangeDecision(
            decision="confirm" if choice == "confirm" else "decline", reason=reason
        )
        return await package_changes.decide_change(actor, plan_id, change_id, data)

    # Anyone here may decide changes within tolerance (checked above): a 403 now says that
    # this change is outside it, for a team manager, and is shown by the change.
    return await _decided(
        actor,
        plan_id,
        decision,
        key=key,
        fields={"reason": key},
        errors=errors,
        values=values,
        done=lambda change: (
            "change_declined"
            if choice != "confirm"
            else "change_for_budget"
            if change.budget_authorisation
            else "change_confirmed"
        ),
        refusals=(Forbidden, Conflict, Invalid),
    )


@post("/plans/{plan_id:uuid}/outcome-decisions/{outcome_id:uuid}", name="outcome-decision")
async def decide_outcome(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    outcome_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await transitions.open_plan_for(
        actor, plan_id, Permission.OUTCOME_DECIDE, "agree or decline outcomes"
    )
    form = await request.form()
    from_decide = text(form, "back") == "decide"
    key = f"outcome-{outcome_id}"
    errors: dict[str, str] = {}
    choice = text(form, "decision")
    if choice not in ("agreed", "declined"):
        errors[key] = "Choose whether to agree or decline the outcome"
    reason = _reason(form, "reason", "The reason", key, errors)
    typed = {str(outcome_id): text(form, "reason")}
    http_status = 400
    if not errors:
        try:
            await outcome_decisions.decide_outcome(
                actor,
                plan_id,
                outcome_id,
                signoff_schemas.OutcomeDecision(
                    decision="agreed" if choice == "agreed" else "declined", reason=reason
                ),
            )
        except DomainError as problem:
            if not isinstance(problem, (Conflict, Invalid)):
                raise
            http_status = status_of(problem)
            errors = problem_errors(problem, {"reason": key}, key)
        else:
            page = plan_url(plan_id, "decide") if from_decide else _review_url(plan_id)
            return see_other(f"{page}?done=outcome_{choice}")
    if from_decide:
        return await decide_page(
            actor, plan_id, errors=errors, outcome_reasons=typed, http_status=http_status
        )
    values = {**_empty_review_values(), "outcomes": typed}
    return await _review_page(actor, plan_id, values=values, errors=errors, http_status=http_status)


# --- one package change, and turning it into a review -------------------------------------


async def _change_page(
    actor: Actor,
    plan_id: uuid.UUID,
    change_id: uuid.UUID,
    *,
    reason: str = "",
    errors: dict[str, str] | None = None,
    http_status: int = 200,
    banner: str | None = None,
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    found = await package_changes.list_changes(actor, plan_id)
    change = next((c for c in found if c.id == change_id), None)
    if change is None:
        raise not_found("change")
    lines = _lines(await plan_rows.list_rows(actor, plan_id, "support"))
    return person_page(
        "reviews/change.html",
        actor,
        plan,
        status=http_status,
        change=change_view(plan.id, change, lines),
        reason=reason,
        errors=errors or {},
        anchors={"review": "review-reason"},
        banner=banner,
        review_url=_review_url(plan.id) if may_work_reviews(actor, plan.record) else None,
        back_href=plan_url(plan.id, "money"),
        back_text="Money",
    )


@get("/plans/{plan_id:uuid}/package-changes/{change_id:uuid}", name="package-change")
async def change_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    change_id: FromPath[uuid.UUID],
) -> Response[Any]:
    banner = _CHANGE_BANNERS.get(request.query_params.get("done") or "")
    return await _change_page(actor, plan_id, change_id, banner=banner)


@post(
    "/plans/{plan_id:uuid}/package-changes/{change_id:uuid}/review",
    name="package-change-review",
)
async def change_to_review(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    change_id: FromPath[uuid.UUID],
) -> Response[Any]:
    # Reading the plan's changes is the access check (the money section, 404 otherwise).
    await package_changes.list_changes(actor, plan_id)
    form = await request.form()
    from_review = text(form, "back") == "review"
    key = f"change-{change_id}-review" if from_review else "review"
    errors: dict[str, str] = {}
    reason = _reason(form, "reason", "Why a full review is needed", key, errors)
    http_status = 400
    if not errors:
        try:
            await package_changes.change_to_review(
                actor, plan_id, change_id, signoff_schemas.ReviewRequestCreate(reason=reason)
            )
        except DomainError as problem:
            if not isinstance(problem, (Conflict, Invalid)):
                raise
            http_status = status_of(problem)
            errors = problem_errors(problem, {"reason": key}, key)
        else:
            if from_review:
                return see_other(_review_url(plan_id) + "?done=change_review")
            return see_other(plan_url(plan_id, "package-changes", str(change_id)) + "?done=review")
    if from_review:
        plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
        if may_work_reviews(actor, plan):
            return await _review_page(actor, plan_id, errors=errors, http_status=http_status)
    return await _change_page(
        actor,
        plan_id,
        change_id,
        reason=text(form, "reason"),
        errors={"review": next(iter(errors.values()))},
        http_status=http_status,
    )


# --- proposing a change ---------------------------------------------------------------------

ItemChoice = Annotated[str | None, QueryParameter(name="item")]
_GONE = "That support is not part of the plan now. Choose from the list"
# The service names fields as the API does; the form names them for people.
_PROPOSE_FIELDS = {
    "support_item_id": "support_item",
    "minutes_after": "after",
    "weekly_cost_after_pence": "cost_after",
    "reason": "reason",
}
_PROPOSE_ANCHORS = {
    "support_item": "support-lines",
    "after": "after-hours",
    "propose": "propose",
}


async def _open_propose(actor: Actor, plan_id: uuid.UUID) -> PlanPage:
    """The plan, once the reader may propose a change to its support: 404 for a plan or a money
    section they may not see, 403 for one they may only read."""
    await plan_access.open_section(actor, plan_id, "money", Permission.SECTION_COMMENT)
    return await plan_page(actor, plan_id, Permission.CHANGE_PROPOSE)


def _find_line(
    items: list[plan_schemas.SupportItemRead], chosen: str | None
) -> plan_schemas.SupportItemRead | None:
    return next((item for item in items if str(item.id) == (chosen or "").strip()), None)


def _empty_propose_values(line: plan_schemas.SupportItemRead | None) -> dict[str, Any]:
    return {
        "after": hours_values(None),
        "cost_after": "",
        "reason": "",
    }


def _propose_page(
    actor: Actor,
    plan: PlanPage,
    items: list[plan_schemas.SupportItemRead],
    line: plan_schemas.SupportItemRead | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    http_status: int = 200,
) -> Response[Any]:
    return person_page(
        "reviews/propose.html",
        actor,
        plan,
        status=http_status,
        agreed=plan.record.state == "agreed",
        items=items,
        line=line,
        hours_words=hours_words,
        choose_url=lambda row_id: plan_url(plan.id, "package-changes", "new") + f"?item={row_id}",
        values=values or _empty_propose_values(line),
        errors=errors or {},
        anchors=_PROPOSE_ANCHORS,
        action_url=plan_url(plan.id, "package-changes", "new"),
        back_href=plan_url(plan.id, "money"),
        back_text="Money",
    )


@get("/plans/{plan_id:uuid}/package-changes/new", name="package-change-new")
async def propose_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], item: ItemChoice = None
) -> Response[Any]:
    plan = await _open_propose(actor, plan_id)
    items = await plan_rows.list_rows(actor, plan_id, "support")
    line = _find_line(items, item)
    if item and line is None:
        # An old link (the line was replaced by a confirmed change) or a made-up one.
        return _propose_page(
            actor,
            plan,
            items,
            None,
            errors={"support_item": _GONE},
            http_status=404,
        )
    return _propose_page(actor, plan, items, line)


@post("/plans/{plan_id:uuid}/package-changes/new", name="package-change-propose")
async def propose(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await _open_propose(actor, plan_id)
    form = await request.form()
    items = await plan_rows.list_rows(actor, plan_id, "support")
    line = _find_line(items, text(form, "support_item"))
    if line is None:
        return _propose_page(
            actor,
            plan,
            items,
            None,
            errors={"support_item": "Choose the support you want to change"},
            http_status=400,
        )
    values: dict[str, Any] = {
        "after": hours_parts(form, "after"),
        "cost_after": text(form, "cost_after"),
        "reason": text(form, "reason"),
    }
    errors: dict[str, str] = {}
    # The figures before the change are the agreed plan's own (the service reads them), so the
    # form neither asks for them nor sends them.
    try:
        minutes_after = parse_hours(
            values["after"],
            "Hours a week after the change",
            required="Enter how many hours a week the support will be after the change",
        )
    except FieldProblem as exc:
        errors["after"] = str(exc)
        minutes_after = None
    cost_after: int | None = None
    try:
        if not values["cost_after"].strip():
            raise FieldProblem("Enter the weekly cost after the change, like 165.00")
        cost_after = parse_pounds(values["cost_after"], "The weekly cost after the change")
    except FieldProblem as exc:
        errors["cost_after"] = str(exc)
    reason = _reason(form, "reason", "Why the package needs to change", "reason", errors)
    if not reason and "reason" not in errors:
        errors["reason"] = "Say why the package needs to change"
    http_status = 400
    if not errors:
        try:
            change = await package_changes.propose_change(
                actor,
                plan_id,
                signoff_schemas.PackageChangeCreate(
                    support_item_id=line.id,
                    minutes_after=minutes_after or 0,
                    weekly_cost_after_pence=cost_after or 0,
                    reason=reason,
                ),
            )
        except DomainError as problem:
            if not isinstance(problem, (Forbidden, Conflict, Invalid)):
                raise
            http_status = status_of(problem)
            # About the line itself (not theirs; no hours; the plan moved on): the whole sentence.
            errors = (
                {"propose": problem.detail}
                if isinstance(problem, (Forbidden, Conflict))
                else problem_errors(problem, _PROPOSE_FIELDS, "propose")
            )
        else:
            return see_other(
                plan_url(plan_id, "package-changes", str(change.id)) + "?done=proposed"
            )
    return _propose_page(
        actor, plan, items, line, values=values, errors=errors, http_status=http_status
    )


# --- an organisation's tolerance ----------------------------------------------------------


def _tolerance_values(tolerance: signoff_schemas.ToleranceRead) -> dict[str, Any]:
    bands = [pounds_value(b) for b in tolerance.bands_pence]
    spare = max(0, min(2, MAX_BANDS - len(bands)))
    return {
        "flex": hours_values(tolerance.minutes),
        "percent": str(tolerance.percent),
        "bands": bands + [""] * spare,
    }


def _tolerance_page(
    actor: Actor,
    organisation: account_schemas.OrganisationRead,
    tolerance: signoff_schemas.ToleranceRead,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    http_status: int = 200,
    banner: str | None = None,
) -> Response[Any]:
    bands = []
    lower = 0
    for number, upper in enumerate(tolerance.bands_pence, start=1):
        bands.append({"number": number, "lower": lower, "upper": upper})
        lower = upper + 1
    return render(
        "reviews/tolerance.html",
        actor,
        status=http_status,
        organisation=organisation,
        tolerance=tolerance,
        flex_words=hours_words(tolerance.minutes),
        bands=bands,
        values=values or _tolerance_values(tolerance),
        errors=errors or {},
        anchors={"flex": "flex-hours", "bands": "band-1"},
        banner=banner,
        action_url=organisation_url(organisation.id, "tolerance"),
        navigation_items=ORGANISATIONS_NAV,
        back_href=organisation_url(organisation.id),
        back_text="Back to staff",
    )


@get("/organisations/{organisation_id:uuid}/tolerance", name="organisation-tolerance")
async def tolerance_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    tolerance = await tolerance_settings.read_tolerance(actor, organisation_id)
    organisation = await organisations.read_organisation(actor, organisation_id)
    banner = _TOLERANCE_BANNERS.get(request.query_params.get("done") or "")
    return _tolerance_page(actor, organisation, tolerance, banner=banner)


@post("/organisations/{organisation_id:uuid}/tolerance", name="organisation-tolerance-change")
async def change_tolerance(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    organisation = await organisations.read_organisation(actor, organisation_id)
    if not organisation.can_manage_staff:
        raise Forbidden(
            "Not allowed",
            f"Only an admin of {organisation.name} can change its tolerance for package "
            "changes. Ask one of its admins to do this.",
        )
    tolerance = await tolerance_settings.read_tolerance(actor, organisation_id)
    form = await request.form()
    values: dict[str, Any] = {
        "flex": hours_parts(form, "flex"),
        "percent": text(form, "percent").strip(),
        "bands": [text(form, f"band-{n}").strip() for n in range(1, MAX_BANDS + 1)],
    }
    # Keep as many boxes as were sent (and the empty ones after them), as typed.
    shown = max(
        len(tolerance.bands_pence) + 2,
        max((n for n, v in enumerate(values["bands"], start=1) if v), default=0),
    )
    values["bands"] = values["bands"][: min(MAX_BANDS, shown)]
    errors: dict[str, str] = {}
    minutes = 0
    try:
        minutes = (
            parse_hours(
                values["flex"],
                "How far a provider may change the hours",
                required="Enter how far a provider may change the hours, like 5 hours",
            )
            or 0
        )
    except FieldProblem as exc:
        errors["flex"] = str(exc)
    percent = 0
    raw = values["percent"].removesuffix("%").strip()
    typed = parse_whole(raw, 0, 1000)
    if typed is None:
        errors["percent"] = "Enter the percentage as a whole number from 0 to 1,000, like 20"
    else:
        percent = typed
    bands: list[int] = []
    for number, typed in enumerate(values["bands"], start=1):
        if not typed:
            continue
        try:
            pence = parse_pounds(typed, f"The top of band {number}")
            if pence < 1:
                raise FieldProblem(f"The top of band {number} must be more than £0.00")
            if pence > MAX_BAND_PENCE:
                raise FieldProblem(f"The top of band {number} must be at most £1,000,000.00")
            bands.append(pence)
        except FieldProblem as exc:
            errors.setdefault("bands", str(exc))
    if not bands and "bands" not in errors:
        errors["bands"] = "Enter the top of at least one weekly cost band, like 75.00"
    http_status = 400
    if not errors:
        try:
            await tolerance_settings.change_tolerance(
                actor,
                organisation_id,
                signoff_schemas.ToleranceUpdate(
                    minutes=minutes, percent=percent, bands_pence=bands
                ),
            )
        except DomainError as problem:
            if not isinstance(problem, Invalid):
                raise
            http_status = 422
            errors = problem_errors(
                problem,
                {"bands_pence": "bands", "minutes": "flex", "percent": "percent"},
                "bands",
            )
        else:
            return see_other(organisation_url(organisation_id, "tolerance") + "?done=changed")
    return _tolerance_page(
        actor, organisation, tolerance, values=values, errors=errors, http_status=http_status
    )


REVIEW_MORE_ROUTES = [
    review_request_form,
    ask_for_review,
    review_page,
    start_review,
    decline_request,
    decide_change,
    decide_outcome,
    change_page,
    change_to_review,
    propose_form,
    propose,
    tolerance_page,
    change_tolerance,
]
