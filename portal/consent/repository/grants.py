"""Grants: one row per version, the one that stands marked `current`; never deleted."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from portal.consent.policy import Access
from portal.consent.repository import sql
from portal.consent.tables import PlanGrant
from portal.core.values import as_uuid, aware


class GrantValues(msgspec.Struct, frozen=True, kw_only=True):
    """What one version of a grant says; a change is a new version, never an update."""

    grant_id: uuid.UUID
    plan_id: uuid.UUID
    grantee_user_id: uuid.UUID | None
    grantee_organisation_id: uuid.UUID | None
    sections: list[str]
    access: Access
    purpose: str
    expires_at: dt.datetime | None
    status: str
    reason: str
    invitation_id: uuid.UUID | None = None


class GrantVersion(GrantValues, frozen=True, kw_only=True):
    """A stored version: its row id, whether it is the grant as it stands, who made it, when."""

    id: uuid.UUID
    current: bool
    made_by: uuid.UUID
    made_at: dt.datetime


class GrantRow(GrantVersion, frozen=True, kw_only=True):
    """A version with its number within its grant and the names the pages show."""

    version: int
    made_by_name: str
    grantee_name: str | None
    grantee_email: str | None
    organisation_name: str | None


_GRANT_SQL = (
    'SELECT g.*, mp."display_name" AS made_by_name, gp."display_name" AS grantee_name,'  # noqa: S608 - identifiers only
    ' gu."email" AS grantee_email, o."name" AS organisation_name'
    ' FROM "plan_grant" g'
    + sql.named('g."made_by"', "m")
    + sql.named('g."grantee_user"', "g", left=True)
    + ' LEFT JOIN "organisation" o ON o."id" = g."grantee_organisation"'
)


def _grant_version(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": as_uuid(row["id"]),
        "grant_id": as_uuid(row["grant_id"]),
        "plan_id": as_uuid(row["plan"]),
        "grantee_user_id": sql.maybe_uuid(row["grantee_user"]),
        "grantee_organisation_id": sql.maybe_uuid(row["grantee_organisation"]),
        "sections": sql.keys(row["sections"]),
        "access": Access(row["access"]),
        "purpose": row["purpose"],
        "expires_at": aware(row["expires_at"]),
        "status": row["status"],
        "current": bool(row["current"]),
        "reason": row["reason"],
        "made_by": as_uuid(row["made_by"]),
        "made_at": aware(row["made_at"]),
        "invitation_id": sql.maybe_uuid(row["invitation"]),
    }


def _grant_rows(rows: list[dict[str, Any]]) -> list[GrantRow]:
    return [
        GrantRow(
            **_grant_version(row),
            version=version,
            made_by_name=row["made_by_name"],
            grantee_name=row["grantee_name"],
            grantee_email=row["grantee_email"],
            organisation_name=row["organisation_name"],
        )
        for row, version in zip(rows, sql.version_numbers(rows, "grant_id"), strict=True)
    ]


async def grant_versions(plan_id: uuid.UUID, grant_id: uuid.UUID | None = None) -> list[GrantRow]:
    """Every version of the plan's grants (or of one grant), oldest first."""
    where = ' WHERE g."plan" = {}'
    args: list[Any] = [plan_id]
    if grant_id is not None:
        where += ' AND g."grant_id" = {}'
        args.append(grant_id)
    rows = await sql.rows(_GRANT_SQL + where + ' ORDER BY g."made_at", g."id"', *args)
    return _grant_rows(rows)


async def grant_versions_of_plans(plan_ids: Sequence[uuid.UUID]) -> list[GrantRow]:
    """Every version of every grant on these plans, oldest first, in one query."""
    if not plan_ids:
        return []
    where = f' WHERE g."plan" IN ({sql.marks(plan_ids)}) ORDER BY g."made_at", g."id"'
    return _grant_rows(await sql.rows(_GRANT_SQL + where, *plan_ids))


async def grant_versions_held_by(
    user_id: uuid.UUID, except_person_id: uuid.UUID
) -> list[GrantVersion]:
    """Every version of the grants to this account on other people's plans, in no order."""
    rows = await sql.rows(
        'SELECT g.* FROM "plan_grant" g JOIN "plan" p ON p."id" = g."plan"'
        ' WHERE g."grantee_user" = {} AND p."person" <> {}',
        user_id,
        except_person_id,
    )
    return [GrantVersion(**_grant_version(row)) for row in rows]


async def current_grant(plan_id: uuid.UUID, grant_id: uuid.UUID) -> GrantVersion | None:
    rows = await sql.rows(
        'SELECT * FROM "plan_grant" WHERE "plan" = {} AND "grant_id" = {} AND "current" = {}',
        plan_id,
        grant_id,
        True,
    )
    return GrantVersion(**_grant_version(rows[0])) if rows else None


async def active_grant_to(
    plan_id: uuid.UUID, user_id: uuid.UUID | None, organisation_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The id of an active grant on the plan to this account or organisation, if there is one."""
    rows = await sql.rows(
        'SELECT "grant_id" FROM "plan_grant" WHERE "plan" = {} AND "current" = {}'
        ' AND "status" = {} AND ("grantee_user" = {} OR "grantee_organisation" = {})',
        plan_id,
        True,
        "active",
        user_id,
        organisation_id,
    )
    return as_uuid(rows[0]["grant_id"]) if rows else None


async def add_grant(values: GrantValues, made_by: uuid.UUID, made_at: dt.datetime) -> None:
    """Store a version as the grant as it stands."""
    await PlanGrant.insert(
        PlanGrant(
            grant_id=values.grant_id,
            plan=values.plan_id,
            grantee_user=values.grantee_user_id,
            grantee_organisation=values.grantee_organisation_id,
            sections=sql.encode_keys(values.sections),
            access=str(values.access),
            purpose=values.purpose,
            expires_at=values.expires_at,
            status=values.status,
            current=True,
            reason=values.reason,
            made_by=made_by,
            made_at=made_at,
            invitation=values.invitation_id,
        )
    )


async def supersede_grant(
    old: GrantVersion, new: GrantValues, made_by: uuid.UUID, made_at: dt.datetime
) -> None:
    """Retire the version that stood and store the next (inside the caller's transaction)."""
    await PlanGrant.update({PlanGrant.current: False}).where(PlanGrant.id == old.id)
    await add_grant(new, made_by, made_at)
