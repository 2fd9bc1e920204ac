"""Each section's form, derived from its typed content so the form and the Struct agree.

A field's kind comes from its type (short text is an input, long text a textarea, a list of
text one line per thing, and so on); labels come from portal.plans.content.FIELD_LABELS.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from portal.plans.content import (
    HOLDING_LABELS,
    RISK_LABELS,
    Holding,
    SectionContent,
    decode_section,
    empty_section,
    section_to_dict,
)
from portal.plans.money import FREQUENCY_LABELS, Frequency
from portal.plans.wording import MAX_RISKS, section_fields
from portal.problems import explain_validation
from portal.routes.pages.forms import (
    FieldProblem,
    check_length,
    date_parts,
    date_values,
    lines,
    parse_cost,
    parse_date,
    pounds_value,
    text,
)

FREQUENCIES = frozenset(f.value for f in Frequency)
HOLDINGS = frozenset(h.value for h in Holding)


YES_NO_ITEMS = [
    {"value": "yes", "text": "Yes"},
    {"value": "no", "text": "No"},
    {"value": "not_sure", "text": "Not sure yet"},
]
FREQUENCY_ITEMS = [
    {"value": frequency.value, "text": label.capitalize()}
    for frequency, label in FREQUENCY_LABELS.items()
]
HOLDING_ITEMS = [
    {"value": holding.value, "text": label} for holding, label in HOLDING_LABELS.items()
]


@functools.cache
def risk_limits() -> dict[str, int]:
    from portal.plans.content import Risk

    info = msgspec.inspect.type_info(Risk)
    assert isinstance(info, msgspec.inspect.StructType)
    return {f.name: getattr(f.type, "max_length", 0) or 0 for f in info.fields}


def anchors(key: str) -> dict[str, str]:
    return {f.input_name: f.anchor for f in section_fields(key) if f.anchor != f.input_name}


# --- stored content -> what the form shows ------------------------------------------------


def form_values(key: str, content: dict[str, Any]) -> dict[str, Any]:
    """The form's fields filled from stored content (JSON builtins, as the service returns)."""
    values: dict[str, Any] = {}
    for field in section_fields(key):
        value = content.get(field.name)
        if field.kind in ("text", "long"):
            values[field.input_name] = value or ""
        elif field.kind == "lines":
            values[field.input_name] = "\n".join(value or [])
        elif field.kind == "yesno":
            values[field.input_name] = (
                "yes" if value is True else "no" if value is False else "not_sure"
            )
        elif field.kind == "risks":
            values[field.input_name] = [
                {name: str(risk.get(name) or "") for name in RISK_LABELS} for risk in value or []
            ]
        elif field.kind == "pounds":
            values[field.input_name] = pounds_value(value)
        elif field.kind == "frequency":
            values[field.input_name] = value or Frequency.annual.value
        elif field.kind == "holding":
            values[field.input_name] = list(value or [])
        elif field.kind == "date":
            values[field.input_name] = date_values(value)
    return values


# --- what the person typed -> content --------------------------------------------------


class ParsedSection(msgspec.Struct):
    content: SectionContent | None
    values: dict[str, Any]
    errors: dict[str, str]


def _risks(form: Any) -> list[dict[str, str]]:
    try:
        count = int(text(form, "risks-count") or 0)
    except ValueError:
        count = 0
    risks = []
    for index in range(min(max(count, 0), MAX_RISKS + 1)):
        risk = {name: text(form, f"risks-{index}-{name}").strip() for name in RISK_LABELS}
        if any(risk.values()):
            risks.append(risk)
    return risks


def parse_section_form(key: str, form: Any) -> ParsedSection:
    """Typed content from a submitted form, or every problem with it and the input as typed."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    content: dict[str, Any] = {}
    frequency = text(form, "allocation_frequency").strip() or Frequency.annual.value
    for field in section_fields(key):
        name = field.input_name
        try:
            if field.kind in ("text", "long"):
                raw = text(form, name)
                values[name] = raw
                content[field.name] = raw.strip()
                check_length(field.label, content[field.name], field.limit)
            elif field.kind == "lines":
                raw = text(form, name)
                values[name] = raw
                items = lines(raw)
                content[field.name] = items
                if field.max_items and len(items) > field.max_items:
                    raise FieldProblem(
                        f"{field.label} can have up to {field.max_items} lines "
                        f"(you have {len(items)})"
                    )
                for number, item in enumerate(items, start=1):
                    check_length(f"Line {number} of {field.label.lower()}", item, field.limit)
            elif field.kind == "yesno":
                raw = text(form, name)
                values[name] = raw
                content[field.name] = {"yes": True, "no": False}.get(raw)
            elif field.kind == "risks":
                risks = _risks(form)
                values[name] = risks
                content[field.name] = risks
                limits = risk_limits()
                if len(risks) > field.max_items:
                    errors[f"risks-{field.max_items}-risk"] = (
                        f"A plan can have up to {field.max_items} risks"
                    )
                for index, risk in enumerate(risks):
                    for part, label in RISK_LABELS.items():
                        try:
                            check_length(f"{label} (risk {index + 1})", risk[part], limits[part])
                        except FieldProblem as exc:
                            errors[f"risks-{index}-{part}"] = str(exc)
            elif field.kind == "pounds":
                raw = text(form, name)
                values[name] = raw
                content[field.name] = None
                if raw.strip():
                    if frequency not in FREQUENCIES:
                        frequency = Frequency.annual.value
                    content[field.name] = parse_cost(raw, field.label, frequency)
            elif field.kind == "frequency":
                raw = text(form, name).strip()
                values[name] = raw
                if raw not in FREQUENCIES:
                    raise FieldProblem("Choose how often the allocation is given")
                content[field.name] = raw
            elif field.kind == "holding":
                chosen = [v for v in form.getall(name, []) if isinstance(v, str)]
                values[name] = chosen
                unknown = [v for v in chosen if v not in HOLDINGS]
                if unknown:
                    raise FieldProblem("Choose how the money is held from the list")
                content[field.name] = list(dict.fromkeys(chosen))
            elif field.kind == "date":
                parts = date_parts(form, name)
                values[name] = parts
                content[field.name] = parse_date(parts, field.label)
        except FieldProblem as exc:
            errors[name] = str(exc)
    if errors:
        return ParsedSection(None, values, errors)
    try:
        section = decode_section(key, content)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        # A rule the checks above missed: still say which field, in words.
        problem = explain_validation(exc)
        field_name = problem.field.split(".")[0].split("[")[0]
        target = next(
            (f.input_name for f in section_fields(key) if f.name == field_name),
            section_fields(key)[0].input_name,
        )
        return ParsedSection(None, values, {target: problem.message})
    return ParsedSection(section, values, {})


def field_errors_from_problem(key: str, errors: list[Any]) -> dict[str, str]:
    """A service's field errors (by content field name) as errors on this form's fields."""
    by_name = {f.name: f.input_name for f in section_fields(key)}
    first = section_fields(key)[0].input_name
    return {by_name.get(e.field, first): e.message for e in errors}


# --- content as people read it (history, conflicts) ------------------------------------


def empty_content(key: str) -> dict[str, Any]:
    return section_to_dict(empty_section(key))
