"""The access decision's facts, read fresh for every request, and the accounts and
organisations sharing names: the hot path, in as few statements as there are kinds of fact."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from portal.accounts.tables import Organisation, Person
from portal.consent.policy import Access, Authority, GrantFact, Power, RepresentationFact
from portal.consent.repository import sql
from portal.core.values import as_uuid, aware


class PlanRef(msgspec.Struct, frozen=True):
    """A plan as the decision sees it."""

    id: uuid.UUID
    person_id: uuid.UUID
    state: str
    signing_off_organisation_id: uuid.UUID | None
    has_agreed_version: bool = False


def plan_ref(row: dict[str, Any]) -> PlanRef:
    """The decision's view of a row of the `plan` table, however it was selected."""
    return PlanRef(
        id=as_uuid(row["id"]),
        person_id=as_uuid(row["person"]),
        state=row["state"],
        signing_off_organisation_id=sql.maybe_uuid(row.get("signing_off_organisation")),
        has_agreed_version=row.get("agreed_version") is not None,
    )


async def plan_row(plan_id: uuid.UUID) -> dict[str, Any] | None:
    """The plan's whole row, as the plans service reads it once the decision lets it."""
    rows = await sql.rows('SELECT * FROM "plan" WHERE "id" = {}', plan_id)
    return rows[0] if rows else None


def _grantee(orgs: Sequence[uuid.UUID]) -> str:
    if not orgs:
        return '"grantee_user" = {}'
    return f'("grantee_user" = {{}} OR "grantee_organisation" IN ({sql.marks(orgs)}))'


async def grant_facts(
    plan_ids: Sequence[uuid.UUID], user_id: uuid.UUID, orgs: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[GrantFact]]:
    """The active grants on these plans to this account or its organisations, in one query."""
    rows = await sql.rows(
        'SELECT "plan", "grant_id", "sections", "access", "expires_at" FROM "plan_grant"'  # noqa: S608
        f' WHERE "plan" IN ({sql.marks(plan_ids)}) AND "current" = {{}} AND "status" = {{}}'
        f" AND {_grantee(orgs)}",
        *plan_ids,
        True,
        "active",
        user_id,
        *orgs,
    )
    found: dict[uuid.UUID, list[GrantFact]] = {}
    for row in rows:
        found.setdefault(as_uuid(row["plan"]), []).append(
            GrantFact(
                grant_id=as_uuid(row["grant_id"]),
                sections=frozenset(sql.keys(row["sections"])),
                access=Access(row["access"]),
                expires_at=aware(row["expires_at"]),
            )
        )
    return found


async def representation_facts(
    person_ids: Sequence[uuid.UUID], user_id: uuid.UUID
) -> dict[uuid.UUID, list[RepresentationFact]]:
    """The active records of this account speaking for these people, in one query."""
    rows = await sql.rows(
        'SELECT "person", "record_id", "authority", "sections", "powers"'  # noqa: S608
        f' FROM "representative" WHERE "person" IN ({sql.marks(person_ids)})'
        ' AND "user" = {} AND "current" = {} AND "status" = {}',
        *person_ids,
        user_id,
        True,
        "active",
    )
    found: dict[uuid.UUID, list[RepresentationFact]] = {}
    for row in rows:
        found.setdefault(as_uuid(row["person"]), []).append(
            RepresentationFact(
                record_id=as_uuid(row["record_id"]),
                authority=Authority(row["authority"]),
                sections=frozenset(sql.keys(row["sections"])),
                powers=frozenset(Power(p) for p in sql.keys(row["powers"])),
            )
        )
    return found


async def plan_ids_open_to(user_id: uuid.UUID, orgs: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Plans a grant, a representation or a submission to one of these organisations may open
    to this account (the decision has the last word on each)."""
    granted = await sql.rows(
        f'SELECT DISTINCT "plan" FROM "plan_grant" WHERE "current" = {{}} AND "status" = {{}}'  # noqa: S608
        f" AND {_grantee(orgs)}",
        True,
        "active",
        user_id,
        *orgs,
    )
    represented = await sql.rows(
        'SELECT p."id" AS "plan" FROM "plan" p JOIN "representative" r ON r."person" = p."person"'
        ' WHERE r."user" = {} AND r."current" = {} AND r."status" = {}',
        user_id,
        True,
        "active",
    )
    submitted: list[dict[str, Any]] = []
    if orgs:
        submitted = await sql.rows(
            'SELECT "id" AS "plan" FROM "plan"'  # noqa: S608
            f' WHERE "signing_off_organisation" IN ({sql.marks(orgs)})',
            *orgs,
        )
    return {as_uuid(row["plan"]) for row in [*granted, *represented, *submitted]}


# --- accounts and organisations, as sharing names them ---------------------------------------


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """A login and the person it belongs to."""

    id: uuid.UUID
    email: str
    person_id: uuid.UUID
    display_name: str


_ACCOUNT_SQL = (
    'SELECT u."id", u."email", u."person", p."display_name" FROM "user_account" u'
    ' JOIN "person" p ON p."id" = u."person"'
)


def _account(row: dict[str, Any]) -> Account:
    return Account(
        id=as_uuid(row["id"]),
        email=row["email"],
        person_id=as_uuid(row["person"]),
        display_name=row["display_name"],
    )


async def active_account_by_email(email: str) -> Account | None:
    """The active account that uses this email address (already trimmed and lower-cased)."""
    rows = await sql.rows(
        _ACCOUNT_SQL + ' WHERE u."email" = {} AND u."is_active" = {}', email, True
    )
    return _account(rows[0]) if rows else None


async def account_by_id(user_id: uuid.UUID) -> Account | None:
    rows = await sql.rows(_ACCOUNT_SQL + ' WHERE u."id" = {}', user_id)
    return _account(rows[0]) if rows else None


async def accounts_by_ids(user_ids: Sequence[uuid.UUID]) -> list[Account]:
    """These accounts, in one query (none asked, none read)."""
    if not user_ids:
        return []
    rows = await sql.rows(_ACCOUNT_SQL + f' WHERE u."id" IN ({sql.marks(user_ids)})', *user_ids)
    return [_account(row) for row in rows]


async def organisation_exists(organisation_id: uuid.UUID | None) -> bool:
    return bool(await Organisation.exists().where(Organisation.id == organisation_id))


async def organisations_of_staff(user_id: uuid.UUID) -> set[uuid.UUID]:
    """The organisations this account holds a current staff role in."""
    rows = await sql.rows(
        'SELECT "organisation" FROM "staff_role" WHERE "user" = {} AND "ended_at" IS NULL',
        user_id,
    )
    return {as_uuid(row["organisation"]) for row in rows}


class OrganisationRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    kind: str


async def organisations_by_name() -> list[OrganisationRow]:
    rows = await Organisation.select(
        Organisation.id, Organisation.name, Organisation.kind
    ).order_by(Organisation.name)
    return [
        OrganisationRow(id=as_uuid(row["id"]), name=row["name"], kind=row["kind"]) for row in rows
    ]


async def person_display_name(person_id: uuid.UUID) -> str:
    row = await Person.select(Person.display_name).where(Person.id == person_id).first()
    return str(row["display_name"]) if row else ""
