"""Checking what a change to sharing asks for, before any rule runs, and refusing what someone
may not give (the words of a refusal are in refusals.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from portal.consent import access_log
from portal.consent.policy import PlanAccessFacts
from portal.consent.repository import access as access_repository
from portal.core import clock
from portal.core.actor import Actor
from portal.core.errors import DomainError, FieldError, Invalid
from portal.core.sections import SECTION_KEYS


def check_sections(sections: list[str], field: str = "sections") -> list[str]:
    unknown = [key for key in sections if key not in SECTION_KEYS]
    if unknown:
        raise Invalid(
            "No such section",
            f"'{unknown[0][:40]}' is not a section of a plan. Choose from: "
            f"{', '.join(SECTION_KEYS)}.",
            errors=[FieldError(field, "Choose sections of the plan")],
        )
    if not sections:
        raise Invalid(
            "No sections chosen",
            "Choose at least one section to share.",
            errors=[FieldError(field, "Choose at least one section")],
        )
    return [key for key in SECTION_KEYS if key in set(sections)]


def check_expiry(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if value <= clock.now():
        raise Invalid(
            "Date in the past",
            "The date it ends must be in the future. Choose a later date, or leave it empty "
            "to share until you stop it.",
            errors=[FieldError(field, "Choose a date in the future")],
        )
    return value


def check_purpose(purpose: str) -> str:
    purpose = purpose.strip()
    if not purpose:
        raise Invalid(
            "Purpose missing",
            "Say what the sharing is for, for example 'to help me write my plan'.",
            errors=[FieldError("purpose", "Say what it is for")],
        )
    return purpose


def check_offer(
    sections: list[str], purpose: str, ends: dt.datetime | None, ends_field: str
) -> tuple[list[str], str, dt.datetime | None]:
    """What a grant or an invitation offers: its sections in plan order, what it is for, and
    when the sharing ends."""
    return check_sections(sections), check_purpose(purpose), check_expiry(ends, ends_field)


async def account_by_email(email: str, field: str) -> access_repository.Account:
    account = await access_repository.active_account_by_email(email.strip().lower())
    if account is None:
        raise Invalid(
            "No account with this email address",
            "Nobody has an account with this email address. Check it, or send them an "
            "invitation instead, so they can create an account.",
            errors=[FieldError(field, "No account uses this email address")],
        )
    return account


def not_to_yourself(facts: PlanAccessFacts, person_id: uuid.UUID, field: str) -> None:
    if person_id == facts.person_id:
        raise Invalid(
            "This is the person's own plan",
            "The person whose plan this is can already see and change all of it. "
            "Choose somebody else.",
            errors=[FieldError(field, "Choose somebody else")],
        )


async def refuse(
    actor: Actor,
    facts: PlanAccessFacts,
    event: str,
    sections: Iterable[str],
    subject: str,
    problem: DomainError,
) -> None:
    """Nothing is saved but the attempt: the person sees it in who has looked at their plan."""
    await access_log.record(actor, facts, event, sections, subject, always=True)
    raise problem
