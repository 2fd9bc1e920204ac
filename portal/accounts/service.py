"""Local accounts with argon2 hashes, and server-side sign-in sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.accounts import repository
from portal.accounts.repository import UserRecord
from portal.core.actor import Actor, StaffRoleFact
from portal.core.errors import Conflict, Invalid, Throttled
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


async def create_user(email: str, password: str, display_name: str) -> UserRecord:
    """Create a person and their local sign-in; the person is who plans will belong to."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise Invalid("Email address not valid", "Enter an email address like name@example.com.")
    check_new_password(password)
    if not display_name.strip():
        raise Invalid("Name missing", "Enter the name the person wants to be called.")
    if await repository.email_in_use(email):
        raise AccountExists()
    async with repository.plain_transaction():
        return await repository.insert_person_and_user(
            display_name.strip()[:200], email, _hasher.hash(password)
        )


async def authenticate(email: str, password: str) -> UserRecord | None:
    user = await repository.user_by_email(normalise_email(email))
    stored = user.password_hash if user and user.is_active and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or stored is _DUMMY_HASH:
        return None
    if _hasher.check_needs_rehash(stored):
        await repository.set_password_hash(user.id, _hasher.hash(password))
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class _Account(Protocol):
    # A user record, or (in tests) the account's table row.
    @property
    def id(self) -> Any: ...


async def start_session(user: _Account, hours: int) -> str:
    """A fresh random token every sign-in; only its hash is stored, so a leaked table is useless."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    await repository.insert_session(
        _token_hash(token), user.id, now, now + dt.timedelta(hours=hours)
    )
    return token


async def end_session(token: str) -> None:
    await repository.delete_session(_token_hash(token))


async def actor_for_token(token: str | None) -> Actor | None:
    """The actor a session cookie stands for; a token the server never issued stands for no one."""
    if not token or len(token) > 128:
        return None
    holder = await repository.session_holder(_token_hash(token))
    if holder is None or not holder.is_active:
        return None
    if holder.expires_at <= dt.datetime.now(dt.UTC):
        return None
    return Actor(
        user_id=holder.user_id,
        person_id=holder.person_id,
        display_name=holder.display_name,
        email=holder.email,
        roles=holder.roles,
    )


async def staff_roles(user_id: uuid.UUID) -> tuple[StaffRoleFact, ...]:
    """The roles a user holds now; an ended role gives nothing."""
    return await repository.current_staff_roles(user_id)


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
    failures = await repository.recent_failures(subject, since, limit)
    if len(failures) < limit:
        return None
    oldest = failures[-1]
    return max(1, int((oldest + window - dt.datetime.now(dt.UTC)).total_seconds()) + 1)


async def sign_in(
    email: str, password: str, address: str | None, settings: Settings
) -> UserRecord | None:
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
        await repository.insert_failures(list(subjects.values()), now)
        # Old failures tell nothing any more; forget them as new ones come in.
        await repository.forget_failures_before(now - window)
        return None
    await repository.forget_failures_of(subjects["account"])
    return user
