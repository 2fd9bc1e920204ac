"""My plans, starting a plan, and a plan's overview: the nine criteria and the money."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent import directory
from portal.consent import representatives as consent_representatives
from portal.consent.policy import Permission, decide, is_owner
from portal.core.actor import Actor
from portal.plans import schemas as plan_schemas
from portal.plans import service
from portal.plans.wording import money_view
from portal.routes.pages.common import (
    PLANS_NAV,
    banner_for,
    keep_offline,
    plan_nav,
    plan_url,
    render,
    see_other,
)
from portal.routes.pages.forms import FieldProblem, check_length, text
from portal.signoff.workflow import STATE_WORDS, State

STATUS_TAGS: dict[str, dict[str, str]] = {
    "met": {"text": "Met", "colour": "green"},
    "partial": {"text": "Partly done", "colour": "yellow"},
    "missing": {"text": "Not started", "colour": "grey"},
}
KIND_ITEMS = [
    {"value": kind, "text": label} for kind, label in plan_schemas.PLAN_KIND_LABELS.items()
]


def criterion_href(plan_id: uuid.UUID, key: str) -> str:
    """Outcomes, money and actions are lists of their own; the rest are one form each."""
    pages = {"outcomes": "outcomes", "money": "money", "action_plan": "actions"}
    return plan_url(plan_id, pages[key]) if key in pages else plan_url(plan_id, "sections", key)


def _plans_page(
    actor: Actor,
    plans: list[plan_schemas.PlanSummary],
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response[Any]:
    return render(
        "plans/list.html",
        actor,
        status=status,
        plans=plans,
        kind_labels=plan_schemas.PLAN_KIND_LABELS,
        kind_items=KIND_ITEMS,
        errors=errors or {},
        values=values or {"kind": "", "title": ""},
        navigation_items=PLANS_NAV,
    )


@get("/plans", name="plans")
async def my_plans(actor: NamedDependency[Actor]) -> Response[Any]:
    return _plans_page(actor, await service.list_plans(actor))


@post("/plans", name="plans-create")
async def start_plan(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor]
) -> Response[Any]:
    form = await request.form()
    kind = text(form, "kind").strip()
    title = text(form, "title").strip()
    errors: dict[str, str] = {}
    if kind not in plan_schemas.PLAN_KIND_LABELS:
        errors["kind"] = "Choose what kind of plan to start"
    try:
        check_length("The plan's name", title, 200)
    except FieldProblem as exc:
        errors["title"] = str(exc)
    if errors:
        return _plans_page(
            actor,
            await service.list_plans(actor),
            status=400,
            errors=errors,
            values={"kind": kind, "title": title},
        )
    plan = await service.create_plan(
        actor, plan_schemas.PlanCreate(kind=plan_schemas.PlanKind(kind), title=title)
    )
    return see_other(plan_url(plan.id) + "?started=1")


@get("/plans/{plan_id:uuid}", name="plan-overview")
async def overview(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    record = await service.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    plan = await service.read_plan(actor, plan_id)
    mine = is_owner(actor, record.access)
    visible = [section.key for section in plan.sections]
    # "Who speaks for …" belongs with About me: only someone who may read it is told.
    speakers = (
        await consent_representatives.list_representatives(actor, plan_id)
        if "about_me" in visible
        else []
    )
    criteria = [
        {
            "number": c.number,
            "key": c.key,
            "title": c.title,
            "href": criterion_href(plan.id, c.key),
            "tag": STATUS_TAGS[c.status],
            "missing": c.missing,
        }
        for c in plan.criteria
    ]
    # Someone who may change nothing here reads it fresh each time: it is not kept on their phone.
    may_change = [
        key for key in visible if decide(actor, Permission.SECTION_EDIT, record.access, key)
    ]
    return render(
        "plans/overview.html",
        actor,
        headers=keep_offline(bool(may_change)),
        plan=plan,
        may_change_money="money" in may_change,
        kind_label=plan_schemas.PLAN_KIND_LABELS.get(plan.kind, plan.kind),
        criteria=criteria,
        money=money_view(plan.money, plan.organisation_allocation),
        mine=mine,
        owner_name="" if mine else await directory.person_name(record.person_id),
        visible=visible,
        can_share=decide(actor, Permission.PLAN_SHARE, record.access),
        sign_off_state=record.state,
        sign_off_words=STATE_WORDS[State(record.state)],
        speakers=speakers,
        banner=banner_for(request.query_params),
        navigation_items=plan_nav(plan.id, "", visible),
        back_href="/plans",
        back_text="My plans",
    )


PLAN_ROUTES = [my_plans, start_plan, overview]
