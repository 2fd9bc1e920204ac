"""The README's "how a script authenticates" example, run as a reader would run it: copied out
of README.md into its own Python process, against a real `portal serve`."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid

import httpx

from tests.api.helpers import create_plan, read_section
from tests.conftest import PASSWORD, ROOT, csrf_ready

_MARKER = "<!-- tests/api/test_readme_example.py runs this block"


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(_MARKER) == 1, "one example, marked for this test"
    after = readme.split(_MARKER, 1)[1]
    block = re.match(r"[^\n]*\n```python\n(.*?)\n```\n", after, re.S)
    assert block, "the marker is followed by a ```python block"
    return block.group(1)


def test_the_readme_example_is_the_documented_steps() -> None:
    code = readme_example()
    for step in ("/api/v1/session/csrf", '"/api/v1/session"', "X-CSRF-Token", "csrf_token"):
        assert step in code, step


async def test_the_readme_example_signs_in_reads_a_plan_and_saves_a_section(  # type: ignore[no-untyped-def]
    app, live_server: str
) -> None:
    from portal.accounts.service import create_user

    email = f"script-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, "Sam Script")
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as person:
        await csrf_ready(person)
        signed_in = await person.post(
            "/api/v1/session", json={"email": email, "password": PASSWORD}
        )
        assert signed_in.status_code == 201, signed_in.text
        plan = await create_plan(person, title="Sam's plan")
        before = await read_section(person, str(plan["id"]), "about_me")

        # Its own process, as a reader runs it; waited for off the event loop.
        ran = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", readme_example()],
            env={
                **os.environ,
                "PORTAL_URL": live_server,
                "PORTAL_EMAIL": email,
                "PORTAL_PASSWORD": PASSWORD,
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        version = before["version"] + 1
        assert ran.stdout.strip() == f'saved "Sam\'s plan", now at version {version}'

        # It read the plan (its title is in what it printed) and saved the section.
        after = await read_section(person, str(plan["id"]), "about_me")
        assert after["content"]["who_i_am"] == "Written by my script"
        assert after["version"] == version
        # The script signed out its own session only; this one still works.
        assert (await person.get("/api/v1/session")).status_code == 200
