"""Telling people about decisions on a plan: a line in the portal, and an email when SMTP is set.

A decision calls `tell_about_plan` inside its own write transaction, so the notifications
exist exactly when the decision does; it only inserts rows. After the transaction has
committed, `deliver` sends the emails (network, off the event loop). What people are told
names what happened and where to look, never the plan's content or the person's name: an
email can be read by anyone who sees the inbox, and may be kept by mail servers for years.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

import msgspec
from litestar import Request

from portal.consent.money import users_who_see_money
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import Malformed, not_found
from portal.notifications import repository
from portal.notifications import schemas as notification_schemas
from portal.settings import Settings

log = logging.getLogger("portal.notifications")

SUBJECT = "Update on your plan"
PRIVACY_LINE = (
    "For your privacy, this email holds no details of your plan. "
    "Sign in to the plan portal to see them."
)
# An SMTP server that does not answer must not hold a worker for long.
SMTP_TIMEOUT_SECONDS = 10.0
MAX_LISTED = 200
# Grants that let someone take part in writing the plan; `view` only reads.
_CO_AUTHOR_ACCESS = ("edit", "comment")

# event → (what the person is told, what someone who helps with the plan is told).
MESSAGES: dict[str, tuple[str, str]] = {
    "submit": (
        "Your plan was submitted for sign-off. You will be told when a decision is made.",
        "A plan you help with was submitted for sign-off.",
    ),
    "resubmit": (
        "Your plan was changed and submitted for sign-off again. You will be told when a "
        "decision is made.",
        "A plan you help with was changed and submitted for sign-off again.",
    ),
    "return": (
        "Your plan was returned with comments. Read them and change your plan, then submit it "
        "again.",
        "A plan you help with was returned with comments. Read them to see what needs to "
        "change before it is submitted again.",
    ),
    "authorise_plan": (
        "Your plan was authorised. Its budget will be checked next.",
        "A plan you help with was authorised. Its budget will be checked next.",
    ),
    "authorise_budget": (
        "The budget for your plan was authorised. Your plan is now agreed.",
        "The budget for a plan you help with was authorised. The plan is now agreed.",
    ),
    "review_requested": (
        "A review of your plan was asked for.",
        "A review of a plan you help with was asked for.",
    ),
    "review_started": (
        "A review of your plan has started. Check your plan is still right for you.",
        "A review of a plan you help with has started.",
    ),
    "package_change_proposed": (
        "A change to the support in your plan was proposed. Read it and say what you think.",
        "A change to the support in a plan you help with was proposed.",
    ),
    "package_change_decided": (
        "A decision was made on a proposed change to the support in your plan.",
        "A decision was made on a proposed change to the support in a plan you help with.",
    ),
    "outcome_decided": (
        "A decision was recorded on one of the outcomes in your plan.",
        "A decision was recorded on one of the outcomes in a plan you help with.",
    ),
    "consent_withdrawn": (
        "Your consent to share your plan for sign-off was withdrawn. Your plan is a draft again.",
        "Consent to share a plan you help with for sign-off was withdrawn. The plan is a draft "
        "again.",
    ),
}
EVENTS = frozenset(MESSAGES)
# News about the money: told only to those who may see the money section (the person always).
MONEY_EVENTS = frozenset({"package_change_proposed", "package_change_decided"})


# What staff of the signing-off organisation are told, when something takes a plan away from
# them; the link is their work trays, since the plan itself is no longer theirs to open.
STAFF_MESSAGES: dict[str, str] = {
    "consent_withdrawn": (
        "A plan you were working on was withdrawn from sign-off: the person withdrew their "
        "consent to share it. It has left your work trays."
    ),
}


def sign_off_link(plan_id: uuid.UUID) -> str:
    return f"/plans/{plan_id}/sign-off"


# --- who is told ---------------------------------------------------------------------------


async def _recipients(plan_id: uuid.UUID) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The person's own accounts, and the accounts of those who help: the person's current
    representatives and the holders of a current grant to write or comment on the plan."""
    person_id = await repository.plan_person(plan_id)
    if person_id is None:
        raise not_found("plan")
    person = await repository.active_accounts_of(person_id)
    speakers = await repository.active_representatives_of(person_id)
    grants = await repository.grant_holders(plan_id, _CO_AUTHOR_ACCESS)
    at = clock.now()
    co_authors = [g.user for g in grants if g.expires_at is None or g.expires_at > at]
    helpers = _unique([*speakers, *co_authors])
    return person, [user for user in helpers if user not in set(person)]


def _unique(values: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(values))


async def tell_about_plan(
    plan_id: uuid.UUID, event: str, actor_user_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """Tell everyone with a stake in the plan, except whoever made the decision, what happened.

    Call it inside the decision's write transaction: it only adds rows, so a decision that is
    rolled back tells nobody. Returns the notifications' ids, for `deliver` after the commit.
    """
    if event not in MESSAGES:
        raise ValueError(f"unknown notification event {event!r}; one of {sorted(EVENTS)}")
    to_person, to_helper = MESSAGES[event]
    person, helpers = await _recipients(plan_id)
    if event in MONEY_EVENTS:
        seeing = await users_who_see_money(plan_id, helpers)
        helpers = [user for user in helpers if user in seeing]
    link = sign_off_link(plan_id)
    return await _notify(
        plan_id,
        event,
        [(person, to_person, link), (helpers, to_helper, link)],
        actor_user_id,
    )


async def _notify(
    plan_id: uuid.UUID,
    kind: str,
    groups: Iterable[tuple[Iterable[uuid.UUID], str, str]],
    actor_user_id: uuid.UUID | None,
) -> list[uuid.UUID]:
    """Add one notification for each user of each group (message, link), never to the actor;
    the rows join the caller's transaction. Returns their ids."""
    at = clock.now()
    rows = [
        repository.NewNotification(
            id=uuid.uuid4(),
            user=user,
            plan=plan_id,
            kind=kind,
            message=message,
            link=link,
            created_at=at,
        )
        for users, message, link in groups
        for user in _unique(users)
        if user != actor_user_id
    ]
    if rows:
        await repository.insert(rows)
        _told.set()
    return [row.id for row in rows]


# Told to the person only, when someone comments on a section of their plan.
SECTION_COMMENT_MESSAGE = "Someone commented on a part of your plan. Sign in to read it."


async def tell_person(
    plan_id: uuid.UUID, kind: str, message: str, link: str, actor_user_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """Tell only the plan's person (each of their accounts but the actor's) that something
    happened, with a link (a path of ids only); inside the caller's transaction, like
    `tell_about_plan`."""
    person, _ = await _recipients(plan_id)
    return await _notify(plan_id, kind, [(person, message, link)], actor_user_id)


async def tell_staff(
    plan_id: uuid.UUID,
    event: str,
    organisation_id: uuid.UUID,
    users: Iterable[uuid.UUID],
    actor_user_id: uuid.UUID | None,
) -> list[uuid.UUID]:
    """Tell these staff of the organisation what happened to a plan, as `tell_about_plan` does
    (inside the decision's transaction; ids only, never content). Returns their ids."""
    if event not in STAFF_MESSAGES:
        raise ValueError(
            f"unknown staff notification event {event!r}; one of {sorted(STAFF_MESSAGES)}"
        )
    link = f"/organisations/{organisation_id}/trays"
    return await _notify(plan_id, event, [(users, STAFF_MESSAGES[event], link)], actor_user_id)


# Set when this process has told someone something: the next response then sends the emails.
_told = asyncio.Event()


async def deliver_after_response(request: Request[Any, Any, Any]) -> None:
    """Litestar's after-response hook: once a response that told people something has gone,
    send the emails (a rolled-back decision made none to send). Nothing to do costs nothing."""
    if not _told.is_set():
        return
    _told.clear()
    settings: Settings = request.app.state.settings
    await deliver_pending(settings)


# --- email ---------------------------------------------------------------------------------


def _email(settings: Settings, to: str, message: str, link: str) -> EmailMessage:
    """The email for one notification: what happened and where to read it, nothing more."""
    mail = EmailMessage()
    mail["Subject"] = SUBJECT
    mail["From"] = settings.smtp_from
    mail["To"] = to
    mail["Date"] = format_datetime(clock.now())
    # The domain given, so that making the id never waits for a DNS look-up of this host.
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "localhost"
    mail["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: no out-of-office replies to a robot.
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(
        f"{message}\n\n"
        "Read more in the plan portal (you may need to sign in first):\n"
        f"{settings.base_url.rstrip('/')}{link}\n\n"
        f"{PRIVACY_LINE}\n"
    )
    return mail


def _why(exc: BaseException) -> str:
    # The kind of failure and the SMTP code only: SMTP errors quote addresses back.
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__


_SEND_ERRORS = (smtplib.SMTPException, OSError, ValueError)


def _send_all(
    settings: Settings, mails: list[tuple[uuid.UUID, EmailMessage]]
) -> tuple[list[uuid.UUID], dict[uuid.UUID, str]]:
    """Send them over one SMTP session (blocking: run it in a thread).

    Returns which were sent, and which were not and why.
    """
    sent: list[uuid.UUID] = []
    failed: dict[uuid.UUID, str] = {}
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS
        ) as smtp:
            if settings.smtp_starttls:
                # Fails, rather than goes on unencrypted, when the server offers no STARTTLS.
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            for notification_id, mail in mails:
                try:
                    smtp.send_message(mail)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, ValueError) as exc:
                    # This one message was refused; the session goes on for the others.
                    failed[notification_id] = _why(exc)
                else:
                    sent.append(notification_id)
    except _SEND_ERRORS as exc:
        for notification_id, _ in mails:
            if notification_id not in sent:
                failed.setdefault(notification_id, _why(exc))
    return sent, failed


class _Claimed(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    email: str
    message: str
    link: str


async def _claim(ids: list[uuid.UUID], at: dt.datetime) -> list[_Claimed]:
    """Mark the unsent ones as sent before sending, so that two deliveries running at once
    (a request's and `deliver_pending`'s) never email the same one twice."""
    async with repository.transaction():
        claimed = await repository.claim_unsent(ids, at)
        if not claimed:
            return []
        address = await repository.email_addresses(sorted({row.user for row in claimed}))
    return [
        _Claimed(id=row.id, email=address[row.user], message=row.message, link=row.link)
        for row in claimed
    ]


async def _release(ids: list[uuid.UUID]) -> None:
    """Unsent after all: `deliver_pending` tries these again."""
    async with repository.transaction():
        await repository.release(ids)


async def deliver(settings: Settings, notification_ids: list[uuid.UUID]) -> int:
    """Email each of these notifications not emailed yet, when SMTP is configured; how many went.

    Call it after the decision's transaction has committed. It never raises for a failed
    send: the failure is logged with ids only, and the notification stays unsent for
    `deliver_pending` to try again.
    """
    if not settings.sends_email or not notification_ids:
        return 0
    claimed = await _claim(_unique(notification_ids), clock.now())
    if not claimed:
        return 0
    ids = [row.id for row in claimed]
    try:
        mails = [(row.id, _email(settings, row.email, row.message, row.link)) for row in claimed]
        sent, failed = await asyncio.to_thread(_send_all, settings, mails)
    except Exception as exc:  # noqa: BLE001 - a decision already made must not fail on email
        sent, failed = [], dict.fromkeys(ids, _why(exc))
    if failed:
        for reason in sorted(set(failed.values())):
            log.warning(
                "notification email not sent (%s): %s",
                reason,
                " ".join(str(i) for i in ids if failed.get(i) == reason),
            )
        await _release(list(failed))
    return len(sent)


async def deliver_pending(
    settings: Settings, limit: int = 100, *, max_age: dt.timedelta = dt.timedelta(days=3)
) -> int:
    """Try again the emails that could not be sent: unread, unsent, and not older than
    `max_age` (turning SMTP on must not mail people about things long past). How many went.

    Newest first, so that a few an SMTP server keeps refusing cannot hold up the rest.
    """
    if not settings.sends_email:
        return 0
    return await deliver(settings, await repository.unsent_since(clock.now() - max_age, limit))


# --- reading them in the portal ------------------------------------------------------------


async def my_notifications(actor: Actor, limit: int = 50) -> notification_schemas.NotificationList:
    """The actor's own notifications, newest first, and how many of all of them are unread."""
    if not 1 <= limit <= MAX_LISTED:
        raise Malformed("Limit not understood", f"Ask for 1 to {MAX_LISTED} at a time.")
    items = await repository.newest_of(actor.user_id, limit)
    unread = await repository.unread_count(actor.user_id)
    return notification_schemas.NotificationList(unread=unread, items=items)


async def mark_read(
    actor: Actor, notification_id: uuid.UUID
) -> notification_schemas.NotificationRead:
    """Mark one of the actor's own notifications read (again is fine); anyone else's is 404."""
    async with repository.transaction():
        found = await repository.mark_read(notification_id, actor.user_id, clock.now())
    if found is None:
        raise not_found("notification")
    return found
