"""The organisation's own tolerance figures for package changes: read by its staff, set by its
admins (audited). The rule that applies them is `tolerance.route_package_change`."""

from __future__ import annotations

import uuid

import msgspec

from portal.audit.trail import AuditDraft, append
from portal.core.actor import Actor, OrgPermission, decide_organisation
from portal.core.errors import (
    Forbidden,
    not_found,
)
from portal.db import write_transaction
from portal.plans.tables import Plan
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository import organisation_rows
from portal.signoff.tolerance import (
    Tolerance,
)
from portal.signoff.transitions import invalid_field


async def tolerance_of(organisation_id: uuid.UUID | None) -> Tolerance:
    tolerance = await organisation_rows.get_tolerance(organisation_id) if organisation_id else None
    if tolerance is None:
        raise not_found("organisation")
    return tolerance


def _tolerance_read(
    organisation_id: uuid.UUID, tolerance: Tolerance
) -> signoff_schemas.ToleranceRead:
    return signoff_schemas.ToleranceRead(
        organisation_id=organisation_id,
        minutes=tolerance.minutes,
        percent=tolerance.percent,
        bands_pence=list(tolerance.bands),
    )


async def read_tolerance(actor: Actor, organisation_id: uuid.UUID) -> signoff_schemas.ToleranceRead:
    if not decide_organisation(actor, OrgPermission.VIEW_STAFF, organisation_id):
        raise not_found("organisation")
    return _tolerance_read(organisation_id, await tolerance_of(organisation_id))


async def change_tolerance(
    actor: Actor, organisation_id: uuid.UUID, data: signoff_schemas.ToleranceUpdate
) -> signoff_schemas.ToleranceRead:
    """An admin sets the organisation's own tolerance figures; the change is audited."""
    if not decide_organisation(actor, OrgPermission.VIEW_STAFF, organisation_id):
        raise not_found("organisation")
    if not decide_organisation(actor, OrgPermission.MANAGE_STAFF, organisation_id):
        raise Forbidden(
            "Not allowed", "Only an admin of the organisation can change its tolerance rule."
        )
    bands = list(data.bands_pence)
    if not bands or any(b <= a for a, b in zip(bands, bands[1:], strict=False)) or bands[0] <= 0:
        raise invalid_field(
            "bands_pence",
            "Bands not in order",
            "Give the upper bound of each weekly cost band in pence, lowest first, each higher "
            "than the one before.",
        )
    before = await tolerance_of(organisation_id)
    after = Tolerance(minutes=data.minutes, percent=data.percent, bands=tuple(bands))
    async with write_transaction(Plan._meta.db):
        await organisation_rows.set_tolerance(organisation_id, after)
        await append(
            AuditDraft(
                action="change_tolerance",
                actor_user=actor.user_id,
                actor_name=actor.display_name,
                role="admin",
                organisation=organisation_id,
                details={
                    "before": msgspec.to_builtins(before),
                    "after": {"minutes": data.minutes, "percent": data.percent, "bands": bands},
                },
            )
        )
    return _tolerance_read(organisation_id, after)
