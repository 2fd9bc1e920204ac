"""A plan's versions: what identifies one (its content hash and the code a printed copy carries),
the list, one version as its reader may see it, and what changed between two."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import msgspec

from portal.consent import access_log
from portal.consent.money import may_see_money
from portal.consent.policy import (
    Permission,
    visible_sections,
)
from portal.core.actor import Actor
from portal.core.errors import (
    NotFound,
)
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.plans import access as plan_access
from portal.plans import reading as plan_reading
from portal.signoff import redact
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import (
    version_rows,
)
from portal.signoff.repository.version_rows import VersionRow

OUTCOME_DECISION_FIELDS = frozenset({"status", "status_reason", "decided_by", "decided_at"})


def content_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 of what the person wrote. Staff decisions on outcomes are not the person changing
    their plan, so an outcome's status and its reason are left out."""
    hashed = dict(snapshot)
    hashed["outcomes"] = [
        {k: v for k, v in o.items() if k not in OUTCOME_DECISION_FIELDS}
        for o in snapshot["outcomes"]
    ]
    return hashlib.sha256(msgspec.json.encode(hashed, order="sorted")).hexdigest()


def verification_code(digest: str) -> str:
    """The short form of a content hash that a printed copy carries, e.g. `3F2A-91C0-77DE`."""
    short = digest[:12].upper()
    return "-".join(short[i : i + 4] for i in range(0, 12, 4))


def version_summary(row: VersionRow) -> signoff_schemas.VersionSummary:
    return signoff_schemas.VersionSummary(
        number=row.number,
        status=row.status,
        organisation_id=row.organisation,
        organisation_name=row.organisation_name,
        content_hash=row.content_hash,
        verification_code=verification_code(row.content_hash),
        annual_cost_pence=row.annual_cost_pence,
        allocation_annual_pence=row.allocation_annual_pence,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by_name,
        plan_authorised_at=row.plan_authorised_at,
        plan_authorised_by=row.plan_authorised_by_name,
        agreed_at=row.agreed_at,
        agreed_by=row.agreed_by_name,
        budget_variation_reason=row.budget_variation_reason,
        review_date=row.review_date,
        returned_at=row.returned_at,
        shared_sections=row.shared_sections,
        package_change_id=row.package_change,
        confirmed_by=row.confirmed_by_name,
        change_proposed_by=row.change_proposed_by,
    )


_LIST_SECTIONS = {
    "outcomes": "outcomes",
    "support_items": "money",
    "money": "money",
    "actions": "action_plan",
    "contacts": "contacts",
}


def _visible_content(snapshot: dict[str, Any], visible: set[str]) -> dict[str, Any]:
    """A version's content holding only what the reader may see; hidden sections are absent."""
    shown: dict[str, Any] = {"title": snapshot["title"], "kind": snapshot["kind"]}
    shown["sections"] = {k: v for k, v in snapshot["sections"].items() if k in visible}
    for name, section in _LIST_SECTIONS.items():
        if section in visible:
            shown[name] = snapshot[name]
    return shown


def as_seen(version: signoff_schemas.VersionSummary, money: bool) -> signoff_schemas.VersionSummary:
    """A version's summary as its reader may see it: its figures only with the money."""
    return version if money else redact.version_without_money(version)


async def list_versions(actor: Actor, plan_id: uuid.UUID) -> list[signoff_schemas.VersionSummary]:
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    money = may_see_money(actor, plan.access)
    return [as_seen(version_summary(v), money) for v in await version_rows.list_versions(plan_id)]


async def _numbered_version(plan_id: uuid.UUID, number: int) -> VersionRow:
    version = await version_rows.get_version(plan_id, number)
    if version is None:
        raise NotFound(
            "No such version", f"This plan has no version {number}. See its list of versions."
        )
    return version


async def _version(
    actor: Actor, plan_id: uuid.UUID, number: int
) -> tuple[plan_access.PlanRecord, VersionRow]:
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    return plan, await _numbered_version(plan_id, number)


async def version_as_seen(
    plan: plan_access.PlanRecord, number: int, visible: set[str]
) -> tuple[signoff_schemas.VersionSummary, dict[str, Any]]:
    """A version and its content cut down to these sections, for an export; the caller asked
    the access decision for the plan and its sections, and records the access itself."""
    version = await _numbered_version(plan.id, number)
    snapshot = msgspec.json.decode(version.content)
    summary = as_seen(version_summary(version), "money" in visible)
    return summary, _visible_content(snapshot, visible)


async def versions_of(plan_id: uuid.UUID) -> list[signoff_schemas.VersionSummary]:
    """Every version of a plan, newest first; the caller asked the access decision first."""
    return [version_summary(v) for v in await version_rows.list_versions(plan_id)]


async def read_version(
    actor: Actor, plan_id: uuid.UUID, number: int
) -> signoff_schemas.VersionRead:
    plan, row = await _version(actor, plan_id, number)
    visible = set(visible_sections(actor, plan.access, SECTION_KEYS))
    snapshot = msgspec.json.decode(row.content)
    await access_log.record(actor, plan.access, "read", sorted(visible & set(SECTION_KEYS)))
    summary = as_seen(version_summary(row), may_see_money(actor, plan.access))
    return signoff_schemas.VersionRead(version=summary, content=_visible_content(snapshot, visible))


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))


async def compare_version(
    actor: Actor, plan_id: uuid.UUID, number: int, other: int | None
) -> signoff_schemas.VersionComparison:
    """What changed, section by section, between a version and another one (or the plan now)."""
    plan, row = await _version(actor, plan_id, number)
    visible = set(visible_sections(actor, plan.access, SECTION_KEYS))
    old = msgspec.json.decode(row.content)
    if other is None:
        new = await plan_reading.snapshot_plan(plan_id)
        label = "current"
    else:
        _, other_row = await _version(actor, plan_id, other)
        new = msgspec.json.decode(other_row.content)
        label = str(other)
    sections = []
    for key in SECTION_KEYS:
        if key not in visible:
            continue
        fields = _changed_fields(old["sections"].get(key, {}), new["sections"].get(key, {}))
        sections.append(
            signoff_schemas.SectionDifference(
                section=key, title=SECTION_TITLES[key], changed=bool(fields), changed_fields=fields
            )
        )
    lists = [
        name
        for name, section in _LIST_SECTIONS.items()
        if section in visible and name != "money" and old.get(name) != new.get(name)
    ]
    return signoff_schemas.VersionComparison(
        version=number, compared_with=label, sections=sections, lists_changed=lists
    )
