"""The sign-off API's request and response types."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from portal.bounds import (
    REVIEW,
    BandPence,
    MinutesPerWeek,
    Pence,
    Percent,
    WeeklyPence,
    check_dates,
)
from portal.plans.allocation import StaffAllocation
from portal.signoff.limits import MAX_TOLERANCE_BANDS, REASON_MAX_LENGTH

Reason = Annotated[str, Meta(max_length=REASON_MAX_LENGTH)]
CommentText = Annotated[str, Meta(max_length=REASON_MAX_LENGTH)]
Hash = Annotated[str, Meta(max_length=64)]
# Figures and notes that belong to the money section: null for a reader who may not see it.
_WITHHELD = "the money section is not shared with the reader"
MoneyPence = Annotated[
    int | None, Meta(description=f"Pence a year; null when there is none, or when {_WITHHELD}.")
]
MoneyNote = Annotated[str | None, Meta(description=f"About the money; null when {_WITHHELD}.")]


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

    def __post_init__(self) -> None:
        check_dates(self, {"review_date": REVIEW})


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
    # The note of a money decision (a budget variation, a package change) is money.
    reason: Annotated[
        str | None,
        Meta(description=f"What was said; null for a money decision when {_WITHHELD}."),
    ]


class VersionSummary(msgspec.Struct, kw_only=True):
    number: int
    status: str
    organisation_id: uuid.UUID
    organisation_name: str
    content_hash: str
    verification_code: str
    annual_cost_pence: MoneyPence
    allocation_annual_pence: MoneyPence
    submitted_at: dt.datetime
    submitted_by: str
    plan_authorised_at: dt.datetime | None
    plan_authorised_by: str | None
    agreed_at: dt.datetime | None
    agreed_by: str | None
    budget_variation_reason: MoneyNote
    review_date: dt.date | None
    returned_at: dt.datetime | None
    shared_sections: list[str]
    # A version made by a confirmed package change: who confirmed it and whose change it was
    # (then `submitted_by` is the one who confirmed it, not the person).
    package_change_id: uuid.UUID | None = None
    confirmed_by: str | None = None
    change_proposed_by: str | None = None


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
    annual_cost_pence: MoneyPence
    # The allocation sign-off checks: the organisation's figure, None until its staff set it.
    allocation_annual_pence: MoneyPence
    next_steps: list[str]
    comments: list[CommentRead]
    decisions: list[DecisionRead]
    versions: list[VersionSummary]
    # What one-off costs add this year; null when the reader may not see the money section.
    one_off_this_year_pence: MoneyPence = None
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
    annual_cost_pence: MoneyPence
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
    # A review asked for instead of a package change gives the change's reason: money.
    reason: Annotated[
        str | None,
        Meta(description=f"Why; null for a request from a package change when {_WITHHELD}."),
    ]
    # Asked before the scheduled review date.
    early: bool
    requested_at: dt.datetime
    status: str
    decided_at: dt.datetime | None
    decision_reason: str
    package_change_id: Annotated[
        uuid.UUID | None,
        Meta(description=f"The package change it came from; null when none, or when {_WITHHELD}."),
    ]


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


Minutes = MinutesPerWeek


class PackageChangeCreate(_Input):
    """The line's hours a week after the change, in minutes (7.5 hours is 450), and its weekly
    cost after it, in pence. The starting figures are the agreed plan's own, never sent: a
    body that names `minutes_before` or `weekly_cost_before_pence` is refused (422)."""

    support_item_id: uuid.UUID
    minutes_after: Minutes
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
    # The package as a whole, which the tolerance rule is applied to (None on older changes):
    # the weekly cost of every recurring line, and the hours of every line with hours.
    package_weekly_before_pence: int | None = None
    package_weekly_after_pence: int | None = None
    package_ordered_minutes: int | None = None
    package_minutes_after: int | None = None
    # The provider organisation whose line it is (None: the person or their representative).
    proposer_organisation_id: uuid.UUID | None = None
    proposer_organisation_name: str | None = None
    # The version a confirmed change made, and whether it waits for (or went through) budget
    # authorisation because it is above the agreed budget or takes the cost above the allocation.
    version_number: int | None = None
    budget_authorisation: bool = False


class ChangeDecision(_Input):
    decision: Literal["confirm", "decline"]
    reason: Reason = ""


class ToleranceRead(msgspec.Struct, kw_only=True):
    organisation_id: uuid.UUID
    minutes: int
    percent: int
    bands_pence: list[int]


class ToleranceUpdate(_Input):
    minutes: MinutesPerWeek
    percent: Percent
    bands_pence: Annotated[list[BandPence], Meta(max_length=MAX_TOLERANCE_BANDS)]


# --- the sign-off organisation on the sharing page, and withdrawing consent --------------------


class SharedSection(msgspec.Struct, kw_only=True):
    key: str
    title: str


class SharingConsent(msgspec.Struct, kw_only=True):
    """A submission whose consent is in force: the version it sent, who gave it and when."""

    version_number: int
    # `under_sign_off` (waiting for a decision) or `agreed` (the active agreed plan).
    why: Literal["under_sign_off", "agreed"]
    version_status: str
    submitted_at: dt.datetime
    submitted_by: str
    # Whether the person submitted it themselves, or someone who speaks for them.
    submitted_by_role: Literal["person", "representative"]


class SignOffSharingRead(msgspec.Struct, kw_only=True):
    """Whom submitting shared the plan with, which sections, since when and by what consent.

    `shared` is false (and the rest empty) when nothing is shared for sign-off: a draft that
    was never agreed, or whose consent was withdrawn."""

    plan_id: uuid.UUID
    state: str
    shared: bool
    organisation: OrganisationChoice | None
    sections: list[SharedSection]
    # What the organisation's staff may do with those sections.
    access: Literal["comment", ""]
    since: dt.datetime | None
    consents: list[SharingConsent]
    may_withdraw: bool
    # What withdrawing would mean, in sentences for the person (the page shows the same).
    withdrawing_means: list[str]


class WithdrawConsentRequest(_Input):
    """`confirm` must be true. `state`, when given, is the state the warning was read in: if the
    plan has moved on since, nothing changes and the answer is 409, so the warning is read again."""

    confirm: bool = False
    state: Annotated[str, Meta(max_length=40)] | None = None


class AllocationSet(_Input):
    """The organisation's indicative allocation a year, in pence, and why (optional)."""

    annual_pence: Pence
    reason: Reason = ""
