"""Where a plan is in sign-off (its state, what is missing, staff comments, versions, decisions
and review requests), and submitting it to an organisation."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent.policy import Permission
from portal.core.actor import Actor
from portal.core.errors import DomainError
from portal.core.sections import CRITERIA_KEYS, SECTION_TITLES
from portal.routes.pages.common import PlanPage, plan_page, plan_url, see_other
from portal.routes.pages.forms import text
from portal.routes.pages.plans import criterion_href
from portal.routes.pages.signoff.form import problem_errors, send_form
from portal.routes.pages.signoff.views import (
    comment_groups,
    decision_view,
    may_work_reviews,
    person_page,
    request_views,
    titles,
    version_view,
)
from portal.signoff import overview, submitting
from portal.signoff import requests as review_requests
from portal.signoff import schemas as signoff_schemas

# After a redirect the banner is chosen by a known key, never taken from the address.
_SIGN_OFF_BANNERS = {
    "submitted": "Plan submitted for sign-off",
    "review_requested": "You asked for a review: staff will answer your request",
}
# The service names fields as the API does; the form names them for people.
_SUBMIT_FIELDS = {
    "organisation_id": "organisation_id",
    "share_with_organisation": "share_with_organisation",
}


class MissingView(msgspec.Struct, frozen=True, kw_only=True):
    """Something that still stops submitting, with the page that fixes it (if one does)."""

    key: str | None
    text: str
    href: str | None


def _missing_views(plan_id: uuid.UUID, missing: list[str]) -> list[MissingView]:
    """What still stops submitting, each with the page that fixes it (found by its title)."""
    views = []
    for message in missing:
        key = next((k for k in CRITERIA_KEYS if message.startswith(f"{SECTION_TITLES[k]}:")), None)
        views.append(
            MissingView(key=key, text=message, href=criterion_href(plan_id, key) if key else None)
        )
    return views


def _may_submit_again(status: signoff_schemas.SignOffRead) -> bool:
    """Submitting makes sense when it is open and, for a plan already waiting, it changed."""
    if "submit" in status.next_steps:
        return True
    return "resubmit" in status.next_steps and status.changed_since_submitted


@get("/plans/{plan_id:uuid}/sign-off", name="sign-off")
async def sign_off_page(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    status = await overview.sign_off_status(actor, plan_id)
    asked = await review_requests.list_requests(actor, plan_id)
    return person_page(
        "signoff/sign_off.html",
        actor,
        plan,
        sign_off=status,
        review_requests=request_views(asked, plan.mine),
        # While a new version is being written (a review under way), asking again is no use.
        may_ask_for_review=status.agreed_version is not None and status.state == "agreed",
        may_work_reviews=may_work_reviews(actor, plan.record),
        missing=_missing_views(plan.id, status.missing),
        comment_groups=comment_groups(plan.id, status.comments),
        versions=[version_view(v, plan.id) for v in status.versions],
        decisions=[decision_view(d, plan.mine) for d in status.decisions],
        can_submit=_may_submit_again(status),
        banner=_SIGN_OFF_BANNERS.get(request.query_params.get("done") or ""),
    )


# --- submitting -----------------------------------------------------------------------------


def _submit_page(
    actor: Actor,
    plan: PlanPage,
    status: signoff_schemas.SignOffRead,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    http_status: int = 200,
) -> Response[Any]:
    choices = status.organisations
    if values is None:
        chosen = ""
        if len(choices) == 1:
            chosen = str(choices[0].id)
        elif status.organisation and any(o.id == status.organisation.id for o in choices):
            chosen = str(status.organisation.id)
        values = {"organisation_id": chosen, "share_with_organisation": False}
    missing = _missing_views(plan.id, status.missing)
    anchors = {m.key: f"missing-{m.key}" for m in missing if m.key}
    return person_page(
        "signoff/submit.html",
        actor,
        plan,
        status=http_status,
        sign_off=status,
        shares=titles(status.shares_sections),
        organisations=choices,
        organisation_items=[
            {
                "value": str(o.id),
                "text": o.name,
                "hint": {"text": submitting.KIND_WORDS.get(o.kind, o.kind).capitalize()},
                "checked": values["organisation_id"] == str(o.id),
            }
            for o in choices
        ],
        values=values,
        errors=errors or {},
        anchors={**anchors, "submit": "submit-plan"},
        missing=missing,
        is_resubmit="resubmit" in status.next_steps,
        action_url=plan_url(plan.id, "submit"),
        back_href=plan_url(plan.id, "sign-off"),
        back_text="Sign-off",
    )


@get("/plans/{plan_id:uuid}/submit", name="submit")
async def submit_form(actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SUBMIT)
    return _submit_page(actor, plan, await overview.sign_off_status(actor, plan_id))


def _submit_refused(problem: DomainError) -> dict[str, str]:
    # "Not ready" names each criterion: the page lists what is missing under its key.
    return problem_errors(
        problem, {**_SUBMIT_FIELDS, **{key: key for key in CRITERIA_KEYS}}, "submit"
    )


@post("/plans/{plan_id:uuid}/submit", name="submit-send")
async def submit(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SUBMIT)
    form = await request.form()
    chosen = text(form, "organisation_id").strip()
    share = text(form, "share_with_organisation") == "yes"
    values = {"organisation_id": chosen, "share_with_organisation": share}
    errors: dict[str, str] = {}
    organisation_id: uuid.UUID | None = None
    if chosen:
        try:
            organisation_id = uuid.UUID(chosen)
        except ValueError:
            errors["organisation_id"] = "Choose an organisation from the list"

    async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
        status = await overview.sign_off_status(actor, plan_id)
        return _submit_page(
            actor, plan, status, values=values, errors=errors, http_status=http_status
        )

    return await send_form(
        errors,
        lambda: submitting.submit_plan(
            actor,
            plan_id,
            signoff_schemas.SubmitRequest(
                organisation_id=organisation_id, share_with_organisation=share
            ),
        ),
        done=lambda _: see_other(plan_url(plan_id, "sign-off") + "?done=submitted"),
        again=again,
        refused=_submit_refused,
    )


STATUS_ROUTES = [sign_off_page, submit_form, submit]
