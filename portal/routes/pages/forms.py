"""Reading HTML forms: what people type, kept as typed, and errors they can act on.

Every parser here returns the value to store or raises FieldProblem with a sentence in the
NHS.UK error message style; the page shows it by the field and in the error summary.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from portal.bounds import PLAN_DATE, DateWindow, parse_version, parse_whole
from portal.core.errors import Malformed
from portal.plans.money import Frequency, check_cost

Form = Mapping[str, Any]


class FieldProblem(ValueError):
    """What is wrong with one field, said to the person who typed it."""


def text(form: Any, name: str) -> str:
    """A field's text with browser line endings made plain; missing fields are empty."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def form_version(form: Any, name: str = "version") -> int:
    """The version a form was opened at, which saving names (like If-Match in the API)."""
    version = parse_version(text(form, name))
    if version is None:
        raise Malformed("Version missing", "Open the page again and make your change there.")
    return version


def check_length(label: str, value: str, limit: int) -> None:
    if limit and len(value) > limit:
        raise FieldProblem(
            f"{label} must be {limit:,} characters or fewer (you have {len(value):,})"
        )


def lines(value: str) -> list[str]:
    """One thing on each line; blank lines and spaces around each thing are left out."""
    return [line.strip() for line in value.split("\n") if line.strip()]


_POUNDS = re.compile(r"^(?P<whole>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<pence>\d{1,2}))?$")


def parse_pounds(raw: str, label: str) -> int:
    """Pounds as people write them ("1,250.50", "£1250", "12.5") as whole pence, no floats."""
    value = raw.strip().replace(" ", "")
    if value.startswith("£"):
        value = value[1:]
    match = _POUNDS.match(value)
    if not value or not match or (match.group("whole") is None and match.group("pence") is None):
        if value.startswith("-"):
            raise FieldProblem(f"{label} must be more than £0.00")
        raise FieldProblem(f"Enter {label.lower()} in pounds and pence, like 1,250.50")
    whole_text = (match.group("whole") or "0").replace(",", "")
    # More digits than 10**12 has is too large, and int() would refuse 4,300 of them (a 500).
    if len(whole_text) > 13 or not whole_text.isascii() or int(whole_text) > 10**12:
        raise FieldProblem(f"{label} is too large. Check the amount")
    whole = int(whole_text)
    pence_text = match.group("pence") or "0"
    if not pence_text.isascii():
        raise FieldProblem(f"Enter {label.lower()} in pounds and pence, like 1,250.50")
    pence = int(pence_text) * (10 if len(pence_text) == 1 else 1)
    return whole * 100 + pence


def parse_cost(raw: str, label: str, frequency: Frequency | str) -> int:
    """A cost or allocation in pence that the plan can hold, checked as the service will."""
    pence = parse_pounds(raw, label)
    try:
        check_cost(pence, frequency)
    except ValueError as exc:
        raise FieldProblem(str(exc)) from exc
    return pence


def pounds_value(pence: int | None) -> str:
    """Pence shown back in a form field as pounds, ready to be read again by parse_pounds."""
    if pence is None:
        return ""
    whole, part = divmod(pence, 100)
    return f"{whole}.{part:02d}"


def date_parts(form: Any, name: str) -> dict[str, str]:
    return {part: text(form, f"{name}[{part}]").strip() for part in ("day", "month", "year")}


def date_values(value: dt.date | str | None) -> dict[str, str]:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if value is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def parse_date(parts: dict[str, str], label: str, window: DateWindow = PLAN_DATE) -> dt.date | None:
    """An NHS.UK date input's three boxes as a date within its window; all empty is no date."""
    if not any(parts.values()):
        return None
    missing = [part for part in ("day", "month", "year") if not parts[part]]
    if missing:
        raise FieldProblem(f"{label} must include a {' and a '.join(missing)}")
    if not all(parts[p].isdigit() for p in parts) or len(parts["year"]) != 4:
        raise FieldProblem(f"{label} must be a real date, like 15 3 2027")
    try:
        day = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise FieldProblem(f"{label} must be a real date, like 15 3 2027") from None
    if not window.holds(day):
        raise FieldProblem(f"{label} must be {window.describe()}")
    return day


MINUTES_IN_A_WEEK = 7 * 24 * 60


def hours_parts(form: Any, name: str) -> dict[str, str]:
    return {part: text(form, f"{name}[{part}]").strip() for part in ("hours", "minutes")}


def hours_values(minutes: int | None) -> dict[str, str]:
    if minutes is None:
        return {"hours": "", "minutes": ""}
    hours, rest = divmod(minutes, 60)
    return {"hours": str(hours), "minutes": str(rest)}


def parse_hours(parts: dict[str, str], label: str, *, required: str = "") -> int | None:
    """Hours and minutes typed in two boxes as minutes a week; both empty is none (or an error
    when `required` says what to enter)."""
    if not any(parts.values()):
        if required:
            raise FieldProblem(required)
        return None
    hours_text, minutes_text = parts["hours"] or "0", parts["minutes"] or "0"
    hours, minutes = parse_whole(hours_text, 0, 999), parse_whole(minutes_text, 0, 99)
    if hours is None or minutes is None:
        raise FieldProblem(f"{label} must be whole hours and minutes, like 9 hours and 30 minutes")
    if minutes > 59:
        raise FieldProblem(f"{label}: the minutes must be from 0 to 59")
    total = hours * 60 + minutes
    if total > MINUTES_IN_A_WEEK:
        raise FieldProblem(f"{label} must be at most 168 hours, the hours in a week")
    return total


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+() \-]*$")


def check_email(value: str) -> None:
    if value and not _EMAIL.match(value):
        raise FieldProblem("Enter an email address in the correct format, like name@example.com")


def check_phone(value: str) -> None:
    if value and (not _PHONE.match(value) or sum(c.isdigit() for c in value) < 3):
        raise FieldProblem("Enter a phone number, like 01632 960 001 or +44 7700 900 982")
