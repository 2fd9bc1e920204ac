"""Complete plans, for walking through sign-off: Pat's and Chris's, with all nine criteria met."""

from __future__ import annotations

import datetime as dt

import msgspec

from portal.demo.people import CHRIS_ALLOCATION, PAT_ALLOCATION
from portal.plans import content as plan_content
from portal.plans import schemas as plan_schemas
from portal.plans.money import Frequency


class Goal(msgspec.Struct, kw_only=True):
    """An outcome with the support and the actions that serve it."""

    outcome: plan_schemas.OutcomeCreate
    support: list[plan_schemas.SupportItemCreate] = []
    actions: list[plan_schemas.ActionCreate] = []


class PlanContent(msgspec.Struct, kw_only=True):
    """A care and support plan with all nine criteria met."""

    title: str
    sections: list[tuple[str, plan_content.SectionContent]]
    goals: list[Goal]
    contacts: list[plan_schemas.ContactCreate]


def goal(
    title: str,
    how: str,
    items: list[plan_schemas.SupportItemCreate],
    action: tuple[str, str, dt.date],
) -> Goal:
    """An outcome, the support that serves it, and the one action that starts it: (what, who,
    due by)."""
    what, who, due_by = action
    return Goal(
        outcome=plan_schemas.OutcomeCreate(title=title, how=how),
        support=items,
        actions=[plan_schemas.ActionCreate(what=what, who=who, due_by=due_by)],
    )


def support(
    description: str,
    provider: str,
    cost_pence: int,
    frequency: Frequency,
    *,
    minutes_per_week: int | None = None,
) -> plan_schemas.SupportItemCreate:
    return plan_schemas.SupportItemCreate(
        description=description,
        provider=provider,
        cost_pence=cost_pence,
        frequency=frequency,
        minutes_per_week=minutes_per_week,
    )


def pat_plan(today: dt.date) -> PlanContent:
    """Pat, home from hospital after a broken hip, with home care arranged by the council."""
    return PlanContent(
        title="Pat's plan",
        sections=[
            (
                "starting_point",
                plan_content.StartingPoint(
                    what_i_enjoy=(
                        "The crossword with my morning tea, lunch club on Tuesdays, and my "
                        "budgie, Joey."
                    ),
                    what_i_dont_like=(
                        "Strangers turning up without warning. Being helped with things I can "
                        "still do myself."
                    ),
                    what_i_want_to_achieve=(
                        "Stay in my bungalow, get washed and dressed safely every morning, and "
                        "get back to lunch club."
                    ),
                    what_stops_me=(
                        "Since I broke my hip in March I can't manage the shower or my "
                        "stockings, and I'm nervous on my feet."
                    ),
                    who_helped_me_plan=(
                        "My son Mark, and Aisha Khan, the social worker from the hospital "
                        "discharge team."
                    ),
                ),
            ),
            (
                "about_me",
                plan_content.AboutMe(
                    who_i_am=(
                        "I'm Pat, 81, a retired dinner lady. I've lived in my bungalow in Kirkby "
                        "for thirty years, on my own since my husband died."
                    ),
                    strengths_and_skills=(
                        "Determined, chatty and good at keeping lists. I still cook my own tea."
                    ),
                    relationships_and_community=(
                        "Mark lives in York and rings every evening. My neighbour Brenda pops in "
                        "most days. My friends are at the lunch club."
                    ),
                    health_and_wellbeing_needs=(
                        "A new hip after a fall in March, arthritis in both knees, and type 2 "
                        "diabetes. I've been lonely since I stopped going out."
                    ),
                    makes_own_decisions=True,
                    how_decisions_are_reached="I decide for myself; Mark helps with money.",
                ),
            ),
            (
                "working_not_working",
                plan_content.WorkingNotWorking(
                    working=["Brenda popping in every day", "The rails the OT fitted"],
                    not_working=[
                        "Getting washed and dressed takes all morning and I'm scared of falling",
                        "I haven't been out of the house since I came home from hospital",
                    ],
                ),
            ),
            (
                "important_to_for",
                plan_content.ImportantToFor(
                    important_to_me=["Staying in my own home", "Looking after Joey"],
                    important_for_me=["Not falling again", "Eating properly with my tablets"],
                ),
            ),
            (
                "staying_safe",
                plan_content.StayingSafe(
                    risks=[
                        plan_content.Risk(
                            risk="Another fall, in the shower or at night.",
                            mitigation=(
                                "A carer helps me shower every morning, and I wear a pendant "
                                "alarm day and night."
                            ),
                            who_helps="Northshire Home Care and Northshire Careline",
                        ),
                        plan_content.Risk(
                            risk="Missing meals and my diabetes tablets.",
                            mitigation="The evening carer checks I've eaten and taken them.",
                            who_helps="Northshire Home Care",
                        ),
                    ],
                    contingency_plan=(
                        "If a carer isn't here by nine, I ring the agency, then Mark. If I fall, "
                        "I press my pendant and Careline calls Brenda and an ambulance."
                    ),
                    point_of_contact_name="Aisha Khan, social worker",
                    point_of_contact_details="Northshire adult social care, 01632 960 123",
                ),
            ),
            (
                "outcomes",
                plan_content.OutcomesSection(notes="We agreed these before I left hospital."),
            ),
            (
                "money",
                plan_content.MoneySection(
                    allocation_pence=PAT_ALLOCATION,
                    allocation_frequency=Frequency.annual,
                    holding=[plan_content.Holding.council_managed],
                    holding_notes="The council arranges and pays for my care; I'd rather not.",
                ),
            ),
            (
                "action_plan",
                plan_content.ActionPlanSection(notes="Mark rings Aisha every fortnight."),
            ),
            (
                "review",
                plan_content.ReviewSection(
                    care_coordinator_name="Casey Jones",
                    care_coordinator_contact="Northshire adult social care, 01632 960 100",
                    review_date=today + dt.timedelta(weeks=12),
                    how_reviewed=(
                        "Casey visits me at home, with Mark on the phone, to see if the calls "
                        "are at the right times and the money is right."
                    ),
                    going_well_signs="I'm dressed by ten, I'm at lunch club, and no falls.",
                    going_wrong_signs="A fall, carers not coming, or I'm not eating.",
                ),
            ),
            (
                "contacts",
                plan_content.ContactsSection(notes="Ring the agency about visits; Casey for more."),
            ),
        ],
        goals=[
            goal(
                "Get washed and dressed safely every morning",
                "A carer helps me shower and dress; I do what I can myself.",
                [
                    support(
                        "Home care, 10 hours a week (mornings and six evenings)",
                        "Northshire Home Care",
                        21_000,
                        Frequency.weekly,
                        minutes_per_week=600,
                    )
                ],
                (
                    "Ask the agency for the same two carers where they can",
                    "Mark",
                    today + dt.timedelta(days=7),
                ),
            ),
            goal(
                "Get back to lunch club on Tuesdays",
                "The day centre minibus picks me up and brings me home.",
                [
                    support(
                        "Day centre on Tuesdays, with lunch and the minibus",
                        "Kirkby Day Centre",
                        4_500,
                        Frequency.weekly,
                    )
                ],
                (
                    "Book my place at the day centre and on the minibus",
                    "Mark",
                    today + dt.timedelta(days=14),
                ),
            ),
            goal(
                "Feel safe on my own at home",
                "A pendant alarm, so help comes if I fall.",
                [
                    support(
                        "Pendant alarm and 24-hour monitoring",
                        "Northshire Careline",
                        1_950,
                        Frequency.monthly,
                    )
                ],
                (
                    "Fit the pendant alarm and test it with me",
                    "Northshire Careline",
                    today + dt.timedelta(days=5),
                ),
            ),
        ],
        contacts=[
            plan_schemas.ContactCreate(
                name="Aisha Khan",
                role="Social worker",
                when_to_contact="If the care isn't working or I go back into hospital",
                phone="01632 960 123",
            ),
            plan_schemas.ContactCreate(
                name="Northshire Home Care office",
                role="Home care agency",
                when_to_contact="If a carer is late or I need to change a visit",
                phone="01632 960 456",
            ),
        ],
    )


def chris_plan(today: dt.date, review_on: dt.date) -> PlanContent:
    """Chris, starting a job at a café, with a support worker, a PA and travel training."""
    return PlanContent(
        title="Chris's plan",
        sections=[
            (
                "starting_point",
                plan_content.StartingPoint(
                    what_i_enjoy=(
                        "Football on Saturdays (I support Northshire Town), cooking pasta, and "
                        "my trial shifts at the Riverside Café."
                    ),
                    what_i_dont_like=(
                        "Noisy buses. People talking to my mum instead of me. Being bossed about."
                    ),
                    what_i_want_to_achieve=(
                        "Get a paid job at the café, travel into town on my own, and move into a "
                        "flat with a friend in the next two years."
                    ),
                    what_stops_me=(
                        "I can't use the bus on my own yet, and I need help with money and with "
                        "my tablets."
                    ),
                    who_helped_me_plan=(
                        "My mum, Helen, and Tom from the Northshire supported employment service."
                    ),
                ),
            ),
            (
                "about_me",
                plan_content.AboutMe(
                    who_i_am=(
                        "I'm Chris, 26. I have a learning disability and epilepsy, and I live "
                        "with my mum and my sister Ellie."
                    ),
                    strengths_and_skills=(
                        "Friendly, hardworking and always on time. I remember everyone's order."
                    ),
                    relationships_and_community=(
                        "Mum and Ellie, my mates from football, and the people at the café."
                    ),
                    health_and_wellbeing_needs=(
                        "About one seizure a month, usually when I'm tired. I need reminders for "
                        "my tablets and help planning new journeys."
                    ),
                    makes_own_decisions=True,
                    how_decisions_are_reached=(
                        "I decide, with easy-read information. Mum helps me think about big "
                        "things, but it's my choice."
                    ),
                ),
            ),
            (
                "working_not_working",
                plan_content.WorkingNotWorking(
                    working=["My trial shifts at the café", "Football with my PA, Dan"],
                    not_working=[
                        "Mum has to drive me everywhere",
                        "I've nothing to do on the days I'm not at the café",
                    ],
                ),
            ),
            (
                "important_to_for",
                plan_content.ImportantToFor(
                    important_to_me=["Earning my own money", "Being treated like an adult"],
                    important_for_me=[
                        "Taking my epilepsy tablets on time",
                        "Someone knowing where I am when I travel",
                    ],
                ),
            ),
            (
                "staying_safe",
                plan_content.StayingSafe(
                    risks=[
                        plan_content.Risk(
                            risk="A seizure when I'm out on my own.",
                            mitigation=(
                                "I carry my epilepsy card and my phone, with my location shared "
                                "with Mum. My support worker knows my seizure plan."
                            ),
                            who_helps="My support worker and Mum",
                        ),
                        plan_content.Risk(
                            risk="Getting lost or on the wrong bus while I'm learning.",
                            mitigation="Travel training one route at a time; I ring Mum if lost.",
                            who_helps="The travel trainer",
                        ),
                    ],
                    contingency_plan=(
                        "If my support worker is off, the agency sends someone from my team. "
                        "After a seizure, follow my seizure plan and ring Mum; 999 if it lasts "
                        "more than five minutes."
                    ),
                    point_of_contact_name="Nadia Hussain, learning disability nurse",
                    point_of_contact_details="Community learning disability team, 01632 960 789",
                ),
            ),
            ("outcomes", plan_content.OutcomesSection(notes="Tom helped me write these.")),
            (
                "money",
                plan_content.MoneySection(
                    allocation_pence=CHRIS_ALLOCATION,
                    allocation_frequency=Frequency.annual,
                    holding=[
                        plan_content.Holding.direct_payment,
                        plan_content.Holding.council_managed,
                    ],
                    holding_notes=(
                        "A direct payment for my PA, with a payroll service; the council pays "
                        "the support agency and the travel training."
                    ),
                ),
            ),
            (
                "action_plan",
                plan_content.ActionPlanSection(notes="Mum and I check these every Sunday."),
            ),
            (
                "review",
                plan_content.ReviewSection(
                    care_coordinator_name="Casey Jones",
                    care_coordinator_contact="Northshire adult social care, 01632 960 100",
                    review_date=review_on,
                    how_reviewed=(
                        "A first review with Mum and Tom once the café job has started, to "
                        "check the hours and the money are right."
                    ),
                    going_well_signs="I'm on paid shifts and I get the bus to the café alone.",
                    going_wrong_signs="I miss shifts, I get lost, or I have more seizures.",
                ),
            ),
            (
                "contacts",
                plan_content.ContactsSection(notes="Nadia for seizures; Casey for my hours."),
            ),
        ],
        goals=[
            goal(
                "Get a paid job at the Riverside Café",
                "A support worker comes to my shifts and steps back as I learn the job.",
                [
                    support(
                        "Support worker, 8 hours a week (café shifts)",
                        "Northshire Supported Living",
                        16_800,
                        Frequency.weekly,
                        minutes_per_week=480,
                    )
                ],
                (
                    "Ask the café about paid shifts after the trial",
                    "Tom",
                    today + dt.timedelta(days=14),
                ),
            ),
            goal(
                "Travel into town on my own",
                "Travel training on the bus to the café first, then into town.",
                [
                    support(
                        "Travel training, 10 sessions",
                        "Northshire Travel Training",
                        45_000,
                        Frequency.one_off,
                    )
                ],
                (
                    "Start travel training on the number 12 bus",
                    "Chris and the travel trainer",
                    today + dt.timedelta(days=10),
                ),
            ),
            goal(
                "Go to football with my mates every Saturday",
                "My PA, Dan, comes to the match with me and for food after.",
                [
                    support(
                        "Personal assistant, 4 hours on Saturdays",
                        "Employed directly",
                        6_400,
                        Frequency.weekly,
                        minutes_per_week=240,
                    ),
                    support(
                        "Payroll service for my PA",
                        "Northshire Direct Payments Support",
                        28_000,
                        Frequency.annual,
                    ),
                ],
                ("Set up the payroll service for Dan's wages", "Mum", today + dt.timedelta(days=7)),
            ),
        ],
        contacts=[
            plan_schemas.ContactCreate(
                name="Nadia Hussain",
                role="Learning disability nurse",
                when_to_contact="If my seizures change or my seizure plan needs updating",
                phone="01632 960 789",
            ),
            plan_schemas.ContactCreate(
                name="Tom Baker",
                role="Supported employment adviser",
                when_to_contact="About the café job",
                phone="01632 960 321",
            ),
        ],
    )
