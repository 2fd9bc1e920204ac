"""Things tests need made, made through the services (never raw inserts), for any suite to reuse."""

from __future__ import annotations

import uuid
from typing import Any

from portal.accounts import organisations
from portal.accounts.schemas import StaffRoleRead
from portal.accounts.service import actor_for_token, end_session, start_session
from portal.accounts.tables import UserAccount
from portal.consent.policy import Actor, Role


def _email(who: Any) -> str:
    """An email address, or anything with one (a Persona)."""
    return who if isinstance(who, str) else str(who.email)


async def make_organisation(
    name: str | None = None, kind: str = "council", *, admin: Any = None
) -> uuid.UUID:
    """A new organisation (a unique name unless one is given); `admin` becomes its first admin."""
    name = name or f"Test {kind} {uuid.uuid4().hex[:8]}"
    return await organisations.create_organisation(
        name, kind, _email(admin) if admin is not None else None
    )


async def give_role(
    who: Any, organisation_id: uuid.UUID, role: Role | str, limit: int | None = None
) -> StaffRoleRead:
    """Give a person (their email, or a Persona) a role, as the operator would."""
    return await organisations.add_role_as_operator(organisation_id, _email(who), role, limit)


async def actor_of(who: Any) -> Actor:
    """The actor a request by this person would be answered for, roles and all, right now."""
    user = await UserAccount.objects().where(UserAccount.email == _email(who).lower()).first()
    assert user is not None, f"no account for {_email(who)}"
    token = await start_session(user, hours=1)
    try:
        actor = await actor_for_token(token)
    finally:
        await end_session(token)
    assert actor is not None
    return actor
