"""Signing in through an OpenID provider: the login attempt kept server-side, used once, and
the rules that map a provider's subject to one of our users.

The protocol itself (Authlib, joserfc) is in `oidc.py`; the session that follows is the same
one a local sign-in starts (`service.start_session`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import sqlite3
from collections.abc import Mapping

import asyncpg
import msgspec

from portal.accounts import oidc
from portal.accounts.oidc import Identity, sign_in_refused
from portal.accounts.service import normalise_email
from portal.accounts.tables import ExternalIdentity, OidcLogin, Person, UserAccount
from portal.db import write_transaction
from portal.settings import OidcProvider

log = logging.getLogger("portal.accounts.oidc")

# From leaving for the provider to coming back; longer than that and the attempt is refused.
LOGIN_MINUTES = 10
# Attempts nobody came back from are forgotten after this.
FORGET_AFTER = dt.timedelta(days=1)


class OidcStart(msgspec.Struct, frozen=True):
    authorization_url: str
    # Also kept in a cookie, so only the browser that started the sign-in can finish it.
    state: str


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


async def begin_oidc_sign_in(
    provider: OidcProvider, *, redirect_uri: str, next_path: str
) -> OidcStart:
    """Keep a fresh state, nonce and PKCE verifier for this attempt, and say where to go."""
    discovered = await oidc.discover(provider)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)  # 86 characters; RFC 7636 wants 43 to 128
    url = await oidc.authorization_url(
        provider,
        discovered,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_verifier=code_verifier,
    )
    now = dt.datetime.now(dt.UTC)
    await OidcLogin(
        state_hash=state_hash(state),
        provider=provider.name,
        nonce=nonce,
        code_verifier=code_verifier,
        next_path=next_path,
        created_at=now,
    ).save()
    await OidcLogin.delete().where(OidcLogin.created_at < now - FORGET_AFTER)
    return OidcStart(authorization_url=url, state=state)


async def _claim_login(provider: OidcProvider, state: str) -> OidcLogin:
    """Mark the attempt used in the same statement that finds it, so a replay finds it used."""
    hashed = state_hash(state)
    now = dt.datetime.now(dt.UTC)
    claimed = await (
        OidcLogin.update({OidcLogin.used_at: now})
        .where((OidcLogin.state_hash == hashed) & OidcLogin.used_at.is_null())
        .returning(
            OidcLogin.provider,
            OidcLogin.nonce,
            OidcLogin.code_verifier,
            OidcLogin.next_path,
            OidcLogin.created_at,
        )
    )
    if not claimed:
        seen = await OidcLogin.exists().where(OidcLogin.state_hash == hashed)
        raise sign_in_refused("state-used" if seen else "state-unknown")
    row = claimed[0]
    if row["provider"] != provider.name:
        raise sign_in_refused("wrong-provider")
    if _utc(row["created_at"]) < now - dt.timedelta(minutes=LOGIN_MINUTES):
        raise sign_in_refused("state-expired")
    return OidcLogin(
        provider=row["provider"],
        nonce=row["nonce"],
        code_verifier=row["code_verifier"],
        next_path=row["next_path"],
    )


async def finish_oidc_sign_in(
    provider: OidcProvider,
    *,
    redirect_uri: str,
    params: Mapping[str, str],
    browser_state: str | None,
) -> tuple[UserAccount, str]:
    """The user a provider's callback stands for, and where they were going; or SignInRefused.

    The order matters: an attempt is used up before anything is asked of the provider, so a
    callback can be tried once, whatever happens after.
    """
    state = params.get("state")
    if not state or len(state) > 200:
        raise sign_in_refused("state-missing")
    # The cookie set when this browser left for the provider: a callback link sent to someone
    # else (to sign them in as the sender) does not match theirs.
    if not browser_state or not hmac.compare_digest(browser_state.encode(), state.encode()):
        raise sign_in_refused("state-mismatch")
    login = await _claim_login(provider, state)
    discovered = await oidc.discover(provider)
    oidc.check_callback_issuer(discovered, params)
    error = params.get("error")
    if error:
        # Only the error code is kept; its description is the provider's (or anyone's) text.
        log.info("oidc: %s answered %s", provider.name, error[:40])
        raise sign_in_refused(
            "cancelled" if error in ("access_denied", "login_required") else "provider-error"
        )
    code = params.get("code")
    if not code:
        raise sign_in_refused("code-missing")
    identity = await oidc.complete(
        provider,
        discovered,
        code=code,
        redirect_uri=redirect_uri,
        nonce=login.nonce,
        code_verifier=login.code_verifier,
    )
    user = await user_for_identity(provider, identity)
    return user, login.next_path


async def user_for_identity(provider: OidcProvider, identity: Identity) -> UserAccount:
    """Who this identity is here: the user it is linked to, an existing account it may be
    linked to, or a new person and account."""
    try:
        return await _user_for_identity(provider, identity)
    except (sqlite3.IntegrityError, asyncpg.UniqueViolationError):
        # Someone else's sign-in linked or created the same identity a moment ago: use theirs.
        return await _user_for_identity(provider, identity)


async def _user_for_identity(provider: OidcProvider, identity: Identity) -> UserAccount:
    now = dt.datetime.now(dt.UTC)
    async with write_transaction(UserAccount._meta.db):
        linked = (
            await ExternalIdentity.objects()
            .where(
                (ExternalIdentity.provider == provider.name)
                & (ExternalIdentity.subject == identity.subject)
            )
            .first()
        )
        if linked is not None:
            user = await UserAccount.objects().where(UserAccount.id == linked.user).first()
            if user is None or not user.is_active:
                raise sign_in_refused("account-inactive")
            await ExternalIdentity.update({ExternalIdentity.last_sign_in_at: now}).where(
                ExternalIdentity.id == linked.id
            )
            return user
        if identity.email is None:
            raise sign_in_refused("email-missing")
        email = normalise_email(identity.email)
        if "@" not in email or len(email) > 320:
            raise sign_in_refused("email-missing")
        user = await UserAccount.objects().where(UserAccount.email == email).first()
        if user is not None:
            # Linking hands the account to whoever the provider says owns the address: only
            # when the provider checks addresses, and says it checked this one.
            if not (provider.emails_verified and identity.email_verified):
                raise sign_in_refused("email-in-use")
            if not user.is_active:
                raise sign_in_refused("account-inactive")
            if await ExternalIdentity.exists().where(
                (ExternalIdentity.provider == provider.name) & (ExternalIdentity.user == user.id)
            ):
                raise sign_in_refused("linked-to-another")
            how = "linked"
        else:
            person = Person(display_name=(identity.display_name or email.split("@")[0])[:200])
            await person.save()
            user = UserAccount(email=email, password_hash=None, person=person.id)
            await user.save()
            how = "created"
        await ExternalIdentity(
            provider=provider.name, subject=identity.subject, user=user.id, last_sign_in_at=now
        ).save()
    log.info("oidc: %s account %s through %s", how, user.id, provider.name)
    return user
