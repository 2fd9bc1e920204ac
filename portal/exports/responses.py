"""An export as an HTTP response: the API's download routes and the print page send the same
file with the same headers."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response

from portal.core.actor import Actor
from portal.exports import service
from portal.exports.pdf import PdfRenderer
from portal.settings import Settings


def download(export: service.Export, *, inline: bool = False) -> Response[bytes]:
    """An export as a file to save: never kept by a shared cache, and named by ids only."""
    disposition = "inline" if inline else "attachment"
    return Response(
        export.content,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{export.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def renderer_of(request: Request[Any, Any, Any]) -> PdfRenderer:
    renderer: PdfRenderer = request.app.state.pdf_renderer
    return renderer


def base_url_of(request: Request[Any, Any, Any]) -> str:
    settings: Settings = request.app.state.settings
    return settings.base_url


async def pdf_response(
    request: Request[Any, Any, Any],
    actor: Actor,
    plan_id: uuid.UUID,
    variant: str | None,
    version: int | None,
    audience: str | None,
) -> Response[bytes]:
    """The PDF as a download, for the API and for the pages alike."""
    export = await service.plan_pdf(
        actor,
        plan_id,
        renderer=renderer_of(request),
        variant=variant,
        version=version,
        audience=audience,
        base_url=base_url_of(request),
    )
    return download(export)
