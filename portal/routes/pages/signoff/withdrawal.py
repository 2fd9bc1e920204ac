"""The signing-off organisation on the sharing page, and withdrawing the consent that shared it.

The rules are `portal.signoff.withdrawal`'s: these pages show what it says (the sentences of
what withdrawing means come from the service, so the page and the API say the same) and send
the person's confirmation to it.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent.policy import Permission
from portal.core.actor import Actor
from portal.routes.pages.common import (
    PlanPage,
    plan_page,
    plan_url,
    see_other,
)
from portal.routes.pages.forms import text
from portal.routes.pages.signoff.form import send_form
from portal.routes.pages.signoff.views import person_page
from portal.signoff import schemas as signoff_schemas
from portal.signoff import withdrawal
from portal.templating import uk_datetime

ACCESS_WORDS = {"comment": "Read and comment, to sign off the plan and review it"}


def _submitter(consent: signoff_schemas.SharingConsent, plan: PlanPage) -> str:
    if consent.submitted_by_role == "person":
        return "You" if plan.mine else f"{consent.submitted_by} (the person)"
    whom = "you" if plan.mine else plan.owner_name
    return f"{consent.submitted_by}, who speaks for {whom},"


def _consent_words(consent: signoff_schemas.SharingConsent, plan: PlanPage) -> str:
    what = (
        f"version {consent.version_number} for sign-off"
        if consent.why == "under_sign_off"
        else f"version {consent.version_number}, which is now the agreed plan,"
    )
    return f"{_submitter(consent, plan)} submitted {what} on {uk_datetime(consent.submitted_at)}"


class SignOffSharingView(msgspec.Struct, frozen=True, kw_only=True):
    """The organisation a plan was shared with by submitting it, as the sharing page says it."""

    name: str
    sections: list[str]
    access: str
    since: str
    consents: list[str]
    may_withdraw: bool
    withdraw_url: str
    means: list[str]


def sign_off_view(
    sharing: signoff_schemas.SignOffSharingRead, plan: PlanPage
) -> SignOffSharingView | None:
    """What the sharing page shows about the organisation, or None when nothing is shared."""
    if not sharing.shared or sharing.organisation is None:
        return None
    return SignOffSharingView(
        name=sharing.organisation.name,
        sections=[section.title for section in sharing.sections],
        access=ACCESS_WORDS.get(sharing.access, sharing.access),
        since=uk_datetime(sharing.since) if sharing.since else "",
        consents=[_consent_words(c, plan) for c in sharing.consents],
        may_withdraw=sharing.may_withdraw,
        withdraw_url=plan_url(plan.id, "sharing", "sign-off", "withdraw"),
        means=sharing.withdrawing_means,
    )


def _withdraw_page(
    actor: Actor,
    plan: PlanPage,
    sharing: signoff_schemas.SignOffSharingRead,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    return person_page(
        "sharing/withdraw_consent.html",
        actor,
        plan,
        status=status,
        sign_off=sign_off_view(sharing, plan),
        state=sharing.state,
        errors=errors or {},
        action_url=plan_url(plan.id, "sharing", "sign-off", "withdraw"),
        back_href=plan_url(plan.id, "sharing"),
        back_text=f"Who can see {plan.whose}",
    )


@get("/plans/{plan_id:uuid}/sharing/sign-off/withdraw", name="sharing-sign-off-withdraw")
async def withdraw_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_WITHDRAW_CONSENT)
    return _withdraw_page(actor, plan, await withdrawal.sign_off_sharing(actor, plan_id))


@post("/plans/{plan_id:uuid}/sharing/sign-off/withdraw", name="sharing-sign-off-withdrawn")
async def withdraw(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_WITHDRAW_CONSENT)
    form = await request.form()
    state = text(form, "state").strip()[:40] or None

    async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
        sharing = await withdrawal.sign_off_sharing(actor, plan_id)
        return _withdraw_page(actor, plan, sharing, errors=errors, status=http_status)

    return await send_form(
        {},
        lambda: withdrawal.withdraw_consent(
            actor,
            plan_id,
            signoff_schemas.WithdrawConsentRequest(
                confirm=text(form, "confirm") == "yes", state=state
            ),
        ),
        done=lambda _: see_other(plan_url(plan_id, "sharing") + "?done=consent_withdrawn"),
        again=again,
        refused=lambda problem: {"withdraw": problem.detail},
    )


WITHDRAWAL_ROUTES = [withdraw_form, withdraw]
