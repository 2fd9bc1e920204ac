"""The lists a plan holds, as forms: each list's fields, and reading, filling and showing them.

Outcomes, support items (money), actions and contacts are each a `RowPage`: the fields its
form asks, in order, with the API's names they are saved under. The pages are
portal/routes/pages/rows.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.core.errors import DomainError
from portal.plans import schemas as plan_schemas
from portal.plans.money import FREQUENCY_LABELS, Frequency
from portal.plans.wording import hours_words
from portal.problems import explain_validation
from portal.routes.pages.forms import (
    FieldProblem,
    check_email,
    check_length,
    check_phone,
    date_parts,
    date_values,
    hours_parts,
    hours_values,
    parse_cost,
    parse_date,
    parse_hours,
    pounds_value,
    text,
)
from portal.templating import pounds, uk_date


class RowField(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # the form's field name, and the Struct attribute unless `attr` says otherwise
    kind: str  # text, long, pounds, frequency, outcome, date, done, email, tel, hours
    label: str
    hint: str = ""
    limit: int = 0
    required: str = ""  # the error when it is left empty
    attr: str = ""

    @property
    def struct_attr(self) -> str:
        return self.attr or self.name

    @property
    def column(self) -> str:
        """The name in a revision or conflict, which use the API's names (`outcome_id`)."""
        return self.struct_attr

    @property
    def anchor(self) -> str:
        if self.kind == "date":
            return f"{self.name}-day"
        if self.kind == "hours":
            return f"{self.name}-hours"
        return self.name


class RowPage(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # as portal.plans.rows.ROW_KINDS
    list_part: str  # the list page under /plans/{id}/
    item_part: str  # an item's page under /plans/{id}/
    nav: str
    section: str  # the section holding this list's notes
    title: str
    noun: str
    template: str
    fields: tuple[RowField, ...]
    create_type: type[msgspec.Struct]
    update_type: type[msgspec.Struct]
    label_field: str  # names an item in headings

    def anchors(self) -> dict[str, str]:
        return {f.name: f.anchor for f in self.fields if f.anchor != f.name}


_OUTCOME_FIELD = RowField(
    name="outcome",
    attr="outcome_id",
    kind="outcome",
    label="Which outcome this helps you achieve",
)

OUTCOMES = RowPage(
    kind="outcome",
    list_part="outcomes",
    item_part="outcomes",
    nav="outcomes",
    section="outcomes",
    title="My outcomes",
    noun="outcome",
    template="plans/outcomes.html",
    label_field="title",
    fields=(
        RowField(
            name="title",
            kind="text",
            label="The outcome I want",
            hint="For example, to go swimming every week with a friend.",
            limit=200,
            required="Enter the outcome you want",
        ),
        RowField(
            name="how",
            kind="long",
            label="How I will achieve it",
            hint="What you will do, and who will help.",
            limit=5000,
        ),
    ),
    create_type=plan_schemas.OutcomeCreate,
    update_type=plan_schemas.OutcomeUpdate,
)

SUPPORT = RowPage(
    kind="support",
    list_part="money",
    item_part="money/items",
    nav="money",
    section="money",
    title="Money",
    noun="support item",
    template="plans/money.html",
    label_field="description",
    fields=(
        RowField(
            name="description",
            kind="text",
            label="What the support is",
            hint="For example, a personal assistant 10 hours a week.",
            limit=200,
            required="Enter what the support is",
        ),
        RowField(
            name="provider",
            kind="text",
            label="Who provides it (optional)",
            limit=200,
        ),
        RowField(
            name="cost",
            attr="cost_pence",
            kind="pounds",
            label="How much it costs",
            hint="In pounds, for example 125.50",
            required="Enter how much it costs",
        ),
        RowField(
            name="frequency",
            kind="frequency",
            label="How often it is paid",
            required="Choose how often it is paid",
        ),
        RowField(
            name="hours_a_week",
            attr="minutes_per_week",
            kind="hours",
            label="Hours a week (optional)",
            hint=(
                "If this support is hours of care, how many hours a week. For example, "
                "9 hours and 30 minutes. Leave it empty for a one-off cost."
            ),
        ),
        _OUTCOME_FIELD,
    ),
    create_type=plan_schemas.SupportItemCreate,
    update_type=plan_schemas.SupportItemUpdate,
)

ACTIONS = RowPage(
    kind="action",
    list_part="actions",
    item_part="actions",
    nav="actions",
    section="action_plan",
    title="Action plan",
    noun="action",
    template="plans/actions.html",
    label_field="what",
    fields=(
        RowField(
            name="what",
            kind="long",
            label="What will be done",
            limit=5000,
            required="Enter what will be done",
        ),
        RowField(
            name="who",
            kind="text",
            label="Who will do it",
            hint="For example, me, my sister Amy, or my care coordinator.",
            limit=200,
        ),
        RowField(
            name="due_by",
            kind="date",
            label="When it will be done by",
            hint="For example, 15 3 2027",
        ),
        _OUTCOME_FIELD,
        RowField(name="done", kind="done", label="This has been done"),
    ),
    create_type=plan_schemas.ActionCreate,
    update_type=plan_schemas.ActionUpdate,
)

CONTACTS = RowPage(
    kind="contact",
    list_part="contacts",
    item_part="contacts",
    nav="contacts",
    section="contacts",
    title="Who to contact",
    noun="contact",
    template="plans/contacts.html",
    label_field="name",
    fields=(
        RowField(
            name="name",
            kind="text",
            label="Name",
            limit=200,
            required="Enter the contact's name",
        ),
        RowField(
            name="role",
            kind="text",
            label="Who they are to me",
            hint="For example, GP, care coordinator, neighbour or sister.",
            limit=200,
        ),
        RowField(
            name="when_to_contact",
            kind="long",
            label="When to contact them",
            hint="For example, if my personal assistant does not arrive.",
            limit=5000,
        ),
        RowField(name="phone", kind="tel", label="Phone number (optional)", limit=40),
        RowField(name="email", kind="email", label="Email address (optional)", limit=320),
    ),
    create_type=plan_schemas.ContactCreate,
    update_type=plan_schemas.ContactUpdate,
)

ROW_PAGES = (OUTCOMES, SUPPORT, ACTIONS, CONTACTS)
FREQUENCIES = frozenset(f.value for f in Frequency)


# --- reading and showing a row's form -------------------------------------------------------


class RowForm(msgspec.Struct):
    """A row form as sent: the item to save (None when the form has errors), the values shown
    back as typed, and the errors by field."""

    body: Any
    values: dict[str, Any]
    errors: dict[str, str]

    def refused(self, page: RowPage, problem: DomainError) -> None:
        """The service's refusal of what was typed, next to the fields it names."""
        by_attr = {f.struct_attr: f.name for f in page.fields}
        self.errors = {by_attr.get(e.field, page.fields[0].name): e.message for e in problem.errors}


def read_row_form(page: RowPage, form: Any, outcome_ids: set[str], *, update: bool) -> RowForm:
    """The form as the service's create or update type, checked as the service will."""
    data, values, errors = _parse(page, form, outcome_ids)
    if errors:
        return RowForm(None, values, errors)
    try:
        body = msgspec.convert(data, page.update_type if update else page.create_type)
    except msgspec.ValidationError as exc:
        error = explain_validation(exc)
        name = next(
            (f.name for f in page.fields if f.struct_attr == error.field), page.fields[0].name
        )
        return RowForm(None, values, {name: error.message})
    return RowForm(body, values, {})


def _parse(
    page: RowPage, form: Any, outcome_ids: set[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    frequency = text(form, "frequency").strip()
    for field in page.fields:
        name = field.name
        try:
            if field.kind in ("text", "long", "email", "tel"):
                raw = text(form, name)
                values[name] = raw
                value = raw.strip()
                data[field.struct_attr] = value
                if field.required and not value:
                    raise FieldProblem(field.required)
                check_length(field.label.removesuffix(" (optional)"), value, field.limit)
                if field.kind == "email":
                    check_email(value)
                if field.kind == "tel":
                    check_phone(value)
            elif field.kind == "pounds":
                raw = text(form, name)
                values[name] = raw
                if not raw.strip():
                    raise FieldProblem(field.required)
                data[field.struct_attr] = parse_cost(
                    raw, field.label, frequency if frequency in FREQUENCIES else Frequency.weekly
                )
            elif field.kind == "frequency":
                values[name] = frequency
                if frequency not in FREQUENCIES:
                    raise FieldProblem(field.required)
                data[field.struct_attr] = frequency
            elif field.kind == "outcome":
                raw = text(form, name).strip()
                values[name] = raw
                if raw and raw not in outcome_ids:
                    raise FieldProblem("Choose an outcome from the list, or none")
                data[field.struct_attr] = uuid.UUID(raw) if raw else None
            elif field.kind == "date":
                parts = date_parts(form, name)
                values[name] = parts
                data[field.struct_attr] = parse_date(parts, field.label)
            elif field.kind == "done":
                checked = text(form, name) == "yes"
                values[name] = checked
                data[field.struct_attr] = checked
            elif field.kind == "hours":
                hours = hours_parts(form, name)
                values[name] = hours
                label = field.label.removesuffix(" (optional)")
                data[field.struct_attr] = parse_hours(hours, label)
        except FieldProblem as exc:
            errors[name] = str(exc)
    return data, values, errors


def row_values(page: RowPage, row: Any) -> dict[str, Any]:
    """An item's stored fields as the form shows them."""
    values: dict[str, Any] = {}
    for field in page.fields:
        value = getattr(row, field.struct_attr)
        if field.kind == "pounds":
            values[field.name] = pounds_value(value)
        elif field.kind == "frequency":
            values[field.name] = str(value)
        elif field.kind == "outcome":
            values[field.name] = str(value) if value else ""
        elif field.kind == "date":
            values[field.name] = date_values(value)
        elif field.kind == "done":
            values[field.name] = bool(value)
        elif field.kind == "hours":
            values[field.name] = hours_values(value)
        else:
            values[field.name] = value or ""
    return values


def empty_values(page: RowPage) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in page.fields:
        if field.kind == "date":
            values[field.name] = date_values(None)
        elif field.kind == "done":
            values[field.name] = False
        elif field.kind == "hours":
            values[field.name] = hours_values(None)
        else:
            values[field.name] = ""
    return values


def row_display(
    page: RowPage, stored: dict[str, Any], outcomes: dict[str, str]
) -> list[dict[str, Any]]:
    """An item's fields as people read them: [{"label", "text"}], from a read or a conflict."""
    shown = []
    for field in page.fields:
        value = stored.get(field.column, stored.get(field.struct_attr))
        if field.kind == "pounds":
            words = pounds(value) if isinstance(value, int) else ""
        elif field.kind == "frequency":
            try:
                words = FREQUENCY_LABELS[Frequency(str(value))].capitalize()
            except ValueError:
                words = ""
        elif field.kind == "outcome":
            words = outcomes.get(str(value), "") if value else "Not linked to an outcome"
        elif field.kind == "date":
            words = (
                uk_date(dt.date.fromisoformat(value))
                if isinstance(value, str) and value
                else (uk_date(value) if isinstance(value, dt.date) else "")
            )
        elif field.kind == "done":
            words = "Yes" if value else "No"
        elif field.kind == "hours":
            words = f"{hours_words(value)} a week" if isinstance(value, int) else "Not recorded"
        else:
            words = str(value or "")
        shown.append({"label": field.label.removesuffix(" (optional)"), "text": words})
    return shown
