"""Who may see the money: one question, asked the same way on every path.

Every figure derived from the money section (costs, the allocation, totals, the reason for a
budget variation, package-change hours and costs, the notes on money decisions) is part of
that section. So whoever may not read the section may not read any of them, wherever they
turn up: a version's summary, the sign-off page, a tray, a PDF, a live event, a notification.
The answer is the access decision's own for the section (`decide(…, SECTION_VIEW, …,
"money")`); this module only names the question, so that no read decides it differently.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from portal.accounts.service import staff_roles
from portal.consent import access as consent_access
from portal.consent.policy import Permission, PlanAccessFacts, decide
from portal.consent.repository import access as access_repository
from portal.core.actor import Actor

__all__ = ["MONEY_SECTION", "may_see_money", "users_who_see_money"]

MONEY_SECTION = "money"


def may_see_money(actor: Actor | None, facts: PlanAccessFacts) -> bool:
    """Whether this actor may see any figure of this plan's money (the section's own rule)."""
    return decide(actor, Permission.SECTION_VIEW, facts, MONEY_SECTION)


async def users_who_see_money(plan_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Of these accounts, those who may see this plan's money now: for telling people about
    money (a package change) when no request of theirs is there to ask with."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return set()
    plan = await access_repository.plan_row(plan_id)
    if plan is None:
        return set()
    ref = consent_access.plan_ref(plan)
    seeing: set[uuid.UUID] = set()
    for account in await access_repository.accounts_by_ids(wanted):
        actor = Actor(
            user_id=account.id,
            person_id=account.person_id,
            display_name=account.display_name,
            email=account.email,
            roles=await staff_roles(account.id),
        )
        if may_see_money(actor, await consent_access.facts_for(actor, ref)):
            seeing.add(account.id)
    return seeing
