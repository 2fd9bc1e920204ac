"""Emails about decisions, through a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import logging
from email import policy

import pytest

from portal.notifications.service import PRIVACY_LINE, SUBJECT, deliver, deliver_pending
from portal.settings import load_settings
from tests.conftest import free_port
from tests.notifications.conftest import (
    BASE_URL,
    CONTENT_WORDS,
    SENDER,
    SMTP_LOGIN,
    SmtpServer,
    World,
    emailed_at,
    mail_settings,
    tell,
)


async def drain(server: SmtpServer) -> None:
    """Send whatever other tests left unsent, so this test sees only its own."""
    while await deliver_pending(mail_settings(server.port)):
        pass
    server.messages.clear()


async def test_the_email_says_what_happened_and_where_but_nothing_of_the_plan(
    world: World, smtp_server: SmtpServer
) -> None:
    made = await tell(world.plan_id, "return", world.user_ids["authoriser"])
    settings = mail_settings(smtp_server.port)
    assert await deliver(settings, made) == 4

    (kept,) = smtp_server.handler.to(world["owner"].email)
    assert kept.rcpt_tos == [world["owner"].email]
    assert kept.mail_from == "noreply@plans.example.org"
    mail = email.message_from_bytes(kept.content, policy=policy.default)
    assert mail["Subject"] == SUBJECT == "Update on your plan"
    assert mail["From"] == SENDER
    assert mail["To"] == world["owner"].email
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Your plan was returned with comments." in text
    assert f"{BASE_URL}/plans/{world.plan_id}/sign-off" in text.splitlines(), "a line of its own"
    assert PRIVACY_LINE in text and "holds no details of your plan" in text

    helpers = {
        world[label].email: smtp_server.handler.to(world[label].email)
        for label in ("carer", "planner", "advocate")
    }
    assert all(len(kept_for) == 1 for kept_for in helpers.values()), helpers
    assert "A plan you help with was returned" in (
        email.message_from_bytes(helpers[world["carer"].email][0].content, policy=policy.default)
        .get_body(preferencelist=("plain",))
        .get_content()  # type: ignore[union-attr]
    )
    for message in smtp_server.messages:
        raw = message.content.decode("utf-8", "replace").lower()
        decoded = "\n".join(
            part.get_content()
            for part in email.message_from_bytes(message.content, policy=policy.default).walk()
            if part.get_content_maintype() == "text"
        ).lower()
        leaked = [w for w in CONTENT_WORDS if w.lower() in raw or w.lower() in decoded]
        assert not leaked, f"plan content or the person's name in an email: {leaked}"

    sent = await emailed_at(made)
    assert all(at is not None for at in sent.values()) and len(sent) == 4
    assert await deliver(settings, made) == 0, "each is emailed once"
    assert len(smtp_server.messages) == 4


async def test_without_an_smtp_host_nothing_is_sent(world: World, smtp_server: SmtpServer) -> None:
    made = await tell(world.plan_id, "authorise_plan", None)
    unset = load_settings({"PORTAL_SMTP_PORT": str(smtp_server.port)})
    assert unset.sends_email is False
    assert await deliver(unset, made) == 0
    assert await deliver_pending(unset) == 0
    assert smtp_server.messages == []
    assert set((await emailed_at(made)).values()) == {None}


async def test_a_server_that_is_down_leaves_the_email_for_later(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    settings = mail_settings(port)
    made = await tell(world.plan_id, "authorise_budget", world.user_ids["authoriser"])

    with caplog.at_level(logging.WARNING, logger="portal.notifications"):
        assert await deliver(settings, made) == 0, "nothing listens there yet"
    assert set((await emailed_at(made)).values()) == {None}
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "portal.notifications")
    assert "notification email not sent (ConnectionRefusedError)" in logged
    assert all(str(i) in logged for i in made)
    assert "@" not in logged, "ids only in the log, never addresses"

    server = SmtpServer(port=port).start()
    try:
        # Other tests of the run may have left more than one batch (100) unsent: send them all.
        sent = 0
        while batch := await deliver_pending(settings):
            sent += batch
        assert sent >= len(made)
        mine = [
            m for m in server.messages if m.rcpt_tos[0] in {p.email for p in world.people.values()}
        ]
        assert sorted(m.rcpt_tos[0] for m in mine) == sorted(
            world[label].email for label in ("owner", "carer", "planner", "advocate")
        )
        assert None not in (await emailed_at(made)).values()
        server.messages.clear()
        assert await deliver_pending(settings) == 0 and server.messages == []
    finally:
        server.stop()


async def test_a_refused_address_is_kept_for_later_and_the_others_go(
    world: World, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    await drain(smtp_server)
    made = await tell(world.plan_id, "submit", world.user_ids["owner"])
    smtp_server.handler.refuse.add(world["planner"].email)

    with caplog.at_level(logging.WARNING, logger="portal.notifications"):
        assert await deliver(mail_settings(smtp_server.port), made) == 2
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(
        [world["carer"].email, world["advocate"].email]
    )
    unsent = [i for i, at in (await emailed_at(made)).items() if at is None]
    assert len(unsent) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "portal.notifications")
    assert f"(SMTPRecipientsRefused): {unsent[0]}" in logged
    assert world["planner"].email not in logged

    smtp_server.handler.refuse.clear()
    assert await deliver_pending(mail_settings(smtp_server.port)) == 1
    assert [m.rcpt_tos for m in smtp_server.messages][-1] == [world["planner"].email]


async def test_starttls_and_a_password_when_configured(
    world: World, tls_smtp_server: SmtpServer, smtp_server: SmtpServer
) -> None:
    await drain(smtp_server)
    made = await tell(world.plan_id, "review_started", None)
    login, password = SMTP_LOGIN
    secure = mail_settings(
        tls_smtp_server.port,
        PORTAL_SMTP_STARTTLS="true",
        PORTAL_SMTP_USERNAME=login,
        PORTAL_SMTP_PASSWORD=password,
    )
    wrong = mail_settings(
        tls_smtp_server.port,
        PORTAL_SMTP_STARTTLS="true",
        PORTAL_SMTP_USERNAME=login,
        PORTAL_SMTP_PASSWORD="not-the-password",
    )
    assert await deliver(wrong, made[:1]) == 0, "a refused sign-in sends nothing"
    # Asked for STARTTLS, a server that does not offer it is not sent to in the clear.
    plain = mail_settings(smtp_server.port, PORTAL_SMTP_STARTTLS="true")
    assert await deliver(plain, made[:1]) == 0
    assert smtp_server.messages == [] and tls_smtp_server.messages == []
    assert set((await emailed_at(made)).values()) == {None}

    assert await deliver(secure, made) == len(made) == 4
    assert all(m.tls and m.login == login for m in tls_smtp_server.messages)
    assert len(tls_smtp_server.messages) == 4
