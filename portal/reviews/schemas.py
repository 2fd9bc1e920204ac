"""The sign-off API's request and response types."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from msgspec import Meta

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
    annual_cost_pence: int
    allocation_annual_pence: int | None
    next_steps: list[str]
    comments: list[CommentRead]
    decisions: list[DecisionRead]
    versions: list[VersionSummary]


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
