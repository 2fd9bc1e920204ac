"""Alex's personal health budget plan, about half written, with two sections shared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from portal.consent import grants as consent_grants
from portal.consent import schemas as consent_schemas
from portal.consent.policy import Access
from portal.core.actor import Actor
from portal.core.sections import SECTION_TITLES
from portal.demo.people import DEMO_PLANNER
from portal.plans import access as plan_access
from portal.plans import content as plan_content
from portal.plans import rows as plan_rows
from portal.plans import schemas as plan_schemas
from portal.plans import sections as plan_sections
from portal.plans.money import Frequency


async def load_alex(alex: Actor, progress: Callable[[str], None]) -> None:
    """Alex's personal health budget plan, about half written, two sections shared."""
    progress("Creating Alex's plan…")
    plan = await plan_access.create_plan(
        alex,
        plan_schemas.PlanCreate(
            kind=plan_schemas.PlanKind.personal_health_budget, title="Alex's plan"
        ),
    )
    sections: list[tuple[str, plan_content.SectionContent]] = [
        (
            "starting_point",
            plan_content.StartingPoint(
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
            plan_content.AboutMe(
                who_i_am="I'm Alex, 52, a retired postman who lives in Leeds with my cat.",
                strengths_and_skills="Good with people, patient, handy with tools.",
                health_and_wellbeing_needs=(
                    "Weakness on my left side after a stroke; low mood in winter."
                ),
            ),
        ),
        (
            "working_not_working",
            plan_content.WorkingNotWorking(
                working=["Jo visits on Sundays", "My physio exercises are helping my arm"],
                not_working=["Mornings take two hours on my own", "I hardly leave the house"],
            ),
        ),
        (
            "important_to_for",
            plan_content.ImportantToFor(important_to_me=["Keeping my independence", "My garden"]),
        ),
        (
            "money",
            plan_content.MoneySection(
                allocation_pence=1_250_000,
                allocation_frequency=Frequency.annual,
                holding=[plan_content.Holding.direct_payment],
                holding_notes="Jo will help me keep the records.",
            ),
        ),
    ]
    for key, content in sections:
        progress(f"  writing '{SECTION_TITLES[key]}'")
        await plan_sections.write_section(alex, plan.id, key, content, based_on=0)
    progress("  adding outcomes and support")
    swim = await plan_rows.create_row(
        alex,
        plan.id,
        "outcome",
        plan_schemas.OutcomeCreate(
            title="Swim twice a week",
            how="A personal assistant drives me and helps in the changing room.",
        ),
    )
    await plan_rows.create_row(
        alex, plan.id, "outcome", plan_schemas.OutcomeCreate(title="Volunteer at the allotment")
    )
    await plan_rows.create_row(
        alex,
        plan.id,
        "support",
        plan_schemas.SupportItemCreate(
            description="Personal assistant, 4 hours",
            provider="Employed directly",
            cost_pence=6_400,
            frequency=Frequency.weekly,
            outcome_id=swim.id,
        ),
    )
    await plan_rows.create_row(
        alex,
        plan.id,
        "support",
        plan_schemas.SupportItemCreate(
            description="Leisure centre membership",
            provider="Leeds Leisure",
            cost_pence=2_950,
            frequency=Frequency.monthly,
            outcome_id=swim.id,
        ),
    )
    await plan_rows.create_row(
        alex,
        plan.id,
        "action",
        plan_schemas.ActionCreate(
            what="Advertise for a personal assistant",
            who="Jo",
            due_by=dt.date.today() + dt.timedelta(days=21),
        ),
    )
    await plan_rows.create_row(
        alex,
        plan.id,
        "contact",
        plan_schemas.ContactCreate(
            name="Priya Shah",
            role="Community nurse",
            when_to_contact="If my mood drops or I have a fall",
            phone="0113 496 0000",
        ),
    )
    # Alex asked an independent planner to help with two sections, and has a link ready for
    # someone else.
    await consent_grants.give_grant(
        alex,
        plan.id,
        consent_schemas.GrantCreate(
            grantee_email=DEMO_PLANNER,
            sections=["about_me", "outcomes"],
            access=Access.EDIT,
            purpose="Independent planner helping me write my plan",
        ),
    )
