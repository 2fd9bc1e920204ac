"""The tolerance rule for a provider's change to a care package (seed 002), as a pure function.

A provider may flex a package by up to five hours a week from the hours first ordered, and the
care coordinator confirms it, unless the change is more than 20% and moves the weekly cost into
another band, or the package is (or would be) above the top band: then a team manager decides.
Costs are weekly totals in pence. The figures are the signing-off organisation's own settings
(`organisation.tolerance_*`); the defaults are the seed's: 5 hours, 20%, and the bands
£0–75, £76–150, £151–225, £226–300.

The seed's rule is about the care package, not one line of it: `package_figures` turns the
plan's lines and one proposed change into the package's weekly cost (every recurring line;
one-off items are not a weekly cost) and its hours (every recurring line with hours, counted
from the hours first ordered for each line, which a line keeps across later changes), and
`route_package_change` applies the rule to those.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from portal.plans.money import Frequency, annual_pence, weekly_pence

DEFAULT_MINUTES = 300
DEFAULT_PERCENT = 20
# Upper bounds of the weekly cost bands, in pence, lowest first.
DEFAULT_BANDS: tuple[int, ...] = (7_500, 15_000, 22_500, 30_000)


class ChangeRoute(StrEnum):
    COORDINATOR = "coordinator"
    TEAM_MANAGER = "team_manager"


class Tolerance(msgspec.Struct, frozen=True, kw_only=True):
    minutes: int = DEFAULT_MINUTES
    percent: int = DEFAULT_PERCENT
    bands: tuple[int, ...] = DEFAULT_BANDS


class ToleranceVerdict(msgspec.Struct, frozen=True, kw_only=True):
    route: ChangeRoute
    reasons: tuple[str, ...]
    minutes_from_order: int
    band_before: int
    band_after: int


def band_of(weekly_pence: int, bands: tuple[int, ...]) -> int:
    """1 for the lowest band, …, len(bands); len(bands) + 1 above the top band."""
    for number, upper in enumerate(bands, start=1):
        if weekly_pence <= upper:
            return number
    return len(bands) + 1


def _hours(minutes: int) -> str:
    hours, rest = divmod(abs(minutes), 60)
    return f"{hours} hours" if not rest else f"{hours} hours {rest} minutes"


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}" if pence % 100 == 0 else f"£{pence // 100:,}.{pence % 100:02d}"


def route_change(
    *,
    ordered_minutes: int,
    minutes_after: int,
    weekly_before_pence: int,
    weekly_after_pence: int,
    tolerance: Tolerance = Tolerance(),
) -> ToleranceVerdict:
    """Who confirms this change, and every reason a team manager is needed (none: coordinator)."""
    top = len(tolerance.bands)
    before_band = band_of(weekly_before_pence, tolerance.bands)
    after_band = band_of(weekly_after_pence, tolerance.bands)
    from_order = minutes_after - ordered_minutes
    reasons: list[str] = []
    if abs(from_order) > tolerance.minutes:
        reasons.append(
            f"It moves the package {_hours(from_order)} from the hours first ordered, more than "
            f"the {_hours(tolerance.minutes)} a provider may change."
        )
    change = abs(weekly_after_pence - weekly_before_pence)
    # More than the percentage, in whole numbers: change / before > percent / 100.
    over_percent = change * 100 > tolerance.percent * weekly_before_pence
    if over_percent and after_band != before_band and after_band <= top and before_band <= top:
        reasons.append(
            f"The package's weekly cost changes by more than {tolerance.percent}% and moves from "
            f"band {before_band} to band {after_band}."
        )
    if before_band > top:
        reasons.append(
            f"The package is already above the top band ({_pounds(tolerance.bands[-1])} a week)."
        )
    elif after_band > top:
        reasons.append(
            f"The change takes the package above the top band ({_pounds(tolerance.bands[-1])} a "
            "week)."
        )
    return ToleranceVerdict(
        route=ChangeRoute.TEAM_MANAGER if reasons else ChangeRoute.COORDINATOR,
        reasons=tuple(reasons),
        minutes_from_order=from_order,
        band_before=before_band,
        band_after=after_band,
    )


# --- the package as a whole --------------------------------------------------------------------


class PackageLine(msgspec.Struct, frozen=True, kw_only=True):
    """One live support line of the plan, as the rule needs it."""

    id: str
    cost_pence: int
    frequency: str
    minutes_per_week: int | None = None
    # The hours first ordered for this line (kept by every later line); None: not yet ordered.
    ordered_minutes_per_week: int | None = None


class PackageFigures(msgspec.Struct, frozen=True, kw_only=True):
    """The package before and after one change: weekly cost in pence, hours in minutes."""

    weekly_before_pence: int
    weekly_after_pence: int
    ordered_minutes: int
    minutes_before: int
    minutes_after: int


def _recurring(line: PackageLine) -> bool:
    return Frequency(line.frequency) is not Frequency.one_off


def package_figures(
    lines: list[PackageLine], changed_id: str, minutes_after: int, line_weekly_after_pence: int
) -> PackageFigures:
    """The package's weekly cost and hours, before and after the changed line becomes
    `minutes_after` hours at `line_weekly_after_pence` a week (a weekly line from then on).

    Weekly figures come from the exact annual totals (as the plan's money summary does), so a
    package of many lines is not a sum of rounded pennies."""
    annual_before = annual_after = 0
    ordered = minutes_before = minutes_now = 0
    for line in lines:
        if not _recurring(line):
            continue
        changed = line.id == changed_id
        annual = annual_pence(line.cost_pence, line.frequency)
        annual_before += annual
        annual_after += (
            annual_pence(line_weekly_after_pence, Frequency.weekly) if changed else annual
        )
        if line.minutes_per_week is None:
            continue
        first = line.ordered_minutes_per_week
        ordered += first if first is not None else line.minutes_per_week
        minutes_before += line.minutes_per_week
        minutes_now += minutes_after if changed else line.minutes_per_week
    return PackageFigures(
        weekly_before_pence=weekly_pence(annual_before, Frequency.annual),
        weekly_after_pence=weekly_pence(annual_after, Frequency.annual),
        ordered_minutes=ordered,
        minutes_before=minutes_before,
        minutes_after=minutes_now,
    )


def route_package_change(
    figures: PackageFigures, tolerance: Tolerance = Tolerance()
) -> ToleranceVerdict:
    """The tolerance rule on the package as a whole (seed 002)."""
    return route_change(
        ordered_minutes=figures.ordered_minutes,
        minutes_after=figures.minutes_after,
        weekly_before_pence=figures.weekly_before_pence,
        weekly_after_pence=figures.weekly_after_pence,
        tolerance=tolerance,
    )
