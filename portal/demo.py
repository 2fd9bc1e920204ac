"""A realistic demo: Alex, with a personal health budget plan about half written; staff of a
council and an NHS integrated care board; Pat, whose plan waits for sign-off; and Chris, whose
plan is agreed and due for review. Each part is added only if it is missing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import msgspec

from portal.accounts import organisations
from portal.accounts import repository as accounts
from portal.accounts.service import actor_for_token, create_user, end_session, start_session
from portal.consent import schemas as consent_schemas
from portal.consent import service as consent
from portal.consent.policy import Access
from portal.core.actor import Actor, Role
from portal.core.sections import SECTION_TITLES
from portal.plans import content as plan_content
from portal.plans import schemas as plan_schemas
from portal.plans import service
from portal.plans.money import Frequency
from portal.signoff import allocation
from portal.signoff import changes as package_changes
from portal.signoff import schemas as signoff_schemas
from portal.signoff import service as signoff

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


async def _actor(email: str, name: str) -> Actor:
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


async def _load_organisation(progress: Callable[[str], None]) -> uuid.UUID:
    """A council with its staff (Casey; Drew for budgets) and an admin; each part is added only
    if missing."""
    await _actor(DEMO_STAFF, "Casey Jones")
    await _actor(DEMO_ORG_ADMIN, "Morgan Lee")
    await _actor(DEMO_BUDGET_AUTHORISER, "Drew Evans")
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


async def _load_icb(progress: Callable[[str], None]) -> uuid.UUID:
    """The NHS integrated care board that signs off personal health budgets, like Alex's."""
    await _actor(DEMO_ICB_AUTHORISER, "Riley Shah")
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


async def _load_alex(alex: Actor, progress: Callable[[str], None]) -> None:
    """Alex's personal health budget plan, about half written, two sections shared."""
    progress("Creating Alex's plan…")
    plan = await service.create_plan(
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
        await service.write_section(alex, plan.id, key, content, based_on=0)
    progress("  adding outcomes and support")
    swim = await service.create_row(
        alex,
        plan.id,
        "outcome",
        plan_schemas.OutcomeCreate(
            title="Swim twice a week",
            how="A personal assistant drives me and helps in the changing room.",
        ),
    )
    await service.create_row(
        alex, plan.id, "outcome", plan_schemas.OutcomeCreate(title="Volunteer at the allotment")
    )
    await service.create_row(
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
    await service.create_row(
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
    await service.create_row(
        alex,
        plan.id,
        "action",
        plan_schemas.ActionCreate(
            what="Advertise for a personal assistant",
            who="Jo",
            due_by=dt.date.today() + dt.timedelta(days=21),
        ),
    )
    await service.create_row(
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
    await consent.give_grant(
        alex,
        plan.id,
        consent_schemas.GrantCreate(
            grantee_email=DEMO_PLANNER,
            sections=["about_me", "outcomes"],
            access=Access.EDIT,
            purpose="Independent planner helping me write my plan",
        ),
    )


# --- complete plans, for walking through sign-off ----------------------------------------------


class _Goal(msgspec.Struct, kw_only=True):
    """An outcome with the support and the actions that serve it."""

    outcome: plan_schemas.OutcomeCreate
    support: list[plan_schemas.SupportItemCreate] = []
    actions: list[plan_schemas.ActionCreate] = []


class _PlanContent(msgspec.Struct, kw_only=True):
    """A care and support plan with all nine criteria met."""

    title: str
    sections: list[tuple[str, plan_content.SectionContent]]
    goals: list[_Goal]
    contacts: list[plan_schemas.ContactCreate]


def _pat_plan(today: dt.date) -> _PlanContent:
    """Pat, home from hospital after a broken hip, with home care arranged by the council."""
    return _PlanContent(
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
            _Goal(
                outcome=plan_schemas.OutcomeCreate(
                    title="Get washed and dressed safely every morning",
                    how="A carer helps me shower and dress; I do what I can myself.",
                ),
                support=[
                    plan_schemas.SupportItemCreate(
                        description="Home care, 10 hours a week (mornings and six evenings)",
                        provider="Northshire Home Care",
                        cost_pence=21_000,
                        frequency=Frequency.weekly,
                        minutes_per_week=600,
                    )
                ],
                actions=[
                    plan_schemas.ActionCreate(
                        what="Ask the agency for the same two carers where they can",
                        who="Mark",
                        due_by=today + dt.timedelta(days=7),
                    )
                ],
            ),
            _Goal(
                outcome=plan_schemas.OutcomeCreate(
                    title="Get back to lunch club on Tuesdays",
                    how="The day centre minibus picks me up and brings me home.",
                ),
                support=[
                    plan_schemas.SupportItemCreate(
                        description="Day centre on Tuesdays, with lunch and the minibus",
                        provider="Kirkby Day Centre",
                        cost_pence=4_500,
                        frequency=Frequency.weekly,
                    )
                ],
                actions=[
                    plan_schemas.ActionCreate(
                        what="Book my place at the day centre and on the minibus",
                        who="Mark",
                        due_by=today + dt.timedelta(days=14),
                    )
                ],
            ),
            _Goal(
                outcome=plan_schemas.OutcomeCreate(
                    title="Feel safe on my own at home",
                    how="A pendant alarm, so help comes if I fall.",
                ),
                support=[
                    plan_schemas.SupportItemCreate(
                        description="Pendant alarm and 24-hour monitoring",
                        provider="Northshire Careline",
                        cost_pence=1_950,
                        frequency=Frequency.monthly,
                    )
                ],
                actions=[
                    plan_schemas.ActionCreate(
                        what="Fit the pendant alarm and test it with me",
                        who="Northshire Careline",
                        due_by=today + dt.timedelta(days=5),
                    )
                ],
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


def _chris_plan(today: dt.date, review_on: dt.date) -> _PlanContent:
    """Chris, starting a job at a café, with a support worker, a PA and travel training."""
    return _PlanContent(
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
            _Goal(
                outcome=plan_schemas.OutcomeCreate(
                    title="Get a paid job at the Riverside Café",
                    how="A support worker comes to my shifts and steps back as I learn the job.",
                ),
                support=[
                    plan_schemas.SupportItemCreate(
                        description="Support worker, 8 hours a week (café shifts)",
                        provider="Northshire Supported Living",
                        cost_pence=16_800,
                        frequency=Frequency.weekly,
                        minutes_per_week=480,
                    )
                ],
                actions=[
                    plan_schemas.ActionCreate(
                        what="Ask the café about paid shifts after the trial",
                        who="Tom",
                        due_by=today + dt.timedelta(days=14),
                    )
                ],
            ),
            _Goal(
                outcome=plan_schemas.OutcomeCreate(
                    title="Travel into town on my own",
                    how="Travel training on the bus to the café first, then into town.",
                ),
                support=[
                    plan_schemas.SupportItemCreate(
                        description="Travel training, 10 sessions",
                        provider="Northshire Travel Training",
                        cost_pence=45_000,
                        frequency=Frequency.one_off,
                    )
                ],
                actions=[
                    plan_schemas.ActionCreate(
                        what="Start travel training on the number 12 bus",
                        who="Chris and the travel trainer",
                        due_by=today + dt.timedelta(days=10),
                    )
                ],
            ),
            _Goal(
                outcome=plan_schemas.OutcomeCreate(
                    title="Go to football with my mates every Saturday",
                    how="My PA, Dan, comes to the match with me and for food after.",
                ),
                support=[
                    plan_schemas.SupportItemCreate(
                        description="Personal assistant, 4 hours on Saturdays",
                        provider="Employed directly",
                        cost_pence=6_400,
                        frequency=Frequency.weekly,
                        minutes_per_week=240,
                    ),
                    plan_schemas.SupportItemCreate(
                        description="Payroll service for my PA",
                        provider="Northshire Direct Payments Support",
                        cost_pence=28_000,
                        frequency=Frequency.annual,
                    ),
                ],
                actions=[
                    plan_schemas.ActionCreate(
                        what="Set up the payroll service for Dan's wages",
                        who="Mum",
                        due_by=today + dt.timedelta(days=7),
                    )
                ],
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


async def _write_plan(
    owner: Actor, plan: _PlanContent, progress: Callable[[str], None]
) -> uuid.UUID:
    made = await service.create_plan(
        owner,
        plan_schemas.PlanCreate(kind=plan_schemas.PlanKind.care_and_support, title=plan.title),
    )
    for key, content in plan.sections:
        progress(f"  writing '{SECTION_TITLES[key]}'")
        await service.write_section(owner, made.id, key, content, based_on=0)
    progress("  adding outcomes, support, actions and contacts")
    for goal in plan.goals:
        outcome = await service.create_row(owner, made.id, "outcome", goal.outcome)
        for item in goal.support:
            linked = msgspec.structs.replace(item, outcome_id=outcome.id)
            await service.create_row(owner, made.id, "support", linked)
        for action in goal.actions:
            linked_action = msgspec.structs.replace(action, outcome_id=outcome.id)
            await service.create_row(owner, made.id, "action", linked_action)
    for contact in plan.contacts:
        await service.create_row(owner, made.id, "contact", contact)
    return made.id


async def _submit(owner: Actor, plan_id: uuid.UUID, council: uuid.UUID) -> None:
    """The person submits, agreeing to share the sign-off sections with the council."""
    await signoff.submit_plan(
        owner,
        plan_id,
        signoff_schemas.SubmitRequest(organisation_id=council, share_with_organisation=True),
    )


async def _submitted_hash(staff: Actor, plan_id: uuid.UUID) -> str:
    """The version a member of staff reads before deciding, as the sign-off page shows it."""
    status = await signoff.sign_off_status(staff, plan_id)
    assert status.submitted_hash is not None
    return status.submitted_hash


async def _load_pat(council: uuid.UUID, progress: Callable[[str], None]) -> bool:
    """Pat's complete plan, submitted to the council: it waits for plan authorisation."""
    pat = await _actor(DEMO_SUBMITTED, "Pat Taylor")
    if await service.list_plans(pat):
        return False
    progress("Creating Pat's plan…")
    plan_id = await _write_plan(pat, _pat_plan(dt.date.today()), progress)
    progress(f"  submitting it to {DEMO_ORGANISATION}")
    await _submit(pat, plan_id, council)
    # The council's own figure, which the budget is checked against; the outcomes stay for
    # Casey to agree or decline before authorising the plan.
    casey = await _actor(DEMO_STAFF, "Casey Jones")
    progress("  Casey Jones sets the council's indicative allocation")
    await allocation.set_allocation(
        casey,
        plan_id,
        signoff_schemas.AllocationSet(
            annual_pence=PAT_ALLOCATION, reason="The resource allocation system"
        ),
    )
    return True


async def _agree_outcomes(staff: Actor, plan_id: uuid.UUID) -> None:
    """Staff agree each proposed outcome: a plan is authorised with its outcomes decided."""
    for outcome in await service.list_rows(staff, plan_id, "outcome"):
        await package_changes.decide_outcome(
            staff, plan_id, outcome.id, signoff_schemas.OutcomeDecision(decision="agreed")
        )


async def _load_chris(council: uuid.UUID, progress: Callable[[str], None]) -> bool:
    """Chris's complete plan, submitted, authorised by Casey and its budget by Drew: agreed."""
    chris = await _actor(DEMO_AGREED, "Chris Green")
    if await service.list_plans(chris):
        return False
    today = dt.date.today()
    review_on = today + CHRIS_REVIEW_IN
    progress("Creating Chris's plan…")
    plan_id = await _write_plan(chris, _chris_plan(today, review_on), progress)
    progress(f"  submitting it to {DEMO_ORGANISATION}")
    await _submit(chris, plan_id, council)
    # Staff are signed in after their roles are given, so they act with them.
    casey = await _actor(DEMO_STAFF, "Casey Jones")
    progress("  Casey Jones agrees the outcomes and authorises the plan")
    await _agree_outcomes(casey, plan_id)
    await signoff.authorise_plan(
        casey,
        plan_id,
        signoff_schemas.AuthorisePlanRequest(
            version_hash=await _submitted_hash(casey, plan_id),
            note="Clear outcomes, and each item of support serves one of them.",
        ),
    )
    drew = await _actor(DEMO_BUDGET_AUTHORISER, "Drew Evans")
    progress("  Drew Evans sets the allocation and authorises the budget: the plan is agreed")
    await allocation.set_allocation(
        drew,
        plan_id,
        signoff_schemas.AllocationSet(
            annual_pence=CHRIS_ALLOCATION, reason="The resource allocation system"
        ),
    )
    await signoff.authorise_budget(
        drew,
        plan_id,
        signoff_schemas.AuthoriseBudgetRequest(
            version_hash=await _submitted_hash(drew, plan_id),
            variation_reason=(
                "The travel training is a one-off £450 this year; from next year the plan "
                "costs less than the allocation."
            ),
            review_date=review_on,
        ),
    )
    return True


async def load_demo(progress: Callable[[str], None] = lambda _: None) -> None:
    """Add the demo people, organisations and plans unless they are there already."""
    alex = await _actor(DEMO_OWNER, "Alex Morgan")
    await _actor(DEMO_OTHER, "Sam Patel")
    await _actor(DEMO_PLANNER, "Jordan Reid")
    council = await _load_organisation(progress)
    await _load_icb(progress)
    added = False
    if not await service.list_plans(alex):
        await _load_alex(alex, progress)
        added = True
    added = await _load_pat(council, progress) or added
    added = await _load_chris(council, progress) or added
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
