"""Exports under /api/v1: a plan as PDF or FHIR for its reader, checking a printed copy, and
the person's own data."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from portal.bounds import INT4_MAX
from portal.core.actor import Actor
from portal.exports import service
from portal.exports.responses import base_url_of, download, pdf_response
from portal.routes.api import openapi as doc
from portal.routes.api.subject_access import SUBJECT_ACCESS_ROUTES
from portal.routes.auth import require_actor

VariantQuery = Annotated[
    str | None, QueryParameter(name="variant", description="standard (default) or large print")
]
VersionQuery = Annotated[
    int | None,
    QueryParameter(
        name="version",
        description="A version's number; the plan now if omitted",
        ge=0,
        le=INT4_MAX,
    ),
]
AudienceQuery = Annotated[
    str | None,
    QueryParameter(
        name="audience",
        description="me (default), or grant:<id>: the copy one of the person's grantees may see",
    ),
]


class CopyCode(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(max_length=40)]


class ExportController(Controller):
    path = "/api/v1/plans/{plan_id:uuid}"
    tags = ["exports"]
    dependencies = {"actor": Provide(require_actor)}

    @get(
        "/export/pdf",
        media_type="application/pdf",
        response_headers=doc.download_headers(),
        **doc.signed_in_read(400, 403, 404, 422, 503, corrections=doc.PDF),
    )
    async def pdf(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        variant: VariantQuery = None,
        version: VersionQuery = None,
        audience: AudienceQuery = None,
    ) -> Response[bytes]:
        """The plan (or one version) as a tagged PDF/UA-1 file holding what its audience may see."""
        return await pdf_response(request, actor, plan_id, variant, version, audience)

    @get(
        "/export/fhir",
        media_type="application/fhir+json",
        response_headers=doc.download_headers(),
        **doc.signed_in_read(400, 403, 404, 422, corrections=doc.FHIR_BUNDLE),
    )
    async def fhir(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        version: VersionQuery = None,
        audience: AudienceQuery = None,
    ) -> Response[bytes]:
        """The plan as a FHIR R4 Bundle: a CarePlan, a Goal for each outcome, its activities
        (actions and support), the CareTeam with the care coordinator, and the person."""
        export = await service.plan_fhir(
            actor, plan_id, version=version, audience=audience, base_url=base_url_of(request)
        )
        return download(export)

    @post("/check-copy", status_code=200, **doc.signed_in_change(404))
    async def check_copy(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], data: JSONBody[CopyCode]
    ) -> service.CopyCheck:
        """Whether a printed copy's verification code matches a version of this plan."""
        return await service.check_copy(actor, plan_id, data.code)


EXPORT_CONTROLLERS: list[Any] = [ExportController, *SUBJECT_ACCESS_ROUTES]
