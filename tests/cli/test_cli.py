"""The `portal` command, run as a person would run it, in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.conftest import PASSWORD


def portal(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args],
        cwd=cwd,
        env=env if env is not None else dict(os.environ),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_users_create_makes_an_account_that_can_sign_in(app, client, tmp_path) -> None:
    email = f"cli-{uuid.uuid4().hex[:8]}@example.org"
    done = portal(
        "users", "create", "--email", email, "--password", PASSWORD, "--name", "Kim", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert email in done.stdout
    signed_in = await client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 201
    assert signed_in.json()["display_name"] == "Kim"


async def test_users_create_prompts_for_the_password_when_not_given(app, client, tmp_path) -> None:
    email = f"prompt-{uuid.uuid4().hex[:8]}@example.org"
    done = portal(
        "users", "create", "--email", email, cwd=tmp_path, stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert done.returncode == 0, done.stderr
    signed_in = await client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 201


async def test_users_create_refuses_a_duplicate_or_a_short_password(app, tmp_path) -> None:
    email = f"dup-{uuid.uuid4().hex[:8]}@example.org"
    assert (
        portal("users", "create", "--email", email, "--password", PASSWORD, cwd=tmp_path).returncode
        == 0
    )
    again = portal(
        "users", "create", "--email", email.upper(), "--password", PASSWORD, cwd=tmp_path
    )
    assert again.returncode == 2
    assert "already exists" in again.stderr
    short = portal("users", "create", "--email", f"x{email}", "--password", "short", cwd=tmp_path)
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr


async def test_demo_is_half_finished_and_safe_to_repeat(app, client, tmp_path) -> None:
    first = portal("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = portal("demo", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "already there" in second.stdout
    signed_in = await client.post(
        "/api/v1/session", json={"email": "alex@example.org", "password": "demo-password-1"}
    )
    assert signed_in.status_code == 201
    plans = (await client.get("/api/v1/plans")).json()
    assert len(plans) == 1
    plan = (await client.get(f"/api/v1/plans/{plans[0]['id']}")).json()
    statuses = {criterion["status"] for criterion in plan["criteria"]}
    assert statuses == {"met", "partial", "missing"}
    await client.delete("/api/v1/session")
    # Jordan, the planner Alex shared two sections with, sees those and nothing else.
    signed_in = await client.post(
        "/api/v1/session", json={"email": "jordan@example.org", "password": "demo-password-1"}
    )
    assert signed_in.status_code == 201
    shared = (await client.get(f"/api/v1/plans/{plan['id']}")).json()
    assert [section["key"] for section in shared["sections"]] == ["about_me", "outcomes"]
    await client.delete("/api/v1/session")


def test_with_no_database_configured_it_uses_var_under_the_working_directory(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    done = portal("migrate", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "var" / "portal.sqlite3").is_file()
    assert "up to date" in done.stdout


def test_a_bad_setting_is_refused_with_a_message(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PORTAL_DATABASE_URL"] = "mysql://nope"
    done = portal("migrate", cwd=tmp_path, env=env)
    assert done.returncode != 0
    assert "PORTAL_DATABASE_URL must start with postgresql://" in done.stderr


def test_serve_on_postgresql_without_a_secret_key_refuses_to_start(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    # Refused before the database is touched, so no server needs to be listening here.
    env["PORTAL_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:9/none"
    done = portal("serve", "--port", "9", cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "The portal cannot start: PORTAL_SECRET_KEY" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "var").exists(), "no secret file is made for PostgreSQL"
