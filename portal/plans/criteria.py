"""The nine criteria of a good plan: which are met, what is missing, and prompts to fill the gap."""

from collections.abc import Callable, Mapping
from typing import Literal, TypedDict, TypeVar

import msgspec

from portal.core.money import format_pounds
from portal.core.sections import CRITERIA_KEYS, SECTION_TITLES
from portal.plans.content import (
    AboutMe,
    ActionFact,
    ActionPlanSection,
    ImportantToFor,
    MoneySection,
    OutcomeFact,
    OutcomesSection,
    OutcomeStatus,
    ReviewSection,
    StartingPoint,
    StayingSafe,
    WorkingNotWorking,
    empty_section,
)
from portal.plans.money import FREQUENCY_LABELS, SupportFact

CriterionStatus = Literal["met", "partial", "missing"]

# Guiding questions from seed 004 ("nine criteria for a good support plan"), asked of the person.
CRITERION_PROMPTS: dict[str, tuple[str, ...]] = {
    "starting_point": (
        "What do you enjoy doing that you want to keep doing, or do more of?",
        "What do you not like doing?",
        "What do you want to achieve in the next part of your life?",
        "What is stopping you?",
        "Who helped you make this plan?",
    ),
    "about_me": (
        "How would you describe who you are?",
        "What are your strengths and abilities? What can you draw on?",
        "Who are the important people in your life, and who do you know who can help?",
        "What health issues do you have? How can you best begin to address them?",
        "Do you make your own decisions? If not, how are decisions reached, "
        "and who speaks for you?",
    ),
    "working_not_working": (
        "What is working well in your life?",
        "What is working less well?",
        "What needs to happen to change the things that are working less well?",
    ),
    "important_to_for": (
        "What is important to you?",
        "What is important for your health and wellbeing?",
        "What would it take for you to have a good day?",
    ),
    "staying_safe": (
        "What could go wrong, and how can each risk be made small enough?",
        "Who will help reduce each risk?",
        "What should happen if things go wrong?",
        "Who is your point of contact in health or care services?",
    ),
    "outcomes": (
        "What health and wellbeing outcomes do you want?",
        "How will you achieve each outcome, and who can help?",
        "Are your outcomes realistic, and agreed with the professionals supporting you?",
    ),
    "money": (
        "What indicative allocation were you told you would have?",
        "How do you want the money held: as a direct payment, managed by the council or "
        "the NHS, by a third party, or a mix?",
        "What does each item of support cost, and how often?",
        "Which outcome does each item of support help you achieve?",
    ),
    "action_plan": ("Who will do what, and by when, to make your plan happen?",),
    "review": (
        "Who is your care coordinator?",
        "How and when will your outcomes and your money be reviewed?",
        "How will you know things are going well?",
        "How will you know things are going wrong?",
    ),
}

_QUOTE_LIMIT = 40


class CriterionResult(msgspec.Struct, kw_only=True):
    """One criterion's verdict, with what to add and questions that help the person add it."""

    number: int
    key: str
    title: str
    status: CriterionStatus
    missing: list[str]
    prompts: list[str]


class PlanFacts(msgspec.Struct, kw_only=True):
    """Everything the criteria look at, gathered once so the rules stay pure and testable."""

    sections: Mapping[str, msgspec.Struct] = {}
    outcomes: list[OutcomeFact] = []
    support_items: list[SupportFact] = []
    actions: list[ActionFact] = []
    # The indicative allocation set by the signing-off organisation's staff, once they have.
    staff_allocation_pence: int | None = None


class CriteriaSummary(TypedDict):
    """Counts for a progress bar, and whether the plan can be submitted for sign-off."""

    met: int
    partial: int
    missing: int
    ready: bool


_S = TypeVar("_S", bound=msgspec.Struct)


def _blank(value: object) -> bool:
    """Treat whitespace, empty lists and unset answers as nothing written."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list):
        return all(_blank(item) for item in value)
    if isinstance(value, msgspec.Struct):
        return all(_blank(getattr(value, name)) for name in value.__struct_fields__)
    return False


def _has_content(section: msgspec.Struct, key: str) -> bool:
    """Tell an untouched section from one the person has started, ignoring defaults and spaces."""
    empty = empty_section(key)
    for name in section.__struct_fields__:
        value = getattr(section, name)
        if value != getattr(empty, name) and not _blank(value):
            return True
    return False


def _section(facts: PlanFacts, key: str, kind: type[_S]) -> _S:
    """Read a section from the facts, an absent one being empty."""
    section = facts.sections.get(key)
    if section is None:
        section = empty_section(key)
    if not isinstance(section, kind):
        raise TypeError(f"Section {key!r} holds {type(section).__name__}, not {kind.__name__}")
    return section


def _quote(text: str) -> str:
    """Name an item by its own words, short enough for a list of what is missing."""
    text = " ".join(text.split())
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 1].rstrip() + "…"
    return f"“{text}”"


def _check_starting_point(facts: PlanFacts) -> tuple[list[str], bool]:
    section = _section(facts, "starting_point", StartingPoint)
    missing = []
    if _blank(section.what_i_want_to_achieve):
        missing.append("Say what you want to achieve")
    if _blank(section.who_helped_me_plan):
        missing.append("Say who helped you plan")
    return missing, _has_content(section, "starting_point")


def _check_about_me(facts: PlanFacts) -> tuple[list[str], bool]:
    section = _section(facts, "about_me", AboutMe)
    missing = []
    if _blank(section.who_i_am):
        missing.append("Say who you are")
    if _blank(section.strengths_and_skills):
        missing.append("Describe your strengths and skills")
    if _blank(section.health_and_wellbeing_needs):
        missing.append("Describe your health and wellbeing needs")
    if section.makes_own_decisions is None:
        missing.append("Say whether you make your own decisions")
    elif section.makes_own_decisions is False:
        # The guide: without capacity the plan must show how decisions were reached and who speaks.
        if _blank(section.how_decisions_are_reached):
            missing.append("Say how decisions about you are reached")
        if _blank(section.representative_name):
            missing.append("Name the person who speaks for you")
    return missing, _has_content(section, "about_me")


def _check_working_not_working(facts: PlanFacts) -> tuple[list[str], bool]:
    section = _section(facts, "working_not_working", WorkingNotWorking)
    missing = []
    if _blank(section.working):
        missing.append("Add something that is working")
    if _blank(section.not_working):
        missing.append("Add something that is not working")
    return missing, _has_content(section, "working_not_working")


def _check_important_to_for(facts: PlanFacts) -> tuple[list[str], bool]:
    section = _section(facts, "important_to_for", ImportantToFor)
    missing = []
    if _blank(section.important_to_me):
        missing.append("Add something that is important to you")
    if _blank(section.important_for_me):
        missing.append("Add something that is important for your health and wellbeing")
    return missing, _has_content(section, "important_to_for")


def _check_staying_safe(facts: PlanFacts) -> tuple[list[str], bool]:
    section = _section(facts, "staying_safe", StayingSafe)
    missing = []
    for number, risk in enumerate(section.risks, start=1):
        if _blank(risk.risk):
            missing.append(f"Describe risk {number}")
        if _blank(risk.mitigation):
            name = _quote(risk.risk) if not _blank(risk.risk) else str(number)
            missing.append(f"Say how risk {name} will be reduced")
    if _blank(section.contingency_plan):
        missing.append("Say what should happen if things go wrong")
    if _blank(section.point_of_contact_name):
        missing.append("Name your point of contact in health or care services")
    return missing, _has_content(section, "staying_safe")


def _check_outcomes(facts: PlanFacts) -> tuple[list[str], bool]:
    section = _section(facts, "outcomes", OutcomesSection)
    missing = []
    if not any(o.status is not OutcomeStatus.declined for o in facts.outcomes):
        missing.append("Add an outcome you want to achieve")
    for number, outcome in enumerate(facts.outcomes, start=1):
        if outcome.status is not OutcomeStatus.declined and _blank(outcome.how):
            name = _quote(outcome.title) if not _blank(outcome.title) else f"outcome {number}"
            missing.append(f"Say how you will achieve {name}")
    has_content = bool(facts.outcomes) or _has_content(section, "outcomes")
    return missing, has_content


def _check_money(facts: PlanFacts) -> tuple[list[str], bool]:
    section = _section(facts, "money", MoneySection)
    statuses = {outcome.id: outcome.status for outcome in facts.outcomes}
    missing = []
    # What the person was told counts for their checklist; so does the organisation's own
    # figure once its staff have set it (sign-off itself checks only the organisation's).
    if section.allocation_pence is None and facts.staff_allocation_pence is None:
        missing.append("Record the indicative allocation you were told")
    if not section.holding:
        missing.append("Choose how the money will be held")
    for number, item in enumerate(facts.support_items, start=1):
        name = f"support item {number}"
        if item.cost_pence <= 0:
            missing.append(f"Give the cost of {name}")
        else:
            name += f" ({format_pounds(item.cost_pence)} {FREQUENCY_LABELS[item.frequency]})"
        if item.outcome_id is None or item.outcome_id not in statuses:
            missing.append(f"Link {name} to one of your outcomes")
        elif statuses[item.outcome_id] is OutcomeStatus.declined:
            missing.append(f"Link {name} to an outcome that has not been declined")
    has_content = bool(facts.support_items) or _has_content(section, "money")
    return missing, has_content


def _check_action_plan(facts: PlanFacts) -> tuple[list[str], bool]:
    section = _section(facts, "action_plan", ActionPlanSection)
    missing = []
    if not facts.actions:
        missing.append("Add an action: who will do what, by when")
    for number, action in enumerate(facts.actions, start=1):
        name = _quote(action.what) if not _blank(action.what) else f"action {number}"
        if _blank(action.what):
            missing.append(f"Say what action {number} is")
        if _blank(action.who):
            missing.append(f"Say who will do {name}")
        if action.due_by is None:
            missing.append(f"Say when {name} will be done by")
    has_content = bool(facts.actions) or _has_content(section, "action_plan")
    return missing, has_content


def _check_review(facts: PlanFacts) -> tuple[list[str], bool]:
    section = _section(facts, "review", ReviewSection)
    missing = []
    if _blank(section.care_coordinator_name):
        missing.append("Name your care coordinator")
    if section.review_date is None:
        missing.append("Choose when your plan will be reviewed")
    if _blank(section.going_well_signs):
        missing.append("Say how you will know things are going well")
    if _blank(section.going_wrong_signs):
        missing.append("Say how you will know things are going wrong")
    return missing, _has_content(section, "review")


_CHECKS: dict[str, Callable[[PlanFacts], tuple[list[str], bool]]] = {
    "starting_point": _check_starting_point,
    "about_me": _check_about_me,
    "working_not_working": _check_working_not_working,
    "important_to_for": _check_important_to_for,
    "staying_safe": _check_staying_safe,
    "outcomes": _check_outcomes,
    "money": _check_money,
    "action_plan": _check_action_plan,
    "review": _check_review,
}


def evaluate_criteria(facts: PlanFacts) -> list[CriterionResult]:
    """Judge each criterion so the person sees what to add; submission waits until all are met."""
    results = []
    for number, key in enumerate(CRITERIA_KEYS, start=1):
        missing, has_content = _CHECKS[key](facts)
        status: CriterionStatus
        if not missing:
            status = "met"
        elif has_content:
            status = "partial"
        else:
            status = "missing"
        results.append(
            CriterionResult(
                number=number,
                key=key,
                title=SECTION_TITLES[key],
                status=status,
                missing=missing,
                prompts=list(CRITERION_PROMPTS[key]),
            )
        )
    return results


def criteria_summary(results: list[CriterionResult]) -> CriteriaSummary:
    """Count the verdicts for a progress view; ready only when all nine criteria are met."""
    met = sum(1 for r in results if r.status == "met")
    partial = sum(1 for r in results if r.status == "partial")
    missing = sum(1 for r in results if r.status == "missing")
    met_keys = {r.key for r in results if r.status == "met"}
    return CriteriaSummary(
        met=met, partial=partial, missing=missing, ready=met_keys >= set(CRITERIA_KEYS)
    )
