"""What the sign-off pages show, as typed rows: versions, decisions, comments, review requests,
package changes and outcomes in people's words, with the links their forms post to.

The templates read these by attribute; each builder turns the service's answer into one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Response

from portal.consent.policy import Permission, decide
from portal.core.actor import ROLE_LABELS, Actor, Role
from portal.core.sections import CRITERIA_KEYS, SECTION_KEYS, SECTION_TITLES
from portal.plans import access as plan_access
from portal.plans.schemas import OutcomeRead
from portal.plans.wording import OUTCOME_TAGS, hours_words
from portal.routes.pages.common import PlanPage, plan_nav, plan_url, render, shown_sections
from portal.routes.pages.plans import criterion_href
from portal.signoff import schemas as signoff_schemas
from portal.templating import uk_date

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
REQUEST_TAGS: dict[str, dict[str, str]] = {
    "open": {"text": "Waiting for an answer", "colour": "blue"},
    "started": {"text": "Review started", "colour": "green"},
    "declined": {"text": "Not needed now", "colour": "grey"},
    "withdrawn": {"text": "Closed: consent withdrawn", "colour": "grey"},
}
CHANGE_TAGS: dict[str, dict[str, str]] = {
    "open": {"text": "Waiting for a decision", "colour": "blue"},
    "confirmed": {"text": "Confirmed", "colour": "green"},
    "declined": {"text": "Declined", "colour": "red"},
    "review": {"text": "Turned into a review", "colour": "orange"},
    "withdrawn": {"text": "Closed: consent withdrawn", "colour": "grey"},
}
# Who made a decision, as the audit trail names them.
_ACTOR_ROLES = {"person": "the person", "representative": "someone who speaks for the person"}
# A reason the service withheld (it is about money the reader may not see), in words.
WITHHELD_REASON = "The reason is about the money in the plan, which is not shared with you."
# Who asked for a review, in words (staff roles and the person are `role_words`').
_REQUESTER_WORDS = {"co-author": "someone who helps with the plan", "other": ""}
# The decisions made on the staff review page.
REVIEW_PERMISSIONS = (Permission.REVIEW_START, Permission.CHANGE_CONFIRM, Permission.OUTCOME_DECIDE)


def tag_for(tags: dict[str, dict[str, str]], status: str) -> dict[str, str]:
    """A status as an NHS.UK tag; one the words do not know yet is grey, in its own name."""
    return tags.get(status, {"text": status, "colour": "grey"})


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


def titles(keys: list[str]) -> list[str]:
    return [SECTION_TITLES.get(key, key) for key in keys]


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
    """A page about one plan, with the plan's own navigation and a way back to it."""
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


# --- versions and decisions -----------------------------------------------------------------


class VersionView(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    status: str
    tag: dict[str, str]
    organisation_name: str
    verification_code: str
    submitted_at: dt.datetime
    submitted_by: str
    # A version made by a confirmed package change says who confirmed it, not "submitted".
    confirmed_by: str | None
    change_proposed_by: str | None
    plan_authorised_at: dt.datetime | None
    plan_authorised_by: str | None
    agreed_at: dt.datetime | None
    agreed_by: str | None
    returned_at: dt.datetime | None
    review_date: dt.date | None
    budget_variation_reason: str | None
    annual_cost_pence: int | None
    allocation_annual_pence: int | None
    shared_sections: list[str]
    url: str
    compare_url: str


def version_view(version: signoff_schemas.VersionSummary, plan_id: uuid.UUID) -> VersionView:
    url = plan_url(plan_id, "versions", str(version.number))
    return VersionView(
        number=version.number,
        status=version.status,
        tag=tag_for(VERSION_TAGS, version.status),
        organisation_name=version.organisation_name,
        verification_code=version.verification_code,
        submitted_at=version.submitted_at,
        submitted_by=version.submitted_by,
        confirmed_by=version.confirmed_by,
        change_proposed_by=version.change_proposed_by,
        plan_authorised_at=version.plan_authorised_at,
        plan_authorised_by=version.plan_authorised_by,
        agreed_at=version.agreed_at,
        agreed_by=version.agreed_by,
        returned_at=version.returned_at,
        review_date=version.review_date,
        budget_variation_reason=version.budget_variation_reason,
        annual_cost_pence=version.annual_cost_pence,
        allocation_annual_pence=version.allocation_annual_pence,
        shared_sections=titles(version.shared_sections),
        url=url,
        compare_url=f"{url}/compare",
    )


class DecisionView(msgspec.Struct, frozen=True, kw_only=True):
    at: dt.datetime | None
    what: str
    who: str
    version_number: int | None
    reason: str | None


def _moment(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def decision_view(decision: signoff_schemas.DecisionRead, mine: bool) -> DecisionView:
    role = role_words(decision.role)
    who = f"{decision.by} ({role})" if role else decision.by
    return DecisionView(
        at=_moment(decision.at),
        what=decision.description,
        who="You" if mine and decision.role == "person" else who,
        version_number=decision.version_number,
        reason=decision.reason,
    )


# --- staff comments -------------------------------------------------------------------------


class CommentView(msgspec.Struct, frozen=True, kw_only=True):
    heading: str
    comment: str
    section: str
    section_title: str
    version_number: int | None


class CommentGroup(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    title: str
    href: str
    comments: list[CommentView]


def comment_heading(comment: signoff_schemas.CommentRead) -> str:
    """ "Comments from the plan authoriser (Casey Jones), 1 December 2026"."""
    role = role_words(comment.role)
    who = f"{role} ({comment.by})" if role else comment.by
    return f"Comments from {who}, {uk_date(comment.at)}"


def comment_views(comments: list[signoff_schemas.CommentRead]) -> list[CommentView]:
    return [
        CommentView(
            heading=comment_heading(c),
            comment=c.comment,
            section=c.section,
            section_title=c.section_title,
            version_number=c.version_number,
        )
        for c in comments
    ]


def comment_groups(
    plan_id: uuid.UUID, comments: list[signoff_schemas.CommentRead]
) -> list[CommentGroup]:
    """Comments by section, in the plan's order; newest first within each."""
    groups = []
    for key in SECTION_KEYS:
        mine = [c for c in comments if c.section == key]
        if mine:
            groups.append(
                CommentGroup(
                    key=key,
                    title=SECTION_TITLES[key],
                    href=criterion_href(plan_id, key)
                    if key in CRITERIA_KEYS
                    else plan_url(plan_id, "contacts"),
                    comments=comment_views(mine),
                )
            )
    return groups


# --- review requests ------------------------------------------------------------------------


class RequestView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    who: str
    at: dt.datetime
    reason: str
    early: bool
    status: str
    tag: dict[str, str]
    answer: str
    answered_at: dt.datetime | None
    from_change: bool


def request_views(
    requests: list[signoff_schemas.ReviewRequestRead], mine: bool
) -> list[RequestView]:
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
            RequestView(
                id=request.id,
                who=who,
                at=request.requested_at,
                reason=request.reason if request.reason is not None else WITHHELD_REASON,
                early=request.early,
                status=request.status,
                tag=tag_for(REQUEST_TAGS, request.status),
                answer=request.decision_reason,
                answered_at=request.decided_at,
                from_change=request.package_change_id is not None,
            )
        )
    return views


# --- outcomes -------------------------------------------------------------------------------


class OutcomeView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    title: str
    how: str
    status: str
    tag: dict[str, str]
    decided_by: str
    decided_at: dt.datetime | None
    reason: str
    action: str


def outcome_views(plan_id: uuid.UUID, outcomes: list[OutcomeRead]) -> list[OutcomeView]:
    """Each outcome with its status and the address its agree or decline form posts to."""
    return [
        OutcomeView(
            id=outcome.id,
            title=outcome.title,
            how=outcome.how,
            status=outcome.status.value,
            tag=OUTCOME_TAGS[outcome.status],
            decided_by=outcome.decided_by,
            decided_at=outcome.decided_at,
            reason=outcome.status_reason,
            action=plan_url(plan_id, "outcome-decisions", str(outcome.id)),
        )
        for outcome in outcomes
    ]


def outcome_anchors(outcomes: list[OutcomeView]) -> dict[str, str]:
    """An outcome form's error points at its reason box."""
    return {f"outcome-{o.id}": f"outcome-{o.id}-reason" for o in outcomes}


# --- package changes ------------------------------------------------------------------------


class PackageFigures(msgspec.Struct, frozen=True, kw_only=True):
    """The package as a whole, which the tolerance rule was applied to."""

    cost_before: int | None
    cost_after: int
    hours_ordered: str
    hours_after: str


class ChangeView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    line: str
    proposed_by: str
    proposed_at: dt.datetime
    hours_before: str
    hours_after: str
    hours_ordered: str
    cost_before: int
    cost_after: int
    package: PackageFigures | None
    version_number: int | None
    budget_authorisation: bool
    reason: str
    route: str
    route_reasons: list[str]
    status: str
    tag: dict[str, str]
    decided_at: dt.datetime | None
    decision_reason: str
    url: str
    decision_action: str
    review_action: str


def support_lines(items: list[Any]) -> dict[str, str]:
    """Each support line's description by its id, to name the line a change is about."""
    return {str(item.id): item.description for item in items}


def change_view(
    plan_id: uuid.UUID, change: signoff_schemas.PackageChangeRead, lines: dict[str, str]
) -> ChangeView:
    """A package change as people read it: the line, hours and cost before and after, who
    decides and why, and where its forms post."""
    line = lines.get(str(change.support_item_id)) or (
        lines.get(str(change.new_support_item_id)) if change.new_support_item_id else None
    )
    url = plan_url(plan_id, "package-changes", str(change.id))
    return ChangeView(
        id=change.id,
        line=line or "A support line that has changed since",
        proposed_by=change.proposed_by
        + (f" of {change.proposer_organisation_name}" if change.proposer_organisation_name else ""),
        proposed_at=change.proposed_at,
        hours_before=f"{hours_words(change.minutes_before)} a week",
        hours_after=f"{hours_words(change.minutes_after)} a week",
        hours_ordered=f"{hours_words(change.ordered_minutes)} a week",
        cost_before=change.weekly_cost_before_pence,
        cost_after=change.weekly_cost_after_pence,
        # Older changes were not checked against the whole package: none to show.
        package=(
            PackageFigures(
                cost_before=change.package_weekly_before_pence,
                cost_after=change.package_weekly_after_pence,
                hours_ordered=f"{hours_words(change.package_ordered_minutes or 0)} a week",
                hours_after=f"{hours_words(change.package_minutes_after or 0)} a week",
            )
            if change.package_weekly_after_pence is not None
            else None
        ),
        version_number=change.version_number,
        budget_authorisation=change.budget_authorisation,
        reason=change.reason,
        route=change.route,
        route_reasons=change.route_reasons,
        status=change.status,
        tag=tag_for(CHANGE_TAGS, change.status),
        decided_at=change.decided_at,
        decision_reason=change.decision_reason,
        url=url,
        decision_action=f"{url}/decision",
        review_action=f"{url}/review",
    )
