"""OpenID Connect, spoken with Authlib's async client and checked with joserfc.

Discovery (fetched once per issuer and kept), the authorization request (PKCE S256, state,
nonce, and NHS login's `vtr`), the code exchange (client_secret_basic or private_key_jwt),
the ID token's checks (signature against the provider's JWKS; iss, aud, exp, iat, nonce;
`vot`), and userinfo. Nothing here touches the database: `oidc_service` does.

Refusals name a short reason (`state-used`, `id-token-nonce`, ...): it goes in the log and
on the page as a reference, and nothing about the person goes with it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx
import msgspec
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwk, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jws import extract_compact

from portal.core.errors import Conflict, DomainError, Forbidden, Malformed, UpstreamFailed
from portal.settings import OidcProvider

log = logging.getLogger("portal.accounts.oidc")

HTTP_TIMEOUT_SECONDS = 10.0
# Clock difference allowed between us and the provider when checking exp and iat.
CLOCK_LEEWAY_SECONDS = 60
# A token signed with a key we do not know may mean the provider rotated its keys; look
# again, but not more often than this.
JWKS_REFETCH_SECONDS = 60
# Only public-key signatures: "none" and HMAC (keyed with the client secret) are refused.
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

_NOT_MATCHED = (
    Malformed,
    "Sign-in could not be matched",
    "We could not match this sign-in to one started in this browser, so you have not been "
    "signed in. Start signing in again, in the same browser.",
)
_NOT_CONFIRMED = (
    Malformed,
    "Sign-in could not be confirmed",
    "We could not check that this sign-in came from the sign-in service, so you have not been "
    "signed in. Start signing in again.",
)
_REFUSALS: dict[str, tuple[type[DomainError], str, str]] = {
    "state-missing": _NOT_MATCHED,
    "state-mismatch": _NOT_MATCHED,
    "state-unknown": _NOT_MATCHED,
    "wrong-provider": _NOT_MATCHED,
    "state-used": (
        Malformed,
        "This sign-in has already been used",
        "Each sign-in can be used once. If you went back or refreshed the page, start "
        "signing in again.",
    ),
    "state-expired": (
        Malformed,
        "Signing in took too long",
        "Signing in has to be finished within 10 minutes. Start signing in again.",
    ),
    "cancelled": (
        Malformed,
        "You did not finish signing in",
        "Signing in was cancelled, or the sign-in service did not allow it. Start signing in "
        "again, or sign in with your email address and password.",
    ),
    "provider-error": (
        Malformed,
        "Signing in did not finish",
        "The sign-in service could not finish signing you in. Start signing in again.",
    ),
    "code-missing": _NOT_CONFIRMED,
    "code-refused": _NOT_CONFIRMED,
    "issuer-mismatch": _NOT_CONFIRMED,
    "id-token-missing": _NOT_CONFIRMED,
    "id-token-signature": _NOT_CONFIRMED,
    "id-token-expired": _NOT_CONFIRMED,
    "id-token-nonce": _NOT_CONFIRMED,
    "id-token-claims": _NOT_CONFIRMED,
    "userinfo-subject": _NOT_CONFIRMED,
    "vot-not-accepted": (
        Forbidden,
        "We need to be sure who you are",
        "The sign-in service has not confirmed who you are to the level this service needs. "
        "Prove who you are with the sign-in service (for NHS login, with photo ID), then "
        "sign in again.",
    ),
    "email-missing": (
        Malformed,
        "Your email address was not shared",
        "The sign-in service did not share your email address, and this service needs it. "
        "Allow it to share your email address, then sign in again.",
    ),
    "email-in-use": (
        Conflict,
        "An account already uses your email address",
        "There is already an account here with the email address the sign-in service gave "
        "us, and the service could not confirm that the address is yours. Sign in with your "
        "email address and password instead.",
    ),
    "linked-to-another": (
        Conflict,
        "Your account is linked to another sign-in",
        "The account with your email address is already linked to a different account with "
        "this sign-in service. Sign in with that one, or with your email address and password.",
    ),
    "account-inactive": (
        Forbidden,
        "Your account is switched off",
        "You cannot sign in while your account is switched off. Contact the team that runs "
        "this service.",
    ),
}


class SignInRefused(DomainError):
    """A sign-in through a provider that must not start a session; `reason` is for the log."""

    def __init__(self, reason: str, title: str, detail: str) -> None:
        super().__init__(title, detail)
        self.reason = reason


class _UnusableSignIn(SignInRefused, Malformed):
    pass


class _ForbiddenSignIn(SignInRefused, Forbidden):
    pass


class _ConflictingSignIn(SignInRefused, Conflict):
    pass


_REFUSED_AS: dict[type[DomainError], type[SignInRefused]] = {
    Malformed: _UnusableSignIn,
    Forbidden: _ForbiddenSignIn,
    Conflict: _ConflictingSignIn,
}


def sign_in_refused(reason: str) -> SignInRefused:
    kind, title, detail = _REFUSALS[reason]
    return _REFUSED_AS[kind](reason, title, detail)


class ProviderUnavailable(UpstreamFailed):
    """The provider did not answer, answered nonsense, or does not match its configuration."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "The sign-in service is not working",
            "We could not finish signing you in with the sign-in service just now. Try again "
            "in a few minutes, or sign in with your email address and password.",
        )
        self.reason = reason


class ProviderMetadata(msgspec.Struct, kw_only=True):
    """The parts of the provider's discovery document that we rely on."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    id_token_signing_alg_values_supported: list[str] = msgspec.field(
        default_factory=lambda: ["RS256"]
    )
    token_endpoint_auth_methods_supported: list[str] | None = None
    token_endpoint_auth_signing_alg_values_supported: list[str] | None = None
    code_challenge_methods_supported: list[str] | None = None
    authorization_response_iss_parameter_supported: bool = False


class Discovered(msgspec.Struct, frozen=True):
    metadata: ProviderMetadata
    keys: jwk.KeySet
    keys_fetched_at: float


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who the provider says signed in: its subject, and the profile it shared."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    display_name: str | None
    vot: str | None = None


_discovered: dict[str, Discovered] = {}
_discovery_locks: dict[str, asyncio.Lock] = {}


def _http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False)


async def _get_json(http: httpx.AsyncClient, url: str, what: str) -> Any:
    try:
        response = await http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("oidc: fetching %s from %s failed: %s", what, url, type(exc).__name__)
        raise ProviderUnavailable(f"{what}-unavailable") from exc


async def _fetch_keys(http: httpx.AsyncClient, jwks_uri: str) -> jwk.KeySet:
    data = await _get_json(http, jwks_uri, "jwks")
    try:
        return jwk.KeySet.import_key_set(data)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ProviderUnavailable("jwks-invalid") from exc


def _check_metadata(provider: OidcProvider, metadata: ProviderMetadata) -> None:
    """What the provider says it supports against what we were configured to use."""
    problems = []
    if metadata.issuer != provider.issuer:
        problems.append("its discovery document names another issuer")
    if (
        metadata.code_challenge_methods_supported is not None
        and "S256" not in metadata.code_challenge_methods_supported
    ):
        problems.append("it does not support PKCE with S256")
    methods = metadata.token_endpoint_auth_methods_supported
    if methods is not None and provider.client_auth not in methods:
        problems.append(f"it does not support {provider.client_auth}")
    algs = metadata.token_endpoint_auth_signing_alg_values_supported
    if (
        provider.client_auth == "private_key_jwt"
        and algs is not None
        and provider.client_assertion_alg not in algs
    ):
        problems.append(f"it does not accept {provider.client_assertion_alg} assertions")
    if not SIGNING_ALGORITHMS.intersection(metadata.id_token_signing_alg_values_supported):
        problems.append("it signs ID tokens with no public-key algorithm we accept")
    if problems:
        log.error("oidc: provider %s is not usable: %s", provider.name, "; ".join(problems))
        raise ProviderUnavailable("provider-mismatch")


async def discover(provider: OidcProvider) -> Discovered:
    """The provider's metadata and keys, fetched once and kept for the life of the process."""
    found = _discovered.get(provider.issuer)
    if found is not None:
        return found
    lock = _discovery_locks.setdefault(provider.issuer, asyncio.Lock())
    async with lock:
        found = _discovered.get(provider.issuer)
        if found is not None:
            return found
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        async with _http() as http:
            data = await _get_json(http, url, "discovery")
            try:
                metadata = msgspec.convert(data, ProviderMetadata)
            except msgspec.ValidationError as exc:
                log.error("oidc: discovery document of %s is not usable: %s", provider.name, exc)
                raise ProviderUnavailable("discovery-invalid") from exc
            _check_metadata(provider, metadata)
            keys = await _fetch_keys(http, metadata.jwks_uri)
        found = Discovered(metadata=metadata, keys=keys, keys_fetched_at=time.monotonic())
        _discovered[provider.issuer] = found
        return found


async def _keys_for(provider: OidcProvider, discovered: Discovered, kid: str | None) -> jwk.KeySet:
    """The provider's keys; fetched again when a token names a key we have not seen."""
    known = {key.kid for key in discovered.keys.keys}
    stale = time.monotonic() - discovered.keys_fetched_at > JWKS_REFETCH_SECONDS
    if kid is None or kid in known or not stale:
        return discovered.keys
    async with _http() as http:
        keys = await _fetch_keys(http, discovered.metadata.jwks_uri)
    _discovered[provider.issuer] = msgspec.structs.replace(
        discovered, keys=keys, keys_fetched_at=time.monotonic()
    )
    return keys


def _client_key(provider: OidcProvider) -> jwk.Key:
    assert provider.private_key is not None
    return jwk.import_key(json.loads(provider.private_key))


def _oauth_client(provider: OidcProvider, metadata: ProviderMetadata) -> AsyncOAuth2Client:
    secret: Any = provider.client_secret
    if provider.client_auth == "private_key_jwt":
        secret = _client_key(provider)
    client = AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=secret,
        token_endpoint_auth_method=provider.client_auth,
        scope=" ".join(provider.scopes),
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_SECONDS,
        follow_redirects=False,
    )
    if provider.client_auth == "private_key_jwt":
        client.register_client_auth_method(
            PrivateKeyJWT(
                metadata.token_endpoint,
                # Short-lived, and naming the key so the provider need not guess.
                claims={"exp": int(time.time()) + 300},
                headers={"kid": secret.kid},
                alg=provider.client_assertion_alg,
            )
        )
    return client


async def authorization_url(
    provider: OidcProvider,
    discovered: Discovered,
    *,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_verifier: str,
) -> str:
    """Where to send the browser: the code flow with PKCE S256, state, nonce and any vtr."""
    extra: dict[str, str] = {"nonce": nonce, "redirect_uri": redirect_uri}
    if provider.vtr:
        extra["vtr"] = json.dumps(list(provider.vtr), separators=(",", ":"))
    async with _oauth_client(provider, discovered.metadata) as client:
        url, _ = client.create_authorization_url(
            discovered.metadata.authorization_endpoint,
            state=state,
            code_verifier=code_verifier,
            **extra,
        )
    return str(url)


def check_callback_issuer(discovered: Discovered, params: Mapping[str, str]) -> None:
    """RFC 9207: a provider that names itself in the callback must name itself, not another."""
    iss = params.get("iss")
    expected = discovered.metadata.issuer
    if iss is not None and iss != expected:
        raise sign_in_refused("issuer-mismatch")
    if iss is None and discovered.metadata.authorization_response_iss_parameter_supported:
        raise sign_in_refused("issuer-mismatch")


async def validate_id_token(
    provider: OidcProvider, discovered: Discovered, id_token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, times and nonce check out."""
    try:
        header = extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError) as exc:
        raise sign_in_refused("id-token-signature") from exc
    keys = await _keys_for(provider, discovered, header.get("kid"))
    algorithms = sorted(
        SIGNING_ALGORITHMS.intersection(discovered.metadata.id_token_signing_alg_values_supported)
    )
    try:
        token = jwt.decode(id_token, keys, algorithms=algorithms)
    except (JoseError, ValueError) as exc:
        raise sign_in_refused("id-token-signature") from exc
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": discovered.metadata.issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise sign_in_refused("id-token-expired") from exc
    except ClaimError as exc:
        reason = "id-token-nonce" if exc.claim == "nonce" else "id-token-claims"
        raise sign_in_refused(reason) from exc
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
        raise sign_in_refused("id-token-claims")
    if provider.accepted_vot and claims.get("vot") not in provider.accepted_vot:
        raise sign_in_refused("vot-not-accepted")
    return claims


def _display_name(profile: Mapping[str, Any]) -> str | None:
    name = profile.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    parts = [profile.get("given_name"), profile.get("family_name")]
    joined = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    return joined or None


async def complete(
    provider: OidcProvider,
    discovered: Discovered,
    *,
    code: str,
    redirect_uri: str,
    nonce: str,
    code_verifier: str,
) -> Identity:
    """Exchange the code, check the ID token, and read the profile from userinfo."""
    metadata = discovered.metadata
    async with _oauth_client(provider, metadata) as client:
        try:
            token = await client.fetch_token(
                metadata.token_endpoint,
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
            )
        except OAuthError as exc:
            # The OAuth error code (invalid_grant, ...) says nothing about the person.
            log.info("oidc: %s refused the code: %s", provider.name, exc.error)
            raise sign_in_refused("code-refused") from exc
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("oidc: token request to %s failed: %s", provider.name, type(exc).__name__)
            raise ProviderUnavailable("token-unavailable") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise sign_in_refused("id-token-missing")
        claims = await validate_id_token(provider, discovered, id_token, nonce)
        profile: dict[str, Any] = {}
        if metadata.userinfo_endpoint and token.get("access_token"):
            try:
                response = await client.get(metadata.userinfo_endpoint)
                response.raise_for_status()
                profile = response.json()
            except (httpx.HTTPError, ValueError, OAuthError) as exc:
                log.warning("oidc: userinfo of %s failed: %s", provider.name, type(exc).__name__)
                raise ProviderUnavailable("userinfo-unavailable") from exc
            # OpenID Connect Core 5.3.2: userinfo about anyone else must not be used.
            if not isinstance(profile, dict) or profile.get("sub") != claims["sub"]:
                raise sign_in_refused("userinfo-subject")
    merged = {**claims, **profile}
    email = merged.get("email")
    vot = claims.get("vot")
    return Identity(
        provider=provider.name,
        subject=str(claims["sub"]),
        email=email if isinstance(email, str) and email.strip() else None,
        # Only a real true: some providers send "false" as a string.
        email_verified=merged.get("email_verified") is True,
        display_name=_display_name(merged),
        vot=vot if isinstance(vot, str) else None,
    )
