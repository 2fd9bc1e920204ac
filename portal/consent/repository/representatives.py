"""Who speaks for a person: one row per version of a record, the standing one `current`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from portal.consent.policy import Authority, Power
from portal.consent.repository import sql
from portal.consent.tables import Representative
from portal.core.values import as_uuid, aware


class RepresentativeValues(msgspec.Struct, frozen=True, kw_only=True):
    """What one version of a representative's record says."""

    record_id: uuid.UUID
    person_id: uuid.UUID
    user_id: uuid.UUID
    authority: Authority
    authority_reference: str
    relationship: str
    sections: list[str]
    powers: list[Power]
    how_decisions_are_reached: str
    status: str
    reason: str


class RepresentativeVersion(RepresentativeValues, frozen=True, kw_only=True):
    id: uuid.UUID
    current: bool
    made_by: uuid.UUID
    made_at: dt.datetime


class RepresentativeRow(RepresentativeVersion, frozen=True, kw_only=True):
    """A version with its number within its record, the representative's name and email, and
    who recorded it."""

    version: int
    name: str
    email: str
    made_by_name: str


_REP_SQL = (
    'SELECT r.*, mp."display_name" AS made_by_name, rp."display_name" AS name,'  # noqa: S608 - identifiers only
    ' ru."email" AS email'
    ' FROM "representative" r' + sql.named('r."made_by"', "m") + sql.named('r."user"', "r")
)


def _rep_version(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": as_uuid(row["id"]),
        "record_id": as_uuid(row["record_id"]),
        "person_id": as_uuid(row["person"]),
        "user_id": as_uuid(row["user"]),
        "authority": Authority(row["authority"]),
        "authority_reference": row["authority_reference"],
        "relationship": row["relationship"],
        "sections": sql.keys(row["sections"]),
        "powers": [Power(p) for p in sql.keys(row["powers"])],
        "how_decisions_are_reached": row["how_decisions_are_reached"],
        "status": row["status"],
        "current": bool(row["current"]),
        "reason": row["reason"],
        "made_by": as_uuid(row["made_by"]),
        "made_at": aware(row["made_at"]),
    }


def _rep_rows(rows: list[dict[str, Any]]) -> list[RepresentativeRow]:
    return [
        RepresentativeRow(
            **_rep_version(row),
            version=version,
            name=row["name"],
            email=row["email"],
            made_by_name=row["made_by_name"],
        )
        for row, version in zip(rows, sql.version_numbers(rows, "record_id"), strict=True)
    ]


async def representative_versions(
    person_id: uuid.UUID, record_id: uuid.UUID | None = None
) -> list[RepresentativeRow]:
    """Every version of the records of who speaks for the person (or of one), oldest first."""
    where = ' WHERE r."person" = {}'
    args: list[Any] = [person_id]
    if record_id is not None:
        where += ' AND r."record_id" = {}'
        args.append(record_id)
    rows = await sql.rows(_REP_SQL + where + ' ORDER BY r."made_at", r."id"', *args)
    return _rep_rows(rows)


async def representative_versions_of_persons(
    person_ids: Sequence[uuid.UUID],
) -> list[RepresentativeRow]:
    """Every version of the records for several people, oldest first, in one query."""
    if not person_ids:
        return []
    where = f' WHERE r."person" IN ({sql.marks(person_ids)}) ORDER BY r."made_at", r."id"'
    return _rep_rows(await sql.rows(_REP_SQL + where, *person_ids))


async def representative_versions_held_by(
    user_id: uuid.UUID, except_person_id: uuid.UUID
) -> list[RepresentativeVersion]:
    """Every version of the records of this account speaking for others, in no order."""
    rows = await sql.rows(
        'SELECT * FROM "representative" WHERE "user" = {} AND "person" <> {}',
        user_id,
        except_person_id,
    )
    return [RepresentativeVersion(**_rep_version(row)) for row in rows]


async def current_representative(
    person_id: uuid.UUID, record_id: uuid.UUID
) -> RepresentativeVersion | None:
    rows = await sql.rows(
        'SELECT * FROM "representative" WHERE "person" = {} AND "record_id" = {}'
        ' AND "current" = {}',
        person_id,
        record_id,
        True,
    )
    return RepresentativeVersion(**_rep_version(rows[0])) if rows else None


async def active_representative_exists(
    person_id: uuid.UUID, user_id: uuid.UUID, authority: Authority
) -> bool:
    """Whether this account is recorded already as speaking for the person with this authority."""
    rows = await sql.rows(
        'SELECT "record_id" FROM "representative" WHERE "person" = {} AND "user" = {}'
        ' AND "current" = {} AND "status" = {} AND "authority" = {}',
        person_id,
        user_id,
        True,
        "active",
        str(authority),
    )
    return bool(rows)


async def add_representative(
    values: RepresentativeValues, made_by: uuid.UUID, made_at: dt.datetime
) -> None:
    """Store a version as the record as it stands."""
    await Representative.insert(
        Representative(
            record_id=values.record_id,
            person=values.person_id,
            user=values.user_id,
            authority=str(values.authority),
            authority_reference=values.authority_reference,
            relationship=values.relationship,
            sections=sql.encode_keys(values.sections),
            powers=sql.encode_keys([str(p) for p in values.powers]),
            how_decisions_are_reached=values.how_decisions_are_reached,
            status=values.status,
            current=True,
            reason=values.reason,
            made_by=made_by,
            made_at=made_at,
        )
    )


async def supersede_representative(
    old: RepresentativeVersion, new: RepresentativeValues, made_by: uuid.UUID, made_at: dt.datetime
) -> None:
    """Retire the version that stood and store the next (inside the caller's transaction)."""
    await Representative.update({Representative.current: False}).where(Representative.id == old.id)
    await add_representative(new, made_by, made_at)
