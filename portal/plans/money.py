"""Money in a plan: integer pence with a frequency, normalised to weekly and annual figures."""

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from portal.plans.content import SupportFact


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

# A one-off cost is paid once, so it counts once in the year it falls in.
_TIMES_A_YEAR: dict[Frequency, int] = {
    Frequency.one_off: 1,
    Frequency.weekly: 52,
    Frequency.fortnightly: 26,
    Frequency.four_weekly: 13,
    Frequency.monthly: 12,
    Frequency.annual: 1,
}

WEEKS_A_YEAR = 52
MAX_WEEKLY_PENCE = 100_000_000


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


def annual_pence(pence: int, frequency: Frequency | str) -> int:
    """Give the exact yearly figure, the basis every comparison of money in a plan is made on."""
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise TypeError("Money is whole pence (int), never a float or text")
    return pence * _TIMES_A_YEAR[_as_frequency(frequency)]


def weekly_pence(pence: int, frequency: Frequency | str) -> int:
    """Give the weekly figure people and tolerance bands talk in, rounded to the nearest penny."""
    if _as_frequency(frequency) is Frequency.weekly:
        return annual_pence(pence, frequency) // WEEKS_A_YEAR
    return _divide_half_up(annual_pence(pence, frequency), WEEKS_A_YEAR)


def format_pounds(pence: int) -> str:
    """Show pence as people read money: £1,234.56, or -£12.00 for a shortfall."""
    sign = "-" if pence < 0 else ""
    pounds, remainder = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{remainder:02d}"


def check_cost(pence: int, frequency: Frequency | str) -> None:
    """Refuse impossible amounts, for costs and allocations alike, saying how to put them right."""
    if pence <= 0:
        raise ValueError("Enter an amount of more than £0.00")
    # Compare the exact yearly figures so rounding the weekly figure cannot let a bigger amount in.
    if annual_pence(pence, frequency) > MAX_WEEKLY_PENCE * WEEKS_A_YEAR:
        raise ValueError(
            f"This amount works out at more than {format_pounds(MAX_WEEKLY_PENCE)} a week, "
            "the most a plan can hold. Check the amount and how often it is paid."
        )


class MoneySummary(msgspec.Struct, kw_only=True):
    """The total cost of support set against the allocation, as the person and authoriser see it."""

    allocation_pence: int | None
    allocation_frequency: Frequency
    allocation_weekly_pence: int | None
    allocation_annual_pence: int | None
    total_weekly_pence: int
    total_annual_pence: int
    difference_annual_pence: int | None
    item_count: int
    over_allocation: bool


def summarise_money(
    allocation_pence: int | None,
    allocation_frequency: Frequency | str,
    items: "Sequence[SupportFact]",
) -> MoneySummary:
    """Total support exactly per year, so a difference needing a reason is never a rounding slip."""
    frequency = _as_frequency(allocation_frequency)
    total_annual = sum(annual_pence(item.cost_pence, item.frequency) for item in items)
    allocation_weekly: int | None = None
    allocation_annual: int | None = None
    difference: int | None = None
    if allocation_pence is not None:
        allocation_weekly = weekly_pence(allocation_pence, frequency)
        allocation_annual = annual_pence(allocation_pence, frequency)
        difference = allocation_annual - total_annual
    return MoneySummary(
        allocation_pence=allocation_pence,
        allocation_frequency=frequency,
        allocation_weekly_pence=allocation_weekly,
        allocation_annual_pence=allocation_annual,
        total_weekly_pence=_divide_half_up(total_annual, WEEKS_A_YEAR),
        total_annual_pence=total_annual,
        difference_annual_pence=difference,
        item_count=len(items),
        over_allocation=difference is not None and difference < 0,
    )
