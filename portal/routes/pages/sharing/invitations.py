"""Inviting someone by a link (shown once), and withdrawing an invitation not yet used.

What the link offers to whoever opens it is portal/routes/pages/invitations.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.bounds import parse_whole
from portal.consent import invitations as consent_invitations
from portal.consent import schemas as consent_schemas
from portal.consent.policy import Access, Permission
from portal.consent.schemas import MAX_INVITATION_DAYS
from portal.core.actor import Actor
from portal.core.errors import not_found
from portal.routes.pages.common import PlanPage, plan_page, see_other
from portal.routes.pages.forms import FieldProblem, text
from portal.routes.pages.sharing.common import (
    DATE_ANCHORS,
    FORM_REFUSALS,
    ScopeForm,
    account_email_problem,
    done,
    empty_scope,
    giving_scope,
    page,
    sharing_url,
    shown_on_form,
)
from portal.routes.pages.sharing.words import (
    ACCESS_WORDS,
    INVITATION_TAGS,
    access_items,
    section_items,
    section_titles,
    status_tag,
    until_words,
)

_DEFAULT_DAYS = 14


class InvitationView(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation as the sharing pages show it."""

    id: uuid.UUID
    recipient: str  # the email it is for, or "Anyone with the link"
    email: str | None
    sections: list[str]
    access: str
    purpose: str
    until: str
    expires_at: dt.datetime
    status: str
    tag: dict[str, str]
    made_at: dt.datetime
    accepted_by_name: str | None
    withdraw_url: str


def invitation_view(
    invitation: consent_schemas.InvitationRead, plan_id: uuid.UUID
) -> InvitationView:
    return InvitationView(
        id=invitation.id,
        recipient=invitation.email or "Anyone with the link",
        email=invitation.email,
        sections=section_titles(invitation.sections),
        access=ACCESS_WORDS[invitation.access],
        purpose=invitation.purpose,
        until=until_words(invitation.grant_expires_at),
        expires_at=invitation.expires_at,
        status=invitation.status,
        tag=status_tag(INVITATION_TAGS, invitation.status),
        made_at=invitation.made_at,
        accepted_by_name=invitation.accepted_by_name,
        withdraw_url=sharing_url(plan_id, "invitations", str(invitation.id), "withdraw"),
    )


def _invite_page(actor: Actor, plan: PlanPage, form: ScopeForm | None = None) -> Response[Any]:
    values = (
        form.values if form else {**empty_scope(), "email": "", "valid_days": str(_DEFAULT_DAYS)}
    )
    return page(
        "sharing/invite.html",
        actor,
        plan,
        status=form.status if form else 200,
        values=values,
        errors=form.errors if form else {},
        anchors=DATE_ANCHORS,
        section_items=section_items(values["sections"], giving_scope(actor, plan)),
        access_items=access_items(values["access"], giving_scope(actor, plan)),
        max_valid_days=MAX_INVITATION_DAYS,
        action_url=sharing_url(plan.id, "invite"),
    )


@get("/plans/{plan_id:uuid}/sharing/invite", name="sharing-invite")
async def invite_form(actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return _invite_page(actor, plan)


def _valid_days(raw: str) -> int:
    value = raw.strip() or str(_DEFAULT_DAYS)
    days = parse_whole(value, 1, MAX_INVITATION_DAYS)
    if days is None:
        raise FieldProblem(f"Enter a number of days from 1 to {MAX_INVITATION_DAYS}, like 14")
    return days


@post("/plans/{plan_id:uuid}/sharing/invite", name="sharing-invite-send")
async def invite(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    form = await request.form()
    scope = ScopeForm(form)
    email = text(form, "email").strip()
    scope.values.update(email=text(form, "email"), valid_days=text(form, "valid_days"))
    scope.check("email", account_email_problem(email, required=False))
    scope.check_scope()
    valid_days = _DEFAULT_DAYS
    try:
        valid_days = _valid_days(text(form, "valid_days"))
    except FieldProblem as exc:
        scope.errors["valid_days"] = str(exc)
    created = None
    if not scope.errors:
        try:
            created = await consent_invitations.invite(
                actor,
                plan.id,
                consent_schemas.InvitationCreate(
                    sections=scope.sections,
                    access=Access(scope.access),
                    purpose=scope.purpose,
                    email=email or None,
                    grant_expires_at=scope.until,
                    valid_days=valid_days,
                ),
            )
        except FORM_REFUSALS as problem:
            if not shown_on_form(problem):
                raise
            scope.refused(problem, "email")
    if created is None:
        return _invite_page(actor, plan, scope)
    # The link is shown this once, on this page: never in a redirect or an address to log.
    link = str(request.base_url).rstrip("/") + created.path
    return page(
        "sharing/invitation_link.html",
        actor,
        plan,
        status=201,
        link=link,
        invitation=invitation_view(created.invitation, plan.id),
    )


async def _invitation(
    actor: Actor, plan_id: uuid.UUID, invitation_id: uuid.UUID
) -> consent_schemas.InvitationRead:
    for invitation in await consent_invitations.list_invitations(actor, plan_id):
        if invitation.id == invitation_id:
            return invitation
    raise not_found("invitation")


@get(
    "/plans/{plan_id:uuid}/sharing/invitations/{invitation_id:uuid}/withdraw",
    name="sharing-invitation-withdraw-confirm",
)
async def withdraw_form(
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    invitation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    invitation = await _invitation(actor, plan.id, invitation_id)
    return page(
        "sharing/withdraw.html",
        actor,
        plan,
        invitation=invitation_view(invitation, plan.id),
        action_url=sharing_url(plan.id, "invitations", str(invitation.id), "withdraw"),
    )


@post(
    "/plans/{plan_id:uuid}/sharing/invitations/{invitation_id:uuid}/withdraw",
    name="sharing-invitation-withdraw",
)
async def withdraw(
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    invitation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    await consent_invitations.withdraw_invitation(actor, plan.id, invitation_id)
    return see_other(done(plan.id, "withdrawn"))


INVITATION_ROUTES = [invite_form, invite, withdraw_form, withdraw]
