import datetime
import uuid
from typing import Any

import msgspec
import pytest

from portal.core.sections import CRITERIA_KEYS, SECTION_KEYS, SECTION_TITLES
from portal.plans.content import (
    FIELD_LABELS,
    SECTION_TYPES,
    AboutMe,
    ActionFact,
    ActionPlanSection,
    Holding,
    ImportantToFor,
    MoneySection,
    OutcomeFact,
    OutcomesSection,
    OutcomeStatus,
    ReviewSection,
    Risk,
    StartingPoint,
    StayingSafe,
    UnknownSection,
    WorkingNotWorking,
    decode_section,
    empty_section,
    section_to_dict,
)
from portal.plans.criteria import (
    CriterionResult,
    PlanFacts,
    criteria_summary,
    evaluate_criteria,
)
from portal.plans.money import Frequency, SupportFact

WALKING = uuid.uuid4()
COOKING = uuid.uuid4()
DECLINED = uuid.uuid4()
NOWHERE = uuid.uuid4()
DUE = datetime.date(2026, 3, 31)


def walking(**changes: Any) -> OutcomeFact:
    fields: dict[str, Any] = {
        "id": WALKING,
        "title": "Walk to the shops on my own",
        "how": "Physio twice a week, then practice with my sister",
        "status": OutcomeStatus.agreed,
    }
    return OutcomeFact(**(fields | changes))


def support(outcome_id: uuid.UUID | None) -> SupportFact:
    return SupportFact(cost_pence=2_500, frequency=Frequency.weekly, outcome_id=outcome_id)


def action(**changes: Any) -> ActionFact:
    fields: dict[str, Any] = {"who": "Sam (my sister)", "what": "Book a physio", "due_by": DUE}
    return ActionFact(**(fields | changes))


def result_for(facts: PlanFacts, key: str) -> CriterionResult:
    return next(r for r in evaluate_criteria(facts) if r.key == key)


def complete_facts() -> PlanFacts:
    return PlanFacts(
        sections={
            "starting_point": StartingPoint(
                what_i_want_to_achieve="Get out of the house more", who_helped_me_plan="Sam"
            ),
            "about_me": AboutMe(
                who_i_am="Pat, 58, retired bus driver",
                strengths_and_skills="Good with people",
                health_and_wellbeing_needs="COPD and low mood",
                makes_own_decisions=True,
            ),
            "working_not_working": WorkingNotWorking(
                working=["My sister visits"], not_working=["Stairs"]
            ),
            "important_to_for": ImportantToFor(
                important_to_me=["My dog"], important_for_me=["Taking my inhalers"]
            ),
            "staying_safe": StayingSafe(
                contingency_plan="Call Sam", point_of_contact_name="Community nurse team"
            ),
            "money": MoneySection(allocation_pence=1_500_000, holding=[Holding.direct_payment]),
            "review": ReviewSection(
                care_coordinator_name="Jo Bloggs",
                review_date=DUE,
                going_well_signs="I go out weekly",
                going_wrong_signs="I stop going out",
            ),
        },
        outcomes=[walking()],
        support_items=[support(WALKING)],
        actions=[action()],
    )


# (criterion key, facts, expected status, expected missing items)
CASES: dict[str, tuple[str, PlanFacts, str, list[str]]] = {
    # 1 starting point
    "1 nothing written": (
        "starting_point",
        PlanFacts(),
        "missing",
        ["Say what you want to achieve", "Say who helped you plan"],
    ),
    "1 only spaces is nothing": (
        "starting_point",
        PlanFacts(sections={"starting_point": StartingPoint(what_i_enjoy="  \n ")}),
        "missing",
        ["Say what you want to achieve", "Say who helped you plan"],
    ),
    "1 enjoyment but no aim": (
        "starting_point",
        PlanFacts(
            sections={
                "starting_point": StartingPoint(what_i_enjoy="Gardening", who_helped_me_plan=" ")
            }
        ),
        "partial",
        ["Say what you want to achieve", "Say who helped you plan"],
    ),
    "1 aim but no helper": (
        "starting_point",
        PlanFacts(sections={"starting_point": StartingPoint(what_i_want_to_achieve="Work")}),
        "partial",
        ["Say who helped you plan"],
    ),
    "1 aim and helper": (
        "starting_point",
        PlanFacts(
            sections={
                "starting_point": StartingPoint(
                    what_i_want_to_achieve="Work", who_helped_me_plan="My broker"
                )
            }
        ),
        "met",
        [],
    ),
    # 2 about me
    "2 nothing written": (
        "about_me",
        PlanFacts(sections={"about_me": AboutMe()}),
        "missing",
        [
            "Say who you are",
            "Describe your strengths and skills",
            "Describe your health and wellbeing needs",
            "Say whether you make your own decisions",
        ],
    ),
    "2 who I am only": (
        "about_me",
        PlanFacts(sections={"about_me": AboutMe(who_i_am="Pat")}),
        "partial",
        [
            "Describe your strengths and skills",
            "Describe your health and wellbeing needs",
            "Say whether you make your own decisions",
        ],
    ),
    "2 makes own decisions": (
        "about_me",
        PlanFacts(
            sections={
                "about_me": AboutMe(
                    who_i_am="Pat",
                    strengths_and_skills="Patient",
                    health_and_wellbeing_needs="COPD",
                    makes_own_decisions=True,
                )
            }
        ),
        "met",
        [],
    ),
    "2 answering 'no' to own decisions is already content": (
        "about_me",
        PlanFacts(sections={"about_me": AboutMe(makes_own_decisions=False)}),
        "partial",
        [
            "Say who you are",
            "Describe your strengths and skills",
            "Describe your health and wellbeing needs",
            "Say how decisions about you are reached",
            "Name the person who speaks for you",
        ],
    ),
    "2 lacks capacity without representative": (
        "about_me",
        PlanFacts(
            sections={
                "about_me": AboutMe(
                    who_i_am="Pat",
                    strengths_and_skills="Patient",
                    health_and_wellbeing_needs="Dementia",
                    makes_own_decisions=False,
                    how_decisions_are_reached="Best interests meeting, May 2025",
                    representative_name="   ",
                )
            }
        ),
        "partial",
        ["Name the person who speaks for you"],
    ),
    "2 lacks capacity with decision record and representative": (
        "about_me",
        PlanFacts(
            sections={
                "about_me": AboutMe(
                    who_i_am="Pat",
                    strengths_and_skills="Patient",
                    health_and_wellbeing_needs="Dementia",
                    makes_own_decisions=False,
                    how_decisions_are_reached="Best interests meeting, May 2025",
                    representative_name="Sam Smith",
                )
            }
        ),
        "met",
        [],
    ),
    # 3 working / not working
    "3 blank entries are nothing": (
        "working_not_working",
        PlanFacts(sections={"working_not_working": WorkingNotWorking(working=[" ", ""])}),
        "missing",
        ["Add something that is working", "Add something that is not working"],
    ),
    "3 working only": (
        "working_not_working",
        PlanFacts(
            sections={"working_not_working": WorkingNotWorking(working=["", "My day centre"])}
        ),
        "partial",
        ["Add something that is not working"],
    ),
    "3 both": (
        "working_not_working",
        PlanFacts(
            sections={
                "working_not_working": WorkingNotWorking(
                    working=["My day centre"], not_working=["Getting there"]
                )
            }
        ),
        "met",
        [],
    ),
    # 4 important to / for
    "4 nothing written": (
        "important_to_for",
        PlanFacts(),
        "missing",
        [
            "Add something that is important to you",
            "Add something that is important for your health and wellbeing",
        ],
    ),
    "4 for me only": (
        "important_to_for",
        PlanFacts(sections={"important_to_for": ImportantToFor(important_for_me=["Insulin"])}),
        "partial",
        ["Add something that is important to you"],
    ),
    "4 both": (
        "important_to_for",
        PlanFacts(
            sections={
                "important_to_for": ImportantToFor(
                    important_to_me=["Church"], important_for_me=["Insulin"]
                )
            }
        ),
        "met",
        [],
    ),
    # 5 staying safe
    "5 nothing written": (
        "staying_safe",
        PlanFacts(sections={"staying_safe": StayingSafe(contingency_plan=" ")}),
        "missing",
        [
            "Say what should happen if things go wrong",
            "Name your point of contact in health or care services",
        ],
    ),
    "5 risk without mitigation": (
        "staying_safe",
        PlanFacts(
            sections={
                "staying_safe": StayingSafe(
                    risks=[
                        Risk(risk="Choking", mitigation="Soft diet", who_helps="Carers"),
                        Risk(risk="Falls at night", mitigation="  "),
                    ],
                    contingency_plan="Call Sam",
                    point_of_contact_name="Community nurse team",
                )
            }
        ),
        "partial",
        ["Say how risk “Falls at night” will be reduced"],
    ),
    "5 blank risk row": (
        "staying_safe",
        PlanFacts(
            sections={
                "staying_safe": StayingSafe(
                    risks=[Risk(risk=" ", mitigation="A pendant alarm")],
                    contingency_plan="Call Sam",
                    point_of_contact_name="Community nurse team",
                )
            }
        ),
        "partial",
        ["Describe risk 1"],
    ),
    "5 no risks is acceptable": (
        "staying_safe",
        PlanFacts(
            sections={
                "staying_safe": StayingSafe(
                    contingency_plan="Call Sam", point_of_contact_name="Community nurse team"
                )
            }
        ),
        "met",
        [],
    ),
    "5 every risk mitigated": (
        "staying_safe",
        PlanFacts(
            sections={
                "staying_safe": StayingSafe(
                    risks=[Risk(risk="Falls at night", mitigation="Bed sensor")],
                    contingency_plan="Call Sam",
                    point_of_contact_name="Community nurse team",
                )
            }
        ),
        "met",
        [],
    ),
    # 6 outcomes
    "6 no outcomes and no notes": (
        "outcomes",
        PlanFacts(sections={"outcomes": OutcomesSection(notes="   ")}),
        "missing",
        ["Add an outcome you want to achieve"],
    ),
    "6 notes only": (
        "outcomes",
        PlanFacts(sections={"outcomes": OutcomesSection(notes="Still thinking")}),
        "partial",
        ["Add an outcome you want to achieve"],
    ),
    "6 only a declined outcome": (
        "outcomes",
        PlanFacts(outcomes=[walking(status=OutcomeStatus.declined)]),
        "partial",
        ["Add an outcome you want to achieve"],
    ),
    "6 proposed outcome without how": (
        "outcomes",
        PlanFacts(outcomes=[walking(status=OutcomeStatus.proposed, how=" ")]),
        "partial",
        ["Say how you will achieve “Walk to the shops on my own”"],
    ),
    "6 untitled outcome without how is named by its place": (
        "outcomes",
        PlanFacts(outcomes=[walking(), walking(id=COOKING, title="", how="")]),
        "partial",
        ["Say how you will achieve outcome 2"],
    ),
    "6 proposed outcome with how": (
        "outcomes",
        PlanFacts(outcomes=[walking(status=OutcomeStatus.proposed)]),
        "met",
        [],
    ),
    "6 declined outcome needs no how": (
        "outcomes",
        PlanFacts(
            outcomes=[walking(), walking(id=DECLINED, status=OutcomeStatus.declined, how="")]
        ),
        "met",
        [],
    ),
    # 7 money
    "7 nothing recorded": (
        "money",
        PlanFacts(sections={"money": MoneySection(allocation_frequency=Frequency.annual)}),
        "missing",
        ["Record the indicative allocation you were told", "Choose how the money will be held"],
    ),
    "7 allocation without holding": (
        "money",
        PlanFacts(sections={"money": MoneySection(allocation_pence=1_500_000)}),
        "partial",
        ["Choose how the money will be held"],
    ),
    "7 support items alone are content": (
        "money",
        PlanFacts(outcomes=[walking()], support_items=[support(WALKING)]),
        "partial",
        ["Record the indicative allocation you were told", "Choose how the money will be held"],
    ),
    "7 unlinked support item": (
        "money",
        PlanFacts(
            sections={
                "money": MoneySection(allocation_pence=1_500_000, holding=[Holding.council_managed])
            },
            outcomes=[walking()],
            support_items=[support(WALKING), support(None)],
        ),
        "partial",
        ["Link support item 2 (£25.00 every week) to one of your outcomes"],
    ),
    "7 support item linked to an outcome not in the plan": (
        "money",
        PlanFacts(
            sections={
                "money": MoneySection(allocation_pence=1_500_000, holding=[Holding.third_party])
            },
            outcomes=[walking()],
            support_items=[support(NOWHERE)],
        ),
        "partial",
        ["Link support item 1 (£25.00 every week) to one of your outcomes"],
    ),
    "7 support item linked to a declined outcome": (
        "money",
        PlanFacts(
            sections={
                "money": MoneySection(allocation_pence=1_500_000, holding=[Holding.nhs_managed])
            },
            outcomes=[walking(), walking(id=DECLINED, status=OutcomeStatus.declined)],
            support_items=[support(DECLINED)],
        ),
        "partial",
        ["Link support item 1 (£25.00 every week) to an outcome that has not been declined"],
    ),
    "7 allocation and holding with no items": (
        "money",
        PlanFacts(
            sections={
                "money": MoneySection(
                    allocation_pence=1_500_000,
                    holding=[Holding.direct_payment, Holding.individual_service_fund],
                )
            }
        ),
        "met",
        [],
    ),
    "7 every item linked": (
        "money",
        PlanFacts(
            sections={
                "money": MoneySection(allocation_pence=1_500_000, holding=[Holding.direct_payment])
            },
            outcomes=[walking(), walking(id=COOKING, status=OutcomeStatus.proposed)],
            support_items=[support(WALKING), support(COOKING)],
        ),
        "met",
        [],
    ),
    # 8 action plan
    "8 no actions": (
        "action_plan",
        PlanFacts(),
        "missing",
        ["Add an action: who will do what, by when"],
    ),
    "8 notes but no actions": (
        "action_plan",
        PlanFacts(sections={"action_plan": ActionPlanSection(notes="To follow")}),
        "partial",
        ["Add an action: who will do what, by when"],
    ),
    "8 action missing its date": (
        "action_plan",
        PlanFacts(actions=[action(), action(what="Buy a perching stool", due_by=None)]),
        "partial",
        ["Say when “Buy a perching stool” will be done by"],
    ),
    "8 action missing who and what": (
        "action_plan",
        PlanFacts(actions=[action(who=" ", what="")]),
        "partial",
        ["Say what action 1 is", "Say who will do action 1"],
    ),
    "8 every action complete": (
        "action_plan",
        PlanFacts(actions=[action(), action(what="Buy a perching stool")]),
        "met",
        [],
    ),
    # 9 review
    "9 nothing written": (
        "review",
        PlanFacts(sections={"review": ReviewSection(how_reviewed="")}),
        "missing",
        [
            "Name your care coordinator",
            "Choose when your plan will be reviewed",
            "Say how you will know things are going well",
            "Say how you will know things are going wrong",
        ],
    ),
    "9 coordinator and date only": (
        "review",
        PlanFacts(sections={"review": ReviewSection(care_coordinator_name="Jo", review_date=DUE)}),
        "partial",
        [
            "Say how you will know things are going well",
            "Say how you will know things are going wrong",
        ],
    ),
    "9 everything but the date": (
        "review",
        PlanFacts(
            sections={
                "review": ReviewSection(
                    care_coordinator_name="Jo",
                    going_well_signs="Out weekly",
                    going_wrong_signs="Staying in",
                )
            }
        ),
        "partial",
        ["Choose when your plan will be reviewed"],
    ),
    "9 complete": (
        "review",
        PlanFacts(
            sections={
                "review": ReviewSection(
                    care_coordinator_name="Jo",
                    review_date=DUE,
                    going_well_signs="Out weekly",
                    going_wrong_signs="Staying in",
                )
            }
        ),
        "met",
        [],
    ),
}


@pytest.mark.parametrize(("key", "facts", "status", "missing"), CASES.values(), ids=CASES.keys())
def test_criterion(key: str, facts: PlanFacts, status: str, missing: list[str]) -> None:
    result = result_for(facts, key)

    assert (result.status, result.missing) == (status, missing)


def test_every_criterion_is_shown_going_missing_partial_met() -> None:
    seen = {(key, status) for key, _, status, _ in CASES.values()}

    assert seen == {(k, s) for k in CRITERIA_KEYS for s in ("missing", "partial", "met")}


def test_results_come_numbered_in_criteria_order_with_prompts() -> None:
    results = evaluate_criteria(PlanFacts())

    assert [(r.number, r.key) for r in results] == list(enumerate(CRITERIA_KEYS, start=1))
    assert [r.title for r in results][:2] == ["My starting point", "About me"]
    assert all(r.prompts for r in results)
    assert any("enjoy" in p for p in results[0].prompts)


def test_complete_plan_is_ready() -> None:
    results = evaluate_criteria(complete_facts())

    assert [r.key for r in results if r.status != "met"] == []
    assert criteria_summary(results) == {"met": 9, "partial": 0, "missing": 0, "ready": True}


def test_empty_plan_is_all_missing_and_not_ready() -> None:
    summary = criteria_summary(evaluate_criteria(PlanFacts()))

    assert summary == {"met": 0, "partial": 0, "missing": 9, "ready": False}


def test_one_gap_stops_the_plan_being_ready() -> None:
    facts = complete_facts()
    facts.actions = [action(due_by=None)]

    summary = criteria_summary(evaluate_criteria(facts))

    assert summary == {"met": 8, "partial": 1, "missing": 0, "ready": False}


def test_section_of_the_wrong_type_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        evaluate_criteria(PlanFacts(sections={"about_me": StartingPoint()}))


# Content types the criteria read: the shape other code is written against.


def test_sections_are_the_nine_criteria_then_contacts() -> None:
    assert SECTION_KEYS == (
        "starting_point",
        "about_me",
        "working_not_working",
        "important_to_for",
        "staying_safe",
        "outcomes",
        "money",
        "action_plan",
        "review",
        "contacts",
    )
    assert SECTION_KEYS[:9] == CRITERIA_KEYS
    assert set(SECTION_TITLES) == set(SECTION_TYPES) == set(SECTION_KEYS)


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_every_field_has_a_plain_english_label(key: str) -> None:
    assert set(FIELD_LABELS[key]) == set(SECTION_TYPES[key].__struct_fields__)


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_empty_section_round_trips(key: str) -> None:
    section = empty_section(key)

    assert decode_section(key, section_to_dict(section)) == section
    assert decode_section(key, msgspec.json.encode(section)) == section


def test_half_filled_content_decodes_from_json_and_dicts() -> None:
    raw = b'{"review_date": "2026-03-31", "care_coordinator_name": "Jo"}'

    section = decode_section("review", raw)

    assert section == ReviewSection(care_coordinator_name="Jo", review_date=DUE)
    assert section_to_dict(section)["review_date"] == "2026-03-31"
    assert decode_section("review", section_to_dict(section)) == section


@pytest.mark.parametrize(
    ("key", "data"),
    [
        ("about_me", {"who_am_i": "typo"}),
        ("starting_point", {"what_i_enjoy": "x" * 5001}),
        ("about_me", {"representative_name": "x" * 201}),
        ("working_not_working", {"working": ["x"] * 51}),
        ("money", {"allocation_pence": -1}),
        ("money", {"holding": ["cash_in_a_tin"]}),
        ("staying_safe", {"risks": [{"mitigation": "no risk given"}]}),
    ],
)
def test_bad_content_is_refused(key: str, data: dict[str, Any]) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_section(key, data)


def test_unknown_section_is_refused() -> None:
    with pytest.raises(UnknownSection) as caught:
        decode_section("attachments", {})

    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, KeyError)
    assert "attachments" in str(caught.value)
    with pytest.raises(UnknownSection):
        empty_section("nope")
