"""What every sharing page does the same way: its frame, its forms, and a service's refusal.

A sharing page handles a form in one way: check access (`plan_page`), parse the form (a
`SharingForm`), call the consent service, and on `Invalid` or `Conflict` (or a `Forbidden`
that names a field: more than the actor may give) show the form again with the refusal next
to the field it is about. Any other refusal is a page of its own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Response

from portal.bounds import EXPIRY
from portal.consent.policy import Access, sharing_scope
from portal.core.actor import Actor
from portal.core.errors import Conflict, DomainError, Forbidden, Invalid
from portal.routes.pages.common import PlanPage, plan_nav, plan_url, render, shown_sections
from portal.routes.pages.forms import (
    FieldProblem,
    check_email,
    check_length,
    date_parts,
    date_values,
    parse_date,
    text,
)
from portal.routes.pages.sharing.words import end_of_day, last_day

# After a redirect the banner is chosen by a known key, never taken from the address.
BANNERS = {
    "given": "Your plan is now shared",
    "changed": "Sharing changed",
    "stopped": "Sharing stopped",
    "withdrawn": "Invitation withdrawn",
    "recorded": "Representative recorded",
    "ended": "Representative's record ended",
    "consent_withdrawn": "Consent withdrawn: the plan is a draft again, out of sign-off",
}
# The service names fields as the API does; the forms name them for people.
_FORM_FIELDS = {
    "grantee_email": "grantee_email",
    "grantee_organisation_id": "grantee",
    "sections": "sections",
    "access": "access",
    "purpose": "purpose",
    "expires_at": "until",
    "grant_expires_at": "until",
    "email": "email",
    "powers": "powers",
    "authority": "authority",
}
DATE_ANCHORS = {"until": "until-day"}
# What a sharing form shows the service's refusal for; anything else is a page of its own.
FORM_REFUSALS = (Invalid, Conflict, Forbidden)


# --- what every sharing page knows ----------------------------------------------------------


def sharing_url(plan_id: uuid.UUID, *parts: str) -> str:
    return plan_url(plan_id, "sharing", *parts)


def done(plan_id: uuid.UUID, what: str) -> str:
    """The sharing page, with the banner for what was just done."""
    return sharing_url(plan_id) + f"?done={what}"


def page(
    template: str,
    actor: Actor,
    plan: PlanPage,
    *,
    status: int = 200,
    back_href: str | None = None,
    back_text: str | None = None,
    **context: Any,
) -> Response[Any]:
    return render(
        template,
        actor,
        status=status,
        plan=plan,
        navigation_items=plan_nav(plan.id, None, shown_sections(actor, plan.record)),
        back_href=back_href or sharing_url(plan.id),
        back_text=back_text or f"Who can see {plan.whose}",
        **context,
    )


def giving_scope(actor: Actor, plan: PlanPage) -> dict[str, Access] | None:
    """What a representative may give, from the decision; None for the person (everything)."""
    return None if plan.mine else sharing_scope(actor, plan.record.access)


# --- forms ----------------------------------------------------------------------------------


def checked(form: Any, name: str) -> list[str]:
    """The values of a group of checkboxes, each once, as sent."""
    values = form.getall(name, []) if hasattr(form, "getall") else []
    return list(dict.fromkeys(v for v in values if isinstance(v, str)))[:20]


def account_email_problem(email: str, *, required: bool = True) -> str | None:
    """What is wrong with the email address of someone's account, or None."""
    try:
        if required and not email:
            raise FieldProblem("Enter the email address of their account")
        check_length("The email address", email, 320)
        check_email(email)
    except FieldProblem as exc:
        return str(exc)
    return None


def service_errors(problem: DomainError, default: str) -> dict[str, str]:
    """A service's refusal next to the field it is about. One field: the service's own fuller
    sentence, which says what to do; several: each field's message."""
    if not problem.errors:
        return {default: problem.detail}
    errors: dict[str, str] = {}
    for error in problem.errors:
        message = problem.detail if len(problem.errors) == 1 else error.message
        errors.setdefault(_FORM_FIELDS.get(error.field, default), message)
    return errors


def beyond_scope(problem: DomainError) -> bool:
    """A 403 naming a field: more than the actor may give (the form says what they may)."""
    return isinstance(problem, Forbidden) and bool(problem.errors)


def shown_on_form(problem: DomainError) -> bool:
    # 422: what was typed; 409: already shared or recorded; 403 naming a field: beyond scope.
    return isinstance(problem, (Conflict, Invalid)) or beyond_scope(problem)


class SharingForm:
    """A sharing form as sent: its values shown back as typed, its errors, and the status the
    page is shown again with."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.status = 400

    def check(self, name: str, problem: str | None) -> None:
        if problem is not None:
            self.errors[name] = problem

    def refused(self, problem: DomainError, default: str, *, status: int | None = None) -> None:
        """The service's refusal, next to its field (`default` when it names none)."""
        self.errors = service_errors(problem, default)
        self.status = status or (403 if beyond_scope(problem) else 400)


def empty_scope(
    sections: list[str] | None = None,
    access: str = "",
    purpose: str = "",
    until: dt.datetime | None = None,
) -> dict[str, Any]:
    return {
        "sections": sections or [],
        "access": access,
        "purpose": purpose,
        "until": date_values(last_day(until) if until else None),
    }


class ScopeForm(SharingForm):
    """What every sharing form asks: which sections, what they may do, what for, until when."""

    def __init__(self, form: Any, *, until_label: str = "The date sharing ends") -> None:
        super().__init__()
        self.sections = checked(form, "sections")
        self.access = text(form, "access").strip()
        self.purpose = text(form, "purpose").strip()
        self.until_parts = date_parts(form, "until")
        self.until_day: dt.date | None = None
        self.values.update(
            sections=self.sections,
            access=self.access,
            purpose=text(form, "purpose"),
            until=self.until_parts,
        )
        self._until_label = until_label

    def check_scope(self) -> None:
        """Errors in the order the fields are on the page (after any the caller added)."""
        if not self.sections:
            self.errors["sections"] = "Choose at least one section"
        if self.access not in {a.value for a in Access}:
            self.errors["access"] = "Choose what they can do"
        try:
            if not self.purpose:
                raise FieldProblem("Say what it is for, for example to help me write my plan")
            check_length("What it is for", self.purpose, 500)
        except FieldProblem as exc:
            self.errors["purpose"] = str(exc)
        try:
            self.until_day = parse_date(self.until_parts, self._until_label, EXPIRY)
        except FieldProblem as exc:
            self.errors["until"] = str(exc)

    @property
    def until(self) -> dt.datetime | None:
        return end_of_day(self.until_day) if self.until_day else None


class ReasonForm(SharingForm):
    """Why something is stopped or ended: optional, and at most 500 characters."""

    def __init__(self, form: Any, label: str) -> None:
        super().__init__()
        self.reason = text(form, "reason").strip()
        self.values["reason"] = text(form, "reason")
        try:
            check_length(label, self.reason, 500)
        except FieldProblem as exc:
            self.errors["reason"] = str(exc)


def confirm_page(
    template: str,
    actor: Actor,
    plan: PlanPage,
    action_url: str,
    form: ReasonForm | None = None,
    **subject: Any,
) -> Response[Any]:
    """Are you sure? The page that asks why something is stopped or ended, again with the
    error when the reason was too long."""
    if form is None:
        return page(template, actor, plan, values={"reason": ""}, action_url=action_url, **subject)
    return page(
        template,
        actor,
        plan,
        status=form.status,
        values=form.values,
        errors=form.errors,
        action_url=action_url,
        **subject,
    )
