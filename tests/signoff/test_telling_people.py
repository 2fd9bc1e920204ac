"""Each sign-off decision tells the person and their co-authors, in the portal and, with SMTP
configured, by email (a real SMTP server on 127.0.0.1): a link, and no plan content."""

from __future__ import annotations

import email
import os
import uuid
from collections.abc import Iterator
from email import policy

import httpx
import pytest

from portal.app import create_app
from portal.settings import load_settings
from tests.api.helpers import plan_url
from tests.conftest import PASSWORD, Persona, csrf_ready
from tests.factories import give_role, make_organisation, write_complete_plan
from tests.notifications.conftest import BASE_URL, SENDER, SmtpServer
from tests.signoff.test_sign_off import status

DISTINCT = "Persimmon Quarrington"  # the person's name: never in an email


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


async def _persona(app: object, label: str, name: str) -> Persona:
    from portal.accounts.service import create_user

    address = f"{label}-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(address, PASSWORD, name)
    http = await csrf_ready(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    )
    signed_in = await http.post("/api/v1/session", json={"email": address, "password": PASSWORD})
    assert signed_in.status_code == 201, signed_in.text
    return Persona(label, address, http)


async def test_a_returned_plan_is_told_in_the_portal_and_by_email(  # type: ignore[no-untyped-def]
    app, smtp_server: SmtpServer
) -> None:
    del app  # migrated and open; the app under test is one with SMTP configured
    settings = load_settings(
        {
            **os.environ,
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(smtp_server.port),
            "PORTAL_SMTP_FROM": SENDER,
            "PORTAL_BASE_URL": BASE_URL,
        }
    )
    mail_app = create_app(settings)
    council = await make_organisation(kind="council")
    owner = await _persona(mail_app, "owner", DISTINCT)
    planner = await _persona(mail_app, "planner", "Planner")
    authoriser = await _persona(mail_app, "authoriser", "Authoriser")
    try:
        await give_role(authoriser, council, "plan_authoriser")
        plan_id = await write_complete_plan(owner.client)
        shared = await owner.client.post(
            f"{plan_url(plan_id)}/grants",
            json={
                "grantee_email": planner.email,
                "sections": ["about_me"],
                "access": "edit",
                "purpose": "Helping me write it",
            },
        )
        assert shared.status_code == 201, shared.text
        submitted = await owner.client.post(
            f"{plan_url(plan_id)}/submit",
            json={"organisation_id": str(council), "share_with_organisation": True},
        )
        assert submitted.status_code == 200, submitted.text

        # The person submitted: the co-author is told, the person (who did it) is not. (Emails
        # other tests left unsent go too, to their own people: only ours are looked at.)
        def ours() -> list[list[str]]:
            mine = {owner.email, planner.email, authoriser.email}
            return [m.rcpt_tos for m in smtp_server.messages if set(m.rcpt_tos) & mine]

        assert ours() == [[planner.email]]
        smtp_server.messages.clear()

        digest = (await status(authoriser, plan_id))["submitted_hash"]
        returned = await authoriser.client.post(
            f"{plan_url(plan_id)}/return",
            json={
                "version_hash": digest,
                "comments": [{"section": "about_me", "comment": "Say who helps you"}],
            },
        )
        assert returned.status_code == 200, returned.text

        mine = (await owner.client.get("/api/v1/notifications")).json()
        assert mine["unread"] >= 1
        latest = mine["items"][0]
        assert latest["kind"] == "return" and latest["link"] == f"/plans/{plan_id}/sign-off"

        told = sorted(address for rcpts in ours() for address in rcpts)
        assert told == sorted([owner.email, planner.email])
        for message in smtp_server.messages:
            if not set(message.rcpt_tos) & {owner.email, planner.email}:
                continue  # left unsent by another test, for its own people
            mail = email.message_from_bytes(message.content, policy=policy.default)
            body = mail.get_body(preferencelist=("plain",))
            assert body is not None
            text = body.get_content()
            assert f"{BASE_URL}/plans/{plan_id}/sign-off" in text
            assert DISTINCT not in text and "Say who helps you" not in text
            assert "Maggie" not in message.content.decode("utf-8", "replace")
    finally:
        for persona in (owner, planner, authoriser):
            await persona.client.aclose()


async def test_emails_not_sent_yet_go_with_portal_notifications_send(  # type: ignore[no-untyped-def]
    app, smtp_server: SmtpServer
) -> None:
    import asyncio
    import subprocess
    import sys

    from portal.db import write_transaction
    from portal.notifications.service import tell_about_plan
    from portal.notifications.tables import Notification
    from tests.conftest import ROOT

    # Told while no SMTP server was configured (the test app has none): nothing was emailed.
    owner = await _persona(app, "waiting", "Waiting Person")
    planner = await _persona(app, "helping", "Helping Person")
    try:
        plan_id = await write_complete_plan(owner.client)
        shared = await owner.client.post(
            f"{plan_url(plan_id)}/grants",
            json={
                "grantee_email": planner.email,
                "sections": ["about_me"],
                "access": "edit",
                "purpose": "Helping me write it",
            },
        )
        assert shared.status_code == 201, shared.text
        async with write_transaction(Notification._meta.db):
            made = await tell_about_plan(uuid.UUID(plan_id), "authorise_plan", None)
        assert len(made) == 2
        env = {
            **os.environ,
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(smtp_server.port),
            "PORTAL_SMTP_FROM": SENDER,
        }
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "portal.cli", "notifications", "send", "--limit", "1000"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Sent ")
        told = {address for m in smtp_server.messages for address in m.rcpt_tos}
        assert {owner.email, planner.email} <= told
        rows = await Notification.select(Notification.emailed_at).where(Notification.id.is_in(made))
        assert all(row["emailed_at"] is not None for row in rows)
    finally:
        await owner.client.aclose()
        await planner.client.aclose()
