"""Staff decisions on a submitted version: authorising the plan, authorising the budget within
one's spending limit (the version becomes the agreed plan), or returning it with comments."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from portal.audit.trail import AuditDraft, append
from portal.consent.policy import (
    STAFF_DECISIONS,
    Permission,
    decide,
)
from portal.core.actor import Actor
from portal.core.clock import now as utc_now
from portal.core.clock import today as england_today
from portal.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
)
from portal.core.sections import SECTION_KEYS
from portal.core.values import as_date
from portal.db import write_transaction
from portal.notifications.service import tell_about_plan
from portal.plans.allocation import staff_allocation
from portal.plans.tables import Plan
from portal.plans.workflow import (
    RULES,
    State,
    Transition,
)
from portal.signoff import schemas as signoff_schemas
from portal.signoff.limits import spending_limit
from portal.signoff.repository import (
    content_rows,
    decision_rows,
    version_rows,
)
from portal.signoff.repository.plan_rows import SignOffPlan
from portal.signoff.repository.version_rows import VersionRow
from portal.signoff.transitions import (
    audited,
    check_unchanged,
    decided_version,
    decision_outcome,
    move_state,
    role_for,
)

DEFAULT_REVIEW_AFTER = dt.timedelta(days=365)


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


async def authorise_plan(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.AuthorisePlanRequest
) -> signoff_schemas.DecisionOutcome:
    async def act() -> int:
        _, row, target, version = await decided_version(
            actor, plan_id, Transition.AUTHORISE_PLAN, data.version_hash
        )
        await check_unchanged(plan_id, version)
        await _check_outcomes_decided(plan_id)
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            await move_state(
                plan_id,
                Transition.AUTHORISE_PLAN,
                {"state": row.state, "submitted_version": version.number},
                {"state": target.value, "state_changed_at": now},
            )
            await version_rows.record_plan_authorised(version.id, target.value, actor.user_id, now)
            await _append_decision(
                actor, row, version, Transition.AUTHORISE_PLAN, target, data.note, now
            )
            await tell_about_plan(plan_id, Transition.AUTHORISE_PLAN.value, actor.user_id)
        return version.number

    number = await audited(actor, plan_id, Transition.AUTHORISE_PLAN.value, act)
    return await decision_outcome(plan_id, Transition.AUTHORISE_PLAN, number)


def _quoted(titles: list[str]) -> str:
    return ", ".join(f"“{title}”" for title in titles)


async def _check_outcomes_decided(plan_id: uuid.UUID) -> None:
    """A plan is agreed with its outcomes decided: each proposed one agreed or declined first."""
    rows = await content_rows.proposed_outcomes(plan_id)
    if rows:
        titles = [row.title for row in rows]
        raise Conflict(
            "Outcomes still to decide",
            "Agree or decline each outcome the person proposed before you authorise the plan. "
            f"Still to decide: {_quoted(titles)}.",
            errors=[FieldError("outcomes", f"Agree or decline: {_quoted(titles)}")],
            undecided_outcomes=[{"id": str(row.id), "title": row.title} for row in rows],
        )


async def _append_decision(
    actor: Actor,
    row: SignOffPlan,
    version: VersionRow,
    transition: Transition,
    target: State,
    reason: str,
    now: dt.datetime,
    details: dict[str, Any] | None = None,
) -> None:
    org = row.signing_off_organisation
    await append(
        AuditDraft(
            action=transition.value,
            actor_user=actor.user_id,
            actor_name=actor.display_name,
            role=role_for(actor, org, STAFF_DECISIONS[RULES[transition].permission]),
            organisation=org,
            plan=row.id,
            version_number=version.number,
            from_state=row.state,
            to_state=target.value,
            reason=reason,
            version_hash=version.content_hash,
            details=details or {},
        ),
        now,
    )


def _review_date(asked: dt.date | None, snapshot: dict[str, Any], today: dt.date) -> dt.date:
    if asked is not None:
        if asked <= today:
            raise Invalid(
                "Review date in the past",
                "Choose a review date after today.",
                errors=[FieldError("review_date", "Choose a date after today")],
            )
        return asked
    planned = as_date(snapshot["sections"].get("review", {}).get("review_date"))
    if planned is not None and planned > today:
        return planned
    return today + DEFAULT_REVIEW_AFTER


async def authorise_budget(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.AuthoriseBudgetRequest
) -> signoff_schemas.DecisionOutcome:
    """Approve the budget within one's spending limit; the version becomes the agreed plan."""

    async def act() -> int:
        _, row, target, version = await decided_version(
            actor, plan_id, Transition.AUTHORISE_BUDGET, data.version_hash
        )
        snapshot = await check_unchanged(plan_id, version)
        annual = version.annual_cost_pence
        # One-off costs are not a yearly figure; they are checked as this year's, beside it.
        one_off = int(snapshot["money"].get("one_off_this_year_pence") or 0)
        this_year = annual + one_off
        cost_words = (
            f"{_pounds(this_year)} this year ({_pounds(annual)} a year of recurring support "
            f"and {_pounds(one_off)} one-off this year)"
            if one_off
            else f"{_pounds(annual)} a year"
        )
        # Not a budget authoriser of the organisation: nothing is within their limit.
        limit = spending_limit(actor, row.signing_off_organisation) or 0
        if this_year > limit:
            raise Forbidden(
                "Above your spending limit",
                f"This plan costs {cost_words}, above your spending limit of "
                f"{_pounds(limit)}. A budget authoriser with a higher limit needs to approve it.",
                annual_cost_pence=annual,
                one_off_this_year_pence=one_off,
                this_year_pence=this_year,
                spending_limit_pence=limit,
            )
        allocation = await staff_allocation(plan_id)
        if allocation is None:
            raise Conflict(
                "No allocation set yet",
                "The organisation has not set the indicative allocation for this plan yet, so "
                "the cost cannot be checked against it. A coordinator or budget authoriser of "
                "the organisation sets it (on this plan's decision page, under 'Set the "
                "indicative allocation'); then authorise the budget.",
                errors=[FieldError("allocation", "Set the indicative allocation first")],
            )
        variation = data.variation_reason.strip()
        if allocation != this_year and not variation:
            difference = this_year - allocation
            words = "more" if difference > 0 else "less"
            period = "this year" if one_off else "a year"
            raise Invalid(
                "Reason for the budget variation needed",
                f"The plan costs {_pounds(abs(difference))} {period} {words} than the indicative "
                f"allocation of {_pounds(allocation)} a year (it costs {cost_words}). Say why "
                "the budget differs from the allocation.",
                errors=[FieldError("variation_reason", "Say why the budget differs")],
            )
        today = england_today()
        review = _review_date(data.review_date, snapshot, today)
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            await move_state(
                plan_id,
                Transition.AUTHORISE_BUDGET,
                {"state": row.state, "submitted_version": version.number},
                {
                    "state": target.value,
                    "state_changed_at": now,
                    "agreed_version": version.number,
                    "submitted_version": None,
                    "review_date": review,
                },
            )
            await version_rows.supersede_agreed_versions(plan_id)
            await content_rows.order_agreed_hours(plan_id)
            await version_rows.record_agreed(
                version.id,
                version_rows.AgreedBudget(
                    status=target.value,
                    by=actor.user_id,
                    at=now,
                    variation_reason=variation,
                    review_date=review,
                    allocation_annual_pence=allocation,
                ),
            )
            await _append_decision(
                actor,
                row,
                version,
                Transition.AUTHORISE_BUDGET,
                target,
                variation,
                now,
                {
                    "annual_cost_pence": annual,
                    "one_off_this_year_pence": one_off,
                    "allocation_annual_pence": allocation,
                    "spending_limit_pence": limit,
                    "review_date": review.isoformat(),
                },
            )
            await tell_about_plan(plan_id, Transition.AUTHORISE_BUDGET.value, actor.user_id)
        return version.number

    number = await audited(actor, plan_id, Transition.AUTHORISE_BUDGET.value, act)
    return await decision_outcome(plan_id, Transition.AUTHORISE_BUDGET, number)


async def return_plan(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.ReturnRequest
) -> signoff_schemas.DecisionOutcome:
    """Send the plan back to draft with comments on the sections they are about."""

    async def act() -> int:
        plan, row, target, version = await decided_version(
            actor, plan_id, Transition.RETURN, data.version_hash
        )
        comments = [(c.section, c.comment.strip()) for c in data.comments if c.comment.strip()]
        for index, (key, _) in enumerate(comments):
            if key not in SECTION_KEYS or not decide(
                actor, Permission.SECTION_COMMENT, plan.access, key
            ):
                raise Invalid(
                    "No such section",
                    f"'{key[:40]}' is not a section of this plan that you can comment on.",
                    errors=[FieldError(f"comments[{index}].section", "Choose a section")],
                )
        if not comments and not data.reason.strip():
            raise Invalid(
                "Say why it is returned",
                "Add a comment on at least one section, or say why the plan is returned, so the "
                "person knows what to change.",
                errors=[FieldError("comments", "Add a comment")],
            )
        now = utc_now()
        role = role_for(
            actor, row.signing_off_organisation, STAFF_DECISIONS[Permission.PLAN_RETURN]
        )
        async with write_transaction(Plan._meta.db):
            await move_state(
                plan_id,
                Transition.RETURN,
                {"state": row.state, "submitted_version": version.number},
                {"state": target.value, "state_changed_at": now, "submitted_version": None},
            )
            await version_rows.record_returned(version.id, actor.user_id, now)
            if comments:
                await decision_rows.insert_return_comments(
                    plan_id,
                    version.number,
                    [decision_rows.ReturnComment(section_key=k, body=b) for k, b in comments],
                    decision_rows.Author(
                        user=actor.user_id, name=actor.display_name[:200], role=role
                    ),
                    now,
                )
            await _append_decision(
                actor,
                row,
                version,
                Transition.RETURN,
                target,
                data.reason.strip(),
                now,
                {"commented_sections": sorted({key for key, _ in comments})},
            )
            await tell_about_plan(plan_id, Transition.RETURN.value, actor.user_id)
        return version.number

    number = await audited(actor, plan_id, Transition.RETURN.value, act)
    return await decision_outcome(plan_id, Transition.RETURN, number)
