"""Versions of what a plan holds: ETags, the version a write starts from, the conflict when
someone else wrote first, and saving the next version with its revision in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from portal.bounds import INT4_MAX, parse_version
from portal.consent import access_log
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, Malformed, VersionNeeded
from portal.live import events as live
from portal.plans import amend, repository
from portal.plans import schemas as plan_schemas
from portal.plans.access import PlanRecord

CAS_RETRIES = 20


def etag_for(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int:
    """The version a write was based on; a write without one could overwrite someone's work."""
    if header is None or not header.strip():
        raise VersionNeeded(
            "Version needed",
            "Send the version you started from in an If-Match header (the ETag you read), "
            "so that nobody's changes are overwritten.",
        )
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    version = parse_version(value.strip('"'))
    if version is None:
        raise Malformed(
            "Version not understood",
            'The If-Match header must be a version ETag like "3" (a whole number from 0 to '
            f"{INT4_MAX}), as read from the section.",
        )
    return version


def public_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Rows store `outcome`; the API calls it `outcome_id` everywhere a person or client sees it."""
    return {("outcome_id" if name == "outcome" else name): value for name, value in values.items()}


def _public_names(names: list[str]) -> list[str]:
    return ["outcome_id" if name == "outcome" else name for name in names]


class EditConflict(Conflict):
    def __init__(
        self,
        what: str,
        current: dict[str, Any],
        version: int,
        fields: list[str],
        yours: dict[str, Any],
    ) -> None:
        current, yours, fields = public_fields(current), public_fields(yours), _public_names(fields)
        listed = ", ".join(fields) if fields else "the whole item"
        super().__init__(
            "Someone else changed this",
            f"Someone else changed {what} since you opened it ({listed}). "
            "Nothing was saved: look at both versions, choose what to keep, and save again.",
            headers={"ETag": etag_for(version)},
            current=current,
            version=version,
            etag=etag_for(version),
            conflicting_fields=fields,
            yours=yours,
        )


async def commit(
    actor: Actor,
    plan: PlanRecord,
    section: str,
    subject: str,
    version: int,
    save: Callable[[dt.datetime], Awaitable[bool]],
    content: Any,
    changed: list[str],
    *,
    restored_from: int | None = None,
) -> dt.datetime | None:
    """Save the next version of a section or row with its revision, the plan's own change
    (`amend`) and the access log entry, all in one transaction, then tell those watching.
    None when someone else saved first: nothing was written and the caller reads again."""
    now = clock.now()
    async with repository.write_transaction():
        if not await save(now):
            return None
        await repository.add_revision(
            plan.id,
            subject,
            version + 1,
            content,
            changed,
            actor.user_id,
            now,
            restored_from=restored_from,
        )
        await amend.after_change(actor, plan.id, now)
        await access_log.record(actor, plan.access, "edit", [section])
    live.changed(actor, plan.id, section, subject, version + 1, now)
    return now


async def revision_reads(
    plan_id: uuid.UUID, subject: str, version: int | None = None
) -> list[plan_schemas.RevisionRead]:
    """Revisions of one subject, newest first; all of them, or just the one at `version`."""
    return [
        plan_schemas.RevisionRead(
            version=row.version,
            content=public_fields(msgspec.json.decode(row.content)),
            changed_fields=_public_names(msgspec.json.decode(row.changed_fields)),
            deleted=row.deleted,
            restored_from=row.restored_from,
            author=row.author_name,
            created_at=row.created_at,
        )
        for row in await repository.revision_rows(plan_id, subject, version)
    ]
