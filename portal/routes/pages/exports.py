"""Pages for exports: printing or downloading a plan, and checking a printed copy.

The PDF itself is also served here (not only under /api/v1), so that a problem making it is
shown as a page a person can read, and the person's data page is in `my_data.py`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from portal.bounds import INT4_MAX
from portal.consent import grants as consent_grants
from portal.consent.policy import Permission, decide
from portal.core.actor import Actor
from portal.core.errors import DomainError, Invalid
from portal.core.sections import SECTION_TITLES
from portal.exports import service
from portal.exports.responses import pdf_response
from portal.routes.pages.common import plan_page, plan_url
from portal.routes.pages.forms import text
from portal.routes.pages.my_data import MY_DATA_ROUTES
from portal.routes.pages.signoff.views import VERSION_TAGS, person_page
from portal.signoff import version_history

Query = Annotated[str | None, QueryParameter()]
VersionQuery = Annotated[int | None, QueryParameter(name="version", ge=0, le=INT4_MAX)]


@get("/plans/{plan_id:uuid}/print", name="print")
async def print_page(actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]) -> Response[Any]:
    """What can be printed or downloaded, and for whom."""
    plan = await plan_page(actor, plan_id, Permission.PLAN_EXPORT)
    versions = [
        {
            "number": v.number,
            "tag": VERSION_TAGS.get(v.status, {"text": v.status, "colour": "grey"}),
            "code": v.verification_code,
            "submitted_at": v.submitted_at,
            "agreed_at": v.agreed_at,
        }
        for v in await version_history.versions_of(plan_id)
    ]
    audiences: list[dict[str, Any]] = []
    if decide(actor, Permission.PLAN_SHARE, plan.record.access):
        for grant in await consent_grants.list_grants(actor, plan_id):
            if grant.status != "active":
                continue
            audiences.append(
                {
                    "id": grant.id,
                    "name": grant.grantee.name,
                    "sections": [SECTION_TITLES.get(k, k) for k in grant.sections],
                }
            )
    return person_page(
        "exports/print.html",
        actor,
        plan,
        current="print",
        pdf_url=plan_url(plan.id, "pdf"),
        fhir_url=f"/api/v1/plans/{plan.id}/export/fhir",
        versions=versions,
        audiences=audiences,
        may_check=decide(actor, Permission.PLAN_VIEW, plan.record.access),
    )


@get("/plans/{plan_id:uuid}/pdf", name="print-pdf")
async def pdf_download(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    variant: Query = None,
    version: VersionQuery = None,
    audience: Query = None,
) -> Response[bytes]:
    """The PDF, for the links on the print page (errors come back as pages)."""
    return await pdf_response(request, actor, plan_id, variant, version, audience)


def _check_page(
    actor: Actor,
    plan: Any,
    *,
    code: str = "",
    result: service.CopyCheck | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response[Any]:
    return person_page(
        "exports/check_copy.html",
        actor,
        plan,
        current="print",
        status=status,
        code=code,
        result=result,
        errors={"code": error} if error else {},
        back_href=plan_url(plan.id, "print"),
        back_text="Print or download",
    )


@get("/plans/{plan_id:uuid}/check-copy", name="check-copy")
async def check_copy_form(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    return _check_page(actor, plan)


@post("/plans/{plan_id:uuid}/check-copy", name="check-copy-send")
async def check_copy(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    form = await request.form()
    code = text(form, "code").strip()[:40]
    try:
        result = await service.check_copy(actor, plan_id, code)
    except DomainError as problem:
        if not isinstance(problem, Invalid):
            raise
        message = problem.errors[0].message if problem.errors else problem.detail
        return _check_page(actor, plan, code=code, error=message, status=422)
    return _check_page(actor, plan, code=result.code, result=result)


EXPORT_ROUTES: list[Any] = [print_page, pdf_download, check_copy_form, check_copy, *MY_DATA_ROUTES]
