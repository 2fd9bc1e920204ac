"""Who speaks for the person: a record of their authority (an LPA, a deputyship, an appointee)
and of its scope. A record's scope never changes once made; ending it is a new version."""

from __future__ import annotations

import uuid

import msgspec

from portal.consent import access as consent_access
from portal.consent import access_log, checks
from portal.consent import schemas as consent_schemas
from portal.consent.policy import (
    AUTHORITY_LABELS,
    Permission,
    Power,
    RepresentativeScope,
    decide,
    decide_end_representative,
    decide_representative,
    scope_beyond_authority,
)
from portal.consent.refusals import representative_refusal
from portal.consent.repository import representatives as representative_repository
from portal.consent.repository import sql
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, FieldError, Invalid, not_found
from portal.core.sections import SECTION_TITLES


def _representative_read(
    row: representative_repository.RepresentativeRow,
) -> consent_schemas.RepresentativeRead:
    return consent_schemas.RepresentativeRead(
        id=row.record_id,
        version=row.version,
        user_id=row.user_id,
        name=row.name,
        email=row.email,
        authority=row.authority,
        authority_label=AUTHORITY_LABELS[row.authority],
        authority_reference=row.authority_reference,
        relationship=row.relationship,
        sections=row.sections,
        powers=row.powers,
        how_decisions_are_reached=row.how_decisions_are_reached,
        status=row.status,
        reason=row.reason,
        made_by_name=row.made_by_name,
        made_at=row.made_at,
    )


def _scope(record: representative_repository.RepresentativeValues) -> RepresentativeScope:
    return RepresentativeScope(
        user_id=record.user_id,
        authority=record.authority,
        sections=frozenset(record.sections),
        powers=frozenset(record.powers),
    )


async def _latest(person_id: uuid.UUID, record_id: uuid.UUID) -> consent_schemas.RepresentativeRead:
    rows = await representative_repository.representative_versions(person_id, record_id)
    return _representative_read(rows[-1])


async def list_representatives(
    actor: Actor, plan_id: uuid.UUID, history: bool = False
) -> list[consent_schemas.RepresentativeRead]:
    """Who speaks for the person, shown with the plan to anyone who may read "About me"."""
    _, facts = await consent_access.plan_access(actor, plan_id, Permission.PLAN_VIEW)
    if not decide(actor, Permission.SECTION_VIEW, facts, "about_me"):
        raise not_found("section")
    rows = await representative_repository.representative_versions(facts.person_id)
    if history:
        return [_representative_read(row) for row in reversed(rows)]
    return [_representative_read(row) for row in rows if row.current and row.status == "active"]


async def record_representative(
    actor: Actor, plan_id: uuid.UUID, data: consent_schemas.RepresentativeCreate
) -> consent_schemas.RepresentativeRead:
    """Record who speaks for the person, with what authority and within what scope."""
    _, facts = await consent_access.plan_access(actor, plan_id, Permission.PLAN_SHARE)
    sections = checks.check_sections(data.sections)
    powers = [p for p in Power if p in set(data.powers)]
    if not powers:
        raise Invalid(
            "No powers chosen",
            "Choose what they may do: view, edit, or choose who sees the plan.",
            errors=[FieldError("powers", "Choose at least one")],
        )
    extra_sections, extra_powers = scope_beyond_authority(
        data.authority, frozenset(sections), frozenset(powers)
    )
    if extra_sections or extra_powers:
        beyond = [SECTION_TITLES[key] for key in extra_sections] + [
            f"the power to {p}" for p in extra_powers
        ]
        raise Invalid(
            "Wider than the authority",
            f"A {AUTHORITY_LABELS[data.authority].lower()} does not cover "
            f"{', '.join(beyond)}. Remove {'them' if len(beyond) > 1 else 'it'}, or record "
            "the authority that does.",
            errors=[FieldError("sections", "Choose only what the authority covers")],
        )
    account = await checks.account_by_email(data.email, "email")
    checks.not_to_yourself(facts, account.person_id, "email")
    record = representative_repository.RepresentativeValues(
        record_id=uuid.uuid4(),
        person_id=facts.person_id,
        user_id=account.id,
        authority=data.authority,
        authority_reference=data.authority_reference.strip(),
        relationship=data.relationship.strip(),
        sections=sections,
        powers=powers,
        how_decisions_are_reached=data.how_decisions_are_reached.strip(),
        status="active",
        reason=data.reason.strip(),
    )
    decision = decide_representative(actor, facts, _scope(record))
    if not decision.allowed:
        problem = representative_refusal(decision, recording=True)
        await checks.refuse(actor, facts, "representative_refused", sections, "", problem)
    async with sql.transaction():
        if await representative_repository.active_representative_exists(
            facts.person_id, account.id, data.authority
        ):
            raise Conflict(
                "Already recorded",
                "This person is already recorded with this authority. End that record first "
                "if it needs to change.",
            )
        await representative_repository.add_representative(record, actor.user_id, clock.now())
        await access_log.record(
            actor, facts, "representative_recorded", sections, str(record.record_id), always=True
        )
    return await _latest(facts.person_id, record.record_id)


async def end_representative(
    actor: Actor, plan_id: uuid.UUID, record_id: uuid.UUID, reason: str = ""
) -> consent_schemas.RepresentativeRead:
    """End a record: the person, a deputy within their own record, or the representative
    stepping down (which needs no more than that they may open the plan)."""
    _, facts = await consent_access.plan_access(actor, plan_id, Permission.PLAN_VIEW)
    # A record's scope never changes once made (a change is an end and a new record).
    found = await representative_repository.current_representative(facts.person_id, record_id)
    if found is None:
        raise not_found("representative")
    decision = decide_end_representative(actor, facts, _scope(found))
    if not decision.allowed:
        problem = representative_refusal(decision, recording=False)
        await checks.refuse(actor, facts, "representative_refused", (), str(record_id), problem)
    async with sql.transaction():
        old = await representative_repository.current_representative(facts.person_id, record_id)
        if old is None:
            raise not_found("representative")
        if old.status != "active":
            raise Conflict("Already ended", "This record was ended already.")
        ended = msgspec.structs.replace(old, status="ended", reason=reason.strip())
        await representative_repository.supersede_representative(
            old, ended, actor.user_id, clock.now()
        )
        await access_log.record(
            actor, facts, "representative_ended", (), str(record_id), always=True
        )
    return await _latest(facts.person_id, record_id)
