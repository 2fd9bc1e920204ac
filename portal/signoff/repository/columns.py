"""Reading and writing column values the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from portal.core.values import as_uuid


def uuid_or_none(value: Any) -> uuid.UUID | None:
    return as_uuid(value) if value else None


def int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None


def json_text(value: Any) -> str:
    """JSON as the columns keep it (keys in the order given)."""
    return msgspec.json.encode(value).decode()


def marks(values: list[Any] | tuple[Any, ...]) -> str:
    """One placeholder a value, for an IN (…) list."""
    return ", ".join("{}" for _ in values)
