"""Comments on a section: read them, and add one (for anyone who may comment on it)."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from portal.comments import schemas as comment_schemas
from portal.comments import service
from portal.core.actor import Actor
from portal.routes.api import openapi as doc
from portal.routes.auth import require_actor

# The handler reads the body itself (after the access decision), so it is described here.
_COMMENT_BODY = doc.Corrections(
    request_body=doc.json_body(
        [comment_schemas.CommentCreate],
        f"The comment: text of up to {service.MAX_LENGTH} characters.",
    )
)


class SectionCommentController(Controller):
    path = "/api/v1/plans/{plan_id:uuid}/sections/{key:str}/comments"
    tags = ["comments"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/", **doc.signed_in_read(404))
    async def list_comments(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], key: FromPath[str]
    ) -> list[comment_schemas.SectionCommentRead]:
        return await service.list_comments(actor, plan_id, key)

    @post("/", status_code=201, **doc.signed_in_change(404, corrections=_COMMENT_BODY))
    async def add_comment(
        self,
        actor: NamedDependency[Actor],
        request: Request[Any, Any, Any],
        plan_id: FromPath[uuid.UUID],
        key: FromPath[str],
    ) -> Response[comment_schemas.SectionCommentRead]:
        # The body is read by the service after the access decision, as section writes are.
        comment = await service.add_comment_from_body(actor, plan_id, key, await request.body())
        return Response(comment, status_code=201)


COMMENT_CONTROLLERS = [SectionCommentController]
