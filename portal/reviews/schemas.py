"""The sign-off API's request and response types."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from portal.plans.allocation import StaffAllocation

Reason = Annotated[str, Meta(max_length=4000)]
CommentText = Annotated[str, Meta(max_length=4000)]
Hash = Annotated[str, Meta(max_length=64)]


class _Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class SubmitRequest(_Input):
    """Submitting is consent: `share_with_organisation` must be true, for the organisation named."""

    organisation_id: uuid.UUID | None = None
    share_with_organisation: bool = False


class SectionComment(_Input):
    section: Annotated[str, Meta(max_length=40)]
    comment: CommentText


class ReturnRequest(_Input):
    version_hash: Hash
    reason: Reason = ""
    comments: list[SectionComment] = msgspec.field(default_factory=list)


class AuthorisePlanRequest(_Input):
    version_hash: Hash
    note: Reason = ""


class AuthoriseBudgetRequest(_Input):
    version_hash: Hash
    variation_reason: Reason = ""
    review_date: dt.date | None = None


class OrganisationChoice(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    kind: str


class CommentRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    section: str
    section_title: str
    comment: str
    kind: str
    version_number: int | None
    by: str
    role: str
    at: dt.datetime


class DecisionRead(msgspec.Struct, kw_only=True):
    """One entry of the audit trail about this plan, as the people involved may read it."""

    seq: int
    at: str
    action: str
    description: str
    by: str
    role: str
    version_number: int | None
    from_state: str
    to_state: str
    reason: str


class VersionSummary(msgspec.Struct, kw_only=True):
    number: int
    status: str
    organisation_id: uuid.UUID
    organisation_name: str
    content_hash: str
    verification_code: str
    annual_cost_pence: int
    allocation_annual_pence: int | None
    submitted_at: dt.datetime
    submitted_by: str
    plan_authorised_at: dt.datetime | None
    plan_authorised_by: str | None
    agreed_at: dt.datetime | None
    agreed_by: str | None
    budget_variation_reason: str
    review_date: dt.date | None
    returned_at: dt.datetime | None
    shared_sections: list[str]


class VersionRead(msgspec.Struct, kw_only=True):
    version: VersionSummary
    # The content as it was submitted, holding only the sections the reader may see.
    content: dict[str, Any]


class SectionDifference(msgspec.Struct, kw_only=True):
    section: str
    title: str
    changed: bool
    changed_fields: list[str]


class VersionComparison(msgspec.Struct, kw_only=True):
    version: int
    compared_with: str
    sections: list[SectionDifference]
    lists_changed: list[str]


class SignOffRead(msgspec.Struct, kw_only=True):
    """Where the plan is in sign-off, what the reader may do next, and what was said."""

    plan_id: uuid.UUID
    state: str
    state_words: str
    submitted_version: int | None
    agreed_version: int | None
    review_date: dt.date | None
    organisation: OrganisationChoice | None
    # Whether the plan was changed since the version under sign-off was submitted.
    changed_since_submitted: bool
    current_hash: str | None
    submitted_hash: str | None
    # What submitting would share, with whom it could be shared, and what still stops it.
    shares_sections: list[str]
    organisations: list[OrganisationChoice]
    missing: list[str]
    # The recurring cost a year, and (apart) what one-off costs add this year.
    annual_cost_pence: int
    # The allocation sign-off checks: the organisation's figure, None until its staff set it.
    allocation_annual_pence: int | None
    next_steps: list[str]
    comments: list[CommentRead]
    decisions: list[DecisionRead]
    versions: list[VersionSummary]
    one_off_this_year_pence: int = 0
    # Who set the organisation's allocation and when; None until they have (or for a reader
    # who may not see the money).
    organisation_allocation: StaffAllocation | None = None


class DecisionOutcome(msgspec.Struct, kw_only=True):
    """The answer to a decision: where the plan is now (read `/sign-off` for the rest; someone
    who returned a plan no longer sees it)."""

    plan_id: uuid.UUID
    decision: str
    state: str
    state_words: str
    version_number: int
    agreed_version: int | None
    review_date: dt.date | None


class TrayItem(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    person_name: str
    title: str
    kind: str
    state: str
    version_number: int | None
    waiting_since: dt.datetime | None
    # The review date, in the review trays.
    due_on: dt.date | None = None
    annual_cost_pence: int | None
    within_my_limit: bool | None


class TrayCount(msgspec.Struct, kw_only=True):
    tray: str
    title: str
    count: int


class TrayPage(msgspec.Struct, kw_only=True):
    tray: str
    title: str
    organisation_id: uuid.UUID
    count: int
    page: int
    per_page: int
    pages: int
    items: list[TrayItem]


# --- reviews -----------------------------------------------------------------------------------


class ReviewRequestCreate(_Input):
    reason: Reason = ""


class ReviewRequestRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    plan_id: uuid.UUID
    requested_by: str
    role: str
    reason: str
    # Asked before the scheduled review date.
    early: bool
    requested_at: dt.datetime
    status: str
    decided_at: dt.datetime | None
    decision_reason: str
    package_change_id: uuid.UUID | None


class ReviewStart(_Input):
    note: Reason = ""


class ReviewStarted(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    state: str
    agreed_version: int | None
    requests_answered: int


class ReviewDecline(_Input):
    reason: Reason = ""


# --- outcomes and package changes ------------------------------------------------------------


class OutcomeDecision(_Input):
    decision: Literal["agreed", "declined"]
    reason: Reason = ""


Minutes = Annotated[int, Meta(ge=0, le=10_080)]
WeeklyPence = Annotated[int, Meta(ge=0, le=100_000_000)]


class PackageChangeCreate(_Input):
    """Hours a week in minutes (7.5 hours is 450) and weekly costs in pence, before and after."""

    support_item_id: uuid.UUID
    minutes_before: Minutes
    minutes_after: Minutes
    weekly_cost_before_pence: WeeklyPence
    weekly_cost_after_pence: WeeklyPence
    reason: Reason = ""


class PackageChangeRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    plan_id: uuid.UUID
    support_item_id: uuid.UUID
    proposed_by: str
    proposed_at: dt.datetime
    minutes_before: int
    minutes_after: int
    # The hours first ordered, which the tolerance counts from.
    ordered_minutes: int
    weekly_cost_before_pence: int
    weekly_cost_after_pence: int
    reason: str
    # coordinator (within tolerance) or team_manager, and why.
    route: str
    route_reasons: list[str]
    status: str
    decided_at: dt.datetime | None
    decision_reason: str
    new_support_item_id: uuid.UUID | None


class ChangeDecision(_Input):
    decision: Literal["confirm", "decline"]
    reason: Reason = ""


class ToleranceRead(msgspec.Struct, kw_only=True):
    organisation_id: uuid.UUID
    minutes: int
    percent: int
    bands_pence: list[int]


class ToleranceUpdate(_Input):
    minutes: Annotated[int, Meta(ge=0, le=10_080)]
    percent: Annotated[int, Meta(ge=0, le=1000)]
    bands_pence: Annotated[list[Annotated[int, Meta(ge=1, le=100_000_000)]], Meta(max_length=20)]


class AllocationSet(_Input):
    """The organisation's indicative allocation a year, in pence, and why (optional)."""

    annual_pence: Annotated[int, Meta(ge=-(2**62), le=2**62)]
    reason: Reason = ""
