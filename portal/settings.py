"""Settings read once from PORTAL_* environment variables into one typed object."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A PORTAL_* variable holds a value the portal cannot use."""


ClientAuth = Literal["client_secret_basic", "private_key_jwt"]


class OidcProvider(msgspec.Struct, frozen=True, kw_only=True):
    """One OpenID provider people can sign in with; see PORTAL_OIDC_PROVIDERS in the README."""

    name: str  # in the sign-in address: /sign-in/oidc/<name>
    label: str  # the button's text, e.g. "Sign in with NHS login"
    issuer: str
    client_id: str
    client_auth: ClientAuth
    client_secret: str | None = None  # client_secret_basic
    private_key: str | None = None  # private_key_jwt: a private JWK as JSON text, with a kid
    client_assertion_alg: str | None = None  # private_key_jwt: the assertion's "alg"
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    vtr: tuple[str, ...] = ()  # vectors of trust asked for (NHS login), sent as a JSON list
    accepted_vot: tuple[str, ...] = ()  # the ID token's "vot" must be one of these
    emails_verified: bool = False  # may its verified emails be linked to existing accounts?
    redirect_uri: str | None = None  # when the callback address is not the one requests come to

    def __repr__(self) -> str:
        # Settings get printed when debugging; the secret and the key must not be.
        return f"OidcProvider(name={self.name!r}, issuer={self.issuer!r})"


class _OidcProviderInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    label: str
    issuer: str
    client_id: str
    client_auth: str
    client_secret: str | None = None
    client_secret_file: str | None = None
    private_key: str | dict[str, Any] | None = None
    private_key_file: str | None = None
    client_assertion_alg: str | None = None
    scopes: list[str] = msgspec.field(default_factory=lambda: ["openid", "profile", "email"])
    vtr: list[str] = msgspec.field(default_factory=list)
    accepted_vot: list[str] | None = None
    emails_verified: bool = False
    redirect_uri: str | None = None


_PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_EC_ALGS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
_ASSERTION_ALGS = {
    "RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    "EC": ("ES256", "ES384", "ES512"),
    "OKP": ("EdDSA", "Ed25519"),
}


def _web_address(where: str, value: str, *, https_only: bool) -> str:
    parts = urlsplit(value)
    plain_http_ok = not https_only or (parts.hostname or "") in _LOOPBACK
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise SettingsError(f"{where} must be a web address like https://login.example.org")
    if parts.scheme == "http" and not plain_http_ok:
        raise SettingsError(f"{where} must use https:// (plain http only on 127.0.0.1)")
    if parts.query or parts.fragment:
        raise SettingsError(f"{where} must not have a query (?) or fragment (#)")
    return value


def _private_jwk(where: str, raw: str | dict[str, Any]) -> str:
    from joserfc import jwk
    from joserfc.errors import JoseError

    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        key = jwk.import_key(data)
    except (ValueError, TypeError, JoseError) as exc:
        raise SettingsError(f"{where} must be a private key in JWK form (JSON)") from exc
    if key.key_type not in _ASSERTION_ALGS or not key.is_private:
        raise SettingsError(f"{where} must be a private RSA, EC or OKP key in JWK form")
    # The provider finds the matching public key by "kid"; RFC 7638's thumbprint when none.
    key.ensure_kid()
    return json.dumps(key.as_dict(private=True))


def _read_file(where: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"{where}: cannot read {path!r} ({exc.strerror})") from exc


def _oidc_provider(index: int, given: _OidcProviderInput) -> OidcProvider:
    where = f"PORTAL_OIDC_PROVIDERS[{index}]"
    if not _PROVIDER_NAME.match(given.name):
        raise SettingsError(
            f"{where}.name must be 1 to 40 lowercase letters, digits, - or _ (it goes in addresses)"
        )
    where = f"PORTAL_OIDC_PROVIDERS ({given.name})"
    if not given.label.strip() or len(given.label) > 100:
        raise SettingsError(f"{where}.label must be the button text, up to 100 characters")
    _web_address(f"{where}.issuer", given.issuer, https_only=True)
    if not given.client_id:
        raise SettingsError(f"{where}.client_id must not be empty")
    if given.redirect_uri is not None:
        _web_address(f"{where}.redirect_uri", given.redirect_uri, https_only=False)
    if "openid" not in given.scopes:
        raise SettingsError(f"{where}.scopes must include openid")
    if any(not value for value in given.vtr):
        raise SettingsError(f'{where}.vtr must be a list of vectors of trust, like ["P9.Cp.Cd"]')
    accepted_vot = given.vtr if given.accepted_vot is None else given.accepted_vot
    secret = given.client_secret
    if given.client_secret_file is not None:
        if secret is not None:
            raise SettingsError(f"{where}: give client_secret or client_secret_file, not both")
        secret = _read_file(f"{where}.client_secret_file", given.client_secret_file)
    key_text = given.private_key
    if given.private_key_file is not None:
        if key_text is not None:
            raise SettingsError(f"{where}: give private_key or private_key_file, not both")
        key_text = _read_file(f"{where}.private_key_file", given.private_key_file)
    private_key: str | None = None
    alg = given.client_assertion_alg
    client_auth: ClientAuth
    if given.client_auth == "client_secret_basic":
        client_auth = "client_secret_basic"
        if not secret:
            raise SettingsError(f"{where}: client_secret_basic needs client_secret")
        if key_text is not None or alg is not None:
            raise SettingsError(f"{where}: private_key is only for client_auth private_key_jwt")
    elif given.client_auth == "private_key_jwt":
        client_auth = "private_key_jwt"
        if key_text is None:
            raise SettingsError(f"{where}: private_key_jwt needs private_key or private_key_file")
        if secret is not None:
            raise SettingsError(f"{where}: client_secret is only for client_secret_basic")
        private_key = _private_jwk(f"{where}.private_key", key_text)
        key_data = json.loads(private_key)
        key_type = key_data["kty"]
        fitting = _ASSERTION_ALGS[key_type]
        alg = alg or _EC_ALGS.get(key_data.get("crv", ""), fitting[0])
        if alg not in fitting:
            raise SettingsError(
                f"{where}.client_assertion_alg {alg!r} does not fit a {key_type} key;"
                f" use one of {', '.join(fitting)}"
            )
    else:
        raise SettingsError(
            f"{where}.client_auth must be client_secret_basic or private_key_jwt,"
            f" not {given.client_auth!r}"
        )
    return OidcProvider(
        name=given.name,
        label=given.label.strip(),
        issuer=given.issuer,
        client_id=given.client_id,
        client_auth=client_auth,
        client_secret=secret,
        private_key=private_key,
        client_assertion_alg=alg,
        scopes=tuple(given.scopes),
        vtr=tuple(given.vtr),
        accepted_vot=tuple(accepted_vot),
        emails_verified=given.emails_verified,
        redirect_uri=given.redirect_uri,
    )


def parse_oidc_providers(raw: str) -> tuple[OidcProvider, ...]:
    """PORTAL_OIDC_PROVIDERS: a JSON list of providers, checked now rather than at sign-in."""
    if not raw.strip():
        return ()
    try:
        given = msgspec.json.decode(raw, type=list[_OidcProviderInput])
    except msgspec.ValidationError as exc:
        raise SettingsError(f"PORTAL_OIDC_PROVIDERS: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise SettingsError(
            f"PORTAL_OIDC_PROVIDERS must be a JSON list of providers: {exc}"
        ) from exc
    providers = tuple(_oidc_provider(index, item) for index, item in enumerate(given))
    names = [provider.name for provider in providers]
    if len(set(names)) != len(names):
        raise SettingsError("PORTAL_OIDC_PROVIDERS: each provider needs its own name")
    return providers


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # postgresql://user@host:port/db selects PostgreSQL; empty means the embedded SQLite file.
    database_url: str = ""
    sqlite_path: str = "var/portal.sqlite3"
    sqlite_pool_size: int = 4
    postgres_pool_max: int = 10
    session_cookie_name: str = "portal_sid"
    session_hours: int = 12
    secure_cookies: bool = False
    max_body_bytes: int = 256 * 1024
    # Sign-in limits: failures allowed in the window before sign-in is refused for a while.
    sign_in_window_minutes: int = 15
    sign_in_failures_per_account: int = 5
    sign_in_failures_per_address: int = 100
    # OpenID providers to sign in with, besides local accounts (JSON; see the README).
    oidc_providers: tuple[OidcProvider, ...] = ()
    # Signs the CSRF tokens. Empty with SQLite: made once and kept beside the database file
    # (secret_key_for); with PostgreSQL it must be set, so that every app server shares it.
    secret_key: str = ""
    debug: bool = False
    # Email about sign-off decisions. No host: people are told in the portal only.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = ""  # needed with a host: "Plan portal <noreply@council.example>"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    # Where people reach the portal; links in emails start with it.
    base_url: str = "http://127.0.0.1:8000"
    # PDF exports are made in this many worker processes, off the event loop; one that takes
    # longer than the timeout is answered with 503 (the worker finishes it and carries on).
    pdf_workers: int = 2
    pdf_timeout_seconds: int = 120
    # Live updates across several app instances go through this Redis (redis://host:6379/0);
    # empty: within one process only.
    redis_url: str = ""
    # A live-update stream ends after this long; browsers reconnect by themselves.
    live_stream_seconds: int = 3600

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sends_email(self) -> bool:
        return bool(self.smtp_host)

    def __repr__(self) -> str:
        # Settings get printed when debugging; secrets must not be.
        shown = []
        for field in msgspec.structs.fields(self):
            value = getattr(self, field.name)
            if field.name in _SECRET_FIELDS and value:
                value = "***"
            shown.append(f"{field.name}={value!r}")
        return f"Settings({', '.join(shown)})"


_SECRET_FIELDS = frozenset({"secret_key", "smtp_password", "redis_url"})


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _read(env: Mapping[str, str], name: str) -> str | None:
    # NAME_FILE holds the path of a file with the secret, as container secrets are mounted.
    file_var = env.get(f"PORTAL_{name}_FILE")
    if file_var:
        return Path(file_var).read_text(encoding="utf-8").strip()
    return env.get(f"PORTAL_{name}")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment so the same code runs embedded and in production."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        raw = _read(env, field.name.upper())
        if raw is None:
            continue
        if field.name == "oidc_providers":
            values[field.name] = parse_oidc_providers(raw)
        elif field.type is bool:
            values[field.name] = _bool(f"PORTAL_{field.name.upper()}", raw)
        elif field.type is int:
            try:
                values[field.name] = int(raw)
            except ValueError as exc:
                raise SettingsError(f"PORTAL_{field.name.upper()} must be a whole number") from exc
        else:
            values[field.name] = raw
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.database_url and not settings.uses_postgres:
        raise SettingsError(
            "PORTAL_DATABASE_URL must start with postgresql:// (or be empty for SQLite)"
        )
    if settings.secret_key and len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            f"PORTAL_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters. {_MAKE_ONE}"
        )
    _check_email_settings(settings)
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://")):
        raise SettingsError("PORTAL_REDIS_URL must start with redis:// or rediss://")
    if not 1 <= settings.live_stream_seconds <= 86_400:
        raise SettingsError("PORTAL_LIVE_STREAM_SECONDS must be from 1 to 86400 (a day)")
    if not 1 <= settings.pdf_workers <= 32:
        raise SettingsError("PORTAL_PDF_WORKERS must be a whole number from 1 to 32")
    if settings.pdf_timeout_seconds < 1:
        raise SettingsError("PORTAL_PDF_TIMEOUT_SECONDS must be 1 or more")
    return msgspec.structs.replace(settings, base_url=_base_url(settings.base_url))


def _base_url(value: str) -> str:
    where = "PORTAL_BASE_URL"
    _web_address(where, value, https_only=False)
    if urlsplit(value).path not in ("", "/"):
        raise SettingsError(
            f"{where} must be the portal's address without a path, like https://plans.example.org"
        )
    return value.rstrip("/")


def _check_email_settings(settings: Settings) -> None:
    host = settings.smtp_host
    if not 1 <= settings.smtp_port <= 65535:
        raise SettingsError("PORTAL_SMTP_PORT must be a port number from 1 to 65535")
    if not host:
        return
    if any(c.isspace() for c in host) or "/" in host:
        raise SettingsError(
            "PORTAL_SMTP_HOST must be a host name or address, like smtp.example.org"
        )
    if not settings.smtp_from:
        raise SettingsError(
            "PORTAL_SMTP_FROM must be set when PORTAL_SMTP_HOST is: the address emails come "
            "from, like Plan portal <noreply@council.example>"
        )
    _, address = parseaddr(settings.smtp_from)
    if "@" not in address or any(c in settings.smtp_from for c in "\r\n"):
        raise SettingsError(
            "PORTAL_SMTP_FROM must be an email address, like Plan portal <noreply@council.example>"
        )
    if bool(settings.smtp_username) != bool(settings.smtp_password):
        raise SettingsError(
            "PORTAL_SMTP_USERNAME and PORTAL_SMTP_PASSWORD (or PORTAL_SMTP_PASSWORD_FILE) "
            "go together: set both, or neither"
        )
    if settings.smtp_username and not settings.smtp_starttls and host not in _LOOPBACK:
        raise SettingsError(
            "PORTAL_SMTP_USERNAME needs PORTAL_SMTP_STARTTLS=true: without it the password "
            "would cross the network unencrypted (plain SMTP is only for 127.0.0.1)"
        )


MIN_SECRET_KEY_LENGTH = 32
_MAKE_ONE = "Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def secret_key_for(settings: Settings) -> str:
    """The secret that signs tokens: as configured, or (SQLite only) kept beside the database."""
    if settings.secret_key:
        return settings.secret_key
    if settings.uses_postgres:
        raise SettingsError(
            "PORTAL_SECRET_KEY (or PORTAL_SECRET_KEY_FILE) must be set when PORTAL_DATABASE_URL "
            f"selects PostgreSQL: every app server must share one secret. {_MAKE_ONE}"
        )
    return embedded_secret_key(Path(settings.sqlite_path).parent / "secret_key")


def embedded_secret_key(path: Path) -> str:
    """The secret in `path`, made on first use, so every process on this machine shares one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked into place: a process starting at
        # the same moment either makes the link or reads the one that did, never half a file.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(f"{path} holds no usable secret key: delete it and start again")
    return secret
