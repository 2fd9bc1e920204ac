"""The lists a plan holds: outcomes, support items (money), actions and contacts.

Each list has one page (the items and a form to add one), a page to change an item, and
a page to remove it. Changing and removing carry the item's version, like If-Match in the
API: if someone else changed the item meanwhile, nothing is overwritten or removed. What each
list's form asks, and how it is read, is portal/routes/pages/row_forms.py.
"""

# No `from __future__ import annotations`: the handlers are built by a factory and Litestar
# reads their annotations as real types.
import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent.policy import Permission, decide, is_owner
from portal.core.actor import Actor
from portal.core.errors import Invalid
from portal.plans import schemas as plan_schemas
from portal.plans import service
from portal.plans.content import OutcomeStatus
from portal.plans.money import FREQUENCY_LABELS
from portal.plans.wording import OUTCOME_TAGS, hours_words, money_view, readable_content
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
from portal.routes.pages.forms import form_version

# The sign-off pages read hours a week as the row forms do; they take them from here.
from portal.routes.pages.forms import hours_parts as hours_parts
from portal.routes.pages.forms import hours_values as hours_values
from portal.routes.pages.forms import parse_hours as parse_hours
from portal.routes.pages.plans import STATUS_TAGS
from portal.routes.pages.row_forms import (
    ROW_PAGES,
    RowPage,
    empty_values,
    read_row_form,
    row_display,
    row_values,
)
from portal.routes.pages.section_forms import FREQUENCY_ITEMS
from portal.signoff import changes as package_changes
from portal.templating import pounds


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


# --- pages ------------------------------------------------------------------------------


def _outcome_ids(plan: plan_schemas.PlanRead) -> set[str]:
    return {str(o.id) for o in plan.outcomes}


def _may_change(actor: Actor, page: RowPage, record: service.PlanRecord) -> bool:
    """Whether this reader may add, change and remove the list's items: asked once a page."""
    permission = service.ROW_KINDS[page.kind].permission
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
    record = await service.open_rows(actor, plan_id, page.kind, write=False)
    plan = await service.read_plan(actor, plan_id)
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
    actor: Actor, record: service.PlanRecord, plan: plan_schemas.PlanRead
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
    record = await service.open_rows(actor, plan_id, page.kind, write=False)
    plan = await service.read_plan(actor, plan_id)
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
    plan = await service.read_plan(actor, plan_id)
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
        await service.open_rows(actor, plan_id, page.kind, write=True)
        plan = await service.read_plan(actor, plan_id)
        form = read_row_form(page, await request.form(), _outcome_ids(plan), update=False)
        if form.body is not None:
            try:
                await service.create_row(actor, plan_id, page.kind, form.body)
            except Invalid as problem:
                if not problem.errors:
                    raise
                form.refused(page, problem)
        if form.errors:
            return await _list_page(
                page, actor, plan_id, values=form.values, errors=form.errors, status=400
            )
        return see_other(plan_url(plan_id, page.list_part) + f"?added={page.kind}")

    @get(item_path, name=f"page-{page.kind}-edit")
    async def edit_row(
        actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], row_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        row = await service.read_row(actor, plan_id, page.kind, row_id)
        return await _edit_page(page, actor, plan_id, row)

    @post(item_path, name=f"page-{page.kind}-save")
    async def save_row(
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        row_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        await service.open_rows(actor, plan_id, page.kind, write=True)
        row = await service.read_row(actor, plan_id, page.kind, row_id)
        plan = await service.read_plan(actor, plan_id)
        sent = await request.form()
        version = form_version(sent)
        form = read_row_form(page, sent, _outcome_ids(plan), update=True)
        if form.body is not None:
            try:
                await service.update_row(
                    actor, plan_id, page.kind, row_id, form.body, based_on=version
                )
            except service.EditConflict as conflict:
                # Their version is shown; mine stays in the form, now based on theirs, so saving
                # again keeps exactly what the form holds and nothing typed is lost.
                current = conflict.extra.get("current") or {}
                outcomes = {str(o.id): o.title for o in plan.outcomes}
                return await _edit_page(
                    page,
                    actor,
                    plan_id,
                    row,
                    values=form.values,
                    status=409,
                    version=int(conflict.extra.get("version") or row.version),
                    theirs=row_display(page, current, outcomes),
                )
            except Invalid as problem:
                if not problem.errors:
                    raise
                form.refused(page, problem)
        if form.errors:
            return await _edit_page(
                page,
                actor,
                plan_id,
                row,
                values=form.values,
                errors=form.errors,
                version=version,
                status=400,
            )
        return see_other(plan_url(plan_id, page.list_part) + f"?changed={page.kind}")

    @get(f"{item_path}/remove", name=f"page-{page.kind}-remove-confirm")
    async def confirm_remove(
        actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], row_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        # Only someone who may remove it is asked whether to.
        await service.open_rows(actor, plan_id, page.kind, write=True)
        row = await service.read_row(actor, plan_id, page.kind, row_id)
        return await _remove_page(page, actor, plan_id, row)

    @post(f"{item_path}/remove", name=f"page-{page.kind}-remove")
    async def remove_row(
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        row_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        await service.open_rows(actor, plan_id, page.kind, write=True)
        version = form_version(await request.form())
        try:
            await service.delete_row(actor, plan_id, page.kind, row_id, based_on=version)
        except service.EditConflict:
            fresh = await service.read_row(actor, plan_id, page.kind, row_id)
            return await _remove_page(page, actor, plan_id, fresh, status=409, changed=True)
        return see_other(plan_url(plan_id, page.list_part) + f"?removed={page.kind}")

    return [list_rows, add_row, edit_row, save_row, confirm_remove, remove_row]


ROW_ROUTES = [handler for page in ROW_PAGES for handler in _routes_for(page)]
