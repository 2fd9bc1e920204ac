"""The sharing API: grants, invitations, representatives, "see my plan as …" and the access log."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from portal.consent import access as consent_access
from portal.consent import grants as consent_grants
from portal.consent import invitations as consent_invitations
from portal.consent import representatives as consent_representatives
from portal.consent import schemas as consent_schemas
from portal.core.actor import Actor
from portal.plans import schemas as plan_schemas
from portal.plans import service as plans
from portal.routes.api import openapi as doc
from portal.routes.auth import require_actor


class GrantPreview(msgspec.Struct, kw_only=True):
    grantee: consent_schemas.Grantee
    plan: plan_schemas.PlanRead


class SharingController(Controller):
    path = "/api/v1/plans/{plan_id:uuid}"
    tags = ["sharing"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/grants", **doc.signed_in_read(403, 404))
    async def list_grants(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[consent_schemas.GrantRead]:
        return await consent_grants.list_grants(actor, plan_id)

    @post("/grants", status_code=201, **doc.signed_in_change(404, 409))
    async def give_grant(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[consent_schemas.GrantCreate],
    ) -> consent_schemas.GrantRead:
        return await consent_grants.give_grant(actor, plan_id, data)

    @get("/grants/{grant_id:uuid}", **doc.signed_in_read(403, 404))
    async def read_grant(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        grant_id: FromPath[uuid.UUID],
    ) -> consent_schemas.GrantRead:
        return await consent_grants.read_grant(actor, plan_id, grant_id)

    @patch("/grants/{grant_id:uuid}", **doc.signed_in_change(404, 409))
    async def change_grant(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        grant_id: FromPath[uuid.UUID],
        data: JSONBody[consent_schemas.GrantUpdate],
    ) -> consent_schemas.GrantRead:
        return await consent_grants.change_grant(actor, plan_id, grant_id, data)

    @post("/grants/{grant_id:uuid}/revoke", status_code=200, **doc.signed_in_change(404, 409))
    async def revoke_grant(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        grant_id: FromPath[uuid.UUID],
        data: JSONBody[consent_schemas.GrantRevoke],
    ) -> consent_schemas.GrantRead:
        return await consent_grants.revoke_grant(actor, plan_id, grant_id, data.reason)

    @get("/grants/{grant_id:uuid}/history", **doc.signed_in_read(403, 404))
    async def grant_history(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        grant_id: FromPath[uuid.UUID],
    ) -> list[consent_schemas.GrantRead]:
        return await consent_grants.grant_history(actor, plan_id, grant_id)

    @get("/grants/{grant_id:uuid}/preview", **doc.signed_in_read(403, 404))
    async def preview(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        grant_id: FromPath[uuid.UUID],
    ) -> GrantPreview:
        grantee, plan = await plans.preview_plan(actor, plan_id, grant_id)
        return GrantPreview(grantee=grantee, plan=plan)

    @get("/invitations", **doc.signed_in_read(403, 404))
    async def list_invitations(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[consent_schemas.InvitationRead]:
        return await consent_invitations.list_invitations(actor, plan_id)

    @post("/invitations", status_code=201, **doc.signed_in_change(404, 409))
    async def invite(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[consent_schemas.InvitationCreate],
    ) -> consent_schemas.InvitationCreated:
        return await consent_invitations.invite(actor, plan_id, data)

    @post(
        "/invitations/{invitation_id:uuid}/withdraw",
        status_code=200,
        **doc.signed_in_change(404, 409, body=False),
    )
    async def withdraw_invitation(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        invitation_id: FromPath[uuid.UUID],
    ) -> consent_schemas.InvitationRead:
        return await consent_invitations.withdraw_invitation(actor, plan_id, invitation_id)

    @get("/representatives", **doc.signed_in_read(403, 404, 422))
    async def list_representatives(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        history: FromQuery[bool] = False,
    ) -> list[consent_schemas.RepresentativeRead]:
        return await consent_representatives.list_representatives(actor, plan_id, history)

    @post("/representatives", status_code=201, **doc.signed_in_change(404, 409))
    async def record_representative(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[consent_schemas.RepresentativeCreate],
    ) -> consent_schemas.RepresentativeRead:
        return await consent_representatives.record_representative(actor, plan_id, data)

    @post(
        "/representatives/{record_id:uuid}/end",
        status_code=200,
        **doc.signed_in_change(404, 409),
    )
    async def end_representative(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        record_id: FromPath[uuid.UUID],
        data: JSONBody[consent_schemas.RepresentativeEnd],
    ) -> consent_schemas.RepresentativeRead:
        return await consent_representatives.end_representative(
            actor, plan_id, record_id, data.reason
        )

    @get("/access-log", **doc.signed_in_read(403, 404))
    async def access_log(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[consent_schemas.AccessEventRead]:
        return await consent_access.read_access_log(actor, plan_id)


class InvitationController(Controller):
    """What the holder of an invitation link sees, and accepting it."""

    path = "/api/v1/invitations"
    tags = ["sharing"]

    @get("/{token:str}", **doc.anonymous_read(404, 410))
    async def read_offer(self, token: FromPath[str]) -> consent_schemas.InvitationOffer:
        return await consent_invitations.read_offer(token)

    @post(
        "/{token:str}/accept",
        status_code=200,
        dependencies={"actor": Provide(require_actor)},
        **doc.signed_in_change(404, 409, 410, 422, body=False),
    )
    async def accept(
        self, actor: NamedDependency[Actor], token: FromPath[str]
    ) -> consent_schemas.InvitationAccepted:
        return await consent_invitations.accept_invitation(actor, token)


SHARING_CONTROLLERS = [SharingController, InvitationController]
