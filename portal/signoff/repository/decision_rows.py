"""What sign-off has said about a plan: its comments on returning it, the decisions in the
audit trail, and who made them."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from portal.audit.tables import AuditEntry
from portal.core.sections import SECTION_TITLES
from portal.core.values import as_uuid, aware
from portal.plans.tables import Plan
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository.columns import marks
from portal.signoff.tables import PlanComment


class ReturnComment(msgspec.Struct, frozen=True, kw_only=True):
    section_key: str
    body: str


class Author(msgspec.Struct, frozen=True, kw_only=True):
    user: uuid.UUID
    name: str
    role: str


async def insert_return_comments(
    plan_id: uuid.UUID,
    version_number: int,
    comments: list[ReturnComment],
    author: Author,
    now: dt.datetime,
) -> None:
    await PlanComment.insert(
        *[
            PlanComment(
                plan=plan_id,
                version_number=version_number,
                section_key=comment.section_key,
                body=comment.body,
                kind="returned",
                author=author.user,
                author_name=author.name,
                author_role=author.role,
                created_at=now,
            )
            for comment in comments
        ]
    )


async def returned_comments(plan_id: uuid.UUID) -> list[signoff_schemas.CommentRead]:
    """Sign-off's own comments, newest first; comments on a section (portal/comments/) are the
    section's."""
    rows = await PlanComment.raw(
        'SELECT * FROM "plan_comment" WHERE "plan" = {} AND "kind" = {} ORDER BY "created_at" DESC',
        plan_id,
        "returned",
    )
    return [
        signoff_schemas.CommentRead(
            id=as_uuid(row["id"]),
            section=row["section_key"],
            section_title=SECTION_TITLES.get(row["section_key"], row["section_key"]),
            comment=row["body"],
            kind=row["kind"],
            version_number=row["version_number"],
            by=row["author_name"],
            role=row["author_role"],
            at=aware(row["created_at"]),
        )
        for row in rows
    ]


class DecisionRow(msgspec.Struct, frozen=True, kw_only=True):
    """A decision in the audit trail about a plan; `details` as written (JSON text)."""

    seq: int
    at: str
    action: str
    actor_name: str
    role: str
    version_number: int | None
    from_state: str
    to_state: str
    reason: str
    details: str


async def decisions(plan_id: uuid.UUID) -> list[DecisionRow]:
    """The decisions made on the plan, newest first (refused attempts are not decisions)."""
    rows = await AuditEntry.raw(
        'SELECT * FROM "audit_entry" WHERE "plan" = {} AND "outcome" = {} ORDER BY "seq" DESC',
        plan_id,
        "done",
    )
    return [
        DecisionRow(
            seq=int(row["seq"]),
            at=row["at"],
            action=row["action"],
            actor_name=row["actor_name"],
            role=row["role"],
            version_number=row["version_number"],
            from_state=row["from_state"],
            to_state=row["to_state"],
            reason=row["reason"],
            details=row.get("details") or "",
        )
        for row in rows
    ]


async def deciders_still_in_role(
    plan_id: uuid.UUID, organisation_id: uuid.UUID, roles: list[str], versions: list[int]
) -> list[uuid.UUID]:
    """Staff of the organisation who decided on these versions and still hold one of the roles."""
    role_marks = marks(roles)
    deciders = await Plan.raw(
        'SELECT DISTINCT a."actor_user" AS "user" FROM "audit_entry" a'  # noqa: S608
        ' JOIN "staff_role" s ON s."user" = a."actor_user" AND s."organisation" = {}'
        f' AND s."ended_at" IS NULL AND s."role" IN ({role_marks})'
        ' WHERE a."plan" = {} AND a."organisation" = {} AND a."outcome" = {}'
        f' AND a."role" IN ({role_marks}) AND a."version_number" IN ({marks(versions)})',
        organisation_id,
        *roles,
        plan_id,
        organisation_id,
        "done",
        *roles,
        *versions,
    )
    return sorted(as_uuid(d["user"]) for d in deciders)


async def active_role_holders(organisation_id: uuid.UUID, roles: list[str]) -> list[uuid.UUID]:
    holders = await Plan.raw(
        'SELECT DISTINCT s."user" AS "user" FROM "staff_role" s'  # noqa: S608
        ' JOIN "user_account" u ON u."id" = s."user"'
        ' WHERE s."organisation" = {} AND s."ended_at" IS NULL AND u."is_active" = {}'
        f' AND s."role" IN ({marks(roles)})',
        organisation_id,
        True,
        *roles,
    )
    return sorted(as_uuid(h["user"]) for h in holders)
