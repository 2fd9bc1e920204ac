"""Who speaks for the person: recording a representative's authority, and ending the record.

What an authority can cover comes from the limits the access decision itself uses
(`AUTHORITY_LIMITS`), so the page never promises more than the decision allows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent import representatives as consent_representatives
from portal.consent import schemas as consent_schemas
from portal.consent.policy import AUTHORITY_LABELS, AUTHORITY_LIMITS, Authority, Permission, Power
from portal.core.actor import Actor
from portal.core.errors import Forbidden, not_found
from portal.core.sections import SECTION_KEYS
from portal.routes.pages.common import PlanPage, plan_page, see_other
from portal.routes.pages.forms import FieldProblem, check_length, text
from portal.routes.pages.sharing.common import (
    FORM_REFUSALS,
    ReasonForm,
    SharingForm,
    account_email_problem,
    checked,
    confirm_page,
    done,
    page,
    sharing_url,
    shown_on_form,
)
from portal.routes.pages.sharing.words import section_items, section_titles

POWER_LABELS: dict[Power, str] = {
    Power.VIEW: "See these sections",
    Power.EDIT: "Change these sections",
    Power.SHARE: "Choose who sees the plan and see who has looked at it",
}
_TEXT_FIELDS = (
    ("authority_reference", "The reference", 200),
    ("relationship", "Who they are to you", 200),
    ("how_decisions_are_reached", "How decisions are reached", 4000),
)
_EMPTY: dict[str, Any] = {
    "email": "",
    "authority": "",
    "authority_reference": "",
    "relationship": "",
    "sections": [],
    "powers": [],
    "how_decisions_are_reached": "",
}


class RepresentativeView(msgspec.Struct, frozen=True, kw_only=True):
    """A representative's record as the sharing pages show it."""

    id: uuid.UUID
    name: str
    email: str
    authority_label: str
    authority_reference: str
    relationship: str
    sections: list[str]
    powers: list[str]
    how_decisions_are_reached: str
    made_at: dt.datetime
    end_url: str


def representative_view(
    rep: consent_schemas.RepresentativeRead, plan_id: uuid.UUID
) -> RepresentativeView:
    return RepresentativeView(
        id=rep.id,
        name=rep.name,
        email=rep.email,
        authority_label=rep.authority_label,
        authority_reference=rep.authority_reference,
        relationship=rep.relationship,
        sections=section_titles(rep.sections),
        powers=[POWER_LABELS[p] for p in rep.powers],
        how_decisions_are_reached=rep.how_decisions_are_reached,
        made_at=rep.made_at,
        end_url=sharing_url(plan_id, "representatives", str(rep.id), "end"),
    )


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


class RepresentativeForm(SharingForm):
    """Whose account, the authority they hold, and what it lets them see and do."""

    def __init__(self, form: Any) -> None:
        super().__init__()
        self.email = text(form, "email").strip()
        self.authority = text(form, "authority").strip()
        self.sections = checked(form, "sections")
        self.powers = checked(form, "powers")
        self.values.update(
            email=text(form, "email"),
            authority=self.authority,
            sections=self.sections,
            powers=self.powers,
            **{name: text(form, name) for name, _, _ in _TEXT_FIELDS},
        )
        # Errors in the order the fields are on the page.
        self.check("email", account_email_problem(self.email))
        if self.authority not in {a.value for a in Authority}:
            self.errors["authority"] = "Choose the authority they hold"
        for field in _TEXT_FIELDS[:2]:
            self._check_text(*field)
        if not self.sections:
            self.errors["sections"] = "Choose at least one section"
        if not self.powers or any(p not in {power.value for power in Power} for p in self.powers):
            self.errors["powers"] = "Choose what they may do"
        self._check_text(*_TEXT_FIELDS[2])

    def _check_text(self, name: str, label: str, limit: int) -> None:
        try:
            check_length(label, self.values[name].strip(), limit)
        except FieldProblem as exc:
            self.errors[name] = str(exc)

    def record(self) -> consent_schemas.RepresentativeCreate:
        return consent_schemas.RepresentativeCreate(
            email=self.email,
            authority=Authority(self.authority),
            sections=self.sections,
            powers=[Power(p) for p in self.powers],
            authority_reference=self.values["authority_reference"].strip(),
            relationship=self.values["relationship"].strip(),
            how_decisions_are_reached=self.values["how_decisions_are_reached"].strip(),
        )


def _representative_page(
    actor: Actor, plan: PlanPage, form: RepresentativeForm | None = None
) -> Response[Any]:
    values = form.values if form else _EMPTY
    return page(
        "sharing/representative.html",
        actor,
        plan,
        status=form.status if form else 200,
        values=values,
        errors=form.errors if form else {},
        authority_items=authority_items(values["authority"]),
        section_items=section_items(values["sections"]),
        power_items=power_items(values["powers"]),
        action_url=sharing_url(plan.id, "representatives", "new"),
    )


@get("/plans/{plan_id:uuid}/sharing/representatives/new", name="sharing-representative-new")
async def representative_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return _representative_page(actor, plan)


@post("/plans/{plan_id:uuid}/sharing/representatives/new", name="sharing-representative-record")
async def record_representative(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    form = RepresentativeForm(await request.form())
    if not form.errors:
        try:
            await consent_representatives.record_representative(actor, plan.id, form.record())
        except Forbidden as problem:
            # Not theirs to record (the person's own consent, or wider than a deputy's own
            # record): said next to the field it is about, with the page refused as a whole.
            form.refused(problem, "authority", status=403)
        except FORM_REFUSALS as problem:
            if not shown_on_form(problem):
                raise
            form.refused(problem, "email", status=400)
    if form.errors:
        return _representative_page(actor, plan, form)
    return see_other(done(plan.id, "recorded"))


async def _representative(
    actor: Actor, plan_id: uuid.UUID, record_id: uuid.UUID
) -> consent_schemas.RepresentativeRead:
    for rep in await consent_representatives.list_representatives(actor, plan_id):
        if rep.id == record_id:
            return rep
    raise not_found("representative")


def _end_page(
    actor: Actor,
    plan: PlanPage,
    rep: consent_schemas.RepresentativeRead,
    form: ReasonForm | None = None,
) -> Response[Any]:
    return confirm_page(
        "sharing/end_representative.html",
        actor,
        plan,
        sharing_url(plan.id, "representatives", str(rep.id), "end"),
        form,
        rep=representative_view(rep, plan.id),
    )


@get(
    "/plans/{plan_id:uuid}/sharing/representatives/{record_id:uuid}/end",
    name="sharing-representative-end-confirm",
)
async def end_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], record_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_SHARE)
    return _end_page(actor, plan, await _representative(actor, plan.id, record_id))


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
    reason = ReasonForm(await request.form(), "Why you are ending it")
    if reason.errors:
        rep = await _representative(actor, plan.id, record_id)
        return _end_page(actor, plan, rep, reason)
    await consent_representatives.end_representative(actor, plan.id, record_id, reason.reason)
    return see_other(done(plan.id, "ended"))


REPRESENTATIVE_ROUTES = [
    representative_form,
    record_representative,
    end_form,
    end_representative,
]
