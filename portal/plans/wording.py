"""A plan as people read it: each section's fields and their labels, outcome tags, hours and
money in words. The section pages and the exported document both show a plan with these, so
they say the same thing; nothing here knows about requests or forms being parsed."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import msgspec

from portal.plans.allocation import StaffAllocation
from portal.plans.content import (
    FIELD_LABELS,
    HOLDING_LABELS,
    RISK_LABELS,
    SECTION_TYPES,
    Holding,
    OutcomeStatus,
)
from portal.plans.money import FREQUENCY_LABELS, Frequency, MoneySummary, weekly_pence
from portal.templating import pounds, uk_date

MAX_RISKS = 50
SHORT_TEXT = 200

_HINTS: dict[tuple[str, str], str] = {
    ("starting_point", "who_helped_me_plan"): (
        "For example, a family member, a friend, a broker or a social worker."
    ),
    ("about_me", "how_decisions_are_reached"): (
        "Only if you do not make your own decisions, for example a best interests meeting."
    ),
    ("about_me", "representative_name"): (
        "Only if someone speaks for you, for example someone with lasting power of attorney."
    ),
    ("staying_safe", "point_of_contact_details"): "For example, a phone number or email address.",
    ("money", "allocation_pence"): (
        "What you were told, in pounds, for example 1,250.50. Leave it empty if you do not know "
        "it yet. The organisation that signs off your plan sets the figure it checks your plan "
        "against, and you will see it on your money page."
    ),
    ("money", "holding"): "Select all that apply.",
    ("review", "review_date"): "For example, 15 3 2027",
}


LINES_HINT = "Write one thing on each line."


class FormField(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: str  # text, long, lines, yesno, risks, pounds, frequency, holding, date
    label: str
    hint: str = ""
    limit: int = 0
    max_items: int = 0

    @property
    def input_name(self) -> str:
        return "allocation" if self.kind == "pounds" else self.name

    @property
    def anchor(self) -> str:
        """Where the error summary's link for this field lands."""
        if self.kind == "date":
            return f"{self.name}-day"
        return self.input_name


def _kind(type_info: Any) -> tuple[str, int, int]:
    """(kind, character limit, item limit) for one content field's type."""
    t = msgspec.inspect
    if isinstance(type_info, t.StrType):
        limit = type_info.max_length or 0
        return ("text" if limit and limit <= SHORT_TEXT else "long"), limit, 0
    if isinstance(type_info, t.ListType):
        item = type_info.item_type
        if isinstance(item, t.StrType):
            return "lines", item.max_length or 0, type_info.max_length or 0
        if isinstance(item, t.StructType):
            return "risks", 0, type_info.max_length or MAX_RISKS
        if isinstance(item, t.EnumType) and item.cls is Holding:
            return "holding", 0, 0
    if isinstance(type_info, t.EnumType) and type_info.cls is Frequency:
        return "frequency", 0, 0
    if isinstance(type_info, t.UnionType):
        kinds = {type(x) for x in type_info.types} - {t.NoneType}
        if kinds == {t.BoolType}:
            return "yesno", 0, 0
        if kinds == {t.IntType}:
            return "pounds", 0, 0
        if kinds == {t.DateType}:
            return "date", 0, 0
    raise TypeError(f"No form field for content of type {type_info!r}")


@functools.cache
def section_fields(key: str) -> tuple[FormField, ...]:
    info = msgspec.inspect.type_info(SECTION_TYPES[key])
    assert isinstance(info, msgspec.inspect.StructType)
    fields = []
    for field in info.fields:
        kind, limit, max_items = _kind(field.type)
        hint = _HINTS.get((key, field.name), LINES_HINT if kind == "lines" else "")
        fields.append(
            FormField(
                name=field.name,
                kind=kind,
                label=FIELD_LABELS[key][field.name],
                hint=hint,
                limit=limit,
                max_items=max_items,
            )
        )
    return tuple(fields)


def _sentence(label: str, words: str) -> str:
    words = words.strip()
    return f"{label}: {words}" + ("" if words.endswith((".", "!", "?")) else ".")


def readable(field: FormField, value: Any) -> list[str]:
    """A field's stored value as lines of plain text; empty means nothing was written."""
    if field.kind in ("text", "long"):
        return [value] if value else []
    if field.kind == "lines":
        return list(value or [])
    if field.kind == "yesno":
        return ["Yes" if value is True else "No" if value is False else "Not sure yet"]
    if field.kind == "risks":
        shown = []
        for risk in value or []:
            # Each part is a sentence: a full stop is added only where the person left none.
            parts = [_sentence(RISK_LABELS["risk"], risk.get("risk") or "not given")]
            if risk.get("mitigation"):
                parts.append(_sentence(RISK_LABELS["mitigation"], risk["mitigation"]))
            if risk.get("who_helps"):
                parts.append(_sentence(RISK_LABELS["who_helps"], risk["who_helps"]))
            shown.append(" ".join(parts))
        return shown
    if field.kind == "pounds":
        return [pounds(value)] if isinstance(value, int) and not isinstance(value, bool) else []
    if field.kind == "frequency":
        try:
            return [FREQUENCY_LABELS[Frequency(value)].capitalize()]
        except ValueError:
            return []
    if field.kind == "holding":
        shown = []
        for item in value or []:
            try:
                shown.append(HOLDING_LABELS[Holding(item)])
            except ValueError:
                continue
        return shown
    if field.kind == "date":
        if isinstance(value, str) and value:
            return [uk_date(dt.date.fromisoformat(value))]
        if isinstance(value, dt.date):
            return [uk_date(value)]
        return []
    return [str(value)] if value else []


def readable_content(key: str, content: dict[str, Any]) -> list[dict[str, Any]]:
    """[{"label", "lines"}] for every field of a section, in form order."""
    return [
        {"name": f.name, "label": f.label, "lines": readable(f, content.get(f.name))}
        for f in section_fields(key)
    ]


def field_label(key: str, name: str) -> str:
    return FIELD_LABELS.get(key, {}).get(name, name.replace("_", " ").capitalize())


OUTCOME_TAGS: dict[str, dict[str, str]] = {
    OutcomeStatus.proposed: {"text": "Proposed", "colour": "blue"},
    OutcomeStatus.agreed: {"text": "Agreed", "colour": "green"},
    OutcomeStatus.declined: {"text": "Declined", "colour": "red"},
}


def hours_words(minutes: int | None) -> str:
    """Minutes a week as people say it: "9 hours 30 minutes", "1 hour", "45 minutes"."""
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours or not rest:
        parts.append(f"{hours} hour" + ("" if hours == 1 else "s"))
    if rest:
        parts.append(f"{rest} minute" + ("" if rest == 1 else "s"))
    return " ".join(parts)


def money_view(
    money: MoneySummary | None, organisation: StaffAllocation | None = None
) -> dict[str, Any] | None:
    """The plan's money in words: the recurring cost a week and a year, one-off costs this year
    beside it, and over or under the allocation: the organisation's figure once its staff have
    set it, otherwise the one noted in the plan (what the person was told)."""
    if money is None:
        return None
    view: dict[str, Any] = {
        "has_allocation": money.allocation_pence is not None,
        "allocation_weekly": money.allocation_weekly_pence,
        "allocation_annual": money.allocation_annual_pence,
        "total_weekly": money.total_weekly_pence,
        "total_annual": money.total_annual_pence,
        "one_off": money.one_off_this_year_pence,
        "one_off_count": money.one_off_count,
        "this_year": money.this_year_pence,
        "item_count": money.item_count,
        "organisation": None,
        "against": "the allocation noted in the plan",
        "difference": None,
    }
    difference = money.difference_annual_pence
    if organisation is not None:
        view["organisation"] = {
            "name": organisation.organisation_name,
            "annual": organisation.annual_pence,
            "weekly": weekly_pence(organisation.annual_pence, "annual"),
            "set_by": organisation.set_by,
            "set_at": organisation.set_at,
        }
        view["against"] = f"the allocation {organisation.organisation_name} set"
        difference = organisation.annual_pence - money.this_year_pence
    if difference is not None:
        amount = abs(difference)
        if difference > 0:
            words = "Under by"
        elif difference < 0:
            words = "Over by"
        else:
            words = ""
        view["difference"] = {
            "words": words,
            "annual": amount,
            "weekly": weekly_pence(amount, "annual"),
            "over": difference < 0,
        }
    return view
