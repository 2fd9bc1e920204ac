"""What the download holds of each plan about the person: the plan, its versions and revisions,
the comments on it, who it is shared with, its access log, and its sign-off history.

Each reader takes every plan at once (one query per kind of record, not per plan) and gives
the records by plan, in the order a person reads them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from portal.consent import access as consent_access
from portal.consent import access_log
from portal.consent.policy import Permission, PlanAccessFacts, decide
from portal.core.actor import Actor
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.core.values import as_date, as_uuid, aware
from portal.exports.subject_access import queries
from portal.exports.subject_access.records import (
    AccessEventRecord,
    AllocationRecord,
    CommentRecord,
    DecisionRecord,
    Grantee,
    GrantRecord,
    InvitationRecord,
    Organisation,
    PackageChangeRecord,
    PlanMetadata,
    RepresentativeRecord,
    ReviewRequestRecord,
    ReviewsFile,
    RevisionRecord,
    SectionRecord,
    VersionRecord,
)
from portal.exports.subject_access.values import (
    authority_words,
    by_plan,
    decoded,
    grant_status,
    int_or_none,
    keys_of,
    maybe_uuid,
    numbered,
    public_content,
    state_words,
)
from portal.plans.schemas import PLAN_KIND_LABELS
from portal.signoff.overview import ACTION_WORDS
from portal.signoff.version_history import verification_code


async def own_plans(actor: Actor) -> list[tuple[dict[str, Any], PlanAccessFacts]]:
    """The plans about the actor's person that the access decision lets them export."""
    rows = await queries.plans_about(actor.person_id)
    rows.sort(key=lambda row: (aware(row["created_at"]), str(row["id"])))
    facts = await consent_access.facts_for_plans(
        actor, [consent_access.plan_ref(row) for row in rows]
    )
    allowed = []
    for row in rows:
        plan_facts = facts[as_uuid(row["id"])]
        if decide(actor, Permission.PLAN_EXPORT, plan_facts):
            allowed.append((row, plan_facts))
    return allowed


def plan_metadata(row: dict[str, Any]) -> PlanMetadata:
    organisation = None
    if row["signing_off_organisation"]:
        organisation = Organisation(
            id=as_uuid(row["signing_off_organisation"]), name=row["organisation_name"] or ""
        )
    return PlanMetadata(
        id=as_uuid(row["id"]),
        kind=row["kind"],
        kind_words=PLAN_KIND_LABELS.get(row["kind"], row["kind"]),
        title=row["title"],
        state=row["state"],
        state_words=state_words(row["state"]),
        created_at=aware(row["created_at"]),
        created_by=row["created_by_name"],
        updated_at=aware(row["updated_at"]),
        state_changed_at=aware(row["state_changed_at"]),
        signing_off_organisation=organisation,
        submitted_version=row["submitted_version"],
        agreed_version=row["agreed_version"],
        review_date=as_date(row["review_date"]),
    )


async def sections(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[SectionRecord]]:
    rows = await queries.sections(plan_ids)
    order = {key: i for i, key in enumerate(SECTION_KEYS)}
    found: dict[uuid.UUID, list[SectionRecord]] = {}
    for plan_id, plan_rows in by_plan(rows).items():
        plan_rows.sort(key=lambda row: (order.get(row["key"], len(order)), row["key"]))
        found[plan_id] = [
            SectionRecord(
                key=row["key"],
                title=SECTION_TITLES.get(row["key"], row["key"]),
                version=row["version"],
                # Version 0 is the empty section the plan started with: nobody wrote it.
                updated_at=aware(row["updated_at"]) if row["version"] else None,
                updated_by=row["by_name"],
            )
            for row in plan_rows
        ]
    return found


async def versions(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[VersionRecord]]:
    rows = await queries.versions(plan_ids)
    found: dict[uuid.UUID, list[VersionRecord]] = {}
    for plan_id, plan_rows in by_plan(rows).items():
        plan_rows.sort(key=lambda row: int(row["number"]))
        found[plan_id] = [
            VersionRecord(
                number=int(row["number"]),
                status=row["status"],
                organisation=Organisation(
                    id=as_uuid(row["organisation"]), name=row["organisation_name"]
                ),
                content_hash=row["content_hash"],
                verification_code=verification_code(row["content_hash"]),
                shared_sections=keys_of(row["shared_sections"]),
                annual_cost_pence=int(row["annual_cost_pence"]),
                allocation_annual_pence=int_or_none(row["allocation_annual_pence"]),
                submitted_by=row["submitted_by_name"],
                submitted_at=aware(row["submitted_at"]),
                plan_authorised_by=row["plan_authorised_by_name"],
                plan_authorised_at=aware(row["plan_authorised_at"]),
                agreed_by=row["agreed_by_name"],
                agreed_at=aware(row["agreed_at"]),
                budget_variation_reason=row["budget_variation_reason"],
                review_date=as_date(row["review_date"]),
                returned_by=row["returned_by_name"],
                returned_at=aware(row["returned_at"]),
                content=decoded(row["content"]),
            )
            for row in plan_rows
        ]
    return found


async def revisions(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[RevisionRecord]]:
    rows = await queries.revisions(plan_ids)
    found: dict[uuid.UUID, list[RevisionRecord]] = {}
    for plan_id, plan_rows in by_plan(rows).items():
        # Oldest first, as history is read; (subject, version) is unique, so ties are ordered.
        plan_rows.sort(key=lambda row: (aware(row["created_at"]), row["subject"], row["version"]))
        found[plan_id] = [
            RevisionRecord(
                subject=row["subject"],
                version=int(row["version"]),
                at=aware(row["created_at"]),
                by=row["author_name"],
                changed_fields=[
                    "outcome_id" if name == "outcome" else name
                    for name in keys_of(row["changed_fields"])
                ],
                deleted=bool(row["deleted"]),
                restored_from=row["restored_from"],
                content=public_content(decoded(row["content"])),
            )
            for row in plan_rows
        ]
    return found


async def comments(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CommentRecord]]:
    rows = await queries.comments(plan_ids)
    found: dict[uuid.UUID, list[CommentRecord]] = {}
    for plan_id, plan_rows in by_plan(rows).items():
        plan_rows.sort(key=lambda row: (aware(row["created_at"]), str(row["id"])))
        found[plan_id] = [
            CommentRecord(
                id=as_uuid(row["id"]),
                section=row["section_key"],
                section_title=SECTION_TITLES.get(row["section_key"], row["section_key"]),
                kind=row["kind"],
                version_number=row["version_number"],
                by=row["author_name"],
                role=row["author_role"],
                at=aware(row["created_at"]),
                comment=row["body"],
            )
            for row in plan_rows
        ]
    return found


async def grants(plan_ids: list[uuid.UUID], now: dt.datetime) -> dict[uuid.UUID, list[GrantRecord]]:
    rows = await queries.grants(plan_ids)
    found: dict[uuid.UUID, list[GrantRecord]] = {}
    for plan_id, plan_rows in by_plan(rows).items():
        records = []
        for row, version in numbered(plan_rows, "grant_id", "made_at"):
            if row["grantee_user"]:
                grantee = Grantee(
                    kind="user",
                    id=as_uuid(row["grantee_user"]),
                    name=row["grantee_name"] or "",
                    email=row["grantee_email"],
                )
            else:
                grantee = Grantee(
                    kind="organisation",
                    id=as_uuid(row["grantee_organisation"]),
                    name=row["organisation_name"] or "",
                )
            records.append(
                GrantRecord(
                    grant_id=as_uuid(row["grant_id"]),
                    version=version,
                    current=bool(row["current"]),
                    grantee=grantee,
                    sections=keys_of(row["sections"]),
                    access=row["access"],
                    purpose=row["purpose"],
                    expires_at=aware(row["expires_at"]),
                    status=grant_status(row, now),
                    reason=row["reason"],
                    made_by=row["made_by_name"],
                    made_at=aware(row["made_at"]),
                    invitation_id=maybe_uuid(row["invitation"]),
                )
            )
        records.sort(key=lambda grant: (grant.made_at, str(grant.grant_id), grant.version))
        found[plan_id] = records
    return found


def _invitation_status(row: dict[str, Any], now: dt.datetime) -> str:
    if row["accepted_at"] is not None:
        return "accepted"
    if row["withdrawn_at"] is not None:
        return "withdrawn"
    if aware(row["expires_at"]) <= now:
        return "expired"
    return "open"


async def invitations(
    plan_ids: list[uuid.UUID], now: dt.datetime
) -> dict[uuid.UUID, list[InvitationRecord]]:
    # Named columns: the token hash is never selected.
    rows = await queries.invitations(plan_ids)
    found: dict[uuid.UUID, list[InvitationRecord]] = {}
    for plan_id, plan_rows in by_plan(rows).items():
        plan_rows.sort(key=lambda row: (aware(row["made_at"]), str(row["id"])))
        found[plan_id] = [
            InvitationRecord(
                id=as_uuid(row["id"]),
                email=row["email"],
                sections=keys_of(row["sections"]),
                access=row["access"],
                purpose=row["purpose"],
                grant_expires_at=aware(row["grant_expires_at"]),
                expires_at=aware(row["expires_at"]),
                status=_invitation_status(row, now),
                made_by=row["made_by_name"],
                made_at=aware(row["made_at"]),
                accepted_by=row["accepted_by_name"],
                accepted_at=aware(row["accepted_at"]),
                withdrawn_at=aware(row["withdrawn_at"]),
            )
            for row in plan_rows
        ]
    return found


async def representatives(person_id: uuid.UUID) -> list[RepresentativeRecord]:
    rows = await queries.representatives(person_id)
    records = [
        RepresentativeRecord(
            record_id=as_uuid(row["record_id"]),
            version=version,
            current=bool(row["current"]),
            name=row["name"],
            email=row["email"],
            authority=row["authority"],
            authority_words=authority_words(row["authority"]),
            authority_reference=row["authority_reference"],
            relationship=row["relationship"],
            sections=keys_of(row["sections"]),
            powers=keys_of(row["powers"]),
            how_decisions_are_reached=row["how_decisions_are_reached"],
            status=row["status"],
            reason=row["reason"],
            made_by=row["made_by_name"],
            made_at=aware(row["made_at"]),
        )
        for row, version in numbered(rows, "record_id", "made_at")
    ]
    records.sort(key=lambda rep: (rep.made_at, str(rep.record_id), rep.version))
    return records


async def access_logs(
    actor: Actor, plan_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[AccessEventRecord]]:
    rows = await queries.access_events(plan_ids)
    found: dict[uuid.UUID, list[AccessEventRecord]] = {}
    for plan_id, plan_rows in by_plan(rows).items():
        plan_rows.sort(key=lambda row: (aware(row["at"]), str(row["id"])))
        found[plan_id] = [
            AccessEventRecord(
                at=aware(row["at"]),
                who=row["actor_name"] or "Someone not signed in",
                by_you=maybe_uuid(row["actor_user"]) == actor.user_id,
                event=row["event"],
                description=access_log.EVENT_WORDS.get(row["event"], row["event"]),
                sections=keys_of(row["sections"]),
                subject=row["subject"],
            )
            for row in plan_rows
        ]
    return found


async def reviews(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, ReviewsFile]:
    requests = by_plan(await queries.review_requests(plan_ids))
    changes = by_plan(await queries.package_changes(plan_ids))
    allocations = by_plan(await queries.allocations(plan_ids))
    decisions = by_plan(await queries.decisions(plan_ids))
    found: dict[uuid.UUID, ReviewsFile] = {}
    for plan_id in plan_ids:
        request_rows = sorted(
            requests.get(plan_id, []), key=lambda row: (aware(row["requested_at"]), str(row["id"]))
        )
        change_rows = sorted(
            changes.get(plan_id, []), key=lambda row: (aware(row["proposed_at"]), str(row["id"]))
        )
        decision_rows = sorted(decisions.get(plan_id, []), key=lambda row: int(row["seq"]))
        found[plan_id] = ReviewsFile(
            plan_id=plan_id,
            review_requests=[
                ReviewRequestRecord(
                    id=as_uuid(row["id"]),
                    requested_by=row["requester_name"],
                    role=row["requester_role"],
                    reason=row["reason"],
                    early=bool(row["early"]),
                    requested_at=aware(row["requested_at"]),
                    status=row["status"],
                    decided_at=aware(row["decided_at"]),
                    decision_reason=row["decision_reason"],
                    package_change_id=maybe_uuid(row["package_change"]),
                )
                for row in request_rows
            ],
            package_changes=[
                PackageChangeRecord(
                    id=as_uuid(row["id"]),
                    support_item_id=as_uuid(row["support_item"]),
                    proposed_by=row["proposer_name"],
                    proposed_at=aware(row["proposed_at"]),
                    minutes_before=int(row["minutes_before"]),
                    minutes_after=int(row["minutes_after"]),
                    ordered_minutes=int(row["ordered_minutes"]),
                    weekly_cost_before_pence=int(row["weekly_cost_before_pence"]),
                    weekly_cost_after_pence=int(row["weekly_cost_after_pence"]),
                    reason=row["reason"],
                    route=row["route"],
                    route_reasons=keys_of(row["route_reason"]),
                    status=row["status"],
                    decided_at=aware(row["decided_at"]),
                    decision_reason=row["decision_reason"],
                    new_support_item_id=maybe_uuid(row["new_support_item"]),
                )
                for row in change_rows
            ],
            decisions=[
                DecisionRecord(
                    seq=int(row["seq"]),
                    at=str(row["at"]),
                    action=row["action"],
                    description=ACTION_WORDS.get(row["action"], row["action"]),
                    by=row["actor_name"],
                    role=row["role"],
                    version_number=row["version_number"],
                    from_state=row["from_state"],
                    to_state=row["to_state"],
                    reason=row["reason"],
                    details=decoded(row["details"]),
                )
                for row in decision_rows
            ],
            allocations=[
                AllocationRecord(
                    organisation_id=as_uuid(row["organisation"]),
                    annual_pence=int(row["annual_pence"]),
                    reason=row["reason"],
                    set_by=row["set_by_name"],
                    set_at=aware(row["set_at"]),
                )
                for row in sorted(
                    allocations.get(plan_id, []),
                    key=lambda row: (aware(row["set_at"]), str(row["id"])),
                )
            ],
        )
    return found
