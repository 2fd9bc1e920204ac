"""Typed content of each plan section, so every writer and reader agrees on the same fields."""

import datetime
import uuid
from enum import StrEnum
from typing import Annotated, Any

import msgspec

from portal.bounds import PLAN_DATE, PositivePence, check_dates
from portal.core.sections import SECTION_KEYS
from portal.plans.money import Frequency

ShortText = Annotated[str, msgspec.Meta(max_length=200)]
LongText = Annotated[str, msgspec.Meta(max_length=5000)]
LongTextList = Annotated[list[LongText], msgspec.Meta(max_length=50)]


class SectionContent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Shared config for sections: keyword-only, strict about unknown fields, valid half-filled."""


class StartingPoint(SectionContent):
    """Criterion 1: the person's own answers to the guiding questions, and who helped them plan."""

    what_i_enjoy: LongText = ""
    what_i_dont_like: LongText = ""
    what_i_want_to_achieve: LongText = ""
    what_stops_me: LongText = ""
    who_helped_me_plan: LongText = ""


class AboutMe(SectionContent):
    """Criterion 2: who the person is, and who decides when they cannot decide for themselves."""

    who_i_am: LongText = ""
    strengths_and_skills: LongText = ""
    relationships_and_community: LongText = ""
    health_and_wellbeing_needs: LongText = ""
    makes_own_decisions: bool | None = None
    how_decisions_are_reached: LongText = ""
    representative_name: ShortText = ""
    representative_relationship: ShortText = ""


class WorkingNotWorking(SectionContent):
    """Criterion 3: what is and is not working, from the person's own view."""

    working: LongTextList = []
    not_working: LongTextList = []


class ImportantToFor(SectionContent):
    """Criterion 4: what matters to the person, and what matters for their health."""

    important_to_me: LongTextList = []
    important_for_me: LongTextList = []


class Risk(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One risk with how it is reduced and by whom, so sign-off can see it was thought through."""

    risk: LongText
    mitigation: LongText = ""
    who_helps: ShortText = ""


class StayingSafe(SectionContent):
    """Criterion 5: risks, a contingency plan and a point of contact in health or care services."""

    risks: Annotated[list[Risk], msgspec.Meta(max_length=50)] = []
    contingency_plan: LongText = ""
    point_of_contact_name: ShortText = ""
    point_of_contact_details: ShortText = ""


class OutcomesSection(SectionContent):
    """Criterion 6: notes only; outcomes are rows of their own so support can link to them."""

    notes: LongText = ""


class Holding(StrEnum):
    """How the money is held, since the person may choose one way or a mix."""

    direct_payment = "direct_payment"
    council_managed = "council_managed"
    nhs_managed = "nhs_managed"
    third_party = "third_party"
    individual_service_fund = "individual_service_fund"


HOLDING_LABELS: dict[Holding, str] = {
    Holding.direct_payment: "Direct payment (I hold the money)",
    Holding.council_managed: "Managed by the council for me",
    Holding.nhs_managed: "Managed by the NHS for me",
    Holding.third_party: "Held by a third party organisation",
    Holding.individual_service_fund: "Individual service fund (held by my provider)",
}


class MoneySection(SectionContent):
    """Criterion 7: the allocation and how it is held; support items are rows of their own.

    `allocation_pence` is the person's note of what they were told; the allocation sign-off
    checks is the organisation's own figure (`portal.plans.allocation`).
    """

    allocation_pence: PositivePence | None = None
    allocation_frequency: Frequency = Frequency.annual
    holding: Annotated[list[Holding], msgspec.Meta(max_length=50)] = []
    holding_notes: LongText = ""


class ActionPlanSection(SectionContent):
    """Criterion 8: notes only; actions are rows of their own with who, what and when."""

    notes: LongText = ""


class ReviewSection(SectionContent):
    """Criterion 9: who coordinates, when and how the plan is reviewed, and the signs to watch."""

    care_coordinator_name: ShortText = ""
    care_coordinator_contact: ShortText = ""
    review_date: datetime.date | None = None
    how_reviewed: LongText = ""
    going_well_signs: LongText = ""
    going_wrong_signs: LongText = ""


class ContactsSection(SectionContent):
    """Supporting section: who to contact when; not one of the nine criteria."""

    notes: LongText = ""


SECTION_TYPES: dict[str, type[SectionContent]] = {
    "starting_point": StartingPoint,
    "about_me": AboutMe,
    "working_not_working": WorkingNotWorking,
    "important_to_for": ImportantToFor,
    "staying_safe": StayingSafe,
    "outcomes": OutcomesSection,
    "money": MoneySection,
    "action_plan": ActionPlanSection,
    "review": ReviewSection,
    "contacts": ContactsSection,
}
# The content types follow the sections of `portal.core.sections`, in the same order: a
# section added to one and not the other stops the portal at import, not at the first save.
if tuple(SECTION_TYPES) != SECTION_KEYS:
    raise RuntimeError("SECTION_TYPES and portal.core.sections.SECTION_KEYS differ")

FIELD_LABELS: dict[str, dict[str, str]] = {
    "starting_point": {
        "what_i_enjoy": "What I enjoy doing and want to keep doing, or do more of",
        "what_i_dont_like": "What I do not like doing",
        "what_i_want_to_achieve": "What I want to achieve in the next part of my life",
        "what_stops_me": "What is stopping me",
        "who_helped_me_plan": "Who helped me plan",
    },
    "about_me": {
        "who_i_am": "Who I am",
        "strengths_and_skills": "My strengths and skills",
        "relationships_and_community": "My relationships and community",
        "health_and_wellbeing_needs": "My health and wellbeing needs",
        "makes_own_decisions": "I make my own decisions",
        "how_decisions_are_reached": "How decisions about me are reached",
        "representative_name": "Who speaks for me",
        "representative_relationship": "How they know me",
    },
    "working_not_working": {
        "working": "What is working",
        "not_working": "What is not working",
    },
    "important_to_for": {
        "important_to_me": "What is important to me",
        "important_for_me": "What is important for my health and wellbeing",
    },
    "staying_safe": {
        "risks": "Risks",
        "contingency_plan": "What happens if things go wrong",
        "point_of_contact_name": "My point of contact in health or care services",
        "point_of_contact_details": "How to reach my point of contact",
    },
    "outcomes": {"notes": "Anything else about my outcomes"},
    "money": {
        "allocation_pence": "The indicative allocation I was told",
        "allocation_frequency": "How often I was told it is given",
        "holding": "How the money is held",
        "holding_notes": "More about how the money is held and managed",
    },
    "action_plan": {"notes": "Anything else about the action plan"},
    "review": {
        "care_coordinator_name": "My care coordinator",
        "care_coordinator_contact": "How to contact my care coordinator",
        "review_date": "When my plan will be reviewed",
        "how_reviewed": "How my outcomes and money will be reviewed",
        "going_well_signs": "How we will know things are going well",
        "going_wrong_signs": "How we will know things are going wrong",
    },
    "contacts": {"notes": "Who to contact, and when"},
}

RISK_LABELS: dict[str, str] = {
    "risk": "What could go wrong",
    "mitigation": "How the risk is reduced",
    "who_helps": "Who helps with this",
}


class UnknownSection(KeyError, ValueError):
    """A key that is not a plan section: a lookup miss and a bad value from the caller alike."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"There is no plan section called {self.key!r}"


def _section_type(key: str) -> type[SectionContent]:
    """Find the content type for a key, or say the key is not a section."""
    try:
        return SECTION_TYPES[key]
    except KeyError:
        raise UnknownSection(key) from None


def decode_section(key: str, data: bytes | str | dict[str, Any]) -> SectionContent:
    """Validate stored or submitted content against its section type before anyone relies on it."""
    section_type = _section_type(key)
    if isinstance(data, dict):
        return msgspec.convert(data, section_type)
    return msgspec.json.decode(data, type=section_type)


def check_section_dates(content: SectionContent) -> None:
    """Refuse a date a person could not mean, when content is sent (not when it is read back:
    what was saved stays readable)."""
    if isinstance(content, ReviewSection):
        check_dates(content, {"review_date": PLAN_DATE})


def empty_section(key: str) -> SectionContent:
    """Give a blank section so an unwritten section reads the same as an empty one."""
    return _section_type(key)()


def section_to_dict(section: msgspec.Struct) -> dict[str, Any]:
    """Turn content into JSON-ready builtins for storage, forms and exports."""
    result: dict[str, Any] = msgspec.to_builtins(section)
    return result


class OutcomeStatus(StrEnum):
    """Where an outcome stands between the person proposing it and professionals agreeing it."""

    proposed = "proposed"
    agreed = "agreed"
    declined = "declined"


class OutcomeFact(msgspec.Struct):
    """The writable fields of an outcome row, with its id so support items can point at it."""

    id: uuid.UUID
    title: ShortText
    how: LongText = ""
    status: OutcomeStatus = OutcomeStatus.proposed


class ActionFact(msgspec.Struct):
    """The writable fields of an action row: who will do what, by when."""

    who: ShortText = ""
    what: LongText = ""
    due_by: datetime.date | None = None
