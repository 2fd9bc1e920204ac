"""The queries about organisations and the staff roles their people hold. Rows come back as
Structs; the people, sessions and sign-in queries are in `portal.accounts.repository`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.accounts.schemas import StaffRoleRead
from portal.accounts.tables import Organisation, StaffRole
from portal.core.actor import ROLE_LABELS, Role
from portal.core.values import as_uuid, aware

# --- organisations and staff roles ----------------------------------------------------------


class OrganisationRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    kind: str


def _organisation(rows: list[dict[str, Any]]) -> OrganisationRow | None:
    if not rows:
        return None
    return OrganisationRow(id=as_uuid(rows[0]["id"]), name=rows[0]["name"], kind=rows[0]["kind"])


async def organisation_by_id(organisation_id: uuid.UUID) -> OrganisationRow | None:
    return _organisation(
        await Organisation.raw(
            'SELECT "id", "name", "kind" FROM "organisation" WHERE "id" = {}', organisation_id
        )
    )


async def lock_organisation(organisation_id: uuid.UUID) -> OrganisationRow | None:
    """The organisation, its row locked for this transaction: writes to one organisation's staff
    take turns, so two admins cannot end each other.

    An update that changes nothing takes the row lock on PostgreSQL (SQLite's write
    transaction already holds the whole database), and works the same on both.
    """
    return _organisation(
        await Organisation.raw(
            'UPDATE "organisation" SET "name" = "name" WHERE "id" = {}'
            ' RETURNING "id", "name", "kind"',
            organisation_id,
        )
    )


async def insert_organisation(
    organisation_id: uuid.UUID, name: str, kind: str, created_at: dt.datetime
) -> None:
    await Organisation.insert(
        Organisation(id=organisation_id, name=name, kind=kind, created_at=created_at)
    )


async def oldest_organisation_named(name: str, kind: str) -> uuid.UUID | None:
    rows = await Organisation.raw(
        'SELECT "id" FROM "organisation" WHERE "name" = {} AND "kind" = {}'
        ' ORDER BY "created_at" LIMIT 1',
        name,
        kind,
    )
    return as_uuid(rows[0]["id"]) if rows else None


_STAFF_SQL = (
    'SELECT r."id", r."organisation", r."user", r."role", r."spending_limit_pence",'
    ' r."granted_at", r."ended_at", u."email", p."display_name" AS name,'
    ' gp."display_name" AS granted_by_name, ep."display_name" AS ended_by_name'
    ' FROM "staff_role" r'
    ' JOIN "user_account" u ON u."id" = r."user"'
    ' JOIN "person" p ON p."id" = u."person"'
    ' LEFT JOIN "user_account" gu ON gu."id" = r."granted_by"'
    ' LEFT JOIN "person" gp ON gp."id" = gu."person"'
    ' LEFT JOIN "user_account" eu ON eu."id" = r."ended_by"'
    ' LEFT JOIN "person" ep ON ep."id" = eu."person"'
    ' WHERE r."organisation" = {}'
)


def _staff_read(row: dict[str, Any]) -> StaffRoleRead:
    role = Role(row["role"])
    ended_at = aware(row["ended_at"])
    return StaffRoleRead(
        id=as_uuid(row["id"]),
        organisation_id=as_uuid(row["organisation"]),
        user_id=as_uuid(row["user"]),
        name=row["name"],
        email=row["email"],
        role=role,
        role_label=ROLE_LABELS[role],
        spending_limit_pence=row["spending_limit_pence"],
        granted_at=aware(row["granted_at"]),
        granted_by_name=row["granted_by_name"],
        ended_at=ended_at,
        ended_by_name=row["ended_by_name"],
        current=ended_at is None,
    )


async def staff_roles_of(
    organisation_id: uuid.UUID, *, include_ended: bool = False, role_id: uuid.UUID | None = None
) -> list[StaffRoleRead]:
    """An organisation's roles (current ones unless asked), with the names of who holds them and
    who granted and ended them; in no particular order."""
    sql = _STAFF_SQL
    args: list[Any] = [organisation_id]
    if not include_ended:
        sql += ' AND r."ended_at" IS NULL'
    if role_id is not None:
        sql += ' AND r."id" = {}'
        args.append(role_id)
    return [_staff_read(row) for row in await StaffRole.raw(sql, *args)]


class HeldRole(msgspec.Struct, frozen=True, kw_only=True):
    """A current role of one user, with the organisation it is in."""

    organisation_id: uuid.UUID
    organisation_name: str
    organisation_kind: str
    role_id: uuid.UUID
    role: Role
    spending_limit_pence: int | None
    granted_at: dt.datetime


_HELD_ROLES_SQL = (
    'SELECT o."id", o."name", o."kind", r."id" AS role_id, r."role",'
    ' r."spending_limit_pence", r."granted_at"'
    ' FROM "staff_role" r JOIN "organisation" o ON o."id" = r."organisation"'
    ' WHERE r."user" = {} AND r."ended_at" IS NULL'
)


async def held_roles(
    user_id: uuid.UUID, organisation_id: uuid.UUID | None = None
) -> list[HeldRole]:
    """The roles a user holds now (in one organisation, when given)."""
    if organisation_id is None:
        rows = await StaffRole.raw(_HELD_ROLES_SQL, user_id)
    else:
        rows = await StaffRole.raw(
            _HELD_ROLES_SQL + ' AND r."organisation" = {}', user_id, organisation_id
        )
    return [
        HeldRole(
            organisation_id=as_uuid(row["id"]),
            organisation_name=row["name"],
            organisation_kind=row["kind"],
            role_id=as_uuid(row["role_id"]),
            role=Role(row["role"]),
            spending_limit_pence=row["spending_limit_pence"],
            granted_at=aware(row["granted_at"]),
        )
        for row in rows
    ]


async def insert_staff_role(
    organisation_id: uuid.UUID,
    user_id: uuid.UUID,
    role: Role,
    limit: int | None,
    granted_by: uuid.UUID | None,
    granted_at: dt.datetime,
) -> uuid.UUID:
    role_id = uuid.uuid4()
    await StaffRole.insert(
        StaffRole(
            id=role_id,
            organisation=organisation_id,
            user=user_id,
            role=role.value,
            spending_limit_pence=limit,
            granted_by=granted_by,
            granted_at=granted_at,
        )
    )
    return role_id


async def end_staff_role(
    role_id: uuid.UUID, ended_by: uuid.UUID | None, ended_at: dt.datetime
) -> None:
    await StaffRole.update({StaffRole.ended_by: ended_by, StaffRole.ended_at: ended_at}).where(
        (StaffRole.id == role_id) & StaffRole.ended_at.is_null()
    )


async def holds_role(organisation_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> bool:
    return bool(
        await StaffRole.exists().where(
            (StaffRole.organisation == organisation_id)
            & (StaffRole.user == user_id)
            & (StaffRole.role == role.value)
            & StaffRole.ended_at.is_null()
        )
    )


async def count_holders(organisation_id: uuid.UUID, role: Role) -> int:
    """How many hold this role in the organisation now."""
    return int(
        await StaffRole.count().where(
            (StaffRole.organisation == organisation_id)
            & (StaffRole.role == role.value)
            & StaffRole.ended_at.is_null()
        )
    )
