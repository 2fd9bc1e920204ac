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

from portal.accounts import oidc, repository
from portal.accounts.oidc import Identity, sign_in_refused
from portal.accounts.repository import OidcLoginClaim, UserRecord
from portal.accounts.service import normalise_email
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
    await repository.insert_oidc_login(
        state_hash(state), provider.name, nonce, code_verifier, next_path, now
    )
    await repository.forget_oidc_logins_before(now - FORGET_AFTER)
    return OidcStart(authorization_url=url, state=state)


async def _claim_login(provider: OidcProvider, state: str) -> OidcLoginClaim:
    """Use up the attempt as it is found, so a replay finds it used."""
    hashed = state_hash(state)
    now = dt.datetime.now(dt.UTC)
    login = await repository.claim_oidc_login(hashed, now)
    if login is None:
        seen = await repository.oidc_login_exists(hashed)
        raise sign_in_refused("state-used" if seen else "state-unknown")
    if login.provider != provider.name:
        raise sign_in_refused("wrong-provider")
    if login.created_at < now - dt.timedelta(minutes=LOGIN_MINUTES):
        raise sign_in_refused("state-expired")
    return login


async def finish_oidc_sign_in(
    provider: OidcProvider,
    *,
    redirect_uri: str,
    params: Mapping[str, str],
    browser_state: str | None,
) -> tuple[UserRecord, str]:
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


async def user_for_identity(provider: OidcProvider, identity: Identity) -> UserRecord:
    """Who this identity is here: the user it is linked to, an existing account it may be
    linked to, or a new person and account."""
    try:
        return await _user_for_identity(provider, identity)
    except (sqlite3.IntegrityError, asyncpg.UniqueViolationError):
        # Someone else's sign-in linked or created the same identity a moment ago: use theirs.
        return await _user_for_identity(provider, identity)


async def _user_for_identity(provider: OidcProvider, identity: Identity) -> UserRecord:
    now = dt.datetime.now(dt.UTC)
    async with repository.transaction():
        linked = await repository.external_identity(provider.name, identity.subject)
        if linked is not None:
            user = await repository.user_by_id(linked.user)
            if user is None or not user.is_active:
                raise sign_in_refused("account-inactive")
            await repository.touch_external_identity(linked.id, now)
            return user
        if identity.email is None:
            raise sign_in_refused("email-missing")
        email = normalise_email(identity.email)
        if "@" not in email or len(email) > 320:
            raise sign_in_refused("email-missing")
        user = await repository.user_by_email(email)
        if user is not None:
            # Linking hands the account to whoever the provider says owns the address: only
            # when the provider checks addresses, and says it checked this one.
            if not (provider.emails_verified and identity.email_verified):
                raise sign_in_refused("email-in-use")
            if not user.is_active:
                raise sign_in_refused("account-inactive")
            if await repository.provider_linked_to(provider.name, user.id):
                raise sign_in_refused("linked-to-another")
            how = "linked"
        else:
            user = await repository.insert_person_and_user(
                (identity.display_name or email.split("@")[0])[:200], email, None
            )
            how = "created"
        await repository.insert_external_identity(provider.name, identity.subject, user.id, now)
    log.info("oidc: %s account %s through %s", how, user.id, provider.name)
    return user
