import uuid

import pytest

from portal.core.money import MAX_WEEKLY_PENCE, format_pounds
from portal.plans.money import (
    FREQUENCY_LABELS,
    Frequency,
    SupportFact,
    annual_pence,
    check_cost,
    summarise_money,
    weekly_pence,
)

# (pence, frequency, expected annual, expected weekly), worked out by hand.
NORMALISATION = [
    (1_000, Frequency.weekly, 52_000, 1_000),
    (1, Frequency.weekly, 52, 1),
    (1_000, Frequency.fortnightly, 26_000, 500),
    (1_001, Frequency.fortnightly, 26_026, 501),  # 500.5 rounds half up
    (5, Frequency.fortnightly, 130, 3),  # 2.5 rounds up, not to even
    (1_001, Frequency.four_weekly, 13_013, 250),  # 250.25
    (1_002, Frequency.four_weekly, 13_026, 251),  # 250.5 rounds half up
    (1_003, Frequency.four_weekly, 13_039, 251),  # 250.75
    (1_000, Frequency.monthly, 12_000, 231),  # 230.77
    (13, Frequency.monthly, 156, 3),  # exact
    (2, Frequency.monthly, 24, 0),  # 0.46
    (5_200, Frequency.annual, 5_200, 100),
    (26, Frequency.annual, 26, 1),  # 0.5 rounds up
    (25, Frequency.annual, 25, 0),  # 0.48
    (130, Frequency.annual, 130, 3),  # 2.5 rounds up, not to even
    # A one-off cost is paid once: never turned into a yearly or weekly recurring figure.
    (52, Frequency.one_off, 0, 0),
    (26, Frequency.one_off, 0, 0),
    (30_000, Frequency.one_off, 0, 0),
]


@pytest.mark.parametrize(("pence", "frequency", "annual", "weekly"), NORMALISATION)
def test_costs_normalise_to_annual_and_weekly(
    pence: int, frequency: Frequency, annual: int, weekly: int
) -> None:
    assert annual_pence(pence, frequency) == annual
    assert weekly_pence(pence, frequency) == weekly


def test_every_frequency_is_covered_by_the_normalisation_table() -> None:
    assert {row[1] for row in NORMALISATION} == set(Frequency)
    assert set(FREQUENCY_LABELS) == set(Frequency)


def test_stored_frequency_strings_are_accepted() -> None:
    assert annual_pence(100, "four_weekly") == 1_300
    assert weekly_pence(100, "fortnightly") == 50


def test_unknown_frequency_says_what_to_choose() -> None:
    with pytest.raises(ValueError, match="every 2 weeks"):
        annual_pence(100, "daily")


@pytest.mark.parametrize("not_pence", [12.5, "100", True])
def test_money_must_be_whole_pence(not_pence: object) -> None:
    with pytest.raises(TypeError):
        annual_pence(not_pence, Frequency.weekly)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pence", "frequency"),
    [
        (1, Frequency.weekly),
        (MAX_WEEKLY_PENCE, Frequency.weekly),
        (200_000_000, Frequency.fortnightly),
        (400_000_000, Frequency.four_weekly),
        (433_333_333, Frequency.monthly),  # just under £1,000,000.00 a week
        (5_200_000_000, Frequency.annual),
        (5_200_000_000, Frequency.one_off),
    ],
)
def test_check_cost_accepts_amounts_up_to_the_weekly_limit(
    pence: int, frequency: Frequency
) -> None:
    check_cost(pence, frequency)


@pytest.mark.parametrize("pence", [0, -1, -5_000])
@pytest.mark.parametrize("frequency", list(Frequency))
def test_check_cost_refuses_nothing_or_less(pence: int, frequency: Frequency) -> None:
    with pytest.raises(ValueError, match=r"more than £0\.00"):
        check_cost(pence, frequency)


@pytest.mark.parametrize(
    ("pence", "frequency"),
    [
        (MAX_WEEKLY_PENCE + 1, Frequency.weekly),
        (200_000_001, Frequency.fortnightly),
        (400_000_001, Frequency.four_weekly),
        # Both of these round to exactly £1,000,000.00 a week but are over it.
        (433_333_334, Frequency.monthly),
        (5_200_000_001, Frequency.annual),
        (5_200_000_001, Frequency.one_off),
        (10**12, Frequency.monthly),
    ],
)
def test_check_cost_refuses_more_than_a_million_pounds_a_week(
    pence: int, frequency: Frequency
) -> None:
    with pytest.raises(ValueError, match=r"£1,000,000\.00 a week"):
        check_cost(pence, frequency)


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (0, "£0.00"),
        (5, "£0.05"),
        (99, "£0.99"),
        (100, "£1.00"),
        (123_456, "£1,234.56"),
        (MAX_WEEKLY_PENCE, "£1,000,000.00"),
        (-1_200, "-£12.00"),
        (-5, "-£0.05"),
        (-123_456_789, "-£1,234,567.89"),
    ],
)
def test_format_pounds(pence: int, shown: str) -> None:
    assert format_pounds(pence) == shown


OUTCOME = uuid.uuid4()


def _items() -> list[SupportFact]:
    return [
        SupportFact(
            cost_pence=500, frequency=Frequency.weekly, outcome_id=OUTCOME
        ),  # 26,000 a year
        SupportFact(cost_pence=1_000, frequency=Frequency.monthly, outcome_id=None),  # 12,000
        SupportFact(cost_pence=5, frequency=Frequency.fortnightly, outcome_id=OUTCOME),  # 130
    ]


@pytest.mark.parametrize(
    ("allocation", "frequency", "allocation_weekly", "allocation_annual", "difference", "over"),
    [
        (52_000, Frequency.annual, 1_000, 52_000, 13_870, False),
        (38_130, Frequency.annual, 733, 38_130, 0, False),  # exactly spent is not over
        (38_129, Frequency.annual, 733, 38_129, -1, True),
        (700, Frequency.weekly, 700, 36_400, -1_730, True),
        (3_200, Frequency.monthly, 738, 38_400, 270, False),  # 738.46 a week
    ],
)
def test_summary_sets_total_against_allocation(
    allocation: int,
    frequency: Frequency,
    allocation_weekly: int,
    allocation_annual: int,
    difference: int,
    over: bool,
) -> None:
    summary = summarise_money(allocation, frequency, _items())

    assert summary.allocation_pence == allocation
    assert summary.allocation_frequency is frequency
    assert summary.allocation_weekly_pence == allocation_weekly
    assert summary.allocation_annual_pence == allocation_annual
    assert summary.total_annual_pence == 38_130
    assert summary.total_weekly_pence == 733  # 733.27
    assert summary.difference_annual_pence == difference
    assert summary.item_count == 3
    assert summary.over_allocation is over


def test_summary_total_weekly_rounds_the_exact_annual_sum_not_each_item() -> None:
    # Each item alone is 0.5p a week (rounding to 1p); together they are exactly 1p.
    items = [SupportFact(cost_pence=26, frequency=Frequency.annual, outcome_id=None)] * 2

    summary = summarise_money(None, Frequency.annual, items)

    assert summary.total_annual_pence == 52
    assert summary.total_weekly_pence == 1


def test_summary_without_an_allocation_has_no_difference_and_is_not_over() -> None:
    summary = summarise_money(None, "weekly", _items())

    assert summary.allocation_pence is None
    assert summary.allocation_weekly_pence is None
    assert summary.allocation_annual_pence is None
    assert summary.difference_annual_pence is None
    assert summary.over_allocation is False
    assert summary.total_annual_pence == 38_130


def test_summary_of_no_items_is_zero() -> None:
    summary = summarise_money(10_000, Frequency.four_weekly, [])

    assert summary.item_count == 0
    assert summary.total_annual_pence == 0
    assert summary.total_weekly_pence == 0
    assert summary.difference_annual_pence == 130_000
    assert summary.over_allocation is False
