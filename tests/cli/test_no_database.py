"""Every command run where there is no database says so in one line and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ORGANISATION = "00000000-0000-0000-0000-000000000001"
# The commands that need a database that is there; serve, migrate and demo make one.
NEEDS_A_DATABASE = [
    ["audit", "verify"],
    ["notifications", "send"],
    ["users", "create", "--email", "kim@example.org", "--password", "long-enough-password"],
    ["organisations", "create", "--name", "Borough", "--kind", "council"],
    [
        "staff",
        "add",
        "--organisation",
        ORGANISATION,
        "--email",
        "kim@example.org",
        "--role",
        "admin",
    ],
]


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(settings)
    return env


def _portal(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("args", NEEDS_A_DATABASE, ids=lambda args: " ".join(args[:2]))
@pytest.mark.parametrize("where", ["missing-folder/portal.sqlite3", "portal.sqlite3"])
def test_without_the_sqlite_file_it_says_so_and_makes_none(args, where, tmp_path) -> None:
    done = _portal(args, tmp_path, _env(PORTAL_SQLITE_PATH=where))
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert line.startswith(f"No database at {tmp_path / where}: run 'portal migrate'"), line
    assert list(tmp_path.iterdir()) == [], "no file or folder is left behind"


@pytest.mark.parametrize("args", NEEDS_A_DATABASE, ids=lambda args: " ".join(args[:2]))
def test_an_unreachable_postgresql_server_is_one_line(args, tmp_path) -> None:
    url = "postgresql://portal:secret-password@127.0.0.1:1/portal"
    done = _portal(args, tmp_path, _env(PORTAL_DATABASE_URL=url))
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert line.startswith("Cannot reach the database at postgresql://portal@127.0.0.1:1/portal:")
    assert "secret-password" not in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["migrate"], ["demo"]], ids=lambda args: args[0])
def test_the_commands_that_make_the_database_say_so_too_when_the_server_is_away(
    command, tmp_path
) -> None:
    done = _portal(command, tmp_path, _env(PORTAL_DATABASE_URL="postgresql://u@127.0.0.1:1/x"))
    assert done.returncode == 2
    assert "Cannot reach the database at postgresql://u@127.0.0.1:1/x" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_says_so_in_one_line_when_the_server_is_away(tmp_path) -> None:
    env = _env(PORTAL_DATABASE_URL="postgresql://u@127.0.0.1:1/x", PORTAL_SECRET_KEY="k" * 48)
    done = _portal(["serve", "--port", "1"], tmp_path, env)
    assert done.returncode == 2
    assert _one_line(done.stderr).startswith("Cannot reach the database at")


def test_a_postgresql_database_that_does_not_exist_is_named(tmp_path) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/portal_no_such_database"
    done = _portal(["audit", "verify"], tmp_path, _env(PORTAL_DATABASE_URL=url))
    assert done.returncode == 2
    assert _one_line(done.stderr) == (
        f'Cannot use the database at {url}: database "portal_no_such_database" does not exist.'
    )


def test_an_empty_sqlite_file_is_not_set_up(tmp_path) -> None:
    (tmp_path / "portal.sqlite3").touch()
    done = _portal(["audit", "verify"], tmp_path, _env(PORTAL_SQLITE_PATH="portal.sqlite3"))
    assert done.returncode == 2
    assert _one_line(done.stderr).endswith("is not set up: run 'portal migrate' first.")


def test_migrate_makes_the_folder_and_the_file_then_the_others_run(tmp_path) -> None:
    env = _env(PORTAL_SQLITE_PATH="new-folder/portal.sqlite3")
    made = _portal(["migrate"], tmp_path, env)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "new-folder" / "portal.sqlite3").is_file()
    verified = _portal(["audit", "verify"], tmp_path, env)
    assert verified.returncode == 0, verified.stderr
    assert "Audit trail intact: 0 entries checked." in verified.stdout


def test_help_says_which_commands_make_the_database(tmp_path) -> None:
    done = _portal(["--help"], tmp_path, _env())
    assert "serve, migrate and demo make the database when there is none" in " ".join(
        done.stdout.split()
    )
