"""Reading values back the same way from either database, and the words for stored codes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import msgspec

from portal.consent.policy import AUTHORITY_LABELS, Authority
from portal.core.actor import ROLE_LABELS, Role
from portal.core.values import as_uuid, aware
from portal.plans.workflow import STATE_WORDS, State


def keys_of(text: Any) -> list[str]:
    return list(msgspec.json.decode(text or "[]", type=list[str]))


def decoded(text: Any) -> Any:
    return msgspec.json.decode(text) if text else {}


def maybe_uuid(value: Any) -> uuid.UUID | None:
    return as_uuid(value) if value else None


def int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None


def public_content(content: Any) -> Any:
    """Rows store `outcome`; everywhere a person sees it, it is `outcome_id` (as in the API)."""
    if isinstance(content, dict):
        return {("outcome_id" if k == "outcome" else k): v for k, v in content.items()}
    return content


def by_plan(rows: Iterable[dict[str, Any]]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[as_uuid(row["plan"])].append(dict(row))
    return found


def numbered(rows: list[dict[str, Any]], key: str, at: str) -> list[tuple[dict[str, Any], int]]:
    """Rows in order, each with its version number within its record (a grant, a representative
    record), oldest first."""
    rows = sorted(rows, key=lambda row: (str(row[key]), aware(row[at]), str(row["id"])))
    seen: dict[str, int] = {}
    found = []
    for row in rows:
        seen[str(row[key])] = seen.get(str(row[key]), 0) + 1
        found.append((row, seen[str(row[key])]))
    return found


def grouped(rows: list[dict[str, Any]], key: str, at: str) -> list[list[dict[str, Any]]]:
    """Versions of the same record together, each group oldest first."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row, _ in numbered(rows, key, at):
        groups[str(row[key])].append(row)
    return list(groups.values())


def grant_status(row: dict[str, Any], now: dt.datetime) -> str:
    expires = aware(row["expires_at"])
    if row["status"] == "active" and expires is not None and expires <= now:
        return "expired"
    return str(row["status"])


def state_words(state: str) -> str:
    try:
        return STATE_WORDS[State(state)]
    except ValueError:
        return state


def role_words(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def authority_words(authority: str) -> str:
    try:
        return AUTHORITY_LABELS[Authority(authority)]
    except ValueError:
        return authority
