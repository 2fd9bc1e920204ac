"""The log of who looked at a plan: one row per read, change, export or consent change."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from portal.consent.repository import sql
from portal.consent.tables import AccessEvent
from portal.core.values import as_uuid, aware


class AccessEventValues(msgspec.Struct, frozen=True, kw_only=True):
    """One line of "who has looked at my plan"."""

    plan_id: uuid.UUID
    actor_user_id: uuid.UUID | None
    actor_name: str
    event: str
    sections: list[str]
    subject: str
    at: dt.datetime


class AccessEventRow(AccessEventValues, frozen=True, kw_only=True):
    id: uuid.UUID


_EVENT_SQL = (
    'SELECT "id", "plan", "actor_user", "actor_name", "event", "sections", "subject", "at"'
    ' FROM "access_event"'
)


def _event(row: dict[str, Any]) -> AccessEventRow:
    return AccessEventRow(
        id=as_uuid(row["id"]),
        plan_id=as_uuid(row["plan"]),
        actor_user_id=sql.maybe_uuid(row["actor_user"]),
        actor_name=row["actor_name"],
        event=row["event"],
        sections=sql.keys(row["sections"]),
        subject=row["subject"],
        at=aware(row["at"]),
    )


async def add_access_event(event: AccessEventValues) -> None:
    await AccessEvent.insert(
        AccessEvent(
            plan=event.plan_id,
            actor_user=event.actor_user_id,
            actor_name=event.actor_name,
            event=event.event,
            sections=sql.encode_keys(event.sections),
            subject=event.subject,
            at=event.at,
        )
    )


async def access_events_of_plan(plan_id: uuid.UUID, limit: int) -> list[AccessEventRow]:
    """The plan's log, newest first."""
    rows = await sql.rows(
        _EVENT_SQL + ' WHERE "plan" = {} ORDER BY "at" DESC LIMIT {}', plan_id, limit
    )
    return [_event(row) for row in rows]


async def access_events_of_plans(plan_ids: Sequence[uuid.UUID]) -> list[AccessEventRow]:
    """The logs of several plans in one query, in no order (for a subject-access export)."""
    if not plan_ids:
        return []
    rows = await sql.rows(_EVENT_SQL + f' WHERE "plan" IN ({sql.marks(plan_ids)})', *plan_ids)
    return [_event(row) for row in rows]


async def access_events_by(user_id: uuid.UUID, except_person_id: uuid.UUID) -> list[AccessEventRow]:
    """What this account did on other people's plans, in no order."""
    rows = await sql.rows(
        'SELECT a."id", a."plan", a."actor_user", a."actor_name", a."event", a."sections",'
        ' a."subject", a."at" FROM "access_event" a JOIN "plan" p ON p."id" = a."plan"'
        ' WHERE a."actor_user" = {} AND p."person" <> {}',
        user_id,
        except_person_id,
    )
    return [_event(row) for row in rows]
