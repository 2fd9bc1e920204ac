"""My plans, starting a plan, and a plan's overview: the nine criteria and the money."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent import directory
from portal.consent import service as consent
from portal.consent.policy import Permission, decide, is_owner
from portal.core.actor import Actor
from portal.plans import schemas as s
from portal.plans import service
from portal.plans.allocation import StaffAllocation
from portal.plans.money import MoneySummary, weekly_pence
from portal.reviews.workflow import STATE_WORDS, State
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

STATUS_TAGS: dict[str, dict[str, str]] = {
    "met": {"text": "Met", "colour": "green"},
    "partial": {"text": "Partly done", "colour": "yellow"},
    "missing": {"text": "Not started", "colour": "grey"},
}
KIND_ITEMS = [{"value": kind, "text": label} for kind, label in s.PLAN_KIND_LABELS.items()]


def criterion_href(plan_id: uuid.UUID, key: str) -> str:
    """Outcomes, money and actions are lists of their own; the rest are one form each."""
    pages = {"outcomes": "outcomes", "money": "money", "action_plan": "actions"}
    return plan_url(plan_id, pages[key]) if key in pages else plan_url(plan_id, "sections", key)


def money_view(
    money: MoneySummary | None, organisation: StaffAllocation | None = None
) -> dict[str, Any] | None:
    """The plan's money in words: the recurring cost a week and a year, one-off costs this year
    beside it, and over or under the allocation: the organisation's figure once its staff have
    set it, otherwise the one noted in the plan (what the person was told)."""
    if money is None:
        return None
    view: dict[str, Any] = {
        "has_allocation": money.allocation_pence is not None,
        "allocation_weekly": money.allocation_weekly_pence,
        "allocation_annual": money.allocation_annual_pence,
        "total_weekly": money.total_weekly_pence,
        "total_annual": money.total_annual_pence,
        "one_off": money.one_off_this_year_pence,
        "one_off_count": money.one_off_count,
        "this_year": money.this_year_pence,
        "item_count": money.item_count,
        "organisation": None,
        "against": "the allocation noted in the plan",
        "difference": None,
    }
    difference = money.difference_annual_pence
    if organisation is not None:
        view["organisation"] = {
            "name": organisation.organisation_name,
            "annual": organisation.annual_pence,
            "weekly": weekly_pence(organisation.annual_pence, "annual"),
            "set_by": organisation.set_by,
            "set_at": organisation.set_at,
        }
        view["against"] = f"the allocation {organisation.organisation_name} set"
        difference = organisation.annual_pence - money.this_year_pence
    if difference is not None:
        amount = abs(difference)
        if difference > 0:
            words = "Under by"
        elif difference < 0:
            words = "Over by"
        else:
            words = ""
        view["difference"] = {
            "words": words,
            "annual": amount,
            "weekly": weekly_pence(amount, "annual"),
            "over": difference < 0,
        }
    return view


def _plans_page(
    actor: Actor,
    plans: list[s.PlanSummary],
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
        kind_labels=s.PLAN_KIND_LABELS,
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
    if kind not in s.PLAN_KIND_LABELS:
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
    plan = await service.create_plan(actor, s.PlanCreate(kind=s.PlanKind(kind), title=title))
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
    speakers = await consent.list_representatives(actor, plan_id) if "about_me" in visible else []
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
        kind_label=s.PLAN_KIND_LABELS.get(plan.kind, plan.kind),
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
