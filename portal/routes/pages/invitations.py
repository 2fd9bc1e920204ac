"""An invitation link, opened by whoever holds it: what it offers, accepting it, or first
creating an account and accepting it in one go.

These pages are public (the link is the credential), so they show only what the service's
offer says, never anything of the plan itself. Accepting needs someone signed in.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from portal.accounts import service as accounts
from portal.consent import invitations as consent_invitations
from portal.consent import schemas as consent_schemas
from portal.core.actor import Actor
from portal.core.errors import Conflict, DomainError, Invalid, NotFound
from portal.problems import Problem, status_of
from portal.routes.auth import begin_session, optional_actor
from portal.routes.pages.common import plan_url, render, see_other, sign_in_url
from portal.routes.pages.forms import FieldProblem, check_email, check_length, text
from portal.routes.pages.sharing.words import ACCESS_WORDS, section_titles, until_words

# Why an invitation cannot be used, by its status, said to the person holding the link.
_CLOSED = {
    "accepted": (
        "This invitation has been used already",
        "Each invitation link works once. Ask the person who sent it for a new one.",
    ),
    "withdrawn": (
        "This invitation was withdrawn",
        "The person who sent it withdrew it. Ask them for a new one if you still need it.",
    ),
    "expired": (
        "This invitation has expired",
        "Ask the person who sent it for a new one.",
    ),
}
_NOT_FOUND = (
    "This invitation link does not work",
    "Check you copied the whole link. If it still does not work, ask the person who sent it "
    "for a new one.",
)
# What create_user's refusals are about, by their title.
_ACCOUNT_FIELDS = {
    "Email address not valid": "email",
    "Account exists": "email",
    "Password too short": "password",
    "Name missing": "name",
}


def _invitation_path(token: str, *parts: str) -> str:
    return "/".join([f"{consent_invitations.INVITATION_PATH}{token}", *parts])


def _closed_page(actor: Actor | None, status: int, title: str, detail: str) -> Response[Any]:
    return render(
        "sharing/invitation_closed.html",
        actor,
        status=status,
        error_title=title,
        error_detail=detail,
    )


def _problem_page(actor: Actor | None, problem: DomainError) -> Response[Any]:
    if isinstance(problem, NotFound):
        return _closed_page(actor, 404, *_NOT_FOUND)
    return _closed_page(actor, status_of(problem), problem.title, problem.detail)


async def _offer(token: str) -> consent_schemas.InvitationOffer | DomainError:
    try:
        return await consent_invitations.read_offer(token)
    except DomainError as problem:
        return problem


def _offer_view(offer: consent_schemas.InvitationOffer) -> dict[str, Any]:
    return {
        "owner_name": offer.owner_name,
        "sections": section_titles(offer.sections),
        "access": ACCESS_WORDS[offer.access],
        "purpose": offer.purpose,
        "until": until_words(offer.grant_expires_at, "Until they stop it"),
        "expires_at": offer.expires_at,
        "for_email": offer.for_email,
    }


def _closed(actor: Actor | None, offer: consent_schemas.InvitationOffer) -> Response[Any] | None:
    if offer.status == "open":
        return None
    title, detail = _CLOSED.get(offer.status, _CLOSED["expired"])
    return _closed_page(actor, 410, title, detail)


@get("/invitations/{token:str}", name="invitation")
async def landing(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    actor = await optional_actor(request)
    offer = await _offer(token)
    if isinstance(offer, DomainError):
        return _problem_page(actor, offer)
    closed = _closed(actor, offer)
    if closed is not None:
        return closed
    path = _invitation_path(token)
    return render(
        "sharing/invitation.html",
        actor,
        offer=_offer_view(offer),
        # Shown so the person can switch accounts; the service refuses anyone else anyway.
        wrong_account=bool(actor and offer.for_email and offer.for_email != actor.email.lower()),
        accept_url=path,
        sign_in_href=sign_in_url(path),
        account_href=_invitation_path(token, "account"),
    )


@post("/invitations/{token:str}", name="invitation-accept")
async def accept(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    actor = await optional_actor(request)
    if actor is None:
        return see_other(sign_in_url(_invitation_path(token)))
    try:
        accepted = await consent_invitations.accept_invitation(actor, token)
    except DomainError as problem:
        return _problem_page(actor, problem)
    return see_other(plan_url(accepted.plan_id) + "?accepted=1")


def _account_page(
    offer: consent_schemas.InvitationOffer,
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    return render(
        "sharing/invitation_account.html",
        None,
        status=status,
        offer=_offer_view(offer),
        values=values or {"name": "", "email": offer.for_email or ""},
        errors=errors or {},
        action_url=_invitation_path(token, "account"),
        sign_in_href=sign_in_url(_invitation_path(token)),
        back_href=_invitation_path(token),
        back_text="Back to the invitation",
    )


@get("/invitations/{token:str}/account", name="invitation-account")
async def account_form(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    actor = await optional_actor(request)
    if actor is not None:
        return see_other(_invitation_path(token))
    offer = await _offer(token)
    if isinstance(offer, DomainError):
        return _problem_page(None, offer)
    return _closed(None, offer) or _account_page(offer, token)


def _check_account_form(
    name: str, email: str, password: str, for_email: str | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        if not name:
            raise FieldProblem("Enter your name")
        check_length("Your name", name, 200)
    except FieldProblem as exc:
        errors["name"] = str(exc)
    try:
        if not email:
            raise FieldProblem("Enter your email address")
        check_length("Your email address", email, 320)
        check_email(email)
        if for_email and accounts.normalise_email(email) != for_email:
            raise FieldProblem(
                f"This invitation is for {for_email}. Use that email address, or ask for an "
                "invitation to your own"
            )
    except FieldProblem as exc:
        errors["email"] = str(exc)
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        errors["password"] = (
            f"Choose a password of at least {accounts.MIN_PASSWORD_LENGTH} characters"
        )
    elif len(password) > 1024:
        errors["password"] = "Choose a password of 1,024 characters or fewer"  # noqa: S105
    return errors


@post("/invitations/{token:str}/account", name="invitation-account-create")
async def create_account(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    if await optional_actor(request) is not None:
        return see_other(_invitation_path(token))
    offer = await _offer(token)
    if isinstance(offer, DomainError):
        return _problem_page(None, offer)
    closed = _closed(None, offer)
    if closed is not None:
        return closed
    form = await request.form()
    name = text(form, "name").strip()
    email = text(form, "email").strip()
    password = text(form, "password")
    values = {"name": text(form, "name"), "email": text(form, "email")}
    errors = _check_account_form(name, email, password, offer.for_email)
    user = None
    if not errors:
        try:
            user = await accounts.create_user(email, password, name)
        except DomainError as problem:
            if not isinstance(problem, (Conflict, Invalid)):
                raise
            errors = {_ACCOUNT_FIELDS.get(problem.title, "email"): problem.detail}
    if user is None:
        return _account_page(offer, token, values=values, errors=errors, status=400)
    # Signed in exactly as the sign-in form does it: a new session, its cookie on the answer.
    session, cookie = await begin_session(request, user)
    actor = await accounts.actor_for_token(session)
    if actor is None:  # a session made a moment ago always has its actor
        raise Problem(500, "Sign-in failed", "Sign in, then open the invitation link again.")
    try:
        accepted = await consent_invitations.accept_invitation(actor, token)
    except DomainError as problem:
        # The account stays and the person is signed in; the invitation was used meanwhile.
        response = _problem_page(actor, problem)
        response.set_cookie(cookie)
        return response
    return Redirect(
        path=plan_url(accepted.plan_id) + "?accepted=1", status_code=303, cookies=[cookie]
    )


INVITATION_ROUTES = [landing, accept, account_form, create_account]
