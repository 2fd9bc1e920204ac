"""Organisations and the roles their staff hold: who may add, change and end them.

Who may see or manage an organisation's staff is decided by
`portal.consent.policy.decide_organisation`, never here. A role is never deleted: ending it,
or changing a budget authoriser's spending limit, closes the row and keeps it, so the record
of who held what, granted and ended by whom, stays. Someone with no role in an organisation
gets 404 for it, so its existence does not leak; its staff without the admin role get 403
for changes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.accounts import organisation_repository, repository
from portal.accounts import schemas as account_schemas
from portal.accounts.organisation_repository import HeldRole, OrganisationRow
from portal.accounts.service import normalise_email, staff_roles
from portal.core import clock
from portal.core.actor import ROLE_LABELS, Actor, OrgPermission, Role, decide_organisation
from portal.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    not_found,
)
from portal.core.money import format_pounds as pounds

_ROLE_ORDER = {role: number for number, role in enumerate(Role)}
NO_ACCOUNT = "No account uses this email address. Ask them to create an account first."


def _transaction() -> Any:
    return repository.transaction()


def role_label(role: Role | str) -> str:
    return ROLE_LABELS[Role(role)]


def _invalid(field: str, message: str, title: str = "Check what you entered") -> DomainError:
    return Invalid(title, message, errors=[FieldError(field=field, message=message)])


# --- problems a person can act on --------------------------------------------------------


class NotAnAdmin(Forbidden):
    def __init__(self, organisation_name: str) -> None:
        super().__init__(
            "Not allowed",
            f"Only an admin of {organisation_name} can add, change or end staff roles. "
            "Ask one of its admins to do this.",
        )


class RoleAlreadyHeld(Conflict):
    def __init__(self, name: str, role: Role, organisation_name: str) -> None:
        detail = f"{name} is already a {role_label(role).lower()} at {organisation_name}."
        if role is Role.BUDGET_AUTHORISER:
            detail += " To give them a different spending limit, change the limit of that role."
        else:
            detail += " Nothing was changed."
        super().__init__("Role already held", detail)


class RoleEnded(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This role has ended",
            "This role has already ended, so it cannot be changed or ended again. "
            "Nothing was changed.",
        )


class LastAdmin(Conflict):
    def __init__(self, organisation_name: str) -> None:
        super().__init__(
            "The last admin",
            f"{organisation_name} must keep at least one admin. Give the admin role to "
            "someone else first, then end this one.",
        )


# --- checks ------------------------------------------------------------------------------


def check_kind(kind: str) -> account_schemas.OrganisationKind:
    try:
        return account_schemas.OrganisationKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in account_schemas.OrganisationKind)
        raise _invalid("kind", f"Choose the kind of organisation: one of {kinds}.") from None


def check_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise _invalid("role", f"Choose a role: one of {roles}.") from None


def check_spending_limit(role: Role, limit: int | None) -> None:
    """A budget authoriser needs a limit (whole pence above 0); no other role has one."""
    field = "spending_limit_pence"
    if role is not Role.BUDGET_AUTHORISER:
        if limit is not None:
            raise _invalid(
                field,
                f"Only a budget authoriser has a spending limit. Leave the spending limit "
                f"out for a {role_label(role).lower()}.",
            )
        return
    if limit is None:
        raise _invalid(
            field,
            "Enter the spending limit of a budget authoriser: the largest annual cost they "
            "may approve, in pence.",
        )
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise _invalid(
            field,
            "The spending limit must be a whole number of pence more than 0, "
            "like 1250000 for £12,500.00.",
        )
    if limit > account_schemas.MAX_SPENDING_LIMIT_PENCE:
        raise _invalid(
            field,
            f"The spending limit can be at most "
            f"{pounds(account_schemas.MAX_SPENDING_LIMIT_PENCE)}. "
            "Check the amount: it is in pence.",
        )


# --- reading -----------------------------------------------------------------------------


def _require(
    actor: Actor, permission: OrgPermission, organisation: OrganisationRow | None
) -> OrganisationRow:
    """The organisation, if the decision allows it: 404 to outsiders, 403 to staff who may not."""
    if organisation is None:
        raise not_found("organisation")
    organisation_id = organisation.id
    if not decide_organisation(actor, OrgPermission.VIEW_STAFF, organisation_id):
        raise not_found("organisation")
    if not decide_organisation(actor, permission, organisation_id):
        raise NotAnAdmin(organisation.name)
    return organisation


async def _fresh(actor: Actor) -> Actor:
    """The actor with the roles they hold at this moment, read inside the write's turn."""
    return msgspec.structs.replace(actor, roles=await staff_roles(actor.user_id))


def _staff_order(role: account_schemas.StaffRoleRead) -> tuple[str, int, dt.datetime]:
    return (role.name.casefold(), _ROLE_ORDER[role.role], role.granted_at)


async def _staff_rows(
    organisation_id: uuid.UUID, *, include_ended: bool = False, role_id: uuid.UUID | None = None
) -> list[account_schemas.StaffRoleRead]:
    found = await organisation_repository.staff_roles_of(
        organisation_id, include_ended=include_ended, role_id=role_id
    )
    return sorted(found, key=_staff_order)


def _organisation_read(
    actor: Actor, organisation: OrganisationRow, roles: list[HeldRole]
) -> account_schemas.OrganisationRead:
    kind = account_schemas.OrganisationKind(organisation.kind)
    mine = [
        account_schemas.MyRole(
            id=role.role_id,
            role=role.role,
            role_label=role_label(role.role),
            spending_limit_pence=role.spending_limit_pence,
            granted_at=role.granted_at,
        )
        for role in roles
    ]
    mine.sort(key=lambda role: _ROLE_ORDER[role.role])
    return account_schemas.OrganisationRead(
        id=organisation.id,
        name=organisation.name,
        kind=kind,
        kind_label=account_schemas.ORGANISATION_KIND_LABELS[kind],
        my_roles=mine,
        can_manage_staff=decide_organisation(actor, OrgPermission.MANAGE_STAFF, organisation.id),
    )


async def my_organisations(actor: Actor) -> list[account_schemas.OrganisationRead]:
    """The organisations the actor holds a role in now, with those roles, by name."""
    by_organisation: dict[uuid.UUID, list[HeldRole]] = {}
    for role in await organisation_repository.held_roles(actor.user_id):
        by_organisation.setdefault(role.organisation_id, []).append(role)
    found = [
        _organisation_read(actor, _held_organisation(group[0]), group)
        for group in by_organisation.values()
    ]
    return sorted(found, key=lambda organisation: organisation.name.casefold())


def _held_organisation(role: HeldRole) -> OrganisationRow:
    return OrganisationRow(
        id=role.organisation_id, name=role.organisation_name, kind=role.organisation_kind
    )


async def read_organisation(
    actor: Actor, organisation_id: uuid.UUID
) -> account_schemas.OrganisationRead:
    organisation = _require(
        actor,
        OrgPermission.VIEW_STAFF,
        await organisation_repository.organisation_by_id(organisation_id),
    )
    roles = await organisation_repository.held_roles(actor.user_id, organisation_id)
    return _organisation_read(actor, organisation, roles)


async def list_staff(
    actor: Actor, organisation_id: uuid.UUID, *, include_ended: bool = False
) -> list[account_schemas.StaffRoleRead]:
    """The roles held in an organisation now (and, when asked, those that have ended)."""
    _require(
        actor,
        OrgPermission.VIEW_STAFF,
        await organisation_repository.organisation_by_id(organisation_id),
    )
    return await _staff_rows(organisation_id, include_ended=include_ended)


async def read_staff_role(
    actor: Actor, organisation_id: uuid.UUID, role_id: uuid.UUID
) -> account_schemas.StaffRoleRead:
    _require(
        actor,
        OrgPermission.VIEW_STAFF,
        await organisation_repository.organisation_by_id(organisation_id),
    )
    return await _one_role(organisation_id, role_id)


async def _one_role(
    organisation_id: uuid.UUID, role_id: uuid.UUID
) -> account_schemas.StaffRoleRead:
    found = await _staff_rows(organisation_id, include_ended=True, role_id=role_id)
    if not found:
        raise not_found("staff role")
    return found[0]


# --- changing ----------------------------------------------------------------------------


async def _user_by_email(email: str) -> repository.NamedUser:
    user = await repository.named_user_by_email(normalise_email(email))
    if user is None:
        raise _invalid("email", NO_ACCOUNT, title="No account with this email address")
    return user


async def _insert_role(
    organisation_id: uuid.UUID,
    user_id: uuid.UUID,
    role: Role,
    limit: int | None,
    granted_by: uuid.UUID | None,
) -> uuid.UUID:
    return await organisation_repository.insert_staff_role(
        organisation_id, user_id, role, limit, granted_by, clock.now()
    )


async def _end_role(role_id: uuid.UUID, ended_by: uuid.UUID | None) -> None:
    await organisation_repository.end_staff_role(role_id, ended_by, clock.now())


async def _add_role(
    organisation: OrganisationRow,
    email: str,
    role: Role,
    limit: int | None,
    granted_by: uuid.UUID | None,
) -> account_schemas.StaffRoleRead:
    """Inside the organisation's write turn: the checks, then the new role row."""
    check_spending_limit(role, limit)
    user = await _user_by_email(email)
    if await organisation_repository.holds_role(organisation.id, user.id, role):
        raise RoleAlreadyHeld(user.display_name, role, organisation.name)
    role_id = await _insert_role(organisation.id, user.id, role, limit, granted_by)
    return await _one_role(organisation.id, role_id)


async def add_staff_role(
    actor: Actor, organisation_id: uuid.UUID, data: account_schemas.StaffRoleCreate
) -> account_schemas.StaffRoleRead:
    """An admin gives a role to someone who already has an account."""
    role = check_role(data.role)
    async with _transaction():
        organisation = await organisation_repository.lock_organisation(organisation_id)
        _require(await _fresh(actor), OrgPermission.MANAGE_STAFF, organisation)
        assert organisation is not None
        return await _add_role(
            organisation, data.email, role, data.spending_limit_pence, actor.user_id
        )


async def _current_role(
    organisation: OrganisationRow, role_id: uuid.UUID
) -> account_schemas.StaffRoleRead:
    role = await _one_role(organisation.id, role_id)
    if role.ended_at is not None:
        raise RoleEnded()
    return role


async def change_spending_limit(
    actor: Actor, organisation_id: uuid.UUID, role_id: uuid.UUID, limit: int
) -> account_schemas.StaffRoleRead:
    """A new limit is a new role row; the old one ends, so every limit ever held is on record."""
    async with _transaction():
        organisation = await organisation_repository.lock_organisation(organisation_id)
        _require(await _fresh(actor), OrgPermission.MANAGE_STAFF, organisation)
        assert organisation is not None
        old = await _current_role(organisation, role_id)
        if old.role is not Role.BUDGET_AUTHORISER:
            raise Invalid(
                "No spending limit",
                f"Only a budget authoriser has a spending limit, and this role is "
                f"{old.role_label.lower()}. Nothing was changed.",
            )
        check_spending_limit(old.role, limit)
        if limit == old.spending_limit_pence:
            raise _invalid(
                "spending_limit_pence",
                f"The spending limit is already {pounds(limit)} a year. Enter a different amount.",
            )
        await _end_role(old.id, actor.user_id)
        new_id = await _insert_role(organisation_id, old.user_id, old.role, limit, actor.user_id)
        return await _one_role(organisation_id, new_id)


async def end_staff_role(
    actor: Actor, organisation_id: uuid.UUID, role_id: uuid.UUID
) -> account_schemas.StaffRoleRead:
    """End a role; the row stays as the record of who held it. The last admin cannot go."""
    async with _transaction():
        organisation = await organisation_repository.lock_organisation(organisation_id)
        _require(await _fresh(actor), OrgPermission.MANAGE_STAFF, organisation)
        assert organisation is not None
        role = await _current_role(organisation, role_id)
        if (
            role.role is Role.ADMIN
            and await organisation_repository.count_holders(organisation_id, Role.ADMIN) <= 1
        ):
            raise LastAdmin(organisation.name)
        await _end_role(role.id, actor.user_id)
        return await _one_role(organisation_id, role.id)


# --- the operator, at the command line ---------------------------------------------------
# The operator runs the portal and its database: there is no actor to ask about, and roles
# they give have no `granted_by`.


async def create_organisation(name: str, kind: str, admin_email: str | None = None) -> uuid.UUID:
    """A new organisation; with `admin_email` that account is its first admin (or none is made)."""
    name = name.strip()
    if not name:
        raise _invalid("name", "Enter the organisation's name.")
    if len(name) > 200:
        raise _invalid("name", "The organisation's name must be 200 characters or fewer.")
    checked = check_kind(kind)
    organisation_id = uuid.uuid4()
    async with _transaction():
        user = await _user_by_email(admin_email) if admin_email is not None else None
        await organisation_repository.insert_organisation(
            organisation_id, name, checked.value, clock.now()
        )
        if user is not None:
            await _insert_role(organisation_id, user.id, Role.ADMIN, None, None)
    return organisation_id


async def find_organisation(name: str, kind: str) -> uuid.UUID | None:
    """The oldest organisation of this name and kind, if there is one (for repeatable set-ups)."""
    return await organisation_repository.oldest_organisation_named(name, kind)


async def add_role_as_operator(
    organisation_id: uuid.UUID,
    email: str,
    role: Role | str,
    spending_limit_pence: int | None = None,
) -> account_schemas.StaffRoleRead:
    checked = check_role(role)
    async with _transaction():
        organisation = await organisation_repository.lock_organisation(organisation_id)
        if organisation is None:
            raise NotFound(
                "No such organisation",
                f"There is no organisation with the id {organisation_id}. "
                "Check the id printed when it was created.",
            )
        return await _add_role(organisation, email, checked, spending_limit_pence, None)
