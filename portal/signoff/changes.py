"""Package changes (seed 002) and staff decisions on outcomes.

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

from portal.accounts.tables import Organisation
from portal.audit.trail import AuditDraft, append
from portal.consent import access_log
from portal.consent.policy import STAFF_DECISIONS, Permission, decide, is_owner, speaks_for
from portal.core.actor import Actor, OrgPermission, decide_organisation
from portal.core.clock import now as utc_now
from portal.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    not_found,
)
from portal.core.values import as_uuid, aware
from portal.db import write_transaction
from portal.notifications.service import tell_about_plan
from portal.plans import access as plan_access
from portal.plans import rows as plan_rows
from portal.plans.schemas import OutcomeRead
from portal.plans.tables import Outcome, Plan, Revision, SupportItem
from portal.plans.workflow import State
from portal.signoff import package
from portal.signoff import schemas as signoff_schemas
from portal.signoff.service import (
    audited,
    open_plan_for,
    plan_row,
    role_for,
)
from portal.signoff.tables import PackageChange
from portal.signoff.tolerance import (
    ChangeRoute,
    PackageFigures,
    Tolerance,
    package_figures,
    route_package_change,
)


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _invalid(field: str, title: str, detail: str) -> DomainError:
    return Invalid(title, detail, errors=[FieldError(field, detail)])


# --- the organisation's tolerance figures ------------------------------------------------------


def _tolerance_of(row: dict[str, Any]) -> Tolerance:
    return Tolerance(
        minutes=int(row["tolerance_minutes"]),
        percent=int(row["tolerance_percent"]),
        bands=tuple(msgspec.json.decode(row["tolerance_bands"], type=list[int])),
    )


async def _organisation(organisation_id: uuid.UUID) -> dict[str, Any]:
    rows = await Organisation.raw('SELECT * FROM "organisation" WHERE "id" = {}', organisation_id)
    if not rows:
        raise not_found("organisation")
    return dict(rows[0])


def _tolerance_read(
    organisation_id: uuid.UUID, tolerance: Tolerance
) -> signoff_schemas.ToleranceRead:
    return signoff_schemas.ToleranceRead(
        organisation_id=organisation_id,
        minutes=tolerance.minutes,
        percent=tolerance.percent,
        bands_pence=list(tolerance.bands),
    )


async def read_tolerance(actor: Actor, organisation_id: uuid.UUID) -> signoff_schemas.ToleranceRead:
    if not decide_organisation(actor, OrgPermission.VIEW_STAFF, organisation_id):
        raise not_found("organisation")
    return _tolerance_read(organisation_id, _tolerance_of(await _organisation(organisation_id)))


async def change_tolerance(
    actor: Actor, organisation_id: uuid.UUID, data: signoff_schemas.ToleranceUpdate
) -> signoff_schemas.ToleranceRead:
    """An admin sets the organisation's own tolerance figures; the change is audited."""
    if not decide_organisation(actor, OrgPermission.VIEW_STAFF, organisation_id):
        raise not_found("organisation")
    if not decide_organisation(actor, OrgPermission.MANAGE_STAFF, organisation_id):
        raise Forbidden(
            "Not allowed", "Only an admin of the organisation can change its tolerance rule."
        )
    bands = list(data.bands_pence)
    if not bands or any(b <= a for a, b in zip(bands, bands[1:], strict=False)) or bands[0] <= 0:
        raise _invalid(
            "bands_pence",
            "Bands not in order",
            "Give the upper bound of each weekly cost band in pence, lowest first, each higher "
            "than the one before.",
        )
    before = _tolerance_of(await _organisation(organisation_id))
    async with write_transaction(Organisation._meta.db):
        await Organisation.update(
            {
                Organisation.tolerance_minutes: data.minutes,
                Organisation.tolerance_percent: data.percent,
                Organisation.tolerance_bands: _json(bands),
            }
        ).where(Organisation.id == organisation_id)
        await append(
            AuditDraft(
                action="change_tolerance",
                actor_user=actor.user_id,
                actor_name=actor.display_name,
                role="admin",
                organisation=organisation_id,
                details={
                    "before": msgspec.to_builtins(before),
                    "after": {"minutes": data.minutes, "percent": data.percent, "bands": bands},
                },
            )
        )
    return _tolerance_read(
        organisation_id, Tolerance(minutes=data.minutes, percent=data.percent, bands=tuple(bands))
    )


# --- package changes ---------------------------------------------------------------------------

_CHANGE_SQL = (
    'SELECT c.*, po."name" AS proposer_organisation_name FROM "package_change" c'
    ' LEFT JOIN "organisation" po ON po."id" = c."proposer_organisation" WHERE c."plan" = {}'
)


def _optional_int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _change_read(row: dict[str, Any]) -> signoff_schemas.PackageChangeRead:
    return signoff_schemas.PackageChangeRead(
        id=as_uuid(row["id"]),
        plan_id=as_uuid(row["plan"]),
        support_item_id=as_uuid(row["support_item"]),
        proposed_by=row["proposer_name"],
        proposed_at=aware(row["proposed_at"]),
        minutes_before=row["minutes_before"],
        minutes_after=row["minutes_after"],
        ordered_minutes=row["ordered_minutes"],
        weekly_cost_before_pence=int(row["weekly_cost_before_pence"]),
        weekly_cost_after_pence=int(row["weekly_cost_after_pence"]),
        reason=row["reason"],
        route=row["route"],
        route_reasons=msgspec.json.decode(row["route_reason"] or "[]", type=list[str]),
        status=row["status"],
        decided_at=aware(row["decided_at"]),
        decision_reason=row["decision_reason"],
        new_support_item_id=(
            as_uuid(row["new_support_item"]) if row["new_support_item"] is not None else None
        ),
        package_weekly_before_pence=_optional_int(row["package_weekly_before_pence"]),
        package_weekly_after_pence=_optional_int(row["package_weekly_after_pence"]),
        package_ordered_minutes=_optional_int(row["package_ordered_minutes"]),
        package_minutes_after=_optional_int(row["package_minutes_after"]),
        proposer_organisation_id=(
            as_uuid(row["proposer_organisation"]) if row["proposer_organisation"] else None
        ),
        proposer_organisation_name=row.get("proposer_organisation_name"),
        version_number=_optional_int(row["version_number"]),
        budget_authorisation=bool(row["budget_authorisation"]),
    )


async def _open_money(actor: Actor, plan_id: uuid.UUID) -> plan_access.PlanRecord:
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    if not decide(actor, Permission.SECTION_VIEW, plan.access, "money"):
        await access_log.record(actor, plan.access, "refused", ["money"])
        raise not_found("plan")
    return plan


async def list_changes(actor: Actor, plan_id: uuid.UUID) -> list[signoff_schemas.PackageChangeRead]:
    await _open_money(actor, plan_id)
    rows = await PackageChange.raw(_CHANGE_SQL + ' ORDER BY c."proposed_at" DESC', plan_id)
    return [_change_read(dict(row)) for row in rows]


async def _live_support(plan_id: uuid.UUID, item_id: uuid.UUID) -> dict[str, Any]:
    rows = await SupportItem.raw(
        'SELECT * FROM "support_item" WHERE "id" = {} AND "plan" = {} AND "deleted" = {}',
        item_id,
        plan_id,
        False,
    )
    if not rows:
        raise _invalid(
            "support_item_id",
            "No such support",
            "That support is not part of this plan now (it may have been changed already). "
            "Choose a line from the plan's money section.",
        )
    return dict(rows[0])


async def propose_change(
    actor: Actor, plan_id: uuid.UUID, data: signoff_schemas.PackageChangeCreate
) -> signoff_schemas.PackageChangeRead:
    """A provider (anyone who may comment on the money) proposes a change to one line."""

    async def act() -> uuid.UUID:
        await _open_money(actor, plan_id)
        plan = await open_plan_for(
            actor, plan_id, Permission.CHANGE_PROPOSE, "propose a change to the support"
        )
        row = await plan_row(plan_id)
        if row["agreed_version"] is None or row["state"] != State.AGREED.value:
            raise Conflict(
                "No agreed package to change",
                "A change to the package can be proposed once the plan is agreed and while no "
                "new version of it is being written.",
                current_state=row["state"],
            )
        item = await _live_support(plan_id, data.support_item_id)
        organisation = await package.check_line_is_theirs(actor, plan, item)
        baseline = package.check_figures(data, item)
        org = await _organisation(as_uuid(row["signing_off_organisation"]))
        figures: PackageFigures = package_figures(
            await package.package_lines(plan_id),
            str(as_uuid(item["id"])),
            data.minutes_after,
            data.weekly_cost_after_pence,
        )
        verdict = route_package_change(figures, _tolerance_of(org))
        change_id = uuid.uuid4()
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            await PackageChange.insert(
                PackageChange(
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
                    route_reason=_json(list(verdict.reasons)),
                    status="open",
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
                    organisation=as_uuid(org["id"]),
                    plan=plan_id,
                    version_number=row["agreed_version"],
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
    rows = await PackageChange.raw(_CHANGE_SQL + ' AND c."id" = {}', plan_id, change_id)
    return _change_read(dict(rows[0]))


async def _open_change(plan_id: uuid.UUID, change_id: uuid.UUID) -> dict[str, Any]:
    rows = await PackageChange.raw(_CHANGE_SQL + ' AND c."id" = {}', plan_id, change_id)
    if not rows:
        raise NotFound("No such change", "This plan has no such change request.")
    row = dict(rows[0])
    if row["status"] != "open":
        raise Conflict(
            "Already decided",
            f"This change request is already {row['status']}.",
            current_status=row["status"],
        )
    return row


async def _close_change(change_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Compare-and-set: only an open change can be decided, so of two decisions one wins."""
    sets = ", ".join(f'"{name}" = {{}}' for name in values)
    moved = await PackageChange.raw(
        f'UPDATE "package_change" SET {sets} WHERE "id" = {{}} AND "status" = {{}}'  # noqa: S608
        ' RETURNING "id"',
        *values.values(),
        change_id,
        "open",
    )
    if not moved:
        raise Conflict("Already decided", "Someone decided on this change request just now.")


def _budget_details(made: package.MadeVersion) -> dict[str, Any]:
    return {
        "annual_cost_pence": made.annual_cost_pence,
        "agreed_budget_pence": made.budget.budget_annual_pence,
        "budget_authorisation": made.budget_reasons,
    }


async def _route_now(
    actor: Actor, plan: plan_access.PlanRecord, change: dict[str, Any]
) -> dict[str, Any]:
    """The tolerance rule again, on the package as it is now: changes confirmed since this one
    was proposed count too, so several changes each within tolerance cannot together go round
    it. A change now outside tolerance moves to the team manager (kept, and said plainly)."""
    row = await plan_row(plan.id)
    items = await SupportItem.raw(
        'SELECT * FROM "support_item" WHERE "id" = {} AND "deleted" = {}',
        change["support_item"],
        False,
    )
    if not items or change["route"] != ChangeRoute.COORDINATOR.value:
        return change  # a line gone is refused when it is replaced; a team manager's stays so
    figures = package_figures(
        await package.package_lines(plan.id),
        str(as_uuid(change["support_item"])),
        int(change["minutes_after"]),
        int(change["weekly_cost_after_pence"]),
    )
    org = await _organisation(as_uuid(row["signing_off_organisation"]))
    verdict = route_package_change(figures, _tolerance_of(org))
    if verdict.route == ChangeRoute.COORDINATOR:
        return change
    async with write_transaction(Plan._meta.db):
        await PackageChange.raw(
            'UPDATE "package_change" SET "route" = {}, "route_reason" = {},'
            ' "package_weekly_before_pence" = {}, "package_weekly_after_pence" = {},'
            ' "package_ordered_minutes" = {}, "package_minutes_after" = {}'
            ' WHERE "id" = {} AND "status" = {}',
            verdict.route.value,
            _json(list(verdict.reasons)),
            figures.weekly_before_pence,
            figures.weekly_after_pence,
            figures.ordered_minutes,
            figures.minutes_after,
            change["id"],
            "open",
        )
    if decide(actor, Permission.CHANGE_CONFIRM_OUTSIDE_TOLERANCE, plan.access):
        return {**change, "route": verdict.route.value}
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
        if change["route"] != ChangeRoute.COORDINATOR.value:
            permission = Permission.CHANGE_CONFIRM_OUTSIDE_TOLERANCE
            await open_plan_for(
                actor, plan_id, permission, "decide on this change, which is outside tolerance"
            )
        row = await plan_row(plan_id)
        reason = data.reason.strip()
        if data.decision == "decline" and not reason:
            raise _invalid("reason", "Say why", "Say why the change is declined.")
        now = utc_now()
        org = as_uuid(row["signing_off_organisation"])
        async with write_transaction(Plan._meta.db):
            new_line: uuid.UUID | None = None
            version: int | None = row["agreed_version"]
            made: package.MadeVersion | None = None
            if data.decision == "confirm":
                if row["state"] != State.AGREED.value:
                    raise Conflict(
                        "The plan is being rewritten",
                        "A new version of this plan is being written, so the change cannot be "
                        "confirmed on its own. Turn it into a review, or include it in the new "
                        "version.",
                        current_state=row["state"],
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
                    from_state=row["state"],
                    to_state=(
                        State.PLAN_AUTHORISED.value
                        if made and made.budget_reasons
                        else row["state"]
                    ),
                    reason=reason,
                    details={
                        "change": str(change_id),
                        "route": change["route"],
                        **(_budget_details(made) if made else {}),
                        "new_support_item": str(new_line) if new_line else "",
                    },
                ),
                now,
            )
            await access_log.record(actor, plan.access, "edit", ["money"], str(change_id))
            await tell_about_plan(plan_id, "package_change_decided", actor.user_id)

    await audited(actor, plan_id, action, act)
    rows = await PackageChange.raw(_CHANGE_SQL + ' AND c."id" = {}', plan_id, change_id)
    return _change_read(dict(rows[0]))


async def _replace_line(
    actor: Actor, plan_id: uuid.UUID, change: dict[str, Any], now: dt.datetime
) -> uuid.UUID:
    """End the old support line (kept, as removed, with its history) and start a new one."""
    old = await _live_support(plan_id, as_uuid(change["support_item"]))
    ended = await SupportItem.raw(
        'UPDATE "support_item" SET "deleted" = {}, "ended_at" = {}, "version" = {},'
        ' "updated_at" = {} WHERE "id" = {} AND "version" = {} RETURNING "id"',
        True,
        now,
        old["version"] + 1,
        now,
        old["id"],
        old["version"],
    )
    if not ended:
        raise Conflict("Changed just now", "The support line changed just now. Try again.")
    fields = ("description", "provider", "cost_pence", "frequency", "outcome", "minutes_per_week")

    def content(row: dict[str, Any]) -> str:
        return _json({f: (str(row[f]) if f == "outcome" and row[f] else row[f]) for f in fields})

    await Revision.insert(
        Revision(
            plan=plan_id,
            subject=f"support:{old['id']}",
            version=old["version"] + 1,
            content=content(old),
            changed_fields="[]",
            deleted=True,
            author=actor.user_id,
            created_at=now,
        )
    )
    new_id = uuid.uuid4()
    new = {
        "description": old["description"],
        "provider": old["provider"],
        "cost_pence": int(change["weekly_cost_after_pence"]),
        "frequency": "weekly",
        "outcome": old["outcome"],
        "minutes_per_week": change["minutes_after"],
    }
    await SupportItem.insert(
        SupportItem(
            id=new_id,
            plan=plan_id,
            position=old["position"],
            version=1,
            created_by=actor.user_id,
            created_at=now,
            updated_at=now,
            ordered_minutes_per_week=change["ordered_minutes"],
            replaces=old["id"],
            **new,
        )
    )
    await Revision.insert(
        Revision(
            plan=plan_id,
            subject=f"support:{new_id}",
            version=1,
            content=content(new),
            changed_fields=_json(sorted(fields)),
            author=actor.user_id,
            created_at=now,
        )
    )
    return new_id


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
            await insert_request(actor, plan, reason, now, package_change=as_uuid(change["id"]))

    await audited(actor, plan_id, "change_to_review", act)
    rows = await PackageChange.raw(_CHANGE_SQL + ' AND c."id" = {}', plan_id, change_id)
    return _change_read(dict(rows[0]))


# --- outcomes ----------------------------------------------------------------------------------


async def decide_outcome(
    actor: Actor, plan_id: uuid.UUID, outcome_id: uuid.UUID, data: signoff_schemas.OutcomeDecision
) -> OutcomeRead:
    """Staff agree or decline a proposed outcome; the person sees the decision on it."""
    action = f"outcome_{data.decision}"

    async def act() -> None:
        plan = await open_plan_for(
            actor, plan_id, Permission.OUTCOME_DECIDE, "agree or decline outcomes"
        )
        rows = await Outcome.raw(
            'SELECT * FROM "outcome" WHERE "id" = {} AND "plan" = {} AND "deleted" = {}',
            outcome_id,
            plan_id,
            False,
        )
        if not rows:
            raise NotFound("No such outcome", "This plan has no such outcome.")
        outcome = dict(rows[0])
        reason = data.reason.strip()
        if data.decision == "declined" and not reason:
            raise _invalid("reason", "Say why", "Say why the outcome is declined.")
        row = await plan_row(plan_id)
        org = as_uuid(row["signing_off_organisation"])
        now = utc_now()
        async with write_transaction(Plan._meta.db):
            updated = await Outcome.raw(
                'UPDATE "outcome" SET "status" = {}, "status_reason" = {}, "decided_by_name" = {},'
                ' "decided_at" = {}, "version" = {}, "updated_at" = {}'
                ' WHERE "id" = {} AND "version" = {} RETURNING "id"',
                data.decision,
                reason,
                actor.display_name[:200],
                now,
                outcome["version"] + 1,
                now,
                outcome_id,
                outcome["version"],
            )
            if not updated:
                raise Conflict("Changed just now", "The outcome changed just now. Try again.")
            await Revision.insert(
                Revision(
                    plan=plan_id,
                    subject=f"outcome:{outcome_id}",
                    version=outcome["version"] + 1,
                    # The person's words are unchanged; the revision marks the decision's version.
                    content=_json({"title": outcome["title"], "how": outcome["how"]}),
                    changed_fields=_json(["status", "status_reason"]),
                    author=actor.user_id,
                    created_at=now,
                )
            )
            await append(
                AuditDraft(
                    action=action,
                    actor_user=actor.user_id,
                    actor_name=actor.display_name,
                    role=role_for(actor, org, STAFF_DECISIONS[Permission.OUTCOME_DECIDE]),
                    organisation=org,
                    plan=plan_id,
                    version_number=row["agreed_version"] or row["submitted_version"],
                    from_state=outcome["status"],
                    to_state=data.decision,
                    reason=reason,
                    details={"outcome": str(outcome_id)},
                ),
                now,
            )
            await access_log.record(actor, plan.access, "edit", ["outcomes"], str(outcome_id))
            await tell_about_plan(plan_id, "outcome_decided", actor.user_id)

    await audited(actor, plan_id, action, act)
    outcome: OutcomeRead = await plan_rows.read_row(actor, plan_id, "outcome", outcome_id)
    return outcome
