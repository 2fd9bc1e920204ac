"""GET /api/v1/me/data: everything the portal holds about the signed-in person, as a zip."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide

from portal.core.actor import Actor
from portal.exports.subject_access import subject_access_archive
from portal.routes.api import openapi as doc
from portal.routes.auth import require_actor

ZIP_MEDIA_TYPE = "application/zip"


class SubjectAccessController(Controller):
    path = "/api/v1/me"
    tags = ["subject access"]
    # The session cookie is enough: the "Your data" page links here for a plain download.
    dependencies = {"actor": Provide(require_actor)}

    @get(
        "/data",
        media_type=ZIP_MEDIA_TYPE,
        summary="Download all my data (subject access)",
        response_headers=doc.download_headers(),
        **doc.signed_in_read(corrections=doc.ZIP),
    )
    async def my_data(self, actor: NamedDependency[Actor]) -> Response[bytes]:
        """All my data: account, plans with every version, revision, comment, share, review and
        access-log line, my messages, and what others shared with me, as JSON in a zip whose
        first file, index.txt, says what each file holds."""
        name, archive = await subject_access_archive(actor)
        return Response(
            archive,
            media_type=ZIP_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )


SUBJECT_ACCESS_ROUTES: list[Any] = [SubjectAccessController]
