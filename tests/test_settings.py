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
        ({"PORTAL_PDF_WORKERS": "0"}, "PORTAL_PDF_WORKERS must be a whole number from 1 to 32"),
        ({"PORTAL_PDF_WORKERS": "many"}, "whole number"),
        ({"PORTAL_PDF_TIMEOUT_SECONDS": "0"}, "PORTAL_PDF_TIMEOUT_SECONDS must be 1 or more"),
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


# --- email ---------------------------------------------------------------------------------

SMTP = {"PORTAL_SMTP_HOST": "smtp.example.org", "PORTAL_SMTP_FROM": "Plan portal <noreply@x.org>"}


def test_without_an_smtp_host_no_email_is_sent_and_links_point_at_this_machine() -> None:
    settings = load_settings({})
    assert settings.smtp_host == "" and settings.sends_email is False
    assert settings.smtp_port == 25 and settings.smtp_starttls is False
    assert settings.base_url == "http://127.0.0.1:8000"


def test_email_settings_are_read_with_the_password_from_a_file(tmp_path) -> None:
    password = tmp_path / "smtp-password"
    password.write_text("mail-s3cret\n")
    settings = load_settings(
        {
            **SMTP,
            "PORTAL_SMTP_PORT": "587",
            "PORTAL_SMTP_USERNAME": "portal",
            "PORTAL_SMTP_PASSWORD_FILE": str(password),
            "PORTAL_SMTP_STARTTLS": "true",
            "PORTAL_BASE_URL": "https://plans.example.org/",
            "PORTAL_SECRET_KEY": GOOD_SECRET,
        }
    )
    assert settings.sends_email is True
    assert (settings.smtp_host, settings.smtp_port) == ("smtp.example.org", 587)
    assert settings.smtp_from == "Plan portal <noreply@x.org>"
    assert (settings.smtp_username, settings.smtp_password) == ("portal", "mail-s3cret")
    assert settings.smtp_starttls is True
    assert settings.base_url == "https://plans.example.org", "no trailing slash to double up"
    printed = repr(settings)
    assert "mail-s3cret" not in printed and GOOD_SECRET not in printed
    assert "smtp.example.org" in printed and "smtp_password='***'" in printed


def test_plain_smtp_with_a_password_is_allowed_on_this_machine_only() -> None:
    local = {
        "PORTAL_SMTP_HOST": "127.0.0.1",
        "PORTAL_SMTP_FROM": "noreply@x.org",
        "PORTAL_SMTP_USERNAME": "portal",
        "PORTAL_SMTP_PASSWORD": "pw",
    }
    assert load_settings(local).smtp_username == "portal"
    with pytest.raises(SettingsError, match="PORTAL_SMTP_STARTTLS=true"):
        load_settings({**local, "PORTAL_SMTP_HOST": "smtp.example.org"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTAL_SMTP_HOST": "smtp.example.org"}, "PORTAL_SMTP_FROM must be set"),
        ({**SMTP, "PORTAL_SMTP_FROM": "Plan portal"}, "PORTAL_SMTP_FROM must be an email address"),
        ({**SMTP, "PORTAL_SMTP_PORT": "twenty-five"}, "PORTAL_SMTP_PORT must be a whole number"),
        ({**SMTP, "PORTAL_SMTP_PORT": "70000"}, "PORTAL_SMTP_PORT must be a port number"),
        ({**SMTP, "PORTAL_SMTP_HOST": "smtp://x.org"}, "PORTAL_SMTP_HOST must be a host name"),
        (
            {**SMTP, "PORTAL_SMTP_STARTTLS": "sometimes"},
            "PORTAL_SMTP_STARTTLS must be true or false",
        ),
        ({**SMTP, "PORTAL_SMTP_USERNAME": "portal"}, "go together"),
        ({**SMTP, "PORTAL_SMTP_PASSWORD": "pw"}, "go together"),
        ({"PORTAL_BASE_URL": "plans.example.org"}, "PORTAL_BASE_URL must be a web address"),
        ({"PORTAL_BASE_URL": "https://x.org/portal"}, "PORTAL_BASE_URL must be .* without a path"),
        ({"PORTAL_BASE_URL": "https://x.org/?a=1"}, "PORTAL_BASE_URL must not have a query"),
    ],
)
def test_bad_email_settings_stop_the_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)
