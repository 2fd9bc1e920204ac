"""The sign-off API: submit, return, authorise the plan and the budget; versions; work trays."""

# No `from __future__ import annotations`: Litestar reads the handlers' annotations as types.
import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from portal.consent.policy import Actor
from portal.reviews import schemas as r
from portal.reviews import service
from portal.routes.auth import require_actor

CompareWith = Annotated[
    int | None,
    QueryParameter(name="with", description="Another version's number; the plan now if omitted"),
]
Page = Annotated[int, QueryParameter(name="page", description="From 1")]
PerPage = Annotated[int, QueryParameter(name="per_page", description="From 1 to 100")]


class SignOffController(Controller):
    path = "/api/v1/plans/{plan_id:uuid}"
    tags = ["sign-off"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/sign-off")
    async def sign_off(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> r.SignOffRead:
        return await service.sign_off_status(actor, plan_id)

    @post("/submit", status_code=200)
    async def submit(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[r.SubmitRequest],
    ) -> r.DecisionOutcome:
        return await service.submit_plan(actor, plan_id, data)

    @post("/return", status_code=200)
    async def return_plan(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[r.ReturnRequest],
    ) -> r.DecisionOutcome:
        return await service.return_plan(actor, plan_id, data)

    @post("/authorise-plan", status_code=200)
    async def authorise_plan(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[r.AuthorisePlanRequest],
    ) -> r.DecisionOutcome:
        return await service.authorise_plan(actor, plan_id, data)

    @post("/authorise-budget", status_code=200)
    async def authorise_budget(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[r.AuthoriseBudgetRequest],
    ) -> r.DecisionOutcome:
        return await service.authorise_budget(actor, plan_id, data)

    @get("/comments")
    async def comments(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[r.CommentRead]:
        return await service.comments_for(actor, plan_id)

    @get("/versions")
    async def versions(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[r.VersionSummary]:
        return await service.list_versions(actor, plan_id)

    @get("/versions/{number:int}")
    async def version(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], number: FromPath[int]
    ) -> r.VersionRead:
        return await service.read_version(actor, plan_id, number)

    @get("/versions/{number:int}/compare")
    async def compare(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        number: FromPath[int],
        compare_with: CompareWith = None,
    ) -> r.VersionComparison:
        return await service.compare_version(actor, plan_id, number, compare_with)


class TrayController(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/trays"
    tags = ["sign-off"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/")
    async def counts(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[uuid.UUID]
    ) -> list[r.TrayCount]:
        return await service.tray_counts(actor, organisation_id)

    @get("/{tray:str}")
    async def tray(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[uuid.UUID],
        tray: FromPath[str],
        page: Page = 1,
        per_page: PerPage = 25,
    ) -> r.TrayPage:
        return await service.tray_page(actor, organisation_id, tray, page, per_page)


REVIEW_CONTROLLERS = [SignOffController, TrayController]
