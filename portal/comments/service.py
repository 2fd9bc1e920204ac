"""Comments on a section: anyone who may comment on it writes one; everyone who may read it
reads them.

A comment is a row of `plan_comment` (the table sign-off's return comments live in) with the
kind `comment`, so the person's subject-access export holds them with the rest. Who may comment
is the access decision's `section:comment`: the person, a representative who may edit, someone
granted `comment` or `edit`, and staff of the organisation signing the plan off. Someone who may
only read is refused (403, and the attempt is in the access log); a section they cannot read at
all is not there (404).
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

import msgspec

from portal.comments import schemas as comment_schemas
from portal.consent import access_log
from portal.consent.policy import Permission, decide, is_owner
from portal.core.actor import ROLE_LABELS, Actor, Role
from portal.core.clock import now
from portal.core.errors import FieldError, Forbidden, Invalid
from portal.core.sections import SECTION_TITLES
from portal.core.values import as_uuid, aware
from portal.db import write_transaction
from portal.notifications import service as notifications
from portal.plans import service as plans
from portal.plans.tables import Plan
from portal.problems import validation_problem
from portal.signoff.tables import PlanComment

KIND = "comment"
MAX_LENGTH = 4000
# Line breaks and tabs are how people write; every other control character (and the
# direction overrides that make text read differently from how it is stored) is refused.
_ALLOWED_CONTROLS = frozenset("\n\r\t")
_DIRECTION_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

ROLE_WORDS: dict[str, str] = {
    "person": "the person whose plan it is",
    "representative": "speaks for the person",
    "co-author": "helps with the plan",
    **{role.value: label.lower() for role, label in ROLE_LABELS.items()},
}


def _refused_text(text: str) -> str | None:
    """Why this comment cannot be kept as written, or None when it can."""
    if not text:
        return "Write your comment before you send it"
    if len(text) > MAX_LENGTH:
        return f"Your comment must be {MAX_LENGTH:,} characters or fewer"
    for char in text:
        if char in _DIRECTION_OVERRIDES or (
            unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS
        ):
            return (
                "Your comment has a hidden control character in it, perhaps from copying and "
                "pasting: type it again, or paste it as plain text"
            )
    return None


def check_comment(text: str) -> str:
    """The comment as it is kept (spaces around it trimmed), or a 422 naming what to change."""
    trimmed = text.strip()
    reason = _refused_text(trimmed)
    if reason is not None:
        raise Invalid(
            "Comment not accepted",
            f"{reason}.",
            errors=[FieldError(field="comment", message=reason)],
        )
    return trimmed


def _role_of(actor: Actor, record: plans.PlanRecord) -> str:
    facts = record.access
    if is_owner(actor, facts):
        return "person"
    if facts.representations:
        return "representative"
    if facts.grants:
        return "co-author"
    held = [
        role.role
        for role in actor.roles
        if role.organisation_id == facts.signing_off_organisation_id and role.role != Role.ADMIN
    ]
    return str(held[0].value) if held else "co-author"


def _read(row: dict[str, Any]) -> comment_schemas.SectionCommentRead:
    return comment_schemas.SectionCommentRead(
        id=as_uuid(row["id"]),
        section=row["section_key"],
        section_title=SECTION_TITLES.get(row["section_key"], row["section_key"]),
        comment=row["body"],
        by=row["author_name"] or "Someone",
        role=row["author_role"],
        at=aware(row["created_at"]),
    )


async def comments_on(plan_id: uuid.UUID, key: str) -> list[comment_schemas.SectionCommentRead]:
    """A section's comments, oldest first as a conversation reads; callers asked the access
    decision (`section:view`) first."""
    rows = await PlanComment.raw(
        'SELECT "id", "section_key", "body", "author_name", "author_role", "created_at"'
        ' FROM "plan_comment" WHERE "plan" = {} AND "section_key" = {} AND "kind" = {}'
        ' ORDER BY "created_at", "id"',
        plan_id,
        key,
        KIND,
    )
    return [_read(row) for row in rows]


async def list_comments(
    actor: Actor, plan_id: uuid.UUID, key: str
) -> list[comment_schemas.SectionCommentRead]:
    """The comments on a section, for someone who may read it."""
    record = await plans.open_section(actor, plan_id, key, Permission.SECTION_VIEW)
    comments = await comments_on(record.id, key)
    await access_log.record(actor, record.access, "read", [key])
    return comments


async def open_for_comment(actor: Actor, plan_id: uuid.UUID, key: str) -> plans.PlanRecord:
    """The plan, once the actor may comment on this section: 404 when they cannot read it,
    403 (and a line in the access log) when they may only read it."""
    record = await plans.open_section(actor, plan_id, key, Permission.SECTION_VIEW)
    if not decide(actor, Permission.SECTION_COMMENT, record.access, key):
        await access_log.record(actor, record.access, "comment_refused", [key])
        raise Forbidden(
            "Not allowed to comment",
            "You can read this section but not comment on it. Ask the person whose plan it is "
            "if you need to comment.",
        )
    return record


async def add_comment(
    actor: Actor, plan_id: uuid.UUID, key: str, text: str
) -> comment_schemas.SectionCommentRead:
    """Keep a comment on a section (from the page's form)."""
    record = await open_for_comment(actor, plan_id, key)
    return await _keep(actor, record, key, check_comment(text))


async def add_comment_from_body(
    actor: Actor, plan_id: uuid.UUID, key: str, body: bytes
) -> comment_schemas.SectionCommentRead:
    """The API's comment: access first, then the body."""
    record = await open_for_comment(actor, plan_id, key)
    try:
        data = msgspec.json.decode(body, type=comment_schemas.CommentCreate)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise validation_problem(exc, what="comment") from exc
    return await _keep(actor, record, key, check_comment(data.comment))


async def _keep(
    actor: Actor, record: plans.PlanRecord, key: str, text: str
) -> comment_schemas.SectionCommentRead:
    at = now()
    comment_id = uuid.uuid4()
    role = _role_of(actor, record)
    author_name = actor.display_name[:200]
    async with write_transaction(Plan._meta.db):
        await PlanComment.insert(
            PlanComment(
                id=comment_id,
                plan=record.id,
                version_number=None,
                section_key=key,
                body=text,
                kind=KIND,
                author=actor.user_id,
                author_name=author_name,
                author_role=role,
                created_at=at,
            )
        )
        await access_log.record(actor, record.access, "comment", [key])
        # The person hears of it (not what was said: messages and emails name no content).
        await notifications.tell_person(
            record.id,
            "section_comment",
            notifications.SECTION_COMMENT_MESSAGE,
            f"/plans/{record.id}/sections/{key}#comments",
            actor.user_id,
        )
    return comment_schemas.SectionCommentRead(
        id=comment_id,
        section=key,
        section_title=SECTION_TITLES[key],
        comment=text,
        by=author_name or "Someone",
        role=role,
        at=at,
    )
