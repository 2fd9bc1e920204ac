"""Names the sharing pages show: the organisations a plan can be shared with, whose plan it is.

Neither answer says anything about a plan's content; the pages ask only after the access
decision has let the actor open the plan (or manage its sharing).
"""

from __future__ import annotations

import uuid

import msgspec

from portal.accounts.schemas import ORGANISATION_KIND_LABELS
from portal.consent.repository import access as access_repository


class OrganisationChoice(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    kind: str
    kind_label: str


async def organisations() -> list[OrganisationChoice]:
    """Every organisation a person can share their plan with, by name."""
    return [
        OrganisationChoice(
            id=row.id,
            name=row.name,
            kind=row.kind,
            kind_label=ORGANISATION_KIND_LABELS.get(row.kind, row.kind),
        )
        for row in await access_repository.organisations_by_name()
    ]


async def person_name(person_id: uuid.UUID) -> str:
    """The name a person goes by, as their plan shows it ("Alex Morgan's plan")."""
    return await access_repository.person_display_name(person_id)
