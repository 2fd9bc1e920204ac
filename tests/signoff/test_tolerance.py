"""The tolerance rule of seed 002 as a table: every band boundary, the 5-hour and 20% edges."""

from __future__ import annotations

import pytest

from portal.signoff.tolerance import (
    PackageLine,
    Tolerance,
    band_of,
    package_figures,
    route_change,
    route_package_change,
)

C, T = "coordinator", "team_manager"
H = 60  # minutes in an hour


@pytest.mark.parametrize(
    ("pence", "band"),
    [
        (0, 1),
        (7_500, 1),  # £75.00: the top of band 1
        (7_501, 2),  # £75.01
        (15_000, 2),
        (15_001, 3),
        (22_500, 3),
        (22_501, 4),
        (30_000, 4),  # £300: still in the top band
        (30_001, 5),  # above the top band
    ],
)
def test_band_boundaries(pence: int, band: int) -> None:
    assert band_of(pence, Tolerance().bands) == band


# (ordered hours in minutes, hours after, weekly cost before, after) → route, and why
CASES = [
    # Hours: up to five hours from the order is the provider's to flex.
    ("+5h exactly, same band", 10 * H, 15 * H, 10_000, 12_000, C),
    ("+5h 1 minute", 10 * H, 15 * H + 1, 10_000, 12_000, T),
    ("-5h exactly", 10 * H, 5 * H, 12_000, 11_000, C),
    ("-5h 1 minute", 10 * H, 5 * H - 1, 12_000, 11_000, T),
    ("counted from the order, not the last change", 10 * H, 16 * H, 12_000, 13_000, T),
    ("back towards the order after earlier flexing", 10 * H, 12 * H, 13_000, 12_000, C),
    # 20% and bands: a big change only matters when it moves into another band.
    ("exactly 20% up into the next band", 10 * H, 11 * H, 7_000, 8_400, C),
    ("just over 20% up into the next band", 10 * H, 11 * H, 7_000, 8_401, T),
    ("over 20% but within the same band", 10 * H, 11 * H, 8_000, 12_000, C),
    ("under 20% across a band boundary", 10 * H, 11 * H, 7_400, 7_600, C),
    ("exactly 20% down into the lower band", 10 * H, 9 * H, 9_375, 7_500, C),
    ("just over 20% down into the lower band", 10 * H, 9 * H, 9_375, 7_499, T),
    ("over 20% from band 2 to band 4", 10 * H, 14 * H, 14_000, 25_000, T),
    ("band 3 top to band 4, under 20%", 10 * H, 11 * H, 22_500, 22_501, C),
    # The top band: a package above it, or moved above it, needs a team manager.
    ("at the top of the top band", 10 * H, 11 * H, 29_000, 30_000, C),
    ("moved just above the top band", 10 * H, 11 * H, 29_000, 30_001, T),
    ("already above the top band, small decrease", 20 * H, 19 * H, 35_000, 34_000, T),
    ("already above, decrease more than 5 hours", 20 * H, 14 * H, 35_000, 29_000, T),
    ("already above, increase", 20 * H, 21 * H, 30_001, 31_000, T),
    # Cost alone (a new hourly rate), hours unchanged.
    ("rate rise within band", 10 * H, 10 * H, 16_000, 18_000, C),
    ("from nothing into band 2", 0, 4 * H, 0, 8_000, T),
    ("from nothing within band 1", 0, 3 * H, 0, 6_000, C),
]


@pytest.mark.parametrize(
    ("ordered", "after", "before_pence", "after_pence", "route"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_tolerance_rule(
    ordered: int, after: int, before_pence: int, after_pence: int, route: str
) -> None:
    verdict = route_change(
        ordered_minutes=ordered,
        minutes_after=after,
        weekly_before_pence=before_pence,
        weekly_after_pence=after_pence,
    )
    assert verdict.route == route, verdict.reasons
    assert bool(verdict.reasons) == (route == T)


def test_an_organisation_can_set_its_own_figures() -> None:
    strict = Tolerance(minutes=2 * H, percent=10, bands=(10_000, 20_000))
    verdict = route_change(
        ordered_minutes=10 * H,
        minutes_after=13 * H,
        weekly_before_pence=9_000,
        weekly_after_pence=10_500,
        tolerance=strict,
    )
    assert verdict.route == T
    assert len(verdict.reasons) == 2  # three hours from the order; over 10% into band 2
    assert "3 hours" in verdict.reasons[0] and "band 1 to band 2" in verdict.reasons[1]
    lenient = route_change(
        ordered_minutes=10 * H,
        minutes_after=13 * H,
        weekly_before_pence=9_000,
        weekly_after_pence=10_500,
    )
    assert lenient.route == C


# --- the package as a whole ------------------------------------------------------------------
# Seed 002's bands and hours are the package's: every recurring line of the plan counts
# (one-off items are not a weekly cost), and hours count from those first ordered.


def line(
    name: str,
    pence: int,
    minutes: int | None = None,
    ordered: int | None = None,
    frequency: str = "weekly",
) -> PackageLine:
    return PackageLine(
        id=name,
        cost_pence=pence,
        frequency=frequency,
        minutes_per_week=minutes,
        ordered_minutes_per_week=ordered,
    )


# (lines, the changed line, its hours after, its weekly cost after) → route, package weekly
# cost before and after
PACKAGE_CASES = [
    (
        # The line alone goes from £35 to £55 a week, inside band 1; the package goes from £70
        # to £90, more than 20% and into band 2.
        "the package crosses a band though the line alone would not",
        [line("mine", 3_500, 2 * H), line("theirs", 3_500, 2 * H)],
        "mine",
        3 * H,
        5_500,
        T,
        7_000,
        9_000,
    ),
    (
        # The line alone would move from band 1 to band 2 by a third; the package moves by 8%.
        "the line alone would cross a band but the package moves little",
        [line("mine", 6_000, 4 * H), line("day centre", 20_000)],
        "mine",
        5 * H,
        8_000,
        C,
        26_000,
        28_000,
    ),
    (
        "a package already above the top band, however small the change",
        [line("mine", 5_000, 2 * H), line("nursing", 28_000)],
        "mine",
        2 * H + 30,
        5_500,
        T,
        33_000,
        33_500,
    ),
    (
        "a small change that takes the package above the top band",
        [line("mine", 5_000, 2 * H), line("nursing", 24_500)],
        "mine",
        3 * H,
        6_000,
        T,
        29_500,
        30_500,
    ),
    (
        "a package at the top of the top band stays with the coordinator",
        [line("mine", 5_000, 2 * H), line("nursing", 24_000)],
        "mine",
        3 * H,
        6_000,
        C,
        29_000,
        30_000,
    ),
    (
        # Ordered 10 hours; two confirmed changes since made it 13. Five hours from the order
        # is 15, however many changes it took to get there.
        "after two changes, 5 hours from the first order is still within",
        [line("mine", 21_450, 13 * H, ordered=10 * H)],
        "mine",
        15 * H,
        24_750,
        C,
        21_450,
        24_750,
    ),
    (
        "after two changes, a minute more than 5 hours from the first order is outside",
        [line("mine", 21_450, 13 * H, ordered=10 * H)],
        "mine",
        15 * H + 1,
        24_780,
        T,
        21_450,
        24_780,
    ),
    (
        # Each line moves less than 5 hours from its order; together the package moves 6.
        "hours count over the whole package, from each line's first order",
        [line("mine", 16_500, 10 * H, ordered=10 * H), line("theirs", 8_250, 8 * H, ordered=5 * H)],
        "mine",
        13 * H,
        21_450,
        T,
        24_750,
        29_700,
    ),
    (
        # A one-off item is no weekly cost: counted in, £5,000 would put the package far above
        # the top band. A monthly line counts as its weekly share (£130 a month is £30 a week).
        "one-off items are not in the weekly cost; monthly lines are",
        [
            line("mine", 4_000, 2 * H),
            line("adaptation", 500_000, frequency="one_off"),
            line("gym", 13_000, frequency="monthly"),
        ],
        "mine",
        2 * H + 30,
        4_500,
        C,
        7_000,
        7_500,
    ),
]


@pytest.mark.parametrize(
    ("lines", "changed", "after", "after_pence", "route", "package_before", "package_after"),
    [case[1:] for case in PACKAGE_CASES],
    ids=[case[0] for case in PACKAGE_CASES],
)
def test_the_tolerance_rule_on_the_whole_package(
    lines: list[PackageLine],
    changed: str,
    after: int,
    after_pence: int,
    route: str,
    package_before: int,
    package_after: int,
) -> None:
    figures = package_figures(lines, changed, after, after_pence)
    assert (figures.weekly_before_pence, figures.weekly_after_pence) == (
        package_before,
        package_after,
    )
    verdict = route_package_change(figures)
    assert verdict.route == route, verdict.reasons
    assert bool(verdict.reasons) == (route == T)


def test_package_hours_and_the_reason_given() -> None:
    lines = [
        line("mine", 16_500, 10 * H, ordered=10 * H),
        line("theirs", 8_250, 8 * H, ordered=5 * H),
        line("no hours", 200),
    ]
    figures = package_figures(lines, "mine", 13 * H, 21_450)
    assert (figures.ordered_minutes, figures.minutes_before, figures.minutes_after) == (
        15 * H,
        18 * H,
        21 * H,
    )
    [reason] = route_package_change(figures).reasons
    assert "6 hours from the hours first ordered" in reason
