"""Settings come from PORTAL_* variables, strictly."""

from __future__ import annotations

import threading

import pytest

from portal.settings import SettingsError, embedded_secret_key, load_settings, secret_key_for


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


GOOD_SECRET = "a-configured-secret-that-is-long-enough-" + "k" * 16


def test_without_a_secret_sqlite_makes_one_beside_the_database_and_keeps_it(tmp_path) -> None:
    settings = load_settings({"PORTAL_SQLITE_PATH": str(tmp_path / "var" / "portal.sqlite3")})
    assert settings.secret_key == "", "the settings object itself stays as configured"
    first = secret_key_for(settings)
    kept = tmp_path / "var" / "secret_key"
    assert kept.read_text().strip() == first
    assert kept.stat().st_mode & 0o777 == 0o600, "readable by its owner only"
    assert len(first) >= 32
    assert secret_key_for(settings) == first, "reused, not made again"
    other = load_settings({"PORTAL_SQLITE_PATH": str(tmp_path / "elsewhere" / "p.sqlite3")})
    assert secret_key_for(other) != first, "each database has its own"


def test_processes_starting_together_agree_on_one_secret(tmp_path) -> None:
    path = tmp_path / "secret_key"
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda: found.append(embedded_secret_key(path))) for _ in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 16 and len(set(found)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"], "no drafts left behind"


def test_a_configured_secret_is_used_and_no_file_is_made(tmp_path) -> None:
    settings = load_settings(
        {
            "PORTAL_SECRET_KEY": GOOD_SECRET,
            "PORTAL_SQLITE_PATH": str(tmp_path / "portal.sqlite3"),
        }
    )
    assert secret_key_for(settings) == GOOD_SECRET
    assert not (tmp_path / "secret_key").exists()


def test_the_secret_can_come_from_a_file(tmp_path) -> None:
    mounted = tmp_path / "mounted"
    mounted.write_text(GOOD_SECRET + "\n")
    settings = load_settings({"PORTAL_SECRET_KEY_FILE": str(mounted)})
    assert settings.secret_key == GOOD_SECRET


def test_postgresql_without_a_secret_refuses_to_start() -> None:
    settings = load_settings({"PORTAL_DATABASE_URL": "postgresql://u@db:5432/portal"})
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY .*must be set .*PostgreSQL"):
        secret_key_for(settings)
    configured = load_settings(
        {"PORTAL_DATABASE_URL": "postgresql://u@db:5432/portal", "PORTAL_SECRET_KEY": GOOD_SECRET}
    )
    assert secret_key_for(configured) == GOOD_SECRET


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(SettingsError, match="at least 32 characters"):
        load_settings({"PORTAL_SECRET_KEY": "too-short"})


def test_an_emptied_secret_file_is_reported_not_used(tmp_path) -> None:
    (tmp_path / "secret_key").write_text("\n")
    settings = load_settings({"PORTAL_SQLITE_PATH": str(tmp_path / "portal.sqlite3")})
    with pytest.raises(SettingsError, match="delete it"):
        secret_key_for(settings)
