"""Names the sharing pages show: the organisations a plan can be shared with, whose plan it is.

Neither answer says anything about a plan's content; the pages ask only after the access
decision has let the actor open the plan (or manage its sharing).
"""

from __future__ import annotations

import uuid

import msgspec

from portal.accounts.schemas import ORGANISATION_KIND_LABELS
from portal.accounts.tables import Organisation, Person
from portal.core.values import as_uuid


class OrganisationChoice(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    kind: str
    kind_label: str


async def organisations() -> list[OrganisationChoice]:
    """Every organisation a person can share their plan with, by name."""
    rows = await Organisation.select(
        Organisation.id, Organisation.name, Organisation.kind
    ).order_by(Organisation.name)
    return [
        OrganisationChoice(
            id=as_uuid(row["id"]),
            name=row["name"],
            kind=row["kind"],
            kind_label=ORGANISATION_KIND_LABELS.get(row["kind"], row["kind"]),
        )
        for row in rows
    ]


async def person_name(person_id: uuid.UUID) -> str:
    """The name a person goes by, as their plan shows it ("Alex Morgan's plan")."""
    rows = await Person.select(Person.display_name).where(Person.id == person_id).first()
    return str(rows["display_name"]) if rows else ""
