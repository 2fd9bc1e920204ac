"""The rows a plan lists (outcomes, support items, actions, contacts): add, change, remove, history.

A row is written like a section: from the version it was read at, merged when someone else
changed other fields since, refused as a conflict when they changed the same ones.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET

from portal.consent import access_log
from portal.consent.policy import Permission
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import FieldError, Invalid, Stale, Unavailable, not_found
from portal.live import events as live
from portal.plans import amend, repository
from portal.plans import schemas as plan_schemas
from portal.plans.access import PlanRecord, load_plan, open_section, require_section
from portal.plans.content import OutcomeStatus
from portal.plans.merge import three_way_merge
from portal.plans.money import check_cost, is_one_off
from portal.plans.reading import action_read, contact_read, outcome_read, support_read
from portal.plans.repository import ActionRow, ContactRow, ListRow, OutcomeRow, SupportRow
from portal.plans.versions import CAS_RETRIES, EditConflict, commit, revision_reads

_Body = TypeVar("_Body", bound=msgspec.Struct)


class RowKind(msgspec.Struct, frozen=True):
    name: str
    noun: str
    section: str
    row_type: type[ListRow]
    fields: tuple[str, ...]
    read: Callable[[Any], Any]
    permission: Permission


ROW_KINDS: dict[str, RowKind] = {
    "outcome": RowKind(
        "outcome",
        "outcome",
        "outcomes",
        OutcomeRow,
        ("title", "how"),
        outcome_read,
        Permission.OUTCOME_PROPOSE,
    ),
    "support": RowKind(
        "support",
        "support item",
        "money",
        SupportRow,
        ("description", "provider", "cost_pence", "frequency", "outcome", "minutes_per_week"),
        support_read,
        Permission.MONEY_EDIT,
    ),
    "action": RowKind(
        "action",
        "action",
        "action_plan",
        ActionRow,
        ("what", "who", "due_by", "outcome", "done"),
        action_read,
        Permission.SECTION_EDIT,
    ),
    "contact": RowKind(
        "contact",
        "contact",
        "contacts",
        ContactRow,
        ("name", "role", "when_to_contact", "phone", "email"),
        contact_read,
        Permission.SECTION_EDIT,
    ),
}


async def open_rows(actor: Actor, plan_id: uuid.UUID, kind_name: str, write: bool) -> PlanRecord:
    """The same for a list of rows (outcomes, support items, actions, contacts)."""
    kind = ROW_KINDS[kind_name]
    return await open_section(
        actor, plan_id, kind.section, kind.permission if write else Permission.SECTION_VIEW
    )


def decode_row_body(data_type: type[_Body], body: bytes) -> _Body:
    """A row's create or update body, strictly typed: "1250" is text, not 1250 pence."""
    from portal.problems import validation_problem

    try:
        return msgspec.json.decode(body, type=data_type)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise validation_problem(exc, body_type=data_type) from exc


def _row_fields(data: msgspec.Struct) -> dict[str, Any]:
    """Writable fields of a create/update body as stored values; UNSET fields are left out."""
    values: dict[str, Any] = {}
    for name in data.__struct_fields__:
        value = getattr(data, name)
        if value is UNSET:
            continue
        column = "outcome" if name == "outcome_id" else name
        values[column] = value
    return values


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(
        {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in values.items()}
    )
    return result


async def _check_row(kind: RowKind, plan_id: uuid.UUID, values: dict[str, Any]) -> None:
    if (
        kind.name == "support"
        and values.get("minutes_per_week") is not None
        and is_one_off(values.get("frequency", "weekly"))
    ):
        # Hours a week are support that recurs; a one-off cost is paid once and has none.
        raise Invalid(
            "A one-off cost has no hours",
            "A one-off cost is paid once, so it has no hours a week. Remove the hours, or "
            "choose how often the support is paid if it happens every week.",
            errors=[
                FieldError(
                    field="minutes_per_week",
                    message="Remove the hours a week: a one-off cost has none",
                )
            ],
        )
    if kind.name == "support" and ("cost_pence" in values or "frequency" in values):
        try:
            check_cost(values["cost_pence"], values["frequency"])
        except ValueError as exc:
            raise Invalid(
                "Cost not accepted",
                f"Check the cost: {exc}",
                errors=[FieldError(field="cost_pence", message=str(exc))],
            ) from exc
    outcome_id = values.get("outcome")
    if outcome_id is not None and not await repository.outcome_exists(plan_id, outcome_id):
        raise Invalid(
            "Outcome not found",
            "Link this to one of the outcomes in this plan, or to none.",
            errors=[FieldError(field="outcome_id", message="Choose an outcome from this plan.")],
        )


async def _load_row(kind: RowKind, plan_id: uuid.UUID, row_id: uuid.UUID) -> ListRow:
    row = await repository.live_row(kind.row_type, plan_id, row_id)
    if row is None:
        raise not_found(kind.noun)
    return row


async def _plan_for_rows(
    actor: Actor, plan_id: uuid.UUID, kind: RowKind, write: bool
) -> PlanRecord:
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await require_section(
        actor, plan, kind.section, kind.permission if write else Permission.SECTION_VIEW
    )
    if not write:
        await access_log.record(actor, plan.access, "read", [kind.section])
    return plan


async def list_rows(actor: Actor, plan_id: uuid.UUID, kind_name: str) -> list[Any]:
    kind = ROW_KINDS[kind_name]
    plan = await _plan_for_rows(actor, plan_id, kind, write=False)
    return [kind.read(row) for row in await repository.live_rows(kind.row_type, plan.id)]


async def read_row(actor: Actor, plan_id: uuid.UUID, kind_name: str, row_id: uuid.UUID) -> Any:
    kind = ROW_KINDS[kind_name]
    plan = await _plan_for_rows(actor, plan_id, kind, write=False)
    return kind.read(await _load_row(kind, plan.id, row_id))


async def create_row(actor: Actor, plan_id: uuid.UUID, kind_name: str, data: msgspec.Struct) -> Any:
    """Add an outcome, support item, action or contact; its first revision is version 1."""
    kind = ROW_KINDS[kind_name]
    plan = await _plan_for_rows(actor, plan_id, kind, write=True)
    values = _row_fields(data)
    await _check_row(kind, plan.id, values)
    row_id = uuid.uuid4()
    extra: dict[str, Any] = {}
    if kind.name == "outcome":
        extra["status"] = OutcomeStatus.proposed.value
    new_row = {
        "id": row_id,
        "plan": plan.id,
        "version": 1,
        "created_by": actor.user_id,
        **values,
        **extra,
    }
    await commit(
        actor,
        plan,
        kind.section,
        f"{kind.name}:{row_id}",
        0,
        partial(repository.insert_row, kind.row_type, new_row),
        _comparable({f: values.get(f) for f in kind.fields}),
        sorted(values),
    )
    return kind.read(await _load_row(kind, plan.id, row_id))


async def update_row(
    actor: Actor,
    plan_id: uuid.UUID,
    kind_name: str,
    row_id: uuid.UUID,
    data: msgspec.Struct,
    based_on: int,
) -> Any:
    """Change some fields of a row written from `based_on`; merges like a section write."""
    kind = ROW_KINDS[kind_name]
    plan = await _plan_for_rows(actor, plan_id, kind, write=True)
    patch = _comparable(_row_fields(data))
    subject = f"{kind.name}:{row_id}"
    for _ in range(CAS_RETRIES):
        current = await _load_row(kind, plan.id, row_id)
        version = current.version
        theirs = _comparable({f: getattr(current, f) for f in kind.fields})
        if based_on > version:
            raise Stale(
                "Version not known",
                f"This {kind.noun} is at version {version}. Read it again and start from there.",
            )
        base = (
            theirs
            if based_on == version
            else await repository.content_at(plan.id, subject, based_on)
        )
        if base is None:
            raise EditConflict(f"this {kind.noun}", theirs, version, sorted(patch), patch)
        mine = {**base, **patch}
        result = three_way_merge(base, mine, theirs)
        if result.conflicts:
            raise EditConflict(f"this {kind.noun}", theirs, version, result.conflicts, mine)
        if not result.changed:
            return kind.read(current)
        typed = msgspec.convert(
            {("outcome_id" if k == "outcome" else k): v for k, v in result.merged.items()},
            _create_type(kind),
            strict=False,
        )
        values = _row_fields(typed)
        await _check_row(kind, plan.id, values)
        saved = await commit(
            actor,
            plan,
            kind.section,
            subject,
            version,
            partial(repository.save_row, kind.row_type, row_id, version, values),
            result.merged,
            result.changed,
        )
        if saved is None:
            continue
        return kind.read(await _load_row(kind, plan.id, row_id))
    raise Unavailable(
        "Busy",
        "Many people are saving this at once. Try again in a moment.",
        headers={"Retry-After": "1"},
    )


async def _unlink_outcome(
    kind: RowKind, plan_id: uuid.UUID, outcome_id: uuid.UUID, actor: Actor, now: dt.datetime
) -> None:
    for row in await repository.rows_linked_to(kind.row_type, plan_id, outcome_id):
        await repository.save_row(kind.row_type, row.id, row.version, {"outcome": None}, now)
        content = _comparable(
            {f: (None if f == "outcome" else getattr(row, f)) for f in kind.fields}
        )
        await repository.add_revision(
            plan_id,
            f"{kind.name}:{row.id}",
            row.version + 1,
            content,
            ["outcome"],
            actor.user_id,
            now,
            deleted=row.deleted,
        )


async def delete_row(
    actor: Actor, plan_id: uuid.UUID, kind_name: str, row_id: uuid.UUID, based_on: int
) -> None:
    """Remove a row from the plan; its history stays, so it can be looked at later."""
    kind = ROW_KINDS[kind_name]
    plan = await _plan_for_rows(actor, plan_id, kind, write=True)
    current = await _load_row(kind, plan.id, row_id)
    version = current.version
    theirs = _comparable({f: getattr(current, f) for f in kind.fields})
    if based_on > version:
        # Same answer as a change from the future: a version nobody has read cannot be stale.
        raise Stale(
            "Version not known",
            f"This {kind.noun} is at version {version}. Read it again and start from there.",
        )
    if based_on != version:
        raise EditConflict(f"this {kind.noun}", theirs, version, [], {})
    now = clock.now()
    async with repository.write_transaction():
        deleted = await repository.save_row(kind.row_type, row_id, version, {"deleted": True}, now)
        if not deleted:
            raise EditConflict(f"this {kind.noun}", theirs, version, [], {})
        if kind.name == "outcome":
            # Support and actions that served this outcome now serve none; criteria will say so.
            # Each unlinked row gets a new version and revision, so its history stays true and
            # anyone holding its old ETag is told it changed.
            for linked in (ROW_KINDS["support"], ROW_KINDS["action"]):
                await _unlink_outcome(linked, plan.id, row_id, actor, now)
        await repository.add_revision(
            plan.id,
            f"{kind.name}:{row_id}",
            version + 1,
            theirs,
            [],
            actor.user_id,
            now,
            deleted=True,
        )
        await amend.after_change(actor, plan.id, now)
        await access_log.record(actor, plan.access, "edit", [kind.section])
    live.changed(actor, plan.id, kind.section, f"{kind.name}:{row_id}", version + 1, now)


async def row_history(
    actor: Actor, plan_id: uuid.UUID, kind_name: str, row_id: uuid.UUID
) -> list[plan_schemas.RevisionRead]:
    kind = ROW_KINDS[kind_name]
    plan = await _plan_for_rows(actor, plan_id, kind, write=False)
    history = await revision_reads(plan.id, f"{kind.name}:{row_id}")
    if not history:
        raise not_found(kind.noun)
    return history


def _create_type(kind: RowKind) -> type[msgspec.Struct]:
    types: dict[str, type[msgspec.Struct]] = {
        "outcome": plan_schemas.OutcomeCreate,
        "support": plan_schemas.SupportItemCreate,
        "action": plan_schemas.ActionCreate,
        "contact": plan_schemas.ContactCreate,
    }
    return types[kind.name]
