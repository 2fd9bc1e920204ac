"""The lists a plan holds: outcomes, support items (money), actions and contacts.

Each list has one page (the items and a form to add one), a page to change an item, and
a page to remove it. Changing and removing carry the item's version, like If-Match in the
API: if someone else changed the item meanwhile, nothing is overwritten or removed.
"""

# No `from __future__ import annotations`: the handlers are built by a factory and Litestar
# reads their annotations as real types.
import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.bounds import parse_version, parse_whole
from portal.consent.policy import Permission, decide, is_owner
from portal.core.actor import Actor
from portal.core.errors import DomainError, Invalid, Malformed
from portal.plans import access as plan_access
from portal.plans import reading as plan_reading
from portal.plans import rows as plan_rows
from portal.plans import schemas as plan_schemas
from portal.plans import versions as plan_versions
from portal.plans.content import OutcomeStatus
from portal.plans.money import FREQUENCY_LABELS, Frequency
from portal.plans.wording import OUTCOME_TAGS, hours_words, money_view, readable_content
from portal.problems import explain_validation
from portal.routes.pages.change_warning import change_warning
from portal.routes.pages.common import (
    banner_for,
    keep_offline,
    plan_nav,
    plan_url,
    render,
    see_other,
    shown_sections,
)
from portal.routes.pages.forms import (
    FieldProblem,
    check_email,
    check_length,
    check_phone,
    date_parts,
    date_values,
    parse_cost,
    parse_date,
    pounds_value,
    text,
)
from portal.routes.pages.plans import STATUS_TAGS
from portal.routes.pages.section_forms import FREQUENCY_ITEMS
from portal.signoff import changes as package_changes
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
MINUTES_IN_A_WEEK = 7 * 24 * 60


# --- hours a week -------------------------------------------------------------------------


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


# --- forms ------------------------------------------------------------------------------


class ParsedRow(msgspec.Struct):
    data: dict[str, Any] | None
    values: dict[str, Any]
    errors: dict[str, str]


def parse_row_form(page: RowPage, form: Any, outcome_ids: set[str]) -> ParsedRow:
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
    return ParsedRow(None if errors else data, values, errors)


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


def _outcome_items(plan: plan_schemas.PlanRead, selected: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [{"value": "", "text": "Not linked to an outcome"}]
    for outcome in plan.outcomes:
        label = outcome.title
        if outcome.status is OutcomeStatus.declined:
            label += " (declined)"
        items.append(
            {"value": str(outcome.id), "text": label, "selected": str(outcome.id) == selected}
        )
    return items


def _version(form: Any) -> int:
    version = parse_version(text(form, "version"))
    if version is None:
        raise Malformed("Version missing", "Open the page again and make your change there.")
    return version


def _service_errors(page: RowPage, problem: DomainError) -> dict[str, str]:
    by_attr = {f.struct_attr: f.name for f in page.fields}
    return {by_attr.get(e.field, page.fields[0].name): e.message for e in problem.errors}


def _convert(page: RowPage, data: dict[str, Any], update: bool) -> Any:
    try:
        return msgspec.convert(data, page.update_type if update else page.create_type)
    except msgspec.ValidationError as exc:
        error = explain_validation(exc)
        name = next(
            (f.name for f in page.fields if f.struct_attr == error.field), page.fields[0].name
        )
        raise _FormRejected({name: error.message}) from None


class _FormRejected(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("form rejected")
        self.errors = errors


# --- pages ------------------------------------------------------------------------------


def _may_change(actor: Actor, page: RowPage, record: plan_access.PlanRecord) -> bool:
    """Whether this reader may add, change and remove the list's items: asked once a page."""
    permission = plan_rows.ROW_KINDS[page.kind].permission
    return decide(actor, permission, record.access, page.section)


def _rows_of(page: RowPage, plan: plan_schemas.PlanRead) -> list[Any]:
    rows: dict[str, list[Any]] = {
        "outcome": plan.outcomes,
        "support": plan.support_items,
        "action": plan.actions,
        "contact": plan.contacts,
    }
    return rows[page.kind]


async def _list_page(
    page: RowPage,
    actor: Actor,
    plan_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    banner: str | None = None,
) -> Response[Any]:
    record = await plan_rows.open_rows(actor, plan_id, page.kind, write=False)
    plan = await plan_reading.read_plan(actor, plan_id)
    values = values if values is not None else empty_values(page)
    extra: dict[str, Any] = {}
    if page.kind == "support":
        extra = await _package_context(actor, record, plan)
    outcome_titles = {str(o.id): o.title for o in plan.outcomes}
    criterion = next((c for c in plan.criteria if c.key == page.section), None)
    section = next((x for x in plan.sections if x.key == page.section), None)
    # Someone who may only read sees the items as text: no form to add one, no Change links.
    may_edit = _may_change(actor, page, record)
    may_edit_notes = decide(actor, Permission.SECTION_EDIT, record.access, page.section)
    return render(
        page.template,
        actor,
        status=status,
        headers=keep_offline(may_edit or may_edit_notes),
        plan=plan,
        page=page,
        may_edit=may_edit,
        may_edit_notes=may_edit_notes,
        warning=(
            change_warning(record, is_owner(actor, record.access))
            if may_edit or may_edit_notes
            else None
        ),
        rows=_rows_of(page, plan),
        fields=page.fields,
        values=values,
        errors=errors or {},
        anchors=page.anchors(),
        outcome_items=_outcome_items(plan, values.get("outcome", "")),
        outcome_titles=outcome_titles,
        outcome_tags=OUTCOME_TAGS,
        frequency_items=FREQUENCY_ITEMS,
        frequency_labels=FREQUENCY_LABELS,
        criterion=criterion,
        tag=STATUS_TAGS[criterion.status] if criterion else None,
        section=section,
        section_content=readable_content(page.section, section.content) if section else [],
        money=money_view(plan.money, plan.organisation_allocation),
        banner=banner,
        item_url=lambda row_id: plan_url(plan.id, page.item_part, str(row_id)),
        hours_words=hours_words,
        navigation_items=plan_nav(plan.id, page.nav, shown_sections(actor, plan)),
        back_href=plan_url(plan.id),
        back_text="Plan overview",
        **extra,
    )


async def _package_context(
    actor: Actor, record: plan_access.PlanRecord, plan: plan_schemas.PlanRead
) -> dict[str, Any]:
    """What the money page shows of package changes: the open ones on each line, and whether
    this reader may propose one (the plan agreed, and the access decision says so)."""
    changes = await package_changes.list_changes(actor, plan.id)
    open_by_line: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        if change.status == "open":
            open_by_line.setdefault(str(change.support_item_id), []).append(
                {
                    "url": plan_url(plan.id, "package-changes", str(change.id)),
                    "proposed_by": change.proposed_by,
                    "proposed_at": change.proposed_at,
                    "hours": f"{hours_words(change.minutes_before)} to "
                    f"{hours_words(change.minutes_after)} a week",
                    "cost": f"{pounds(change.weekly_cost_before_pence)} to "
                    f"{pounds(change.weekly_cost_after_pence)} a week",
                    "route": change.route,
                }
            )
    may_propose = record.state == "agreed" and decide(
        actor, Permission.CHANGE_PROPOSE, record.access
    )
    return {
        # Someone who may only comment on the money (a provider) proposes; they do not edit.
        "may_propose": may_propose,
        "propose_url": lambda row_id: (
            plan_url(plan.id, "package-changes", "new") + f"?item={row_id}"
        ),
        "open_changes": open_by_line,
    }


async def _edit_page(
    page: RowPage,
    actor: Actor,
    plan_id: uuid.UUID,
    row: Any,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    version: int | None = None,
    theirs: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> Response[Any]:
    record = await plan_rows.open_rows(actor, plan_id, page.kind, write=False)
    plan = await plan_reading.read_plan(actor, plan_id)
    values = values if values is not None else row_values(page, row)
    may_edit = _may_change(actor, page, record)
    outcomes = {str(o.id): o.title for o in plan.outcomes}
    return render(
        "plans/row_edit.html",
        actor,
        status=status,
        headers=keep_offline(may_edit),
        plan=plan,
        page=page,
        row=row,
        may_edit=may_edit,
        # Someone who may only read sees the item as text.
        display=[] if may_edit else row_display(page, msgspec.to_builtins(row), outcomes),
        warning=change_warning(record, is_owner(actor, record.access)) if may_edit else None,
        name=getattr(row, page.label_field),
        fields=page.fields,
        values=values,
        errors=errors or {},
        anchors=page.anchors(),
        version=row.version if version is None else version,
        theirs=theirs,
        outcome_items=_outcome_items(plan, values.get("outcome", "")),
        frequency_items=FREQUENCY_ITEMS,
        action_url=plan_url(plan.id, page.item_part, str(row.id)),
        remove_url=plan_url(plan.id, page.item_part, str(row.id), "remove"),
        navigation_items=plan_nav(plan.id, page.nav, shown_sections(actor, plan)),
        back_href=plan_url(plan.id, page.list_part),
        back_text=f"Back to {page.title.lower()}",
    )


async def _remove_page(
    page: RowPage,
    actor: Actor,
    plan_id: uuid.UUID,
    row: Any,
    *,
    status: int = 200,
    changed: bool = False,
) -> Response[Any]:
    plan = await plan_reading.read_plan(actor, plan_id)
    outcomes = {str(o.id): o.title for o in plan.outcomes}
    stored = msgspec.to_builtins(row)
    return render(
        "plans/row_remove.html",
        actor,
        status=status,
        plan=plan,
        page=page,
        row=row,
        name=getattr(row, page.label_field),
        display=row_display(page, stored, outcomes),
        version=row.version,
        changed=changed,
        action_url=plan_url(plan.id, page.item_part, str(row.id), "remove"),
        navigation_items=plan_nav(plan.id, page.nav, shown_sections(actor, plan)),
        back_href=plan_url(plan.id, page.item_part, str(row.id)),
        back_text=f"Back to the {page.noun}",
    )


def _routes_for(page: RowPage) -> list[Any]:
    list_path = f"/plans/{{plan_id:uuid}}/{page.list_part}"
    item_path = f"/plans/{{plan_id:uuid}}/{page.item_part}/{{row_id:uuid}}"

    @get(list_path, name=f"page-{page.kind}-list")
    async def list_rows(
        request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        return await _list_page(page, actor, plan_id, banner=banner_for(request.query_params))

    @post(list_path, name=f"page-{page.kind}-add")
    async def add_row(
        request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        await plan_rows.open_rows(actor, plan_id, page.kind, write=True)
        plan = await plan_reading.read_plan(actor, plan_id)
        form = await request.form()
        parsed = parse_row_form(page, form, {str(o.id) for o in plan.outcomes})
        try:
            if parsed.data is None:
                raise _FormRejected(parsed.errors)
            await plan_rows.create_row(
                actor, plan_id, page.kind, _convert(page, parsed.data, False)
            )
        except _FormRejected as rejected:
            return await _list_page(
                page, actor, plan_id, values=parsed.values, errors=rejected.errors, status=400
            )
        except DomainError as problem:
            if not isinstance(problem, Invalid) or not problem.errors:
                raise
            return await _list_page(
                page,
                actor,
                plan_id,
                values=parsed.values,
                status=400,
                errors=_service_errors(page, problem),
            )
        return see_other(plan_url(plan_id, page.list_part) + f"?added={page.kind}")

    @get(item_path, name=f"page-{page.kind}-edit")
    async def edit_row(
        actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], row_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        row = await plan_rows.read_row(actor, plan_id, page.kind, row_id)
        return await _edit_page(page, actor, plan_id, row)

    @post(item_path, name=f"page-{page.kind}-save")
    async def save_row(
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        row_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        await plan_rows.open_rows(actor, plan_id, page.kind, write=True)
        row = await plan_rows.read_row(actor, plan_id, page.kind, row_id)
        plan = await plan_reading.read_plan(actor, plan_id)
        form = await request.form()
        version = _version(form)
        parsed = parse_row_form(page, form, {str(o.id) for o in plan.outcomes})
        try:
            if parsed.data is None:
                raise _FormRejected(parsed.errors)
            update = _convert(page, parsed.data, True)
            await plan_rows.update_row(actor, plan_id, page.kind, row_id, update, based_on=version)
        except _FormRejected as rejected:
            return await _edit_page(
                page,
                actor,
                plan_id,
                row,
                values=parsed.values,
                errors=rejected.errors,
                version=version,
                status=400,
            )
        except plan_versions.EditConflict as conflict:
            # Their version is shown; mine stays in the form, now based on theirs, so saving
            # again keeps exactly what the form holds and nothing typed is lost.
            current = conflict.extra.get("current") or {}
            outcomes = {str(o.id): o.title for o in plan.outcomes}
            return await _edit_page(
                page,
                actor,
                plan_id,
                row,
                values=parsed.values,
                status=409,
                version=int(conflict.extra.get("version") or row.version),
                theirs=row_display(page, current, outcomes),
            )
        except DomainError as problem:
            if not isinstance(problem, Invalid) or not problem.errors:
                raise
            return await _edit_page(
                page,
                actor,
                plan_id,
                row,
                values=parsed.values,
                version=version,
                status=400,
                errors=_service_errors(page, problem),
            )
        return see_other(plan_url(plan_id, page.list_part) + f"?changed={page.kind}")

    @get(f"{item_path}/remove", name=f"page-{page.kind}-remove-confirm")
    async def confirm_remove(
        actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], row_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        # Only someone who may remove it is asked whether to.
        await plan_rows.open_rows(actor, plan_id, page.kind, write=True)
        row = await plan_rows.read_row(actor, plan_id, page.kind, row_id)
        return await _remove_page(page, actor, plan_id, row)

    @post(f"{item_path}/remove", name=f"page-{page.kind}-remove")
    async def remove_row(
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        row_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        await plan_rows.open_rows(actor, plan_id, page.kind, write=True)
        form = await request.form()
        version = _version(form)
        try:
            await plan_rows.delete_row(actor, plan_id, page.kind, row_id, based_on=version)
        except plan_versions.EditConflict:
            fresh = await plan_rows.read_row(actor, plan_id, page.kind, row_id)
            return await _remove_page(page, actor, plan_id, fresh, status=409, changed=True)
        return see_other(plan_url(plan_id, page.list_part) + f"?removed={page.kind}")

    return [list_rows, add_row, edit_row, save_row, confirm_remove, remove_row]


ROW_ROUTES = [handler for page in ROW_PAGES for handler in _routes_for(page)]
