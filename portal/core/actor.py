"""Who is asking, and what their staff roles let them do in an organisation.

The plan access decision is `portal.consent.policy.decide`; a staff question about an
organisation depends only on the actor's roles, so it lives beside them, below every package.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

import msgspec


class OrgPermission(StrEnum):
    VIEW_STAFF = "organisation:view_staff"
    MANAGE_STAFF = "organisation:manage_staff"
    WORK_TRAY = "organisation:work_tray"


class Role(StrEnum):
    COORDINATOR = "coordinator"
    PLAN_AUTHORISER = "plan_authoriser"
    BUDGET_AUTHORISER = "budget_authoriser"
    TEAM_MANAGER = "team_manager"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.COORDINATOR: "Care coordinator",
    Role.PLAN_AUTHORISER: "Plan authoriser",
    Role.BUDGET_AUTHORISER: "Budget authoriser",
    Role.TEAM_MANAGER: "Team manager",
    Role.ADMIN: "Organisation admin",
}
# Roles that work on submitted plans; an admin manages staff and sees no plan content.
SIGN_OFF_ROLES: frozenset[Role] = frozenset(Role) - {Role.ADMIN}


class StaffRoleFact(msgspec.Struct, frozen=True):
    organisation_id: uuid.UUID
    role: Role
    spending_limit_pence: int | None = None


class Actor(msgspec.Struct, frozen=True):
    """Who is asking: a signed-in user, the person they are, and the staff roles they hold."""

    user_id: uuid.UUID
    person_id: uuid.UUID
    display_name: str
    email: str
    roles: tuple[StaffRoleFact, ...] = ()

    @property
    def organisation_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(role.organisation_id for role in self.roles)


def decide_organisation(
    actor: Actor | None, permission: OrgPermission, organisation_id: uuid.UUID
) -> bool:
    """Staff questions about an organisation: its admins manage its staff; roles see trays."""
    if actor is None:
        return False
    held = {role.role for role in actor.roles if role.organisation_id == organisation_id}
    if permission == OrgPermission.MANAGE_STAFF:
        return Role.ADMIN in held
    if permission == OrgPermission.VIEW_STAFF:
        return bool(held)
    return bool(held & SIGN_OFF_ROLES)
