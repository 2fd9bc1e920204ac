"""Reading plans: the list an actor may see, a whole plan as someone may see it, its criteria,
and what sign-off reads (facts, money totals, the snapshot that is submitted and hashed)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from portal.consent import access as consent_access
from portal.consent import access_log
from portal.consent import grants as consent_grants
from portal.consent.policy import Permission, decide, is_owner, visible_sections
from portal.core.actor import Actor
from portal.core.errors import not_found
from portal.core.sections import CRITERIA_KEYS, SECTION_KEYS, SECTION_TITLES
from portal.plans import repository
from portal.plans import schemas as plan_schemas
from portal.plans.access import PlanRecord, load_plan, plan_record
from portal.plans.allocation import staff_allocation_record
from portal.plans.content import (
    ActionFact,
    MoneySection,
    OutcomeFact,
    OutcomeStatus,
    SectionContent,
    decode_section,
    section_to_dict,
)
from portal.plans.criteria import PlanFacts, criteria_summary, evaluate_criteria
from portal.plans.money import (
    MoneySummary,
    SupportFact,
    annual_pence,
    is_one_off,
    summarise_money,
    this_year_pence,
    weekly_pence,
)
from portal.plans.repository import (
    ActionRow,
    ContactRow,
    ListRow,
    OutcomeRow,
    PlanData,
    SectionRow,
    SupportRow,
)
from portal.plans.versions import etag_for


def _plan_fields(plan: PlanRecord) -> dict[str, Any]:
    """What a plan says of itself, in a list of plans and when read whole."""
    return {
        "id": plan.id,
        "kind": plan.kind,
        "title": plan.title,
        "state": plan.state,
        "created_at": plan.created_at,
        "updated_at": plan.updated_at,
    }


async def list_plans(actor: Actor) -> list[plan_schemas.PlanSummary]:
    """The plans the actor may see, their own and those shared with them, newest change first,
    each with how many of the criteria they may see are met."""
    shared = await consent_access.plans_shared_with(actor)
    rows = await repository.plans_for(actor.person_id, shared)
    facts = await consent_access.facts_for_plans(actor, [row.ref() for row in rows])
    owners = {row.id: row.owner_name for row in rows}
    plans = [plan_record(row, facts[row.id]) for row in rows]
    plans = [plan for plan in plans if decide(actor, Permission.PLAN_VIEW, plan.access)]
    data = await repository.plans_data([plan.id for plan in plans])
    summaries = []
    for plan in plans:
        visible = set(visible_sections(actor, plan.access, CRITERIA_KEYS))
        results = [r for r in evaluate_criteria(_facts(data[plan.id])) if r.key in visible]
        summaries.append(
            plan_schemas.PlanSummary(
                **_plan_fields(plan),
                criteria_met=sum(1 for r in results if r.status == "met"),
                criteria_total=len(results),
                owner_name=owners[plan.id],
                mine=is_owner(actor, plan.access),
            )
        )
    return summaries


def _facts(data: PlanData[Any]) -> PlanFacts:
    return PlanFacts(
        sections={text.key: decode_section(text.key, text.content) for text in data.sections},
        outcomes=[
            OutcomeFact(id=o.id, title=o.title, how=o.how, status=OutcomeStatus(o.status))
            for o in data.outcomes
        ],
        support_items=[
            SupportFact(cost_pence=i.cost_pence, frequency=i.frequency, outcome_id=i.outcome)
            for i in data.support
        ],
        actions=[ActionFact(who=a.who, what=a.what, due_by=a.due_by) for a in data.actions],
        staff_allocation_pence=data.staff_allocation,
    )


async def _plan_facts(plan_id: uuid.UUID) -> PlanFacts:
    return _facts(await repository.plan_data(plan_id))


def section_read(
    row: SectionRow, decoded: SectionContent | None = None
) -> plan_schemas.SectionRead:
    content = section_to_dict(decoded or decode_section(row.key, row.content))
    return plan_schemas.SectionRead(
        key=row.key,
        title=SECTION_TITLES[row.key],
        content=content,
        version=row.version,
        etag=etag_for(row.version),
        updated_at=row.updated_at if row.version else None,
        updated_by=row.updated_by_name,
    )


def _row_meta(row: ListRow) -> dict[str, Any]:
    """What every row shows besides its own fields: id, version (as ETag too) and times."""
    return {
        "id": row.id,
        "version": row.version,
        "etag": etag_for(row.version),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def outcome_read(row: OutcomeRow) -> plan_schemas.OutcomeRead:
    return plan_schemas.OutcomeRead(
        **_row_meta(row),
        title=row.title,
        how=row.how,
        status=OutcomeStatus(row.status),
        status_reason=row.status_reason,
        proposed_by=row.created_by_name,
        decided_by=row.decided_by_name or "",
        decided_at=row.decided_at,
    )


def support_read(row: SupportRow) -> plan_schemas.SupportItemRead:
    one_off = is_one_off(row.frequency)
    return plan_schemas.SupportItemRead(
        **_row_meta(row),
        description=row.description,
        provider=row.provider,
        cost_pence=row.cost_pence,
        frequency=row.frequency,
        weekly_pence=None if one_off else weekly_pence(row.cost_pence, row.frequency),
        annual_pence=None if one_off else annual_pence(row.cost_pence, row.frequency),
        outcome_id=row.outcome,
        minutes_per_week=row.minutes_per_week,
        this_year_pence=this_year_pence(row.cost_pence, row.frequency),
    )


def action_read(row: ActionRow) -> plan_schemas.ActionRead:
    return plan_schemas.ActionRead(
        **_row_meta(row),
        what=row.what,
        who=row.who,
        due_by=row.due_by,
        outcome_id=row.outcome,
        done=row.done,
    )


def contact_read(row: ContactRow) -> plan_schemas.ContactRead:
    return plan_schemas.ContactRead(
        **_row_meta(row),
        name=row.name,
        role=row.role,
        when_to_contact=row.when_to_contact,
        phone=row.phone,
        email=row.email,
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
    data = await repository.plan_data(plan.id)
    facts = _facts(data)
    visible = set(visible_keys)
    order = {key: i for i, key in enumerate(SECTION_KEYS)}
    sections = sorted(
        (
            section_read(row, facts.sections[row.key])  # type: ignore[arg-type]
            for row in data.sections
            if row.key in visible
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
        **_plan_fields(plan),
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
        outcomes=[outcome_read(o) for o in data.outcomes] if "outcomes" in visible else [],
        support_items=[support_read(i) for i in data.support] if "money" in visible else [],
        actions=[action_read(a) for a in data.actions] if "action_plan" in visible else [],
        contacts=[contact_read(c) for c in data.contacts] if "contacts" in visible else [],
    )


async def read_criteria(actor: Actor, plan_id: uuid.UUID) -> list[Any]:
    plan = await load_plan(actor, plan_id, Permission.PLAN_VIEW)
    visible = set(visible_sections(actor, plan.access, CRITERIA_KEYS))
    results = [r for r in evaluate_criteria(await _plan_facts(plan.id)) if r.key in visible]
    await access_log.record(actor, plan.access, "read", [r.key for r in results])
    return results


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
    heading = await repository.plan_heading(plan_id)
    if heading is None:
        raise not_found("plan")
    data = await repository.plan_data(plan_id)
    facts = _facts(data)
    money = _money_of(facts)
    return {
        "title": heading.title,
        "kind": heading.kind,
        "sections": {
            row.key: section_to_dict(facts.sections[row.key])
            for row in sorted(data.sections, key=lambda r: SECTION_KEYS.index(r.key))
        },
        "outcomes": [_row_content(outcome_read(o)) for o in data.outcomes],
        "support_items": [_row_content(support_read(i)) for i in data.support],
        "actions": [_row_content(action_read(a)) for a in data.actions],
        "contacts": [_row_content(contact_read(c)) for c in data.contacts],
        "money": msgspec.to_builtins(money),
    }
