"""The plan API: plans, sections with versions, revisions, criteria and the rows a plan lists."""

# No `from __future__ import annotations` here: the row controllers are built by a factory and
# Litestar reads their annotations as real types.
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody

from portal.bounds import VersionInPath
from portal.consent.policy import Permission
from portal.core.actor import Actor
from portal.plans import access as plan_access
from portal.plans import reading as plan_reading
from portal.plans import rows as plan_rows
from portal.plans import schemas as plan_schemas
from portal.plans import sections as plan_sections
from portal.plans import versions as plan_versions
from portal.plans.content import SECTION_TYPES
from portal.plans.criteria import CriterionResult
from portal.routes.api import openapi as doc
from portal.routes.auth import require_actor

IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The ETag of the version this change is based on"),
]


# The body of a section write: the fields of the section named by `key`, all optional.
_SECTION_BODY = doc.Corrections(
    request_body=doc.json_body(
        SECTION_TYPES.values(),
        "The section's fields, as the section named by `key` has them (each optional: a field "
        "left out keeps its saved value only if nobody changed it; see If-Match). Keys: "
        + ", ".join(f"{key} ({cls.__name__})" for key, cls in SECTION_TYPES.items()),
    )
)


def _with_etag(body: Any, version: int, status_code: int = 200) -> Response[Any]:
    return Response(
        body, status_code=status_code, headers={"ETag": plan_versions.etag_for(version)}
    )


class PlanController(Controller):
    path = "/api/v1/plans"
    tags = ["plans"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/", **doc.signed_in_read())
    async def list_plans(self, actor: NamedDependency[Actor]) -> list[plan_schemas.PlanSummary]:
        return await plan_reading.list_plans(actor)

    @post(
        "/",
        status_code=201,
        response_headers=[
            ResponseHeader(
                name="Location",
                description="The new plan's address",
                value="/api/v1/plans/{id}",
                documentation_only=True,
            )
        ],
        **doc.signed_in_change(),
    )
    async def create_plan(
        self, actor: NamedDependency[Actor], data: JSONBody[plan_schemas.PlanCreate]
    ) -> Response[plan_schemas.PlanRead]:
        plan = await plan_access.create_plan(actor, data)
        body = await plan_reading.read_plan(actor, plan.id)
        return Response(body, status_code=201, headers={"Location": f"/api/v1/plans/{plan.id}"})

    @get("/{plan_id:uuid}", **doc.signed_in_read(404))
    async def read_plan(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> plan_schemas.PlanRead:
        return await plan_reading.read_plan(actor, plan_id)

    @get("/{plan_id:uuid}/criteria", **doc.signed_in_read(404))
    async def read_criteria(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[CriterionResult]:
        return await plan_reading.read_criteria(actor, plan_id)

    @get(
        "/{plan_id:uuid}/sections/{key:str}",
        response_headers=doc.etag_header(),
        **doc.signed_in_read(404),
    )
    async def read_section(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], key: FromPath[str]
    ) -> Response[plan_schemas.SectionRead]:
        section = await plan_sections.read_section(actor, plan_id, key)
        return _with_etag(section, section.version)

    @put(
        "/{plan_id:uuid}/sections/{key:str}",
        response_headers=doc.etag_header(),
        **doc.signed_in_change(404, 409, if_match=True, corrections=_SECTION_BODY),
    )
    async def write_section(
        self,
        actor: NamedDependency[Actor],
        request: Request[Any, Any, Any],
        plan_id: FromPath[uuid.UUID],
        key: FromPath[str],
        if_match: IfMatch = None,
    ) -> Response[plan_schemas.SectionRead]:
        section = await plan_sections.put_section(
            actor, plan_id, key, await request.body(), if_match
        )
        return _with_etag(section, section.version)

    @get("/{plan_id:uuid}/sections/{key:str}/revisions", **doc.signed_in_read(404))
    async def section_history(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], key: FromPath[str]
    ) -> list[plan_schemas.RevisionRead]:
        return await plan_sections.section_history(actor, plan_id, key)

    @get(
        "/{plan_id:uuid}/sections/{key:str}/revisions/{version:int}",
        **doc.signed_in_read(404, 422),
    )
    async def section_revision(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        key: FromPath[str],
        version: VersionInPath,
    ) -> plan_schemas.RevisionRead:
        return await plan_sections.section_revision(actor, plan_id, key, version)

    @post(
        "/{plan_id:uuid}/sections/{key:str}/revisions/{version:int}/restore",
        status_code=200,
        response_headers=doc.etag_header(),
        **doc.signed_in_change(404, 409, 422, body=False, if_match=True),
    )
    async def restore_section(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        key: FromPath[str],
        version: VersionInPath,
        if_match: IfMatch = None,
    ) -> Response[plan_schemas.SectionRead]:
        await plan_access.load_plan(actor, plan_id, Permission.PLAN_VIEW)
        based_on = plan_versions.parse_if_match(if_match)
        section = await plan_sections.restore_section(actor, plan_id, key, version, based_on)
        return _with_etag(section, section.version)


def _row_controller(
    kind: str, url: str, create_type: Any, update_type: Any, read_type: Any
) -> type[Controller]:
    """One controller shape for outcomes, support items, actions and contacts."""

    class RowController(Controller):
        path = f"/api/v1/plans/{{plan_id:uuid}}/{url}"
        tags = [url]
        dependencies = {"actor": Provide(require_actor)}

        @get("/", name=f"{kind}-list", **doc.signed_in_read(404))
        async def list_rows(
            self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
        ) -> list[read_type]:
            return await plan_rows.list_rows(actor, plan_id, kind)

        @post(
            "/",
            status_code=201,
            name=f"{kind}-create",
            response_headers=doc.etag_header(),
            **doc.signed_in_change(404, 409),
        )
        async def create_row(
            self,
            actor: NamedDependency[Actor],
            request: Request[Any, Any, Any],
            plan_id: FromPath[uuid.UUID],
            data: JSONBody[create_type],
        ) -> Response[read_type]:
            # `data` documents the body; Litestar parses it leniently ("1250" would pass as pence).
            data = plan_rows.decode_row_body(create_type, await request.body())
            row = await plan_rows.create_row(actor, plan_id, kind, data)
            return _with_etag(row, row.version, status_code=201)

        @get(
            "/{row_id:uuid}",
            name=f"{kind}-read",
            response_headers=doc.etag_header(),
            **doc.signed_in_read(404),
        )
        async def read_row(
            self,
            actor: NamedDependency[Actor],
            plan_id: FromPath[uuid.UUID],
            row_id: FromPath[uuid.UUID],
        ) -> Response[read_type]:
            row = await plan_rows.read_row(actor, plan_id, kind, row_id)
            return _with_etag(row, row.version)

        @patch(
            "/{row_id:uuid}",
            name=f"{kind}-update",
            response_headers=doc.etag_header(),
            **doc.signed_in_change(404, 409, if_match=True),
        )
        async def update_row(
            self,
            actor: NamedDependency[Actor],
            request: Request[Any, Any, Any],
            plan_id: FromPath[uuid.UUID],
            row_id: FromPath[uuid.UUID],
            data: JSONBody[update_type],
            if_match: IfMatch = None,
        ) -> Response[read_type]:
            based_on = plan_versions.parse_if_match(if_match)
            data = plan_rows.decode_row_body(update_type, await request.body())
            row = await plan_rows.update_row(actor, plan_id, kind, row_id, data, based_on)
            return _with_etag(row, row.version)

        @delete(
            "/{row_id:uuid}",
            status_code=204,
            name=f"{kind}-delete",
            **doc.signed_in_change(404, 409, body=False, if_match=True),
        )
        async def delete_row(
            self,
            actor: NamedDependency[Actor],
            plan_id: FromPath[uuid.UUID],
            row_id: FromPath[uuid.UUID],
            if_match: IfMatch = None,
        ) -> None:
            based_on = plan_versions.parse_if_match(if_match)
            await plan_rows.delete_row(actor, plan_id, kind, row_id, based_on)

        @get("/{row_id:uuid}/revisions", name=f"{kind}-history", **doc.signed_in_read(404))
        async def row_history(
            self,
            actor: NamedDependency[Actor],
            plan_id: FromPath[uuid.UUID],
            row_id: FromPath[uuid.UUID],
        ) -> list[plan_schemas.RevisionRead]:
            return await plan_rows.row_history(actor, plan_id, kind, row_id)

    RowController.__name__ = f"{kind.title()}Controller"
    return RowController


OutcomeController = _row_controller(
    "outcome",
    "outcomes",
    plan_schemas.OutcomeCreate,
    plan_schemas.OutcomeUpdate,
    plan_schemas.OutcomeRead,
)
SupportItemController = _row_controller(
    "support",
    "support-items",
    plan_schemas.SupportItemCreate,
    plan_schemas.SupportItemUpdate,
    plan_schemas.SupportItemRead,
)
ActionController = _row_controller(
    "action",
    "actions",
    plan_schemas.ActionCreate,
    plan_schemas.ActionUpdate,
    plan_schemas.ActionRead,
)
ContactController = _row_controller(
    "contact",
    "contacts",
    plan_schemas.ContactCreate,
    plan_schemas.ContactUpdate,
    plan_schemas.ContactRead,
)

API_CONTROLLERS = [
    PlanController,
    OutcomeController,
    SupportItemController,
    ActionController,
    ContactController,
]
