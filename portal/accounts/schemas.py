"""The organisation API's request and response types: organisations and the staff roles in them."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta

from portal.core.actor import Role

# The largest spending limit the portal records: well above any council's yearly budget, far
# below the 64-bit column, so a typing slip (pounds typed as pence twice) is caught.
MAX_SPENDING_LIMIT_PENCE = 100_000_000_000
SpendingLimit = Annotated[int, Meta(ge=1, le=MAX_SPENDING_LIMIT_PENCE)]
Email = Annotated[str, Meta(max_length=320)]


class OrganisationKind(StrEnum):
    council = "council"
    nhs_icb = "nhs_icb"
    provider = "provider"
    brokerage = "brokerage"


ORGANISATION_KIND_LABELS: dict[str, str] = {
    OrganisationKind.council: "Council",
    OrganisationKind.nhs_icb: "NHS integrated care board",
    OrganisationKind.provider: "Care provider",
    OrganisationKind.brokerage: "Brokerage",
}


class _Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class StaffRoleCreate(_Input, kw_only=True):
    """Give a role to someone who has an account, found by its email address."""

    email: Email
    role: Role
    # Required for a budget authoriser (the largest annual cost they may approve); none otherwise.
    spending_limit_pence: SpendingLimit | None = None


class SpendingLimitUpdate(_Input, kw_only=True):
    spending_limit_pence: SpendingLimit


class MyRole(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    role: Role
    role_label: str
    spending_limit_pence: int | None
    granted_at: dt.datetime


class OrganisationRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    kind: OrganisationKind
    kind_label: str
    # The roles the reader holds here now.
    my_roles: list[MyRole]
    can_manage_staff: bool


class StaffRoleRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    organisation_id: uuid.UUID
    user_id: uuid.UUID
    name: str
    email: str
    role: Role
    role_label: str
    spending_limit_pence: int | None
    granted_at: dt.datetime
    granted_by_name: str | None
    ended_at: dt.datetime | None
    ended_by_name: str | None
    current: bool
