"""Invitations: a one-time link that offers a grant to whoever accepts it (or to one email).

Only the hash of the link is kept. An invitation gives no more than its sender may give when it
is used, and accepting it makes a grant of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from portal.consent import access as consent_access
from portal.consent import access_log, checks
from portal.consent import grants as consent_grants
from portal.consent import schemas as consent_schemas
from portal.consent.policy import (
    Grantable,
    Permission,
    PlanAccessFacts,
    decide_share,
    is_owner,
)
from portal.consent.refusals import acceptance_refusal, share_refusal, withdraw_refusal
from portal.consent.repository import access as access_repository
from portal.consent.repository import grants as grant_repository
from portal.consent.repository import invitations as invitation_repository
from portal.consent.repository import sql
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, FieldError, Forbidden, Gone, Invalid, not_found

INVITATION_PATH = "/invitations/"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_status(invitation: invitation_repository.InvitationVersion, now: dt.datetime) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.withdrawn_at is not None:
        return "withdrawn"
    if invitation.expires_at <= now:
        return "expired"
    return "open"


def _invitation_read(row: invitation_repository.InvitationRow) -> consent_schemas.InvitationRead:
    return consent_schemas.InvitationRead(
        id=row.id,
        email=row.email,
        sections=row.sections,
        access=row.access,
        purpose=row.purpose,
        grant_expires_at=row.grant_expires_at,
        expires_at=row.expires_at,
        status=invitation_status(row, clock.now()),
        made_by_name=row.made_by_name,
        made_at=row.made_at,
        accepted_by_name=row.accepted_by_name,
        accepted_at=row.accepted_at,
    )


async def _read(invitation_id: uuid.UUID) -> consent_schemas.InvitationRead:
    row = await invitation_repository.invitation(invitation_id)
    if row is None:
        raise not_found("invitation")
    return _invitation_read(row)


async def invite(
    actor: Actor, plan_id: uuid.UUID, data: consent_schemas.InvitationCreate
) -> consent_schemas.InvitationCreated:
    """Make a one-time invitation; the link is shown once and only its hash is kept."""
    _, facts = await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    sections, purpose, grant_expires = checks.check_offer(
        data.sections, data.purpose, data.grant_expires_at, "grant_expires_at"
    )
    email = data.email.strip().lower() if data.email else None
    if email is not None:
        if "@" not in email:
            raise Invalid(
                "Email address not valid",
                "Enter an email address like name@example.com, or leave it empty to make a "
                "link you can send yourself.",
                errors=[FieldError("email", "Enter an email address like name@example.com")],
            )
        if email == actor.email and is_owner(actor, facts):
            checks.not_to_yourself(facts, facts.person_id, "email")
    decision = decide_share(
        actor,
        facts,
        Grantable(
            sections=frozenset(sections),
            access=data.access,
            grantee_user_id=actor.user_id if email == actor.email.lower() else None,
        ),
    )
    if not decision.allowed:
        problem = share_refusal(decision, "invite people to", "email")
        await checks.refuse(actor, facts, "invitation_refused", sections, "", problem)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    values = invitation_repository.InvitationValues(
        id=uuid.uuid4(),
        plan_id=plan_id,
        email=email,
        sections=sections,
        access=data.access,
        purpose=purpose,
        grant_expires_at=grant_expires,
        expires_at=now + dt.timedelta(days=data.valid_days),
        made_by=actor.user_id,
        made_at=now,
    )
    async with sql.transaction():
        await invitation_repository.add_invitation(values, _hash(token))
        await access_log.record(
            actor, facts, "invitation_sent", sections, str(values.id), always=True
        )
    return consent_schemas.InvitationCreated(
        invitation=await _read(values.id), token=token, path=f"{INVITATION_PATH}{token}"
    )


async def list_invitations(
    actor: Actor, plan_id: uuid.UUID
) -> list[consent_schemas.InvitationRead]:
    await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    return [
        _invitation_read(row) for row in await invitation_repository.invitations_of_plan(plan_id)
    ]


async def withdraw_invitation(
    actor: Actor, plan_id: uuid.UUID, invitation_id: uuid.UUID
) -> consent_schemas.InvitationRead:
    _, facts = await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    # What an invitation offers never changes: decide on it before taking the write lock.
    scope = await invitation_repository.invitation_scope(invitation_id, plan_id)
    if scope is None:
        raise not_found("invitation")
    offered = Grantable(sections=frozenset(scope.sections), access=scope.access)
    if not decide_share(actor, facts, offered).allowed:
        problem = withdraw_refusal(offered)
        await checks.refuse(
            actor, facts, "invitation_refused", scope.sections, str(invitation_id), problem
        )
    async with sql.transaction():
        row = await invitation_repository.invitation(invitation_id, plan_id)
        if row is None:
            raise not_found("invitation")
        if invitation_status(row, clock.now()) != "open":
            raise Conflict(
                "Invitation no longer open",
                "This invitation was already accepted, withdrawn or has expired, so there is "
                "nothing to withdraw. To stop sharing, stop the sharing it gave.",
            )
        await invitation_repository.mark_invitation_withdrawn(
            invitation_id, actor.user_id, clock.now()
        )
        await access_log.record(
            actor, facts, "invitation_withdrawn", (), str(invitation_id), always=True
        )
    return await _read(invitation_id)


async def _invitation_by_token(token: str) -> invitation_repository.InvitationAtToken:
    if not token or len(token) > 128:
        raise not_found("invitation")
    found = await invitation_repository.invitation_by_token_hash(_hash(token))
    if found is None:
        raise not_found("invitation")
    return found


async def read_offer(token: str) -> consent_schemas.InvitationOffer:
    """What the invitation offers, for whoever holds the link (nothing of the plan's content)."""
    found = await _invitation_by_token(token)
    return consent_schemas.InvitationOffer(
        plan_id=found.plan_id,
        owner_name=found.owner_name,
        sections=found.sections,
        access=found.access,
        purpose=found.purpose,
        grant_expires_at=found.grant_expires_at,
        expires_at=found.expires_at,
        status=invitation_status(found, clock.now()),
        for_email=found.email,
    )


_CLOSED_INVITATION = {
    "accepted": "This invitation has been used already. Each invitation works once: ask the "
    "person who sent it for a new one.",
    "withdrawn": "This invitation was withdrawn by the person who sent it. Ask them for a new "
    "one if you still need it.",
    "expired": "This invitation has expired. Ask the person who sent it for a new one.",
}


async def accept_invitation(actor: Actor, token: str) -> consent_schemas.InvitationAccepted:
    """Turn an open invitation into a grant for the signed-in actor, once."""
    found = await _invitation_by_token(token)
    status = invitation_status(found, clock.now())
    if status != "open":
        raise Gone("Invitation cannot be used", _CLOSED_INVITATION[status])
    if found.email and found.email != actor.email.lower():
        raise Forbidden(
            "Invitation is for someone else",
            "This invitation was sent to a different email address. Sign in with the "
            "account for that address, or ask for an invitation to your own.",
        )
    if found.plan_person_id == actor.person_id:
        raise Invalid(
            "This is your own plan",
            "You cannot accept an invitation to your own plan: you can already see and "
            "change all of it. Send the link to the person you want to help you.",
        )
    facts = PlanAccessFacts(plan_id=found.plan_id, person_id=found.plan_person_id)
    await _check_sender_may_still_give(actor, facts, found)
    # A grant of its own for each accepted invitation: each keeps the purpose and the end the
    # person chose for it, and the decision takes the union of what someone holds.
    grant = grant_repository.GrantValues(
        grant_id=uuid.uuid4(),
        plan_id=facts.plan_id,
        grantee_user_id=actor.user_id,
        grantee_organisation_id=None,
        sections=found.sections,
        access=found.access,
        purpose=found.purpose,
        expires_at=found.grant_expires_at,
        status="active",
        reason="Invitation accepted",
        invitation_id=found.id,
    )
    now = clock.now()
    async with sql.transaction():
        # Marking it used and checking that nobody else did in between is one statement.
        if not await invitation_repository.claim_invitation(found.id, actor.user_id, now):
            raise Gone("Invitation cannot be used", _CLOSED_INVITATION["accepted"])
        await grant_repository.add_grant(grant, actor.user_id, now)
        await access_log.record(actor, facts, "invitation_accepted", found.sections, str(found.id))
    versions = await grant_repository.grant_versions(facts.plan_id, grant.grant_id)
    return consent_schemas.InvitationAccepted(
        plan_id=facts.plan_id, grant=consent_grants.grant_read(versions[-1])
    )


async def _check_sender_may_still_give(
    actor: Actor, facts: PlanAccessFacts, invitation: invitation_repository.InvitationAtToken
) -> None:
    """An invitation gives no more than its sender may give when it is used: a representative's
    invitation is decided again, as a grant from them to whoever accepts it."""
    account = await access_repository.account_by_id(invitation.made_by)
    if account is None:
        raise not_found("invitation")
    sender = Actor(
        user_id=account.id,
        person_id=account.person_id,
        display_name=account.display_name,
        email=account.email,
    )
    plan = consent_access.PlanRef(
        id=facts.plan_id,
        person_id=facts.person_id,
        state=invitation.plan_state,
        signing_off_organisation_id=None,
    )
    offered = Grantable(
        sections=frozenset(invitation.sections),
        access=invitation.access,
        grantee_user_id=actor.user_id,
    )
    decision = decide_share(sender, await consent_access.facts_for(sender, plan), offered)
    if decision.allowed:
        return
    await checks.refuse(
        actor,
        facts,
        "acceptance_refused",
        invitation.sections,
        str(invitation.id),
        acceptance_refusal(decision, offered),
    )
