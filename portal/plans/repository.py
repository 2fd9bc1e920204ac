"""Every query of the plans domain, each a named function returning Structs, never dict rows.

The service above composes these and holds the rules and the transactions. The hot reads are
hand-written SQL through `raw`: Piccolo's query building costs more than the query itself here
(CONVENTIONS pitfall 11). Identifiers are quoted for PostgreSQL ("user" is reserved there) and
placeholders are Piccolo's portable `{}`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, ClassVar, Generic, TypeVar

import msgspec
from piccolo.table import Table

from portal.consent.repository.access import PlanRef
from portal.db import write_transaction as db_write_transaction
from portal.plans.allocation import staff_allocation, staff_allocations
from portal.plans.money import Frequency
from portal.plans.tables import (
    Outcome,
    Plan,
    PlanAction,
    PlanContact,
    PlanSection,
    Revision,
    SupportItem,
)

_Row = TypeVar("_Row", bound="Row")
_Listed = TypeVar("_Listed", bound="ListRow")
_Sections = TypeVar("_Sections", bound="SectionText")


class Row(msgspec.Struct, kw_only=True):
    """A database row as a Struct. Both engines give a Timestamptz column as an aware UTC time
    (Piccolo's SQLite converter adds the zone), so rows need no fixing up after conversion."""


def write_transaction() -> Any:
    """A write transaction on the plans' database; the services decide what goes in one."""
    return db_write_transaction(Plan._meta.db)


def _one(row: Any, row_type: type[_Row]) -> _Row:
    return msgspec.convert(row, row_type, strict=False)


def _all(rows: list[Any], row_type: type[_Row]) -> list[_Row]:
    return [msgspec.convert(row, row_type, strict=False) for row in rows]


# --- plans ------------------------------------------------------------------------------


class PlanRow(Row, kw_only=True):
    id: uuid.UUID
    person: uuid.UUID
    kind: str
    title: str
    state: str
    created_at: dt.datetime
    updated_at: dt.datetime
    signing_off_organisation: uuid.UUID | None = None
    agreed_version: int | None = None

    def ref(self) -> PlanRef:
        """The plan as the access decision sees it."""
        return PlanRef(
            id=self.id,
            person_id=self.person,
            state=self.state,
            signing_off_organisation_id=self.signing_off_organisation,
            has_agreed_version=self.agreed_version is not None,
        )


class ListedPlan(PlanRow, kw_only=True):
    owner_name: str


class PlanHeading(Row, kw_only=True):
    title: str
    kind: str


def plan_row(row: Any) -> PlanRow:
    """The plan's row as the access decision loaded it."""
    return _one(row, PlanRow)


async def plans_for(person_id: uuid.UUID, shared: list[uuid.UUID]) -> list[ListedPlan]:
    """The person's own plans and these shared ones, with their owners' names, newest change
    first; the access decision has the last word on each."""
    where = 'p."person" = {}'
    if shared:
        where += f' OR p."id" IN ({", ".join("{}" for _ in shared)})'
    rows = await Plan.raw(
        'SELECT p.*, o."display_name" AS owner_name FROM "plan" p'  # noqa: S608
        ' JOIN "person" o ON o."id" = p."person"'
        f' WHERE {where} ORDER BY p."updated_at" DESC',
        person_id,
        *shared,
    )
    return _all(rows, ListedPlan)


async def plan_heading(plan_id: uuid.UUID) -> PlanHeading | None:
    rows = await Plan.raw('SELECT "title", "kind" FROM "plan" WHERE "id" = {}', plan_id)
    return _one(rows[0], PlanHeading) if rows else None


async def insert_plan(
    plan_id: uuid.UUID,
    person_id: uuid.UUID,
    kind: str,
    title: str,
    state: str,
    created_by: uuid.UUID,
    now: dt.datetime,
    sections: dict[str, Any],
) -> None:
    """A new plan with its sections (key to content) at version 0."""
    await Plan.insert(
        Plan(
            id=plan_id,
            person=person_id,
            kind=kind,
            title=title,
            state=state,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
    )
    await PlanSection.insert(
        *[
            PlanSection(plan=plan_id, key=key, content=_json(content), version=0, updated_at=now)
            for key, content in sections.items()
        ]
    )


async def touch_plan(plan_id: uuid.UUID, now: dt.datetime) -> None:
    await Plan.update({Plan.updated_at: now}).where(Plan.id == plan_id)


async def move_state(
    plan_id: uuid.UUID, source: str, target: str, now: dt.datetime
) -> tuple[bool, int | None]:
    """Move the plan from `source` to `target` if it is in `source` now; whether it moved, and
    its agreed version number."""
    moved = await Plan.raw(
        'UPDATE "plan" SET "state" = {}, "state_changed_at" = {} WHERE "id" = {} AND "state" = {}'
        ' RETURNING "agreed_version"',
        target,
        now,
        plan_id,
        source,
    )
    if not moved:
        return False, None
    agreed = moved[0]["agreed_version"]
    return True, int(agreed) if agreed is not None else None


# --- sections ---------------------------------------------------------------------------


class SectionText(Row, kw_only=True):
    key: str
    # The section's JSON text, decoded by its type in `portal.plans.content`.
    content: str


class PlansSectionText(SectionText, kw_only=True):
    plan: uuid.UUID


class SectionRow(SectionText, kw_only=True):
    id: uuid.UUID
    version: int
    updated_at: dt.datetime
    updated_by_name: str | None = None


_SECTION_ROWS = (
    'SELECT s."id", s."key", s."content", s."version", s."updated_at",'
    ' p."display_name" AS updated_by_name'
    ' FROM "plan_section" s'
    ' LEFT JOIN "user_account" u ON u."id" = s."updated_by"'
    ' LEFT JOIN "person" p ON p."id" = u."person"'
    ' WHERE s."plan" = {}'
)


async def section_rows(plan_id: uuid.UUID) -> list[SectionRow]:
    return _all(await PlanSection.raw(_SECTION_ROWS, plan_id), SectionRow)


async def section_row(plan_id: uuid.UUID, key: str) -> SectionRow | None:
    rows = await PlanSection.raw(_SECTION_ROWS + ' AND s."key" = {}', plan_id, key)
    return _one(rows[0], SectionRow) if rows else None


# --- rows: outcomes, support items, actions, contacts -----------------------------------


class ListRow(Row, kw_only=True):
    """What every row a plan lists has besides its own fields."""

    table: ClassVar[type[Table]]
    id: uuid.UUID
    plan: uuid.UUID
    version: int
    deleted: bool = False
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by_name: str | None = None


class OutcomeRow(ListRow, kw_only=True):
    table = Outcome
    title: str
    how: str
    status: str
    status_reason: str
    decided_by_name: str = ""
    decided_at: dt.datetime | None = None


class SupportRow(ListRow, kw_only=True):
    table = SupportItem
    description: str
    provider: str
    cost_pence: int
    frequency: Frequency
    outcome: uuid.UUID | None = None
    minutes_per_week: int | None = None


class ActionRow(ListRow, kw_only=True):
    table = PlanAction
    what: str
    who: str
    due_by: dt.date | None = None
    outcome: uuid.UUID | None = None
    done: bool


class ContactRow(ListRow, kw_only=True):
    table = PlanContact
    name: str
    role: str
    when_to_contact: str
    phone: str
    email: str


def _rows_sql(table: type[Table], where: str) -> str:
    """A row table's rows with the name of whoever added each (the table name is our own)."""
    return (
        f'SELECT t.*, p."display_name" AS created_by_name FROM "{table._meta.tablename}" t'  # noqa: S608
        ' LEFT JOIN "user_account" u ON u."id" = t."created_by"'
        ' LEFT JOIN "person" p ON p."id" = u."person"'
        f" WHERE {where}"
    )


async def live_rows(row_type: type[_Listed], plan_id: uuid.UUID) -> list[_Listed]:
    """The plan's rows of this kind that are not deleted, in their order."""
    table = row_type.table
    rows = await table.raw(
        _rows_sql(
            table, 't."plan" = {} AND t."deleted" = {} ORDER BY t."position", t."created_at"'
        ),
        plan_id,
        False,
    )
    return _all(rows, row_type)


async def live_row(
    row_type: type[_Listed], plan_id: uuid.UUID, row_id: uuid.UUID
) -> _Listed | None:
    table = row_type.table
    rows = await table.raw(
        _rows_sql(table, 't."id" = {} AND t."plan" = {} AND t."deleted" = {}'),
        row_id,
        plan_id,
        False,
    )
    return _one(rows[0], row_type) if rows else None


async def rows_linked_to(
    row_type: type[_Listed], plan_id: uuid.UUID, outcome_id: uuid.UUID
) -> list[_Listed]:
    """Rows of this kind that serve this outcome, deleted ones included."""
    table: Any = row_type.table
    rows = await table.select().where((table.plan == plan_id) & (table.outcome == outcome_id))
    return _all(rows, row_type)


async def outcome_exists(plan_id: uuid.UUID, outcome_id: uuid.UUID) -> bool:
    """Whether this is one of the plan's outcomes, not deleted."""
    found: bool = await Outcome.exists().where(
        (Outcome.id == outcome_id) & (Outcome.plan == plan_id) & (Outcome.deleted == False)  # noqa: E712
    )
    return found


async def insert_row(row_type: type[ListRow], values: dict[str, Any], now: dt.datetime) -> bool:
    """A new row at the end of the plan's list of this kind (deleted rows keep their places)."""
    table: Any = row_type.table
    position = await table.count().where(table.plan == values["plan"])
    await table.insert(table(position=position, created_at=now, updated_at=now, **values))
    return True


async def save_row(
    row_type: type[ListRow],
    row_id: uuid.UUID,
    version: int,
    changes: dict[str, Any],
    now: dt.datetime,
) -> bool:
    """Write these fields as the row's next version, if it is still at `version`."""
    return await _save_version(row_type.table, row_id, version, changes, now)


async def save_section(
    section_id: uuid.UUID,
    version: int,
    content: dict[str, Any],
    author: uuid.UUID | None,
    now: dt.datetime,
) -> bool:
    """Write the section's next version, if it is still at `version`."""
    changes = {"content": _json(content), "updated_by": author}
    return await _save_version(PlanSection, section_id, version, changes, now)


async def _save_version(
    table: type[Table],
    row_id: uuid.UUID,
    version: int,
    changes: dict[str, Any],
    now: dt.datetime,
) -> bool:
    """Write these columns as the next version of a section or row, only if it is still at
    `version` (compare-and-set); False when someone else wrote first."""
    column: Any = table
    updated = (
        await column.update(
            {
                **{getattr(column, name): value for name, value in changes.items()},
                column.version: version + 1,
                column.updated_at: now,
            }
        )
        .where((column.id == row_id) & (column.version == version))
        .returning(column.version)
    )
    return bool(updated)


# --- the data of whole plans ------------------------------------------------------------


class PlanData(msgspec.Struct, Generic[_Sections]):
    """A plan's sections and rows; one plan's sections are whole rows, several plans' only text."""

    sections: list[_Sections]
    outcomes: list[OutcomeRow]
    support: list[SupportRow]
    actions: list[ActionRow]
    contacts: list[ContactRow]
    # The organisation's indicative allocation a year, for the money criterion; not content.
    staff_allocation: int | None = None


async def plan_data(plan_id: uuid.UUID) -> PlanData[SectionRow]:
    """Everything the plan holds now: sections, the rows of each list, the allocation."""
    if Plan._meta.db.transaction_exists():
        # Inside a transaction every query shares one connection: one at a time.
        sections = await section_rows(plan_id)
        outcomes = await live_rows(OutcomeRow, plan_id)
        support = await live_rows(SupportRow, plan_id)
        actions = await live_rows(ActionRow, plan_id)
        contacts = await live_rows(ContactRow, plan_id)
        allocation = await staff_allocation(plan_id)
    else:
        (sections, outcomes, support, actions, contacts), allocation = await asyncio.gather(
            asyncio.gather(
                section_rows(plan_id),
                live_rows(OutcomeRow, plan_id),
                live_rows(SupportRow, plan_id),
                live_rows(ActionRow, plan_id),
                live_rows(ContactRow, plan_id),
            ),
            staff_allocation(plan_id),
        )
    return PlanData(sections, outcomes, support, actions, contacts, allocation)


async def plans_data(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, PlanData[PlansSectionText]]:
    """What the criteria need for several plans, in four queries however many plans there are."""
    found: dict[uuid.UUID, PlanData[PlansSectionText]] = {
        plan_id: PlanData([], [], [], [], []) for plan_id in plan_ids
    }
    if not plan_ids:
        return found
    marks = ", ".join("{}" for _ in plan_ids)
    live = f't."plan" IN ({marks}) AND t."deleted" = {{}} ORDER BY t."position", t."created_at"'
    sections, outcomes, support, actions = await asyncio.gather(
        PlanSection.raw(
            f'SELECT "plan", "key", "content" FROM "plan_section" WHERE "plan" IN ({marks})',  # noqa: S608
            *plan_ids,
        ),
        Outcome.raw(_rows_sql(Outcome, live), *plan_ids, False),
        SupportItem.raw(_rows_sql(SupportItem, live), *plan_ids, False),
        PlanAction.raw(_rows_sql(PlanAction, live), *plan_ids, False),
    )
    for text in _all(sections, PlansSectionText):
        found[text.plan].sections.append(text)
    for outcome in _all(outcomes, OutcomeRow):
        found[outcome.plan].outcomes.append(outcome)
    for item in _all(support, SupportRow):
        found[item.plan].support.append(item)
    for action in _all(actions, ActionRow):
        found[action.plan].actions.append(action)
    for plan_id, allocation in (await staff_allocations(plan_ids)).items():
        found[plan_id].staff_allocation = allocation
    return found


# --- revisions --------------------------------------------------------------------------


class RevisionRow(Row, kw_only=True):
    version: int
    # JSON text: the whole content after the write, and the names of the fields it changed.
    content: str
    changed_fields: str
    deleted: bool
    restored_from: int | None
    created_at: dt.datetime
    author_name: str | None


async def revision_rows(
    plan_id: uuid.UUID, subject: str, version: int | None = None
) -> list[RevisionRow]:
    """Revisions of one subject, newest first; all of them, or just the one at `version`."""
    condition = (Revision.plan == plan_id) & (Revision.subject == subject)
    if version is not None:
        condition = condition & (Revision.version == version)
    rows = await (
        Revision.select(
            Revision.version,
            Revision.content,
            Revision.changed_fields,
            Revision.deleted,
            Revision.restored_from,
            Revision.created_at,
            Revision.author.person.display_name.as_alias("author_name"),  # type: ignore[union-attr]
        )
        .where(condition)
        .order_by(Revision.version, ascending=False)
    )
    return _all(rows, RevisionRow)


async def content_at(plan_id: uuid.UUID, subject: str, version: int) -> dict[str, Any] | None:
    """What a section or row held at this version, or None when it never had that version."""
    row = (
        await Revision.select(Revision.content)
        .where(
            (Revision.plan == plan_id)
            & (Revision.subject == subject)
            & (Revision.version == version)
        )
        .first()
    )
    return msgspec.json.decode(row["content"]) if row else None


async def add_revision(
    plan_id: uuid.UUID,
    subject: str,
    version: int,
    content: Any,
    changed: list[str],
    author: uuid.UUID | None,
    now: dt.datetime,
    *,
    restored_from: int | None = None,
    deleted: bool = False,
) -> None:
    """Keep what a section or row holds after an accepted write, and which fields it changed."""
    await Revision.insert(
        Revision(
            plan=plan_id,
            subject=subject,
            version=version,
            content=_json(content),
            changed_fields=_json(changed),
            restored_from=restored_from,
            deleted=deleted,
            author=author,
            created_at=now,
        )
    )


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()
