"""Settings read once from PORTAL_* environment variables into one typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A PORTAL_* variable holds a value the portal cannot use."""


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
    debug: bool = False

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))


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
        if field.type is bool:
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
    return settings
