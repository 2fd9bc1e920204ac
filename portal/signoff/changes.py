"""Package changes (seed 002).

A provider with a grant proposes a change to one of its own support lines (`package`: whose
line it is): the line's hours a week and weekly cost after the change, and why; the figures
before are the agreed plan's, never the proposer's. A line with no hours recorded cannot be
changed by hours. The tolerance rule, applied to the package as a whole with the signing-off
organisation's own figures (`tolerance.route_package_change`), decides who confirms it: the
coordinator within tolerance, a team manager outside it. A confirmed change never edits
history: the old line ends (kept, as removed) and a new line starts (seed 000's "change
units"), and the plan becomes a new version holding the change, named as confirmed by whoever
confirmed it: agreed at once within the agreed budget, or waiting for budget authorisation when
it is above it (or takes the cost above the allocation). Any party may turn a change request
into a full review.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.audit.trail import AuditDraft, append
from portal.consent import access_log
from portal.consent.policy import STAFF_DECISIONS, Permission, decide, is_owner, speaks_for
from portal.core.actor import Actor
from portal.core.clock import now as utc_now
from portal.core.errors import (
    Conflict,
    NotFound,
    not_found,
)
from portal.db import write_transaction
from portal.notifications.service import tell_about_plan
from portal.plans import access as plan_access
from portal.plans.tables import Plan
from portal.plans.workflow import State
from portal.signoff import package
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import change_rows, content_rows
from portal.signoff.repository.columns import json_text
from portal.signoff.repository.content_rows import SupportLine
from portal.signoff.tolerance import (
    ChangeRoute,
    PackageFigures,
    package_figures,
    route_package_change,
)
from portal.signoff.tolerance_settings import tolerance_of
from portal.signoff.transitions import (
    audited,
    invalid_field,
    open_plan_for,
    plan_state,
    role_for,
)


async def _open_money(actor: Actor, plan_id: uuid.UUID) -> plan_access.PlanRecord:
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    if not decide(actor, Permission.SECTION_VIEW, plan.access, "money"):
        await access_log.record(actor, plan.access, "refused", ["money"])
        raise not_found("plan")
    return plan


async def list_changes(actor: Actor, plan_id: uuid.UUID) -> list[signoff_schemas.PackageChangeRead]:
    await _open_money(actor, plan_id)
    return await change_rows.list_changes(plan_id)


async def _live_support(plan_id: uuid.UUID, item_id: uuid.UUID) -> SupportLine:
    line = await content_rows.live_support_line(plan_id, item_id)
    if line is None:
        raise invalid_field(
            "support_item_id",
            "No such support",
            "That support is not part of this plan now (it may have been changed already). "
            "Choose a line from the plan's money section.",
        )
    return line


async def propose_change(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.PackageChangeCreate
) -> signoff_schemas.PackageChangeRead:
    """A provider (anyone who may comment on the money) proposes a change to one line."""

    async def act() -> uuid.UUID:
        await _open_money(actor, plan_id)
        plan = await open_plan_for(
            actor, plan_id, Permission.CHANGE_PROPOSE, "propose a change to the support"
        )
        row = await plan_state(plan_id)
        if row.agreed_version is None or row.state != State.AGREED.value:
            raise Conflict(
                "No agreed package to change",
                "A change to the package can be proposed once the plan is agreed and while no "
                "new version of it is being written.",
                current_state=row.state,
            )
        item = await _live_support(plan_id, data.support_item_id)
        organisation = await package.check_line_is_theirs(actor, plan, item)
        baseline = package.check_figures(data, item)
        tolerance = await tolerance_of(row.signing_off_organisation)
        figures: PackageFigures = package_figures(
            await content_rows.package_lines(plan_id),
            str(item.id),
            data.minutes_after,
            data.weekly_cost_after_pence,
        )
        verdict = route_package_change(figures, tolerance)
        change_id = uuid.uuid4()
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            await change_rows.insert_change(
                change_rows.NewChange(
                    id=change_id,
                    plan=plan_id,
                    support_item=data.support_item_id,
                    proposed_by=actor.user_id,
                    proposer_name=actor.display_name[:200],
                    proposer_organisation=organisation,
                    minutes_before=baseline.minutes,
                    minutes_after=data.minutes_after,
                    ordered_minutes=baseline.ordered_minutes,
                    weekly_cost_before_pence=baseline.weekly_pence,
                    weekly_cost_after_pence=data.weekly_cost_after_pence,
                    package_weekly_before_pence=figures.weekly_before_pence,
                    package_weekly_after_pence=figures.weekly_after_pence,
                    package_ordered_minutes=figures.ordered_minutes,
                    package_minutes_after=figures.minutes_after,
                    reason=data.reason.strip(),
                    route=verdict.route.value,
                    route_reasons=list(verdict.reasons),
                    proposed_at=now,
                )
            )
            await append(
                AuditDraft(
                    action="propose_change",
                    actor_user=actor.user_id,
                    actor_name=actor.display_name,
                    role=(
                        "person"
                        if is_owner(actor, plan.access)
                        else "representative"
                        if speaks_for(actor, plan.access)
                        else "provider"
                    ),
                    organisation=row.signing_off_organisation,
                    plan=plan_id,
                    version_number=row.agreed_version,
                    reason=data.reason.strip(),
                    details={
                        "change": str(change_id),
                        "route": verdict.route.value,
                        "route_reasons": list(verdict.reasons),
                        "minutes": [baseline.ordered_minutes, baseline.minutes, data.minutes_after],
                        "weekly_pence": [baseline.weekly_pence, data.weekly_cost_after_pence],
                        "package": msgspec.to_builtins(figures),
                        "provider_organisation": str(organisation) if organisation else "",
                    },
                ),
                now,
            )
            await access_log.record(actor, plan.access, "edit", ["money"], str(change_id))
            await tell_about_plan(plan_id, "package_change_proposed", actor.user_id)
        return change_id

    change_id = await audited(actor, plan_id, "propose_change", act)
    return await _change(plan_id, change_id)


async def _change(plan_id: uuid.UUID, change_id: uuid.UUID) -> signoff_schemas.PackageChangeRead:
    change = await change_rows.get_change(plan_id, change_id)
    if change is None:
        raise NotFound("No such change", "This plan has no such change request.")
    return change


async def _open_change(
    plan_id: uuid.UUID, change_id: uuid.UUID
) -> signoff_schemas.PackageChangeRead:
    change = await _change(plan_id, change_id)
    if change.status != "open":
        raise Conflict(
            "Already decided",
            f"This change request is already {change.status}.",
            current_status=change.status,
        )
    return change


async def _close_change(change_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Compare-and-set: only an open change can be decided, so of two decisions one wins."""
    if not await change_rows.close_change(change_id, values):
        raise Conflict("Already decided", "Someone decided on this change request just now.")


def _budget_details(made: package.MadeVersion) -> dict[str, Any]:
    return {
        "annual_cost_pence": made.annual_cost_pence,
        "agreed_budget_pence": made.budget.budget_annual_pence,
        "budget_authorisation": made.budget_reasons,
    }


async def _route_now(
    actor: Actor, plan: plan_access.PlanRecord, change: signoff_schemas.PackageChangeRead
) -> signoff_schemas.PackageChangeRead:
    """The tolerance rule again, on the package as it is now: changes confirmed since this one
    was proposed count too, so several changes each within tolerance cannot together go round
    it. A change now outside tolerance moves to the team manager (kept, and said plainly)."""
    row = await plan_state(plan.id)
    live = await content_rows.is_live_line(change.support_item_id)
    if not live or change.route != ChangeRoute.COORDINATOR.value:
        return change  # a line gone is refused when it is replaced; a team manager's stays so
    figures = package_figures(
        await content_rows.package_lines(plan.id),
        str(change.support_item_id),
        change.minutes_after,
        change.weekly_cost_after_pence,
    )
    verdict = route_package_change(figures, await tolerance_of(row.signing_off_organisation))
    if verdict.route == ChangeRoute.COORDINATOR:
        return change
    async with write_transaction(Plan._meta.db):
        await change_rows.reroute_change(
            change.id,
            verdict.route.value,
            list(verdict.reasons),
            change_rows.PackageTotals(
                weekly_before_pence=figures.weekly_before_pence,
                weekly_after_pence=figures.weekly_after_pence,
                ordered_minutes=figures.ordered_minutes,
                minutes_after=figures.minutes_after,
            ),
        )
    if decide(actor, Permission.CHANGE_CONFIRM_OUTSIDE_TOLERANCE, plan.access):
        return msgspec.structs.replace(change, route=verdict.route.value)
    raise Conflict(
        "Now outside tolerance",
        "With the changes confirmed since this one was proposed, the package is now outside "
        "tolerance: " + " ".join(verdict.reasons) + " A team manager decides it now; it has "
        "moved to their tray.",
        route=verdict.route.value,
    )


async def decide_change(
    actor: Actor, plan_id: uuid.UUID, change_id: uuid.UUID, data: signoff_schemas.ChangeDecision
) -> signoff_schemas.PackageChangeRead:
    """Confirm (a new support line and a new version: agreed within the agreed budget, else
    waiting for budget authorisation) or decline a change request."""
    action = "confirm_change" if data.decision == "confirm" else "decline_change"

    async def act() -> None:
        plan = await open_plan_for(
            actor, plan_id, Permission.CHANGE_CONFIRM, "decide on changes to the support"
        )
        change = await _open_change(plan_id, change_id)
        if data.decision == "confirm":
            change = await _route_now(actor, plan, change)
        permission = Permission.CHANGE_CONFIRM
        if change.route != ChangeRoute.COORDINATOR.value:
            permission = Permission.CHANGE_CONFIRM_OUTSIDE_TOLERANCE
            await open_plan_for(
                actor, plan_id, permission, "decide on this change, which is outside tolerance"
            )
        row = await plan_state(plan_id)
        reason = data.reason.strip()
        if data.decision == "decline" and not reason:
            raise invalid_field("reason", "Say why", "Say why the change is declined.")
        now = utc_now()
        org = row.signing_off_organisation
        async with write_transaction(Plan._meta.db):
            new_line: uuid.UUID | None = None
            version: int | None = row.agreed_version
            made: package.MadeVersion | None = None
            if data.decision == "confirm":
                if row.state != State.AGREED.value:
                    raise Conflict(
                        "The plan is being rewritten",
                        "A new version of this plan is being written, so the change cannot be "
                        "confirmed on its own. Turn it into a review, or include it in the new "
                        "version.",
                        current_state=row.state,
                    )
                new_line = await _replace_line(actor, plan_id, change, now)
                made = await package.version_from_change(
                    actor, plan_id, row, change, await package.proposer_words(change), now
                )
                version = made.number
            await _close_change(
                change_id,
                {
                    "status": "confirmed" if data.decision == "confirm" else "declined",
                    "decided_by": actor.user_id,
                    "decided_at": now,
                    "decision_reason": reason,
                    "new_support_item": new_line,
                    "version_number": made.number if made else None,
                    "budget_authorisation": bool(made and made.budget_reasons),
                },
            )
            await append(
                AuditDraft(
                    action=action,
                    actor_user=actor.user_id,
                    actor_name=actor.display_name,
                    role=role_for(actor, org, STAFF_DECISIONS[permission]),
                    organisation=org,
                    plan=plan_id,
                    version_number=version,
                    from_state=row.state,
                    to_state=(
                        State.PLAN_AUTHORISED.value if made and made.budget_reasons else row.state
                    ),
                    reason=reason,
                    details={
                        "change": str(change_id),
                        "route": change.route,
                        **(_budget_details(made) if made else {}),
                        "new_support_item": str(new_line) if new_line else "",
                    },
                ),
                now,
            )
            await access_log.record(actor, plan.access, "edit", ["money"], str(change_id))
            await tell_about_plan(plan_id, "package_change_decided", actor.user_id)

    await audited(actor, plan_id, action, act)
    return await _change(plan_id, change_id)


_LINE_FIELDS = (
    "description",
    "provider",
    "cost_pence",
    "frequency",
    "outcome",
    "minutes_per_week",
)


def _line_content(line: SupportLine | content_rows.NewLine) -> str:
    """A support line's revision content, as the plan's own revisions keep it."""
    values = msgspec.structs.asdict(line)
    return json_text(
        {f: (str(values[f]) if f == "outcome" and values[f] else values[f]) for f in _LINE_FIELDS}
    )


async def _replace_line(
    actor: Actor,
    plan_id: uuid.UUID,
    change: signoff_schemas.PackageChangeRead,
    now: dt.datetime,
) -> uuid.UUID:
    """End the old support line (kept, as removed, with its history) and start a new one."""
    old = await _live_support(plan_id, change.support_item_id)
    if not await content_rows.end_line(old, now):
        raise Conflict("Changed just now", "The support line changed just now. Try again.")
    await content_rows.insert_revision(
        content_rows.NewRevision(
            plan=plan_id,
            subject=f"support:{old.id}",
            version=old.version + 1,
            content=_line_content(old),
            changed_fields="[]",
            deleted=True,
            author=actor.user_id,
            created_at=now,
        )
    )
    new = content_rows.NewLine(
        id=uuid.uuid4(),
        plan=plan_id,
        position=old.position,
        description=old.description,
        provider=old.provider,
        cost_pence=change.weekly_cost_after_pence,
        frequency="weekly",
        outcome=old.outcome,
        minutes_per_week=change.minutes_after,
        ordered_minutes_per_week=change.ordered_minutes,
        replaces=old.id,
        created_by=actor.user_id,
        created_at=now,
    )
    await content_rows.insert_line(new)
    await content_rows.insert_revision(
        content_rows.NewRevision(
            plan=plan_id,
            subject=f"support:{new.id}",
            version=1,
            content=_line_content(new),
            changed_fields=json_text(sorted(_LINE_FIELDS)),
            author=actor.user_id,
            created_at=now,
        )
    )
    return new.id


async def change_to_review(
    actor: Actor,
    plan_id: uuid.UUID,
    change_id: uuid.UUID,
    data: signoff_schemas.ReviewRequestCreate,
) -> signoff_schemas.PackageChangeRead:
    """Any party who can see the change turns it into a request for a full review."""
    from portal.signoff.requests import insert_request

    async def act() -> None:
        await _open_money(actor, plan_id)
        plan = await open_plan_for(actor, plan_id, Permission.REVIEW_REQUEST, "ask for a review")
        change = await _open_change(plan_id, change_id)
        reason = data.reason.strip() or "A package change needs a full review"
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            await _close_change(
                change_id,
                {
                    "status": "review",
                    "decided_by": actor.user_id,
                    "decided_at": now,
                    "decision_reason": reason,
                },
            )
            await insert_request(actor, plan, reason, now, package_change=change.id)

    await audited(actor, plan_id, "change_to_review", act)
    return await _change(plan_id, change_id)
