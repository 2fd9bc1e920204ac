"""Every query of the accounts domain: people, their accounts, sign-in sessions and failures,
OpenID links and login attempts, and everything about one account for its download. Rows come
back as Structs; organisations and staff roles are in `portal.accounts.organisation_repository`.

Hand-written SQL quotes identifiers for PostgreSQL ("user" is a keyword there) and uses
Piccolo's portable `{}` placeholders.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.accounts.tables import (
    ExternalIdentity,
    OidcLogin,
    Person,
    SignInFailure,
    SignInSession,
    StaffRole,
    UserAccount,
)
from portal.core.actor import Role, StaffRoleFact
from portal.core.values import as_uuid, aware
from portal.db import write_transaction


def transaction() -> Any:
    """A write transaction on the accounts' database (joined when one is already open)."""
    return write_transaction(UserAccount._meta.db)


def plain_transaction() -> Any:
    """Piccolo's own transaction, as a new local account is made in."""
    return UserAccount._meta.db.transaction()


# --- people and their accounts --------------------------------------------------------------


class UserRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A sign-in account; the password hash stays inside the accounts package."""

    id: uuid.UUID
    email: str
    person: uuid.UUID
    is_active: bool
    password_hash: str | None


def _user(row: dict[str, Any]) -> UserRecord:
    return UserRecord(
        id=as_uuid(row["id"]),
        email=row["email"],
        person=as_uuid(row["person"]),
        is_active=bool(row["is_active"]),
        password_hash=row["password_hash"],
    )


_USER_SQL = 'SELECT "id", "email", "person", "is_active", "password_hash" FROM "user_account"'


async def user_by_email(email: str) -> UserRecord | None:
    rows = await UserAccount.raw(_USER_SQL + ' WHERE "email" = {}', email)
    return _user(rows[0]) if rows else None


async def user_by_id(user_id: uuid.UUID) -> UserRecord | None:
    rows = await UserAccount.raw(_USER_SQL + ' WHERE "id" = {}', user_id)
    return _user(rows[0]) if rows else None


async def email_in_use(email: str) -> bool:
    return bool(await UserAccount.exists().where(UserAccount.email == email))


async def insert_person_and_user(
    display_name: str, email: str, password_hash: str | None
) -> UserRecord:
    """A person and their account, inside the caller's transaction."""
    person = Person(display_name=display_name)
    await person.save()
    user = UserAccount(email=email, password_hash=password_hash, person=person.id)
    await user.save()
    return UserRecord(
        id=as_uuid(user.id),
        email=email,
        person=as_uuid(person.id),
        is_active=True,
        password_hash=password_hash,
    )


async def set_password_hash(user_id: uuid.UUID, password_hash: str) -> None:
    await UserAccount.update({UserAccount.password_hash: password_hash}).where(
        UserAccount.id == user_id
    )


class NamedUser(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    display_name: str


async def named_user_by_email(email: str) -> NamedUser | None:
    rows = await UserAccount.raw(
        'SELECT u."id", p."display_name" FROM "user_account" u'
        ' JOIN "person" p ON p."id" = u."person" WHERE u."email" = {}',
        email,
    )
    if not rows:
        return None
    return NamedUser(id=as_uuid(rows[0]["id"]), display_name=rows[0]["display_name"])


# --- sign-in sessions -----------------------------------------------------------------------


async def insert_session(
    token_hash: str, user_id: uuid.UUID, now: dt.datetime, expires_at: dt.datetime
) -> None:
    """A new session, and the account's last sign-in moment."""
    await SignInSession(token_hash=token_hash, user=user_id, expires_at=expires_at).save()
    await UserAccount.update({UserAccount.last_sign_in_at: now}).where(UserAccount.id == user_id)


async def delete_session(token_hash: str) -> None:
    await SignInSession.delete().where(SignInSession.token_hash == token_hash)


class SessionHolder(msgspec.Struct, frozen=True, kw_only=True):
    """Who a session stands for, with the staff roles they hold now."""

    expires_at: dt.datetime
    user_id: uuid.UUID
    email: str
    is_active: bool
    person_id: uuid.UUID
    display_name: str
    roles: tuple[StaffRoleFact, ...]


def _role_fact(row: dict[str, Any]) -> StaffRoleFact:
    return StaffRoleFact(
        organisation_id=as_uuid(row["organisation"]),
        role=Role(row["role"]),
        spending_limit_pence=row["spending_limit_pence"],
    )


async def session_holder(token_hash: str) -> SessionHolder | None:
    # Every request asks this, so it is one hand-written query ("user" is quoted for PostgreSQL):
    # one row per current staff role, or one row with no role.
    found = await SignInSession.raw(
        'SELECT s."expires_at", u."id" AS user_id, u."email", u."is_active",'
        ' p."id" AS person_id, p."display_name",'
        ' r."organisation", r."role", r."spending_limit_pence"'
        ' FROM "sign_in_session" s'
        ' JOIN "user_account" u ON u."id" = s."user"'
        ' JOIN "person" p ON p."id" = u."person"'
        ' LEFT JOIN "staff_role" r ON r."user" = u."id" AND r."ended_at" IS NULL'
        ' WHERE s."token_hash" = {}',
        token_hash,
    )
    if not found:
        return None
    row = found[0]
    return SessionHolder(
        expires_at=aware(row["expires_at"]),
        user_id=as_uuid(row["user_id"]),
        email=row["email"],
        is_active=bool(row["is_active"]),
        person_id=as_uuid(row["person_id"]),
        display_name=row["display_name"],
        roles=tuple(_role_fact(row) for row in found if row["role"] is not None),
    )


async def current_staff_roles(user_id: uuid.UUID) -> tuple[StaffRoleFact, ...]:
    rows = await StaffRole.raw(
        'SELECT "organisation", "role", "spending_limit_pence" FROM "staff_role"'
        ' WHERE "user" = {} AND "ended_at" IS NULL',
        user_id,
    )
    return tuple(_role_fact(row) for row in rows)


# --- failed sign-ins ------------------------------------------------------------------------


async def recent_failures(subject: str, since: dt.datetime, limit: int) -> list[dt.datetime]:
    """The newest `limit` failures of this subject since then, newest first."""
    rows = await SignInFailure.raw(
        'SELECT "at" FROM "sign_in_failure" WHERE "subject" = {} AND "at" > {}'
        ' ORDER BY "at" DESC LIMIT {}',
        subject,
        since,
        limit,
    )
    return [aware(row["at"]) for row in rows]


async def insert_failures(subjects: list[str], at: dt.datetime) -> None:
    await SignInFailure.insert(*[SignInFailure(subject=subject, at=at) for subject in subjects])


async def forget_failures_before(at: dt.datetime) -> None:
    await SignInFailure.delete().where(SignInFailure.at < at)


async def forget_failures_of(subject: str) -> None:
    await SignInFailure.delete().where(SignInFailure.subject == subject)


# --- OpenID login attempts and links --------------------------------------------------------


async def insert_oidc_login(
    state_hash: str,
    provider: str,
    nonce: str,
    code_verifier: str,
    next_path: str,
    created_at: dt.datetime,
) -> None:
    await OidcLogin(
        state_hash=state_hash,
        provider=provider,
        nonce=nonce,
        code_verifier=code_verifier,
        next_path=next_path,
        created_at=created_at,
    ).save()


async def forget_oidc_logins_before(at: dt.datetime) -> None:
    await OidcLogin.delete().where(OidcLogin.created_at < at)


class OidcLoginClaim(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    nonce: str
    code_verifier: str
    next_path: str
    created_at: dt.datetime


async def claim_oidc_login(state_hash: str, now: dt.datetime) -> OidcLoginClaim | None:
    """Mark the unused attempt used in the same statement that finds it (None: no such attempt,
    or it was used), so a replay finds it used."""
    claimed = await (
        OidcLogin.update({OidcLogin.used_at: now})
        .where((OidcLogin.state_hash == state_hash) & OidcLogin.used_at.is_null())
        .returning(
            OidcLogin.provider,
            OidcLogin.nonce,
            OidcLogin.code_verifier,
            OidcLogin.next_path,
            OidcLogin.created_at,
        )
    )
    if not claimed:
        return None
    row = claimed[0]
    return OidcLoginClaim(
        provider=row["provider"],
        nonce=row["nonce"],
        code_verifier=row["code_verifier"],
        next_path=row["next_path"],
        created_at=aware(row["created_at"]),
    )


async def oidc_login_exists(state_hash: str) -> bool:
    return bool(await OidcLogin.exists().where(OidcLogin.state_hash == state_hash))


class ExternalLink(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user: uuid.UUID


async def external_identity(provider: str, subject: str) -> ExternalLink | None:
    rows = await ExternalIdentity.raw(
        'SELECT "id", "user" FROM "external_identity" WHERE "provider" = {} AND "subject" = {}'
        " LIMIT 1",
        provider,
        subject,
    )
    return ExternalLink(id=as_uuid(rows[0]["id"]), user=as_uuid(rows[0]["user"])) if rows else None


async def touch_external_identity(link_id: uuid.UUID, now: dt.datetime) -> None:
    await ExternalIdentity.update({ExternalIdentity.last_sign_in_at: now}).where(
        ExternalIdentity.id == link_id
    )


async def provider_linked_to(provider: str, user_id: uuid.UUID) -> bool:
    return bool(
        await ExternalIdentity.exists().where(
            (ExternalIdentity.provider == provider) & (ExternalIdentity.user == user_id)
        )
    )


async def insert_external_identity(
    provider: str, subject: str, user_id: uuid.UUID, now: dt.datetime
) -> None:
    await ExternalIdentity(
        provider=provider, subject=subject, user=user_id, last_sign_in_at=now
    ).save()


# --- everything about one account, for the person's own download ---------------------------


class AccountExport(msgspec.Struct, frozen=True, kw_only=True):
    user_id: uuid.UUID
    email: str
    is_active: bool
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None
    # Whether a password is set, worked out in the database: the hash never leaves it.
    has_password: bool
    person_id: uuid.UUID
    display_name: str
    person_created_at: dt.datetime


async def account_export(user_id: uuid.UUID) -> AccountExport:
    rows = await UserAccount.raw(
        'SELECT u."id", u."email", u."is_active", u."created_at", u."last_sign_in_at",'
        ' CASE WHEN u."password_hash" IS NULL THEN 0 ELSE 1 END AS "has_password",'
        ' p."id" AS "person_id", p."display_name", p."created_at" AS "person_created_at"'
        ' FROM "user_account" u JOIN "person" p ON p."id" = u."person" WHERE u."id" = {}',
        user_id,
    )
    row = rows[0]
    return AccountExport(
        user_id=as_uuid(row["id"]),
        email=row["email"],
        is_active=bool(row["is_active"]),
        created_at=aware(row["created_at"]),
        last_sign_in_at=aware(row["last_sign_in_at"]),
        has_password=bool(int(row["has_password"])),
        person_id=as_uuid(row["person_id"]),
        display_name=row["display_name"],
        person_created_at=aware(row["person_created_at"]),
    )


class LinkedIdentity(msgspec.Struct, frozen=True, kw_only=True):
    """A sign-in through another service (an OpenID provider) linked to this account."""

    provider: str
    subject: str
    linked_at: dt.datetime
    last_sign_in_at: dt.datetime | None


async def linked_identities(user_id: uuid.UUID) -> list[LinkedIdentity]:
    """By provider and subject."""
    rows = await ExternalIdentity.raw(
        'SELECT "provider", "subject", "created_at", "last_sign_in_at"'
        ' FROM "external_identity" WHERE "user" = {}',
        user_id,
    )
    found = [
        LinkedIdentity(
            provider=row["provider"],
            subject=row["subject"],
            linked_at=aware(row["created_at"]),
            last_sign_in_at=aware(row["last_sign_in_at"]),
        )
        for row in rows
    ]
    found.sort(key=lambda link: (link.provider, link.subject))
    return found


class SessionTimes(msgspec.Struct, frozen=True, kw_only=True):
    started_at: dt.datetime
    expires_at: dt.datetime


async def session_times(user_id: uuid.UUID) -> list[SessionTimes]:
    """When each of the user's sessions started and ends, oldest first."""
    # Only the times: the token hash is not selected.
    rows = await SignInSession.raw(
        'SELECT "created_at", "expires_at" FROM "sign_in_session" WHERE "user" = {}', user_id
    )
    found = [
        SessionTimes(started_at=aware(row["created_at"]), expires_at=aware(row["expires_at"]))
        for row in rows
    ]
    found.sort(key=lambda session: (session.started_at, session.expires_at))
    return found


class RoleHistory(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    # As stored: a role the portal no longer knows is kept as it was written.
    role: str
    spending_limit_pence: int | None
    granted_at: dt.datetime
    ended_at: dt.datetime | None


async def role_history(user_id: uuid.UUID) -> list[RoleHistory]:
    """Every role the user has held, ended ones too, oldest first."""
    rows = await StaffRole.raw(
        'SELECT r."id", r."organisation", o."name" AS "organisation_name", r."role",'
        ' r."spending_limit_pence", r."granted_at", r."ended_at"'
        ' FROM "staff_role" r JOIN "organisation" o ON o."id" = r."organisation"'
        ' WHERE r."user" = {}',
        user_id,
    )
    found = [
        RoleHistory(
            id=as_uuid(row["id"]),
            organisation_id=as_uuid(row["organisation"]),
            organisation_name=row["organisation_name"],
            role=row["role"],
            spending_limit_pence=(
                int(row["spending_limit_pence"])
                if row["spending_limit_pence"] is not None
                else None
            ),
            granted_at=aware(row["granted_at"]),
            ended_at=aware(row["ended_at"]),
        )
        for row in rows
    ]
    found.sort(key=lambda role: (role.granted_at, str(role.id)))
    return found
