"""Sharing a plan: grants, invitations, representatives, and the log of who looked.

The facts `policy.decide` needs are loaded here for each request, so a grant revoked a moment
ago counts for nothing on the very next request. Consent records are never deleted: a change
or a revocation is a new row, and the row before it stops being `current`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec
from msgspec import UNSET

from portal.accounts.tables import Organisation, UserAccount
from portal.consent import schemas as consent_schemas
from portal.consent.policy import (
    AUTHORITY_LABELS,
    Access,
    Authority,
    Grantable,
    GrantFact,
    Permission,
    PlanAccessFacts,
    Power,
    RepresentationFact,
    RepresentativeScope,
    decide,
    decide_end_representative,
    decide_grant_change,
    decide_representative,
    decide_share,
    is_owner,
    scope_beyond_authority,
    visible_sections,
)
from portal.consent.refusals import (
    acceptance_refusal,
    grant_change_refusal,
    representative_refusal,
    share_refusal,
    withdraw_refusal,
)
from portal.consent.tables import AccessEvent, Invitation, PlanGrant, Representative
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Gone,
    Invalid,
    not_found,
)
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.core.values import as_uuid, aware
from portal.db import write_transaction

INVITATION_PATH = "/invitations/"


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _keys(text: str) -> list[str]:
    return list(msgspec.json.decode(text or "[]", type=list[str]))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _transaction() -> Any:
    return write_transaction(PlanGrant._meta.db)


# --- the facts for a decision -------------------------------------------------------------


class PlanRef(msgspec.Struct, frozen=True):
    """A plan as the decision sees it."""

    id: uuid.UUID
    person_id: uuid.UUID
    state: str
    signing_off_organisation_id: uuid.UUID | None
    has_agreed_version: bool = False


def plan_ref(row: dict[str, Any]) -> PlanRef:
    org = row.get("signing_off_organisation")
    return PlanRef(
        id=as_uuid(row["id"]),
        person_id=as_uuid(row["person"]),
        state=row["state"],
        signing_off_organisation_id=as_uuid(org) if org else None,
        has_agreed_version=row.get("agreed_version") is not None,
    )


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("{}" for _ in values)


async def facts_for_plans(actor: Actor | None, plans: list[PlanRef]) -> dict[uuid.UUID, Any]:
    """The decision's facts for each plan, in two queries however many plans there are."""
    at = clock.now()
    grants: dict[uuid.UUID, list[GrantFact]] = {plan.id: [] for plan in plans}
    reps: dict[uuid.UUID, list[RepresentationFact]] = {plan.person_id: [] for plan in plans}
    others = [plan for plan in plans if not is_owner(actor, _bare(plan))]
    if actor is not None and others:
        plan_ids = [plan.id for plan in others]
        orgs = sorted(actor.organisation_ids)
        grantee = '"grantee_user" = {}'
        if orgs:
            grantee = f'("grantee_user" = {{}} OR "grantee_organisation" IN ({_marks(orgs)}))'
        grant_rows = await PlanGrant.raw(
            'SELECT "plan", "grant_id", "sections", "access", "expires_at" FROM "plan_grant"'  # noqa: S608
            f' WHERE "plan" IN ({_marks(plan_ids)}) AND "current" = {{}} AND "status" = {{}}'
            f" AND {grantee}",
            *plan_ids,
            True,
            "active",
            actor.user_id,
            *orgs,
        )
        for row in grant_rows:
            grants[as_uuid(row["plan"])].append(
                GrantFact(
                    grant_id=as_uuid(row["grant_id"]),
                    sections=frozenset(_keys(row["sections"])),
                    access=Access(row["access"]),
                    expires_at=aware(row["expires_at"]),
                )
            )
        person_ids = sorted({plan.person_id for plan in others})
        rep_rows = await Representative.raw(
            'SELECT "person", "record_id", "authority", "sections", "powers"'  # noqa: S608
            f' FROM "representative" WHERE "person" IN ({_marks(person_ids)})'
            ' AND "user" = {} AND "current" = {} AND "status" = {}',
            *person_ids,
            actor.user_id,
            True,
            "active",
        )
        for row in rep_rows:
            reps[as_uuid(row["person"])].append(
                RepresentationFact(
                    record_id=as_uuid(row["record_id"]),
                    authority=Authority(row["authority"]),
                    sections=frozenset(_keys(row["sections"])),
                    powers=frozenset(Power(p) for p in _keys(row["powers"])),
                )
            )
    return {
        plan.id: PlanAccessFacts(
            plan_id=plan.id,
            person_id=plan.person_id,
            state=plan.state,
            signing_off_organisation_id=plan.signing_off_organisation_id,
            has_agreed_version=plan.has_agreed_version,
            grants=tuple(grants[plan.id]),
            representations=tuple(reps[plan.person_id]),
            at=at,
        )
        for plan in plans
    }


def _bare(plan: PlanRef) -> PlanAccessFacts:
    return PlanAccessFacts(plan_id=plan.id, person_id=plan.person_id)


async def facts_for(actor: Actor | None, plan: PlanRef) -> PlanAccessFacts:
    facts: PlanAccessFacts = (await facts_for_plans(actor, [plan]))[plan.id]
    return facts


async def plans_shared_with(actor: Actor) -> list[uuid.UUID]:
    """Plans that are not the actor's own but that a grant, a representation or a submission
    to their organisation may open to them; the decision has the last word on each."""
    orgs = sorted(actor.organisation_ids)
    grantee = '"grantee_user" = {}'
    if orgs:
        grantee = f'("grantee_user" = {{}} OR "grantee_organisation" IN ({_marks(orgs)}))'
    granted = await PlanGrant.raw(
        f'SELECT DISTINCT "plan" FROM "plan_grant" WHERE "current" = {{}} AND "status" = {{}}'  # noqa: S608
        f" AND {grantee}",
        True,
        "active",
        actor.user_id,
        *orgs,
    )
    represented = await PlanGrant.raw(
        'SELECT p."id" AS "plan" FROM "plan" p JOIN "representative" r ON r."person" = p."person"'
        ' WHERE r."user" = {} AND r."current" = {} AND r."status" = {}',
        actor.user_id,
        True,
        "active",
    )
    submitted: list[dict[str, Any]] = []
    if orgs:
        submitted = await PlanGrant.raw(
            'SELECT "id" AS "plan" FROM "plan"'  # noqa: S608
            f' WHERE "signing_off_organisation" IN ({_marks(orgs)})',
            *orgs,
        )
    found = {as_uuid(row["plan"]) for row in [*granted, *represented, *submitted]}
    return sorted(found)


async def plan_access(
    actor: Actor | None, plan_id: uuid.UUID, permission: Permission
) -> tuple[dict[str, Any], PlanAccessFacts]:
    """The plan's row and the facts, if the actor may do this; 404 when they may not know it."""
    rows = await PlanGrant.raw('SELECT * FROM "plan" WHERE "id" = {}', plan_id)
    if not rows:
        raise not_found("plan")
    row = rows[0]
    facts = await facts_for(actor, plan_ref(row))
    if not decide(actor, Permission.PLAN_VIEW, facts):
        if actor is not None:
            await record(actor, facts, "refused")
        raise not_found("plan")
    if not decide(actor, permission, facts):
        raise Forbidden("Not allowed", _NOT_ALLOWED.get(permission, _NOT_ALLOWED_PLAN))
    return row, facts


_NOT_ALLOWED_PLAN = "You can read this plan but not change it."
_NOT_ALLOWED = {
    Permission.PLAN_SHARE: "Only the person whose plan this is, or someone who speaks for them, "
    "can choose who sees it.",
    Permission.PLAN_ACCESS_LOG: "Only the person whose plan this is, or someone who speaks for "
    "them, can see who has looked at it.",
    Permission.PLAN_WITHDRAW_CONSENT: "Only the person whose plan this is, or someone who speaks "
    "for them with the power to share it, can withdraw consent to share it for sign-off.",
}


# --- the access log -----------------------------------------------------------------------

EVENT_WORDS = {
    "read": "Read",
    "edit": "Changed",
    "refused": "Tried to open, but it is not shared with them",
    "export": "Downloaded or printed",
    "grant_given": "Shared",
    "grant_changed": "Changed what is shared",
    "grant_revoked": "Stopped sharing",
    "invitation_sent": "Invited someone to help",
    "invitation_accepted": "Accepted an invitation",
    "invitation_withdrawn": "Withdrew an invitation",
    "representative_recorded": "Recorded someone who speaks for the person",
    "representative_ended": "Ended a record of someone who speaks for the person",
    "submitted": "Submitted the plan for sign-off, sharing these sections with the organisation",
    "grant_refused": "Tried to share more than they may, and was stopped: nothing changed",
    "invitation_refused": "Tried to invite someone to more than they may, and was stopped",
    "acceptance_refused": "Tried to accept an invitation its sender may no longer give",
    "representative_refused": "Tried to change who speaks for the person without the "
    "authority to, and was stopped",
    "consent_withdrawn": "Withdrew consent to share the plan for sign-off: the organisation no "
    "longer sees these sections",
    "review_requested": "Asked for a review of the plan",
    "comment": "Commented on",
    "comment_refused": "Tried to comment, but may only read",
    "input_refused": "Sent a change the portal could not use, and was stopped: nothing changed",
}


async def record(
    actor: Actor | None,
    facts: PlanAccessFacts,
    event: str,
    sections: Iterable[str] = (),
    subject: str = "",
    *,
    always: bool = False,
) -> None:
    """Write one line of "who has looked at my plan"; the person's own reads are not listed."""
    if not always and is_owner(actor, facts):
        return
    await AccessEvent.insert(
        AccessEvent(
            plan=facts.plan_id,
            actor_user=actor.user_id if actor else None,
            actor_name=(actor.display_name if actor else "")[:200],
            event=event,
            sections=_json(list(sections)),
            subject=subject[:80],
            at=clock.now(),
        )
    )


async def record_refused_input(actor: Actor, plan_id: uuid.UUID, route: str) -> None:
    """A change to the plan refused for its input before any rule ran: the attempt goes in the
    access log (the route only, never what was sent), if the actor may know the plan exists."""
    try:
        _, facts = await plan_access(actor, plan_id, Permission.PLAN_VIEW)
    except DomainError:
        return
    await record(actor, facts, "input_refused", (), route.rsplit("/", 1)[-1])


async def access_log(
    actor: Actor, plan_id: uuid.UUID, limit: int = 500
) -> list[consent_schemas.AccessEventRead]:
    """Who read, changed, exported or shared the plan, newest first."""
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_ACCESS_LOG)
    rows = await AccessEvent.raw(
        'SELECT "at", "actor_name", "event", "sections", "subject" FROM "access_event"'
        ' WHERE "plan" = {} ORDER BY "at" DESC LIMIT {}',
        facts.plan_id,
        limit,
    )
    return [
        consent_schemas.AccessEventRead(
            at=aware(row["at"]),
            who=row["actor_name"] or "Someone not signed in",
            event=row["event"],
            description=EVENT_WORDS.get(row["event"], row["event"]),
            sections=_keys(row["sections"]),
            subject=row["subject"],
        )
        for row in rows
    ]


# --- checking what is asked for -----------------------------------------------------------


def _check_sections(sections: list[str], field: str = "sections") -> list[str]:
    unknown = [key for key in sections if key not in SECTION_KEYS]
    if unknown:
        raise Invalid(
            "No such section",
            f"'{unknown[0][:40]}' is not a section of a plan. Choose from: "
            f"{', '.join(SECTION_KEYS)}.",
            errors=[FieldError(field, "Choose sections of the plan")],
        )
    if not sections:
        raise Invalid(
            "No sections chosen",
            "Choose at least one section to share.",
            errors=[FieldError(field, "Choose at least one section")],
        )
    return [key for key in SECTION_KEYS if key in set(sections)]


def _check_expiry(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if value <= clock.now():
        raise Invalid(
            "Date in the past",
            "The date it ends must be in the future. Choose a later date, or leave it empty "
            "to share until you stop it.",
            errors=[FieldError(field, "Choose a date in the future")],
        )
    return value


def _check_purpose(purpose: str) -> str:
    purpose = purpose.strip()
    if not purpose:
        raise Invalid(
            "Purpose missing",
            "Say what the sharing is for, for example 'to help me write my plan'.",
            errors=[FieldError("purpose", "Say what it is for")],
        )
    return purpose


async def _user_by_email(email: str, field: str) -> dict[str, Any]:
    rows = await UserAccount.raw(
        'SELECT u."id", u."email", u."person", p."display_name" FROM "user_account" u'
        ' JOIN "person" p ON p."id" = u."person"'
        ' WHERE u."email" = {} AND u."is_active" = {}',
        email.strip().lower(),
        True,
    )
    if not rows:
        raise Invalid(
            "No account with this email address",
            "Nobody has an account with this email address. Check it, or send them an "
            "invitation instead, so they can create an account.",
            errors=[FieldError(field, "No account uses this email address")],
        )
    return dict(rows[0])


def _not_to_yourself(facts: PlanAccessFacts, person_id: Any, field: str) -> None:
    if as_uuid(person_id) == facts.person_id:
        raise Invalid(
            "This is the person's own plan",
            "The person whose plan this is can already see and change all of it. "
            "Choose somebody else.",
            errors=[FieldError(field, "Choose somebody else")],
        )


# --- refusing what someone may not give (the words are in refusals.py) ----------------------


async def _refuse(
    actor: Actor,
    facts: PlanAccessFacts,
    event: str,
    sections: Iterable[str],
    subject: str,
    problem: DomainError,
) -> None:
    """Nothing is saved but the attempt: the person sees it in who has looked at their plan."""
    await record(actor, facts, event, sections, subject, always=True)
    raise problem


def _grantable(row: dict[str, Any]) -> Grantable:
    grantee_user = row.get("grantee_user")
    grantee_org = row.get("grantee_organisation")
    return Grantable(
        sections=frozenset(_keys(row["sections"])),
        access=Access(row["access"]),
        grantee_user_id=as_uuid(grantee_user) if grantee_user else None,
        grantee_organisation_id=as_uuid(grantee_org) if grantee_org else None,
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


# --- grants -------------------------------------------------------------------------------

_GRANT_SQL = (
    'SELECT g.*, pm."display_name" AS made_by_name, gp."display_name" AS grantee_name,'
    ' gu."email" AS grantee_email, o."name" AS organisation_name'
    ' FROM "plan_grant" g'
    ' JOIN "user_account" mu ON mu."id" = g."made_by"'
    ' JOIN "person" pm ON pm."id" = mu."person"'
    ' LEFT JOIN "user_account" gu ON gu."id" = g."grantee_user"'
    ' LEFT JOIN "person" gp ON gp."id" = gu."person"'
    ' LEFT JOIN "organisation" o ON o."id" = g."grantee_organisation"'
)


def _grant_read(row: dict[str, Any], version: int) -> consent_schemas.GrantRead:
    expires = aware(row["expires_at"])
    status = row["status"]
    if status == "active" and expires is not None and expires <= clock.now():
        status = "expired"
    if row["grantee_user"]:
        grantee = consent_schemas.Grantee(
            kind="user",
            id=as_uuid(row["grantee_user"]),
            name=row["grantee_name"] or "",
            email=row["grantee_email"],
        )
    else:
        grantee = consent_schemas.Grantee(
            kind="organisation",
            id=as_uuid(row["grantee_organisation"]),
            name=row["organisation_name"] or "",
        )
    return consent_schemas.GrantRead(
        id=as_uuid(row["grant_id"]),
        version=version,
        grantee=grantee,
        sections=_keys(row["sections"]),
        access=Access(row["access"]),
        purpose=row["purpose"],
        expires_at=expires,
        status=status,
        reason=row["reason"],
        made_by_name=row["made_by_name"],
        made_at=aware(row["made_at"]),
        invitation_id=as_uuid(row["invitation"]) if row["invitation"] else None,
    )


async def _grant_rows(plan_id: uuid.UUID, grant_id: uuid.UUID | None = None) -> list[Any]:
    where = ' WHERE g."plan" = {}'
    args: list[Any] = [plan_id]
    if grant_id is not None:
        where += ' AND g."grant_id" = {}'
        args.append(grant_id)
    rows: list[Any] = await PlanGrant.raw(_GRANT_SQL + where + ' ORDER BY g."made_at"', *args)
    return rows


def _versions(rows: list[Any]) -> list[tuple[dict[str, Any], int]]:
    """Each row with its version number within its grant, oldest first."""
    seen: dict[Any, int] = {}
    out = []
    for row in rows:
        key = str(row["grant_id"])
        seen[key] = seen.get(key, 0) + 1
        out.append((row, seen[key]))
    return out


async def list_grants(actor: Actor, plan_id: uuid.UUID) -> list[consent_schemas.GrantRead]:
    """Every grant on the plan as it stands now, newest first, revoked and expired included."""
    await plan_access(actor, plan_id, Permission.PLAN_SHARE)
    rows = _versions(await _grant_rows(plan_id))
    current = [_grant_read(row, version) for row, version in rows if row["current"]]
    return sorted(current, key=lambda grant: grant.made_at, reverse=True)


async def grant_history(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID
) -> list[consent_schemas.GrantRead]:
    """Every version of one grant, newest first: who gave, changed or revoked it, when, why."""
    await plan_access(actor, plan_id, Permission.PLAN_SHARE)
    rows = _versions(await _grant_rows(plan_id, grant_id))
    if not rows:
        raise not_found("grant")
    return [_grant_read(row, version) for row, version in reversed(rows)]


async def read_grant(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID
) -> consent_schemas.GrantRead:
    return (await grant_history(actor, plan_id, grant_id))[0]


async def give_grant(
    actor: Actor, plan_id: uuid.UUID, data: consent_schemas.GrantCreate
) -> consent_schemas.GrantRead:
    """Share sections with a person's account or an organisation."""
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_SHARE)
    sections = _check_sections(data.sections)
    purpose = _check_purpose(data.purpose)
    expires = _check_expiry(data.expires_at, "expires_at")
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
        user = await _user_by_email(data.grantee_email, "grantee_email")
        _not_to_yourself(facts, user["person"], "grantee_email")
        grantee_user = as_uuid(user["id"])
    else:
        grantee_org = data.grantee_organisation_id
        if not await Organisation.exists().where(Organisation.id == grantee_org):
            raise Invalid(
                "No such organisation",
                "There is no organisation with this id. Check it and try again.",
                errors=[FieldError("grantee_organisation_id", "Choose an organisation")],
            )
    decision = decide_share(
        actor,
        facts,
        Grantable(
            sections=frozenset(sections),
            access=data.access,
            grantee_user_id=grantee_user,
            grantee_organisation_id=grantee_org,
        ),
    )
    if not decision.allowed:
        who = "grantee_email" if grantee_user else "grantee_organisation_id"
        await _refuse(
            actor, facts, "grant_refused", sections, "", share_refusal(decision, "share", who)
        )
    grant_id = uuid.uuid4()
    async with _transaction():
        existing = await PlanGrant.raw(
            'SELECT "grant_id" FROM "plan_grant" WHERE "plan" = {} AND "current" = {}'
            ' AND "status" = {} AND ("grantee_user" = {} OR "grantee_organisation" = {})',
            plan_id,
            True,
            "active",
            grantee_user,
            grantee_org,
        )
        if existing:
            raise Conflict(
                "Already shared with them",
                "This plan is already shared with them. Change that sharing instead of "
                "adding another.",
                grant_id=str(existing[0]["grant_id"]),
            )
        await PlanGrant.insert(
            PlanGrant(
                grant_id=grant_id,
                plan=plan_id,
                grantee_user=grantee_user,
                grantee_organisation=grantee_org,
                sections=_json(sections),
                access=str(data.access),
                purpose=purpose,
                expires_at=expires,
                status="active",
                current=True,
                reason=data.reason.strip(),
                made_by=actor.user_id,
                made_at=clock.now(),
            )
        )
        await record(actor, facts, "grant_given", sections, str(grant_id), always=True)
    return await read_grant(actor, plan_id, grant_id)


async def _new_grant_version(
    actor: Actor,
    facts: PlanAccessFacts,
    grant_id: uuid.UUID,
    changes: dict[str, Any],
    event: str,
) -> None:
    """Add the next version of a grant and retire the one before it, in one transaction."""
    async with _transaction():
        rows = await PlanGrant.raw(
            'SELECT * FROM "plan_grant" WHERE "plan" = {} AND "grant_id" = {} AND "current" = {}',
            facts.plan_id,
            grant_id,
            True,
        )
        if not rows:
            raise not_found("grant")
        old = dict(rows[0])
        if old["status"] == "revoked":
            raise Conflict(
                "Sharing already stopped",
                "This sharing was stopped already. Share again to give access back.",
            )
        values = {
            name: old[name]
            for name in (
                "grant_id",
                "plan",
                "grantee_user",
                "grantee_organisation",
                "sections",
                "access",
                "purpose",
                "expires_at",
                "status",
                "invitation",
            )
        }
        values.update(changes)
        # Decided on the grant as it stands in this transaction, so nobody changes it between.
        decision = decide_grant_change(actor, facts, _grantable(old), _grantable(values))
        if decision.allowed:
            await PlanGrant.update({PlanGrant.current: False}).where(PlanGrant.id == old["id"])
            await PlanGrant.insert(
                PlanGrant(**values, current=True, made_by=actor.user_id, made_at=clock.now())
            )
            await record(actor, facts, event, _keys(values["sections"]), str(grant_id), always=True)
    if not decision.allowed:
        await _refuse(
            actor,
            facts,
            "grant_refused",
            _keys(values["sections"]),
            str(grant_id),
            grant_change_refusal(
                decision,
                _grantable(old),
                holds_current=decide_share(actor, facts, _grantable(old)).allowed,
            ),
        )


async def change_grant(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID, data: consent_schemas.GrantUpdate
) -> consent_schemas.GrantRead:
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_SHARE)
    changes: dict[str, Any] = {"reason": data.reason.strip()}
    if data.sections is not UNSET:
        changes["sections"] = _json(_check_sections(data.sections))
    if data.access is not UNSET:
        changes["access"] = str(data.access)
    if data.purpose is not UNSET:
        changes["purpose"] = _check_purpose(data.purpose)
    if data.expires_at is not UNSET:
        changes["expires_at"] = _check_expiry(data.expires_at, "expires_at")
    await _new_grant_version(actor, facts, grant_id, changes, "grant_changed")
    return await read_grant(actor, plan_id, grant_id)


async def revoke_grant(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID, reason: str = ""
) -> consent_schemas.GrantRead:
    """Stop sharing: takes effect on the grantee's very next request."""
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_SHARE)
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
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_SHARE)
    grant = await read_grant(actor, plan_id, grant_id)
    rows = _versions(await _grant_rows(plan_id))
    current = [_grant_read(row, version) for row, version in rows if row["current"]]
    if grant.grantee.kind == "user":
        orgs = await _organisations_of(grant.grantee.id)
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


async def _organisations_of(user_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await PlanGrant.raw(
        'SELECT "organisation" FROM "staff_role" WHERE "user" = {} AND "ended_at" IS NULL',
        user_id,
    )
    return {as_uuid(row["organisation"]) for row in rows}


# --- invitations --------------------------------------------------------------------------

_INVITATION_SQL = (
    'SELECT i.*, pm."display_name" AS made_by_name, pa."display_name" AS accepted_by_name'
    ' FROM "invitation" i'
    ' JOIN "user_account" mu ON mu."id" = i."made_by"'
    ' JOIN "person" pm ON pm."id" = mu."person"'
    ' LEFT JOIN "user_account" au ON au."id" = i."accepted_by"'
    ' LEFT JOIN "person" pa ON pa."id" = au."person"'
)


def _invitation_status(row: dict[str, Any]) -> str:
    if row["accepted_at"] is not None:
        return "accepted"
    if row["withdrawn_at"] is not None:
        return "withdrawn"
    if aware(row["expires_at"]) <= clock.now():
        return "expired"
    return "open"


def _invitation_read(row: dict[str, Any]) -> consent_schemas.InvitationRead:
    return consent_schemas.InvitationRead(
        id=as_uuid(row["id"]),
        email=row["email"],
        sections=_keys(row["sections"]),
        access=Access(row["access"]),
        purpose=row["purpose"],
        grant_expires_at=aware(row["grant_expires_at"]),
        expires_at=aware(row["expires_at"]),
        status=_invitation_status(row),
        made_by_name=row["made_by_name"],
        made_at=aware(row["made_at"]),
        accepted_by_name=row["accepted_by_name"],
        accepted_at=aware(row["accepted_at"]),
    )


async def invite(
    actor: Actor, plan_id: uuid.UUID, data: consent_schemas.InvitationCreate
) -> consent_schemas.InvitationCreated:
    """Make a one-time invitation; the link is shown once and only its hash is kept."""
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_SHARE)
    sections = _check_sections(data.sections)
    purpose = _check_purpose(data.purpose)
    grant_expires = _check_expiry(data.grant_expires_at, "grant_expires_at")
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
            _not_to_yourself(facts, facts.person_id, "email")
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
        await _refuse(actor, facts, "invitation_refused", sections, "", problem)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    invitation_id = uuid.uuid4()
    async with _transaction():
        await Invitation.insert(
            Invitation(
                id=invitation_id,
                plan=plan_id,
                token_hash=_hash(token),
                email=email,
                sections=_json(sections),
                access=str(data.access),
                purpose=purpose,
                grant_expires_at=grant_expires,
                expires_at=now + dt.timedelta(days=data.valid_days),
                made_by=actor.user_id,
                made_at=now,
            )
        )
        await record(actor, facts, "invitation_sent", sections, str(invitation_id), always=True)
    rows = await Invitation.raw(_INVITATION_SQL + ' WHERE i."id" = {}', invitation_id)
    return consent_schemas.InvitationCreated(
        invitation=_invitation_read(rows[0]), token=token, path=f"{INVITATION_PATH}{token}"
    )


async def list_invitations(
    actor: Actor, plan_id: uuid.UUID
) -> list[consent_schemas.InvitationRead]:
    await plan_access(actor, plan_id, Permission.PLAN_SHARE)
    rows = await Invitation.raw(
        _INVITATION_SQL + ' WHERE i."plan" = {} ORDER BY i."made_at" DESC', plan_id
    )
    return [_invitation_read(row) for row in rows]


async def withdraw_invitation(
    actor: Actor, plan_id: uuid.UUID, invitation_id: uuid.UUID
) -> consent_schemas.InvitationRead:
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_SHARE)
    # What an invitation offers never changes: decide on it before taking the write lock.
    offers = await Invitation.raw(
        'SELECT "sections", "access" FROM "invitation" WHERE "id" = {} AND "plan" = {}',
        invitation_id,
        plan_id,
    )
    if not offers:
        raise not_found("invitation")
    sections = _keys(offers[0]["sections"])
    offered = Grantable(sections=frozenset(sections), access=Access(offers[0]["access"]))
    if not decide_share(actor, facts, offered).allowed:
        problem = withdraw_refusal(offered)
        await _refuse(actor, facts, "invitation_refused", sections, str(invitation_id), problem)
    async with _transaction():
        rows = await Invitation.raw(
            _INVITATION_SQL + ' WHERE i."id" = {} AND i."plan" = {}', invitation_id, plan_id
        )
        if not rows:
            raise not_found("invitation")
        if _invitation_status(rows[0]) != "open":
            raise Conflict(
                "Invitation no longer open",
                "This invitation was already accepted, withdrawn or has expired, so there is "
                "nothing to withdraw. To stop sharing, stop the sharing it gave.",
            )
        await Invitation.update(
            {Invitation.withdrawn_at: clock.now(), Invitation.withdrawn_by: actor.user_id}
        ).where(Invitation.id == invitation_id)
        await record(actor, facts, "invitation_withdrawn", (), str(invitation_id), always=True)
    rows = await Invitation.raw(_INVITATION_SQL + ' WHERE i."id" = {}', invitation_id)
    return _invitation_read(rows[0])


async def _invitation_by_token(token: str) -> dict[str, Any]:
    if not token or len(token) > 128:
        raise not_found("invitation")
    rows = await Invitation.raw(
        'SELECT i.*, p."person" AS plan_person, p."state" AS plan_state,'
        ' p."signing_off_organisation" AS plan_org, op."display_name" AS owner_name'
        ' FROM "invitation" i JOIN "plan" p ON p."id" = i."plan"'
        ' JOIN "person" op ON op."id" = p."person"'
        ' WHERE i."token_hash" = {}',
        _hash(token),
    )
    if not rows:
        raise not_found("invitation")
    return dict(rows[0])


async def read_offer(token: str) -> consent_schemas.InvitationOffer:
    """What the invitation offers, for whoever holds the link (nothing of the plan's content)."""
    row = await _invitation_by_token(token)
    return consent_schemas.InvitationOffer(
        plan_id=as_uuid(row["plan"]),
        owner_name=row["owner_name"],
        sections=_keys(row["sections"]),
        access=Access(row["access"]),
        purpose=row["purpose"],
        grant_expires_at=aware(row["grant_expires_at"]),
        expires_at=aware(row["expires_at"]),
        status=_invitation_status(row),
        for_email=row["email"],
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
    row = await _invitation_by_token(token)
    status = _invitation_status(row)
    if status != "open":
        raise Gone("Invitation cannot be used", _CLOSED_INVITATION[status])
    if row["email"] and row["email"] != actor.email.lower():
        raise Forbidden(
            "Invitation is for someone else",
            "This invitation was sent to a different email address. Sign in with the "
            "account for that address, or ask for an invitation to your own.",
        )
    if as_uuid(row["plan_person"]) == actor.person_id:
        raise Invalid(
            "This is your own plan",
            "You cannot accept an invitation to your own plan: you can already see and "
            "change all of it. Send the link to the person you want to help you.",
        )
    facts = PlanAccessFacts(plan_id=as_uuid(row["plan"]), person_id=as_uuid(row["plan_person"]))
    await _check_sender_may_still_give(actor, facts, row)
    grant_id = uuid.uuid4()
    now = clock.now()
    async with _transaction():
        # Marking it used and checking that nobody else did in between is one statement.
        claimed = await Invitation.raw(
            'UPDATE "invitation" SET "accepted_at" = {}, "accepted_by" = {}'
            ' WHERE "id" = {} AND "accepted_at" IS NULL AND "withdrawn_at" IS NULL'
            ' RETURNING "id"',
            now,
            actor.user_id,
            row["id"],
        )
        if not claimed:
            raise Gone("Invitation cannot be used", _CLOSED_INVITATION["accepted"])
        await _grant_from_invitation(actor, facts, row, grant_id, now)
        await record(actor, facts, "invitation_accepted", _keys(row["sections"]), str(row["id"]))
    grants = _versions(await _grant_rows(facts.plan_id, grant_id))
    return consent_schemas.InvitationAccepted(plan_id=facts.plan_id, grant=_grant_read(*grants[-1]))


async def _check_sender_may_still_give(
    actor: Actor, facts: PlanAccessFacts, invitation: dict[str, Any]
) -> None:
    """An invitation gives no more than its sender may give when it is used: a representative's
    invitation is decided again, as a grant from them to whoever accepts it."""
    senders = await UserAccount.raw(
        'SELECT u."id", u."email", u."person", p."display_name" FROM "user_account" u'
        ' JOIN "person" p ON p."id" = u."person" WHERE u."id" = {}',
        invitation["made_by"],
    )
    sender = Actor(
        user_id=as_uuid(senders[0]["id"]),
        person_id=as_uuid(senders[0]["person"]),
        display_name=senders[0]["display_name"],
        email=senders[0]["email"],
    )
    plan = PlanRef(
        id=facts.plan_id,
        person_id=facts.person_id,
        state=invitation["plan_state"],
        signing_off_organisation_id=None,
    )
    offered = Grantable(
        sections=frozenset(_keys(invitation["sections"])),
        access=Access(invitation["access"]),
        grantee_user_id=actor.user_id,
    )
    decision = decide_share(sender, await facts_for(sender, plan), offered)
    if decision.allowed:
        return
    await _refuse(
        actor,
        facts,
        "acceptance_refused",
        _keys(invitation["sections"]),
        str(invitation["id"]),
        acceptance_refusal(decision, offered),
    )


async def _grant_from_invitation(
    actor: Actor, facts: PlanAccessFacts, invitation: dict[str, Any], grant_id: uuid.UUID, now: Any
) -> None:
    """A grant of its own for each accepted invitation: each keeps the purpose and the end the
    person chose for it, and the decision takes the union of what someone holds."""
    await PlanGrant.insert(
        PlanGrant(
            grant_id=grant_id,
            plan=facts.plan_id,
            grantee_user=actor.user_id,
            sections=invitation["sections"],
            access=invitation["access"],
            purpose=invitation["purpose"],
            expires_at=aware(invitation["grant_expires_at"]),
            status="active",
            current=True,
            reason="Invitation accepted",
            made_by=actor.user_id,
            made_at=now,
            invitation=as_uuid(invitation["id"]),
        )
    )


# --- representatives ----------------------------------------------------------------------

_REP_SQL = (
    'SELECT r.*, pm."display_name" AS made_by_name, rp."display_name" AS name,'
    ' ru."email" AS email'
    ' FROM "representative" r'
    ' JOIN "user_account" mu ON mu."id" = r."made_by"'
    ' JOIN "person" pm ON pm."id" = mu."person"'
    ' JOIN "user_account" ru ON ru."id" = r."user"'
    ' JOIN "person" rp ON rp."id" = ru."person"'
)


def _rep_read(row: dict[str, Any], version: int) -> consent_schemas.RepresentativeRead:
    authority = Authority(row["authority"])
    return consent_schemas.RepresentativeRead(
        id=as_uuid(row["record_id"]),
        version=version,
        user_id=as_uuid(row["user"]),
        name=row["name"],
        email=row["email"],
        authority=authority,
        authority_label=AUTHORITY_LABELS[authority],
        authority_reference=row["authority_reference"],
        relationship=row["relationship"],
        sections=_keys(row["sections"]),
        powers=[Power(p) for p in _keys(row["powers"])],
        how_decisions_are_reached=row["how_decisions_are_reached"],
        status=row["status"],
        reason=row["reason"],
        made_by_name=row["made_by_name"],
        made_at=aware(row["made_at"]),
    )


async def _rep_rows(person_id: uuid.UUID, record_id: uuid.UUID | None = None) -> list[Any]:
    where = ' WHERE r."person" = {}'
    args: list[Any] = [person_id]
    if record_id is not None:
        where += ' AND r."record_id" = {}'
        args.append(record_id)
    rows: list[Any] = await Representative.raw(_REP_SQL + where + ' ORDER BY r."made_at"', *args)
    return rows


def _rep_versions(rows: list[Any]) -> list[consent_schemas.RepresentativeRead]:
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        key = str(row["record_id"])
        seen[key] = seen.get(key, 0) + 1
        out.append(_rep_read(row, seen[key]))
    return out


async def list_representatives(
    actor: Actor, plan_id: uuid.UUID, history: bool = False
) -> list[consent_schemas.RepresentativeRead]:
    """Who speaks for the person, shown with the plan to anyone who may read "About me"."""
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_VIEW)
    if not decide(actor, Permission.SECTION_VIEW, facts, "about_me"):
        raise not_found("section")
    rows = await _rep_rows(facts.person_id)
    if history:
        return list(reversed(_rep_versions(rows)))
    current_ids = {str(row["id"]) for row in rows if row["current"]}
    reads = [
        read
        for read, row in zip(_rep_versions(rows), rows, strict=True)
        if str(row["id"]) in current_ids
    ]
    return [read for read in reads if read.status == "active"]


async def record_representative(
    actor: Actor, plan_id: uuid.UUID, data: consent_schemas.RepresentativeCreate
) -> consent_schemas.RepresentativeRead:
    """Record who speaks for the person, with what authority and within what scope."""
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_SHARE)
    sections = _check_sections(data.sections)
    powers = [p for p in Power if p in set(data.powers)]
    if not powers:
        raise Invalid(
            "No powers chosen",
            "Choose what they may do: view, edit, or choose who sees the plan.",
            errors=[FieldError("powers", "Choose at least one")],
        )
    extra_sections, extra_powers = scope_beyond_authority(
        data.authority, frozenset(sections), frozenset(powers)
    )
    if extra_sections or extra_powers:
        beyond = [SECTION_TITLES[key] for key in extra_sections] + [
            f"the power to {p}" for p in extra_powers
        ]
        raise Invalid(
            "Wider than the authority",
            f"A {AUTHORITY_LABELS[data.authority].lower()} does not cover "
            f"{', '.join(beyond)}. Remove {'them' if len(beyond) > 1 else 'it'}, or record "
            "the authority that does.",
            errors=[FieldError("sections", "Choose only what the authority covers")],
        )
    user = await _user_by_email(data.email, "email")
    _not_to_yourself(facts, user["person"], "email")
    asked = RepresentativeScope(
        user_id=as_uuid(user["id"]),
        authority=data.authority,
        sections=frozenset(sections),
        powers=frozenset(powers),
    )
    decision = decide_representative(actor, facts, asked)
    if not decision.allowed:
        problem = representative_refusal(decision, recording=True)
        await _refuse(actor, facts, "representative_refused", sections, "", problem)
    record_id = uuid.uuid4()
    async with _transaction():
        existing = await Representative.raw(
            'SELECT "record_id" FROM "representative" WHERE "person" = {} AND "user" = {}'
            ' AND "current" = {} AND "status" = {} AND "authority" = {}',
            facts.person_id,
            user["id"],
            True,
            "active",
            str(data.authority),
        )
        if existing:
            raise Conflict(
                "Already recorded",
                "This person is already recorded with this authority. End that record first "
                "if it needs to change.",
            )
        await Representative.insert(
            Representative(
                record_id=record_id,
                person=facts.person_id,
                user=user["id"],
                authority=str(data.authority),
                authority_reference=data.authority_reference.strip(),
                relationship=data.relationship.strip(),
                sections=_json(sections),
                powers=_json([str(p) for p in powers]),
                how_decisions_are_reached=data.how_decisions_are_reached.strip(),
                status="active",
                current=True,
                reason=data.reason.strip(),
                made_by=actor.user_id,
                made_at=clock.now(),
            )
        )
        await record(actor, facts, "representative_recorded", sections, str(record_id), always=True)
    return _rep_versions(await _rep_rows(facts.person_id, record_id))[-1]


async def end_representative(
    actor: Actor, plan_id: uuid.UUID, record_id: uuid.UUID, reason: str = ""
) -> consent_schemas.RepresentativeRead:
    """End a record: the person, a deputy within their own record, or the representative
    stepping down (which needs no more than that they may open the plan)."""
    _, facts = await plan_access(actor, plan_id, Permission.PLAN_VIEW)
    # A record's scope never changes once made (a change is an end and a new record).
    found = await Representative.raw(
        'SELECT * FROM "representative" WHERE "person" = {} AND "record_id" = {}'
        ' AND "current" = {}',
        facts.person_id,
        record_id,
        True,
    )
    if not found:
        raise not_found("representative")
    decision = decide_end_representative(
        actor,
        facts,
        RepresentativeScope(
            user_id=as_uuid(found[0]["user"]),
            authority=Authority(found[0]["authority"]),
            sections=frozenset(_keys(found[0]["sections"])),
            powers=frozenset(Power(p) for p in _keys(found[0]["powers"])),
        ),
    )
    if not decision.allowed:
        problem = representative_refusal(decision, recording=False)
        await _refuse(actor, facts, "representative_refused", (), str(record_id), problem)
    async with _transaction():
        rows = await Representative.raw(
            'SELECT * FROM "representative" WHERE "person" = {} AND "record_id" = {}'
            ' AND "current" = {}',
            facts.person_id,
            record_id,
            True,
        )
        if not rows:
            raise not_found("representative")
        old = dict(rows[0])
        if old["status"] != "active":
            raise Conflict("Already ended", "This record was ended already.")
        await Representative.update({Representative.current: False}).where(
            Representative.id == old["id"]
        )
        values = {k: v for k, v in old.items() if k not in ("id", "made_by", "made_at")}
        values.update(status="ended", reason=reason.strip(), current=True)
        await Representative.insert(
            Representative(**values, made_by=actor.user_id, made_at=clock.now())
        )
        await record(actor, facts, "representative_ended", (), str(record_id), always=True)
    return _rep_versions(await _rep_rows(facts.person_id, record_id))[-1]


def sections_seen_by(actor: Actor | None, facts: PlanAccessFacts) -> list[str]:
    return visible_sections(actor, facts, SECTION_KEYS)
