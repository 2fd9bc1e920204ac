"""A package change and the rules around it: whose line it is, the package the tolerance rule
is applied to, and the version a confirmed change makes, which answers to the agreed budget.

- Whose line: a support line names its provider in words (`support_item.provider`). A line is
  a provider organisation's when those words are that organisation's name (ignoring case and
  the spaces around it) and no other provider organisation has the same name; the proposer is
  that organisation's when they hold a role in it. Staff of the organisation never type the
  proposer's organisation: it comes from their roles. The decision is
  `portal.consent.policy.decide_line_change`.
- The package: every live line of the plan (`tolerance.package_figures`).
- The budget: the agreed budget is the annual cost that budget authorisation approved for the
  agreed version (a version a change agreed directly points at the version whose budget covers
  it, `plan_version.budget_from_version`). A confirmed change whose new annual cost is above
  that budget, or that takes the cost above the allocation, is not agreed: the new version waits
  in the budget authorisation tray (`plan_authorised`), where the spending limit and the reason
  for a variation apply as for any plan (`service.authorise_budget`). Within the agreed budget
  the new version is agreed at once, as before.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from portal.consent.policy import decide_line_change, speaks_for
from portal.core.actor import Actor
from portal.core.errors import Conflict, FieldError, Forbidden
from portal.core.money import MAX_WEEKLY_PENCE
from portal.plans import access as plan_access
from portal.plans import reading as plan_reading
from portal.plans.allocation import staff_allocation
from portal.plans.money import Frequency, weekly_pence
from portal.plans.workflow import State
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import organisation_rows, plan_rows, version_rows
from portal.signoff.repository.content_rows import SupportLine
from portal.signoff.repository.organisation_rows import NamedOrganisation
from portal.signoff.repository.plan_rows import SignOffPlan
from portal.signoff.transitions import invalid_field
from portal.signoff.version_history import content_hash

PROVIDER_KIND = "provider"


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


# --- whose line ---------------------------------------------------------------------------------


async def line_providers(provider: str) -> frozenset[uuid.UUID]:
    """The provider organisations a line's provider words name (more than one: ambiguous)."""
    name = provider.strip()
    if not name:
        return frozenset()
    return await organisation_rows.providers_named(PROVIDER_KIND, name)


async def provider_organisations_of(actor: Actor) -> list[NamedOrganisation]:
    """The provider organisations the actor holds a role in (id and name), for telling them
    whose lines they may change."""
    ids = sorted(actor.organisation_ids)
    if not ids:
        return []
    return await organisation_rows.organisations_among(PROVIDER_KIND, ids)


async def not_their_line(actor: Actor, item: SupportLine, owners: frozenset[uuid.UUID]) -> str:
    """Why this line is not the proposer's, in words that say what to do about it."""
    line = f"'{item.description}'"
    named = item.provider.strip()
    if len(owners) > 1:
        return (
            f"More than one provider organisation is called '{named}', so the plan does not say "
            f"which one provides {line}. Ask the care coordinator to change it."
        )
    theirs = await provider_organisations_of(actor)
    if not theirs:
        return (
            f"Only the provider of {line} can propose a change to it, and you are not staff of "
            "a provider organisation. Ask the provider, or ask for a review instead."
        )
    names = " or ".join(f"'{org.name}'" for org in theirs)
    given = f"'{named}'" if named else "no provider"
    return (
        f"{line} is provided by {given}, not by {names}, so you cannot change it. A provider "
        "proposes changes only to its own support; if the plan names the wrong provider, ask "
        "the care coordinator to correct it."
    )


# --- the figures a change starts from ---------------------------------------------------------

_MAX_PENCE_A_WEEK = MAX_WEEKLY_PENCE  # £1,000,000 a week, as for any support item


class Baseline(msgspec.Struct, frozen=True, kw_only=True):
    """The line's figures in the agreed plan, which a change starts from."""

    minutes: int
    ordered_minutes: int
    weekly_pence: int


def check_figures(data: signoff_schemas.PackageChangeCreate, item: SupportLine) -> Baseline:
    """The starting figures are the plan's own; the change must be possible and change
    something, with hours and cost going the same way."""
    if item.frequency == Frequency.one_off.value:
        raise Conflict(
            "A one-off item is not a weekly package",
            f"'{item.description}' is a one-off cost, not hours of support every week, so it "
            "cannot be changed by a package change. Ask for a review of the plan instead.",
            errors=[FieldError("support_item_id", "Choose a line of weekly support")],
        )
    recorded = item.minutes_per_week
    if recorded is None:
        raise Conflict(
            "No hours to change",
            f"The agreed plan records no hours a week for '{item.description}', so it cannot "
            "be changed by hours. Ask the care coordinator to record its hours at a review, or "
            "ask for a review of the package instead.",
            errors=[FieldError("support_item_id", "This support has no hours in the plan")],
        )
    current_weekly = weekly_pence(item.cost_pence, item.frequency)
    if not 0 < data.weekly_cost_after_pence <= _MAX_PENCE_A_WEEK:
        raise invalid_field(
            "weekly_cost_after_pence",
            "Cost not possible",
            "Give the new weekly cost in pence: more than 0 and at most £1,000,000 a week.",
        )
    hours = data.minutes_after - int(recorded)
    cost = data.weekly_cost_after_pence - current_weekly
    if hours == 0 and cost == 0:
        raise invalid_field(
            "minutes_after",
            "Nothing changes",
            "The hours and the cost after the change are the same as the plan's now.",
        )
    if (hours > 0 > cost) or (hours < 0 < cost):
        raise invalid_field(
            "weekly_cost_after_pence",
            "Figures do not add up",
            "The hours go one way and the cost the other. Check the figures: more hours cost "
            "more, fewer hours cost less.",
        )
    if not data.reason.strip():
        raise invalid_field("reason", "Say why", "Say why the package needs to change.")
    ordered = item.ordered_minutes_per_week
    return Baseline(
        minutes=int(recorded),
        ordered_minutes=int(ordered if ordered is not None else recorded),
        weekly_pence=current_weekly,
    )


async def check_line_is_theirs(
    actor: Actor, plan: plan_access.PlanRecord, item: SupportLine
) -> uuid.UUID | None:
    """403 unless the proposer may change this line; the provider organisation it is theirs
    through (None for the person, or someone who speaks for them)."""
    owners = await line_providers(item.provider)
    if not decide_line_change(actor, plan.access, owners):
        raise Forbidden(
            "Not your support to change",
            await not_their_line(actor, item, owners),
            errors=[FieldError("support_item_id", "Choose a line your organisation provides")],
        )
    if speaks_for(actor, plan.access):
        return None
    return next(iter(owners))


# --- the budget --------------------------------------------------------------------------------


async def allocation_for(plan_id: uuid.UUID) -> int | None:
    """The yearly allocation a change is checked against: the organisation's own figure, as
    budget authorisation reads it (never the one the person noted in the money section)."""
    return await staff_allocation(plan_id)


class Budget(msgspec.Struct, frozen=True, kw_only=True):
    """The agreed version, its annual cost, and the budget authorised for it."""

    agreed_version: int
    agreed_annual_pence: int
    budget_version: int
    budget_annual_pence: int


async def agreed_budget(plan_id: uuid.UUID, agreed_version: int) -> Budget:
    agreed = await version_rows.version_terms(plan_id, agreed_version)
    if agreed is None:
        raise Conflict("No agreed package", "This plan has no agreed version to change.")
    budget_version = agreed.budget_from_version or agreed.number
    budget = agreed
    if budget_version != agreed.number:
        budget = await version_rows.version_terms(plan_id, budget_version) or agreed
    return Budget(
        agreed_version=agreed.number,
        agreed_annual_pence=agreed.annual_cost_pence,
        budget_version=budget_version,
        budget_annual_pence=budget.annual_cost_pence,
    )


def budget_reasons(annual_pence: int, budget: Budget, allocation_pence: int | None) -> list[str]:
    """Why a confirmed change needs budget authorisation before it is agreed (none: it does not).

    Above the agreed budget; or taking the cost above the allocation (from at or below it), which
    matters when a budget was authorised above the allocation and later changes brought the
    cost back under it."""
    reasons: list[str] = []
    if annual_pence > budget.budget_annual_pence:
        reasons.append(
            f"The package would cost {_pounds(annual_pence)} a year, above the agreed budget of "
            f"{_pounds(budget.budget_annual_pence)} a year."
        )
    if (
        allocation_pence is not None
        and annual_pence > allocation_pence >= budget.agreed_annual_pence
    ):
        reasons.append(
            f"The package would cost {_pounds(annual_pence)} a year, above the allocation of "
            f"{_pounds(allocation_pence)} a year."
        )
    return reasons


class MadeVersion(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    # Waiting for budget authorisation, and why; agreed at once when empty.
    budget_reasons: list[str]
    annual_cost_pence: int
    budget: Budget


async def version_from_change(
    actor: Actor,
    plan_id: uuid.UUID,
    row: SignOffPlan,
    change: signoff_schemas.PackageChangeRead,
    proposed_by: str,
    now: dt.datetime,
) -> MadeVersion:
    """The plan with the confirmed change, kept as a new version: agreed when within the agreed
    budget, else waiting for budget authorisation while the agreed version stays the active
    plan. Runs inside the confirmation's write transaction."""
    budget = await agreed_budget(plan_id, row.agreed_version or 0)
    snapshot = await plan_reading.snapshot_plan(plan_id)
    money = snapshot["money"]
    annual = int(money["total_annual_pence"])
    allocation = await allocation_for(plan_id)
    reasons = budget_reasons(annual, budget, allocation)
    number = await version_rows.next_version_number(plan_id)
    previous = await version_rows.version_terms(plan_id, budget.agreed_version)
    to_budget = bool(reasons)
    # Compare-and-set from the agreed version this change was confirmed against: of two changes
    # confirmed at once, one makes the next version and the other is told to try again.
    move = plan_rows.send_change_to_budget if to_budget else plan_rows.agree_change
    if not await move(plan_id, number, budget.agreed_version, now):
        raise Conflict(
            "The plan changed just now",
            "Someone changed this plan while you were confirming the change. Reload it and "
            "decide again.",
        )
    if not to_budget:
        await version_rows.supersede_agreed_versions(plan_id)
    assert row.signing_off_organisation is not None  # an agreed plan has its organisation
    await version_rows.insert_version(
        version_rows.NewVersion(
            plan=plan_id,
            number=number,
            status=State.PLAN_AUTHORISED.value if to_budget else State.AGREED.value,
            organisation=row.signing_off_organisation,
            content=msgspec.json.encode(snapshot, order="sorted").decode(),
            content_hash=content_hash(snapshot),
            shared_sections=previous.shared_sections if previous else "[]",
            annual_cost_pence=annual,
            allocation_annual_pence=allocation,
            # The version is made by the one who confirmed the change, not submitted by the
            # person; `confirmed_by` and `change_proposed_by` say so.
            submitted_by=actor.user_id,
            submitted_at=now,
            agreed_by=None if to_budget else actor.user_id,
            agreed_at=None if to_budget else now,
            # Within the budget, the reason the budget differs from the allocation is still the
            # one given when the budget was authorised; above it, budget authorisation asks again.
            budget_variation_reason=(
                "" if to_budget or not previous else previous.budget_variation_reason
            ),
            review_date=row.review_date,
            package_change=change.id,
            confirmed_by=actor.user_id,
            confirmed_by_name=actor.display_name[:200],
            change_proposed_by=proposed_by[:400],
            budget_from_version=None if to_budget else budget.budget_version,
        )
    )
    return MadeVersion(
        number=number, budget_reasons=reasons, annual_cost_pence=annual, budget=budget
    )


async def proposer_words(change: signoff_schemas.PackageChangeRead) -> str:
    """'Sam Provider of Hillsborough Home Care' (or the name alone for the person's own)."""
    name = change.proposed_by
    if change.proposer_organisation_id is None:
        return name
    organisation = await organisation_rows.organisation_name(change.proposer_organisation_id)
    return f"{name} of {organisation}" if organisation else name
