"""A realistic demo: Alex, with a personal health budget plan about half written; staff of a
council and an NHS integrated care board; Pat, whose plan waits for sign-off; and Chris, whose
plan is agreed and due for review. Each part is added only if it is missing.
"""

from __future__ import annotations

from collections.abc import Callable

from portal.demo.alex import load_alex
from portal.demo.people import (
    DEMO_AGREED,
    DEMO_BUDGET_AUTHORISER,
    DEMO_ICB,
    DEMO_ICB_AUTHORISER,
    DEMO_ORG_ADMIN,
    DEMO_ORGANISATION,
    DEMO_OTHER,
    DEMO_OWNER,
    DEMO_PASSWORD,
    DEMO_PLANNER,
    DEMO_STAFF,
    DEMO_SUBMITTED,
    demo_actor,
    load_council,
    load_icb,
)
from portal.demo.walkthrough import load_chris, load_pat
from portal.plans import reading as plan_reading

__all__ = ["load_demo"]


async def load_demo(progress: Callable[[str], None] = lambda _: None) -> None:
    """Add the demo people, organisations and plans unless they are there already."""
    alex = await demo_actor(DEMO_OWNER, "Alex Morgan")
    await demo_actor(DEMO_OTHER, "Sam Patel")
    await demo_actor(DEMO_PLANNER, "Jordan Reid")
    council = await load_council(progress)
    await load_icb(progress)
    added = False
    if not await plan_reading.list_plans(alex):
        await load_alex(alex, progress)
        added = True
    added = await load_pat(council, progress) or added
    added = await load_chris(council, progress) or added
    if not added:
        progress("Demo data is already there.")
        return
    progress(f"Demo ready: sign in as {DEMO_OWNER} (or {DEMO_OTHER}) with password {DEMO_PASSWORD}")
    progress(f"{DEMO_PLANNER} can edit two sections of Alex's plan, shared with them")
    progress(
        f"Staff of {DEMO_ORGANISATION}: {DEMO_STAFF}, {DEMO_BUDGET_AUTHORISER} and "
        f"{DEMO_ORG_ADMIN} (its admin)"
    )
    progress(
        f"Staff of {DEMO_ICB}: {DEMO_ICB_AUTHORISER}, {DEMO_BUDGET_AUTHORISER} and "
        f"{DEMO_ORG_ADMIN} (its admin)"
    )
    progress(f"{DEMO_SUBMITTED} has submitted a plan: it waits for {DEMO_STAFF} to authorise it")
    progress(f"{DEMO_AGREED} has an agreed plan, due for review in the next four weeks")
