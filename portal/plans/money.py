"""Money in a plan: integer pence with a frequency, normalised to weekly and annual figures.

A recurring cost normalises to a weekly and a yearly figure. A one-off cost is paid once: it is
never turned into a weekly or yearly recurring figure, and is shown and checked as "one-off this
year" beside the recurring yearly cost (the cost this year is the two together).
"""

import uuid
from collections.abc import Sequence
from enum import StrEnum

import msgspec

from portal.core.money import MAX_WEEKLY_PENCE, format_pounds


class Frequency(StrEnum):
    """How often an amount is paid, so every cost can be compared on a weekly or annual basis."""

    one_off = "one_off"
    weekly = "weekly"
    fortnightly = "fortnightly"
    four_weekly = "four_weekly"
    monthly = "monthly"
    annual = "annual"


FREQUENCY_LABELS: dict[Frequency, str] = {
    Frequency.one_off: "one-off",
    Frequency.weekly: "every week",
    Frequency.fortnightly: "every 2 weeks",
    Frequency.four_weekly: "every 4 weeks",
    Frequency.monthly: "every month",
    Frequency.annual: "every year",
}

# How often a recurring cost is paid in a year. A one-off cost does not recur: it is absent.
_TIMES_A_YEAR: dict[Frequency, int] = {
    Frequency.weekly: 52,
    Frequency.fortnightly: 26,
    Frequency.four_weekly: 13,
    Frequency.monthly: 12,
    Frequency.annual: 1,
}

WEEKS_A_YEAR = 52


def _as_frequency(frequency: Frequency | str) -> Frequency:
    """Accept a stored or submitted value, and say plainly when it is not a frequency."""
    try:
        return Frequency(frequency)
    except ValueError:
        choices = ", ".join(FREQUENCY_LABELS.values())
        raise ValueError(f"Choose how often this is paid: {choices}") from None


def _divide_half_up(numerator: int, denominator: int) -> int:
    """Round to whole pence without floats; halves go away from zero, as decimal.ROUND_HALF_UP."""
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return -magnitude if numerator < 0 else magnitude


def _check_pence(pence: int) -> None:
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise TypeError("Money is whole pence (int), never a float or text")


def is_one_off(frequency: Frequency | str) -> bool:
    """Whether an amount is paid once, rather than again and again."""
    return _as_frequency(frequency) is Frequency.one_off


def annual_pence(pence: int, frequency: Frequency | str) -> int:
    """Give the exact recurring yearly figure, the basis every comparison of money in a plan is
    made on. A one-off amount does not recur, so it adds nothing to a yearly figure: 0."""
    _check_pence(pence)
    frequency = _as_frequency(frequency)
    if frequency is Frequency.one_off:
        return 0
    return pence * _TIMES_A_YEAR[frequency]


def weekly_pence(pence: int, frequency: Frequency | str) -> int:
    """Give the weekly figure people and tolerance bands talk in, rounded to the nearest penny.
    A one-off amount is never spread over weeks: 0."""
    if _as_frequency(frequency) is Frequency.weekly:
        return annual_pence(pence, frequency) // WEEKS_A_YEAR
    return _divide_half_up(annual_pence(pence, frequency), WEEKS_A_YEAR)


def this_year_pence(pence: int, frequency: Frequency | str) -> int:
    """What an amount costs in the plan's year: its recurring yearly figure, or a one-off once."""
    _check_pence(pence)
    return pence if is_one_off(frequency) else annual_pence(pence, frequency)


def check_cost(pence: int, frequency: Frequency | str) -> None:
    """Refuse impossible amounts, for costs and allocations alike, saying how to put them right."""
    if pence <= 0:
        raise ValueError("Enter an amount of more than £0.00")
    # Compare the exact yearly figures so rounding the weekly figure cannot let a bigger amount in
    # (a one-off amount is held to the same ceiling as a year of the largest weekly cost).
    if this_year_pence(pence, frequency) > MAX_WEEKLY_PENCE * WEEKS_A_YEAR:
        raise ValueError(
            f"This amount works out at more than {format_pounds(MAX_WEEKLY_PENCE)} a week, "
            "the most a plan can hold. Check the amount and how often it is paid."
        )


class SupportFact(msgspec.Struct):
    """The writable fields of a support item row: what it costs, how often, and what it is for."""

    cost_pence: int
    frequency: Frequency
    outcome_id: uuid.UUID | None = None


class MoneySummary(msgspec.Struct, kw_only=True):
    """The cost of support set against the allocation, as the person and authoriser see it.

    `allocation_*` is the figure the person noted in the money section (what they were told);
    sign-off checks the organisation's own figure (`portal.plans.allocation`). `total_weekly_pence`
    and `total_annual_pence` are the recurring cost only; one-off costs are
    `one_off_this_year_pence`, and `this_year_pence` is the two together, the figure set against
    an allocation and a spending limit.
    """

    allocation_pence: int | None
    allocation_frequency: Frequency
    allocation_weekly_pence: int | None
    allocation_annual_pence: int | None
    total_weekly_pence: int
    total_annual_pence: int
    one_off_this_year_pence: int = 0
    this_year_pence: int = 0
    difference_annual_pence: int | None
    item_count: int
    one_off_count: int = 0
    over_allocation: bool


def summarise_money(
    allocation_pence: int | None,
    allocation_frequency: Frequency | str,
    items: "Sequence[SupportFact]",
) -> MoneySummary:
    """Total support exactly per year, so a difference needing a reason is never a rounding slip;
    one-off costs are kept apart from the recurring total and counted once, this year."""
    frequency = _as_frequency(allocation_frequency)
    recurring = [item for item in items if not is_one_off(item.frequency)]
    one_offs = [item for item in items if is_one_off(item.frequency)]
    total_annual = sum(annual_pence(item.cost_pence, item.frequency) for item in recurring)
    one_off = sum(item.cost_pence for item in one_offs)
    this_year = total_annual + one_off
    allocation_weekly: int | None = None
    allocation_annual: int | None = None
    difference: int | None = None
    if allocation_pence is not None:
        # An allocation given once is this year's money, like a one-off cost: no weekly figure.
        if frequency is not Frequency.one_off:
            allocation_weekly = weekly_pence(allocation_pence, frequency)
        allocation_annual = this_year_pence(allocation_pence, frequency)
        difference = allocation_annual - this_year
    return MoneySummary(
        allocation_pence=allocation_pence,
        allocation_frequency=frequency,
        allocation_weekly_pence=allocation_weekly,
        allocation_annual_pence=allocation_annual,
        total_weekly_pence=_divide_half_up(total_annual, WEEKS_A_YEAR),
        total_annual_pence=total_annual,
        one_off_this_year_pence=one_off,
        this_year_pence=this_year,
        difference_annual_pence=difference,
        item_count=len(items),
        one_off_count=len(one_offs),
        over_allocation=difference is not None and difference < 0,
    )
