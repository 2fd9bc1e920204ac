"""Who can see a plan, and sharing it: with someone who has an account or an organisation,
changing or stopping what is shared, its history, and the plan as they see it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from msgspec import UNSET

from portal.consent import directory
from portal.consent import grants as consent_grants
from portal.consent import invitations as consent_invitations
from portal.consent import representatives as consent_representatives
from portal.consent import schemas as consent_schemas
from portal.consent.policy import Access, Permission
from portal.core.actor import Actor
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.sections import SECTION_TITLES
from portal.plans import reading as plan_reading
from portal.plans.money import FREQUENCY_LABELS, Frequency
from portal.plans.wording import readable_content
from portal.routes.pages.common import PlanPage, plan_page, plan_url, see_other
from portal.routes.pages.forms import text
from portal.routes.pages.sharing.common import (
    BANNERS,
    DATE_ANCHORS,
    FORM_REFUSALS,
    ReasonForm,
    ScopeForm,
    account_email_problem,
    confirm_page,
    done,
    empty_scope,
    giving_scope,
    page,
    sharing_url,
    shown_on_form,
)
from portal.routes.pages.sharing.invitations import invitation_view
from portal.routes.pages.sharing.representatives import representative_view
from portal.routes.pages.sharing.words import (
    ACCESS_WORDS,
    GRANT_TAGS,
    access_items,
    last_day,
    section_items,
    section_titles,
    status_tag,
    until_words,
)
from portal.routes.pages.signoff.withdrawal import sign_off_view
from portal.signoff import withdrawal


class GrantView(msgspec.Struct, frozen=True, kw_only=True):
    """A grant (or one version of it) as the sharing pages show it."""

    id: uuid.UUID
    name: str
    kind: str
    email: str | None
    sections: list[str]
    access: str
    purpose: str
    until: str
    status: str
    tag: dict[str, str]
    made_by_name: str
    made_at: dt.datetime
    reason: str
    change_url: str
    stop_url: str
    preview_url: str
    history_url: str
    # On the sharing page: whether this actor may change or stop it (a representative changes
    # or stops only what they could have given).
    manageable: bool = False
    # In its history: which version, and what happened in it.
    version: int = 0
    what: str = ""


def grant_view(grant: consent_schemas.GrantRead, plan_id: uuid.UUID) -> GrantView:
    url = sharing_url(plan_id, "grants", str(grant.id))
    return GrantView(
        id=grant.id,
        name=grant.grantee.name,
        kind=grant.grantee.kind,
        email=grant.grantee.email,
        sections=section_titles(grant.sections),
        access=ACCESS_WORDS[grant.access],
        purpose=grant.purpose,
        until=until_words(grant.expires_at),
        status=grant.status,
        tag=status_tag(GRANT_TAGS, grant.status),
        made_by_name=grant.made_by_name,
        made_at=grant.made_at,
        reason=grant.reason,
        change_url=url,
        stop_url=f"{url}/stop",
        preview_url=f"{url}/preview",
        history_url=f"{url}/history",
    )


async def _representatives(
    actor: Actor, plan_id: uuid.UUID
) -> list[consent_schemas.RepresentativeRead]:
    """Who speaks for the person, shown with About me: nothing when the actor may not read it."""
    try:
        return await consent_representatives.list_representatives(actor, plan_id)
    except NotFound:
        return []


# --- who can see your plan ------------------------------------------------------------------


@get("/plans/{plan_id:uuid}/sharing", name="sharing")
async def sharing_page(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    grants = await consent_grants.list_grants(actor, plan_id)
    invitations = await consent_invitations.list_invitations(actor, plan_id)
    representatives = await _representatives(actor, plan_id)
    # The organisation the plan was submitted to is shared with too, by the submission.
    sign_off = sign_off_view(await withdrawal.sign_off_sharing(actor, plan_id), plan)
    return page(
        "sharing/sharing.html",
        actor,
        plan,
        sign_off=sign_off,
        grants=[
            msgspec.structs.replace(
                grant_view(g, plan.id),
                manageable=consent_grants.may_manage(actor, plan.record.access, g),
            )
            for g in grants
        ],
        invitations=[invitation_view(i, plan.id) for i in invitations],
        representatives=[representative_view(r, plan.id) for r in representatives],
        banner=BANNERS.get(request.query_params.get("done") or ""),
        back_href=plan_url(plan.id),
        back_text="Plan overview",
    )


# --- sharing with someone who has an account, or an organisation ----------------------------


async def _share_page(actor: Actor, plan: PlanPage, form: ScopeForm | None = None) -> Response[Any]:
    values = form.values if form else {**empty_scope(), "grantee": "email", "grantee_email": ""}
    return page(
        "sharing/share.html",
        actor,
        plan,
        status=form.status if form else 200,
        values=values,
        errors=form.errors if form else {},
        anchors=DATE_ANCHORS,
        organisations=await directory.organisations(),
        section_items=section_items(values["sections"], giving_scope(actor, plan)),
        access_items=access_items(values["access"], giving_scope(actor, plan)),
        action_url=sharing_url(plan.id, "new"),
    )


@get("/plans/{plan_id:uuid}/sharing/new", name="sharing-new")
async def share_form(actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return await _share_page(actor, plan)


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
        scope.check("grantee_email", account_email_problem(email))
    elif grantee not in organisations:
        scope.errors["grantee"] = "Choose who to share with"
    elif email:
        scope.errors["grantee_email"] = (
            "Leave the email address empty to share with an organisation, or choose "
            "'A person who has an account'"
        )
    scope.check_scope()
    if not scope.errors:
        try:
            await consent_grants.give_grant(
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
        except FORM_REFUSALS as problem:
            if not shown_on_form(problem):
                raise
            scope.refused(problem, "grantee_email" if grantee == "email" else "grantee")
    if scope.errors:
        return await _share_page(actor, plan, scope)
    return see_other(done(plan.id, "given"))


# --- changing and stopping a grant ----------------------------------------------------------


def _change_page(
    actor: Actor,
    plan: PlanPage,
    grant: consent_schemas.GrantRead,
    form: ScopeForm | None = None,
) -> Response[Any]:
    values = (
        form.values
        if form
        else {
            **empty_scope(grant.sections, grant.access.value, grant.purpose, grant.expires_at),
            "reason": "",
        }
    )
    return page(
        "sharing/change.html",
        actor,
        plan,
        status=form.status if form else 200,
        grant=grant_view(grant, plan.id),
        values=values,
        errors=form.errors if form else {},
        anchors=DATE_ANCHORS,
        section_items=section_items(values["sections"], giving_scope(actor, plan)),
        access_items=access_items(values["access"], giving_scope(actor, plan)),
        action_url=sharing_url(plan.id, "grants", str(grant.id)),
    )


@get("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}", name="sharing-grant")
async def change_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], grant_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return _change_page(actor, plan, await consent_grants.read_grant(actor, plan.id, grant_id))


@post("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}", name="sharing-grant-change")
async def change_grant(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    grant_id: FromPath[uuid.UUID],
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    grant = await consent_grants.read_grant(actor, plan.id, grant_id)
    form = await request.form()
    scope = ScopeForm(form)
    scope.check_scope()
    reason = ReasonForm(form, "Why you are changing it")
    scope.values.update(reason.values)
    scope.errors.update(reason.errors)
    if not scope.errors:
        # An end date left as it was is not sent again, so it keeps its exact moment.
        was = last_day(grant.expires_at) if grant.expires_at else None
        update = consent_schemas.GrantUpdate(
            sections=scope.sections,
            access=Access(scope.access),
            purpose=scope.purpose,
            expires_at=UNSET if scope.until_day == was else scope.until,
            reason=reason.reason,
        )
        try:
            await consent_grants.change_grant(actor, plan.id, grant_id, update)
        except (Invalid, Forbidden) as problem:
            # Only what was typed, or more than the actor may give, is said on this form.
            if not shown_on_form(problem):
                raise
            scope.refused(problem, "sections")
    if scope.errors:
        return _change_page(actor, plan, grant, scope)
    return see_other(done(plan.id, "changed"))


def _stop_page(
    actor: Actor, plan: PlanPage, grant: consent_schemas.GrantRead, form: ReasonForm | None = None
) -> Response[Any]:
    return confirm_page(
        "sharing/stop.html",
        actor,
        plan,
        sharing_url(plan.id, "grants", str(grant.id), "stop"),
        form,
        grant=grant_view(grant, plan.id),
    )


@get("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}/stop", name="sharing-grant-stop")
async def stop_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], grant_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return _stop_page(actor, plan, await consent_grants.read_grant(actor, plan.id, grant_id))


@post("/plans/{plan_id:uuid}/sharing/grants/{grant_id:uuid}/stop", name="sharing-grant-revoke")
async def stop_sharing(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    grant_id: FromPath[uuid.UUID],
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    reason = ReasonForm(await request.form(), "Why you are stopping it")
    if reason.errors:
        grant = await consent_grants.read_grant(actor, plan.id, grant_id)
        return _stop_page(actor, plan, grant, reason)
    await consent_grants.revoke_grant(actor, plan.id, grant_id, reason.reason)
    return see_other(done(plan.id, "stopped"))


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
    versions = await consent_grants.grant_history(actor, plan.id, grant_id)
    oldest_first = list(reversed(versions))
    shown = [
        msgspec.structs.replace(
            grant_view(version, plan.id),
            version=version.version,
            what=_what_happened(version, oldest_first[i - 1] if i else None),
        )
        for i, version in enumerate(oldest_first)
    ]
    return page(
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
    grantee, seen = await plan_reading.preview_plan(actor, plan.id, grant_id)
    outcomes = {str(o.id): o.title for o in seen.outcomes}
    return page(
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


GRANT_ROUTES = [
    sharing_page,
    share_form,
    give_grant,
    change_form,
    change_grant,
    stop_form,
    stop_sharing,
    grant_history,
    preview,
]
