"""The demo's people, their passwords and the two organisations with their staff."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from portal.accounts import organisations
from portal.accounts import repository as accounts
from portal.accounts.service import actor_for_token, create_user, end_session, start_session
from portal.core.actor import Actor, Role

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed on screen for the demo, on purpose
DEMO_OWNER = "alex@example.org"
DEMO_OTHER = "sam@example.org"
DEMO_ORGANISATION = "Northshire County Council"
DEMO_STAFF = "casey@example.org"
DEMO_ORG_ADMIN = "morgan@example.org"
DEMO_PLANNER = "jordan@example.org"
DEMO_ICB = "Northshire Integrated Care Board"
DEMO_ICB_AUTHORISER = "riley@example.org"
DEMO_BUDGET_AUTHORISER = "drew@example.org"
DEMO_SUBMITTED = "pat@example.org"
DEMO_AGREED = "chris@example.org"
# Drew's spending limits: the largest annual cost Drew may approve, in pence.
DREW_COUNCIL_LIMIT = 1_500_000  # £15,000 a year
DREW_ICB_LIMIT = 2_000_000  # £20,000 a year
# The council's indicative allocations a year (what each person was told, noted in their plan).
PAT_ALLOCATION = 1_300_000  # £13,000
CHRIS_ALLOCATION = 1_250_000  # £12,500
# Chris's agreed plan is due for review soon, so it is in the "reviews due" tray.
CHRIS_REVIEW_IN = dt.timedelta(days=20)


async def demo_actor(email: str, name: str) -> Actor:
    user = await accounts.user_by_email(email)
    if user is None:
        user = await create_user(email, DEMO_PASSWORD, name)
    token = await start_session(user, hours=1)
    actor = await actor_for_token(token)
    await end_session(token)
    assert actor is not None
    return actor


async def _add_roles(organisation_id: uuid.UUID, roles: list[tuple[str, Role, int | None]]) -> None:
    for email, role, limit in roles:
        try:
            await organisations.add_role_as_operator(organisation_id, email, role, limit)
        except organisations.RoleAlreadyHeld:
            continue


async def load_council(progress: Callable[[str], None]) -> uuid.UUID:
    """A council with its staff (Casey; Drew for budgets) and an admin; each part is added only
    if missing."""
    await demo_actor(DEMO_STAFF, "Casey Jones")
    await demo_actor(DEMO_ORG_ADMIN, "Morgan Lee")
    await demo_actor(DEMO_BUDGET_AUTHORISER, "Drew Evans")
    council = await organisations.find_organisation(DEMO_ORGANISATION, "council")
    if council is None:
        progress(f"Creating {DEMO_ORGANISATION}…")
        council = await organisations.create_organisation(DEMO_ORGANISATION, "council")
    await _add_roles(
        council,
        [
            (DEMO_STAFF, Role.COORDINATOR, None),
            (DEMO_STAFF, Role.PLAN_AUTHORISER, None),
            (DEMO_ORG_ADMIN, Role.ADMIN, None),
            (DEMO_BUDGET_AUTHORISER, Role.BUDGET_AUTHORISER, DREW_COUNCIL_LIMIT),
            (DEMO_BUDGET_AUTHORISER, Role.TEAM_MANAGER, None),
        ],
    )
    return council


async def load_icb(progress: Callable[[str], None]) -> uuid.UUID:
    """The NHS integrated care board that signs off personal health budgets, like Alex's."""
    await demo_actor(DEMO_ICB_AUTHORISER, "Riley Shah")
    icb = await organisations.find_organisation(DEMO_ICB, "nhs_icb")
    if icb is None:
        progress(f"Creating {DEMO_ICB}…")
        icb = await organisations.create_organisation(DEMO_ICB, "nhs_icb")
    await _add_roles(
        icb,
        [
            (DEMO_ICB_AUTHORISER, Role.PLAN_AUTHORISER, None),
            (DEMO_BUDGET_AUTHORISER, Role.BUDGET_AUTHORISER, DREW_ICB_LIMIT),
            (DEMO_BUDGET_AUTHORISER, Role.TEAM_MANAGER, None),
            (DEMO_ORG_ADMIN, Role.ADMIN, None),
        ],
    )
    return icb
