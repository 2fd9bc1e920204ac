"""The sharing API's request and response types: grants, invitations, representatives, the log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from portal.bounds import EXPIRY, check_dates
from portal.consent.policy import Access, Authority, Power

Purpose = Annotated[str, Meta(max_length=500)]
Reason = Annotated[str, Meta(max_length=500)]
Email = Annotated[str, Meta(max_length=320)]
SectionList = Annotated[list[str], Meta(max_length=20)]
# How long an invitation can be used: from 1 to MAX_INVITATION_DAYS days (the pages say so too).
MAX_INVITATION_DAYS = 60
ValidDays = Annotated[int, Meta(ge=1, le=MAX_INVITATION_DAYS)]


class GrantCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Share sections with a person (by the email of their account) or an organisation."""

    sections: SectionList
    access: Access
    purpose: Purpose
    grantee_email: Email | None = None
    grantee_organisation_id: uuid.UUID | None = None
    expires_at: dt.datetime | None = None
    reason: Reason = ""

    def __post_init__(self) -> None:
        check_dates(self, {"expires_at": EXPIRY})


class GrantUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sections: SectionList | UnsetType = UNSET
    access: Access | UnsetType = UNSET
    purpose: Purpose | UnsetType = UNSET
    expires_at: dt.datetime | None | UnsetType = UNSET
    reason: Reason = ""

    def __post_init__(self) -> None:
        check_dates(self, {"expires_at": EXPIRY})


class GrantRevoke(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Reason = ""


class Grantee(msgspec.Struct, kw_only=True):
    kind: str  # "user" or "organisation"
    id: uuid.UUID
    name: str
    email: str | None = None


class GrantRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    version: int
    grantee: Grantee
    sections: list[str]
    access: Access
    purpose: str
    expires_at: dt.datetime | None
    # active, revoked or expired
    status: str
    reason: str
    made_by_name: str
    made_at: dt.datetime
    invitation_id: uuid.UUID | None = None


class InvitationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Invite someone to help: by their email address, or (no email) a link anyone can use once."""

    sections: SectionList
    access: Access
    purpose: Purpose
    email: Email | None = None
    grant_expires_at: dt.datetime | None = None
    valid_days: ValidDays = 14

    def __post_init__(self) -> None:
        check_dates(self, {"grant_expires_at": EXPIRY})


class InvitationRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str | None
    sections: list[str]
    access: Access
    purpose: str
    grant_expires_at: dt.datetime | None
    expires_at: dt.datetime
    # open, accepted, expired or withdrawn
    status: str
    made_by_name: str
    made_at: dt.datetime
    accepted_by_name: str | None = None
    accepted_at: dt.datetime | None = None


class InvitationCreated(msgspec.Struct, kw_only=True):
    """The only time the link is shown: only its hash is kept."""

    invitation: InvitationRead
    token: str
    path: str


class InvitationOffer(msgspec.Struct, kw_only=True):
    """What the holder of an invitation link is told before accepting it."""

    plan_id: uuid.UUID
    owner_name: str
    sections: list[str]
    access: Access
    purpose: str
    grant_expires_at: dt.datetime | None
    expires_at: dt.datetime
    status: str
    for_email: str | None


class InvitationAccepted(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    grant: GrantRead


class RepresentativeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    authority: Authority
    sections: SectionList
    powers: Annotated[list[Power], Meta(max_length=5)]
    relationship: Annotated[str, Meta(max_length=200)] = ""
    authority_reference: Annotated[str, Meta(max_length=200)] = ""
    how_decisions_are_reached: Annotated[str, Meta(max_length=4000)] = ""
    reason: Reason = ""


class RepresentativeEnd(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Reason = ""


class RepresentativeRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    version: int
    user_id: uuid.UUID
    name: str
    email: str
    authority: Authority
    authority_label: str
    authority_reference: str
    relationship: str
    sections: list[str]
    powers: list[Power]
    how_decisions_are_reached: str
    # active or ended
    status: str
    reason: str
    made_by_name: str
    made_at: dt.datetime


class AccessEventRead(msgspec.Struct, kw_only=True):
    at: dt.datetime
    who: str
    event: str
    description: str
    sections: list[str]
    subject: str


class SharedPlanPreview(msgspec.Struct, kw_only=True):
    """Which sections one grantee sees: the person's "see my plan as …"."""

    grantee: Grantee
    sections: list[str]
