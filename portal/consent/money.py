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
from portal.accounts.tables import UserAccount
from portal.consent import service as consent
from portal.consent.policy import Permission, PlanAccessFacts, decide
from portal.consent.tables import PlanGrant
from portal.core.actor import Actor
from portal.core.values import as_uuid

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
    plans = await PlanGrant.raw('SELECT * FROM "plan" WHERE "id" = {}', plan_id)
    if not plans:
        return set()
    ref = consent.plan_ref(plans[0])
    marks = ", ".join("{}" for _ in wanted)
    rows = await UserAccount.raw(
        'SELECT u."id", u."email", p."id" AS "person_id", p."display_name"'  # noqa: S608
        ' FROM "user_account" u JOIN "person" p ON p."id" = u."person"'
        f' WHERE u."id" IN ({marks})',
        *wanted,
    )
    seeing: set[uuid.UUID] = set()
    for row in rows:
        user_id = as_uuid(row["id"])
        actor = Actor(
            user_id=user_id,
            person_id=as_uuid(row["person_id"]),
            display_name=row["display_name"],
            email=row["email"],
            roles=await staff_roles(user_id),
        )
        if may_see_money(actor, await consent.facts_for(actor, ref)):
            seeing.add(user_id)
    return seeing
