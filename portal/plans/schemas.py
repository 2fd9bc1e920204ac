"""The plan API's request and response types."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from portal.bounds import PLAN_DATE, MinutesPerWeek, Pence, check_dates
from portal.plans.allocation import StaffAllocation
from portal.plans.content import LongText, OutcomeStatus, ShortText
from portal.plans.criteria import CriterionResult
from portal.plans.money import Frequency, MoneySummary

RequiredShortText = Annotated[str, Meta(min_length=1, max_length=200)]
RequiredLongText = Annotated[str, Meta(min_length=1, max_length=5000)]


class PlanKind(StrEnum):
    care_and_support = "care_and_support"
    personal_health_budget = "personal_health_budget"
    carer_support = "carer_support"


PLAN_KIND_LABELS: dict[str, str] = {
    PlanKind.care_and_support: "Care and support plan",
    PlanKind.personal_health_budget: "Personal health budget plan",
    PlanKind.carer_support: "Carer's support plan",
}


class _Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class SessionCreate(_Input, kw_only=True):
    email: Annotated[str, Meta(max_length=320)]
    password: Annotated[str, Meta(max_length=1024)]


class SessionRead(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    person_id: uuid.UUID
    display_name: str
    email: str
    # For the X-CSRF-Token header: bound to this session, so it changes at every sign-in.
    csrf_token: str


class CsrfTokenRead(msgspec.Struct, kw_only=True):
    csrf_token: str


class PlanCreate(_Input, kw_only=True):
    kind: PlanKind
    title: Annotated[str, Meta(max_length=200)] = ""


class PlanSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    title: str
    state: str
    created_at: dt.datetime
    updated_at: dt.datetime
    criteria_met: int
    criteria_total: int
    # Whose plan it is, and whether it is the actor's own or shared with them.
    owner_name: str = ""
    mine: bool = True


class SectionRead(msgspec.Struct, kw_only=True):
    key: str
    title: str
    content: dict[str, Any]
    version: int
    etag: str
    updated_at: dt.datetime | None
    updated_by: str | None


class OutcomeCreate(_Input, kw_only=True):
    title: RequiredShortText
    how: LongText = ""


class OutcomeUpdate(_Input, kw_only=True):
    title: RequiredShortText | UnsetType = UNSET
    how: LongText | UnsetType = UNSET


class OutcomeRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    title: str
    how: str
    status: OutcomeStatus
    status_reason: str
    proposed_by: str | None
    # Staff who agreed or declined it, and when.
    decided_by: str = ""
    decided_at: dt.datetime | None = None
    version: int
    etag: str
    created_at: dt.datetime
    updated_at: dt.datetime


# Hours of support a week are in minutes (MinutesPerWeek), when the item is hours of care.


class SupportItemCreate(_Input, kw_only=True):
    description: RequiredShortText
    provider: ShortText = ""
    cost_pence: Pence
    frequency: Frequency
    outcome_id: uuid.UUID | None = None
    minutes_per_week: MinutesPerWeek | None = None


class SupportItemUpdate(_Input, kw_only=True):
    description: RequiredShortText | UnsetType = UNSET
    provider: ShortText | UnsetType = UNSET
    cost_pence: Pence | UnsetType = UNSET
    frequency: Frequency | UnsetType = UNSET
    outcome_id: uuid.UUID | None | UnsetType = UNSET
    minutes_per_week: MinutesPerWeek | None | UnsetType = UNSET


class SupportItemRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    description: str
    provider: str
    cost_pence: int
    frequency: Frequency
    # The recurring weekly and yearly figures; None for a one-off cost, which never recurs.
    weekly_pence: int | None
    annual_pence: int | None
    outcome_id: uuid.UUID | None
    minutes_per_week: int | None = None
    # What it costs in the plan's year: the yearly figure, or a one-off cost once.
    this_year_pence: int = 0
    version: int
    etag: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ActionCreate(_Input, kw_only=True):
    what: RequiredLongText
    who: ShortText = ""
    due_by: dt.date | None = None
    outcome_id: uuid.UUID | None = None
    done: bool = False

    def __post_init__(self) -> None:
        check_dates(self, {"due_by": PLAN_DATE})


class ActionUpdate(_Input, kw_only=True):
    what: RequiredLongText | UnsetType = UNSET
    who: ShortText | UnsetType = UNSET
    due_by: dt.date | None | UnsetType = UNSET
    outcome_id: uuid.UUID | None | UnsetType = UNSET
    done: bool | UnsetType = UNSET

    def __post_init__(self) -> None:
        check_dates(self, {"due_by": PLAN_DATE})


class ActionRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    what: str
    who: str
    due_by: dt.date | None
    outcome_id: uuid.UUID | None
    done: bool
    version: int
    etag: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactCreate(_Input, kw_only=True):
    name: RequiredShortText
    role: ShortText = ""
    when_to_contact: LongText = ""
    phone: Annotated[str, Meta(max_length=40)] = ""
    email: Annotated[str, Meta(max_length=320)] = ""


class ContactUpdate(_Input, kw_only=True):
    name: RequiredShortText | UnsetType = UNSET
    role: ShortText | UnsetType = UNSET
    when_to_contact: LongText | UnsetType = UNSET
    phone: Annotated[str, Meta(max_length=40)] | UnsetType = UNSET
    email: Annotated[str, Meta(max_length=320)] | UnsetType = UNSET


class ContactRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    role: str
    when_to_contact: str
    phone: str
    email: str
    version: int
    etag: str
    created_at: dt.datetime
    updated_at: dt.datetime


class RevisionRead(msgspec.Struct, kw_only=True):
    version: int
    content: dict[str, Any]
    changed_fields: list[str]
    deleted: bool
    restored_from: int | None
    author: str | None
    created_at: dt.datetime


class CriteriaCounts(msgspec.Struct, kw_only=True):
    met: int
    partial: int
    missing: int
    ready: bool


class PlanRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    title: str
    state: str
    created_at: dt.datetime
    updated_at: dt.datetime
    sections: list[SectionRead]
    criteria: list[CriterionResult]
    criteria_summary: CriteriaCounts
    # None when the money section is not shared with the reader.
    money: MoneySummary | None
    # The indicative allocation set by the signing-off organisation's staff: the figure
    # sign-off checks. None until they set one, or when the reader may not see the money.
    organisation_allocation: StaffAllocation | None = None
    outcomes: list[OutcomeRead]
    support_items: list[SupportItemRead]
    actions: list[ActionRead]
    contacts: list[ContactRead]


class ConflictRead(msgspec.Struct, kw_only=True):
    """What a 409 carries: the current content and version, and the fields both sides changed."""

    current: dict[str, Any]
    version: int
    etag: str
    conflicting_fields: list[str]
    yours: dict[str, Any]
