"""Exports of one plan for one audience, and checking a printed copy against the portal.

Every export asks the access decision (`Permission.PLAN_EXPORT`) and shows only the sections
its audience may see: the reader themselves, or (for the person, or whoever speaks for them
with the power to share) one of the people they share with, as "see my plan as …" shows it.
Each export is written to the plan's access log with the sections it held.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import Environment
from markupsafe import Markup

from portal.consent import access_log, directory
from portal.consent import grants as consent_grants
from portal.consent import representatives as consent_representatives
from portal.consent.policy import Permission, is_owner, visible_sections
from portal.core.actor import Actor
from portal.core.clock import now
from portal.core.errors import DomainError, FieldError, Invalid, Malformed
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.exports.document import content_of, content_view, money_of
from portal.exports.fhir import FhirPlan, build_bundle
from portal.exports.pdf import PdfRenderer
from portal.plans import access as plan_access
from portal.plans import reading as plan_reading
from portal.plans.schemas import PLAN_KIND_LABELS
from portal.signoff import schemas as signoff_schemas
from portal.signoff import version_history
from portal.templating import jinja_environment, pounds

__all__ = [
    "Audience",
    "CopyCheck",
    "Export",
    "Variant",
    "check_copy",
    "plan_fhir",
    "plan_pdf",
    "plan_pdf_html",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"


class Variant(StrEnum):
    """How the PDF is laid out: standard print, or large print (18pt and more, one column)."""

    standard = "standard"
    large = "large"


VARIANT_WORDS = {Variant.standard: "standard print", Variant.large: "large print"}


class Export(msgspec.Struct, frozen=True):
    filename: str
    media_type: str
    content: bytes


class Audience(msgspec.Struct, frozen=True):
    """Who an export is for: the sections they may see, and their name for the copy."""

    visible: tuple[str, ...]
    name: str
    # True when the reader exports the plan as one of their grantees would see it.
    on_behalf: bool = False


def parse_variant(value: str | None) -> Variant:
    try:
        return Variant(value or Variant.standard)
    except ValueError:
        raise Malformed(
            "There is no such print",
            f"There is no {str(value)[:40]!r} print. Choose standard or large.",
            errors=[FieldError("variant", "Choose standard or large")],
        ) from None


_AUDIENCE = re.compile(r"grant:([0-9a-fA-F-]{36})")


async def audience_for(
    actor: Actor, record: plan_access.PlanRecord, audience: str | None
) -> Audience:
    """`me` (or nothing): what the reader may see. `grant:<id>`: what that grantee may see,
    for the person to print the copy they give them; it needs the power to share."""
    if audience in (None, "", "me"):
        visible = visible_sections(actor, record.access, SECTION_KEYS)
        return Audience(visible=tuple(visible), name=actor.display_name)
    match = _AUDIENCE.fullmatch(audience)
    if match is None:
        raise Malformed(
            "There is no such audience",
            "Say who the copy is for: leave it out for yourself, or give grant:<id> for one of "
            "the people you share the plan with.",
            errors=[FieldError("audience", "Leave it out, or give grant:<id>")],
        )
    try:
        grant_id = uuid.UUID(match.group(1))
    except ValueError:
        raise Malformed("There is no such audience", "That grant id is not valid.") from None
    grantee, facts = await consent_grants.preview_as(actor, record.id, grant_id)
    visible = visible_sections(consent_grants.grantee_actor(grantee), facts, SECTION_KEYS)
    # A copy made for someone else never holds more than its maker may read themselves: a
    # representative without the money cannot print it through a grant the person gave.
    own = set(visible_sections(actor, record.access, SECTION_KEYS))
    visible = [key for key in visible if key in own]
    return Audience(visible=tuple(visible), name=grantee.name, on_behalf=True)


@functools.cache
def _environment() -> Environment:
    env = jinja_environment([TEMPLATES])
    env.filters["paragraphs"] = _paragraphs
    env.filters["css_string"] = css_string
    return env


def css_string(text: Any) -> Markup:
    """Text as a quoted CSS string: everything but letters, digits and spaces is escaped, so
    nothing a person typed can end the string or the rule."""
    escaped = "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch == " " else f"\\{ord(ch):06x} "
        for ch in str(text)
    )
    return Markup(f'"{escaped}"')  # noqa: S704 (escaped above: ASCII letters, digits, spaces)


def _paragraphs(text: Any) -> list[str]:
    """The lines of what someone wrote, each its own paragraph; blank lines dropped."""
    return [line for line in str(text).splitlines() if line.strip()]


def _agreed_view(
    version: signoff_schemas.VersionSummary, base_url: str, plan_id: uuid.UUID
) -> dict[str, Any]:
    return {
        "number": version.number,
        "status": version.status,
        "organisation_name": version.organisation_name,
        "agreed_at": version.agreed_at,
        "agreed_by": version.agreed_by,
        "plan_authorised_at": version.plan_authorised_at,
        "plan_authorised_by": version.plan_authorised_by,
        "review_date": version.review_date,
        "verification_code": version.verification_code,
        "check_url": f"{base_url}/plans/{plan_id}/check-copy",
    }


def _money_figure(money: dict[str, Any] | None) -> dict[str, Any] | None:
    """A bar of the support's yearly cost against the allocation, with the figures in words."""
    if not money or not (
        money.get("organisation") or (money["has_allocation"] and money["allocation_annual"])
    ):
        return None
    allocation, total = money["allocation_annual"], money["this_year"]
    if money.get("organisation"):
        allocation = money["organisation"]["annual"]
    share = min(total / allocation, 1.5) if allocation else 0
    # Set against the allocation is this year's cost: the yearly cost and any one-off costs.
    cost = f"{pounds(total)} this year" if money.get("one_off") else f"{pounds(total)} a year"
    words = f"My support costs {cost} against an allocation of {pounds(allocation)}"
    difference = money.get("difference")
    if difference and difference["words"]:
        words += f": {difference['words'].lower()} {pounds(difference['annual'])} a year"
    return {"alt": words + ".", "bar": round(share / 1.5 * 100, 1), "limit": round(100 / 1.5, 1)}


class _Source(msgspec.Struct, kw_only=True):
    """What every export of one plan for one audience is made from."""

    record: plan_access.PlanRecord
    seen: Audience
    content: dict[str, Any]
    person_name: str
    mine: bool
    # The agreed version this copy is (the one asked for, or the plan unchanged since agreed).
    agreed: signoff_schemas.VersionSummary | None
    # The version asked for by number, if one was.
    version: signoff_schemas.VersionSummary | None


async def _source(
    actor: Actor, plan_id: uuid.UUID, version: int | None, audience: str | None
) -> _Source:
    record = await plan_access.load_plan(actor, plan_id, Permission.PLAN_EXPORT)
    seen = await audience_for(actor, record, audience)
    agreed: signoff_schemas.VersionSummary | None = None
    asked: signoff_schemas.VersionSummary | None = None
    if version is None:
        content = content_of(await plan_reading.plan_as_seen(record, list(seen.visible)))
        # A plan unchanged since it was agreed is that agreed version, and says so.
        digest = version_history.content_hash(await plan_reading.snapshot_plan(plan_id))
        agreed = next(
            (
                v
                for v in await version_history.versions_of(plan_id)
                if v.status == "agreed" and v.content_hash == digest
            ),
            None,
        )
    else:
        asked, content = await version_history.version_as_seen(record, version, set(seen.visible))
        agreed = asked if asked.agreed_at is not None else None
    mine = is_owner(actor, record.access)
    person_name = actor.display_name if mine else await directory.person_name(record.person_id)
    return _Source(
        record=record,
        seen=seen,
        content=content,
        person_name=person_name,
        mine=mine,
        agreed=agreed,
        version=asked,
    )


async def plan_pdf_html(
    actor: Actor,
    plan_id: uuid.UUID,
    *,
    variant: str | None = None,
    version: int | None = None,
    audience: str | None = None,
    base_url: str,
) -> tuple[str, plan_access.PlanRecord, Audience, str]:
    """The finished HTML of a plan's printed copy, and what it was made from; the access log
    is not written here (the caller writes it once the PDF is made)."""
    chosen = parse_variant(variant)
    source = await _source(actor, plan_id, version, audience)
    record, seen = source.record, source.seen
    agreed = _agreed_view(source.agreed, base_url, plan_id) if source.agreed else None
    sections = content_view(source.content)
    money = money_of(source.content)
    if agreed:
        running = f"agreed version {agreed['number']}"
    elif version is not None:
        running = f"version {version}, not agreed"
    else:
        running = "not agreed"
    html = (
        _environment()
        .get_template("exports/plan.html")
        .render(
            variant=chosen.value,
            large=chosen is Variant.large,
            variant_words=VARIANT_WORDS[chosen],
            plan_id=record.id,
            title=source.content.get("title") or record.title,
            kind_label=PLAN_KIND_LABELS.get(record.kind, "Plan"),
            person_name=source.person_name,
            audience_name=seen.name,
            made_by=actor.display_name,
            for_person=source.mine and not seen.on_behalf,
            on_behalf=seen.on_behalf,
            hidden_titles=[SECTION_TITLES[k] for k in SECTION_KEYS if k not in seen.visible],
            sections=sections,
            money=money,
            money_figure=_money_figure(money) if "money" in seen.visible else None,
            agreed=agreed,
            version=source.version,
            state=record.state,
            made_at=now(),
            updated_at=record.updated_at,
            check_url=f"{base_url}/plans/{record.id}/check-copy",
            running=f"{source.person_name} – {running}",
        )
    )
    return html, record, seen, chosen.value


async def plan_fhir(
    actor: Actor,
    plan_id: uuid.UUID,
    *,
    version: int | None = None,
    audience: str | None = None,
    base_url: str,
) -> Export:
    """The plan as a FHIR R4 Bundle (CarePlan, Goals, CareTeam and the people in it) holding
    what its audience may see, written to the access log."""
    source = await _source(actor, plan_id, version, audience)
    record, seen = source.record, source.seen
    representatives: list[tuple[str, str]] = []
    if "about_me" in seen.visible:
        try:
            found = await consent_representatives.list_representatives(actor, plan_id)
        except DomainError:
            found = []
        representatives = [(rep.name, rep.relationship) for rep in found]
    organisation = source.agreed.organisation_name if source.agreed else None
    if organisation is None and source.version is not None:
        organisation = source.version.organisation_name
    bundle = build_bundle(
        FhirPlan(
            plan_id=record.id,
            kind=record.kind,
            title=source.content.get("title") or record.title,
            state="agreed" if source.agreed else record.state if version is None else "draft",
            person_id=record.person_id,
            person_name=source.person_name,
            created_at=record.created_at,
            updated_at=record.updated_at,
            content=source.content,
            agreed_version=source.agreed.number if source.agreed else None,
            agreed_at=source.agreed.agreed_at if source.agreed else None,
            review_date=source.agreed.review_date if source.agreed else None,
            organisation_name=organisation,
            representatives=representatives,
            base_url=base_url,
            generated_at=now(),
        )
    )
    subject = "fhir" + (f" version {version}" if version is not None else "")
    await access_log.record(actor, record.access, "export", seen.visible, subject, always=True)
    suffix = f"-version-{version}" if version is not None else ""
    return Export(
        filename=f"plan-{record.id}{suffix}-{now().date().isoformat()}.fhir.json",
        media_type="application/fhir+json",
        content=msgspec.json.encode(bundle),
    )


async def plan_pdf(
    actor: Actor,
    plan_id: uuid.UUID,
    *,
    renderer: PdfRenderer,
    variant: str | None = None,
    version: int | None = None,
    audience: str | None = None,
    base_url: str,
) -> Export:
    """The plan as an accessible PDF for its audience, written to the access log."""
    html, record, seen, chosen = await plan_pdf_html(
        actor, plan_id, variant=variant, version=version, audience=audience, base_url=base_url
    )
    pdf = await renderer.render(html)
    subject = f"pdf {chosen}" + (f" version {version}" if version is not None else "")
    await access_log.record(actor, record.access, "export", seen.visible, subject, always=True)
    day = now().date().isoformat()
    suffix = f"-version-{version}" if version is not None else ""
    large = "-large-print" if chosen == Variant.large else ""
    return Export(
        filename=f"plan-{record.id}{suffix}{large}-{day}.pdf",
        media_type="application/pdf",
        content=pdf,
    )


# --- checking a printed copy ------------------------------------------------------------------

_CODE = re.compile(r"[0-9A-F]{12}")


class CopyCheck(msgspec.Struct, kw_only=True):
    """Whether a printed copy's verification code is one of this plan's versions."""

    code: str
    matches: bool
    version: int | None = None
    status: str | None = None
    agreed_at: dt.datetime | None = None
    agreed_by: str | None = None
    organisation_name: str | None = None
    # The version agreed now, when the copy is of an older one.
    current_agreed_version: int | None = None
    words: str


def normalise_code(code: str) -> str:
    cleaned = re.sub(r"[\s\-–]", "", code or "").upper()
    if not _CODE.fullmatch(cleaned):
        raise Invalid(
            "That is not a verification code",
            "Enter the 12 letters and digits printed after \u201cVerification code\u201d on "
            "the copy, like 3F2A-91C0-77DE.",
            errors=[FieldError("code", "Enter the 12 letters and digits, like 3F2A-91C0-77DE")],
        )
    return "-".join(cleaned[i : i + 4] for i in range(0, 12, 4))


async def check_copy(actor: Actor, plan_id: uuid.UUID, code: str) -> CopyCheck:
    """Compare a printed copy's code with this plan's versions (anyone who may open it)."""
    wanted = normalise_code(code)
    await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
    versions = await version_history.versions_of(plan_id)
    current = next((v.number for v in versions if v.status == "agreed"), None)
    for found in versions:
        if found.verification_code != wanted:
            continue
        if found.status == "agreed":
            words = f"This copy is version {found.number}, the agreed version of this plan."
        elif found.agreed_at is not None:
            words = (
                f"This copy is version {found.number}, which was agreed but has since been "
                "replaced" + (f" by version {current}." if current else ".")
            )
        else:
            words = f"This copy is version {found.number}, which was submitted but never agreed."
        return CopyCheck(
            code=wanted,
            matches=True,
            version=found.number,
            status=found.status,
            agreed_at=found.agreed_at,
            agreed_by=found.agreed_by,
            organisation_name=found.organisation_name,
            current_agreed_version=current,
            words=words,
        )
    return CopyCheck(
        code=wanted,
        matches=False,
        current_agreed_version=current,
        words=(
            "This code does not match any version of this plan. The copy may have been changed, "
            "be of another plan, or be a draft that was never submitted."
        ),
    )
