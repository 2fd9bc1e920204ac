"""Invitations: an offer of a grant, found by the hash of its link, used once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from portal.consent.policy import Access
from portal.consent.repository import sql
from portal.consent.tables import Invitation
from portal.core.values import as_uuid, aware


class InvitationValues(msgspec.Struct, frozen=True, kw_only=True):
    """What an invitation offers and who made it: never changed once made."""

    id: uuid.UUID
    plan_id: uuid.UUID
    email: str | None
    sections: list[str]
    access: Access
    purpose: str
    grant_expires_at: dt.datetime | None
    expires_at: dt.datetime
    made_by: uuid.UUID
    made_at: dt.datetime


class InvitationVersion(InvitationValues, frozen=True, kw_only=True):
    """An invitation as stored, without its token's hash."""

    accepted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None


class InvitationRow(InvitationVersion, frozen=True, kw_only=True):
    """An invitation with the names of who made it and who accepted it."""

    made_by_name: str
    accepted_by_name: str | None


class InvitationAtToken(InvitationVersion, frozen=True, kw_only=True):
    """An invitation found by its link, with what accepting it needs of its plan."""

    plan_person_id: uuid.UUID
    plan_state: str
    owner_name: str


class InvitationScope(msgspec.Struct, frozen=True, kw_only=True):
    """What an invitation offers, which never changes once made."""

    sections: list[str]
    access: Access


# Named columns: the token's hash is never selected with the names.
_INVITATION_SQL = (
    'SELECT i."id", i."plan", i."email", i."sections", i."access", i."purpose",'  # noqa: S608 - identifiers only
    ' i."grant_expires_at", i."expires_at", i."made_by", i."made_at", i."accepted_at",'
    ' i."withdrawn_at", mp."display_name" AS made_by_name, ap."display_name" AS accepted_by_name'
    ' FROM "invitation" i'
    + sql.named('i."made_by"', "m")
    + sql.named('i."accepted_by"', "a", left=True)
)


def _invitation_version(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": as_uuid(row["id"]),
        "plan_id": as_uuid(row["plan"]),
        "email": row["email"],
        "sections": sql.keys(row["sections"]),
        "access": Access(row["access"]),
        "purpose": row["purpose"],
        "grant_expires_at": aware(row["grant_expires_at"]),
        "expires_at": aware(row["expires_at"]),
        "made_by": as_uuid(row["made_by"]),
        "made_at": aware(row["made_at"]),
        "accepted_at": aware(row["accepted_at"]),
        "withdrawn_at": aware(row["withdrawn_at"]),
    }


def _invitation_row(row: dict[str, Any]) -> InvitationRow:
    return InvitationRow(
        **_invitation_version(row),
        made_by_name=row["made_by_name"],
        accepted_by_name=row["accepted_by_name"],
    )


async def invitation(
    invitation_id: uuid.UUID, plan_id: uuid.UUID | None = None
) -> InvitationRow | None:
    """One invitation (on this plan, if a plan is given)."""
    where = ' WHERE i."id" = {}'
    args: list[Any] = [invitation_id]
    if plan_id is not None:
        where += ' AND i."plan" = {}'
        args.append(plan_id)
    rows = await sql.rows(_INVITATION_SQL + where, *args)
    return _invitation_row(rows[0]) if rows else None


async def invitations_of_plan(plan_id: uuid.UUID) -> list[InvitationRow]:
    """The plan's invitations, newest first."""
    rows = await sql.rows(
        _INVITATION_SQL + ' WHERE i."plan" = {} ORDER BY i."made_at" DESC', plan_id
    )
    return [_invitation_row(row) for row in rows]


async def invitations_of_plans(plan_ids: Sequence[uuid.UUID]) -> list[InvitationRow]:
    """The invitations of several plans in one query, in no order."""
    if not plan_ids:
        return []
    rows = await sql.rows(
        _INVITATION_SQL + f' WHERE i."plan" IN ({sql.marks(plan_ids)})', *plan_ids
    )
    return [_invitation_row(row) for row in rows]


async def invitation_by_token_hash(token_hash: str) -> InvitationAtToken | None:
    rows = await sql.rows(
        'SELECT i.*, p."person" AS plan_person, p."state" AS plan_state,'
        ' op."display_name" AS owner_name'
        ' FROM "invitation" i JOIN "plan" p ON p."id" = i."plan"'
        ' JOIN "person" op ON op."id" = p."person"'
        ' WHERE i."token_hash" = {}',
        token_hash,
    )
    if not rows:
        return None
    row = rows[0]
    return InvitationAtToken(
        **_invitation_version(row),
        plan_person_id=as_uuid(row["plan_person"]),
        plan_state=row["plan_state"],
        owner_name=row["owner_name"],
    )


async def invitation_scope(invitation_id: uuid.UUID, plan_id: uuid.UUID) -> InvitationScope | None:
    rows = await sql.rows(
        'SELECT "sections", "access" FROM "invitation" WHERE "id" = {} AND "plan" = {}',
        invitation_id,
        plan_id,
    )
    if not rows:
        return None
    return InvitationScope(sections=sql.keys(rows[0]["sections"]), access=Access(rows[0]["access"]))


async def add_invitation(values: InvitationValues, token_hash: str) -> None:
    """Store an invitation; of its link, only the hash is kept."""
    await Invitation.insert(
        Invitation(
            id=values.id,
            plan=values.plan_id,
            token_hash=token_hash,
            email=values.email,
            sections=sql.encode_keys(values.sections),
            access=str(values.access),
            purpose=values.purpose,
            grant_expires_at=values.grant_expires_at,
            expires_at=values.expires_at,
            made_by=values.made_by,
            made_at=values.made_at,
        )
    )


async def mark_invitation_withdrawn(
    invitation_id: uuid.UUID, by: uuid.UUID, at: dt.datetime
) -> None:
    await Invitation.update({Invitation.withdrawn_at: at, Invitation.withdrawn_by: by}).where(
        Invitation.id == invitation_id
    )


async def claim_invitation(invitation_id: uuid.UUID, by: uuid.UUID, at: dt.datetime) -> bool:
    """Mark it used, if nobody did in between: checking and marking are one statement."""
    claimed = await sql.rows(
        'UPDATE "invitation" SET "accepted_at" = {}, "accepted_by" = {}'
        ' WHERE "id" = {} AND "accepted_at" IS NULL AND "withdrawn_at" IS NULL'
        ' RETURNING "id"',
        at,
        by,
        invitation_id,
    )
    return bool(claimed)
