"""The tolerance rule for a provider's change to a care package (seed 002), as a pure function.

A provider may flex a package by up to five hours a week from the hours first ordered, and the
care coordinator confirms it, unless the change is more than 20% and moves the weekly cost into
another band, or the package is (or would be) above the top band: then a team manager decides.
Costs are weekly totals in pence. The figures are the signing-off organisation's own settings
(`organisation.tolerance_*`); the defaults are the seed's: 5 hours, 20%, and the bands
£0–75, £76–150, £151–225, £226–300.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

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
            f"The weekly cost changes by more than {tolerance.percent}% and moves from band "
            f"{before_band} to band {after_band}."
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
