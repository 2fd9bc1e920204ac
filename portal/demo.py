"""A realistic demo: Alex, with a personal health budget plan about half written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from portal.accounts import organisations
from portal.accounts.service import actor_for_token, create_user, end_session, start_session
from portal.accounts.tables import UserAccount
from portal.consent import schemas as cs
from portal.consent import service as consent
from portal.consent.policy import Access, Actor, Role
from portal.plans import content as c
from portal.plans import schemas as s
from portal.plans import service
from portal.plans.money import Frequency

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed on screen for the demo, on purpose
DEMO_OWNER = "alex@example.org"
DEMO_OTHER = "sam@example.org"
DEMO_ORGANISATION = "Northshire County Council"
DEMO_STAFF = "casey@example.org"
DEMO_ORG_ADMIN = "morgan@example.org"
DEMO_PLANNER = "jordan@example.org"


async def _actor(email: str, name: str) -> Actor:
    user = await UserAccount.objects().where(UserAccount.email == email).first()
    if user is None:
        user = await create_user(email, DEMO_PASSWORD, name)
    token = await start_session(user, hours=1)
    actor = await actor_for_token(token)
    await end_session(token)
    assert actor is not None
    return actor


async def _load_organisation(progress: Callable[[str], None]) -> None:
    """A council with a member of staff and an admin; each part is added only if missing."""
    await _actor(DEMO_STAFF, "Casey Jones")
    await _actor(DEMO_ORG_ADMIN, "Morgan Lee")
    council = await organisations.find_organisation(DEMO_ORGANISATION, "council")
    if council is None:
        progress(f"Creating {DEMO_ORGANISATION}…")
        council = await organisations.create_organisation(DEMO_ORGANISATION, "council")
    for email, role in (
        (DEMO_STAFF, Role.COORDINATOR),
        (DEMO_STAFF, Role.PLAN_AUTHORISER),
        (DEMO_ORG_ADMIN, Role.ADMIN),
    ):
        try:
            await organisations.add_role_as_operator(council, email, role)
        except organisations.RoleAlreadyHeld:
            continue


async def load_demo(progress: Callable[[str], None] = lambda _: None) -> None:
    """Add the demo people and plan unless they are there already."""
    alex = await _actor(DEMO_OWNER, "Alex Morgan")
    await _actor(DEMO_OTHER, "Sam Patel")
    await _actor(DEMO_PLANNER, "Jordan Reid")
    await _load_organisation(progress)
    if await service.list_plans(alex):
        progress("Demo data is already there.")
        return
    progress("Creating Alex's plan…")
    plan = await service.create_plan(
        alex, s.PlanCreate(kind=s.PlanKind.personal_health_budget, title="Alex's plan")
    )
    sections: list[tuple[str, c.SectionContent]] = [
        (
            "starting_point",
            c.StartingPoint(
                what_i_enjoy="Swimming at the leisure centre, gardening, seeing my nephew.",
                what_i_dont_like="Being rushed in the mornings. Busy, loud places.",
                what_i_want_to_achieve=(
                    "Get back to swimming twice a week and volunteer at the allotment."
                ),
                what_stops_me="Getting there: I can't drive since my stroke and the bus is hard.",
                who_helped_me_plan="My sister Jo and Priya from the community team.",
            ),
        ),
        (
            "about_me",
            c.AboutMe(
                who_i_am="I'm Alex, 52, a retired postman who lives in Leeds with my cat.",
                strengths_and_skills="Good with people, patient, handy with tools.",
                health_and_wellbeing_needs=(
                    "Weakness on my left side after a stroke; low mood in winter."
                ),
            ),
        ),
        (
            "working_not_working",
            c.WorkingNotWorking(
                working=["Jo visits on Sundays", "My physio exercises are helping my arm"],
                not_working=["Mornings take two hours on my own", "I hardly leave the house"],
            ),
        ),
        (
            "important_to_for",
            c.ImportantToFor(important_to_me=["Keeping my independence", "My garden"]),
        ),
        (
            "money",
            c.MoneySection(
                allocation_pence=1_250_000,
                allocation_frequency=Frequency.annual,
                holding=[c.Holding.direct_payment],
                holding_notes="Jo will help me keep the records.",
            ),
        ),
    ]
    for key, content in sections:
        progress(f"  writing '{c.SECTION_TITLES[key]}'")
        await service.write_section(alex, plan.id, key, content, based_on=0)
    progress("  adding outcomes and support")
    swim = await service.create_row(
        alex,
        plan.id,
        "outcome",
        s.OutcomeCreate(
            title="Swim twice a week",
            how="A personal assistant drives me and helps in the changing room.",
        ),
    )
    await service.create_row(
        alex, plan.id, "outcome", s.OutcomeCreate(title="Volunteer at the allotment")
    )
    await service.create_row(
        alex,
        plan.id,
        "support",
        s.SupportItemCreate(
            description="Personal assistant, 4 hours",
            provider="Employed directly",
            cost_pence=6_400,
            frequency=Frequency.weekly,
            outcome_id=swim.id,
        ),
    )
    await service.create_row(
        alex,
        plan.id,
        "support",
        s.SupportItemCreate(
            description="Leisure centre membership",
            provider="Leeds Leisure",
            cost_pence=2_950,
            frequency=Frequency.monthly,
            outcome_id=swim.id,
        ),
    )
    await service.create_row(
        alex,
        plan.id,
        "action",
        s.ActionCreate(
            what="Advertise for a personal assistant",
            who="Jo",
            due_by=dt.date.today() + dt.timedelta(days=21),
        ),
    )
    await service.create_row(
        alex,
        plan.id,
        "contact",
        s.ContactCreate(
            name="Priya Shah",
            role="Community nurse",
            when_to_contact="If my mood drops or I have a fall",
            phone="0113 496 0000",
        ),
    )
    # Alex asked an independent planner to help with two sections, and has a link ready for
    # someone else.
    await consent.give_grant(
        alex,
        plan.id,
        cs.GrantCreate(
            grantee_email=DEMO_PLANNER,
            sections=["about_me", "outcomes"],
            access=Access.EDIT,
            purpose="Independent planner helping me write my plan",
        ),
    )
    progress(f"Demo ready: sign in as {DEMO_OWNER} (or {DEMO_OTHER}) with password {DEMO_PASSWORD}")
    progress(f"{DEMO_PLANNER} can edit two sections of Alex's plan, shared with them")
    progress(f"Staff of {DEMO_ORGANISATION}: {DEMO_STAFF} and {DEMO_ORG_ADMIN} (its admin)")
