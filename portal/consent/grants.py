"""Grants: sharing sections of a plan with a person's account or an organisation.

Consent records are never deleted: a change or a revocation is a new version, and the version
before it stops being `current`.
"""

from __future__ import annotations

import uuid

import msgspec
from msgspec import UNSET

from portal.consent import access as consent_access
from portal.consent import access_log, checks
from portal.consent import schemas as consent_schemas
from portal.consent.policy import (
    Grantable,
    GrantFact,
    Permission,
    PlanAccessFacts,
    decide_grant_change,
    decide_share,
)
from portal.consent.refusals import grant_change_refusal, share_refusal
from portal.consent.repository import access as access_repository
from portal.consent.repository import grants as grant_repository
from portal.consent.repository import sql
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, FieldError, Invalid, not_found


def grantable(grant: grant_repository.GrantValues) -> Grantable:
    return Grantable(
        sections=frozenset(grant.sections),
        access=grant.access,
        grantee_user_id=grant.grantee_user_id,
        grantee_organisation_id=grant.grantee_organisation_id,
    )


def may_manage(actor: Actor, facts: PlanAccessFacts, grant: consent_schemas.GrantRead) -> bool:
    """Whether the actor may change or stop this grant (pages offer the links only then)."""
    return decide_share(
        actor,
        facts,
        Grantable(
            sections=frozenset(grant.sections),
            access=grant.access,
            grantee_user_id=grant.grantee.id if grant.grantee.kind == "user" else None,
            grantee_organisation_id=(
                grant.grantee.id if grant.grantee.kind == "organisation" else None
            ),
        ),
    ).allowed


def grant_read(row: grant_repository.GrantRow) -> consent_schemas.GrantRead:
    status = row.status
    if status == "active" and row.expires_at is not None and row.expires_at <= clock.now():
        status = "expired"
    if row.grantee_user_id:
        grantee = consent_schemas.Grantee(
            kind="user",
            id=row.grantee_user_id,
            name=row.grantee_name or "",
            email=row.grantee_email,
        )
    else:
        assert row.grantee_organisation_id is not None
        grantee = consent_schemas.Grantee(
            kind="organisation",
            id=row.grantee_organisation_id,
            name=row.organisation_name or "",
        )
    return consent_schemas.GrantRead(
        id=row.grant_id,
        version=row.version,
        grantee=grantee,
        sections=row.sections,
        access=row.access,
        purpose=row.purpose,
        expires_at=row.expires_at,
        status=status,
        reason=row.reason,
        made_by_name=row.made_by_name,
        made_at=row.made_at,
        invitation_id=row.invitation_id,
    )


async def _current_grants(plan_id: uuid.UUID) -> list[consent_schemas.GrantRead]:
    rows = await grant_repository.grant_versions(plan_id)
    return [grant_read(row) for row in rows if row.current]


async def list_grants(actor: Actor, plan_id: uuid.UUID) -> list[consent_schemas.GrantRead]:
    """Every grant on the plan as it stands now, newest first, revoked and expired included."""
    await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    current = await _current_grants(plan_id)
    return sorted(current, key=lambda grant: grant.made_at, reverse=True)


async def grant_history(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID
) -> list[consent_schemas.GrantRead]:
    """Every version of one grant, newest first: who gave, changed or revoked it, when, why."""
    await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    rows = await grant_repository.grant_versions(plan_id, grant_id)
    if not rows:
        raise not_found("grant")
    return [grant_read(row) for row in reversed(rows)]


async def read_grant(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID
) -> consent_schemas.GrantRead:
    return (await grant_history(actor, plan_id, grant_id))[0]


async def give_grant(
    actor: Actor, plan_id: uuid.UUID, data: consent_schemas.GrantCreate
) -> consent_schemas.GrantRead:
    """Share sections with a person's account or an organisation."""
    _, facts = await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    sections, purpose, expires = checks.check_offer(
        data.sections, data.purpose, data.expires_at, "expires_at"
    )
    if (data.grantee_email is None) == (data.grantee_organisation_id is None):
        raise Invalid(
            "Who to share with",
            "Give either the email address of the person's account or an organisation, "
            "not both and not neither.",
            errors=[
                FieldError("grantee_email", "Enter an email address or choose an organisation")
            ],
        )
    grantee_user = grantee_org = None
    if data.grantee_email is not None:
        account = await checks.account_by_email(data.grantee_email, "grantee_email")
        checks.not_to_yourself(facts, account.person_id, "grantee_email")
        grantee_user = account.id
    else:
        grantee_org = data.grantee_organisation_id
        if not await access_repository.organisation_exists(grantee_org):
            raise Invalid(
                "No such organisation",
                "There is no organisation with this id. Check it and try again.",
                errors=[FieldError("grantee_organisation_id", "Choose an organisation")],
            )
    values = grant_repository.GrantValues(
        grant_id=uuid.uuid4(),
        plan_id=plan_id,
        grantee_user_id=grantee_user,
        grantee_organisation_id=grantee_org,
        sections=sections,
        access=data.access,
        purpose=purpose,
        expires_at=expires,
        status="active",
        reason=data.reason.strip(),
    )
    decision = decide_share(actor, facts, grantable(values))
    if not decision.allowed:
        who = "grantee_email" if grantee_user else "grantee_organisation_id"
        await checks.refuse(
            actor, facts, "grant_refused", sections, "", share_refusal(decision, "share", who)
        )
    async with sql.transaction():
        existing = await grant_repository.active_grant_to(plan_id, grantee_user, grantee_org)
        if existing is not None:
            raise Conflict(
                "Already shared with them",
                "This plan is already shared with them. Change that sharing instead of "
                "adding another.",
                grant_id=str(existing),
            )
        await grant_repository.add_grant(values, actor.user_id, clock.now())
        await access_log.record(
            actor, facts, "grant_given", sections, str(values.grant_id), always=True
        )
    return await read_grant(actor, plan_id, values.grant_id)


async def _new_grant_version(
    actor: Actor,
    facts: PlanAccessFacts,
    grant_id: uuid.UUID,
    changes: dict[str, object],
    event: str,
) -> None:
    """Add the next version of a grant and retire the one before it, in one transaction."""
    async with sql.transaction():
        old = await grant_repository.current_grant(facts.plan_id, grant_id)
        if old is None:
            raise not_found("grant")
        if old.status == "revoked":
            raise Conflict(
                "Sharing already stopped",
                "This sharing was stopped already. Share again to give access back.",
            )
        new = msgspec.structs.replace(old, **changes)
        # Decided on the grant as it stands in this transaction, so nobody changes it between.
        decision = decide_grant_change(actor, facts, grantable(old), grantable(new))
        if decision.allowed:
            await grant_repository.supersede_grant(old, new, actor.user_id, clock.now())
            await access_log.record(actor, facts, event, new.sections, str(grant_id), always=True)
    if not decision.allowed:
        await checks.refuse(
            actor,
            facts,
            "grant_refused",
            new.sections,
            str(grant_id),
            grant_change_refusal(
                decision,
                grantable(old),
                holds_current=decide_share(actor, facts, grantable(old)).allowed,
            ),
        )


async def change_grant(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID, data: consent_schemas.GrantUpdate
) -> consent_schemas.GrantRead:
    _, facts = await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    changes: dict[str, object] = {"reason": data.reason.strip()}
    if data.sections is not UNSET:
        changes["sections"] = checks.check_sections(data.sections)
    if data.access is not UNSET:
        changes["access"] = data.access
    if data.purpose is not UNSET:
        changes["purpose"] = checks.check_purpose(data.purpose)
    if data.expires_at is not UNSET:
        changes["expires_at"] = checks.check_expiry(data.expires_at, "expires_at")
    await _new_grant_version(actor, facts, grant_id, changes, "grant_changed")
    return await read_grant(actor, plan_id, grant_id)


async def revoke_grant(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID, reason: str = ""
) -> consent_schemas.GrantRead:
    """Stop sharing: takes effect on the grantee's very next request."""
    _, facts = await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    await _new_grant_version(
        actor, facts, grant_id, {"status": "revoked", "reason": reason.strip()}, "grant_revoked"
    )
    return await read_grant(actor, plan_id, grant_id)


async def preview_as(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID
) -> tuple[consent_schemas.Grantee, PlanAccessFacts]:
    """The facts the decision would have for this grantee: "see my plan as …".

    For a person, every grant they hold on this plan counts (their organisations' too, as it
    would for them); for an organisation, its grant alone.
    """
    _, facts = await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    grant = await read_grant(actor, plan_id, grant_id)
    current = await _current_grants(plan_id)
    if grant.grantee.kind == "user":
        orgs = await access_repository.organisations_of_staff(grant.grantee.id)
        held = [
            g
            for g in current
            if g.grantee.id == grant.grantee.id
            or (g.grantee.kind == "organisation" and g.grantee.id in orgs)
        ]
    else:
        held = [g for g in current if g.grantee.id == grant.grantee.id]
    grants = tuple(
        GrantFact(
            grant_id=g.id,
            sections=frozenset(g.sections),
            access=g.access,
            expires_at=g.expires_at,
        )
        for g in held
        if g.status == "active"
    )
    return grant.grantee, PlanAccessFacts(
        plan_id=facts.plan_id,
        person_id=facts.person_id,
        state=facts.state,
        grants=grants,
        at=clock.now(),
    )


def grantee_actor(grantee: consent_schemas.Grantee) -> Actor:
    """Someone who is not the person: the decision then rests on the grants alone."""
    return Actor(
        user_id=grantee.id,
        person_id=uuid.uuid5(grantee.id, "grantee-preview"),
        display_name=grantee.name,
        email=grantee.email or "",
    )
