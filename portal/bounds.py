"""What a number or a date taken from a request may be: what the database can hold, and days
that make sense. Every integer in a path, query, header or body, and every date, is one of these.

Out of range is never a database error (a 500): in a path it is 404 (nothing has that number),
in a query or body 422 naming the field and saying the range, in If-Match 400 as any other
If-Match that is not a version. Nothing is changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar.params import PathParameter, QueryParameter
from msgspec import Meta

from portal.core.clock import ENGLAND
from portal.core.clock import today as england_today
from portal.core.money import MAX_WEEKLY_PENCE

# PostgreSQL's `integer` (Piccolo's Integer: versions, numbers, positions, minutes) is int4;
# `bigint` (BigInt: pence, sequence numbers) is int8. SQLite holds int8 in both.
INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1
# Pence a body may carry: an int8 column holds it with room to add up a plan's items. The
# services refuse anything over £1,000,000 a week (MAX_WEEKLY_PENCE) in a sentence of their own.
PENCE_HELD = 2**62
# Pages of a list: 10,000 pages of 100 is a million items, more than any tray will hold.
MAX_PAGE = 10_000

# --- integers in bodies (msgspec) -------------------------------------------------------------

# No body carries a version (If-Match and the path do); none carries a bare count either.
Pence = Annotated[int, Meta(ge=-PENCE_HELD, le=PENCE_HELD)]
"""An amount in pence, signed: the services say which amounts a plan accepts."""
PositivePence = Annotated[int, Meta(ge=0, le=PENCE_HELD)]
WeeklyPence = Annotated[int, Meta(ge=0, le=MAX_WEEKLY_PENCE)]
"""Pence a week, up to the £1,000,000 a week that is the most a plan can hold."""
BandPence = Annotated[int, Meta(ge=1, le=MAX_WEEKLY_PENCE)]
Percent = Annotated[int, Meta(ge=0, le=1000, description="A percentage, from 0 to 1000")]
MinutesPerWeek = Annotated[int, Meta(ge=0, le=10_080, description="Minutes (a week has 10,080)")]

# --- integers in paths and queries (Litestar parameters) --------------------------------------
# Litestar reads the bounds of a parameter from its own Parameter, never from msgspec's Meta.

VersionInPath = Annotated[
    int, PathParameter(ge=0, le=INT4_MAX, description="A version, from 0 to 2147483647")
]
"""A version in a path: one out of range does not exist, so it is 404."""
PageNumber = Annotated[
    int, QueryParameter(name="page", ge=1, le=MAX_PAGE, description=f"From 1 to {MAX_PAGE}")
]


def int_range_at(body_type: Any, path: str) -> tuple[int | None, int | None] | None:
    """The bounds of the integer at `path` ("$.items[0].cost" or "items.0.cost") in a body type,
    so that a refusal can say the whole range: msgspec's message names only the side crossed."""
    try:
        info = msgspec.inspect.type_info(body_type)
    except (TypeError, ValueError):
        return None
    for part in (p for p in re.split(r"[.\[\]]", path.removeprefix("$")) if p):
        inner = _step(info, part)
        if inner is None:
            return None
        info = inner
    for member in _members(info):
        if isinstance(member, msgspec.inspect.IntType):
            return member.ge, member.le
    return None


def _members(info: msgspec.inspect.Type) -> list[msgspec.inspect.Type]:
    # A description (Meta without bounds) wraps the type in Metadata: look inside it.
    members = list(info.types) if isinstance(info, msgspec.inspect.UnionType) else [info]
    return [m.type if isinstance(m, msgspec.inspect.Metadata) else m for m in members]


def _step(info: msgspec.inspect.Type, part: str) -> msgspec.inspect.Type | None:
    for member in _members(info):
        if isinstance(member, msgspec.inspect.StructType):
            for field in member.fields:
                if field.encode_name == part:
                    return field.type
        elif isinstance(member, msgspec.inspect.ListType) and part.isdigit():
            return member.item_type
    return None


def range_words(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"a whole number from {low} to {high}"
    if high is not None:
        return f"a whole number no more than {high}"
    return f"a whole number of at least {low}"


# --- versions in headers and forms ------------------------------------------------------------


def parse_whole(raw: str, low: int, high: int) -> int | None:
    """A whole number typed as digits within low..high (high >= 0), or None when it is not one.

    str.isdigit() alone takes "²", which int() refuses (a 500), and int() refuses more than
    4,300 digits: ASCII digits only, and no more of them than the highest value has."""
    value = raw.strip()
    if not value or not value.isascii() or not value.isdigit() or len(value) > len(str(high)):
        return None
    number = int(value)
    return number if low <= number <= high else None


def parse_version(raw: str) -> int | None:
    """A version typed as digits (a form field, an If-Match ETag), or None when no row could
    have it."""
    return parse_whole(raw, 0, INT4_MAX)


# --- dates ------------------------------------------------------------------------------------


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year + years, day=28)


def uk_day(day: dt.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


class OutOfWindow(ValueError):
    """A date outside its window. The message names the field, so that msgspec and Litestar,
    which keep only the text of a __post_init__ error, can still say which field it was."""

    def __init__(self, field: str, sentence: str) -> None:
        super().__init__(f"Field `{field}`: {sentence}")
        self.field = field
        self.sentence = sentence


@dataclass(frozen=True)
class DateWindow:
    """The days a date may fall on, counted from today in England."""

    earliest: Callable[[dt.date], dt.date]
    latest: Callable[[dt.date], dt.date]
    # How the window is said, with {earliest} and {latest} filled in, after "must be".
    words: str

    def days(self, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
        day = today or england_today()
        return self.earliest(day), self.latest(day)

    def describe(self, today: dt.date | None = None) -> str:
        first, last = self.days(today)
        return self.words.format(earliest=uk_day(first), latest=uk_day(last))

    def holds(self, value: dt.date | dt.datetime, today: dt.date | None = None) -> bool:
        first, last = self.days(today)
        if not isinstance(value, dt.datetime):
            return first <= value <= last
        # A moment: from the first day's start in England to the end of the last day, which is
        # the next midnight (how the sharing pages keep "until 5 March").
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        start = dt.datetime.combine(first, dt.time(0), tzinfo=ENGLAND)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=ENGLAND)
        # Aware datetimes compare as instants, even year 1 or 9999 that cannot move zone.
        return start <= value <= end


_FIRST_DAY = dt.date(1900, 1, 1)

# Sharing and invitations end after today (the services check "after now" to the second).
EXPIRY = DateWindow(
    earliest=lambda today: today,
    latest=lambda today: _years_after(today, 10),
    words="in the future, and no later than {latest} (10 years from today)",
)
# A review is after today, as the sign-off service asks, and within 10 years.
REVIEW = DateWindow(
    earliest=lambda today: today + dt.timedelta(days=1),
    latest=lambda today: _years_after(today, 10),
    words="after today, and no later than {latest} (10 years from today)",
)
# Other dates in a plan (an action's due date, the review date the person writes down) may be
# in the past (done, or overdue), but not before 1900 nor more than 10 years ahead.
PLAN_DATE = DateWindow(
    earliest=lambda today: _FIRST_DAY,
    latest=lambda today: _years_after(today, 10),
    words="from {earliest} to {latest} (10 years from today)",
)
# Nothing asks for a birth date. When something does, its window is from 1900 to today: a
# birth date is a day that has happened (an outer bound of 2200 would admit the unborn).


def check_dates(struct: msgspec.Struct, windows: dict[str, DateWindow]) -> None:
    """Refuse the first field whose date is outside its window (None and UNSET are no date)."""
    for field, window in windows.items():
        value = getattr(struct, field, None)
        if isinstance(value, dt.date) and not window.holds(value):
            raise OutOfWindow(field, f"The date must be {window.describe()}")


__all__ = [
    "BandPence",
    "DateWindow",
    "EXPIRY",
    "INT4_MAX",
    "INT8_MAX",
    "MAX_PAGE",
    "MinutesPerWeek",
    "OutOfWindow",
    "PLAN_DATE",
    "PageNumber",
    "Pence",
    "Percent",
    "PositivePence",
    "REVIEW",
    "VersionInPath",
    "WeeklyPence",
    "check_dates",
    "int_range_at",
    "parse_version",
    "parse_whole",
    "range_words",
    "uk_day",
]
