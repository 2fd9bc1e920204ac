"""Settings come from PORTAL_* variables, strictly."""

from __future__ import annotations

import pytest

from portal.settings import SettingsError, load_settings


def test_defaults_use_the_embedded_sqlite_file() -> None:
    settings = load_settings({})
    assert settings.uses_postgres is False
    assert settings.sqlite_path == "var/portal.sqlite3"


def test_a_postgresql_url_selects_postgresql() -> None:
    settings = load_settings({"PORTAL_DATABASE_URL": "postgresql://u@db:5432/portal"})
    assert settings.uses_postgres is True


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("0", False), ("Yes", True), ("off", False)]
)
def test_booleans_are_strict(raw: str, expected: bool) -> None:
    assert load_settings({"PORTAL_SECURE_COOKIES": raw}).secure_cookies is expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTAL_SECURE_COOKIES": "maybe"}, "true or false"),
        ({"PORTAL_SESSION_HOURS": "twelve"}, "whole number"),
        ({"PORTAL_DATABASE_URL": "sqlite:///x"}, "postgresql://"),
    ],
)
def test_bad_values_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def test_secrets_can_come_from_files(tmp_path) -> None:
    secret = tmp_path / "url"
    secret.write_text("postgresql://u:p@db/portal\n")
    settings = load_settings({"PORTAL_DATABASE_URL_FILE": str(secret)})
    assert settings.database_url == "postgresql://u:p@db/portal"
