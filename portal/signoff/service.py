"""Sign-off: submitting a plan, returning it with comments, authorising the plan and the budget.

Every transition is checked three times, in this order: the access decision says whether this
actor may make it (`portal.consent.policy.decide`, the permission named in `workflow.RULES`);
the state machine says whether it is open from the plan's state; the rules here say whether
the content allows it (criteria met, the version read is the version submitted, the cost is
within the authoriser's limit). The state changes by compare-and-set inside a write
transaction, so of two people deciding at once exactly one wins and the other gets 409.
Each decision and each refused attempt is an entry in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from portal.consent import service as consent
from portal.consent.money import may_see_money
from portal.consent.policy import (
    SIGN_OFF_SECTIONS,
    STAFF_DECISIONS,
    SUBMITTED_STATES,
    TRAY_ROLES,
    Permission,
    Tray,
    decide,
    decide_tray,
    is_owner,
    visible_sections,
)
from portal.core.actor import Actor, Role
from portal.core.clock import now as utc_now
from portal.core.clock import today as england_today
from portal.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    not_found,
)
from portal.core.sections import CRITERIA_KEYS, SECTION_KEYS, SECTION_TITLES
from portal.core.values import as_date
from portal.db import write_transaction
from portal.notifications.service import tell_about_plan
from portal.plans import service as plans
from portal.plans.allocation import staff_allocation, staff_allocation_record
from portal.plans.criteria import evaluate_criteria
from portal.plans.tables import Plan
from portal.signoff import redact
from portal.signoff import schemas as signoff_schemas
from portal.signoff.audit import AuditDraft, append, append_alone
from portal.signoff.limits import MAX_PER_PAGE, spending_limit
from portal.signoff.repository import (
    content_rows,
    decision_rows,
    organisation_rows,
    plan_rows,
    tray_rows,
    version_rows,
)
from portal.signoff.repository.plan_rows import SignOffPlan
from portal.signoff.repository.version_rows import VersionRow
from portal.signoff.workflow import (
    RULES,
    STATE_WORDS,
    IllegalTransition,
    State,
    Transition,
    allowed_from,
    next_state,
)

_T = TypeVar("_T")

# Which kind of organisation signs off which kind of plan (Care Act plans: the council;
# personal health budgets: the NHS integrated care board).
SIGNING_OFF_KINDS: dict[str, frozenset[str]] = {
    "care_and_support": frozenset({"council"}),
    "carer_support": frozenset({"council"}),
    "personal_health_budget": frozenset({"nhs_icb"}),
}

ACTION_WORDS: dict[str, str] = {
    "submit": "Submitted the plan for sign-off",
    "resubmit": "Submitted the changed plan again",
    "authorise_plan": "Authorised the plan",
    "authorise_budget": "Authorised the budget: the plan is agreed",
    "return": "Returned the plan with comments",
    "amend": "Started a new draft by changing the agreed plan",
    "start_review": "Started a review",
    "withdraw_consent": "Withdrew consent to share the plan for sign-off: it is a draft again",
    "request_review": "Asked for a review",
    "decline_review": "Decided a review is not needed now",
    "propose_change": "Proposed a change to the support",
    "confirm_change": "Confirmed a change to the support",
    "decline_change": "Declined a change to the support",
    "change_to_review": "Turned a change request into a review",
    "outcome_agreed": "Agreed an outcome",
    "outcome_declined": "Declined an outcome",
    "set_allocation": "Set the indicative allocation",
}

TRAY_TITLES: dict[Tray, str] = {
    Tray.PLAN_AUTHORISATION: "Awaiting plan authorisation",
    Tray.BUDGET_AUTHORISATION: "Awaiting budget authorisation",
    Tray.REVIEWS_DUE: "Reviews due in the next 28 days",
    Tray.REVIEWS_OVERDUE: "Overdue reviews",
    Tray.REVIEW_REQUESTS: "Review requests",
    Tray.CHANGES_TO_CONFIRM: "Package changes to confirm (within tolerance)",
    Tray.CHANGES_FOR_TEAM_MANAGER: "Package changes for a team manager (outside tolerance)",
}
KIND_WORDS = {"council": "council", "nhs_icb": "NHS integrated care board"}
DEFAULT_REVIEW_AFTER = dt.timedelta(days=365)


def _json(value: Any) -> str:
    return msgspec.json.encode(value, order="sorted").decode()


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


OUTCOME_DECISION_FIELDS = frozenset({"status", "status_reason", "decided_by", "decided_at"})


def content_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 of what the person wrote. Staff decisions on outcomes are not the person changing
    their plan, so an outcome's status and its reason are left out."""
    hashed = dict(snapshot)
    hashed["outcomes"] = [
        {k: v for k, v in o.items() if k not in OUTCOME_DECISION_FIELDS}
        for o in snapshot["outcomes"]
    ]
    return hashlib.sha256(msgspec.json.encode(hashed, order="sorted")).hexdigest()


def verification_code(digest: str) -> str:
    """The short form of a content hash that a printed copy carries, e.g. `3F2A-91C0-77DE`."""
    short = digest[:12].upper()
    return "-".join(short[i : i + 4] for i in range(0, 12, 4))


# --- loading -------------------------------------------------------------------------------


async def plan_state(plan_id: uuid.UUID) -> SignOffPlan:
    """The plan's place in sign-off (404 when there is no such plan)."""
    plan = await plan_rows.get_plan(plan_id)
    if plan is None:
        raise not_found("plan")
    return plan


def _version_summary(row: VersionRow) -> signoff_schemas.VersionSummary:
    return signoff_schemas.VersionSummary(
        number=row.number,
        status=row.status,
        organisation_id=row.organisation,
        organisation_name=row.organisation_name,
        content_hash=row.content_hash,
        verification_code=verification_code(row.content_hash),
        annual_cost_pence=row.annual_cost_pence,
        allocation_annual_pence=row.allocation_annual_pence,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by_name,
        plan_authorised_at=row.plan_authorised_at,
        plan_authorised_by=row.plan_authorised_by_name,
        agreed_at=row.agreed_at,
        agreed_by=row.agreed_by_name,
        budget_variation_reason=row.budget_variation_reason,
        review_date=row.review_date,
        returned_at=row.returned_at,
        shared_sections=row.shared_sections,
        package_change_id=row.package_change,
        confirmed_by=row.confirmed_by_name,
        change_proposed_by=row.change_proposed_by,
    )


async def _submitted_version(row: SignOffPlan) -> VersionRow:
    number = row.submitted_version
    version = await version_rows.get_version(row.id, number) if number is not None else None
    if version is None:
        # The state machine guarantees one while submitted; say so plainly if not.
        raise Conflict("Nothing under sign-off", "This plan has no version waiting for sign-off.")
    return version


# --- refusals are audited too ----------------------------------------------------------------


def role_for(actor: Actor, organisation_id: uuid.UUID | None, roles: frozenset[Role]) -> str:
    held = sorted(
        role.role.value
        for role in actor.roles
        if role.organisation_id == organisation_id and role.role in roles
    )
    return held[0] if held else ""


async def audited(
    actor: Actor, plan_id: uuid.UUID, action: str, act: Callable[[], Awaitable[_T]]
) -> _T:
    """Run a decision; when it is refused, write the attempt to the audit trail and re-raise."""
    try:
        return await act()
    except DomainError as problem:
        await append_alone(
            AuditDraft(
                action=action,
                outcome="refused",
                actor_user=actor.user_id,
                actor_name=actor.display_name,
                plan=plan_id,
                reason=f"{problem.title}: {problem.detail}"[:1000],
            )
        )
        raise


def _not_allowed(actor: Actor, plan: plans.PlanRecord, transition: Transition) -> DomainError:
    return not_allowed(actor, plan, RULES[transition].permission, RULES[transition].words)


def not_allowed(
    actor: Actor, plan: plans.PlanRecord, permission: Permission, words: str
) -> DomainError:
    """Why this actor may not do this, in words that say who can."""
    if permission in STAFF_DECISIONS and is_owner(actor, plan.access):
        return Forbidden(
            "Not allowed",
            "You cannot make a sign-off decision on your own plan. Another member of staff "
            "must decide.",
        )
    if permission in STAFF_DECISIONS and plan.access.representations:
        return Forbidden(
            "Not allowed",
            "You speak for this person, so you cannot make a sign-off decision on their plan. "
            "Another member of staff must decide.",
        )
    if permission in STAFF_DECISIONS:
        needed = " or ".join(
            role.value.replace("_", " ") for role in sorted(STAFF_DECISIONS[permission])
        )
        return Forbidden(
            "Not allowed",
            f"Only a {needed} of the organisation the plan was submitted to can {words}.",
        )
    if permission == Permission.PLAN_SUBMIT:
        return Forbidden(
            "Not allowed",
            "Only the person whose plan this is, or someone who speaks for them with the power "
            "to share it, can submit it.",
        )
    return Forbidden("Not allowed", f"You can read this plan but you cannot {words}.")


async def _open(actor: Actor, plan_id: uuid.UUID, transition: Transition) -> plans.PlanRecord:
    rule = RULES[transition]
    return await open_plan_for(actor, plan_id, rule.permission, rule.words)


async def open_plan_for(
    actor: Actor, plan_id: uuid.UUID, permission: Permission, words: str
) -> plans.PlanRecord:
    """The plan, once the actor may do this to it: 404 when they may not know it, else 403."""
    plan = await plans.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    if not decide(actor, permission, plan.access):
        raise not_allowed(actor, plan, permission, words)
    return plan


async def _move(
    plan_id: uuid.UUID,
    transition: Transition,
    expected: dict[str, Any],
    values: dict[str, Any],
) -> None:
    """Compare-and-set the plan's state: only if it is still what the decision was based on."""
    if not await plan_rows.move_plan(plan_id, expected, values):
        now = await plan_state(plan_id)
        raise IllegalTransition(transition, State(now.state))


def _check_hash(given: str, version: VersionRow) -> None:
    if given.strip().lower() != version.content_hash:
        raise Conflict(
            "A different version",
            f"You read a different version of this plan from the one now waiting (version "
            f"{version.number}). Reload the plan, read it again, then decide.",
            errors=[FieldError("version_hash", "Reload the plan and decide on what you read")],
            current_hash=version.content_hash,
        )


async def _decided_version(
    actor: Actor, plan_id: uuid.UUID, transition: Transition, version_hash: str
) -> tuple[plans.PlanRecord, SignOffPlan, State, VersionRow]:
    """The start of every staff decision on a submitted version: the actor may make it, the
    state machine allows it, and the version they read is the one waiting."""
    plan = await _open(actor, plan_id, transition)
    row = await plan_state(plan_id)
    target = next_state(row.state, transition)
    version = await _submitted_version(row)
    _check_hash(version_hash, version)
    return plan, row, target, version


async def _check_unchanged(plan_id: uuid.UUID, version: VersionRow) -> dict[str, Any]:
    snapshot = await plans.snapshot_plan(plan_id)
    if content_hash(snapshot) != version.content_hash:
        raise Conflict(
            "Changed since it was submitted",
            f"The plan was changed after version {version.number} was submitted, so what you "
            "read is not the plan as it is now. It needs to be submitted again before anyone "
            "can sign it off.",
        )
    return snapshot


# --- submitting ------------------------------------------------------------------------------


def _missing(snapshot_facts: list[Any]) -> list[FieldError]:
    return [
        FieldError(result.key, f"{result.title}: {'; '.join(result.missing) or 'not started'}")
        for result in snapshot_facts
        if result.status != "met"
    ]


async def _organisation_for(
    plan: SignOffPlan, organisation_id: uuid.UUID | None
) -> signoff_schemas.OrganisationChoice:
    kinds = SIGNING_OFF_KINDS.get(plan.kind, frozenset())
    chosen = organisation_id or plan.signing_off_organisation
    if chosen is None:
        raise Invalid(
            "Choose who signs it off",
            "Choose the organisation that will sign off your plan.",
            errors=[FieldError("organisation_id", "Choose an organisation")],
        )
    org = await organisation_rows.get_organisation(chosen)
    if org is None or org.kind not in kinds:
        raise Invalid(
            "Not an organisation that signs off this plan",
            "Choose one of the organisations listed: only "
            + " or ".join(KIND_WORDS.get(k, k) for k in sorted(kinds))
            + " organisations sign off this kind of plan.",
            errors=[FieldError("organisation_id", "Choose an organisation from the list")],
        )
    return org


async def submit_plan(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.SubmitRequest
) -> signoff_schemas.DecisionOutcome:
    """Submit (or submit again after changes): every criterion met, and the person's consent
    to share the sign-off sections with the organisation, recorded with the version."""

    async def act() -> int:
        plan = await _open(actor, plan_id, Transition.SUBMIT)
        row = await plan_state(plan_id)
        state = State(row.state)
        transition = Transition.SUBMIT if state == State.DRAFT else Transition.RESUBMIT
        target = next_state(state, transition)
        org = await _organisation_for(row, data.organisation_id)
        if not data.share_with_organisation:
            raise Invalid(
                "Agree to share your plan",
                f"Submitting shares these sections of your plan with {org.name}: "
                f"{', '.join(SECTION_TITLES[k] for k in CRITERIA_KEYS)}. Tick that you agree, "
                "then submit.",
                errors=[FieldError("share_with_organisation", "Tick that you agree to share")],
            )
        snapshot = await plans.snapshot_plan(plan_id)
        missing = _missing(evaluate_criteria(await plans.plan_facts(plan_id)))
        if not may_see_money(actor, plan.access):
            missing = redact.missing_without_money(missing)
        if missing:
            raise Invalid(
                "Your plan is not ready to submit",
                "Every part of a good plan needs to be there before it is signed off. Still "
                "missing: " + " ".join(f"{e.message}." for e in missing),
                errors=missing,
            )
        digest = content_hash(snapshot)
        previous: VersionRow | None = None
        if transition == Transition.RESUBMIT:
            previous = await _submitted_version(row)
            if previous.content_hash == digest:
                raise Conflict(
                    "Nothing has changed",
                    f"Version {previous.number} of your plan is already waiting for sign-off "
                    "and nothing has changed since you submitted it.",
                    current_state=state.value,
                )
        now = utc_now()
        shared = [key for key in SECTION_KEYS if key in SIGN_OFF_SECTIONS]
        async with write_transaction(Plan._meta.db):
            number = await version_rows.next_version_number(plan_id)
            await _move(
                plan_id,
                transition,
                {"state": state.value, "submitted_version": row.submitted_version},
                {
                    "state": target.value,
                    "signing_off_organisation": org.id,
                    "submitted_version": number,
                    "state_changed_at": now,
                },
            )
            if previous is not None:
                await version_rows.set_version_status(previous.id, "withdrawn")
            money = snapshot["money"]
            # The organisation's own figure, if its staff set one already (it follows the
            # plan's organisation, just moved to the one chosen now); never the person's note.
            allocation = await staff_allocation(plan_id)
            await version_rows.insert_version(
                version_rows.NewVersion(
                    plan=plan_id,
                    number=number,
                    status="submitted",
                    organisation=org.id,
                    content=_json(snapshot),
                    content_hash=digest,
                    shared_sections=_json(shared),
                    annual_cost_pence=money["total_annual_pence"],
                    allocation_annual_pence=allocation,
                    submitted_by=actor.user_id,
                    submitted_at=now,
                )
            )
            await append(
                AuditDraft(
                    action=transition.value,
                    actor_user=actor.user_id,
                    actor_name=actor.display_name,
                    role="person" if is_owner(actor, plan.access) else "representative",
                    organisation=org.id,
                    plan=plan_id,
                    version_number=number,
                    from_state=state.value,
                    to_state=target.value,
                    version_hash=digest,
                    details={"shared_sections": shared, "consent": True},
                ),
                now,
            )
            await tell_about_plan(plan_id, transition.value, actor.user_id)
            # Submitting is consent to share: it is listed with every other sharing change.
            await consent.record(actor, plan.access, "submitted", shared, str(org.id), always=True)
        return number

    number = await audited(actor, plan_id, Transition.SUBMIT.value, act)
    return await decision_outcome(plan_id, Transition.SUBMIT, number)


async def decision_outcome(
    plan_id: uuid.UUID, transition: Transition, number: int
) -> signoff_schemas.DecisionOutcome:
    """Where a decision left the plan."""
    row = await plan_state(plan_id)
    state = State(row.state)
    return signoff_schemas.DecisionOutcome(
        plan_id=plan_id,
        decision=transition.value,
        state=state.value,
        state_words=STATE_WORDS[state],
        version_number=number,
        agreed_version=row.agreed_version,
        review_date=row.review_date,
    )


# --- staff decisions -------------------------------------------------------------------------


async def authorise_plan(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.AuthorisePlanRequest
) -> signoff_schemas.DecisionOutcome:
    async def act() -> int:
        _, row, target, version = await _decided_version(
            actor, plan_id, Transition.AUTHORISE_PLAN, data.version_hash
        )
        await _check_unchanged(plan_id, version)
        await _check_outcomes_decided(plan_id)
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            await _move(
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
        _, row, target, version = await _decided_version(
            actor, plan_id, Transition.AUTHORISE_BUDGET, data.version_hash
        )
        snapshot = await _check_unchanged(plan_id, version)
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
            await _move(
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
        plan, row, target, version = await _decided_version(
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
            await _move(
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


# --- reading ---------------------------------------------------------------------------------


async def _comments(actor: Actor, plan: plans.PlanRecord) -> list[signoff_schemas.CommentRead]:
    visible = set(visible_sections(actor, plan.access, SECTION_KEYS))
    return [c for c in await decision_rows.returned_comments(plan.id) if c.section in visible]


async def comments_for(actor: Actor, plan_id: uuid.UUID) -> list[signoff_schemas.CommentRead]:
    plan = await plans.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    return await _comments(actor, plan)


async def _decisions(plan_id: uuid.UUID, money: bool) -> list[signoff_schemas.DecisionRead]:
    """The decisions on the plan; the notes of money decisions only for who may see money."""
    return [
        signoff_schemas.DecisionRead(
            seq=row.seq,
            at=row.at,
            action=row.action,
            description=ACTION_WORDS.get(row.action, row.action),
            by=row.actor_name,
            role=row.role,
            version_number=row.version_number,
            from_state=row.from_state,
            to_state=row.to_state,
            reason=(
                row.reason
                if money or not redact.is_money_entry(row.action, _details(row.details))
                else None
            ),
        )
        for row in await decision_rows.decisions(plan_id)
    ]


def _details(text: Any) -> dict[str, Any]:
    try:
        found = msgspec.json.decode(text or "{}")
    except msgspec.DecodeError:
        return {}
    return found if isinstance(found, dict) else {}


async def _organisations_for_kind(kind: str) -> list[signoff_schemas.OrganisationChoice]:
    kinds = sorted(SIGNING_OFF_KINDS.get(kind, frozenset()))
    if not kinds:
        return []
    return await organisation_rows.organisations_of_kinds(kinds)


async def sign_off_status(actor: Actor, plan_id: uuid.UUID) -> signoff_schemas.SignOffRead:
    """Where the plan is, what this reader may do next, and the comments and decisions so far."""
    plan = await plans.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    row = await plan_state(plan_id)
    state = State(row.state)
    money_shown = may_see_money(actor, plan.access)
    versions = [
        _as_seen(_version_summary(v), money_shown)
        for v in await version_rows.list_versions(plan_id)
    ]
    submitted = next((v for v in versions if v.number == row.submitted_version), None)
    current_hash: str | None = None
    if submitted is not None:
        current_hash = content_hash(await plans.snapshot_plan(plan_id))
    org: signoff_schemas.OrganisationChoice | None = None
    if row.signing_off_organisation:
        org = await organisation_rows.get_organisation(row.signing_off_organisation)
    may_submit = decide(actor, Permission.PLAN_SUBMIT, plan.access)
    missing: list[str] = []
    if may_submit:
        results = evaluate_criteria(await plans.plan_facts(plan_id))
        errors = _missing(results)
        missing = [
            e.message for e in (errors if money_shown else redact.missing_without_money(errors))
        ]
    money = await plans.plan_money(plan_id) if money_shown else None
    # Consent can be withdrawn only while submitting has shared the plan (see withdrawal.py).
    sharing = state.value in SUBMITTED_STATES or row.agreed_version is not None
    allocation = await staff_allocation_record(plan_id) if money_shown else None
    steps = [
        t.value
        for t in allowed_from(state)
        if t != Transition.AMEND
        and (t != Transition.WITHDRAW_CONSENT or sharing)
        and decide(actor, RULES[t].permission, plan.access)
    ]
    return signoff_schemas.SignOffRead(
        plan_id=plan.id,
        state=state.value,
        state_words=STATE_WORDS[state],
        submitted_version=row.submitted_version,
        agreed_version=row.agreed_version,
        review_date=row.review_date,
        organisation=org,
        changed_since_submitted=(submitted is not None and current_hash != submitted.content_hash),
        current_hash=current_hash,
        submitted_hash=submitted.content_hash if submitted else None,
        shares_sections=[k for k in SECTION_KEYS if k in SIGN_OFF_SECTIONS],
        organisations=await _organisations_for_kind(row.kind) if may_submit else [],
        missing=missing,
        annual_cost_pence=money.total_annual_pence if money else None,
        one_off_this_year_pence=money.one_off_this_year_pence if money else None,
        allocation_annual_pence=allocation.annual_pence if allocation else None,
        organisation_allocation=allocation,
        next_steps=steps,
        comments=await _comments(actor, plan),
        decisions=await _decisions(plan_id, money_shown),
        versions=versions,
    )


_LIST_SECTIONS = {
    "outcomes": "outcomes",
    "support_items": "money",
    "money": "money",
    "actions": "action_plan",
    "contacts": "contacts",
}


def _visible_content(snapshot: dict[str, Any], visible: set[str]) -> dict[str, Any]:
    """A version's content holding only what the reader may see; hidden sections are absent."""
    shown: dict[str, Any] = {"title": snapshot["title"], "kind": snapshot["kind"]}
    shown["sections"] = {k: v for k, v in snapshot["sections"].items() if k in visible}
    for name, section in _LIST_SECTIONS.items():
        if section in visible:
            shown[name] = snapshot[name]
    return shown


def _as_seen(
    version: signoff_schemas.VersionSummary, money: bool
) -> signoff_schemas.VersionSummary:
    """A version's summary as its reader may see it: its figures only with the money."""
    return version if money else redact.version_without_money(version)


async def list_versions(actor: Actor, plan_id: uuid.UUID) -> list[signoff_schemas.VersionSummary]:
    plan = await plans.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    money = may_see_money(actor, plan.access)
    return [_as_seen(_version_summary(v), money) for v in await version_rows.list_versions(plan_id)]


async def _numbered_version(plan_id: uuid.UUID, number: int) -> VersionRow:
    version = await version_rows.get_version(plan_id, number)
    if version is None:
        raise NotFound(
            "No such version", f"This plan has no version {number}. See its list of versions."
        )
    return version


async def _version(
    actor: Actor, plan_id: uuid.UUID, number: int
) -> tuple[plans.PlanRecord, VersionRow]:
    plan = await plans.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    return plan, await _numbered_version(plan_id, number)


async def version_as_seen(
    plan: plans.PlanRecord, number: int, visible: set[str]
) -> tuple[signoff_schemas.VersionSummary, dict[str, Any]]:
    """A version and its content cut down to these sections, for an export; the caller asked
    the access decision for the plan and its sections, and records the access itself."""
    version = await _numbered_version(plan.id, number)
    snapshot = msgspec.json.decode(version.content)
    summary = _as_seen(_version_summary(version), "money" in visible)
    return summary, _visible_content(snapshot, visible)


async def versions_of(plan_id: uuid.UUID) -> list[signoff_schemas.VersionSummary]:
    """Every version of a plan, newest first; the caller asked the access decision first."""
    return [_version_summary(v) for v in await version_rows.list_versions(plan_id)]


async def read_version(
    actor: Actor, plan_id: uuid.UUID, number: int
) -> signoff_schemas.VersionRead:
    plan, row = await _version(actor, plan_id, number)
    visible = set(visible_sections(actor, plan.access, SECTION_KEYS))
    snapshot = msgspec.json.decode(row.content)
    await consent.record(actor, plan.access, "read", sorted(visible & set(SECTION_KEYS)))
    summary = _as_seen(_version_summary(row), may_see_money(actor, plan.access))
    return signoff_schemas.VersionRead(version=summary, content=_visible_content(snapshot, visible))


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))


async def compare_version(
    actor: Actor, plan_id: uuid.UUID, number: int, other: int | None
) -> signoff_schemas.VersionComparison:
    """What changed, section by section, between a version and another one (or the plan now)."""
    plan, row = await _version(actor, plan_id, number)
    visible = set(visible_sections(actor, plan.access, SECTION_KEYS))
    old = msgspec.json.decode(row.content)
    if other is None:
        new = await plans.snapshot_plan(plan_id)
        label = "current"
    else:
        _, other_row = await _version(actor, plan_id, other)
        new = msgspec.json.decode(other_row.content)
        label = str(other)
    sections = []
    for key in SECTION_KEYS:
        if key not in visible:
            continue
        fields = _changed_fields(old["sections"].get(key, {}), new["sections"].get(key, {}))
        sections.append(
            signoff_schemas.SectionDifference(
                section=key, title=SECTION_TITLES[key], changed=bool(fields), changed_fields=fields
            )
        )
    lists = [
        name
        for name, section in _LIST_SECTIONS.items()
        if section in visible and name != "money" and old.get(name) != new.get(name)
    ]
    return signoff_schemas.VersionComparison(
        version=number, compared_with=label, sections=sections, lists_changed=lists
    )


# --- work trays ------------------------------------------------------------------------------


def _trays_for(actor: Actor, organisation_id: uuid.UUID) -> list[Tray]:
    return [tray for tray in Tray if decide_tray(actor, tray, organisation_id)]


async def _require_staff(actor: Actor, organisation_id: uuid.UUID) -> list[Tray]:
    trays = _trays_for(actor, organisation_id)
    if not trays:
        raise not_found("organisation")
    return trays


async def tray_counts(actor: Actor, organisation_id: uuid.UUID) -> list[signoff_schemas.TrayCount]:
    trays = await _require_staff(actor, organisation_id)
    today = england_today()
    return [
        signoff_schemas.TrayCount(
            tray=t.value,
            title=TRAY_TITLES[t],
            count=await tray_rows.count_tray(t, organisation_id, today),
        )
        for t in trays
    ]


async def _one_offs_this_year(rows: list[tray_rows.TrayRow]) -> dict[uuid.UUID, int]:
    """What one-off costs add this year to each plan's version waiting for its budget, in one
    query: the spending limit counts them beside the yearly cost."""
    waiting = {row.id: row.submitted_version for row in rows if row.submitted_version is not None}
    if not waiting:
        return {}
    one_offs: dict[uuid.UUID, int] = {}
    for version in await version_rows.contents_of_plans(list(waiting)):
        if waiting.get(version.plan) == version.number:
            money = msgspec.json.decode(version.content).get("money") or {}
            one_offs[version.plan] = int(money.get("one_off_this_year_pence") or 0)
    return one_offs


async def tray_page(
    actor: Actor, organisation_id: uuid.UUID, tray: str, page: int, per_page: int
) -> signoff_schemas.TrayPage:
    """One page of a tray, oldest first; each plan on it is checked by the access decision."""
    trays = await _require_staff(actor, organisation_id)
    try:
        chosen = Tray(tray)
    except ValueError:
        raise NotFound(
            "No such tray",
            f"There is no tray '{tray[:40]}'. The trays are: {', '.join(t.value for t in Tray)}.",
        ) from None
    if chosen not in trays:
        needed = " or ".join(sorted(role.value.replace("_", " ") for role in TRAY_ROLES[chosen]))
        raise Forbidden("Not your tray", f"This tray is for a {needed} of the organisation.")
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Malformed(
            "Page not understood",
            f"Pages start at 1, and a page holds from 1 to {MAX_PER_PAGE} plans.",
        )
    today = england_today()
    total = await tray_rows.count_tray(chosen, organisation_id, today)
    rows = await tray_rows.page_of_tray(
        chosen, organisation_id, today, per_page, (page - 1) * per_page
    )
    facts = await consent.facts_for_plans(
        actor,
        [
            consent.PlanRef(
                id=row.id,
                person_id=row.person,
                state=row.state,
                signing_off_organisation_id=row.signing_off_organisation,
                has_agreed_version=row.agreed_version is not None,
            )
            for row in rows
        ],
    )
    # As authorising it counts: nothing is within the limit of one who is not an authoriser.
    limit = spending_limit(actor, organisation_id) or 0
    one_offs = await _one_offs_this_year(rows) if chosen == Tray.BUDGET_AUTHORISATION else {}
    items = []
    for row in rows:
        if not decide(actor, Permission.PLAN_VIEW, facts[row.id]):
            continue
        cost = (
            row.annual_cost_pence
            if row.annual_cost_pence is not None and may_see_money(actor, facts[row.id])
            else None
        )
        items.append(
            signoff_schemas.TrayItem(
                plan_id=row.id,
                person_name=row.person_name,
                title=row.title,
                kind=row.kind,
                state=row.state,
                version_number=row.submitted_version or row.agreed_version,
                waiting_since=row.since,
                due_on=row.review_date,
                annual_cost_pence=cost,
                # Counted as authorising it is: the yearly cost and one-off costs this year.
                within_my_limit=(
                    cost + one_offs.get(row.id, 0) <= limit
                    if chosen == Tray.BUDGET_AUTHORISATION and cost is not None
                    else None
                ),
            )
        )
    return signoff_schemas.TrayPage(
        tray=chosen.value,
        title=TRAY_TITLES[chosen],
        organisation_id=organisation_id,
        count=total,
        page=page,
        per_page=per_page,
        pages=max(1, -(-total // per_page)),
        items=items,
    )
