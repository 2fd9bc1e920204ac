"""An organisation's tolerance for package changes: how far a provider may change the hours,
by what percentage the cost may grow, and the weekly cost bands, for its admins to change."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.accounts import organisations
from portal.accounts import schemas as account_schemas
from portal.bounds import parse_whole
from portal.core.actor import Actor
from portal.core.errors import Forbidden, Invalid
from portal.core.money import MAX_WEEKLY_PENCE
from portal.plans.wording import hours_words
from portal.routes.pages.common import render, see_other
from portal.routes.pages.forms import FieldProblem, parse_pounds, pounds_value, text
from portal.routes.pages.organisations import ORGANISATIONS_NAV, organisation_url
from portal.routes.pages.rows import hours_parts, hours_values, parse_hours
from portal.routes.pages.signoff.form import problem_errors, send_form
from portal.signoff import limits, tolerance_settings
from portal.signoff import schemas as signoff_schemas

# A tolerance rule may have up to this many weekly cost bands (as the service allows).
MAX_BANDS = limits.MAX_TOLERANCE_BANDS
MAX_BAND_PENCE = MAX_WEEKLY_PENCE
_TOLERANCE_BANNERS = {"changed": "Tolerance changed: new package changes follow it"}
# The service names fields as the API does; the form names them for people.
_TOLERANCE_FIELDS = {"bands_pence": "bands", "minutes": "flex", "percent": "percent"}


class Band(msgspec.Struct, frozen=True, kw_only=True):
    """A weekly cost band, from its lowest to its highest weekly cost in pence."""

    number: int
    lower: int
    upper: int


def _tolerance_values(tolerance: signoff_schemas.ToleranceRead) -> dict[str, Any]:
    bands = [pounds_value(b) for b in tolerance.bands_pence]
    spare = max(0, min(2, MAX_BANDS - len(bands)))
    return {
        "flex": hours_values(tolerance.minutes),
        "percent": str(tolerance.percent),
        "bands": bands + [""] * spare,
    }


def _tolerance_page(
    actor: Actor,
    organisation: account_schemas.OrganisationRead,
    tolerance: signoff_schemas.ToleranceRead,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    http_status: int = 200,
    banner: str | None = None,
) -> Response[Any]:
    bands = []
    lower = 0
    for number, upper in enumerate(tolerance.bands_pence, start=1):
        bands.append(Band(number=number, lower=lower, upper=upper))
        lower = upper + 1
    return render(
        "signoff/tolerance.html",
        actor,
        status=http_status,
        organisation=organisation,
        tolerance=tolerance,
        flex_words=hours_words(tolerance.minutes),
        bands=bands,
        values=values or _tolerance_values(tolerance),
        errors=errors or {},
        anchors={"flex": "flex-hours", "bands": "band-1"},
        banner=banner,
        action_url=organisation_url(organisation.id, "tolerance"),
        navigation_items=ORGANISATIONS_NAV,
        back_href=organisation_url(organisation.id),
        back_text="Back to staff",
    )


@get("/organisations/{organisation_id:uuid}/tolerance", name="organisation-tolerance")
async def tolerance_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    tolerance = await tolerance_settings.read_tolerance(actor, organisation_id)
    organisation = await organisations.read_organisation(actor, organisation_id)
    banner = _TOLERANCE_BANNERS.get(request.query_params.get("done") or "")
    return _tolerance_page(actor, organisation, tolerance, banner=banner)


def _parse_bands(typed_bands: list[str], errors: dict[str, str]) -> list[int]:
    """The tops of the bands typed, in pence; the first wrong one is the error for them all."""
    bands: list[int] = []
    for number, typed in enumerate(typed_bands, start=1):
        if not typed:
            continue
        try:
            pence = parse_pounds(typed, f"The top of band {number}")
            if pence < 1:
                raise FieldProblem(f"The top of band {number} must be more than £0.00")
            if pence > MAX_BAND_PENCE:
                raise FieldProblem(f"The top of band {number} must be at most £1,000,000.00")
            bands.append(pence)
        except FieldProblem as exc:
            errors.setdefault("bands", str(exc))
    if not bands and "bands" not in errors:
        errors["bands"] = "Enter the top of at least one weekly cost band, like 75.00"
    return bands


@post("/organisations/{organisation_id:uuid}/tolerance", name="organisation-tolerance-change")
async def change_tolerance(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    organisation = await organisations.read_organisation(actor, organisation_id)
    if not organisation.can_manage_staff:
        raise Forbidden(
            "Not allowed",
            f"Only an admin of {organisation.name} can change its tolerance for package "
            "changes. Ask one of its admins to do this.",
        )
    tolerance = await tolerance_settings.read_tolerance(actor, organisation_id)
    form = await request.form()
    values: dict[str, Any] = {
        "flex": hours_parts(form, "flex"),
        "percent": text(form, "percent").strip(),
        "bands": [text(form, f"band-{n}").strip() for n in range(1, MAX_BANDS + 1)],
    }
    # Keep as many boxes as were sent (and the empty ones after them), as typed.
    shown = max(
        len(tolerance.bands_pence) + 2,
        max((n for n, v in enumerate(values["bands"], start=1) if v), default=0),
    )
    values["bands"] = values["bands"][: min(MAX_BANDS, shown)]
    errors: dict[str, str] = {}
    minutes = 0
    try:
        minutes = (
            parse_hours(
                values["flex"],
                "How far a provider may change the hours",
                required="Enter how far a provider may change the hours, like 5 hours",
            )
            or 0
        )
    except FieldProblem as exc:
        errors["flex"] = str(exc)
    percent = 0
    typed = parse_whole(values["percent"].removesuffix("%").strip(), 0, 1000)
    if typed is None:
        errors["percent"] = "Enter the percentage as a whole number from 0 to 1,000, like 20"
    else:
        percent = typed
    bands = _parse_bands(values["bands"], errors)

    async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
        return _tolerance_page(
            actor, organisation, tolerance, values=values, errors=errors, http_status=http_status
        )

    return await send_form(
        errors,
        lambda: tolerance_settings.change_tolerance(
            actor,
            organisation_id,
            signoff_schemas.ToleranceUpdate(minutes=minutes, percent=percent, bands_pence=bands),
        ),
        done=lambda _: see_other(organisation_url(organisation_id, "tolerance") + "?done=changed"),
        again=again,
        refused=lambda problem: problem_errors(problem, _TOLERANCE_FIELDS, "bands"),
        refusals=(Invalid,),
    )


TOLERANCE_ROUTES = [tolerance_page, change_tolerance]
