"""Your organisations, their staff, and the forms an admin uses to add, change and end roles.

Who may see or change what is decided in `portal.consent` (through the service): someone
with no role in an organisation gets "Page not found", its staff who are not admins get
"You cannot do this" for changes.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.accounts import organisations
from portal.accounts import schemas as account_schemas
from portal.core.actor import ROLE_LABELS, Actor, Role
from portal.core.errors import Conflict, DomainError, Invalid
from portal.routes.pages.common import render, see_other
from portal.routes.pages.forms import (
    FieldProblem,
    check_email,
    check_length,
    parse_pounds,
    pounds_value,
    text,
)

ORGANISATIONS_NAV: list[dict[str, Any]] = [
    {"href": "/plans", "text": "My plans"},
    {"href": "/organisations", "text": "Your organisations", "current": True},
]
ROLE_HINTS: dict[Role, str] = {
    Role.COORDINATOR: "Supports plans, comments and schedules reviews.",
    Role.PLAN_AUTHORISER: "Signs off plans submitted to the organisation.",
    Role.BUDGET_AUTHORISER: "Signs off budgets up to their spending limit.",
    Role.TEAM_MANAGER: "Decides review and change requests beyond tolerance.",
    Role.ADMIN: "Manages the organisation's staff. Sees no plan by being an admin.",
}
# After a redirect the banner is chosen by a known key, never taken from the address.
_BANNERS = {
    "added": "Role added",
    "changed": "Spending limit changed",
    "ended": "Role ended",
}
# The service names fields as the API does; the forms name them for people.
_FORM_FIELDS = {"email": "email", "role": "role", "spending_limit_pence": "spending_limit"}


def organisation_url(organisation_id: uuid.UUID, *parts: str) -> str:
    return "/".join([f"/organisations/{organisation_id}", *parts]).rstrip("/")


def _role_items(selected: str) -> list[dict[str, Any]]:
    return [
        {
            "value": role.value,
            "text": ROLE_LABELS[role],
            "hint": {"text": ROLE_HINTS[role]},
            "checked": role.value == selected,
        }
        for role in Role
    ]


def _form_errors(problem: DomainError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in problem.errors:
        errors.setdefault(_FORM_FIELDS.get(error.field, "email"), error.message)
    return errors or {"email": problem.detail}


def parse_spending_limit(raw: str) -> int:
    """A spending limit typed in pounds, as whole pence more than nothing."""
    if not raw.strip():
        raise FieldProblem("Enter the spending limit, like 12,500.00")
    pence = parse_pounds(raw, "The spending limit")
    if pence < 1:
        raise FieldProblem("The spending limit must be more than £0.00")
    if pence > account_schemas.MAX_SPENDING_LIMIT_PENCE:
        raise FieldProblem("The spending limit is too large. Check the amount")
    return pence


async def _require_admin(
    actor: Actor, organisation_id: uuid.UUID
) -> account_schemas.OrganisationRead:
    """The organisation, for a page only its admins use; the decision is the service's."""
    organisation = await organisations.read_organisation(actor, organisation_id)
    if not organisation.can_manage_staff:
        raise organisations.NotAnAdmin(organisation.name)
    return organisation


async def _current_role(
    actor: Actor, organisation_id: uuid.UUID, role_id: uuid.UUID
) -> tuple[account_schemas.OrganisationRead, account_schemas.StaffRoleRead]:
    organisation = await _require_admin(actor, organisation_id)
    role = await organisations.read_staff_role(actor, organisation_id, role_id)
    if not role.current:
        raise organisations.RoleEnded()
    return organisation, role


# --- your organisations, staff, history -------------------------------------------------


@get("/organisations", name="organisations")
async def your_organisations(actor: NamedDependency[Actor]) -> Response[Any]:
    return render(
        "organisations/list.html",
        actor,
        organisations=await organisations.my_organisations(actor),
        navigation_items=ORGANISATIONS_NAV,
    )


@get("/organisations/{organisation_id:uuid}", name="organisation-staff")
async def staff_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    organisation = await organisations.read_organisation(actor, organisation_id)
    staff = await organisations.list_staff(actor, organisation_id)
    return render(
        "organisations/staff.html",
        actor,
        organisation=organisation,
        staff=staff,
        banner=_BANNERS.get(request.query_params.get("done") or ""),
        navigation_items=ORGANISATIONS_NAV,
        back_href="/organisations",
        back_text="Your organisations",
    )


@get("/organisations/{organisation_id:uuid}/history", name="organisation-history")
async def history_page(
    actor: NamedDependency[Actor], organisation_id: FromPath[uuid.UUID]
) -> Response[Any]:
    organisation = await organisations.read_organisation(actor, organisation_id)
    everyone = await organisations.list_staff(actor, organisation_id, include_ended=True)
    ended = sorted(
        (role for role in everyone if role.ended_at is not None),
        key=lambda role: role.ended_at or role.granted_at,
        reverse=True,
    )
    return render(
        "organisations/history.html",
        actor,
        organisation=organisation,
        ended=ended,
        navigation_items=ORGANISATIONS_NAV,
        back_href=organisation_url(organisation.id),
        back_text="Back to staff",
    )


# --- adding a role ----------------------------------------------------------------------


def _add_page(
    actor: Actor,
    organisation: account_schemas.OrganisationRead,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    values = values or {"email": "", "role": "", "spending_limit": ""}
    return render(
        "organisations/add_staff.html",
        actor,
        status=status,
        organisation=organisation,
        values=values,
        errors=errors or {},
        role_items=_role_items(values["role"]),
        action_url=organisation_url(organisation.id, "staff", "add"),
        navigation_items=ORGANISATIONS_NAV,
        back_href=organisation_url(organisation.id),
        back_text="Back to staff",
    )


@get("/organisations/{organisation_id:uuid}/staff/add", name="organisation-staff-add-form")
async def add_staff_form(
    actor: NamedDependency[Actor], organisation_id: FromPath[uuid.UUID]
) -> Response[Any]:
    return _add_page(actor, await _require_admin(actor, organisation_id))


@post("/organisations/{organisation_id:uuid}/staff/add", name="organisation-staff-add")
async def add_staff(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    organisation = await _require_admin(actor, organisation_id)
    form = await request.form()
    values = {
        "email": text(form, "email").strip(),
        "role": text(form, "role").strip(),
        "spending_limit": text(form, "spending_limit").strip(),
    }
    errors: dict[str, str] = {}
    try:
        if not values["email"]:
            raise FieldProblem("Enter the email address of their account")
        check_length("Email address", values["email"], 320)
        check_email(values["email"])
    except FieldProblem as exc:
        errors["email"] = str(exc)
    roles = {role.value for role in Role}
    if values["role"] not in roles:
        errors["role"] = "Choose the role to give them"
    limit: int | None = None
    # Without JavaScript the limit field is always on show: it counts only for a budget
    # authoriser, and is ignored (not refused) when another role is chosen.
    if values["role"] == Role.BUDGET_AUTHORISER.value:
        try:
            limit = parse_spending_limit(values["spending_limit"])
        except FieldProblem as exc:
            errors["spending_limit"] = str(exc)
    if not errors:
        data = account_schemas.StaffRoleCreate(
            email=values["email"], role=Role(values["role"]), spending_limit_pence=limit
        )
        try:
            await organisations.add_staff_role(actor, organisation_id, data)
        except organisations.RoleAlreadyHeld as held:
            return _add_page(
                actor, organisation, values=values, errors={"role": held.detail}, status=409
            )
        except Invalid as problem:
            errors = _form_errors(problem)
    if errors:
        return _add_page(actor, organisation, values=values, errors=errors, status=400)
    return see_other(organisation_url(organisation_id) + "?done=added")


# --- changing a spending limit ----------------------------------------------------------


def _limit_page(
    actor: Actor,
    organisation: account_schemas.OrganisationRead,
    role: account_schemas.StaffRoleRead,
    *,
    value: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    return render(
        "organisations/change_limit.html",
        actor,
        status=status,
        organisation=organisation,
        role=role,
        value=pounds_value(role.spending_limit_pence) if value is None else value,
        errors=errors or {},
        action_url=organisation_url(organisation.id, "staff", str(role.id), "limit"),
        navigation_items=ORGANISATIONS_NAV,
        back_href=organisation_url(organisation.id),
        back_text="Back to staff",
    )


async def _current_budget_role(
    actor: Actor, organisation_id: uuid.UUID, role_id: uuid.UUID
) -> tuple[account_schemas.OrganisationRead, account_schemas.StaffRoleRead]:
    organisation, role = await _current_role(actor, organisation_id, role_id)
    if role.role is not Role.BUDGET_AUTHORISER:
        raise Conflict(
            "No spending limit",
            f"Only a budget authoriser has a spending limit, and this role is "
            f"{role.role_label.lower()}. Go back to the staff page.",
        )
    return organisation, role


@get(
    "/organisations/{organisation_id:uuid}/staff/{role_id:uuid}/limit",
    name="organisation-staff-limit-form",
)
async def change_limit_form(
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
    role_id: FromPath[uuid.UUID],
) -> Response[Any]:
    organisation, role = await _current_budget_role(actor, organisation_id, role_id)
    return _limit_page(actor, organisation, role)


@post(
    "/organisations/{organisation_id:uuid}/staff/{role_id:uuid}/limit",
    name="organisation-staff-limit",
)
async def change_limit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
    role_id: FromPath[uuid.UUID],
) -> Response[Any]:
    organisation, role = await _current_budget_role(actor, organisation_id, role_id)
    form = await request.form()
    raw = text(form, "spending_limit").strip()
    try:
        limit = parse_spending_limit(raw)
        await organisations.change_spending_limit(actor, organisation_id, role_id, limit)
    except FieldProblem as exc:
        errors = {"spending_limit": str(exc)}
    except Invalid as problem:
        errors = {"spending_limit": problem.errors[0].message if problem.errors else problem.detail}
    else:
        return see_other(organisation_url(organisation_id) + "?done=changed")
    return _limit_page(actor, organisation, role, value=raw, errors=errors, status=400)


# --- ending a role ----------------------------------------------------------------------


def _end_page(
    actor: Actor,
    organisation: account_schemas.OrganisationRead,
    role: account_schemas.StaffRoleRead,
    *,
    refusal: str | None = None,
    status: int = 200,
) -> Response[Any]:
    return render(
        "organisations/end_role.html",
        actor,
        status=status,
        organisation=organisation,
        role=role,
        refusal=refusal,
        action_url=organisation_url(organisation.id, "staff", str(role.id), "end"),
        navigation_items=ORGANISATIONS_NAV,
        back_href=organisation_url(organisation.id),
        back_text="Back to staff",
    )


@get(
    "/organisations/{organisation_id:uuid}/staff/{role_id:uuid}/end",
    name="organisation-staff-end-confirm",
)
async def end_role_confirm(
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
    role_id: FromPath[uuid.UUID],
) -> Response[Any]:
    organisation, role = await _current_role(actor, organisation_id, role_id)
    return _end_page(actor, organisation, role)


@post(
    "/organisations/{organisation_id:uuid}/staff/{role_id:uuid}/end",
    name="organisation-staff-end",
)
async def end_role(
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
    role_id: FromPath[uuid.UUID],
) -> Response[Any]:
    organisation, role = await _current_role(actor, organisation_id, role_id)
    try:
        await organisations.end_staff_role(actor, organisation_id, role_id)
    except organisations.LastAdmin as refused:
        return _end_page(actor, organisation, role, refusal=refused.detail, status=409)
    return see_other(organisation_url(organisation_id) + "?done=ended")


ORGANISATION_ROUTES = [
    your_organisations,
    staff_page,
    history_page,
    add_staff_form,
    add_staff,
    change_limit_form,
    change_limit,
    end_role_confirm,
    end_role,
]
