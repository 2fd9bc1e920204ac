"""What the files of the person's download hold: one Struct a file, and the records in them.

Field order is the order in the JSON files: a field moved is a change to every download.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.accounts.repository import LinkedIdentity as OpenIdLink
from portal.accounts.repository import SessionTimes as SignInSessionRecord
from portal.notifications.repository import NotificationHistory as NotificationRecord
from portal.signoff.schemas import DecisionRead

__all__ = [
    "AccessEventRecord",
    "AccessLogFile",
    "AccountFile",
    "ActivityRecord",
    "AllocationRecord",
    "CommentRecord",
    "CommentsFile",
    "DecisionRecord",
    "GrantRecord",
    "Grantee",
    "HeldGrant",
    "HeldRepresentation",
    "InvitationRecord",
    "NotificationRecord",
    "NotificationsFile",
    "OpenIdLink",
    "Organisation",
    "PackageChangeRecord",
    "PersonRecord",
    "PlanFile",
    "PlanMetadata",
    "RepresentativeRecord",
    "ReviewRequestRecord",
    "ReviewsFile",
    "RevisionRecord",
    "RevisionsFile",
    "SectionRecord",
    "SharedWithMeFile",
    "SharingFile",
    "SignInSessionRecord",
    "StaffRoleRecord",
    "VersionRecord",
    "VersionsFile",
]


class Organisation(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str


class PersonRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    created_at: dt.datetime


class StaffRoleRecord(msgspec.Struct, kw_only=True):
    organisation: Organisation
    role: str
    role_words: str
    spending_limit_pence: int | None
    granted_at: dt.datetime
    ended_at: dt.datetime | None


class AccountFile(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    email: str
    active: bool
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None
    person: PersonRecord
    # "password" and/or "openid:<provider>"; the password itself is never kept, only a hash,
    # and the hash is not in this file.
    sign_in_methods: list[str]
    openid_links: list[OpenIdLink]
    sign_in_sessions: list[SignInSessionRecord]
    staff_roles: list[StaffRoleRecord]
    plan_ids: list[uuid.UUID]


class SectionRecord(msgspec.Struct, kw_only=True):
    key: str
    title: str
    version: int
    updated_at: dt.datetime | None
    updated_by: str | None


class PlanMetadata(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    kind_words: str
    title: str
    state: str
    state_words: str
    created_at: dt.datetime
    created_by: str | None
    updated_at: dt.datetime
    state_changed_at: dt.datetime | None
    signing_off_organisation: Organisation | None
    submitted_version: int | None
    agreed_version: int | None
    review_date: dt.date | None


class PlanFile(msgspec.Struct, kw_only=True):
    plan: PlanMetadata
    sections: list[SectionRecord]
    # The plan's content now, as it is submitted and hashed (`portal.plans.reading.snapshot_plan`).
    content: dict[str, Any]


class VersionRecord(msgspec.Struct, kw_only=True):
    number: int
    status: str
    organisation: Organisation
    content_hash: str
    verification_code: str
    shared_sections: list[str]
    annual_cost_pence: int
    allocation_annual_pence: int | None
    submitted_by: str | None
    submitted_at: dt.datetime
    plan_authorised_by: str | None
    plan_authorised_at: dt.datetime | None
    agreed_by: str | None
    agreed_at: dt.datetime | None
    budget_variation_reason: str
    review_date: dt.date | None
    returned_by: str | None
    returned_at: dt.datetime | None
    content: dict[str, Any]


class VersionsFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    versions: list[VersionRecord]


class RevisionRecord(msgspec.Struct, kw_only=True):
    # `section:<key>`, or `outcome:`, `support:`, `action:` or `contact:` and the row's id.
    subject: str
    version: int
    at: dt.datetime
    by: str | None
    changed_fields: list[str]
    deleted: bool
    restored_from: int | None
    content: dict[str, Any]


class RevisionsFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    revisions: list[RevisionRecord]


class CommentRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    section: str
    section_title: str
    kind: str
    version_number: int | None
    by: str
    role: str
    at: dt.datetime
    comment: str


class CommentsFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    comments: list[CommentRecord]


class Grantee(msgspec.Struct, kw_only=True):
    kind: str  # "user" or "organisation"
    id: uuid.UUID
    name: str
    email: str | None = None


class GrantRecord(msgspec.Struct, kw_only=True):
    """One version of a grant; `current` marks the one that holds now."""

    grant_id: uuid.UUID
    version: int
    current: bool
    grantee: Grantee
    sections: list[str]
    access: str
    purpose: str
    expires_at: dt.datetime | None
    status: str
    reason: str
    made_by: str | None
    made_at: dt.datetime
    invitation_id: uuid.UUID | None


class InvitationRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str | None
    sections: list[str]
    access: str
    purpose: str
    grant_expires_at: dt.datetime | None
    expires_at: dt.datetime
    status: str
    made_by: str | None
    made_at: dt.datetime
    accepted_by: str | None
    accepted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None


class RepresentativeRecord(msgspec.Struct, kw_only=True):
    """One version of the record of someone who speaks for the person, on all their plans."""

    record_id: uuid.UUID
    version: int
    current: bool
    name: str
    email: str
    authority: str
    authority_words: str
    authority_reference: str
    relationship: str
    sections: list[str]
    powers: list[str]
    how_decisions_are_reached: str
    status: str
    reason: str
    made_by: str | None
    made_at: dt.datetime


class SharingFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    grants: list[GrantRecord]
    invitations: list[InvitationRecord]
    representatives: list[RepresentativeRecord]


class AccessEventRecord(msgspec.Struct, kw_only=True):
    at: dt.datetime
    who: str
    by_you: bool
    event: str
    description: str
    sections: list[str]
    # Ids only (a grant, an invitation, an organisation), never plan content.
    subject: str


class AccessLogFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    events: list[AccessEventRecord]


# Sign-off's own ReviewRequestRead, PackageChangeRead and CommentRead are not these: they carry
# the plan's id (the file says it once), package figures added later, or their fields in
# another order, and any of those would change the files people already keep.
class ReviewRequestRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    requested_by: str
    role: str
    reason: str
    early: bool
    requested_at: dt.datetime
    status: str
    decided_at: dt.datetime | None
    decision_reason: str
    package_change_id: uuid.UUID | None


class PackageChangeRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    support_item_id: uuid.UUID
    proposed_by: str
    proposed_at: dt.datetime
    minutes_before: int
    minutes_after: int
    ordered_minutes: int
    weekly_cost_before_pence: int
    weekly_cost_after_pence: int
    reason: str
    route: str
    route_reasons: list[str]
    status: str
    decided_at: dt.datetime | None
    decision_reason: str
    new_support_item_id: uuid.UUID | None


class DecisionRecord(DecisionRead, kw_only=True):
    """A sign-off decision from the audit trail: submitting, authorising, returning, reviews,
    package changes and decisions on outcomes. Sign-off's own record of one, with its details;
    every note is in, money decisions' too: they are the person's own."""

    details: dict[str, Any]


class AllocationRecord(msgspec.Struct, kw_only=True):
    """The indicative allocation the signing-off organisation set, each time it set one."""

    organisation_id: uuid.UUID
    annual_pence: int
    reason: str
    set_by: str
    set_at: dt.datetime


class ReviewsFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    review_requests: list[ReviewRequestRecord]
    package_changes: list[PackageChangeRecord]
    decisions: list[DecisionRecord]
    allocations: list[AllocationRecord] = []


class NotificationsFile(msgspec.Struct, kw_only=True):
    notifications: list[NotificationRecord]


class HeldGrant(msgspec.Struct, kw_only=True):
    """A grant someone gave this person on their plan: which plan, which sections, what access."""

    grant_id: uuid.UUID
    plan_id: uuid.UUID
    sections: list[str]
    access: str
    status: str
    expires_at: dt.datetime | None
    first_given_at: dt.datetime
    last_changed_at: dt.datetime
    invitation_id: uuid.UUID | None


class HeldRepresentation(msgspec.Struct, kw_only=True):
    """A record that this person speaks for someone else, on that person's plans."""

    record_id: uuid.UUID
    plan_ids: list[uuid.UUID]
    authority: str
    authority_words: str
    authority_reference: str
    relationship: str
    sections: list[str]
    powers: list[str]
    status: str
    first_recorded_at: dt.datetime
    last_changed_at: dt.datetime


class ActivityRecord(msgspec.Struct, kw_only=True):
    """A line this person's own actions left in someone else's access log."""

    plan_id: uuid.UUID
    at: dt.datetime
    event: str
    description: str
    sections: list[str]


class SharedWithMeFile(msgspec.Struct, kw_only=True):
    grants: list[HeldGrant]
    representing: list[HeldRepresentation]
    activity: list[ActivityRecord]
