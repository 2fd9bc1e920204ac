"""Sign-off's reads without the money, for readers who may not see the money section.

Versions, the sign-off status, the decisions and the review requests are read by anyone who
may open the plan; the figures in them belong to the money section and go only to those who
may read it (`portal.consent.money.may_see_money`). Withheld figures are null, never a
made-up 0 or an empty string that would read as "none": the API's schema says so.
"""

from __future__ import annotations

from typing import Any

import msgspec

from portal.core.sections import SECTION_TITLES
from portal.problems import FieldError
from portal.signoff import schemas as signoff_schemas

__all__ = [
    "MONEY_ACTIONS",
    "is_money_entry",
    "missing_without_money",
    "request_without_money",
    "version_without_money",
]

# Decisions whose note is about money: the budget authoriser's reason for a variation, and
# everything said about a package change (its figures are in what people write about it).
MONEY_ACTIONS: frozenset[str] = frozenset(
    {
        "authorise_budget",
        "propose_change",
        "confirm_change",
        "decline_change",
        "change_to_review",
        # The organisation's allocation: its figure and reason are kept in the details only.
        "set_allocation",
    }
)
MONEY_MISSING = (
    "not finished yet. The person, or someone who can see the money, needs to complete it"
)


def is_money_entry(action: str, details: dict[str, Any]) -> bool:
    """Whether an audit entry's note is about money: a money decision, or a review asked for
    instead of a package change (its reason is the change's)."""
    return action in MONEY_ACTIONS or bool(details.get("package_change"))


def version_without_money(
    version: signoff_schemas.VersionSummary,
) -> signoff_schemas.VersionSummary:
    return msgspec.structs.replace(
        version,
        annual_cost_pence=None,
        allocation_annual_pence=None,
        budget_variation_reason=None,
    )


def request_without_money(
    request: signoff_schemas.ReviewRequestRead,
) -> signoff_schemas.ReviewRequestRead:
    """A review asked for instead of a package change: that it was asked stays, the change's
    reason and which change it was do not."""
    if request.package_change_id is None:
        return request
    return msgspec.structs.replace(request, reason=None, package_change_id=None)


def missing_without_money(missing: list[FieldError]) -> list[FieldError]:
    """What stops submitting, with the money criterion's items (which name costs) said without
    them: the reader learns the section is unfinished, not what it holds."""
    title = SECTION_TITLES["money"]
    return [
        FieldError(error.field, f"{title}: {MONEY_MISSING}") if error.field == "money" else error
        for error in missing
    ]
