"""A plan's sections: read, write (merging a write made from an older version), history, restore."""

from __future__ import annotations

import uuid
from functools import partial

import msgspec

from portal.bounds import OutOfWindow
from portal.consent import access_log
from portal.consent.policy import Permission
from portal.core.actor import Actor
from portal.core.errors import FieldError, Invalid, NotFound, Stale, Unavailable, not_found
from portal.core.sections import SECTION_TITLES
from portal.plans import repository
from portal.plans import schemas as plan_schemas
from portal.plans.access import PlanRecord, load_plan, no_such_section, require_section
from portal.plans.content import (
    SECTION_TYPES,
    MoneySection,
    SectionContent,
    UnknownSection,
    check_section_dates,
    decode_section,
    empty_section,
    section_to_dict,
)
from portal.plans.merge import changed_fields, three_way_merge
from portal.plans.money import check_cost
from portal.plans.reading import section_read
from portal.plans.repository import SectionRow
from portal.plans.versions import (
    CAS_RETRIES,
    EditConflict,
    commit,
    etag_for,
    parse_if_match,
    revision_reads,
)


async def _current_section(plan_id: uuid.UUID, key: str) -> SectionRow:
    row = await repository.section_row(plan_id, key)
    if row is None:
        raise not_found("section")
    return row


async def read_section(actor: Actor, plan_id: uuid.UUID, key: str) -> plan_schemas.SectionRead:
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await require_section(actor, plan, key, Permission.SECTION_VIEW)
    section = section_read(await _current_section(plan.id, key))
    await access_log.record(actor, plan.access, "read", [key])
    return section


def decode_section_body(key: str, body: bytes) -> SectionContent:
    """Typed content for a section key, or a problem naming the field that is wrong."""
    from portal.problems import validation_problem

    try:
        content = decode_section(key, body)
        check_section_dates(content)
        return content
    except OutOfWindow as exc:
        raise validation_problem(msgspec.ValidationError(str(exc)), what="section") from exc
    except UnknownSection as exc:
        # The same answer as reading an unknown section: name the sections that do exist.
        raise no_such_section(key) from exc
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise validation_problem(exc, what="section", body_type=SECTION_TYPES.get(key)) from exc


def _check_money_section(content: SectionContent) -> None:
    if isinstance(content, MoneySection) and content.allocation_pence is not None:
        try:
            check_cost(content.allocation_pence, content.allocation_frequency)
        except ValueError as exc:
            raise Invalid(
                "Allocation not accepted",
                f"Check the indicative allocation: {exc}",
                errors=[FieldError(field="allocation_pence", message=str(exc))],
            ) from exc


async def write_section(
    actor: Actor,
    plan_id: uuid.UUID,
    key: str,
    content: SectionContent,
    based_on: int,
    *,
    restored_from: int | None = None,
) -> plan_schemas.SectionRead:
    """Save a section written from version `based_on`: merge a stale write, or raise a conflict."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    return await _write_section(actor, plan, key, content, based_on, restored_from=restored_from)


async def put_section(
    actor: Actor, plan_id: uuid.UUID, key: str, body: bytes, if_match: str | None
) -> plan_schemas.SectionRead:
    """The API's section write: access first, so nobody learns about a plan from how its body
    is judged; then the version, then the body; the plan is loaded once."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    based_on = parse_if_match(if_match)
    content = decode_section_body(key, body)
    return await _write_section(actor, plan, key, content, based_on)


async def _write_section(
    actor: Actor,
    plan: PlanRecord,
    key: str,
    content: SectionContent,
    based_on: int,
    *,
    restored_from: int | None = None,
) -> plan_schemas.SectionRead:
    await require_section(
        actor,
        plan,
        key,
        Permission.SECTION_RESTORE if restored_from is not None else Permission.SECTION_EDIT,
    )
    _check_money_section(content)
    mine = section_to_dict(content)
    subject = f"section:{key}"
    for _ in range(CAS_RETRIES):
        current = await _current_section(plan.id, key)
        theirs = msgspec.json.decode(current.content)
        version = current.version
        if based_on > version:
            raise Stale(
                "Version not known",
                f"This section is at version {version}; version {based_on} does not exist yet. "
                "Read the section again and start from its current version.",
            )
        if based_on == version:
            merged, changed = mine, changed_fields(theirs, mine)
        else:
            if restored_from is not None:
                raise EditConflict("this section", theirs, version, [], mine)
            base = await repository.content_at(plan.id, subject, based_on) if based_on else None
            if base is None:
                base = section_to_dict(empty_section(key))
            result = three_way_merge(base, mine, theirs)
            if result.conflicts:
                raise EditConflict("this section", theirs, version, result.conflicts, mine)
            merged, changed = result.merged, result.changed
        if not changed and restored_from is None:
            return section_read(current)
        now = await commit(
            actor,
            plan,
            key,
            subject,
            version,
            partial(repository.save_section, current.id, version, merged, actor.user_id),
            merged,
            changed,
            restored_from=restored_from,
        )
        if now is None:
            continue
        return plan_schemas.SectionRead(
            key=key,
            title=SECTION_TITLES[key],
            content=merged,
            version=version + 1,
            etag=etag_for(version + 1),
            updated_at=now,
            updated_by=actor.display_name,
        )
    raise Unavailable(
        "Busy",
        "Many people are saving this section at once. Try again in a moment.",
        headers={"Retry-After": "1"},
    )


async def section_history(
    actor: Actor, plan_id: uuid.UUID, key: str
) -> list[plan_schemas.RevisionRead]:
    """Every accepted write to a section, newest first."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await require_section(actor, plan, key, Permission.SECTION_VIEW)
    await access_log.record(actor, plan.access, "read", [key])
    return await revision_reads(plan.id, f"section:{key}")


async def section_revision(
    actor: Actor, plan_id: uuid.UUID, key: str, version: int
) -> plan_schemas.RevisionRead:
    """One revision of a section: what it said at that version, who wrote it and when."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await require_section(actor, plan, key, Permission.SECTION_VIEW)
    rows = await revision_reads(plan.id, f"section:{key}", version)
    if not rows:
        raise NotFound("No such revision", f"This section has no version {version}.")
    await access_log.record(actor, plan.access, "read", [key])
    return rows[0]


async def restore_section(
    actor: Actor, plan_id: uuid.UUID, key: str, version: int, based_on: int
) -> plan_schemas.SectionRead:
    """Bring back an earlier revision as a new one; history is never rewritten."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await require_section(actor, plan, key, Permission.SECTION_RESTORE)
    content = await repository.content_at(plan.id, f"section:{key}", version)
    if content is None:
        raise NotFound("No such revision", f"This section has no version {version}.")
    return await _write_section(
        actor, plan, key, decode_section(key, content), based_on, restored_from=version
    )
