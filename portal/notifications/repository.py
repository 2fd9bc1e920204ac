"""Every query of the notifications domain: who has a stake in a plan, the notifications
themselves, and claiming them for email. Rows come back as Structs.

Hand-written SQL quotes identifiers for PostgreSQL and uses Piccolo's portable `{}`
placeholders.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from portal.core.values import as_uuid, aware
from portal.db import write_transaction
from portal.notifications.schemas import NotificationRead
from portal.notifications.tables import Notification


def transaction() -> Any:
    """A write transaction on the notifications' database (joined when one is already open)."""
    return write_transaction(Notification._meta.db)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("{}" for _ in values)


# --- who has a stake in a plan --------------------------------------------------------------


async def plan_person(plan_id: uuid.UUID) -> uuid.UUID | None:
    """The person a plan is about (None: no such plan)."""
    rows = await Notification.raw('SELECT "person" FROM "plan" WHERE "id" = {}', plan_id)
    return as_uuid(rows[0]["person"]) if rows else None


async def active_accounts_of(person_id: uuid.UUID) -> list[uuid.UUID]:
    """The person's own active accounts, by id."""
    rows = await Notification.raw(
        'SELECT "id" FROM "user_account" WHERE "person" = {} AND "is_active" = {} ORDER BY "id"',
        person_id,
        True,
    )
    return [as_uuid(row["id"]) for row in rows]


async def active_representatives_of(person_id: uuid.UUID) -> list[uuid.UUID]:
    """The active accounts of the person's current representatives."""
    rows = await Notification.raw(
        'SELECT r."user" AS "user" FROM "representative" r'
        ' JOIN "user_account" u ON u."id" = r."user"'
        ' WHERE r."person" = {} AND r."current" = {} AND r."status" = {} AND u."is_active" = {}',
        person_id,
        True,
        "active",
        True,
    )
    return [as_uuid(row["user"]) for row in rows]


class GrantHolder(msgspec.Struct, frozen=True, kw_only=True):
    user: uuid.UUID
    expires_at: dt.datetime | None


async def grant_holders(plan_id: uuid.UUID, access: Sequence[str]) -> list[GrantHolder]:
    """Active accounts holding a current, active grant on the plan with one of these accesses
    (expired or not: the caller knows what time it is)."""
    rows = await Notification.raw(
        'SELECT g."grantee_user" AS "user", g."expires_at" FROM "plan_grant" g'  # noqa: S608
        ' JOIN "user_account" u ON u."id" = g."grantee_user"'
        ' WHERE g."plan" = {} AND g."current" = {} AND g."status" = {}'
        f' AND g."access" IN ({_marks(access)}) AND u."is_active" = {{}}',
        plan_id,
        True,
        "active",
        *access,
        True,
    )
    return [
        GrantHolder(user=as_uuid(row["user"]), expires_at=aware(row["expires_at"])) for row in rows
    ]


# --- adding and reading them ----------------------------------------------------------------


class NewNotification(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user: uuid.UUID
    plan: uuid.UUID
    kind: str
    message: str
    link: str
    created_at: dt.datetime


async def insert(notifications: Sequence[NewNotification]) -> None:
    """Add them, inside the caller's transaction."""
    await Notification.insert(
        *[
            Notification(
                id=new.id,
                user=new.user,
                plan=new.plan,
                kind=new.kind,
                message=new.message,
                link=new.link,
                created_at=new.created_at,
            )
            for new in notifications
        ]
    )


_COLUMNS = '"id", "kind", "message", "link", "plan", "created_at", "read_at"'


def _read(row: dict[str, Any]) -> NotificationRead:
    return NotificationRead(
        id=as_uuid(row["id"]),
        kind=row["kind"],
        message=row["message"],
        link=row["link"],
        plan_id=as_uuid(row["plan"]) if row["plan"] is not None else None,
        created_at=aware(row["created_at"]),
        read_at=aware(row["read_at"]),
    )


async def newest_of(user_id: uuid.UUID, limit: int) -> list[NotificationRead]:
    rows = await Notification.raw(
        f'SELECT {_COLUMNS} FROM "notification" WHERE "user" = {{}}'  # noqa: S608
        ' ORDER BY "created_at" DESC, "id" DESC LIMIT {}',
        user_id,
        limit,
    )
    return [_read(row) for row in rows]


async def unread_count(user_id: uuid.UUID) -> int:
    rows = await Notification.raw(
        'SELECT COUNT(*) AS "n" FROM "notification" WHERE "user" = {} AND "read_at" IS NULL',
        user_id,
    )
    return int(rows[0]["n"])


async def mark_read(
    notification_id: uuid.UUID, user_id: uuid.UUID, at: dt.datetime
) -> NotificationRead | None:
    """Mark the user's own notification read, keeping the first reading (None: not theirs)."""
    rows = await Notification.raw(
        'UPDATE "notification" SET "read_at" = COALESCE("read_at", {})'  # noqa: S608
        f' WHERE "id" = {{}} AND "user" = {{}} RETURNING {_COLUMNS}',
        at,
        notification_id,
        user_id,
    )
    return _read(rows[0]) if rows else None


# --- email ----------------------------------------------------------------------------------


class ClaimedEmail(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user: uuid.UUID
    message: str
    link: str


async def claim_unsent(ids: Sequence[uuid.UUID], at: dt.datetime) -> list[ClaimedEmail]:
    """Mark these as emailed at `at`, those not emailed yet whose user is active; the ones
    marked."""
    rows = await Notification.raw(
        'UPDATE "notification" SET "emailed_at" = {}'  # noqa: S608
        f' WHERE "id" IN ({_marks(ids)}) AND "emailed_at" IS NULL'
        ' AND "user" IN (SELECT "id" FROM "user_account" WHERE "is_active" = {})'
        ' RETURNING "id", "user", "message", "link"',
        at,
        *ids,
        True,
    )
    return [
        ClaimedEmail(
            id=as_uuid(row["id"]),
            user=as_uuid(row["user"]),
            message=row["message"],
            link=row["link"],
        )
        for row in rows
    ]


async def email_addresses(user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await Notification.raw(
        f'SELECT "id", "email" FROM "user_account" WHERE "id" IN ({_marks(user_ids)})',  # noqa: S608
        *user_ids,
    )
    return {as_uuid(row["id"]): row["email"] for row in rows}


async def release(ids: Sequence[uuid.UUID]) -> None:
    """Mark these not emailed again."""
    await Notification.raw(
        f'UPDATE "notification" SET "emailed_at" = NULL WHERE "id" IN ({_marks(ids)})',  # noqa: S608
        *ids,
    )


async def unsent_since(since: dt.datetime, limit: int) -> list[uuid.UUID]:
    """Notifications of active users made since then, neither emailed nor read: newest first."""
    rows = await Notification.raw(
        'SELECT n."id" FROM "notification" n JOIN "user_account" u ON u."id" = n."user"'
        ' WHERE n."emailed_at" IS NULL AND n."read_at" IS NULL AND n."created_at" > {}'
        ' AND u."is_active" = {} ORDER BY n."created_at" DESC, n."id" LIMIT {}',
        since,
        True,
        limit,
    )
    return [as_uuid(row["id"]) for row in rows]


# --- everything of one user, for their own download -----------------------------------------


class NotificationHistory(NotificationRead, kw_only=True):
    """A notification as the portal keeps it, with when (if ever) it was emailed."""

    emailed_at: dt.datetime | None


async def all_of(user_id: uuid.UUID) -> list[NotificationHistory]:
    """Every notification the user was sent, oldest first."""
    rows = await Notification.raw(
        'SELECT "id", "kind", "message", "link", "plan", "created_at", "read_at", "emailed_at"'
        ' FROM "notification" WHERE "user" = {}',
        user_id,
    )
    found = [
        NotificationHistory(
            id=as_uuid(row["id"]),
            kind=row["kind"],
            message=row["message"],
            link=row["link"],
            plan_id=as_uuid(row["plan"]) if row["plan"] else None,
            created_at=aware(row["created_at"]),
            read_at=aware(row["read_at"]),
            emailed_at=aware(row["emailed_at"]),
        )
        for row in rows
    ]
    found.sort(key=lambda notification: (notification.created_at, str(notification.id)))
    return found
