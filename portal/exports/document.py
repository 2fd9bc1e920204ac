"""The plan as people read it, in one view model for the web pages and the printed copy.

`content_view` takes a plan's content in the shape a version keeps it (see
`portal.plans.reading.snapshot_plan`), already cut down to what the reader may see, and gives
each section with its fields in words and its list as a table. The version page shows it; the
PDF prints it. `content_of` puts the current plan (`PlanRead`, what the plan pages show) into
that same shape, so a printed copy and the page it was printed from never disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.plans.allocation import StaffAllocation
from portal.plans.money import FREQUENCY_LABELS, Frequency, MoneySummary
from portal.plans.schemas import PlanRead
from portal.plans.wording import OUTCOME_TAGS, hours_words, money_view, readable_content
from portal.templating import pounds, uk_date

__all__ = ["content_of", "content_view", "day", "money_of"]

LIST_TITLES = {
    "outcomes": "Outcomes",
    "money": "Support and what it costs",
    "action_plan": "Actions",
    "contacts": "Contacts",
}


def content_of(plan: PlanRead) -> dict[str, Any]:
    """The plan as its reader sees it now, in the shape a version keeps its content."""
    values: dict[str, Any] = msgspec.to_builtins(plan)
    return {
        "title": plan.title,
        "kind": plan.kind,
        "sections": {s["key"]: s["content"] for s in values["sections"]},
        "outcomes": values["outcomes"],
        "support_items": values["support_items"],
        "actions": values["actions"],
        "contacts": values["contacts"],
        **({"money": values["money"]} if plan.money is not None else {}),
        **(
            {"organisation_allocation": values["organisation_allocation"]}
            if plan.money is not None and plan.organisation_allocation is not None
            else {}
        ),
    }


def _frequency(value: Any) -> str:
    try:
        return FREQUENCY_LABELS[Frequency(str(value))]
    except ValueError:
        return str(value)


def day(value: Any) -> dt.date | None:
    """A date a version keeps as ISO text, or None when there is none (or it is not a date)."""
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _pence(value: Any) -> str:
    return pounds(value) if isinstance(value, int) and not isinstance(value, bool) else ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _table(caption: str, columns: list[tuple[str, int]], rows: list[list[str]]) -> dict[str, Any]:
    """A table for the printed copy (columns as (header, share of the width in %); a column
    empty in every row is left out), and the same rows as labelled items for large print."""
    keep = [i for i in range(len(columns)) if i == 0 or any(row[i] for row in rows)]
    headers = [columns[i][0] for i in keep]
    total = sum(columns[i][1] for i in keep) or 1
    widths = [round(columns[i][1] * 100 / total, 1) for i in keep]
    rows = [[row[i] for i in keep] for row in rows]
    return {
        "caption": caption,
        "headers": headers,
        "widths": widths,
        "rows": rows,
        # Large print lays each row out as a heading and its labelled lines, not a grid.
        "blocks": [
            {
                "heading": row[0],
                "lines": [f"{h}: {v}" for h, v in zip(headers[1:], row[1:], strict=True) if v],
            }
            for row in rows
        ],
    }


def _outcome_rows(content: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:

    entries, rows = [], []
    for outcome in content.get("outcomes") or []:
        title, how = _text(outcome.get("title")), _text(outcome.get("how"))
        entries.append(title + (f": {how}" if how else ""))
        status = OUTCOME_TAGS.get(str(outcome.get("status")), {}).get("text", "")
        reason = _text(outcome.get("status_reason"))
        rows.append([title, how, status + (f" ({reason})" if reason else "")])
    return entries, _table(
        "My outcomes", [("Outcome", 35), ("How I will get there", 45), ("Agreed?", 20)], rows
    )


def _support_rows(content: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:

    outcomes = {str(o.get("id")): _text(o.get("title")) for o in content.get("outcomes") or []}
    entries, rows = [], []
    for item in content.get("support_items") or []:
        words = _text(item.get("description"))
        if item.get("provider"):
            words += f" ({item['provider']})"
        cost = _pence(item.get("cost_pence"))
        how_often = _frequency(item.get("frequency"))
        if cost:
            words += f": {cost}, {how_often}"
        minutes = item.get("minutes_per_week")
        hours = hours_words(minutes) if isinstance(minutes, int) else ""
        if hours:
            words += f", {hours} a week"
        served = outcomes.get(str(item.get("outcome_id")), "")
        if served:
            words += f". For: {served}"
        entries.append(words)
        rows.append(
            [
                _text(item.get("description")),
                _text(item.get("provider")),
                f"{cost} {how_often}" if cost else "",
                # A one-off cost has no yearly figure: it is this year's, once.
                f"{_pence(item.get('this_year_pence') or item.get('cost_pence'))} one-off this year"
                if item.get("frequency") == "one_off"
                else _pence(item.get("annual_pence")),
                f"{hours} a week" if hours else "",
                served,
            ]
        )
    columns = [
        ("Support", 24),
        ("Who provides it", 17),
        ("Cost", 15),
        ("A year", 12),
        ("Hours", 11),
        ("For my outcome", 21),
    ]
    return entries, _table("My support and what it costs", columns, rows)


def _action_rows(content: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    entries, rows = [], []
    for action in content.get("actions") or []:
        what, who, due = (
            _text(action.get("what")),
            _text(action.get("who")),
            day(action.get("due_by")),
        )
        words = what
        if who:
            words += f". Who: {who}"
        if due:
            words += f". By {uk_date(due)}"
        if action.get("done"):
            words += ". Done"
        entries.append(words)
        rows.append(
            [what, who, uk_date(due) if due else "", "Done" if action.get("done") else "Not yet"]
        )
    return entries, _table(
        "My actions",
        [("What will happen", 46), ("Who", 22), ("By when", 18), ("Done?", 14)],
        rows,
    )


def _contact_rows(content: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    entries, rows = [], []
    for contact in content.get("contacts") or []:
        words = _text(contact.get("name"))
        if contact.get("role"):
            words += f" ({contact['role']})"
        for part in ("phone", "email"):
            if contact.get(part):
                words += f", {contact[part]}"
        if contact.get("when_to_contact"):
            words += f". When: {contact['when_to_contact']}"
        entries.append(words)
        rows.append(
            [
                _text(contact.get("name")),
                _text(contact.get("role")),
                _text(contact.get("phone")),
                _text(contact.get("email")),
                _text(contact.get("when_to_contact")),
            ]
        )
    columns = [
        ("Name", 18),
        ("Who they are", 18),
        ("Phone", 16),
        ("Email", 22),
        ("When to contact them", 26),
    ]
    return entries, _table("Who to contact", columns, rows)


_LISTS = {
    "outcomes": _outcome_rows,
    "money": _support_rows,
    "action_plan": _action_rows,
    "contacts": _contact_rows,
}


def content_view(content: dict[str, Any]) -> list[dict[str, Any]]:
    """A plan's sections in the plan's order, each with its fields as people read them and the
    list that belongs to it (outcomes, support, actions, contacts), as lines and as a table."""

    sections = content.get("sections") or {}
    shown = []
    for key in SECTION_KEYS:
        if key not in sections:
            continue
        entries: list[str] = []
        table: dict[str, Any] | None = None
        if key in _LISTS:
            entries, table = _LISTS[key](content)
        shown.append(
            {
                "key": key,
                "title": SECTION_TITLES[key],
                "fields": readable_content(key, sections[key] or {}),
                "list_title": LIST_TITLES.get(key),
                "entries": entries,
                "table": table,
            }
        )
    return shown


def money_of(content: dict[str, Any]) -> dict[str, Any] | None:
    """The money totals in words, when the reader may see the money."""

    money = content.get("money")
    if not isinstance(money, dict):
        return None
    given = content.get("organisation_allocation")
    try:
        return money_view(
            msgspec.convert(money, MoneySummary),
            msgspec.convert(given, StaffAllocation) if isinstance(given, dict) else None,
        )
    except msgspec.ValidationError:
        return None
