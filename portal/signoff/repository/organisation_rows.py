"""Organisations as sign-off reads them: who signs off, their tolerance, providers by name."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from portal.accounts.tables import Organisation
from portal.core.values import as_uuid
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository.columns import json_text, marks
from portal.signoff.tolerance import Tolerance


async def get_organisation(organisation_id: Any) -> signoff_schemas.OrganisationChoice | None:
    rows = await Organisation.raw(
        'SELECT "id", "name", "kind" FROM "organisation" WHERE "id" = {}', organisation_id
    )
    if not rows:
        return None
    return signoff_schemas.OrganisationChoice(
        id=as_uuid(rows[0]["id"]), name=rows[0]["name"], kind=rows[0]["kind"]
    )


async def organisations_of_kinds(kinds: list[str]) -> list[signoff_schemas.OrganisationChoice]:
    rows = await Organisation.raw(
        'SELECT "id", "name", "kind" FROM "organisation"'  # noqa: S608
        f' WHERE "kind" IN ({marks(kinds)}) ORDER BY "name"',
        *kinds,
    )
    return [
        signoff_schemas.OrganisationChoice(id=as_uuid(o["id"]), name=o["name"], kind=o["kind"])
        for o in rows
    ]


async def organisation_name(organisation_id: uuid.UUID) -> str | None:
    rows = await Organisation.raw(
        'SELECT "name" FROM "organisation" WHERE "id" = {}', organisation_id
    )
    return str(rows[0]["name"]) if rows else None


async def get_tolerance(organisation_id: uuid.UUID) -> Tolerance | None:
    """The organisation's own tolerance figures (None: no such organisation)."""
    rows = await Organisation.raw('SELECT * FROM "organisation" WHERE "id" = {}', organisation_id)
    if not rows:
        return None
    return Tolerance(
        minutes=int(rows[0]["tolerance_minutes"]),
        percent=int(rows[0]["tolerance_percent"]),
        bands=tuple(msgspec.json.decode(rows[0]["tolerance_bands"], type=list[int])),
    )


async def set_tolerance(organisation_id: uuid.UUID, tolerance: Tolerance) -> None:
    await Organisation.update(
        {
            Organisation.tolerance_minutes: tolerance.minutes,
            Organisation.tolerance_percent: tolerance.percent,
            Organisation.tolerance_bands: json_text(list(tolerance.bands)),
        }
    ).where(Organisation.id == organisation_id)


async def providers_named(kind: str, name: str) -> frozenset[uuid.UUID]:
    """The organisations of this kind with this name (ignoring case and surrounding spaces)."""
    # Both sides lowered by the database, so SQLite and PostgreSQL agree on what matches.
    rows = await Organisation.raw(
        'SELECT "id" FROM "organisation" WHERE "kind" = {} AND LOWER(TRIM("name")) = LOWER({})',
        kind,
        name,
    )
    return frozenset(as_uuid(row["id"]) for row in rows)


class NamedOrganisation(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str


async def organisations_among(kind: str, ids: list[uuid.UUID]) -> list[NamedOrganisation]:
    """The organisations of this kind among these, by name."""
    rows = await Organisation.raw(
        f'SELECT "id", "name" FROM "organisation" WHERE "kind" = {{}} AND "id" IN ({marks(ids)})'  # noqa: S608
        ' ORDER BY "name"',
        kind,
        *ids,
    )
    return [NamedOrganisation(id=as_uuid(row["id"]), name=row["name"]) for row in rows]
