"""The sign-off API: submit, return, authorise the plan and the budget; versions; work trays;
review requests, package changes, outcome decisions and an organisation's tolerance."""

# No `from __future__ import annotations`: Litestar reads the handlers' annotations as types.
import uuid
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from portal.bounds import INT4_MAX, PageNumber, VersionInPath
from portal.core.actor import Actor
from portal.plans.allocation import StaffAllocation
from portal.plans.schemas import OutcomeRead
from portal.routes.api import openapi as doc
from portal.routes.auth import require_actor
from portal.signoff import (
    allocation,
    limits,
    outcome_decisions,
    overview,
    staff_decisions,
    submitting,
    tolerance_settings,
    version_history,
    withdrawal,
    work_trays,
)
from portal.signoff import changes as package_changes
from portal.signoff import requests as review_requests
from portal.signoff import schemas as signoff_schemas

CompareWith = Annotated[
    int | None,
    QueryParameter(
        name="with",
        description="Another version's number; the plan now if omitted",
        ge=0,
        le=INT4_MAX,
    ),
]
Page = PageNumber
PerPage = Annotated[
    int,
    QueryParameter(
        name="per_page",
        description=f"From 1 to {limits.MAX_PER_PAGE}",
        ge=1,
        le=limits.MAX_PER_PAGE,
    ),
]


def _decision(path: str) -> post:
    """A POST that decides something about a plan and answers 200 with the outcome: 404 for a
    plan the caller may not know, 409 when the plan (or what is decided) has moved on."""
    return post(path, status_code=200, **doc.signed_in_change(404, 409))


def _created(path: str) -> post:
    """A POST that adds something to a plan's sign-off and answers 201 with it (404, 409)."""
    return post(path, status_code=201, **doc.signed_in_change(404, 409))


class SignOffController(Controller):
    path = "/api/v1/plans/{plan_id:uuid}"
    tags = ["sign-off"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/sign-off", **doc.signed_in_read(404))
    async def sign_off(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> signoff_schemas.SignOffRead:
        return await overview.sign_off_status(actor, plan_id)

    @_decision("/submit")
    async def submit(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.SubmitRequest],
    ) -> signoff_schemas.DecisionOutcome:
        return await submitting.submit_plan(actor, plan_id, data)

    @get("/sharing/sign-off", **doc.signed_in_read(403, 404))
    async def sign_off_sharing(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> signoff_schemas.SignOffSharingRead:
        """Whom submitting shared the plan with: the organisation, the sections it sees, since
        when and by which submission. For those who choose who sees the plan."""
        return await withdrawal.sign_off_sharing(actor, plan_id)

    @_decision("/withdraw-consent")
    async def withdraw_consent(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.WithdrawConsentRequest],
    ) -> signoff_schemas.DecisionOutcome:
        """Withdraw the consent that submitting gave: the plan goes back to draft and leaves
        sign-off, and an agreed version stops being the active plan. `confirm` must be true;
        409 when nothing is shared for sign-off (or the plan moved on from `state`)."""
        return await withdrawal.withdraw_consent(actor, plan_id, data)

    @_decision("/return")
    async def return_plan(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.ReturnRequest],
    ) -> signoff_schemas.DecisionOutcome:
        return await staff_decisions.return_plan(actor, plan_id, data)

    @_decision("/authorise-plan")
    async def authorise_plan(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.AuthorisePlanRequest],
    ) -> signoff_schemas.DecisionOutcome:
        return await staff_decisions.authorise_plan(actor, plan_id, data)

    @_decision("/authorise-budget")
    async def authorise_budget(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.AuthoriseBudgetRequest],
    ) -> signoff_schemas.DecisionOutcome:
        return await staff_decisions.authorise_budget(actor, plan_id, data)

    @put("/allocation", status_code=200, **doc.signed_in_change(404, 409))
    async def set_allocation(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.AllocationSet],
    ) -> StaffAllocation:
        """Staff of the signing-off organisation set the indicative allocation sign-off checks."""
        return await allocation.set_allocation(actor, plan_id, data)

    @get("/comments", **doc.signed_in_read(404))
    async def comments(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[signoff_schemas.CommentRead]:
        return await overview.comments_for(actor, plan_id)

    @get("/versions", **doc.signed_in_read(404))
    async def versions(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[signoff_schemas.VersionSummary]:
        return await version_history.list_versions(actor, plan_id)

    @get("/versions/{number:int}", **doc.signed_in_read(404, 422))
    async def version(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], number: VersionInPath
    ) -> signoff_schemas.VersionRead:
        return await version_history.read_version(actor, plan_id, number)

    @get("/versions/{number:int}/compare", **doc.signed_in_read(404, 422))
    async def compare(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        number: VersionInPath,
        compare_with: CompareWith = None,
    ) -> signoff_schemas.VersionComparison:
        return await version_history.compare_version(actor, plan_id, number, compare_with)


class ReviewController(Controller):
    """Asking for a review, starting one, package changes and decisions on outcomes."""

    path = "/api/v1/plans/{plan_id:uuid}"
    tags = ["reviews"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/review-requests", **doc.signed_in_read(404))
    async def review_requests(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[signoff_schemas.ReviewRequestRead]:
        return await review_requests.list_requests(actor, plan_id)

    @_created("/review-requests")
    async def request_review(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.ReviewRequestCreate],
    ) -> signoff_schemas.ReviewRequestRead:
        return await review_requests.request_review(actor, plan_id, data)

    @_decision("/review-requests/{request_id:uuid}/decline")
    async def decline_review(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        request_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.ReviewDecline],
    ) -> signoff_schemas.ReviewRequestRead:
        return await review_requests.decline_request(actor, plan_id, request_id, data)

    @_decision("/start-review")
    async def start_review(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.ReviewStart],
    ) -> signoff_schemas.ReviewStarted:
        return await review_requests.start_review(actor, plan_id, data)

    @_decision("/outcome-decisions/{outcome_id:uuid}")
    async def decide_outcome(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        outcome_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.OutcomeDecision],
    ) -> OutcomeRead:
        return await outcome_decisions.decide_outcome(actor, plan_id, outcome_id, data)

    @get("/package-changes", **doc.signed_in_read(404))
    async def package_changes(
        self, actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
    ) -> list[signoff_schemas.PackageChangeRead]:
        return await package_changes.list_changes(actor, plan_id)

    @_created("/package-changes")
    async def propose_change(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.PackageChangeCreate],
    ) -> signoff_schemas.PackageChangeRead:
        return await package_changes.propose_change(actor, plan_id, data)

    @_decision("/package-changes/{change_id:uuid}/decision")
    async def decide_change(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        change_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.ChangeDecision],
    ) -> signoff_schemas.PackageChangeRead:
        return await package_changes.decide_change(actor, plan_id, change_id, data)

    @_decision("/package-changes/{change_id:uuid}/review")
    async def change_to_review(
        self,
        actor: NamedDependency[Actor],
        plan_id: FromPath[uuid.UUID],
        change_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.ReviewRequestCreate],
    ) -> signoff_schemas.PackageChangeRead:
        return await package_changes.change_to_review(actor, plan_id, change_id, data)


class ToleranceController(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/tolerance"
    tags = ["reviews"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/", **doc.signed_in_read(404))
    async def read_tolerance(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[uuid.UUID]
    ) -> signoff_schemas.ToleranceRead:
        return await tolerance_settings.read_tolerance(actor, organisation_id)

    @put("/", **doc.signed_in_change(404))
    async def change_tolerance(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[uuid.UUID],
        data: JSONBody[signoff_schemas.ToleranceUpdate],
    ) -> signoff_schemas.ToleranceRead:
        return await tolerance_settings.change_tolerance(actor, organisation_id, data)


class TrayController(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/trays"
    tags = ["sign-off"]
    dependencies = {"actor": Provide(require_actor)}

    @get("/", **doc.signed_in_read(404))
    async def counts(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[uuid.UUID]
    ) -> list[signoff_schemas.TrayCount]:
        return await work_trays.tray_counts(actor, organisation_id)

    @get("/{tray:str}", **doc.signed_in_read(400, 403, 404, 422))
    async def tray(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[uuid.UUID],
        tray: FromPath[str],
        page: Page = 1,
        per_page: PerPage = 25,
    ) -> signoff_schemas.TrayPage:
        return await work_trays.tray_page(actor, organisation_id, tray, page, per_page)


SIGNOFF_CONTROLLERS = [SignOffController, ReviewController, ToleranceController, TrayController]
