"""`portal serve` starts, answers, and stops cleanly even with writes in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid

import httpx

from portal.security import CSRF_COOKIE_NAME, CSRF_HEADER_NAME
from tests.conftest import PASSWORD, csrf_ready, free_port


async def test_serve_stops_cleanly_while_writes_are_in_flight(app, tmp_path) -> None:
    from portal.accounts.service import create_user

    email = f"serve-{uuid.uuid4().hex[:8]}@example.org"
    await create_user(email, PASSWORD, "Serve")
    port = free_port()
    # A file, not a pipe: nobody reads a pipe while the writers run, and a full one would
    # stall the server's access log and so its shutdown.
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: ASYNC220 - starting a server, not waiting on it
        [sys.executable, "-m", "portal.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            for _ in range(100):
                try:
                    if (await http.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            await csrf_ready(http)
            signed_in = await http.post(
                "/api/v1/session", json={"email": email, "password": PASSWORD}
            )
            assert signed_in.status_code == 201
            plan = (await http.post("/api/v1/plans", json={"kind": "care_and_support"})).json()
            url = f"/api/v1/plans/{plan['id']}/sections/starting_point"

            async def writer(n: int) -> None:
                version = 0
                for i in range(1000):
                    try:
                        response = await http.put(
                            url,
                            json={"what_i_enjoy": f"writer {n} write {i}"},
                            headers={"If-Match": f'"{version}"'},
                        )
                    except httpx.TransportError:
                        return
                    if response.status_code == 200 or response.status_code == 409:
                        version = response.json()["version"]

            writers = [asyncio.create_task(writer(n)) for n in range(8)]
            await asyncio.sleep(1.0)
            stopped_at = time.monotonic()
            process.send_signal(signal.SIGTERM)
            exit_code = await asyncio.to_thread(process.wait, 40)
            took = time.monotonic() - stopped_at
            await asyncio.gather(*writers)
        log.close()
        output = log_path.read_text()
        # uvicorn shuts down gracefully, then re-raises the signal it caught: -15 is a clean stop.
        assert exit_code in (0, -signal.SIGTERM), output
        assert "Application shutdown complete" in output, output
        assert took < 30, f"shutdown took {took:.1f}s"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()

    # Whatever was accepted before the stop is intact and readable afterwards.
    from portal.plans.tables import PlanSection, Revision

    section = (
        await PlanSection.select()
        .where((PlanSection.plan == uuid.UUID(plan["id"])) & (PlanSection.key == "starting_point"))
        .first()
    )
    revisions = await Revision.count().where(
        (Revision.plan == uuid.UUID(plan["id"])) & (Revision.subject == "section:starting_point")
    )
    assert section is not None
    assert section["version"] == revisions > 0


def test_every_worker_checks_tokens_with_the_one_secret_made_beside_the_database(
    tmp_path,
) -> None:
    """`portal serve --workers 3` on a fresh SQLite file and no secret set: the secret is made
    once (var/secret_key, readable by its owner only), and a CSRF token one worker issued is
    good at whichever worker the next connection reaches."""
    unset = {"PORTAL_DATABASE_URL", "PORTAL_SECRET_KEY", "PORTAL_SECRET_KEY_FILE"}
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env["PORTAL_SQLITE_PATH"] = "var/portal.sqlite3"
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", "serve", "--port", str(port), "--workers", "3"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    # No keep-alive: every request is a new connection, which any worker may accept.
    http = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        timeout=10,
        limits=httpx.Limits(max_keepalive_connections=0),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if http.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        secret_file = tmp_path / "var" / "secret_key"
        assert secret_file.stat().st_mode & 0o777 == 0o600
        assert len(secret_file.read_text().strip()) >= 32
        for attempt in range(30):
            http.cookies.clear()
            token = http.get("/api/v1/session/csrf").json()["csrf_token"]
            assert CSRF_COOKIE_NAME in http.cookies, "the id the token is made from"
            answer = http.post(
                "/api/v1/session",
                json={"email": f"nobody-{attempt}@example.org", "password": "wrong-password-1"},
                headers={CSRF_HEADER_NAME: token},
            )
            # 401: the token was accepted and the sign-in itself was judged (and refused).
            assert answer.status_code == 401, (attempt, answer.text)
        assert list(secret_file.parent.glob(".secret_key.*")) == [], "no draft left behind"
    finally:
        http.close()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
