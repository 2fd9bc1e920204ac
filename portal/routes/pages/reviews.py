"""Sign-off pages: where a plan is, submitting it, its versions, work trays and staff decisions.

Every rule is the sign-off services' (`portal.signoff`, which ask the access decision):
these pages read forms, call the service and show what it says. A refusal about what was sent
(422), the plan having moved on (409) or a budget above the reader's spending limit (403) is
shown on the form's own page with an NHS.UK error summary; anything else is a page of its own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from portal.accounts import organisations
from portal.bounds import INT4_MAX, REVIEW, PageNumber, VersionInPath
from portal.consent.policy import Permission, Tray, decide, decide_tray
from portal.core.actor import ROLE_LABELS, Actor, Role
from portal.core.errors import Conflict, DomainError, Forbidden, Invalid
from portal.core.sections import CRITERIA_KEYS, SECTION_KEYS, SECTION_TITLES
from portal.exports.document import content_view, day, money_of
from portal.plans import access as plan_access
from portal.plans import rows as plan_rows
from portal.plans.schemas import PLAN_KIND_LABELS, OutcomeRead
from portal.plans.wording import OUTCOME_TAGS, field_label
from portal.problems import status_of
from portal.routes.pages.common import (
    PlanPage,
    plan_nav,
    plan_page,
    plan_url,
    render,
    see_other,
    shown_sections,
)
from portal.routes.pages.forms import (
    FieldProblem,
    check_length,
    date_parts,
    parse_date,
    text,
)
from portal.routes.pages.organisations import ORGANISATIONS_NAV, organisation_url
from portal.routes.pages.plans import criterion_href
from portal.signoff import (
    limits,
    overview,
    staff_decisions,
    submitting,
    version_history,
    work_trays,
)
from portal.signoff import requests as review_requests
from portal.signoff import schemas as signoff_schemas
from portal.templating import uk_date

PER_PAGE = 25
REASON_LIMIT = 4000

# --- words ----------------------------------------------------------------------------------

VERSION_TAGS: dict[str, dict[str, str]] = {
    "submitted": {"text": "Waiting for sign-off", "colour": "blue"},
    "plan_authorised": {"text": "Plan authorised", "colour": "aqua-green"},
    "agreed": {"text": "Agreed", "colour": "green"},
    "returned": {"text": "Returned with comments", "colour": "orange"},
    "withdrawn": {"text": "Replaced by a later submission", "colour": "grey"},
    "superseded": {"text": "Replaced by a later agreed version", "colour": "grey"},
    "consent_withdrawn": {"text": "Consent withdrawn", "colour": "grey"},
}
# Who made a decision, as the audit trail names them.
_ACTOR_ROLES = {"person": "the person", "representative": "someone who speaks for the person"}
# After a redirect the banner is chosen by a known key, never taken from the address.
_SIGN_OFF_BANNERS = {
    "submitted": "Plan submitted for sign-off",
    "review_requested": "You asked for a review: staff will answer your request",
}
_TRAY_BANNERS = {
    "authorised": "Plan authorised: it now waits for budget authorisation",
    "returned": "Plan returned to the person with your comments",
    "agreed": "Budget authorised: the plan is agreed",
}
# The trays whose plans are worked on the review page, and the decisions made there.
REVIEW_TRAYS = frozenset(
    {
        Tray.REVIEWS_DUE.value,
        Tray.REVIEWS_OVERDUE.value,
        Tray.REVIEW_REQUESTS.value,
        Tray.CHANGES_TO_CONFIRM.value,
        Tray.CHANGES_FOR_TEAM_MANAGER.value,
    }
)
REVIEW_PERMISSIONS = (Permission.REVIEW_START, Permission.CHANGE_CONFIRM, Permission.OUTCOME_DECIDE)
REQUEST_TAGS: dict[str, dict[str, str]] = {
    "open": {"text": "Waiting for an answer", "colour": "blue"},
    "started": {"text": "Review started", "colour": "green"},
    "declined": {"text": "Not needed now", "colour": "grey"},
    "withdrawn": {"text": "Closed: consent withdrawn", "colour": "grey"},
}
# A reason the service withheld (it is about money the reader may not see), in words.
WITHHELD_REASON = "The reason is about the money in the plan, which is not shared with you."
# Who asked for a review, in words (staff roles and the person are `role_words`').
_REQUESTER_WORDS = {"co-author": "someone who helps with the plan", "other": ""}
# The steps (as `next_steps` names them) that are made with a form on the decide page.
DECISIONS = ("authorise_plan", "authorise_budget", "return")
# The service names fields as the API does; the forms name them for people. A refusal about
# the whole decision points at the form's heading (its id is the form's name).
_SUBMIT_FIELDS = {
    "organisation_id": "organisation_id",
    "share_with_organisation": "share_with_organisation",
}
_DECISION_FIELDS: dict[str, dict[str, str]] = {
    "authorise-plan": {"note": "note"},
    "return": {"reason": "reason", "comments": "reason"},
    "authorise-budget": {"variation_reason": "variation_reason", "review_date": "review_date"},
}
_ANCHORS = {"review_date": "review_date-day"}


def role_words(role: str) -> str:
    """A staff role (or the person, or who speaks for them) as words in a sentence."""
    if role in _ACTOR_ROLES:
        return _ACTOR_ROLES[role]
    try:
        return f"the {ROLE_LABELS[Role(role)].lower()}"
    except ValueError:
        return ""


def may_work_reviews(actor: Actor, record: plan_access.PlanRecord) -> bool:
    """Whether the review page has something for this reader to decide (the access decision's)."""
    return any(decide(actor, permission, record.access) for permission in REVIEW_PERMISSIONS)


def request_views(
    requests: list[signoff_schemas.ReviewRequestRead], mine: bool
) -> list[dict[str, Any]]:
    """Review requests as people read them: who asked (and as whom), why, and the answer."""
    views = []
    for request in requests:
        role = (
            _REQUESTER_WORDS[request.role]
            if request.role in _REQUESTER_WORDS
            else role_words(request.role)
        )
        if mine and request.role == "person":
            who = "You"
        else:
            who = f"{request.requested_by} ({role})" if role else request.requested_by
        views.append(
            {
                "id": request.id,
                "who": who,
                "at": request.requested_at,
                "reason": request.reason if request.reason is not None else WITHHELD_REASON,
                "early": request.early,
                "status": request.status,
                "tag": REQUEST_TAGS.get(request.status, {"text": request.status, "colour": "grey"}),
                "answer": request.decision_reason,
                "answered_at": request.decided_at,
                "from_change": request.package_change_id is not None,
            }
        )
    return views


def outcome_views(plan_id: uuid.UUID, outcomes: list[OutcomeRead]) -> list[dict[str, Any]]:
    """Each outcome with its status and the address its agree or decline form posts to."""
    return [
        {
            "id": outcome.id,
            "title": outcome.title,
            "how": outcome.how,
            "status": outcome.status.value,
            "tag": OUTCOME_TAGS[outcome.status],
            "decided_by": outcome.decided_by,
            "decided_at": outcome.decided_at,
            "reason": outcome.status_reason,
            "action": plan_url(plan_id, "outcome-decisions", str(outcome.id)),
        }
        for outcome in outcomes
    ]


def outcome_anchors(outcomes: list[dict[str, Any]]) -> dict[str, str]:
    """An outcome form's error points at its reason box."""
    return {f"outcome-{o['id']}": f"outcome-{o['id']}-reason" for o in outcomes}


def comment_heading(comment: signoff_schemas.CommentRead) -> str:
    """ "Comments from the plan authoriser (Casey Jones), 1 December 2026"."""
    role = role_words(comment.role)
    who = f"{role} ({comment.by})" if role else comment.by
    return f"Comments from {who}, {uk_date(comment.at)}"


def comment_views(comments: list[signoff_schemas.CommentRead]) -> list[dict[str, Any]]:
    return [
        {
            "heading": comment_heading(c),
            "comment": c.comment,
            "section": c.section,
            "section_title": c.section_title,
            "version_number": c.version_number,
        }
        for c in comments
    ]


def _titles(keys: list[str]) -> list[str]:
    return [SECTION_TITLES.get(key, key) for key in keys]


def _moment(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _missing_views(plan_id: uuid.UUID, missing: list[str]) -> list[dict[str, Any]]:
    """What still stops submitting, each with the page that fixes it (found by its title)."""
    views = []
    for message in missing:
        key = next((k for k in CRITERIA_KEYS if message.startswith(f"{SECTION_TITLES[k]}:")), None)
        views.append(
            {
                "key": key,
                "text": message,
                "href": criterion_href(plan_id, key) if key else None,
            }
        )
    return views


def _version_view(version: signoff_schemas.VersionSummary, plan_id: uuid.UUID) -> dict[str, Any]:
    url = plan_url(plan_id, "versions", str(version.number))
    return {
        "number": version.number,
        "status": version.status,
        "tag": VERSION_TAGS.get(version.status, {"text": version.status, "colour": "grey"}),
        "organisation_name": version.organisation_name,
        "verification_code": version.verification_code,
        "submitted_at": version.submitted_at,
        "submitted_by": version.submitted_by,
        # A version made by a confirmed package change says who confirmed it, not "submitted".
        "confirmed_by": version.confirmed_by,
        "change_proposed_by": version.change_proposed_by,
        "plan_authorised_at": version.plan_authorised_at,
        "plan_authorised_by": version.plan_authorised_by,
        "agreed_at": version.agreed_at,
        "agreed_by": version.agreed_by,
        "returned_at": version.returned_at,
        "review_date": version.review_date,
        "budget_variation_reason": version.budget_variation_reason,
        "annual_cost_pence": version.annual_cost_pence,
        "allocation_annual_pence": version.allocation_annual_pence,
        "shared_sections": _titles(version.shared_sections),
        "url": url,
        "compare_url": f"{url}/compare",
    }


def _decision_view(decision: signoff_schemas.DecisionRead, mine: bool) -> dict[str, Any]:
    role = role_words(decision.role)
    who = f"{decision.by} ({role})" if role else decision.by
    return {
        "at": _moment(decision.at),
        "what": decision.description,
        "who": "You" if mine and decision.role == "person" else who,
        "version_number": decision.version_number,
        "reason": decision.reason,
    }


def _comment_groups(
    plan_id: uuid.UUID, comments: list[signoff_schemas.CommentRead]
) -> list[dict[str, Any]]:
    """Comments by section, in the plan's order; newest first within each."""
    groups = []
    for key in SECTION_KEYS:
        mine = [c for c in comments if c.section == key]
        if mine:
            groups.append(
                {
                    "key": key,
                    "title": SECTION_TITLES[key],
                    "href": criterion_href(plan_id, key)
                    if key in CRITERIA_KEYS
                    else plan_url(plan_id, "contacts"),
                    "comments": comment_views(mine),
                }
            )
    return groups


def person_page(
    template: str,
    actor: Actor,
    plan: PlanPage,
    *,
    status: int = 200,
    back_href: str | None = None,
    back_text: str | None = None,
    current: str | None = None,
    **context: Any,
) -> Response[Any]:
    return render(
        template,
        actor,
        status=status,
        plan=plan,
        navigation_items=plan_nav(plan.id, current, shown_sections(actor, plan.record)),
        back_href=back_href or plan_url(plan.id),
        back_text=back_text or "Plan overview",
        **context,
    )


def _may_submit_again(status: signoff_schemas.SignOffRead) -> bool:
    """Submitting makes sense when it is open and, for a plan already waiting, it changed."""
    if "submit" in status.next_steps:
        return True
    return "resubmit" in status.next_steps and status.changed_since_submitted


# --- where the plan is ----------------------------------------------------------------------


@get("/plans/{plan_id:uuid}/sign-off", name="sign-off")
async def sign_off_page(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    status = await overview.sign_off_status(actor, plan_id)
    asked = await review_requests.list_requests(actor, plan_id)
    return person_page(
        "reviews/sign_off.html",
        actor,
        plan,
        sign_off=status,
        review_requests=request_views(asked, plan.mine),
        # While a new version is being written (a review under way), asking again is no use.
        may_ask_for_review=status.agreed_version is not None and status.state == "agreed",
        may_work_reviews=may_work_reviews(actor, plan.record),
        missing=_missing_views(plan.id, status.missing),
        comment_groups=_comment_groups(plan.id, status.comments),
        versions=[_version_view(v, plan.id) for v in status.versions],
        decisions=[_decision_view(d, plan.mine) for d in status.decisions],
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
    anchors = {m["key"]: f"missing-{m['key']}" for m in missing if m["key"]}
    return person_page(
        "reviews/submit.html",
        actor,
        plan,
        status=http_status,
        sign_off=status,
        shares=_titles(status.shares_sections),
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


def problem_errors(problem: DomainError, fields: dict[str, str], whole: str) -> dict[str, str]:
    """A refusal's field errors as this form's fields, each in its own short words; one about
    the whole decision (no field on this form) as `whole`, with the service's full sentence."""
    errors: dict[str, str] = {}
    for error in problem.errors:
        field = fields.get(error.field)
        if field is None:
            errors.setdefault(whole, problem.detail)
        else:
            errors.setdefault(field, error.message)
    return errors or {whole: problem.detail}


@post("/plans/{plan_id:uuid}/submit", name="submit-send")
async def submit(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    # Access first, so nobody learns anything about a plan from how their form is judged.
    plan = await plan_page(actor, plan_id, Permission.PLAN_SUBMIT)
    form = await request.form()
    chosen = text(form, "organisation_id").strip()
    values = {
        "organisation_id": chosen,
        "share_with_organisation": text(form, "share_with_organisation") == "yes",
    }
    errors: dict[str, str] = {}
    organisation_id: uuid.UUID | None = None
    if chosen:
        try:
            organisation_id = uuid.UUID(chosen)
        except ValueError:
            errors["organisation_id"] = "Choose an organisation from the list"
    http_status = 400
    if not errors:
        try:
            await submitting.submit_plan(
                actor,
                plan_id,
                signoff_schemas.SubmitRequest(
                    organisation_id=organisation_id,
                    share_with_organisation=bool(values["share_with_organisation"]),
                ),
            )
        except DomainError as problem:
            if not isinstance(problem, (Conflict, Invalid)):
                raise
            http_status = status_of(problem)
            # "Not ready" names each criterion: the page lists what is missing under its key.
            fields = {**_SUBMIT_FIELDS, **{key: key for key in CRITERIA_KEYS}}
            errors = problem_errors(problem, fields, "submit")
        else:
            return see_other(plan_url(plan_id, "sign-off") + "?done=submitted")
    status = await overview.sign_off_status(actor, plan_id)
    return _submit_page(actor, plan, status, values=values, errors=errors, http_status=http_status)


# --- versions -------------------------------------------------------------------------------


@get("/plans/{plan_id:uuid}/versions/{number:int}", name="version")
async def version_page(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], number: VersionInPath
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    read = await version_history.read_version(actor, plan_id, number)
    return person_page(
        "reviews/version.html",
        actor,
        plan,
        version=_version_view(read.version, plan.id),
        sections=content_view(read.content),
        money=money_of(read.content),
        back_href=plan_url(plan.id, "sign-off"),
        back_text="Sign-off",
    )


CompareWith = Annotated[int | None, QueryParameter(name="with", ge=0, le=INT4_MAX)]


@get("/plans/{plan_id:uuid}/versions/{number:int}/compare", name="version-compare")
async def compare_page(
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    number: VersionInPath,
    compare_with: CompareWith = None,
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    comparison = await version_history.compare_version(actor, plan_id, number, compare_with)
    list_words = {
        "outcomes": "Outcomes",
        "support_items": "Support and what it costs",
        "actions": "Actions",
        "contacts": "Contacts",
    }
    return person_page(
        "reviews/compare.html",
        actor,
        plan,
        comparison=comparison,
        against=(
            "the plan as it is now"
            if comparison.compared_with == "current"
            else f"version {comparison.compared_with}"
        ),
        sections=[
            {
                "key": s.section,
                "title": s.title,
                "changed": s.changed,
                "fields": [field_label(s.section, name) for name in s.changed_fields],
            }
            for s in comparison.sections
        ],
        lists_changed=[list_words.get(name, name) for name in comparison.lists_changed],
        version_url=plan_url(plan.id, "versions", str(number)),
        back_href=plan_url(plan.id, "sign-off"),
        back_text="Sign-off",
    )


# --- work trays -----------------------------------------------------------------------------


def _tray_url(organisation_id: uuid.UUID, tray: str) -> str:
    return organisation_url(organisation_id, "trays", tray)


@get("/organisations/{organisation_id:uuid}/trays", name="trays")
async def trays_page(
    actor: NamedDependency[Actor], organisation_id: FromPath[uuid.UUID]
) -> Response[Any]:
    counts = await work_trays.tray_counts(actor, organisation_id)
    organisation = await organisations.read_organisation(actor, organisation_id)
    return render(
        "reviews/trays.html",
        actor,
        organisation=organisation,
        trays=[
            {
                "tray": c.tray,
                "title": c.title,
                "count": c.count,
                "href": _tray_url(organisation_id, c.tray),
            }
            for c in counts
        ],
        navigation_items=ORGANISATIONS_NAV,
        back_href="/organisations",
        back_text="Your organisations",
    )


TrayPageNumber = PageNumber


@get("/organisations/{organisation_id:uuid}/trays/{tray:str}", name="tray")
async def tray_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
    tray: FromPath[str],
    page: TrayPageNumber = 1,
) -> Response[Any]:
    found = await work_trays.tray_page(actor, organisation_id, tray, page, PER_PAGE)
    organisation = await organisations.read_organisation(actor, organisation_id)
    url = _tray_url(organisation_id, found.tray)
    decides = found.tray in (Tray.PLAN_AUTHORISATION.value, Tray.BUDGET_AUTHORISATION.value)
    # Sign-off trays lead to the decision; review trays to the review page.
    leads_to = "decide" if decides else ("review" if found.tray in REVIEW_TRAYS else "")
    return render(
        "reviews/tray.html",
        actor,
        organisation=organisation,
        tray=found,
        budget=found.tray == Tray.BUDGET_AUTHORISATION.value,
        review_dates=found.tray in (Tray.REVIEWS_DUE.value, Tray.REVIEWS_OVERDUE.value),
        items=[
            {
                "plan_id": item.plan_id,
                "person_name": item.person_name,
                "title": item.title,
                "kind": PLAN_KIND_LABELS.get(item.kind, item.kind),
                "version_number": item.version_number,
                "waiting_since": item.waiting_since,
                "annual_cost_pence": item.annual_cost_pence,
                "within_my_limit": item.within_my_limit,
                "due_on": item.due_on,
                "href": plan_url(item.plan_id, leads_to),
            }
            for item in found.items
        ],
        previous_url=f"{url}?page={found.page - 1}" if found.page > 1 else None,
        next_url=f"{url}?page={found.page + 1}" if found.page < found.pages else None,
        banner=_TRAY_BANNERS.get(request.query_params.get("done") or ""),
        navigation_items=ORGANISATIONS_NAV,
        back_href=organisation_url(organisation_id, "trays"),
        back_text="Work trays",
    )


# --- staff decisions ------------------------------------------------------------------------


def _tray_after(actor: Actor, organisation_id: uuid.UUID | None, state: str) -> str:
    """The tray the plan was found in (or another the actor works), to go back to."""
    if organisation_id is None:
        return "/organisations"
    first = Tray.BUDGET_AUTHORISATION if state == "plan_authorised" else Tray.PLAN_AUTHORISATION
    for tray in (first, Tray.PLAN_AUTHORISATION, Tray.BUDGET_AUTHORISATION):
        if decide_tray(actor, tray, organisation_id):
            return _tray_url(organisation_id, tray.value)
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


# While a plan waits for sign-off its staff set the allocation it is checked against there.
_ALLOCATION_STATES = frozenset({"submitted", "plan_authorised"})


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
    outcomes: list[dict[str, Any]] = []
    undecided: list[dict[str, Any]] = []
    if "outcomes" in visible and (
        "authorise_plan" in decisions
        or decide(actor, Permission.OUTCOME_DECIDE, plan.record.access)
    ):
        rows = outcome_views(plan.id, await plan_rows.list_rows(actor, plan_id, "outcome"))
        undecided = [o for o in rows if o["status"] == "proposed"]
        if decide(actor, Permission.OUTCOME_DECIDE, plan.record.access):
            outcomes = rows
    return render(
        "reviews/decide.html",
        actor,
        status=http_status,
        plan=plan,
        sign_off=status,
        decisions=decisions,
        version=_version_view(submitted, plan.id) if submitted else None,
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
        comment_groups=_comment_groups(plan.id, status.comments),
        navigation_items=ORGANISATIONS_NAV,
        back_href=_tray_after(actor, organisation_id, status.state),
        back_text="Back to the work tray",
    )


_DECIDE_BANNERS = {
    "outcome_agreed": "Outcome agreed",
    "outcome_declined": "Outcome declined",
    "allocation_set": "Indicative allocation set",
}


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
    return isinstance(problem, (Conflict, Invalid))


async def _decided(
    actor: Actor,
    plan_id: uuid.UUID,
    record: plan_access.PlanRecord,
    form_name: str,
    values: dict[str, Any],
    errors: dict[str, str],
    decision: Any,
    done: str,
) -> Response[Any]:
    """Make the decision unless the form is wrong; back to the tray, or the page with why not."""
    http_status = 400
    if not errors:
        try:
            await decision()
        except DomainError as problem:
            if not _is_decision_refusal(problem):
                raise
            http_status = status_of(problem)
            errors = problem_errors(problem, _DECISION_FIELDS[form_name], form_name)
        else:
            organisation_id = record.access.signing_off_organisation_id
            return see_other(_tray_after(actor, organisation_id, record.state) + f"?done={done}")
    return await decide_page(actor, plan_id, values=values, errors=errors, http_status=http_status)


def _reason(form: Any, name: str, label: str, errors: dict[str, str]) -> str:
    value = text(form, name).strip()
    try:
        check_length(label, value, REASON_LIMIT)
    except FieldProblem as exc:
        errors[name] = str(exc)
    return value


async def _decision_form(
    request: Request[Any, Any, Any], actor: Actor, plan_id: uuid.UUID
) -> tuple[plan_access.PlanRecord, Any, dict[str, Any]]:
    # Access first (404 for a plan the actor may not know), before the form is judged.
    record = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    form = await request.form()
    criteria = [k for k in CRITERIA_KEYS if k in shown_sections(actor, record)]
    values = _empty_decision_values(criteria)
    return record, form, values


@post("/plans/{plan_id:uuid}/decide/authorise-plan", name="decide-authorise-plan")
async def authorise_plan(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    record, form, values = await _decision_form(request, actor, plan_id)
    errors: dict[str, str] = {}
    values["note"] = text(form, "note")
    note = _reason(form, "note", "The note", errors)
    data = signoff_schemas.AuthorisePlanRequest(
        version_hash=text(form, "version_hash").strip()[:64], note=note
    )

    async def decision() -> Any:
        return await staff_decisions.authorise_plan(actor, plan_id, data)

    return await _decided(
        actor, plan_id, record, "authorise-plan", values, errors, decision, "authorised"
    )


@post("/plans/{plan_id:uuid}/decide/return", name="decide-return")
async def return_plan(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    record, form, values = await _decision_form(request, actor, plan_id)
    errors: dict[str, str] = {}
    values["reason"] = text(form, "reason")
    reason = _reason(form, "reason", "Why you are returning it", errors)
    comments = []
    for key in values["comments"]:
        values["comments"][key] = text(form, f"comment-{key}")
        comment = values["comments"][key].strip()
        try:
            check_length(f"The comment on {SECTION_TITLES[key].lower()}", comment, REASON_LIMIT)
        except FieldProblem as exc:
            errors[f"comment-{key}"] = str(exc)
        if comment:
            comments.append(signoff_schemas.SectionComment(section=key, comment=comment))
    data = signoff_schemas.ReturnRequest(
        version_hash=text(form, "version_hash").strip()[:64], reason=reason, comments=comments
    )

    async def decision() -> Any:
        return await staff_decisions.return_plan(actor, plan_id, data)

    return await _decided(actor, plan_id, record, "return", values, errors, decision, "returned")


@post("/plans/{plan_id:uuid}/decide/authorise-budget", name="decide-authorise-budget")
async def authorise_budget(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    record, form, values = await _decision_form(request, actor, plan_id)
    errors: dict[str, str] = {}
    values["variation_reason"] = text(form, "variation_reason")
    variation = _reason(form, "variation_reason", "The reason for the variation", errors)
    values["review_date"] = date_parts(form, "review_date")
    review_date: dt.date | None = None
    try:
        review_date = parse_date(values["review_date"], "The review date", REVIEW)
    except FieldProblem as exc:
        errors["review_date"] = str(exc)
    data = signoff_schemas.AuthoriseBudgetRequest(
        version_hash=text(form, "version_hash").strip()[:64],
        variation_reason=variation,
        review_date=review_date,
    )

    async def decision() -> Any:
        return await staff_decisions.authorise_budget(actor, plan_id, data)

    return await _decided(
        actor, plan_id, record, "authorise-budget", values, errors, decision, "agreed"
    )


REVIEW_ROUTES = [
    sign_off_page,
    submit_form,
    submit,
    version_page,
    compare_page,
    trays_page,
    tray_page,
    decide_form,
    authorise_plan,
    return_plan,
    authorise_budget,
]
