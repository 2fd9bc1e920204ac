"""Local accounts with argon2 hashes, and server-side sign-in sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.accounts.tables import (
    Person,
    SignInFailure,
    SignInSession,
    StaffRole,
    UserAccount,
)
from portal.core.actor import Actor, Role, StaffRoleFact
from portal.core.errors import Conflict, Invalid, Throttled
from portal.core.values import as_uuid
from portal.settings import Settings

_hasher = PasswordHasher()
# Verifying against a real hash when the email is unknown keeps timing from revealing accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 10


class AccountExists(Conflict):
    def __init__(self) -> None:
        super().__init__("Account exists", "An account with this email address already exists.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "Password too short",
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.",
        )


async def create_user(email: str, password: str, display_name: str) -> UserAccount:
    """Create a person and their local sign-in; the person is who plans will belong to."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise Invalid("Email address not valid", "Enter an email address like name@example.com.")
    check_new_password(password)
    if not display_name.strip():
        raise Invalid("Name missing", "Enter the name the person wants to be called.")
    if await UserAccount.exists().where(UserAccount.email == email):
        raise AccountExists()
    async with UserAccount._meta.db.transaction():
        person = Person(display_name=display_name.strip()[:200])
        await person.save()
        user = UserAccount(email=email, password_hash=_hasher.hash(password), person=person.id)
        await user.save()
    return user


async def authenticate(email: str, password: str) -> UserAccount | None:
    user = await UserAccount.objects().where(UserAccount.email == normalise_email(email)).first()
    stored = user.password_hash if user and user.is_active and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or stored is _DUMMY_HASH:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
        await user.save([UserAccount.password_hash])
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(user: UserAccount, hours: int) -> str:
    """A fresh random token every sign-in; only its hash is stored, so a leaked table is useless."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    await SignInSession(
        token_hash=_token_hash(token), user=user.id, expires_at=now + dt.timedelta(hours=hours)
    ).save()
    await UserAccount.update({UserAccount.last_sign_in_at: now}).where(UserAccount.id == user.id)
    return token


async def end_session(token: str) -> None:
    await SignInSession.delete().where(SignInSession.token_hash == _token_hash(token))


async def actor_for_token(token: str | None) -> Actor | None:
    """The actor a session cookie stands for; a token the server never issued stands for no one."""
    if not token or len(token) > 128:
        return None
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
        _token_hash(token),
    )
    rows = found[0] if found else None
    if rows is None or not rows["is_active"]:
        return None
    expires = rows["expires_at"]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    if expires <= dt.datetime.now(dt.UTC):
        return None
    return Actor(
        user_id=as_uuid(rows["user_id"]),
        person_id=as_uuid(rows["person_id"]),
        display_name=rows["display_name"],
        email=rows["email"],
        roles=tuple(_role_fact(row) for row in found if row["role"] is not None),
    )


def _role_fact(row: dict[str, Any]) -> StaffRoleFact:
    return StaffRoleFact(
        organisation_id=as_uuid(row["organisation"]),
        role=Role(row["role"]),
        spending_limit_pence=row["spending_limit_pence"],
    )


async def staff_roles(user_id: uuid.UUID) -> tuple[StaffRoleFact, ...]:
    """The roles a user holds now; an ended role gives nothing."""
    rows = await StaffRole.raw(
        'SELECT "organisation", "role", "spending_limit_pence" FROM "staff_role"'
        ' WHERE "user" = {} AND "ended_at" IS NULL',
        user_id,
    )
    return tuple(_role_fact(row) for row in rows)


class TooManySignIns(Throttled):
    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            "Too many attempts to sign in",
            "There have been too many attempts to sign in. For your safety, wait "
            f"{minutes} minute{'s' if minutes != 1 else ''} and try again, or reset your password.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


def _failure_subjects(email: str, address: str | None) -> dict[str, str]:
    # The email is hashed: failures are kept for addresses that may have no account at all.
    subjects = {"account": f"account:{_token_hash(normalise_email(email))}"}
    if address:
        subjects["address"] = f"address:{address[:80]}"
    return subjects


async def _retry_after(subject: str, limit: int, window: dt.timedelta) -> int | None:
    """Seconds until this subject may try again, or None when it is under its limit."""
    since = dt.datetime.now(dt.UTC) - window
    rows = await SignInFailure.raw(
        'SELECT "at" FROM "sign_in_failure" WHERE "subject" = {} AND "at" > {}'
        ' ORDER BY "at" DESC LIMIT {}',
        subject,
        since,
        limit,
    )
    if len(rows) < limit:
        return None
    oldest = rows[-1]["at"]
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return max(1, int((oldest + window - dt.datetime.now(dt.UTC)).total_seconds()) + 1)


async def sign_in(
    email: str, password: str, address: str | None, settings: Settings
) -> UserAccount | None:
    """Check the password unless this account or address has failed too often lately.

    While a limit is reached even the right password is refused, or guessing would still pay.
    """
    window = dt.timedelta(minutes=settings.sign_in_window_minutes)
    subjects = _failure_subjects(email, address)
    limits = {
        "account": settings.sign_in_failures_per_account,
        "address": settings.sign_in_failures_per_address,
    }
    waits = [
        wait
        for kind, subject in subjects.items()
        if (wait := await _retry_after(subject, limits[kind], window)) is not None
    ]
    if waits:
        raise TooManySignIns(max(waits))
    user = await authenticate(email, password)
    now = dt.datetime.now(dt.UTC)
    if user is None:
        await SignInFailure.insert(
            *[SignInFailure(subject=sub, at=now) for sub in subjects.values()]
        )
        # Old failures tell nothing any more; forget them as new ones come in.
        await SignInFailure.delete().where(SignInFailure.at < now - window)
        return None
    await SignInFailure.delete().where(SignInFailure.subject == subjects["account"])
    return user
