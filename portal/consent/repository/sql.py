"""What every query of the consent domain shares: the engine, placeholders, JSON key lists."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import msgspec

from portal.consent.tables import PlanGrant
from portal.core.values import as_uuid
from portal.db import write_transaction


def transaction() -> Any:
    """A write transaction on the database the consent tables live in."""
    return write_transaction(PlanGrant._meta.db)


def encode_keys(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def keys(text: str) -> list[str]:
    return list(msgspec.json.decode(text or "[]", type=list[str]))


def maybe_uuid(value: Any) -> uuid.UUID | None:
    return as_uuid(value) if value else None


def marks(values: Iterable[Any]) -> str:
    return ", ".join("{}" for _ in values)


async def rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    # Every table shares one engine; the SQL quotes identifiers for PostgreSQL and uses
    # Piccolo's portable `{}` placeholders.
    rows: list[dict[str, Any]] = await PlanGrant.raw(sql, *args)
    return rows


def named(column: str, alias: str, *, left: bool = False) -> str:
    """Joins that bring the display name of the account in `column` as `<alias>p`."""
    join = " LEFT JOIN" if left else " JOIN"
    return (
        f'{join} "user_account" {alias}u ON {alias}u."id" = {column}'
        f'{join} "person" {alias}p ON {alias}p."id" = {alias}u."person"'
    )


def version_numbers(rows: list[dict[str, Any]], record: str) -> list[int]:
    """Each row's version number within its record (a grant, a representative's record), for
    rows in the order they were made."""
    seen: dict[str, int] = {}
    numbers = []
    for row in rows:
        key = str(row[record])
        seen[key] = seen.get(key, 0) + 1
        numbers.append(seen[key])
    return numbers
