"""The consent that submitting gave: whom it shares the plan with, and taking it back.

Submitting a plan is the person's consent to share the sign-off sections with the organisation
that signs it off (`SIGN_OFF_SECTIONS`); the access decision gives that organisation's staff
those sections while the plan is submitted, plan authorised or agreed, or while an agreed
version stays the active plan during a review. This module says so on the sharing page, and lets
the person (or whoever speaks for them with the power to share) withdraw that consent.

Withdrawing takes the plan out of sign-off altogether, because the organisation cannot decide
on, or keep paying for, a plan it may no longer read:
- the plan is a draft again; the version under sign-off will not be signed off;
- an agreed version stops being the active plan (its record is kept, marked as withdrawn), and
  the review date goes with it: the support it funds needs the organisation to look again, so
  the staff working on the plan are told;
- open review requests and proposed package changes are closed;
- the decision is in the hash-chained audit trail, and in the person's access log.
Nothing else is lost: the plan's content, its versions and comments stay. Submitting again
shares the same sections again, with fresh consent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from portal.audit.trail import AuditDraft, append
from portal.consent import access_log
from portal.consent.policy import SIGN_OFF_SECTIONS, SUBMITTED_STATES, Permission, decide, is_owner
from portal.core.actor import SIGN_OFF_ROLES, Actor, Role
from portal.core.clock import now as utc_now
from portal.core.errors import Conflict, DomainError, FieldError, Forbidden, Invalid
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.db import write_transaction
from portal.notifications.service import tell_about_plan, tell_staff
from portal.plans import access as plan_access
from portal.plans.tables import Plan
from portal.plans.workflow import STATE_WORDS, State, Transition, next_state
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import (
    change_rows,
    decision_rows,
    organisation_rows,
    plan_rows,
    request_rows,
    version_rows,
)
from portal.signoff.repository.plan_rows import SignOffPlan
from portal.signoff.repository.version_rows import Submission
from portal.signoff.transitions import audited, decision_outcome, plan_state

# A version whose consent was withdrawn: kept, but neither waiting for sign-off nor agreed.
WITHDRAWN_STATUS = "consent_withdrawn"
# What open review requests and package changes become: nobody can decide them any more.
CLOSED_STATUS = "withdrawn"
CLOSED_REASON = "Closed: consent to share the plan for sign-off was withdrawn"
# Whom to tell when nobody at the organisation has decided anything on the plan yet: those who
# would decide next from the tray it was waiting in.
_NEXT_DECIDERS: dict[str, frozenset[Role]] = {
    State.SUBMITTED.value: frozenset({Role.PLAN_AUTHORISER}),
    State.PLAN_AUTHORISED.value: frozenset({Role.BUDGET_AUTHORISER}),
}
_AGREED_DECIDERS = frozenset({Role.COORDINATOR})
_WAITING_WORDS = {
    State.SUBMITTED.value: "waiting for plan authorisation",
    State.PLAN_AUTHORISED.value: "waiting for budget authorisation",
}


def _sharing(row: SignOffPlan) -> bool:
    """Whether submitting shares this plan with an organisation now (as the decision has it)."""
    return bool(row.signing_off_organisation) and (
        row.state in SUBMITTED_STATES or row.agreed_version is not None
    )


def _sections() -> list[signoff_schemas.SharedSection]:
    return [
        signoff_schemas.SharedSection(key=key, title=SECTION_TITLES[key])
        for key in SECTION_KEYS
        if key in SIGN_OFF_SECTIONS
    ]


async def _consents(
    row: SignOffPlan,
) -> list[tuple[signoff_schemas.SharingConsent, Submission]]:
    """The submissions whose consent is in force: the one under sign-off, then the agreed one."""
    found: list[tuple[signoff_schemas.SharingConsent, Submission]] = []
    wanted: list[tuple[int | None, Literal["under_sign_off", "agreed"]]] = [
        (row.submitted_version, "under_sign_off"),
        (row.agreed_version, "agreed"),
    ]
    for number, why in wanted:
        if number is None:
            continue
        version = await version_rows.get_submission(row.id, number)
        if version is None:
            continue
        role: Literal["person", "representative"] = (
            "person" if version.submitter_person == row.person else "representative"
        )
        found.append(
            (
                signoff_schemas.SharingConsent(
                    version_number=version.number,
                    why=why,
                    version_status=version.status,
                    submitted_at=version.submitted_at,
                    submitted_by=version.submitter_name,
                    submitted_by_role=role,
                ),
                version,
            )
        )
    return found


async def _organisation(organisation_id: uuid.UUID | None) -> signoff_schemas.OrganisationChoice:
    organisation = await organisation_rows.get_organisation(organisation_id)
    assert organisation is not None  # a plan shared for sign-off names its organisation
    return organisation


def withdrawing_means(
    whose: str, organisation: str, state: str, consents: list[signoff_schemas.SharingConsent]
) -> list[str]:
    """What withdrawing consent would do, in sentences (`whose`: "your plan" or "the plan")."""
    titles = ", ".join(section.title for section in _sections())
    means = [
        f"{whose[0].upper()}{whose[1:]} goes back to being a draft and leaves {organisation}'s "
        "work trays: nobody there carries on signing it off.",
        f"Staff of {organisation} will no longer see these sections: {titles}. What they "
        "already wrote, such as comments, is kept.",
    ]
    waiting = next((c for c in consents if c.why == "under_sign_off"), None)
    if waiting is not None:
        step = _WAITING_WORDS.get(state, "waiting for sign-off")
        means.append(f"Version {waiting.version_number}, which is {step}, will not be signed off.")
    agreed = next((c for c in consents if c.why == "agreed"), None)
    if agreed is not None:
        means.append(
            f"The agreed plan (version {agreed.version_number}) stops being the active plan, and "
            f"its review date is cancelled. {organisation} pays for support it can no longer "
            "see, so that support will need to be looked at again: expect them to get in touch "
            "about it. Open review requests and proposed changes to the support are closed."
        )
    means.append(
        f"The staff who were working on it are told, without any details of {whose}. To have "
        f"it signed off later, submit it again: that shares the same sections again."
    )
    return means


async def sign_off_sharing(actor: Actor, plan_id: uuid.UUID) -> signoff_schemas.SignOffSharingRead:
    """Whom submitting shared the plan with, for those who choose who sees it."""
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_SHARE)
    row = await plan_state(plan_id)
    if not _sharing(row):
        return signoff_schemas.SignOffSharingRead(
            plan_id=plan.id,
            state=row.state,
            shared=False,
            organisation=None,
            sections=[],
            access="",
            since=None,
            consents=[],
            may_withdraw=False,
            withdrawing_means=[],
        )
    organisation = await _organisation(row.signing_off_organisation)
    consents = [consent_ for consent_, _ in await _consents(row)]
    whose = "your plan" if is_owner(actor, plan.access) else "the plan"
    return signoff_schemas.SignOffSharingRead(
        plan_id=plan.id,
        state=row.state,
        shared=True,
        organisation=organisation,
        sections=_sections(),
        access="comment",
        # Shared without a break since the earliest submission still in force.
        since=min((c.submitted_at for c in consents), default=None),
        consents=consents,
        may_withdraw=decide(actor, Permission.PLAN_WITHDRAW_CONSENT, plan.access),
        withdrawing_means=withdrawing_means(whose, organisation.name, row.state, consents),
    )


# --- withdrawing ---------------------------------------------------------------------------


def _not_allowed() -> DomainError:
    return Forbidden(
        "Not allowed",
        "Only the person whose plan this is, or someone who speaks for them with the power to "
        "share it, can withdraw consent to share it for sign-off.",
    )


def _nothing_shared(state: str) -> DomainError:
    return Conflict(
        "Nothing to withdraw",
        "This plan is not shared with an organisation for sign-off, so there is no consent to "
        "withdraw. Reload the sharing page to see who can see it now.",
        current_state=state,
    )


async def _staff_to_tell(
    plan_id: uuid.UUID, organisation_id: uuid.UUID, row: SignOffPlan, versions: list[int]
) -> list[uuid.UUID]:
    """The staff who were deciding: those of the organisation who made a decision on a version
    still in force and still hold a role there; if nobody has yet, those who decide next."""
    roles = sorted(role.value for role in SIGN_OFF_ROLES)
    deciders = await decision_rows.deciders_still_in_role(plan_id, organisation_id, roles, versions)
    if deciders:
        return deciders
    next_roles = sorted(role.value for role in _NEXT_DECIDERS.get(row.state, _AGREED_DECIDERS))
    return await decision_rows.active_role_holders(organisation_id, next_roles)


def _check_request(row: SignOffPlan, data: signoff_schemas.WithdrawConsentRequest) -> None:
    state = row.state
    if data.state is not None and data.state != state:
        words = STATE_WORDS[State(state)].split(":")[0].lower()
        raise Conflict(
            "The plan has moved on",
            f"The plan is now '{words}', not as it was when you read what withdrawing means. "
            "Read it again, then decide.",
            current_state=state,
        )
    if not data.confirm:
        raise Invalid(
            "Confirm that you want to withdraw",
            "Withdrawing consent takes the plan out of sign-off. Confirm that you want to "
            "withdraw it, or go back to leave it shared.",
            errors=[FieldError("confirm", "Confirm that you want to withdraw consent")],
        )


async def _withdraw(
    actor: Actor,
    plan: plan_access.PlanRecord,
    row: SignOffPlan,
    in_force: list[tuple[signoff_schemas.SharingConsent, Submission]],
    now: dt.datetime,
) -> int:
    """The changes, in one write transaction: all of them or none."""
    plan_id = plan.id
    state = State(row.state)
    target = next_state(state, Transition.WITHDRAW_CONSENT)
    organisation_id = row.signing_off_organisation
    assert organisation_id is not None  # only a plan shared for sign-off gets here
    numbers = [c.version_number for c, _ in in_force]
    newest = max(in_force, key=lambda pair: pair[0].version_number)[1] if in_force else None
    shared = [section.key for section in _sections()]
    staff = await _staff_to_tell(plan_id, organisation_id, row, numbers or [0])
    checks = {
        "state": row.state,
        "submitted_version": row.submitted_version,
        "agreed_version": row.agreed_version,
    }
    async with write_transaction(Plan._meta.db):
        # Compare-and-set: only if the plan is still as the decision read it.
        if not await plan_rows.withdraw_plan(plan_id, target.value, now, checks):
            raise Conflict(
                "The plan has just changed",
                "Someone changed where the plan is in sign-off a moment ago. Reload the page to "
                "see where it is now, then decide.",
                current_state=(await plan_state(plan_id)).state,
            )
        for _, version in in_force:
            await version_rows.set_version_status(version.id, WITHDRAWN_STATUS)
        closing = request_rows.Answer(
            status=CLOSED_STATUS, by=actor.user_id, at=now, reason=CLOSED_REASON
        )
        closed_requests = await request_rows.answer_open_requests(plan_id, closing)
        closed_changes = await change_rows.close_open_changes(plan_id, closing)
        await append(
            AuditDraft(
                action=Transition.WITHDRAW_CONSENT.value,
                actor_user=actor.user_id,
                actor_name=actor.display_name,
                role="person" if is_owner(actor, plan.access) else "representative",
                organisation=organisation_id,
                plan=plan_id,
                version_number=newest.number if newest else None,
                from_state=state.value,
                to_state=target.value,
                version_hash=newest.content_hash if newest else "",
                details={
                    "consent": False,
                    "shared_sections": shared,
                    "withdrawn_versions": sorted(numbers),
                    "agreed_version_ended": row.agreed_version,
                    "closed_review_requests": len(closed_requests),
                    "closed_package_changes": len(closed_changes),
                    "staff_told": len(staff),
                },
            ),
            now,
        )
        await tell_about_plan(plan_id, "consent_withdrawn", actor.user_id)
        await tell_staff(plan_id, "consent_withdrawn", organisation_id, staff, actor.user_id)
        # Withdrawing is a sharing change: it is listed with the submission that gave it.
        await access_log.record(
            actor, plan.access, "consent_withdrawn", shared, str(organisation_id), always=True
        )
    return newest.number if newest else 0


async def withdraw_consent(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.WithdrawConsentRequest
) -> signoff_schemas.DecisionOutcome:
    """Take back the consent that submitting gave: the plan leaves sign-off (see the module)."""

    async def act() -> int:
        # 404 for whoever may not know the plan; 403 for those who may read but not decide this.
        plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
        if not decide(actor, Permission.PLAN_WITHDRAW_CONSENT, plan.access):
            raise _not_allowed()
        row = await plan_state(plan_id)
        next_state(row.state, Transition.WITHDRAW_CONSENT)
        if not _sharing(row):
            raise _nothing_shared(row.state)
        _check_request(row, data)
        return await _withdraw(actor, plan, row, await _consents(row), utc_now())

    number = await audited(actor, plan_id, Transition.WITHDRAW_CONSENT.value, act)
    return await decision_outcome(plan_id, Transition.WITHDRAW_CONSENT, number)
