"""Sign-off's limits, each said once: the schemas' `Meta(...)`, the services and the pages use
these names, never the numbers."""

from __future__ import annotations

import uuid

from portal.core.actor import Actor, Role

# The longest reason, note or comment a decision carries (characters).
REASON_MAX_LENGTH = 4000
# The most weekly cost bands an organisation's tolerance rule may have.
MAX_TOLERANCE_BANDS = 20
# The most plans on one page of a work tray.
MAX_PER_PAGE = 100


def spending_limit(actor: Actor, organisation_id: uuid.UUID | None) -> int | None:
    """The most a year this actor may approve as a budget authoriser of the organisation; None
    when they are not one there (a budget authoriser with no limit set may approve nothing)."""
    limits = [
        role.spending_limit_pence or 0
        for role in actor.roles
        if role.organisation_id == organisation_id and role.role == Role.BUDGET_AUTHORISER
    ]
    return max(limits) if limits else None
