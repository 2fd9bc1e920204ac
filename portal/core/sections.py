"""The sections of a plan, in reading order; their content types are in `portal.plans.content`."""

from __future__ import annotations

SECTION_TITLES: dict[str, str] = {
    "starting_point": "My starting point",
    "about_me": "About me",
    "working_not_working": "What is working and not working",
    "important_to_for": "What is important to me and for me",
    "staying_safe": "Staying safe",
    "outcomes": "My outcomes",
    "money": "Money",
    "action_plan": "Action plan",
    "review": "Review",
    "contacts": "Who to contact",
}
SECTION_KEYS: tuple[str, ...] = tuple(SECTION_TITLES)
# The nine criteria of a plan that sign-off checks: every section but the contacts.
CRITERIA_KEYS: tuple[str, ...] = SECTION_KEYS[:9]
