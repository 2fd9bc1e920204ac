"""Review requests: the person (or someone who helps with the plan) asks for a review, saying
why; staff start the review or say why one is not needed now, on the staff review page."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent.policy import Permission
from portal.core import clock
from portal.core.actor import Actor
from portal.routes.pages.common import PlanPage, plan_page, plan_url, see_other
from portal.routes.pages.forms import text
from portal.routes.pages.signoff.form import problem_errors, read_reason, send_form
from portal.routes.pages.signoff.staff_review import decided_on_review_page, empty_review_values
from portal.routes.pages.signoff.views import person_page
from portal.signoff import overview, transitions
from portal.signoff import requests as review_requests
from portal.signoff import schemas as signoff_schemas


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
        "signoff/review_request.html",
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
    plan = await plan_page(actor, plan_id, Permission.REVIEW_REQUEST)
    form = await request.form()
    errors: dict[str, str] = {}
    reason = read_reason(form, "reason", "Why you want a review", errors)

    async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
        status = await overview.sign_off_status(actor, plan_id)
        return _request_page(
            actor, plan, status, reason=text(form, "reason"), errors=errors, http_status=http_status
        )

    return await send_form(
        errors,
        lambda: review_requests.request_review(
            actor, plan_id, signoff_schemas.ReviewRequestCreate(reason=reason)
        ),
        done=lambda _: see_other(plan_url(plan_id, "sign-off") + "?done=review_requested"),
        again=again,
        refused=lambda problem: problem_errors(problem, {"reason": "reason"}, "request"),
    )


# --- staff answer them, on the review page --------------------------------------------------


@post("/plans/{plan_id:uuid}/review/start", name="review-start")
async def start_review(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    await transitions.open_plan_for(actor, plan_id, Permission.REVIEW_START, "start a review")
    form = await request.form()
    errors: dict[str, str] = {}
    note = read_reason(form, "note", "The note", errors)
    values = {**empty_review_values(), "note": text(form, "note")}
    return await decided_on_review_page(
        actor,
        plan_id,
        lambda: review_requests.start_review(
            actor, plan_id, signoff_schemas.ReviewStart(note=note)
        ),
        key="start",
        fields={"note": "note"},
        errors=errors,
        values=values,
        done=lambda _: "started",
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
    reason = read_reason(form, "reason", "Why a review is not needed now", errors, key)
    values = {**empty_review_values(), "requests": {str(request_id): text(form, "reason")}}
    return await decided_on_review_page(
        actor,
        plan_id,
        lambda: review_requests.decline_request(
            actor, plan_id, request_id, signoff_schemas.ReviewDecline(reason=reason)
        ),
        key=key,
        fields={"reason": key},
        errors=errors,
        values=values,
        done=lambda _: "request_declined",
    )


REVIEW_REQUEST_ROUTES = [review_request_form, ask_for_review, start_review, decline_request]
