"""One form per section, saved on the version it was read at; conflicts, history, restore.

A section form carries the version it was opened at. Saving names that version, so a
change made meanwhile by someone else is merged, or, when both changed the same field,
the person sees both versions and chooses; nothing typed is lost on the way.

Page scripts (autosave, edits queued offline) post the very same form with the header
`X-Portal-Save: json` and get JSON back instead of a page: the new version, a conflict (field
names only: the other person's words are shown by the page flow), or the form's errors.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.bounds import OutOfWindow, VersionInPath
from portal.comments import service as comments
from portal.consent.policy import Permission, decide, is_owner
from portal.core.actor import Actor
from portal.core.errors import DomainError, Invalid, Malformed, NotFound, not_found
from portal.core.sections import CRITERIA_KEYS, SECTION_KEYS, SECTION_TITLES
from portal.plans import access as plan_access
from portal.plans import reading as plan_reading
from portal.plans import sections as plan_sections
from portal.plans import versions as plan_versions
from portal.plans.content import RISK_LABELS, check_section_dates, decode_section
from portal.plans.wording import field_label, readable, readable_content, section_fields
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
from portal.routes.pages.forms import form_version, text
from portal.routes.pages.plans import STATUS_TAGS, criterion_href
from portal.routes.pages.section_forms import (
    FREQUENCY_ITEMS,
    HOLDING_ITEMS,
    YES_NO_ITEMS,
    anchors,
    empty_content,
    field_errors_from_problem,
    form_values,
    parse_section_form,
)
from portal.routes.pages.signoff.views import comment_views
from portal.signoff import overview

# Sections whose criterion lives on a list page: their form is reached from that page.
_HOME_PAGE = {
    "outcomes": "outcomes",
    "money": "money",
    "action_plan": "actions",
    "contacts": "contacts",
}


def _check_key(key: str) -> None:
    if key not in SECTION_KEYS:
        raise not_found("section")


async def _open_to_change(
    actor: Actor, plan_id: uuid.UUID, key: str, permission: Permission
) -> None:
    """A section the actor may change this way, or the service's refusal (404 or 403, the
    attempt logged) before anything sent is read."""
    _check_key(key)
    await plan_access.open_section(actor, plan_id, key, permission)


def _nav_part(key: str) -> str | None:
    return _HOME_PAGE.get(key, "")


def _after_save(plan_id: uuid.UUID, key: str, then: str = "") -> str:
    """Where the person goes once the section is saved."""
    if then == "add-risk":
        return plan_url(plan_id, "sections", key) + f"?saved={key}#add-risk"
    if key in _HOME_PAGE:
        return plan_url(plan_id, _HOME_PAGE[key]) + f"?saved={key}"
    return plan_url(plan_id) + f"?saved={key}"


# --- answers for page scripts -----------------------------------------------------------


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("x-portal-save", "").strip().lower() == "json"


def _json(body: dict[str, Any], status: int) -> Response[Any]:
    return Response(body, status_code=status, media_type=MediaType.JSON)


def _utc_iso(moment: dt.datetime | None) -> str:
    moment = moment or dt.datetime.now(dt.UTC)
    # Stored times are UTC; a naive one (SQLite) is taken as UTC, as on the pages.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _input_names(key: str, names: list[str]) -> list[str]:
    """Content field names as the form's names, the keys its errors use too."""
    by_name = {f.name: f.input_name for f in section_fields(key)}
    return [by_name[name] for name in names if name in by_name]


async def _section_page(
    actor: Actor,
    plan_id: uuid.UUID,
    key: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    version: int | None = None,
    status: int = 200,
    banner: str | None = None,
    comment_value: str = "",
) -> Response[Any]:
    # A section not shared with the actor is refused (and the person told) before anything is read.
    record = await plan_access.open_section(actor, plan_id, key, Permission.SECTION_VIEW)
    plan = await plan_reading.read_plan(actor, plan_id)
    section = next((x for x in plan.sections if x.key == key), None)
    if section is None:
        raise not_found("section")
    criterion = next((c for c in plan.criteria if c.key == key), None)
    back = _HOME_PAGE.get(key)
    # Someone who may only read (or comment) gets the section as text: no form, no autosave.
    may_edit = decide(actor, Permission.SECTION_EDIT, record.access, key)
    may_comment = decide(actor, Permission.SECTION_COMMENT, record.access, key)
    # What staff said about this section when they returned the plan.
    returned = [
        c
        for c in await overview.comments_for(actor, plan_id)
        if c.section == key and c.kind == "returned"
    ]
    return render(
        "plans/section.html",
        actor,
        status=status,
        headers=keep_offline(may_edit),
        plan=plan,
        may_edit=may_edit,
        may_comment=may_comment,
        warning=change_warning(record, is_owner(actor, record.access)) if may_edit else None,
        content=readable_content(key, section.content),
        section_comments=await comments.comments_on(plan.id, key),
        role_words=comments.ROLE_WORDS,
        comment_value=comment_value,
        key=key,
        title=SECTION_TITLES[key],
        number=CRITERIA_KEYS.index(key) + 1 if key in CRITERIA_KEYS else None,
        section=section,
        fields=section_fields(key),
        values=values if values is not None else form_values(key, section.content),
        errors=errors or {},
        anchors=anchors(key),
        version=section.version if version is None else version,
        criterion=criterion,
        tag=STATUS_TAGS[criterion.status] if criterion else None,
        yes_no_items=YES_NO_ITEMS,
        frequency_items=FREQUENCY_ITEMS,
        holding_items=HOLDING_ITEMS,
        risk_labels=RISK_LABELS,
        banner=banner,
        comments=comment_views(returned),
        navigation_items=plan_nav(plan.id, _nav_part(key), shown_sections(actor, plan)),
        back_href=plan_url(plan.id, back) if back else plan_url(plan.id),
        back_text={
            "outcomes": "Outcomes",
            "money": "Money",
            "actions": "Action plan",
            "contacts": "Contacts",
        }.get(back or "", "Plan overview"),
    )


@get("/plans/{plan_id:uuid}/sections/{key:str}", name="section")
async def section_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    key: FromPath[str],
) -> Response[Any]:
    _check_key(key)
    banner = banner_for(request.query_params)
    if request.query_params.get("commented") == "1":
        banner = "Comment added"
    return await _section_page(actor, plan_id, key, banner=banner)


@post("/plans/{plan_id:uuid}/sections/{key:str}", name="section-save")
async def save_section(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    key: FromPath[str],
) -> Response[Any]:
    # Access first, so nobody learns anything about a plan from how their form is judged.
    await _open_to_change(actor, plan_id, key, Permission.SECTION_EDIT)
    as_json = _wants_json(request)
    form = await request.form()
    version = form_version(form)
    parsed = parse_section_form(key, form)
    if parsed.errors or parsed.content is None:
        if as_json:
            return _json({"errors": parsed.errors}, 422)
        return await _section_page(
            actor,
            plan_id,
            key,
            values=parsed.values,
            errors=parsed.errors,
            version=version,
            status=400,
        )
    try:
        saved = await plan_sections.write_section(
            actor, plan_id, key, parsed.content, based_on=version
        )
    except plan_versions.EditConflict as conflict:
        if as_json:
            _, theirs, current = await _conflict_choices(actor, plan_id, key, conflict, version)
            return _json(
                {
                    "conflict": True,
                    "version": current,
                    "conflicting_fields": _input_names(key, list(theirs)),
                },
                409,
            )
        return await _conflict_page(actor, plan_id, key, conflict, based_on=version)
    except Invalid as problem:
        if not problem.errors:
            raise
        errors = field_errors_from_problem(key, problem.errors)
        if as_json:
            return _json({"errors": errors}, 422)
        return await _section_page(
            actor,
            plan_id,
            key,
            values=parsed.values,
            version=version,
            status=400,
            errors=errors,
        )
    next_url = _after_save(plan_id, key, text(form, "then"))
    if as_json:
        return _json(
            {"version": saved.version, "next": next_url, "saved_at": _utc_iso(saved.updated_at)},
            200,
        )
    return see_other(next_url)


@post("/plans/{plan_id:uuid}/sections/{key:str}/comments", name="section-comment")
async def comment_on_section(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    key: FromPath[str],
) -> Response[Any]:
    _check_key(key)
    form = await request.form()
    typed = text(form, "comment")
    try:
        # Access first (404 or 403, the attempt logged), then what was written.
        await comments.add_comment(actor, plan_id, key, typed)
    except Invalid as problem:
        if not problem.errors:
            raise
        return await _section_page(
            actor,
            plan_id,
            key,
            errors={"comment": problem.errors[0].message},
            comment_value=typed,
            status=400,
        )
    return see_other(plan_url(plan_id, "sections", key) + "?commented=1#comments")


# --- conflicts --------------------------------------------------------------------------


async def _content_at(
    actor: Actor, plan_id: uuid.UUID, key: str, version: int
) -> dict[str, Any] | None:
    if version == 0:
        return empty_content(key)
    try:
        return (await plan_sections.section_revision(actor, plan_id, key, version)).content
    except NotFound:
        return None


async def _conflict_choices(
    actor: Actor, plan_id: uuid.UUID, key: str, conflict: DomainError, based_on: int
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """What the person is asked about: their draft, the other version of each field both
    changed, and the version now saved. The rest of my changes ride along in the draft."""
    theirs: dict[str, Any] = conflict.extra.get("current") or {}
    yours: dict[str, Any] = conflict.extra.get("yours") or {}
    version = int(conflict.extra.get("version") or 0)
    conflicting = [
        name for name in conflict.extra.get("conflicting_fields") or [] if name in theirs
    ]
    base = await _content_at(actor, plan_id, key, based_on)
    if base is None:
        # Without the starting point, everything that differs counts as mine: nothing is lost.
        base = theirs
    draft: dict[str, Any] = {}
    for field in section_fields(key):
        name = field.name
        if name in conflicting or yours.get(name) != base.get(name):
            draft[name] = yours.get(name)
        else:
            draft[name] = theirs.get(name)
    if not conflicting:
        # A restore or whole-item conflict names no fields: offer every field that differs.
        conflicting = [
            f.name for f in section_fields(key) if draft.get(f.name) != theirs.get(f.name)
        ]
    return draft, {n: theirs.get(n) for n in conflicting}, version


async def _conflict_page(
    actor: Actor,
    plan_id: uuid.UUID,
    key: str,
    conflict: DomainError,
    *,
    based_on: int,
) -> Response[Any]:
    """Both versions of each field both people changed; the rest of my changes ride along."""
    draft, theirs, version = await _conflict_choices(actor, plan_id, key, conflict, based_on)
    return await _render_conflict(actor, plan_id, key, draft, theirs, version, status=409)


async def _render_conflict(
    actor: Actor,
    plan_id: uuid.UUID,
    key: str,
    draft: dict[str, Any],
    theirs: dict[str, Any],
    version: int,
    *,
    status: int,
    choices: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response[Any]:
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    by_name = {f.name: f for f in section_fields(key)}
    fields = [
        {
            "name": name,
            "label": by_name[name].label,
            "mine": readable(by_name[name], draft.get(name)),
            "theirs": readable(by_name[name], value),
            "choice": (choices or {}).get(name, ""),
        }
        for name, value in theirs.items()
        if name in by_name
    ]
    return render(
        "plans/conflict.html",
        actor,
        status=status,
        plan=plan,
        key=key,
        title=SECTION_TITLES[key],
        fields=fields,
        version=version,
        draft_json=msgspec.json.encode(draft).decode(),
        theirs_json=msgspec.json.encode(theirs).decode(),
        errors=errors or {},
        navigation_items=plan_nav(plan.id, _nav_part(key), shown_sections(actor, plan)),
        back_href=plan_url(plan.id, "sections", key),
        back_text=f"Back to {SECTION_TITLES[key].lower()}",
    )


def _json_object(form: Any, name: str) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(text(form, name) or "{}")
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict):
        raise Malformed("Form not complete", "Open the section again and make your change there.")
    return value


@post("/plans/{plan_id:uuid}/sections/{key:str}/resolve", name="section-resolve")
async def resolve_conflict(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    key: FromPath[str],
) -> Response[Any]:
    await _open_to_change(actor, plan_id, key, Permission.SECTION_EDIT)
    form = await request.form()
    version = form_version(form)
    names = {f.name for f in section_fields(key)}
    draft = {k: v for k, v in _json_object(form, "draft").items() if k in names}
    theirs = {k: v for k, v in _json_object(form, "theirs").items() if k in names}
    choices = {name: text(form, f"keep-{name}") for name in theirs}
    errors = {
        f"keep-{name}": f"Choose which version of “{field_label(key, name)}” to keep"
        for name, choice in choices.items()
        if choice not in ("mine", "theirs")
    }
    if errors:
        return await _render_conflict(
            actor, plan_id, key, draft, theirs, version, status=400, choices=choices, errors=errors
        )
    content = dict(draft)
    for name, choice in choices.items():
        if choice == "theirs":
            content[name] = theirs[name]
    try:
        section = decode_section(key, content)
        # The draft and theirs come back from the page: hold their dates to the window too.
        check_section_dates(section)
    except (msgspec.ValidationError, msgspec.DecodeError, OutOfWindow):
        raise Malformed(
            "Form not complete", "Open the section again and make your change there."
        ) from None
    try:
        await plan_sections.write_section(actor, plan_id, key, section, based_on=version)
    except plan_versions.EditConflict as conflict:
        return await _conflict_page(actor, plan_id, key, conflict, based_on=version)
    return see_other(_after_save(plan_id, key))


# --- history ----------------------------------------------------------------------------


async def _history_page(
    actor: Actor,
    plan_id: uuid.UUID,
    key: str,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response[Any]:
    plan = await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    section = await plan_sections.read_section(actor, plan_id, key)
    revisions = await plan_sections.section_history(actor, plan_id, key)
    may_restore = decide(actor, Permission.SECTION_RESTORE, plan.access, key)
    return render(
        "plans/history.html",
        actor,
        status=status,
        plan=plan,
        key=key,
        title=SECTION_TITLES[key],
        may_restore=may_restore,
        # The section's comments belong to its history too: who said what, and when.
        section_comments=await comments.comments_on(plan.id, key),
        role_words=comments.ROLE_WORDS,
        current_version=section.version,
        revisions=[
            {
                "version": r.version,
                "author": r.author or "Someone",
                "created_at": r.created_at,
                "changed": [field_label(key, name) for name in r.changed_fields],
                "restored_from": r.restored_from,
                "content": readable_content(key, r.content),
                "is_current": r.version == section.version,
            }
            for r in revisions
        ],
        error=error,
        errors={"history": error} if error else {},
        navigation_items=plan_nav(plan.id, _nav_part(key), shown_sections(actor, plan)),
        back_href=plan_url(plan.id, "sections", key),
        back_text=f"Back to {SECTION_TITLES[key].lower()}",
    )


@get("/plans/{plan_id:uuid}/sections/{key:str}/history", name="section-history")
async def section_history(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], key: FromPath[str]
) -> Response[Any]:
    _check_key(key)
    return await _history_page(actor, plan_id, key)


@post(
    "/plans/{plan_id:uuid}/sections/{key:str}/history/{version:int}/restore",
    name="section-restore",
)
async def restore_section(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    key: FromPath[str],
    version: VersionInPath,
) -> Response[Any]:
    await _open_to_change(actor, plan_id, key, Permission.SECTION_RESTORE)
    form = await request.form()
    based_on = form_version(form, "based_on")
    try:
        await plan_sections.restore_section(actor, plan_id, key, version, based_on)
    except plan_versions.EditConflict:
        return await _history_page(
            actor,
            plan_id,
            key,
            status=409,
            error="Someone changed this section while you were looking at its history. "
            "Look at the versions again, then choose one to restore.",
        )
    return see_other(plan_url(plan_id, "sections", key) + f"?restored={key}")


SECTION_ROUTES = [
    section_form,
    save_section,
    comment_on_section,
    resolve_conflict,
    section_history,
    restore_section,
]

__all__ = ["SECTION_ROUTES", "criterion_href"]
