"""The organisation API: my organisations, their staff, and the roles an admin gives and ends."""

# No `from __future__ import annotations`: Litestar reads the handlers' annotations as types.
import uuid
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from portal.accounts import organisations
from portal.accounts import schemas as account_schemas
from portal.core.actor import Actor
from portal.problems import validation_problem
from portal.routes.api import openapi as doc
from portal.routes.auth import require_actor

_Body = TypeVar("_Body", bound=msgspec.Struct)

IncludeEnded = Annotated[
    bool,
    QueryParameter(
        name="include_ended",
        description="Also list roles that have ended (the record of who held what)",
    ),
]


async def _strict(request: Request[Any, Any, Any], body_type: type[_Body]) -> _Body:
    """The body typed strictly: Litestar's own parse would take "1250" as 1250 pence."""
    try:
        return msgspec.json.decode(await request.body(), type=body_type)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise validation_problem(exc, body_type=body_type) from exc


class OrganisationController(Controller):
    path = "/api/v1/organisations"
    tags = ["organisations"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/", **doc.signed_in_read())
    async def my_organisations(
        self, actor: NamedDependency[Actor]
    ) -> list[account_schemas.OrganisationRead]:
        return await organisations.my_organisations(actor)

    @get("/{organisation_id:uuid}", **doc.signed_in_read(403, 404))
    async def read_organisation(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[uuid.UUID]
    ) -> account_schemas.OrganisationRead:
        return await organisations.read_organisation(actor, organisation_id)

    @get("/{organisation_id:uuid}/staff", **doc.signed_in_read(403, 404, 422))
    async def list_staff(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[uuid.UUID],
        include_ended: IncludeEnded = False,
    ) -> list[account_schemas.StaffRoleRead]:
        return await organisations.list_staff(actor, organisation_id, include_ended=include_ended)

    @post("/{organisation_id:uuid}/staff", status_code=201, **doc.signed_in_change(404, 409))
    async def add_staff_role(
        self,
        actor: NamedDependency[Actor],
        request: Request[Any, Any, Any],
        organisation_id: FromPath[uuid.UUID],
        data: JSONBody[account_schemas.StaffRoleCreate],
    ) -> Response[account_schemas.StaffRoleRead]:
        body = await _strict(request, account_schemas.StaffRoleCreate)
        role = await organisations.add_staff_role(actor, organisation_id, body)
        return Response(role, status_code=201)

    @patch("/{organisation_id:uuid}/staff/{role_id:uuid}", **doc.signed_in_change(404, 409))
    async def change_spending_limit(
        self,
        actor: NamedDependency[Actor],
        request: Request[Any, Any, Any],
        organisation_id: FromPath[uuid.UUID],
        role_id: FromPath[uuid.UUID],
        data: JSONBody[account_schemas.SpendingLimitUpdate],
    ) -> account_schemas.StaffRoleRead:
        """The answer is the new role (a new id): the old one is kept as ended."""
        body = await _strict(request, account_schemas.SpendingLimitUpdate)
        return await organisations.change_spending_limit(
            actor, organisation_id, role_id, body.spending_limit_pence
        )

    @post(
        "/{organisation_id:uuid}/staff/{role_id:uuid}/end",
        status_code=200,
        **doc.signed_in_change(404, 409, body=False),
    )
    async def end_staff_role(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[uuid.UUID],
        role_id: FromPath[uuid.UUID],
    ) -> account_schemas.StaffRoleRead:
        return await organisations.end_staff_role(actor, organisation_id, role_id)
