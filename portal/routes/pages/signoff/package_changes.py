"""Package changes to an agreed plan: proposing one (the hours and weekly cost of a support
line), reading one, staff confirming or declining it, and turning it into a full review.

A change within the organisation's tolerance is a care coordinator's to confirm; outside it,
a team manager's (a 403 from the service then says so, beside the change).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from portal.consent.policy import Permission
from portal.core.actor import Actor
from portal.core.errors import Conflict, DomainError, Forbidden, Invalid, not_found
from portal.plans import access as plan_access
from portal.plans import rows as plan_rows
from portal.plans import schemas as plan_schemas
from portal.plans.wording import hours_words
from portal.routes.pages.common import PlanPage, plan_page, plan_url, see_other
from portal.routes.pages.forms import FieldProblem, parse_pounds, text
from portal.routes.pages.rows import hours_parts, hours_values, parse_hours
from portal.routes.pages.signoff.form import problem_errors, read_reason, send_form
from portal.routes.pages.signoff.staff_review import (
    decided_on_review_page,
    empty_review_values,
    review_page_for,
    review_url,
)
from portal.routes.pages.signoff.views import (
    change_view,
    may_work_reviews,
    person_page,
    support_lines,
)
from portal.signoff import changes as package_changes
from portal.signoff import schemas as signoff_schemas
from portal.signoff import transitions

_CHANGE_BANNERS = {
    "proposed": "Change proposed",
    "review": "You asked for a full review instead of this change",
}


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
    lines = support_lines(await plan_rows.list_rows(actor, plan_id, "support"))
    return person_page(
        "signoff/change.html",
        actor,
        plan,
        status=http_status,
        change=change_view(plan.id, change, lines),
        reason=reason,
        errors=errors or {},
        anchors={"review": "review-reason"},
        banner=banner,
        review_url=review_url(plan.id) if may_work_reviews(actor, plan.record) else None,
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
    reason = read_reason(form, "reason", "Why a full review is needed", errors, key)

    def done(_: object) -> Response[Any]:
        if from_review:
            return see_other(review_url(plan_id) + "?done=change_review")
        return see_other(plan_url(plan_id, "package-changes", str(change_id)) + "?done=review")

    async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
        if from_review:
            plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
            if may_work_reviews(actor, plan):
                return await review_page_for(actor, plan_id, errors=errors, http_status=http_status)
        return await _change_page(
            actor,
            plan_id,
            change_id,
            reason=text(form, "reason"),
            errors={"review": next(iter(errors.values()))},
            http_status=http_status,
        )

    return await send_form(
        errors,
        lambda: package_changes.change_to_review(
            actor, plan_id, change_id, signoff_schemas.ReviewRequestCreate(reason=reason)
        ),
        done=done,
        again=again,
        refused=lambda problem: problem_errors(problem, {"reason": key}, key),
    )


# --- staff decide, on the review page -------------------------------------------------------


def _decided_words(choice: str, change: signoff_schemas.PackageChangeRead) -> str:
    if choice != "confirm":
        return "change_declined"
    return "change_for_budget" if change.budget_authorisation else "change_confirmed"


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
    reason = read_reason(form, "reason", "The note or reason", errors, key)
    values = {**empty_review_values(), "changes": {str(change_id): text(form, "reason")}}
    data = signoff_schemas.ChangeDecision(
        decision="confirm" if choice == "confirm" else "decline", reason=reason
    )
    # Anyone here may decide changes within tolerance (checked above): a 403 now says that
    # this change is outside it, for a team manager, and is shown by the change.
    return await decided_on_review_page(
        actor,
        plan_id,
        lambda: package_changes.decide_change(actor, plan_id, change_id, data),
        key=key,
        fields={"reason": key},
        errors=errors,
        values=values,
        done=lambda change: _decided_words(choice, change),
        refusals=(Forbidden, Conflict, Invalid),
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


def _empty_propose_values() -> dict[str, Any]:
    return {"after": hours_values(None), "cost_after": "", "reason": ""}


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
        "signoff/propose.html",
        actor,
        plan,
        status=http_status,
        agreed=plan.record.state == "agreed",
        items=items,
        line=line,
        hours_words=hours_words,
        choose_url=lambda row_id: plan_url(plan.id, "package-changes", "new") + f"?item={row_id}",
        values=values or _empty_propose_values(),
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
            actor, plan, items, None, errors={"support_item": _GONE}, http_status=404
        )
    return _propose_page(actor, plan, items, line)


def _propose_refused(problem: DomainError) -> dict[str, str]:
    # About the line itself (not theirs; no hours; the plan moved on): the whole sentence.
    if isinstance(problem, (Forbidden, Conflict)):
        return {"propose": problem.detail}
    return problem_errors(problem, _PROPOSE_FIELDS, "propose")


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
    reason = read_reason(form, "reason", "Why the package needs to change", errors)
    if not reason and "reason" not in errors:
        errors["reason"] = "Say why the package needs to change"
    support_item_id = line.id

    async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
        return _propose_page(
            actor, plan, items, line, values=values, errors=errors, http_status=http_status
        )

    return await send_form(
        errors,
        lambda: package_changes.propose_change(
            actor,
            plan_id,
            signoff_schemas.PackageChangeCreate(
                support_item_id=support_item_id,
                minutes_after=minutes_after or 0,
                weekly_cost_after_pence=cost_after or 0,
                reason=reason,
            ),
        ),
        done=lambda change: see_other(
            plan_url(plan_id, "package-changes", str(change.id)) + "?done=proposed"
        ),
        again=again,
        refused=_propose_refused,
        refusals=(Forbidden, Conflict, Invalid),
    )


PACKAGE_CHANGE_ROUTES = [
    change_page,
    change_to_review,
    decide_change,
    propose_form,
    propose,
]
