"""Plans: writing sections safely together, the rows a plan lists, criteria and money.

Every function takes the actor and asks `portal.consent` before it reads or writes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET
from piccolo.table import Table

from portal.bounds import INT4_MAX, OutOfWindow, parse_version
from portal.consent import access as consent_access
from portal.consent import access_log
from portal.consent import grants as consent_grants
from portal.consent.policy import Permission, PlanAccessFacts, decide, is_owner, visible_sections
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    Stale,
    Unavailable,
    VersionNeeded,
    not_found,
)
from portal.core.sections import CRITERIA_KEYS, SECTION_KEYS, SECTION_TITLES
from portal.core.values import as_uuid, aware
from portal.db import write_transaction as db_write_transaction
from portal.live import events as live
from portal.plans import schemas as plan_schemas
from portal.plans.allocation import staff_allocation, staff_allocation_record, staff_allocations
from portal.plans.content import (
    SECTION_TYPES,
    ActionFact,
    MoneySection,
    OutcomeFact,
    OutcomeStatus,
    SectionContent,
    UnknownSection,
    check_section_dates,
    decode_section,
    empty_section,
    section_to_dict,
)
from portal.plans.criteria import PlanFacts, criteria_summary, evaluate_criteria
from portal.plans.merge import changed_fields, three_way_merge
from portal.plans.money import (
    MoneySummary,
    SupportFact,
    annual_pence,
    check_cost,
    is_one_off,
    summarise_money,
    this_year_pence,
    weekly_pence,
)
from portal.plans.tables import (
    Outcome,
    Plan,
    PlanAction,
    PlanContact,
    PlanSection,
    Revision,
    SupportItem,
)
from portal.signoff import amend

_CAS_RETRIES = 20
_Body = TypeVar("_Body", bound=msgspec.Struct)


# --- versions ---------------------------------------------------------------------------


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


def _public(values: dict[str, Any]) -> dict[str, Any]:
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
        current, yours, fields = _public(current), _public(yours), _public_names(fields)
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


def write_transaction() -> Any:
    return db_write_transaction(Plan._meta.db)


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


# --- access -----------------------------------------------------------------------------


class PlanRecord(msgspec.Struct, frozen=True):
    id: uuid.UUID
    person_id: uuid.UUID
    kind: str
    title: str
    state: str
    created_at: dt.datetime
    updated_at: dt.datetime
    # What the access decision knows of this plan and the actor who loaded it.
    access: PlanAccessFacts


def _record(row: dict[str, Any], access: PlanAccessFacts) -> PlanRecord:
    return PlanRecord(
        id=as_uuid(row["id"]),
        person_id=as_uuid(row["person"]),
        kind=row["kind"],
        title=row["title"],
        state=row["state"],
        created_at=aware(row["created_at"]),
        updated_at=aware(row["updated_at"]),
        access=access,
    )


async def load_plan(actor: Actor | None, plan_id: uuid.UUID, permission: Permission) -> PlanRecord:
    """The plan, if the actor may do this to it; otherwise 404, so its existence does not leak."""
    row, facts = await consent_access.plan_access(actor, plan_id, permission)
    return _record(row, facts)


def _no_such_section(key: str) -> DomainError:
    return NotFound(
        "No such section",
        f"'{key[:40]}' is not a section of a plan. The sections are: {', '.join(SECTION_KEYS)}.",
    )


async def _require_section(
    actor: Actor, plan: PlanRecord, key: str, permission: Permission
) -> None:
    if key not in SECTION_KEYS:
        raise _no_such_section(key)
    if not decide(actor, Permission.SECTION_VIEW, plan.access, key):
        # Someone who may open the plan tried a section not shared with them: the person sees it.
        await access_log.record(actor, plan.access, "refused", [key])
        raise not_found("section")
    if not decide(actor, permission, plan.access, key):
        raise Forbidden("Not allowed", "You can read this section but not change it.")


async def open_section(
    actor: Actor, plan_id: uuid.UUID, key: str, permission: Permission
) -> PlanRecord:
    """The plan, once the actor may do this to this section; pages ask before reading a form,
    so nobody learns anything about a plan from how their form is judged."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await _require_section(actor, plan, key, permission)
    return plan


async def open_rows(actor: Actor, plan_id: uuid.UUID, kind_name: str, write: bool) -> PlanRecord:
    """The same for a list of rows (outcomes, support items, actions, contacts)."""
    kind = ROW_KINDS[kind_name]
    return await open_section(
        actor, plan_id, kind.section, kind.permission if write else Permission.SECTION_VIEW
    )


# --- plans ------------------------------------------------------------------------------


async def create_plan(actor: Actor, data: plan_schemas.PlanCreate) -> PlanRecord:
    """Start a plan for the actor's own person, with every section empty at version 0."""
    title = data.title.strip() or plan_schemas.PLAN_KIND_LABELS[data.kind]
    now = clock.now()
    plan_id = uuid.uuid4()
    async with write_transaction():
        await Plan.insert(
            Plan(
                id=plan_id,
                person=actor.person_id,
                kind=str(data.kind),
                title=title,
                state="draft",
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
            )
        )
        await PlanSection.insert(
            *[
                PlanSection(
                    plan=plan_id,
                    key=key,
                    content=_json(section_to_dict(empty_section(key))),
                    version=0,
                    updated_at=now,
                )
                for key in SECTION_KEYS
            ]
        )
    return PlanRecord(
        id=plan_id,
        person_id=actor.person_id,
        kind=str(data.kind),
        title=title,
        state="draft",
        created_at=now,
        updated_at=now,
        access=PlanAccessFacts(plan_id=plan_id, person_id=actor.person_id),
    )


async def list_plans(actor: Actor) -> list[plan_schemas.PlanSummary]:
    """The plans the actor may see, their own and those shared with them, newest change first,
    each with how many of the criteria they may see are met."""
    shared = await consent_access.plans_shared_with(actor)
    where = 'p."person" = {}'
    if shared:
        where += f' OR p."id" IN ({", ".join("{}" for _ in shared)})'
    rows = await Plan.raw(
        'SELECT p.*, o."display_name" AS owner_name FROM "plan" p'  # noqa: S608
        ' JOIN "person" o ON o."id" = p."person"'
        f' WHERE {where} ORDER BY p."updated_at" DESC',
        actor.person_id,
        *shared,
    )
    facts = await consent_access.facts_for_plans(
        actor, [consent_access.plan_ref(row) for row in rows]
    )
    owners = {as_uuid(row["id"]): row["owner_name"] for row in rows}
    plans = [_record(row, facts[as_uuid(row["id"])]) for row in rows]
    plans = [plan for plan in plans if decide(actor, Permission.PLAN_VIEW, plan.access)]
    data = await _plans_data([plan.id for plan in plans])
    summaries = []
    for plan in plans:
        visible = set(visible_sections(actor, plan.access, CRITERIA_KEYS))
        results = [r for r in evaluate_criteria(_facts(data[plan.id])) if r.key in visible]
        summaries.append(
            plan_schemas.PlanSummary(
                id=plan.id,
                kind=plan.kind,
                title=plan.title,
                state=plan.state,
                created_at=plan.created_at,
                updated_at=plan.updated_at,
                criteria_met=sum(1 for r in results if r.status == "met"),
                criteria_total=len(results),
                owner_name=owners[plan.id],
                mine=is_owner(actor, plan.access),
            )
        )
    return summaries


# --- reading a whole plan ---------------------------------------------------------------


# The hot reads are hand-written SQL through `raw`: Piccolo's query building costs more than
# the query itself here (CONVENTIONS pitfall 11). Identifiers are quoted for PostgreSQL
# ("user" is reserved there) and placeholders are Piccolo's portable `{}`.
_SECTION_ROWS = (
    'SELECT s."id", s."key", s."content", s."version", s."updated_at",'
    ' p."display_name" AS updated_by_name'
    ' FROM "plan_section" s'
    ' LEFT JOIN "user_account" u ON u."id" = s."updated_by"'
    ' LEFT JOIN "person" p ON p."id" = u."person"'
    ' WHERE s."plan" = {}'
)


async def _section_rows(plan_id: uuid.UUID) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await PlanSection.raw(_SECTION_ROWS, plan_id)
    return rows


def _rows_sql(table: type[Table], where: str) -> str:
    """A row table's rows with the name of whoever added each (the table name is our own)."""
    return (
        f'SELECT t.*, p."display_name" AS created_by_name FROM "{table._meta.tablename}" t'  # noqa: S608
        ' LEFT JOIN "user_account" u ON u."id" = t."created_by"'
        ' LEFT JOIN "person" p ON p."id" = u."person"'
        f" WHERE {where}"
    )


async def _live_rows(table: type[Table], plan_id: uuid.UUID) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await table.raw(
        _rows_sql(
            table, 't."plan" = {} AND t."deleted" = {} ORDER BY t."position", t."created_at"'
        ),
        plan_id,
        False,
    )
    return rows


class _PlanData(msgspec.Struct):
    sections: list[dict[str, Any]]
    outcomes: list[dict[str, Any]]
    support: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    # The organisation's indicative allocation a year, for the money criterion; not content.
    staff_allocation: int | None = None


async def _plan_data(plan_id: uuid.UUID) -> _PlanData:
    def reads() -> list[Any]:
        return [
            _section_rows(plan_id),
            *(
                _live_rows(table, plan_id)
                for table in (Outcome, SupportItem, PlanAction, PlanContact)
            ),
        ]

    if Plan._meta.db.transaction_exists():
        # Inside a transaction every query shares one connection: one at a time.
        sections = await _section_rows(plan_id)
        outcomes, support, actions, contacts = [
            await _live_rows(table, plan_id)
            for table in (Outcome, SupportItem, PlanAction, PlanContact)
        ]
        allocation = await staff_allocation(plan_id)
    else:
        (sections, outcomes, support, actions, contacts), allocation = await asyncio.gather(
            asyncio.gather(*reads()), staff_allocation(plan_id)
        )
    return _PlanData(sections, outcomes, support, actions, contacts, allocation)


async def _plans_data(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, _PlanData]:
    """What the criteria need for several plans, in four queries however many plans there are."""
    found: dict[uuid.UUID, _PlanData] = {
        plan_id: _PlanData([], [], [], [], []) for plan_id in plan_ids
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
    for rows, part in (
        (sections, "sections"),
        (outcomes, "outcomes"),
        (support, "support"),
        (actions, "actions"),
    ):
        for row in rows:
            getattr(found[as_uuid(row["plan"])], part).append(row)
    for plan_id, allocation in (await staff_allocations(plan_ids)).items():
        found[plan_id].staff_allocation = allocation
    return found


def _facts(data: _PlanData) -> PlanFacts:
    return PlanFacts(
        sections={row["key"]: decode_section(row["key"], row["content"]) for row in data.sections},
        outcomes=[
            OutcomeFact(
                id=as_uuid(o["id"]),
                title=o["title"],
                how=o["how"],
                status=OutcomeStatus(o["status"]),
            )
            for o in data.outcomes
        ],
        support_items=[
            SupportFact(
                cost_pence=i["cost_pence"],
                frequency=i["frequency"],
                outcome_id=as_uuid(i["outcome"]) if i["outcome"] else None,
            )
            for i in data.support
        ],
        actions=[
            ActionFact(who=a["who"], what=a["what"], due_by=a["due_by"]) for a in data.actions
        ],
        staff_allocation_pence=data.staff_allocation,
    )


async def _plan_facts(plan_id: uuid.UUID) -> PlanFacts:
    return _facts(await _plan_data(plan_id))


def _section_read(
    row: dict[str, Any], decoded: SectionContent | None = None
) -> plan_schemas.SectionRead:
    content = section_to_dict(decoded or decode_section(row["key"], row["content"]))
    return plan_schemas.SectionRead(
        key=row["key"],
        title=SECTION_TITLES[row["key"]],
        content=content,
        version=row["version"],
        etag=etag_for(row["version"]),
        updated_at=aware(row["updated_at"]) if row["version"] else None,
        updated_by=row.get("updated_by_name"),
    )


def _row_meta(row: dict[str, Any]) -> dict[str, Any]:
    """What every row shows besides its own fields: id, version (as ETag too) and times."""
    return {
        "id": as_uuid(row["id"]),
        "version": row["version"],
        "etag": etag_for(row["version"]),
        "created_at": aware(row["created_at"]),
        "updated_at": aware(row["updated_at"]),
    }


def _outcome_link(row: dict[str, Any]) -> uuid.UUID | None:
    return as_uuid(row["outcome"]) if row["outcome"] else None


def _outcome_read(row: dict[str, Any]) -> plan_schemas.OutcomeRead:
    return plan_schemas.OutcomeRead(
        **_row_meta(row),
        title=row["title"],
        how=row["how"],
        status=OutcomeStatus(row["status"]),
        status_reason=row["status_reason"],
        proposed_by=row.get("created_by_name"),
        decided_by=row.get("decided_by_name") or "",
        decided_at=aware(row.get("decided_at")),
    )


def _support_read(row: dict[str, Any]) -> plan_schemas.SupportItemRead:
    one_off = is_one_off(row["frequency"])
    return plan_schemas.SupportItemRead(
        **_row_meta(row),
        description=row["description"],
        provider=row["provider"],
        cost_pence=row["cost_pence"],
        frequency=row["frequency"],
        weekly_pence=None if one_off else weekly_pence(row["cost_pence"], row["frequency"]),
        annual_pence=None if one_off else annual_pence(row["cost_pence"], row["frequency"]),
        outcome_id=_outcome_link(row),
        minutes_per_week=row.get("minutes_per_week"),
        this_year_pence=this_year_pence(row["cost_pence"], row["frequency"]),
    )


def _action_read(row: dict[str, Any]) -> plan_schemas.ActionRead:
    return plan_schemas.ActionRead(
        **_row_meta(row),
        what=row["what"],
        who=row["who"],
        due_by=row["due_by"],
        outcome_id=_outcome_link(row),
        done=bool(row["done"]),
    )


def _contact_read(row: dict[str, Any]) -> plan_schemas.ContactRead:
    return plan_schemas.ContactRead(
        **_row_meta(row),
        name=row["name"],
        role=row["role"],
        when_to_contact=row["when_to_contact"],
        phone=row["phone"],
        email=row["email"],
    )


async def read_plan(actor: Actor, plan_id: uuid.UUID) -> plan_schemas.PlanRead:
    """The whole plan as the actor may see it: sections, criteria, money and every list."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    body = await _plan_read(plan, visible_sections(actor, plan.access, SECTION_KEYS))
    await access_log.record(actor, plan.access, "read", [section.key for section in body.sections])
    return body


async def preview_plan(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID
) -> tuple[Any, plan_schemas.PlanRead]:
    """ "See my plan as …": the plan exactly as one grantee would be shown it."""
    grantee, facts = await consent_grants.preview_as(actor, plan_id, grant_id)
    plan = await load_plan(actor, plan_id, Permission.PLAN_SHARE)
    visible = visible_sections(consent_grants.grantee_actor(grantee), facts, SECTION_KEYS)
    # Never more than the one looking may read themselves (a representative without the
    # money does not see it through a grant the person gave).
    own = set(visible_sections(actor, plan.access, SECTION_KEYS))
    return grantee, await _plan_read(plan, [key for key in visible if key in own])


async def plan_as_seen(plan: PlanRecord, visible_keys: list[str]) -> plan_schemas.PlanRead:
    """The plan cut down to these sections, for an export; the caller asked the access
    decision which sections its reader may see, and records the access itself."""
    return await _plan_read(plan, visible_keys)


async def _plan_read(plan: PlanRecord, visible_keys: list[str]) -> plan_schemas.PlanRead:
    data = await _plan_data(plan.id)
    facts = _facts(data)
    visible = set(visible_keys)
    order = {key: i for i, key in enumerate(SECTION_KEYS)}
    sections = sorted(
        (
            _section_read(row, facts.sections[row["key"]])  # type: ignore[arg-type]
            for row in data.sections
            if row["key"] in visible
        ),
        key=lambda section: order[section.key],
    )
    results = [r for r in evaluate_criteria(facts) if r.key in visible]
    counts = criteria_summary(results)
    money_section = facts.sections.get("money")
    assert isinstance(money_section, MoneySection) or money_section is None
    money = summarise_money(
        money_section.allocation_pence if money_section else None,
        money_section.allocation_frequency if money_section else "annual",
        facts.support_items,
    )
    return plan_schemas.PlanRead(
        id=plan.id,
        kind=plan.kind,
        title=plan.title,
        state=plan.state,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        sections=sections,
        criteria=results,
        criteria_summary=plan_schemas.CriteriaCounts(
            met=counts["met"],
            partial=counts["partial"],
            missing=counts["missing"],
            ready=counts["ready"],
        ),
        money=money if "money" in visible else None,
        organisation_allocation=(
            await staff_allocation_record(plan.id) if "money" in visible else None
        ),
        outcomes=[_outcome_read(o) for o in data.outcomes] if "outcomes" in visible else [],
        support_items=[_support_read(i) for i in data.support] if "money" in visible else [],
        actions=[_action_read(a) for a in data.actions] if "action_plan" in visible else [],
        contacts=[_contact_read(c) for c in data.contacts] if "contacts" in visible else [],
    )


async def read_criteria(actor: Actor, plan_id: uuid.UUID) -> list[Any]:
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    visible = set(visible_sections(actor, plan.access, CRITERIA_KEYS))
    results = [r for r in evaluate_criteria(await _plan_facts(plan.id)) if r.key in visible]
    await access_log.record(actor, plan.access, "read", [r.key for r in results])
    return results


# --- the plan as sign-off sees it ---------------------------------------------------------

# What a row's content is, without what only says when and how often it was written.
_ROW_METADATA = frozenset({"version", "etag", "created_at", "updated_at", "proposed_by"})


def _row_content(row: msgspec.Struct) -> dict[str, Any]:
    values: dict[str, Any] = msgspec.to_builtins(row)
    return {name: value for name, value in values.items() if name not in _ROW_METADATA}


async def plan_facts(plan_id: uuid.UUID) -> PlanFacts:
    """What the criteria look at; callers have asked the access decision first."""
    return await _plan_facts(plan_id)


def _money_of(facts: PlanFacts) -> MoneySummary:
    money_section = facts.sections.get("money")
    assert isinstance(money_section, MoneySection) or money_section is None
    return summarise_money(
        money_section.allocation_pence if money_section else None,
        money_section.allocation_frequency if money_section else "annual",
        facts.support_items,
    )


async def plan_money(plan_id: uuid.UUID) -> MoneySummary:
    """The plan's money totals; callers have asked the access decision first."""
    return _money_of(await _plan_facts(plan_id))


async def snapshot_plan(plan_id: uuid.UUID) -> dict[str, Any]:
    """The whole content of a plan, every section and list, as plain JSON values: what is
    submitted, hashed and kept as a version. Callers have asked the access decision first."""
    rows = await Plan.raw('SELECT "title", "kind" FROM "plan" WHERE "id" = {}', plan_id)
    if not rows:
        raise not_found("plan")
    data = await _plan_data(plan_id)
    facts = _facts(data)
    money = _money_of(facts)
    return {
        "title": rows[0]["title"],
        "kind": rows[0]["kind"],
        "sections": {
            row["key"]: section_to_dict(facts.sections[row["key"]])
            for row in sorted(data.sections, key=lambda r: SECTION_KEYS.index(r["key"]))
        },
        "outcomes": [_row_content(_outcome_read(o)) for o in data.outcomes],
        "support_items": [_row_content(_support_read(i)) for i in data.support],
        "actions": [_row_content(_action_read(a)) for a in data.actions],
        "contacts": [_row_content(_contact_read(c)) for c in data.contacts],
        "money": msgspec.to_builtins(money),
    }


# --- sections ---------------------------------------------------------------------------


async def _current_section(plan_id: uuid.UUID, key: str) -> dict[str, Any]:
    rows = await _section_rows_for(plan_id, key)
    if not rows:
        raise not_found("section")
    return rows[0]


async def _section_rows_for(plan_id: uuid.UUID, key: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await PlanSection.raw(
        _SECTION_ROWS + ' AND s."key" = {}', plan_id, key
    )
    return rows


async def read_section(actor: Actor, plan_id: uuid.UUID, key: str) -> plan_schemas.SectionRead:
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await _require_section(actor, plan, key, Permission.SECTION_VIEW)
    section = _section_read(await _current_section(plan.id, key))
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
        raise _no_such_section(key) from exc
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise validation_problem(exc, what="section", body_type=SECTION_TYPES.get(key)) from exc


def decode_row_body(data_type: type[_Body], body: bytes) -> _Body:
    """A row's create or update body, strictly typed: "1250" is text, not 1250 pence."""
    from portal.problems import validation_problem

    try:
        return msgspec.json.decode(body, type=data_type)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise validation_problem(exc, body_type=data_type) from exc


async def _content_at(plan_id: uuid.UUID, subject: str, version: int) -> dict[str, Any] | None:
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
    await _require_section(
        actor,
        plan,
        key,
        Permission.SECTION_RESTORE if restored_from is not None else Permission.SECTION_EDIT,
    )
    _check_money_section(content)
    mine = section_to_dict(content)
    subject = f"section:{key}"
    for _ in range(_CAS_RETRIES):
        current = await _current_section(plan.id, key)
        theirs = msgspec.json.decode(current["content"])
        version = current["version"]
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
            base = await _content_at(plan.id, subject, based_on) if based_on else None
            if base is None:
                base = section_to_dict(empty_section(key))
            result = three_way_merge(base, mine, theirs)
            if result.conflicts:
                raise EditConflict("this section", theirs, version, result.conflicts, mine)
            merged, changed = result.merged, result.changed
        if not changed and restored_from is None:
            return _section_read(current)
        now = clock.now()
        async with write_transaction():
            updated = (
                await PlanSection.update(
                    {
                        PlanSection.content: _json(merged),
                        PlanSection.version: version + 1,
                        PlanSection.updated_at: now,
                        PlanSection.updated_by: actor.user_id,
                    }
                )
                .where((PlanSection.id == current["id"]) & (PlanSection.version == version))
                .returning(PlanSection.version)
            )
            if not updated:
                continue
            await Revision.insert(
                Revision(
                    plan=plan.id,
                    subject=subject,
                    version=version + 1,
                    content=_json(merged),
                    changed_fields=_json(changed),
                    restored_from=restored_from,
                    author=actor.user_id,
                    created_at=now,
                )
            )
            await amend.after_change(actor, plan.id, now)
            await access_log.record(actor, plan.access, "edit", [key])
        live.changed(actor, plan.id, key, subject, version + 1, now)
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


async def _revision_rows(
    plan_id: uuid.UUID, subject: str, version: int | None = None
) -> list[plan_schemas.RevisionRead]:
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
    return [
        plan_schemas.RevisionRead(
            version=row["version"],
            content=_public(msgspec.json.decode(row["content"])),
            changed_fields=_public_names(msgspec.json.decode(row["changed_fields"])),
            deleted=bool(row["deleted"]),
            restored_from=row["restored_from"],
            author=row["author_name"],
            created_at=aware(row["created_at"]),
        )
        for row in rows
    ]


async def _revisions(plan_id: uuid.UUID, subject: str) -> list[plan_schemas.RevisionRead]:
    return await _revision_rows(plan_id, subject)


async def section_history(
    actor: Actor, plan_id: uuid.UUID, key: str
) -> list[plan_schemas.RevisionRead]:
    """Every accepted write to a section, newest first."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await _require_section(actor, plan, key, Permission.SECTION_VIEW)
    await access_log.record(actor, plan.access, "read", [key])
    return await _revisions(plan.id, f"section:{key}")


async def section_revision(
    actor: Actor, plan_id: uuid.UUID, key: str, version: int
) -> plan_schemas.RevisionRead:
    """One revision of a section: what it said at that version, who wrote it and when."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await _require_section(actor, plan, key, Permission.SECTION_VIEW)
    rows = await _revision_rows(plan.id, f"section:{key}", version)
    if not rows:
        raise NotFound("No such revision", f"This section has no version {version}.")
    await access_log.record(actor, plan.access, "read", [key])
    return rows[0]


async def restore_section(
    actor: Actor, plan_id: uuid.UUID, key: str, version: int, based_on: int
) -> plan_schemas.SectionRead:
    """Bring back an earlier revision as a new one; history is never rewritten."""
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await _require_section(actor, plan, key, Permission.SECTION_RESTORE)
    content = await _content_at(plan.id, f"section:{key}", version)
    if content is None:
        raise NotFound("No such revision", f"This section has no version {version}.")
    return await _write_section(
        actor, plan, key, decode_section(key, content), based_on, restored_from=version
    )


# --- rows: outcomes, support items, actions, contacts -----------------------------------


class RowKind(msgspec.Struct, frozen=True):
    name: str
    noun: str
    section: str
    table: type[Table]
    fields: tuple[str, ...]
    read: Callable[[dict[str, Any]], Any]
    permission: Permission


ROW_KINDS: dict[str, RowKind] = {
    "outcome": RowKind(
        "outcome",
        "outcome",
        "outcomes",
        Outcome,
        ("title", "how"),
        _outcome_read,
        Permission.OUTCOME_PROPOSE,
    ),
    "support": RowKind(
        "support",
        "support item",
        "money",
        SupportItem,
        ("description", "provider", "cost_pence", "frequency", "outcome", "minutes_per_week"),
        _support_read,
        Permission.MONEY_EDIT,
    ),
    "action": RowKind(
        "action",
        "action",
        "action_plan",
        PlanAction,
        ("what", "who", "due_by", "outcome", "done"),
        _action_read,
        Permission.SECTION_EDIT,
    ),
    "contact": RowKind(
        "contact",
        "contact",
        "contacts",
        PlanContact,
        ("name", "role", "when_to_contact", "phone", "email"),
        _contact_read,
        Permission.SECTION_EDIT,
    ),
}


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
    if outcome_id is not None:
        exists = await Outcome.exists().where(
            (Outcome.id == outcome_id) & (Outcome.plan == plan_id) & (Outcome.deleted == False)  # noqa: E712
        )
        if not exists:
            raise Invalid(
                "Outcome not found",
                "Link this to one of the outcomes in this plan, or to none.",
                errors=[
                    FieldError(field="outcome_id", message="Choose an outcome from this plan.")
                ],
            )


async def _load_row(kind: RowKind, plan_id: uuid.UUID, row_id: uuid.UUID) -> dict[str, Any]:
    rows = await kind.table.raw(
        _rows_sql(kind.table, 't."id" = {} AND t."plan" = {} AND t."deleted" = {}'),
        row_id,
        plan_id,
        False,
    )
    if not rows:
        raise not_found(kind.noun)
    return dict(rows[0])


async def _plan_for_rows(
    actor: Actor, plan_id: uuid.UUID, kind: RowKind, write: bool
) -> PlanRecord:
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    await _require_section(
        actor, plan, kind.section, kind.permission if write else Permission.SECTION_VIEW
    )
    if not write:
        await access_log.record(actor, plan.access, "read", [kind.section])
    return plan


async def list_rows(actor: Actor, plan_id: uuid.UUID, kind_name: str) -> list[Any]:
    kind = ROW_KINDS[kind_name]
    plan = await _plan_for_rows(actor, plan_id, kind, write=False)
    return [kind.read(row) for row in await _live_rows(kind.table, plan.id)]


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
    now = clock.now()
    row_id = uuid.uuid4()
    table: Any = kind.table
    async with write_transaction():
        count = await table.count().where(table.plan == plan.id)
        extra: dict[str, Any] = {}
        if kind.name == "outcome":
            extra["status"] = OutcomeStatus.proposed.value
        row = table(
            id=row_id,
            plan=plan.id,
            position=count,
            version=1,
            created_by=actor.user_id,
            created_at=now,
            updated_at=now,
            **values,
            **extra,
        )
        await table.insert(row)
        await Revision.insert(
            Revision(
                plan=plan.id,
                subject=f"{kind.name}:{row_id}",
                version=1,
                content=_json(_comparable({f: values.get(f) for f in kind.fields})),
                changed_fields=_json(sorted(values)),
                author=actor.user_id,
                created_at=now,
            )
        )
        await amend.after_change(actor, plan.id, now)
        await access_log.record(actor, plan.access, "edit", [kind.section])
    live.changed(actor, plan.id, kind.section, f"{kind.name}:{row_id}", 1, now)
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
    table: Any = kind.table
    for _ in range(_CAS_RETRIES):
        current = await _load_row(kind, plan.id, row_id)
        version = current["version"]
        theirs = _comparable({f: current[f] for f in kind.fields})
        if based_on > version:
            raise Stale(
                "Version not known",
                f"This {kind.noun} is at version {version}. Read it again and start from there.",
            )
        base = theirs if based_on == version else await _content_at(plan.id, subject, based_on)
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
        now = clock.now()
        async with write_transaction():
            updated = (
                await table.update(
                    {
                        **{getattr(table, k): v for k, v in values.items()},
                        table.version: version + 1,
                        table.updated_at: now,
                    }
                )
                .where((table.id == row_id) & (table.version == version))
                .returning(table.version)
            )
            if not updated:
                continue
            await Revision.insert(
                Revision(
                    plan=plan.id,
                    subject=subject,
                    version=version + 1,
                    content=_json(result.merged),
                    changed_fields=_json(result.changed),
                    author=actor.user_id,
                    created_at=now,
                )
            )
            await amend.after_change(actor, plan.id, now)
            await access_log.record(actor, plan.access, "edit", [kind.section])
        live.changed(actor, plan.id, kind.section, subject, version + 1, now)
        return kind.read(await _load_row(kind, plan.id, row_id))
    raise Unavailable(
        "Busy",
        "Many people are saving this at once. Try again in a moment.",
        headers={"Retry-After": "1"},
    )


async def _unlink_outcome(
    kind: RowKind, plan_id: uuid.UUID, outcome_id: uuid.UUID, actor: Actor, now: dt.datetime
) -> None:
    table: Any = kind.table
    rows = await table.select().where((table.plan == plan_id) & (table.outcome == outcome_id))
    for row in rows:
        await table.update(
            {table.outcome: None, table.version: row["version"] + 1, table.updated_at: now}
        ).where((table.id == row["id"]) & (table.version == row["version"]))
        content = _comparable({f: (None if f == "outcome" else row[f]) for f in kind.fields})
        await Revision.insert(
            Revision(
                plan=plan_id,
                subject=f"{kind.name}:{row['id']}",
                version=row["version"] + 1,
                content=_json(content),
                changed_fields=_json(["outcome"]),
                deleted=bool(row["deleted"]),
                author=actor.user_id,
                created_at=now,
            )
        )


async def delete_row(
    actor: Actor, plan_id: uuid.UUID, kind_name: str, row_id: uuid.UUID, based_on: int
) -> None:
    """Remove a row from the plan; its history stays, so it can be looked at later."""
    kind = ROW_KINDS[kind_name]
    plan = await _plan_for_rows(actor, plan_id, kind, write=True)
    current = await _load_row(kind, plan.id, row_id)
    version = current["version"]
    theirs = _comparable({f: current[f] for f in kind.fields})
    if based_on > version:
        # Same answer as a change from the future: a version nobody has read cannot be stale.
        raise Stale(
            "Version not known",
            f"This {kind.noun} is at version {version}. Read it again and start from there.",
        )
    if based_on != version:
        raise EditConflict(f"this {kind.noun}", theirs, version, [], {})
    table: Any = kind.table
    now = clock.now()
    async with write_transaction():
        updated = (
            await table.update(
                {table.deleted: True, table.version: version + 1, table.updated_at: now}
            )
            .where((table.id == row_id) & (table.version == version))
            .returning(table.version)
        )
        if not updated:
            raise EditConflict(f"this {kind.noun}", theirs, version, [], {})
        if kind.name == "outcome":
            # Support and actions that served this outcome now serve none; criteria will say so.
            # Each unlinked row gets a new version and revision, so its history stays true and
            # anyone holding its old ETag is told it changed.
            for linked in (ROW_KINDS["support"], ROW_KINDS["action"]):
                await _unlink_outcome(linked, plan.id, row_id, actor, now)
        await Revision.insert(
            Revision(
                plan=plan.id,
                subject=f"{kind.name}:{row_id}",
                version=version + 1,
                content=_json(theirs),
                changed_fields="[]",
                deleted=True,
                author=actor.user_id,
                created_at=now,
            )
        )
        await amend.after_change(actor, plan.id, now)
        await access_log.record(actor, plan.access, "edit", [kind.section])
    live.changed(actor, plan.id, kind.section, f"{kind.name}:{row_id}", version + 1, now)


async def row_history(
    actor: Actor, plan_id: uuid.UUID, kind_name: str, row_id: uuid.UUID
) -> list[plan_schemas.RevisionRead]:
    kind = ROW_KINDS[kind_name]
    plan = await _plan_for_rows(actor, plan_id, kind, write=False)
    history = await _revisions(plan.id, f"{kind.name}:{row_id}")
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
