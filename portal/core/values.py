"""Reading values back from either database the same way: ids, aware times, dates."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def aware(value: Any) -> Any:
    """A timestamp as an aware UTC datetime (SQLite may give text, or a naive datetime)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
