"""The audit trail of sign-off decisions: append-only and tamper-evident.

Each entry's hash is the SHA-256 of the previous entry's hash and the entry's own fields, so a
row changed, removed or slipped in afterwards breaks the chain from that row on; `verify`
walks the whole chain (`portal audit verify`). The app has no way to change or delete an entry.
Entries hold ids, roles, states, reasons given by staff and content hashes, never plan content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from piccolo.engine.postgres import PostgresEngine

from portal.audit.tables import AuditEntry
from portal.db import write_transaction

GENESIS = "0" * 64
# Any fixed number: the advisory lock that makes PostgreSQL writers take the chain in turn.
_CHAIN_LOCK = 7_310_442_811
_BATCH = 1000


class AuditDraft(msgspec.Struct, kw_only=True):
    """What a new entry says; the chain fields are filled in when it is appended."""

    action: str
    outcome: str = "done"
    actor_user: uuid.UUID | None = None
    actor_name: str = ""
    role: str = ""
    organisation: uuid.UUID | None = None
    plan: uuid.UUID | None = None
    version_number: int | None = None
    from_state: str = ""
    to_state: str = ""
    reason: str = ""
    version_hash: str = ""
    details: dict[str, Any] = msgspec.field(default_factory=dict)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def entry_hash(seq: int, at: str, prev_hash: str, fields: dict[str, Any]) -> str:
    """The hash that chains an entry: its place, its time, the hash before it and its fields."""
    body = {
        "seq": seq,
        "at": at,
        "prev_hash": prev_hash,
        **{name: _text(value) for name, value in fields.items() if name != "details"},
        "details": fields.get("details") or "{}",
    }
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


_HASHED = (
    "actor_user",
    "actor_name",
    "role",
    "organisation",
    "plan",
    "version_number",
    "action",
    "outcome",
    "from_state",
    "to_state",
    "reason",
    "version_hash",
    "details",
)


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row.get(name) for name in _HASHED}


async def append(draft: AuditDraft, now: dt.datetime | None = None) -> int:
    """Add an entry at the end of the chain; call it inside the decision's write transaction so
    the decision and its entry are saved together or not at all. Returns its sequence number."""
    db = AuditEntry._meta.db
    if isinstance(db, PostgresEngine):
        await AuditEntry.raw("SELECT pg_advisory_xact_lock({})", _CHAIN_LOCK)
    head = await AuditEntry.raw(
        'SELECT "seq", "entry_hash" FROM "audit_entry" ORDER BY "seq" DESC LIMIT 1'
    )
    seq = int(head[0]["seq"]) + 1 if head else 1
    prev = head[0]["entry_hash"] if head else GENESIS
    at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="microseconds")
    values: dict[str, Any] = {
        "actor_user": draft.actor_user,
        "actor_name": draft.actor_name[:200],
        "role": draft.role,
        "organisation": draft.organisation,
        "plan": draft.plan,
        "version_number": draft.version_number,
        "action": draft.action,
        "outcome": draft.outcome,
        "from_state": draft.from_state,
        "to_state": draft.to_state,
        "reason": draft.reason,
        "version_hash": draft.version_hash,
        "details": msgspec.json.encode(draft.details, order="sorted").decode(),
    }
    await AuditEntry.insert(
        AuditEntry(
            seq=seq,
            at=at,
            prev_hash=prev,
            entry_hash=entry_hash(seq, at, prev, values),
            **values,
        )
    )
    return seq


async def append_alone(draft: AuditDraft) -> int:
    """An entry in a transaction of its own: a refused attempt, whose own changes were undone."""
    async with write_transaction(AuditEntry._meta.db):
        return await append(draft)


class ChainReport(msgspec.Struct, frozen=True):
    entries: int
    ok: bool
    first_bad_seq: int | None = None
    first_bad_id: str | None = None
    problem: str = ""


async def _rows() -> AsyncIterator[dict[str, Any]]:
    after = 0
    while True:
        rows = await AuditEntry.raw(
            'SELECT * FROM "audit_entry" WHERE "seq" > {} ORDER BY "seq" LIMIT {}', after, _BATCH
        )
        if not rows:
            return
        for row in rows:
            yield row
        after = int(rows[-1]["seq"])


def _normalised(row: dict[str, Any]) -> dict[str, Any]:
    """Values as they were hashed: ids as text, numbers as numbers, whichever database."""
    fields = _fields(row)
    for name in ("actor_user", "organisation", "plan"):
        if fields[name] is not None:
            fields[name] = str(uuid.UUID(str(fields[name])))
    return fields


async def verify() -> ChainReport:
    """Check every entry's hash and its link to the one before, from the first to the last."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    async for row in _rows():
        seq = int(row["seq"])
        bad: str | None = None
        if seq != expected_seq:
            bad = f"entry {expected_seq} is missing (the next one is {seq})"
        elif row["prev_hash"] != expected_prev:
            bad = "it does not link to the entry before it"
        elif entry_hash(seq, row["at"], row["prev_hash"], _normalised(row)) != row["entry_hash"]:
            bad = "its contents do not match its hash (it was changed after it was written)"
        if bad:
            return ChainReport(
                entries=count, ok=False, first_bad_seq=seq, first_bad_id=str(row["id"]), problem=bad
            )
        count += 1
        expected_prev = row["entry_hash"]
        expected_seq = seq + 1
    return ChainReport(entries=count, ok=True)
