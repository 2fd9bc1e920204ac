"""Reviews: anyone who may open an agreed plan asks for a review; staff start or decline it.

A review date is set when a plan is agreed. A request before that date needs a reason.
Starting a review is the state machine's `start_review`: the agreed version stays the active
plan and a new draft is opened from it, for the person to change and submit again.
"""

from __future__ import annotations

import datetime as dt
import uuid

from portal.audit.trail import AuditDraft, append
from portal.consent import access_log
from portal.consent.money import may_see_money
from portal.consent.policy import STAFF_DECISIONS, Permission, is_owner
from portal.core.actor import SIGN_OFF_ROLES, Actor
from portal.core.clock import ENGLAND
from portal.core.clock import now as utc_now
from portal.core.errors import Conflict, FieldError, Invalid
from portal.db import write_transaction
from portal.notifications.service import tell_about_plan
from portal.plans import access as plan_access
from portal.plans.tables import Plan
from portal.plans.workflow import IllegalTransition, State, Transition, next_state
from portal.signoff import schemas as signoff_schemas
from portal.signoff.redact import request_without_money
from portal.signoff.repository import plan_rows, request_rows
from portal.signoff.transitions import audited, open_plan_for, plan_state, role_for


def _requester_role(
    actor: Actor, plan: plan_access.PlanRecord, organisation: uuid.UUID | None
) -> str:
    if is_owner(actor, plan.access):
        return "person"
    if plan.access.representations:
        return "representative"
    staff = role_for(actor, organisation, SIGN_OFF_ROLES)
    if staff:
        return staff
    return "co-author" if plan.access.grants else "other"


async def insert_request(
    actor: Actor,
    plan: plan_access.PlanRecord,
    reason: str,
    now: dt.datetime,
    *,
    package_change: uuid.UUID | None = None,
) -> uuid.UUID:
    """Record a request for a review (inside the caller's write transaction), audited."""
    row = await plan_state(plan.id)
    if row.agreed_version is None:
        raise Conflict(
            "Nothing agreed to review",
            "A review looks again at an agreed plan. This plan has not been agreed yet.",
            current_state=row.state,
        )
    review_date = row.review_date
    today = now.astimezone(ENGLAND).date()
    early = review_date is not None and today < review_date
    if early and not reason.strip():
        raise Invalid(
            "Say why you want a review now",
            f"The plan's review is due on {review_date:%d %B %Y}. To ask for one before then, "
            "say why.",
            errors=[FieldError("reason", "Say why you want a review before the review date")],
        )
    request_id = uuid.uuid4()
    role = _requester_role(actor, plan, row.signing_off_organisation)
    await request_rows.insert_request(
        request_rows.NewRequest(
            id=request_id,
            plan=plan.id,
            requested_by=actor.user_id,
            requester_name=actor.display_name[:200],
            requester_role=role,
            reason=reason.strip(),
            early=early,
            requested_at=now,
            package_change=package_change,
        )
    )
    await append(
        AuditDraft(
            action="request_review",
            actor_user=actor.user_id,
            actor_name=actor.display_name,
            role=role,
            organisation=row.signing_off_organisation,
            plan=plan.id,
            version_number=row.agreed_version,
            reason=reason.strip(),
            details={
                "request": str(request_id),
                "early": early,
                "package_change": str(package_change) if package_change else "",
            },
        ),
        now,
    )
    await access_log.record(actor, plan.access, "review_requested", [], str(request_id))
    await tell_about_plan(plan.id, "review_requested", actor.user_id)
    return request_id


async def request_review(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.ReviewRequestCreate
) -> signoff_schemas.ReviewRequestRead:
    async def act() -> uuid.UUID:
        plan = await open_plan_for(actor, plan_id, Permission.REVIEW_REQUEST, "ask for a review")
        async with write_transaction(Plan._meta.db):
            return await insert_request(actor, plan, data.reason, utc_now())

    request_id = await audited(actor, plan_id, "request_review", act)
    return await request_rows.get_request(request_id)


async def list_requests(
    actor: Actor, plan_id: uuid.UUID
) -> list[signoff_schemas.ReviewRequestRead]:
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    found = await request_rows.list_requests(plan_id)
    if may_see_money(actor, plan.access):
        return found
    return [request_without_money(request) for request in found]


async def start_review(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.ReviewStart
) -> signoff_schemas.ReviewStarted:
    """Staff start the review: a new draft from the agreed version; open requests are answered."""

    async def act() -> int:
        await open_plan_for(actor, plan_id, Permission.REVIEW_START, "start a review")
        row = await plan_state(plan_id)
        state = State(row.state)
        target = next_state(state, Transition.START_REVIEW)
        now = utc_now()
        org = row.signing_off_organisation
        async with write_transaction(Plan._meta.db):
            moved = await plan_rows.move_plan(
                plan_id, {"state": state.value}, {"state": target.value, "state_changed_at": now}
            )
            if not moved:
                raise IllegalTransition(
                    Transition.START_REVIEW, State((await plan_state(plan_id)).state)
                )
            answered = await request_rows.answer_open_requests(
                plan_id,
                request_rows.Answer(
                    status="started", by=actor.user_id, at=now, reason=data.note.strip()
                ),
            )
            await append(
                AuditDraft(
                    action=Transition.START_REVIEW.value,
                    actor_user=actor.user_id,
                    actor_name=actor.display_name,
                    role=role_for(actor, org, STAFF_DECISIONS[Permission.REVIEW_START]),
                    organisation=org,
                    plan=plan_id,
                    version_number=row.agreed_version,
                    from_state=state.value,
                    to_state=target.value,
                    reason=data.note.strip(),
                    details={"requests": sorted(str(a) for a in answered)},
                ),
                now,
            )
            await tell_about_plan(plan_id, "review_started", actor.user_id)
        return len(answered)

    answered = await audited(actor, plan_id, Transition.START_REVIEW.value, act)
    row = await plan_state(plan_id)
    return signoff_schemas.ReviewStarted(
        plan_id=plan_id,
        state=row.state,
        agreed_version=row.agreed_version,
        requests_answered=answered,
    )


async def decline_request(
    actor: Actor, plan_id: uuid.UUID, request_id: uuid.UUID, data: signoff_schemas.ReviewDecline
) -> signoff_schemas.ReviewRequestRead:
    async def act() -> None:
        await open_plan_for(actor, plan_id, Permission.REVIEW_START, "answer review requests")
        reason = data.reason.strip()
        if not reason:
            raise Invalid(
                "Say why",
                "Say why the review is not needed now, so whoever asked knows.",
                errors=[FieldError("reason", "Say why")],
            )
        row = await plan_state(plan_id)
        org = row.signing_off_organisation
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            closed = await request_rows.answer_request(
                plan_id,
                request_id,
                request_rows.Answer(status="declined", by=actor.user_id, at=now, reason=reason),
            )
            if not closed:
                raise Conflict(
                    "Not open", "This review request is not open (it was answered already)."
                )
            await append(
                AuditDraft(
                    action="decline_review",
                    actor_user=actor.user_id,
                    actor_name=actor.display_name,
                    role=role_for(actor, org, STAFF_DECISIONS[Permission.REVIEW_START]),
                    organisation=org,
                    plan=plan_id,
                    version_number=row.agreed_version,
                    reason=reason,
                    details={"request": str(request_id)},
                ),
                now,
            )

    await audited(actor, plan_id, "decline_review", act)
    return await request_rows.get_request(request_id)
