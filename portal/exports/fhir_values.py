"""The values a FHIR export writes: ids, references, text FHIR accepts, telecoms, money and
hours in words, dates and instants, and pruning what is empty (FHIR forbids it)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from portal.core.clock import ENGLAND
from portal.core.money import format_pounds
from portal.plans.money import FREQUENCY_LABELS, Frequency, annual_pence

Json = dict[str, Any]

# The section whose visibility lets each list through: a list is only exported with its section.
_LIST_SECTIONS = {
    "outcomes": "outcomes",
    "support_items": "money",
    "actions": "action_plan",
    "contacts": "contacts",
}

# FHIR strings may not hold characters below U+0020 other than tab, carriage return and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\".]+")
# Digits with spaces or brackets, as people write phone numbers; hyphens are left out so that a
# date such as 2026-03-01 in free text is not taken for one.
_PHONE = re.compile(r"(?:\+|\()?\d[\d ()]{5,}\d")


def visible_list(content: Json, name: str) -> list[Json]:
    """A list only when the audience may see its section, whatever the caller left in it."""
    if _LIST_SECTIONS[name] not in (content.get("sections") or {}):
        return []
    return [row for row in content.get(name) or [] if isinstance(row, dict)]


def stable_id(namespace: uuid.UUID, what: str) -> uuid.UUID:
    return uuid.uuid5(namespace, what)


def full_url(resource: Json) -> str:
    return f"urn:uuid:{resource['id']}"


def reference(resource: Json) -> Json:
    return {"reference": full_url(resource), "type": resource["resourceType"]}


def fhir_text(value: Any) -> str:
    """Text as written, less the control characters FHIR strings may not hold."""
    return "" if value is None else _CONTROL.sub("", str(value))


def same_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def extend_new(values: list[Json], more: list[Json]) -> None:
    for value in more:
        if value not in values:
            values.append(value)


def telecom(contact: str) -> list[Json]:
    """How to reach someone from what was written: a phone number or email address when that is
    all it is; otherwise the words as written (system "other"), and any number or address in
    them, so a receiving system can still dial it."""
    contact = contact.strip()
    if not contact:
        return []
    if _EMAIL.fullmatch(contact):
        return [{"system": "email", "value": contact}]
    if is_phone(contact):
        return [{"system": "phone", "value": contact}]
    found = [{"system": "phone", "value": p.strip()} for p in _PHONE.findall(contact)]
    found = [p for p in found if is_phone(p["value"])]
    found += [{"system": "email", "value": e} for e in _EMAIL.findall(contact)]
    return [{"system": "other", "value": contact}, *found]


def is_phone(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return _PHONE.fullmatch(text) is not None and 7 <= digits <= 15


def pence_of(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def cost_words(pence: Any, frequency: Any) -> str:
    """A cost as people say it, "£148.50 every week (£7,722.00 a year)"; never via floats."""
    amount = pence_of(pence)
    if amount is None:
        return ""
    try:
        how_often = Frequency(str(frequency))
    except ValueError:
        return format_pounds(amount)
    words = f"{format_pounds(amount)} {FREQUENCY_LABELS[how_often]}"
    if how_often not in (Frequency.annual, Frequency.one_off):
        words += f" ({format_pounds(annual_pence(amount, how_often))} a year)"
    return words


def hours_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("" if hours == 1 else "s"))
    if rest:
        parts.append(f"{rest} minute" + ("" if rest == 1 else "s"))
    return " ".join(parts)


def sentences(parts: list[str]) -> str:
    """Parts joined as sentences, each as written; a full stop only where one is missing."""
    text = ""
    for part in (p for p in parts if p.strip()):
        if text:
            text += " " if text.rstrip()[-1] in ".!?" else ". "
        text += part
    if text and text.rstrip()[-1] not in ".!?":
        text += "."
    return text


def date_of(value: Any) -> dt.date | None:
    """A date as content keeps it (ISO text, or a date), or None when it is not one."""
    if isinstance(value, dt.datetime):
        return london_date(value)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def moment_of(value: Any) -> dt.datetime | None:
    moment: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        moment = value
    elif value:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if moment is None:
        return None
    # The portal's times are UTC; a naive one (as SQLite gives back) is UTC too.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def london_date(value: Any) -> dt.date | None:
    """The day a moment fell on for the person, in England."""
    moment = moment_of(value)
    return moment.astimezone(ENGLAND).date() if moment else None


def instant(value: dt.datetime) -> str:
    moment = moment_of(value)
    assert moment is not None
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def prune(value: Any) -> Any:
    """Drop what FHIR forbids: empty or blank strings, empty lists and objects, and nulls."""
    if isinstance(value, dict):
        pruned = {key: prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if not empty(item)}
    if isinstance(value, list):
        return [item for item in (prune(v) for v in value) if not empty(item)]
    return value


def empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | dict) and not value
