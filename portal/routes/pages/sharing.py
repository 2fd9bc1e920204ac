"""Who can see a plan: sharing, invitations, who speaks for the person, and who has looked.

Every access decision is the consent service's (which asks `policy.decide`): these pages read
forms, call the service and show what it says. A plan the actor may not know about is "Page
not found"; someone who may read it but not choose who sees it gets the service's 403 page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from msgspec import UNSET

from portal.bounds import EXPIRY, parse_whole
from portal.consent import directory
from portal.consent import schemas as consent_schemas
from portal.consent import service as consent
from portal.consent.policy import (
    ACCESS_RANK,
    AUTHORITY_LABELS,
    AUTHORITY_LIMITS,
    Access,
    Authority,
    Permission,
    Power,
    sharing_scope,
)
from portal.core.actor import Actor
from portal.core.clock import ENGLAND
from portal.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, not_found
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.plans import service as plans
from portal.plans.money import FREQUENCY_LABELS, Frequency
from portal.plans.wording import readable_content
from portal.routes.pages.common import (
    PlanPage,
    plan_nav,
    plan_page,
    plan_url,
    render,
    see_other,
    shown_sections,
)
from portal.routes.pages.forms import (
    FieldProblem,
    check_email,
    check_length,
    date_parts,
    date_values,
    parse_date,
    text,
)
from portal.routes.pages.signoff.withdrawal import sign_off_view
from portal.signoff import withdrawal
from portal.templating import uk_date, uk_datetime

# --- words ----------------------------------------------------------------------------------

ACCESS_LABELS: dict[Access, str] = {
    Access.VIEW: "View",
    Access.COMMENT: "Comment",
    Access.EDIT: "Edit",
}
ACCESS_HINTS: dict[Access, str] = {
    Access.VIEW: "They can read the sections you choose, but not change them.",
    Access.COMMENT: "They can read the sections and add comments, but not change them.",
    Access.EDIT: "They can read, comment on and change the sections.",
}
# What a grant or an invitation lets someone do, as a sentence about them.
ACCESS_WORDS: dict[Access, str] = {
    Access.VIEW: "Read only",
    Access.COMMENT: "Read and comment",
    Access.EDIT: "Read, comment and change",
}
POWER_LABELS: dict[Power, str] = {
    Power.VIEW: "See these sections",
    Power.EDIT: "Change these sections",
    Power.SHARE: "Choose who sees the plan and see who has looked at it",
}
GRANT_TAGS: dict[str, dict[str, str]] = {
    "active": {"text": "Active", "colour": "green"},
    "expired": {"text": "Expired", "colour": "grey"},
    "revoked": {"text": "Stopped", "colour": "red"},
}
INVITATION_TAGS: dict[str, dict[str, str]] = {
    "open": {"text": "Open", "colour": "blue"},
    "accepted": {"text": "Accepted", "colour": "green"},
    "expired": {"text": "Expired", "colour": "grey"},
    "withdrawn": {"text": "Withdrawn", "colour": "grey"},
}
# After a redirect the banner is chosen by a known key, never taken from the address.
_BANNERS = {
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
_DATE_ANCHORS = {"until": "until-day"}
MAX_VALID_DAYS = 60


def section_titles(keys: list[str]) -> list[str]:
    return [SECTION_TITLES.get(key, key) for key in keys]


def section_items(
    selected: list[str], scope: dict[str, Access] | None = None
) -> list[dict[str, Any]]:
    """The sections to choose from: those the actor may give (`scope`), or all of them."""
    return [
        {"value": key, "text": SECTION_TITLES[key], "checked": key in selected}
        for key in SECTION_KEYS
        if scope is None or key in scope
    ]


def access_items(selected: str, scope: dict[str, Access] | None = None) -> list[dict[str, Any]]:
    """The access levels to choose from: up to the highest the actor may give on any section."""
    highest = max((ACCESS_RANK[a] for a in scope.values()), default=0) if scope is not None else 3
    return [
        {
            "value": access.value,
            "text": ACCESS_LABELS[access],
            "hint": {"text": ACCESS_HINTS[access]},
            "checked": access.value == selected,
        }
        for access in Access
        if ACCESS_RANK[access] <= highest
    ]


def _scope(actor: Actor, plan: PlanPage) -> dict[str, Access] | None:
    """What a representative may give, from the decision; None for the person (everything)."""
    return None if plan.mine else sharing_scope(actor, plan.record.access)


def authority_hint(authority: Authority) -> str:
    """What an authority can cover, said from the limits the decision itself uses."""
    sections, powers = AUTHORITY_LIMITS[authority]
    if authority == Authority.CONSENT:
        return "You choose which sections and what they may do. Only you can record this."
    if sections == frozenset(SECTION_KEYS):
        covers = "Covers every section of the plan"
    elif sections == frozenset({"money"}):
        covers = "Covers money only"
    elif "money" not in sections:
        covers = "Covers every section except money"
    else:
        covers = "Covers " + ", ".join(section_titles([k for k in SECTION_KEYS if k in sections]))
    if Power.SHARE not in powers:
        return f"{covers}. They cannot choose who sees the plan."
    return f"{covers}."


def authority_items(selected: str) -> list[dict[str, Any]]:
    return [
        {
            "value": authority.value,
            "text": AUTHORITY_LABELS[authority],
            "hint": {"text": authority_hint(authority)},
            "checked": authority.value == selected,
        }
        for authority in Authority
    ]


def power_items(selected: list[str]) -> list[dict[str, Any]]:
    return [
        {"value": power.value, "text": POWER_LABELS[power], "checked": power.value in selected}
        for power in Power
    ]


# --- dates: a day people choose, kept as the end of that day in England ---------------------


def end_of_day(day: dt.date) -> dt.datetime:
    """Sharing "until 5 March" lasts all of 5 March in England: it ends at the next midnight."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=ENGLAND)
    return midnight.astimezone(dt.UTC)


def last_day(moment: dt.datetime) -> dt.date:
    """The day a stored end falls on, as the person chose it (see end_of_day)."""
    local = moment.astimezone(ENGLAND)
    if local.time() == dt.time(0):
        return local.date() - dt.timedelta(days=1)
    return local.date()


def until_words(moment: dt.datetime | None, open_ended: str = "Until you stop it") -> str:
    if moment is None:
        return open_ended
    local = moment.astimezone(ENGLAND)
    if local.time() == dt.time(0):
        return f"Until the end of {uk_date(last_day(moment))}"
    return f"Until {uk_datetime(moment)}"


# --- forms ----------------------------------------------------------------------------------


def _checked(form: Any, name: str) -> list[str]:
    """The values of a group of checkboxes, each once, as sent."""
    values = form.getall(name, []) if hasattr(form, "getall") else []
    return list(dict.fromkeys(v for v in values if isinstance(v, str)))[:20]


class ScopeForm:
    """What every sharing form asks: which sections, what they may do, what for, until when."""

    def __init__(self, form: Any, *, until_label: str = "The date sharing ends") -> None:
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.sections = _checked(form, "sections")
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

    def check(self) -> None:
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


def _service_errors(problem: DomainError, default: str) -> dict[str, str]:
    """A service's refusal next to the field it is about. One field: the service's own fuller
    sentence, which says what to do; several: each field's message."""
    if not problem.errors:
        return {default: problem.detail}
    errors: dict[str, str] = {}
    for error in problem.errors:
        message = problem.detail if len(problem.errors) == 1 else error.message
        errors.setdefault(_FORM_FIELDS.get(error.field, default), message)
    return errors


def _is_form_refusal(problem: DomainError) -> bool:
    # 422: what was typed; 409: already shared or recorded; 403 naming a field: more than the
    # actor may give (the form says what they may). Anything else is a page of its own.
    return isinstance(problem, (Conflict, Invalid)) or _beyond_scope(problem)


def _beyond_scope(problem: DomainError) -> bool:
    return isinstance(problem, Forbidden) and bool(problem.errors)


def _form_status(problem: DomainError) -> int:
    return 403 if _beyond_scope(problem) else 400


# --- what every sharing page knows ----------------------------------------------------------


def _sharing_url(plan_id: uuid.UUID, *parts: str) -> str:
    return plan_url(plan_id, "sharing", *parts)


def _page(
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
        back_href=back_href or _sharing_url(plan.id),
        back_text=back_text or f"Who can see {plan.whose}",
        **context,
    )


def _grant_view(grant: consent_schemas.GrantRead, plan_id: uuid.UUID) -> dict[str, Any]:
    url = _sharing_url(plan_id, "grants", str(grant.id))
    return {
        "id": grant.id,
        "name": grant.grantee.name,
        "kind": grant.grantee.kind,
        "email": grant.grantee.email,
        "sections": section_titles(grant.sections),
        "access": ACCESS_WORDS[grant.access],
        "purpose": grant.purpose,
        "until": until_words(grant.expires_at),
        "status": grant.status,
        "tag": GRANT_TAGS.get(grant.status, {"text": grant.status, "colour": "grey"}),
        "made_by_name": grant.made_by_name,
        "made_at": grant.made_at,
        "reason": grant.reason,
        "change_url": url,
        "stop_url": f"{url}/stop",
        "preview_url": f"{url}/preview",
        "history_url": f"{url}/history",
    }


def _invitation_view(
    invitation: consent_schemas.InvitationRead, plan_id: uuid.UUID
) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "for": invitation.email or "Anyone with the link",
        "email": invitation.email,
        "sections": section_titles(invitation.sections),
        "access": ACCESS_WORDS[invitation.access],
        "purpose": invitation.purpose,
        "until": until_words(invitation.grant_expires_at),
        "expires_at": invitation.expires_at,
        "status": invitation.status,
        "tag": INVITATION_TAGS.get(
            invitation.status, {"text": invitation.status, "colour": "grey"}
        ),
        "made_at": invitation.made_at,
        "accepted_by_name": invitation.accepted_by_name,
        "withdraw_url": _sharing_url(plan_id, "invitations", str(invitation.id), "withdraw"),
    }


def _representative_view(
    rep: consent_schemas.RepresentativeRead, plan_id: uuid.UUID
) -> dict[str, Any]:
    return {
        "id": rep.id,
        "name": rep.name,
        "email": rep.email,
        "authority_label": rep.authority_label,
        "authority_reference": rep.authority_reference,
        "relationship": rep.relationship,
        "sections": section_titles(rep.sections),
        "powers": [POWER_LABELS[p] for p in rep.powers],
        "how_decisions_are_reached": rep.how_decisions_are_reached,
        "made_at": rep.made_at,
        "end_url": _sharing_url(plan_id, "representatives", str(rep.id), "end"),
    }


async def _representatives(
    actor: Actor, plan_id: uuid.UUID
) -> list[consent_schemas.RepresentativeRead]:
    """Who speaks for the person, shown with About me: nothing when the actor may not read it."""
    try:
        return await consent.list_representatives(actor, plan_id)
    except DomainError as problem:
        if isinstance(problem, NotFound):
            return []
        raise


# --- who can see your plan ------------------------------------------------------------------


@get("/plans/{plan_id:uuid}/sharing", name="sharing")
async def sharing_page(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    grants = await consent.list_grants(actor, plan_id)
    invitations = await consent.list_invitations(actor, plan_id)
    representatives = await _representatives(actor, plan_id)
    # The organisation the plan was submitted to is shared with too, by the submission.
    sign_off = sign_off_view(await withdrawal.sign_off_sharing(actor, plan_id), plan)
    return _page(
        "sharing/sharing.html",
        actor,
        plan,
        sign_off=sign_off,
        grants=[
            # A representative changes or stops only what they could have given.
            {
                **_grant_view(g, plan.id),
                "manageable": consent.may_manage(actor, plan.record.access, g),
            }
            for g in grants
        ],
        invitations=[_invitation_view(i, plan.id) for i in invitations],
        representatives=[_representative_view(r, plan.id) for r in representatives],
        banner=_BANNERS.get(request.query_params.get("done") or ""),
        back_href=plan_url(plan.id),
        back_text="Plan overview",
    )


# --- sharing with someone who has an account, or an organisation ----------------------------


def _empty_scope(
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


async def _share_form(
    actor: Actor,
    plan: PlanPage,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    values = values or {**_empty_scope(), "grantee": "email", "grantee_email": ""}
    return _page(
        "sharing/share.html",
        actor,
        plan,
        status=status,
        values=values,
        errors=errors or {},
        anchors=_DATE_ANCHORS,
        organisations=await directory.organisations(),
        section_items=section_items(values["sections"], _scope(actor, plan)),
        access_items=access_items(values["access"], _scope(actor, plan)),
        action_url=_sharing_url(plan.id, "new"),
    )


@get("/plans/{plan_id:uuid}/sharing/new", name="sharing-new")
async def share_form(actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return await _share_form(actor, plan)


@post("/plans/{plan_id:uuid}/sharing/new", name="sharing-give")
async def give_grant(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    # Access first, so nobody learns anything about a plan from how their form is judged.
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    form = await request.form()
    scope = ScopeForm(form)
    organisations = {str(org.id) for org in await directory.organisations()}
    grantee = text(form, "grantee").strip()
    email = text(form, "grantee_email").strip()
    scope.values.update(grantee=grantee, grantee_email=text(form, "grantee_email"))
    if grantee == "email":
        try:
            if not email:
                raise FieldProblem("Enter the email address of their account")
            check_length("The email address", email, 320)
            check_email(email)
        except FieldProblem as exc:
            scope.errors["grantee_email"] = str(exc)
    elif grantee not in organisations:
        scope.errors["grantee"] = "Choose who to share with"
    elif email:
        scope.errors["grantee_email"] = (
            "Leave the email address empty to share with an organisation, or choose "
            "'A person who has an account'"
        )
    scope.check()
    status = 400
    if not scope.errors:
        try:
            await consent.give_grant(
                actor,
                plan.id,
                consent_schemas.GrantCreate(
                    sections=scope.sections,
                    access=Access(scope.access),
                    purpose=scope.purpose,
                    grantee_email=email if grantee == "email" else None,
                    grantee_organisation_id=None if grantee == "email" else uuid.UUID(grantee),
                    expires_at=scope.until,
                ),
            )
        except DomainError as problem:
            if not _is_form_refusal(problem):
                raise
            default = "grantee_email" if grantee == "email" else "grantee"
            scope.errors = _service_errors(problem, default)
            status = _form_status(problem)
    if scope.errors:
        return await _share_form(
            actor, plan, values=scope.values, errors=scope.errors, status=status
        )
    return see_other(_sharing_url(plan.id) + "?done=given")


# --- changing and stopping a grant ----------------------------------------------------------


async def _grant(
    actor: Actor, plan_id: uuid.UUID, grant_id: uuid.UUID
) -> consent_schemas.GrantRead:
    return await consent.read_grant(actor, plan_id, grant_id)


def _change_page(
    actor: Actor,
    plan: PlanPage,
    grant: consent_schemas.GrantRead,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    if values is None:
        values = {
            **_empty_scope(grant.sections, grant.access.value, grant.purpose, grant.expires_at),
            "reason": "",
        }
    return _page(
        "sharing/change.html",
        actor,
        plan,
        status=status,
        grant=_grant_view(grant, plan.id),
        values=values,
        errors=errors or {},
        anchors=_DATE_ANCHORS,
        section_items=section_items(values["sections"], _scope(actor, plan)),
        access_items=access_items(values["access"], _scope(actor, plan)),
        action_url=_sharing_url(plan.id, "grants", str(grant.id)),
    )


@get("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}", name="sharing-grant")
async def change_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], grant_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return _change_page(actor, plan, await _grant(actor, plan.id, grant_id))


@post("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}", name="sharing-grant-change")
async def change_grant(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    grant_id: FromPath[uuid.UUID],
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    grant = await _grant(actor, plan.id, grant_id)
    form = await request.form()
    scope = ScopeForm(form)
    reason = text(form, "reason").strip()
    scope.values["reason"] = text(form, "reason")
    scope.check()
    try:
        check_length("Why you are changing it", reason, 500)
    except FieldProblem as exc:
        scope.errors["reason"] = str(exc)
    status = 400
    if not scope.errors:
        # An end date left as it was is not sent again, so it keeps its exact moment.
        was = last_day(grant.expires_at) if grant.expires_at else None
        update = consent_schemas.GrantUpdate(
            sections=scope.sections,
            access=Access(scope.access),
            purpose=scope.purpose,
            expires_at=UNSET if scope.until_day == was else scope.until,
            reason=reason,
        )
        try:
            await consent.change_grant(actor, plan.id, grant_id, update)
        except DomainError as problem:
            if not isinstance(problem, Invalid) and not _beyond_scope(problem):
                raise
            scope.errors = _service_errors(problem, "sections")
            status = _form_status(problem)
    if scope.errors:
        return _change_page(
            actor, plan, grant, values=scope.values, errors=scope.errors, status=status
        )
    return see_other(_sharing_url(plan.id) + "?done=changed")


@get("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}/stop", name="sharing-grant-stop")
async def stop_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], grant_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    grant = await _grant(actor, plan.id, grant_id)
    return _page(
        "sharing/stop.html",
        actor,
        plan,
        grant=_grant_view(grant, plan.id),
        values={"reason": ""},
        action_url=_sharing_url(plan.id, "grants", str(grant.id), "stop"),
    )


@post("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}/stop", name="sharing-grant-revoke")
async def stop_sharing(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    grant_id: FromPath[uuid.UUID],
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    form = await request.form()
    reason = text(form, "reason").strip()
    try:
        check_length("Why you are stopping it", reason, 500)
    except FieldProblem as exc:
        grant = await _grant(actor, plan.id, grant_id)
        return _page(
            "sharing/stop.html",
            actor,
            plan,
            status=400,
            grant=_grant_view(grant, plan.id),
            values={"reason": text(form, "reason")},
            errors={"reason": str(exc)},
            action_url=_sharing_url(plan.id, "grants", str(grant.id), "stop"),
        )
    await consent.revoke_grant(actor, plan.id, grant_id, reason)
    return see_other(_sharing_url(plan.id) + "?done=stopped")


def _what_happened(
    version: consent_schemas.GrantRead, before: consent_schemas.GrantRead | None
) -> str:
    if before is None:
        return "Accepted an invitation" if version.invitation_id else "Shared"
    if version.status == "revoked" and before.status != "revoked":
        return "Stopped sharing"
    if version.invitation_id and version.invitation_id != before.invitation_id:
        return "Added to by an accepted invitation"
    return "Changed what is shared"


@get("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}/history", name="sharing-grant-history")
async def grant_history(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], grant_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    versions = await consent.grant_history(actor, plan.id, grant_id)
    oldest_first = list(reversed(versions))
    shown = [
        {
            **_grant_view(version, plan.id),
            "version": version.version,
            "what": _what_happened(version, oldest_first[i - 1] if i else None),
        }
        for i, version in enumerate(oldest_first)
    ]
    return _page(
        "sharing/history.html",
        actor,
        plan,
        grantee=versions[0].grantee.name,
        versions=list(reversed(shown)),
    )


# --- see your plan as … ---------------------------------------------------------------------


def _frequency(value: Frequency) -> str:
    return FREQUENCY_LABELS[value].capitalize()


@get("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}/preview", name="sharing-preview")
async def preview(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], grant_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    grantee, seen = await plans.preview_plan(actor, plan.id, grant_id)
    outcomes = {str(o.id): o.title for o in seen.outcomes}
    return _page(
        "sharing/preview.html",
        actor,
        plan,
        grantee=grantee,
        seen=seen,
        sections=[
            {
                "key": section.key,
                "title": SECTION_TITLES[section.key],
                "content": readable_content(section.key, section.content),
            }
            for section in seen.sections
        ],
        outcome_titles=outcomes,
        frequency=_frequency,
    )


# --- invitations ----------------------------------------------------------------------------


def _invite_page(
    actor: Actor,
    plan: PlanPage,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    values = values or {**_empty_scope(), "email": "", "valid_days": "14"}
    return _page(
        "sharing/invite.html",
        actor,
        plan,
        status=status,
        values=values,
        errors=errors or {},
        anchors=_DATE_ANCHORS,
        section_items=section_items(values["sections"], _scope(actor, plan)),
        access_items=access_items(values["access"], _scope(actor, plan)),
        max_valid_days=MAX_VALID_DAYS,
        action_url=_sharing_url(plan.id, "invite"),
    )


@get("/plans/{plan_id:uuid}/sharing/invite", name="sharing-invite")
async def invite_form(actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return _invite_page(actor, plan)


def _valid_days(raw: str) -> int:
    value = raw.strip() or "14"
    days = parse_whole(value, 1, MAX_VALID_DAYS)
    if days is None:
        raise FieldProblem(f"Enter a number of days from 1 to {MAX_VALID_DAYS}, like 14")
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
    try:
        check_length("The email address", email, 320)
        check_email(email)
    except FieldProblem as exc:
        scope.errors["email"] = str(exc)
    scope.check()
    valid_days = 14
    try:
        valid_days = _valid_days(text(form, "valid_days"))
    except FieldProblem as exc:
        scope.errors["valid_days"] = str(exc)
    created = None
    status = 400
    if not scope.errors:
        try:
            created = await consent.invite(
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
        except DomainError as problem:
            if not _is_form_refusal(problem):
                raise
            scope.errors = _service_errors(problem, "email")
            status = _form_status(problem)
    if created is None:
        return _invite_page(actor, plan, values=scope.values, errors=scope.errors, status=status)
    # The link is shown this once, on this page: never in a redirect or an address to log.
    link = str(request.base_url).rstrip("/") + created.path
    return _page(
        "sharing/invitation_link.html",
        actor,
        plan,
        status=201,
        link=link,
        invitation=_invitation_view(created.invitation, plan.id),
    )


async def _invitation(
    actor: Actor, plan_id: uuid.UUID, invitation_id: uuid.UUID
) -> consent_schemas.InvitationRead:
    for invitation in await consent.list_invitations(actor, plan_id):
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
    return _page(
        "sharing/withdraw.html",
        actor,
        plan,
        invitation=_invitation_view(invitation, plan.id),
        action_url=_sharing_url(plan.id, "invitations", str(invitation.id), "withdraw"),
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
    await consent.withdraw_invitation(actor, plan.id, invitation_id)
    return see_other(_sharing_url(plan.id) + "?done=withdrawn")


# --- who speaks for the person --------------------------------------------------------------


def _representative_page(
    actor: Actor,
    plan: PlanPage,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    values = values or {
        "email": "",
        "authority": "",
        "authority_reference": "",
        "relationship": "",
        "sections": [],
        "powers": [],
        "how_decisions_are_reached": "",
    }
    return _page(
        "sharing/representative.html",
        actor,
        plan,
        status=status,
        values=values,
        errors=errors or {},
        authority_items=authority_items(values["authority"]),
        section_items=section_items(values["sections"]),
        power_items=power_items(values["powers"]),
        action_url=_sharing_url(plan.id, "representatives", "new"),
    )


@get("/plans/{plan_id:uuid}/sharing/representatives/new", name="sharing-representative-new")
async def representative_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return _representative_page(actor, plan)


_REP_TEXT_FIELDS = (
    ("authority_reference", "The reference", 200),
    ("relationship", "Who they are to you", 200),
    ("how_decisions_are_reached", "How decisions are reached", 4000),
)


@post("/plans/{plan_id:uuid}/sharing/representatives/new", name="sharing-representative-record")
async def record_representative(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    form = await request.form()
    email = text(form, "email").strip()
    authority = text(form, "authority").strip()
    sections = _checked(form, "sections")
    powers = _checked(form, "powers")
    values: dict[str, Any] = {
        "email": text(form, "email"),
        "authority": authority,
        "sections": sections,
        "powers": powers,
        **{name: text(form, name) for name, _, _ in _REP_TEXT_FIELDS},
    }
    errors: dict[str, str] = {}
    status = 400
    try:
        if not email:
            raise FieldProblem("Enter the email address of their account")
        check_length("The email address", email, 320)
        check_email(email)
    except FieldProblem as exc:
        errors["email"] = str(exc)
    if authority not in {a.value for a in Authority}:
        errors["authority"] = "Choose the authority they hold"
    for name, label, limit in _REP_TEXT_FIELDS[:2]:
        try:
            check_length(label, values[name].strip(), limit)
        except FieldProblem as exc:
            errors[name] = str(exc)
    if not sections:
        errors["sections"] = "Choose at least one section"
    if not powers or any(p not in {power.value for power in Power} for p in powers):
        errors["powers"] = "Choose what they may do"
    name, label, limit = _REP_TEXT_FIELDS[2]
    try:
        check_length(label, values[name].strip(), limit)
    except FieldProblem as exc:
        errors[name] = str(exc)
    if not errors:
        try:
            await consent.record_representative(
                actor,
                plan.id,
                consent_schemas.RepresentativeCreate(
                    email=email,
                    authority=Authority(authority),
                    sections=sections,
                    powers=[Power(p) for p in powers],
                    authority_reference=values["authority_reference"].strip(),
                    relationship=values["relationship"].strip(),
                    how_decisions_are_reached=values["how_decisions_are_reached"].strip(),
                ),
            )
        except DomainError as problem:
            # 403: not theirs to record (the person's own consent, or wider than a deputy's own
            # record): said next to the field it is about, with the page refused as a whole.
            if isinstance(problem, Forbidden):
                errors = _service_errors(problem, "authority")
                status = 403
            elif _is_form_refusal(problem):
                errors = _service_errors(problem, "email")
            else:
                raise
    if errors:
        return _representative_page(actor, plan, values=values, errors=errors, status=status)
    return see_other(_sharing_url(plan.id) + "?done=recorded")


async def _representative(
    actor: Actor, plan_id: uuid.UUID, record_id: uuid.UUID
) -> consent_schemas.RepresentativeRead:
    for rep in await consent.list_representatives(actor, plan_id):
        if rep.id == record_id:
            return rep
    raise not_found("representative")


@get(
    "/plans/{plan_id:uuid}/sharing/representatives/{record_id:uuid}/end",
    name="sharing-representative-end-confirm",
)
async def end_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], record_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    rep = await _representative(actor, plan.id, record_id)
    return _page(
        "sharing/end_representative.html",
        actor,
        plan,
        rep=_representative_view(rep, plan.id),
        values={"reason": ""},
        action_url=_sharing_url(plan.id, "representatives", str(rep.id), "end"),
    )


@post(
    "/plans/{plan_id:uuid}/sharing/representatives/{record_id:uuid}/end",
    name="sharing-representative-end",
)
async def end_representative(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    record_id: FromPath[uuid.UUID],
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    form = await request.form()
    reason = text(form, "reason").strip()
    try:
        check_length("Why you are ending it", reason, 500)
    except FieldProblem as exc:
        rep = await _representative(actor, plan.id, record_id)
        return _page(
            "sharing/end_representative.html",
            actor,
            plan,
            status=400,
            rep=_representative_view(rep, plan.id),
            values={"reason": text(form, "reason")},
            errors={"reason": str(exc)},
            action_url=_sharing_url(plan.id, "representatives", str(rep.id), "end"),
        )
    await consent.end_representative(actor, plan.id, record_id, reason)
    return see_other(_sharing_url(plan.id) + "?done=ended")


# --- who has looked at your plan ------------------------------------------------------------


@get("/plans/{plan_id:uuid}/access-log", name="access-log")
async def access_log(actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_ACCESS_LOG)
    events = await consent.access_log(actor, plan.id)
    return _page(
        "sharing/access_log.html",
        actor,
        plan,
        events=[
            {
                "at": event.at,
                "who": event.who,
                "what": event.description,
                "sections": section_titles(event.sections),
            }
            for event in events
        ],
        back_href=plan_url(plan.id),
        back_text="Plan overview",
    )


SHARING_ROUTES = [
    sharing_page,
    share_form,
    give_grant,
    change_form,
    change_grant,
    stop_form,
    stop_sharing,
    grant_history,
    preview,
    invite_form,
    invite,
    withdraw_form,
    withdraw,
    representative_form,
    record_representative,
    end_form,
    end_representative,
    access_log,
]
