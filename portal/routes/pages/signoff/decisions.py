"""Staff decisions on a submitted plan, on its decide page: authorise the plan, authorise the
budget, or return it with comments.

A refusal about what was sent (422), the plan having moved on (409) or a budget above the
reader's spending limit (403) is shown on the decide page with an NHS.UK error summary;
anything else is a page of its own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.bounds import REVIEW
from portal.consent.policy import Permission, Tray, decide, decide_tray
from portal.core.actor import Actor
from portal.core.errors import Conflict, DomainError, Forbidden, Invalid
from portal.core.sections import CRITERIA_KEYS, SECTION_TITLES
from portal.exports.document import content_view, day, money_of
from portal.plans import access as plan_access
from portal.plans import rows as plan_rows
from portal.routes.pages.common import plan_page, render, see_other, shown_sections
from portal.routes.pages.forms import FieldProblem, check_length, date_parts, parse_date, text
from portal.routes.pages.organisations import ORGANISATIONS_NAV, organisation_url
from portal.routes.pages.signoff.form import (
    REASON_LIMIT,
    problem_errors,
    read_reason,
    send_form,
)
from portal.routes.pages.signoff.trays import tray_url
from portal.routes.pages.signoff.views import (
    OutcomeView,
    comment_groups,
    outcome_anchors,
    outcome_views,
    version_view,
)
from portal.signoff import limits, overview, staff_decisions, version_history
from portal.signoff import schemas as signoff_schemas

# The steps (as `next_steps` names them) that are made with a form on the decide page.
DECISIONS = ("authorise_plan", "authorise_budget", "return")
# The service names fields as the API does; the forms name them for people. A refusal about
# the whole decision points at the form's heading (its id is the form's name).
_DECISION_FIELDS: dict[str, dict[str, str]] = {
    "authorise-plan": {"note": "note"},
    "return": {"reason": "reason", "comments": "reason"},
    "authorise-budget": {"variation_reason": "variation_reason", "review_date": "review_date"},
}
_ANCHORS = {"review_date": "review_date-day"}
# The reason boxes of the decision forms, as their errors name them.
_REASON_LABELS = {
    "note": "The note",
    "reason": "Why you are returning it",
    "variation_reason": "The reason for the variation",
}
_DECIDE_BANNERS = {
    "outcome_agreed": "Outcome agreed",
    "outcome_declined": "Outcome declined",
    "allocation_set": "Indicative allocation set",
}
# While a plan waits for sign-off its staff set the allocation it is checked against there.
_ALLOCATION_STATES = frozenset({"submitted", "plan_authorised"})


def _tray_after(actor: Actor, organisation_id: uuid.UUID | None, state: str) -> str:
    """The tray the plan was found in (or another the actor works), to go back to."""
    if organisation_id is None:
        return "/organisations"
    first = Tray.BUDGET_AUTHORISATION if state == "plan_authorised" else Tray.PLAN_AUTHORISATION
    for tray in (first, Tray.PLAN_AUTHORISATION, Tray.BUDGET_AUTHORISATION):
        if decide_tray(actor, tray, organisation_id):
            return tray_url(organisation_id, tray.value)
    return organisation_url(organisation_id, "trays")


def _empty_decision_values(criteria: list[str]) -> dict[str, Any]:
    return {
        "note": "",
        "reason": "",
        "comments": dict.fromkeys(criteria, ""),
        "variation_reason": "",
        "review_date": {"day": "", "month": "", "year": ""},
        "allocation_amount": "",
        "allocation_reason": "",
    }


def may_set_allocation(actor: Actor, record: plan_access.PlanRecord) -> bool:
    """Whether the decide page offers this reader the allocation form (the access decision's)."""
    return record.state in _ALLOCATION_STATES and decide(
        actor, Permission.ALLOCATION_SET, record.access
    )


async def decide_page(
    actor: Actor,
    plan_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    outcome_reasons: dict[str, str] | None = None,
    http_status: int = 200,
    banner: str | None = None,
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    status = await overview.sign_off_status(actor, plan_id)
    decisions = [step for step in status.next_steps if step in DECISIONS]
    sets_allocation = may_set_allocation(actor, plan.record)
    if not decisions and not sets_allocation:
        raise Forbidden(
            "No decision for you to make",
            "There is no sign-off decision for you to make on this plan now. Only a plan "
            "authoriser or budget authoriser of the organisation it was submitted to decides, "
            "and only while it is waiting for them.",
        )
    submitted = next((v for v in status.versions if v.number == status.submitted_version), None)
    content: dict[str, Any] = {}
    if submitted is not None:
        content = (await version_history.read_version(actor, plan_id, submitted.number)).content
    visible = shown_sections(actor, plan.record)
    criteria = [key for key in CRITERIA_KEYS if key in visible]
    # A form's own values over the empty ones, so each form keeps what was typed in it.
    values = {**_empty_decision_values(criteria), **(values or {})}
    cost = submitted.annual_cost_pence if submitted else status.annual_cost_pence
    # One-off costs are this year's, beside the yearly cost; the allocation sign-off checks
    # is the organisation's figure (the one noted in the plan is what the person was told).
    # Cost and allocation are None for a reader who may not see the money: nothing to compare.
    money = content.get("money") or {}
    one_off = int(money.get("one_off_this_year_pence") or 0)
    this_year = cost + one_off if cost is not None else None
    allocation = status.allocation_annual_pence
    compared = this_year is not None and allocation is not None
    organisation_id = status.organisation.id if status.organisation else None
    review = (content.get("sections") or {}).get("review") or {}
    planned_review = day(review.get("review_date"))
    outcomes: list[OutcomeView] = []
    undecided: list[OutcomeView] = []
    if "outcomes" in visible and (
        "authorise_plan" in decisions
        or decide(actor, Permission.OUTCOME_DECIDE, plan.record.access)
    ):
        rows = outcome_views(plan.id, await plan_rows.list_rows(actor, plan_id, "outcome"))
        undecided = [o for o in rows if o.status == "proposed"]
        if decide(actor, Permission.OUTCOME_DECIDE, plan.record.access):
            outcomes = rows
    return render(
        "signoff/decide.html",
        actor,
        status=http_status,
        plan=plan,
        sign_off=status,
        decisions=decisions,
        version=version_view(submitted, plan.id) if submitted else None,
        sections=content_view(content) if content else [],
        money=money_of(content) if content else None,
        annual_cost_pence=cost,
        one_off_pence=one_off,
        this_year_pence=this_year,
        allocation_annual_pence=allocation,
        organisation_allocation=status.organisation_allocation,
        noted_allocation_annual_pence=money.get("allocation_annual_pence"),
        sets_allocation=sets_allocation,
        undecided_outcomes=undecided,
        variation_needed=compared and allocation != this_year,
        difference_pence=(
            abs(this_year - allocation)
            if this_year is not None and allocation is not None
            else None
        ),
        over=this_year is not None and allocation is not None and this_year > allocation,
        spending_limit_pence=limits.spending_limit(actor, organisation_id),
        planned_review=planned_review,
        comment_sections=[{"key": k, "title": SECTION_TITLES[k]} for k in criteria],
        values=values,
        errors=errors or {},
        anchors={**_ANCHORS, **outcome_anchors(outcomes)},
        outcomes=outcomes,
        outcome_reasons=outcome_reasons or {},
        banner=banner,
        comment_groups=comment_groups(plan.id, status.comments),
        navigation_items=ORGANISATIONS_NAV,
        back_href=_tray_after(actor, organisation_id, status.state),
        back_text="Back to the work tray",
    )


@get("/plans/{plan_id:uuid}/decide", name="decide")
async def decide_form(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    banner = _DECIDE_BANNERS.get(request.query_params.get("done") or "")
    return await decide_page(actor, plan_id, banner=banner)


def _is_decision_refusal(problem: DomainError) -> bool:
    """What the decider can act on from the form: a reason, a date, a plan that moved on, or a
    budget above their limit. Not being allowed to decide at all is a page of its own."""
    if isinstance(problem, Forbidden):
        return "spending_limit_pence" in problem.extra
    return True


@dataclass(frozen=True)
class _DecisionForm:
    """A decision form as sent: the plan it is about, what was typed and what is wrong."""

    actor: Actor
    plan_id: uuid.UUID
    record: plan_access.PlanRecord
    form: Any
    values: dict[str, Any]
    errors: dict[str, str]

    @property
    def version_hash(self) -> str:
        """The version the decider read, which the decision is about."""
        return text(self.form, "version_hash").strip()[:64]

    def typed(self, name: str) -> str:
        """A box as typed, kept to show again; `read_reason` reads it for the service."""
        self.values[name] = text(self.form, name)
        return read_reason(self.form, name, _REASON_LABELS[name], self.errors)

    async def decide(
        self, form_name: str, decision: Callable[[], Awaitable[object]], done: str
    ) -> Response[Any]:
        """Make the decision unless the form is wrong; back to the tray, or the page with why
        not."""
        organisation_id = self.record.access.signing_off_organisation_id
        after = _tray_after(self.actor, organisation_id, self.record.state) + f"?done={done}"

        async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
            return await decide_page(
                self.actor, self.plan_id, values=self.values, errors=errors, http_status=http_status
            )

        return await send_form(
            self.errors,
            decision,
            done=lambda _: see_other(after),
            again=again,
            refused=lambda problem: problem_errors(problem, _DECISION_FIELDS[form_name], form_name),
            refusals=(Forbidden, Conflict, Invalid),
            acts_on=_is_decision_refusal,
        )


async def _decision_form(
    request: Request[Any, Any, Any], actor: Actor, plan_id: uuid.UUID
) -> _DecisionForm:
    # Access first (404 for a plan the actor may not know), before the form is judged.
    record = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    form = await request.form()
    criteria = [k for k in CRITERIA_KEYS if k in shown_sections(actor, record)]
    return _DecisionForm(actor, plan_id, record, form, _empty_decision_values(criteria), {})


@post("/plans/{plan_id:uuid}/decide/authorise-plan", name="decide-authorise-plan")
async def authorise_plan(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    sent = await _decision_form(request, actor, plan_id)
    data = signoff_schemas.AuthorisePlanRequest(
        version_hash=sent.version_hash, note=sent.typed("note")
    )
    return await sent.decide(
        "authorise-plan", lambda: staff_decisions.authorise_plan(actor, plan_id, data), "authorised"
    )


@post("/plans/{plan_id:uuid}/decide/return", name="decide-return")
async def return_plan(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    sent = await _decision_form(request, actor, plan_id)
    reason = sent.typed("reason")
    comments = []
    for key in sent.values["comments"]:
        sent.values["comments"][key] = text(sent.form, f"comment-{key}")
        comment = sent.values["comments"][key].strip()
        try:
            check_length(f"The comment on {SECTION_TITLES[key].lower()}", comment, REASON_LIMIT)
        except FieldProblem as exc:
            sent.errors[f"comment-{key}"] = str(exc)
        if comment:
            comments.append(signoff_schemas.SectionComment(section=key, comment=comment))
    data = signoff_schemas.ReturnRequest(
        version_hash=sent.version_hash, reason=reason, comments=comments
    )
    return await sent.decide(
        "return", lambda: staff_decisions.return_plan(actor, plan_id, data), "returned"
    )


@post("/plans/{plan_id:uuid}/decide/authorise-budget", name="decide-authorise-budget")
async def authorise_budget(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    sent = await _decision_form(request, actor, plan_id)
    variation = sent.typed("variation_reason")
    sent.values["review_date"] = date_parts(sent.form, "review_date")
    review_date: dt.date | None = None
    try:
        review_date = parse_date(sent.values["review_date"], "The review date", REVIEW)
    except FieldProblem as exc:
        sent.errors["review_date"] = str(exc)
    data = signoff_schemas.AuthoriseBudgetRequest(
        version_hash=sent.version_hash, variation_reason=variation, review_date=review_date
    )
    return await sent.decide(
        "authorise-budget", lambda: staff_decisions.authorise_budget(actor, plan_id, data), "agreed"
    )


DECISION_ROUTES = [decide_form, authorise_plan, return_plan, authorise_budget]
