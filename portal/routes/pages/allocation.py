"""The decide page's allocation form: staff of the signing-off organisation set the indicative
allocation the budget is checked against (the rule is `portal.signoff.allocation`'s)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent.policy import Permission
from portal.core.actor import Actor
from portal.core.errors import Conflict, DomainError, Invalid
from portal.problems import status_of
from portal.routes.pages.common import plan_url, see_other
from portal.routes.pages.forms import FieldProblem, check_length, parse_pounds, text
from portal.routes.pages.reviews import REASON_LIMIT, decide_page, problem_errors
from portal.signoff import allocation
from portal.signoff import schemas as signoff_schemas
from portal.signoff.transitions import open_plan_for

_FIELDS = {"annual_pence": "allocation_amount", "reason": "allocation_reason"}


@post("/plans/{plan_id:uuid}/decide/allocation", name="decide-allocation")
async def set_allocation(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]
) -> Response[Any]:
    # Access first (404 for a plan the actor may not know, 403 for one they may not set), so
    # nobody learns anything from how the form is judged.
    await open_plan_for(actor, plan_id, Permission.ALLOCATION_SET, "set the indicative allocation")
    form = await request.form()
    amount, reason = text(form, "allocation_amount"), text(form, "allocation_reason")
    values: dict[str, Any] = {"allocation_amount": amount, "allocation_reason": reason}
    errors: dict[str, str] = {}
    pence = 0
    try:
        if not amount.strip():
            raise FieldProblem("Enter the indicative allocation a year, like 18,500.00")
        pence = parse_pounds(amount, "The indicative allocation")
    except FieldProblem as exc:
        errors["allocation_amount"] = str(exc)
    try:
        check_length("How it was worked out", reason.strip(), REASON_LIMIT)
    except FieldProblem as exc:
        errors["allocation_reason"] = str(exc)
    http_status = 400
    if not errors:
        try:
            await allocation.set_allocation(
                actor,
                plan_id,
                signoff_schemas.AllocationSet(annual_pence=pence, reason=reason.strip()),
            )
        except DomainError as problem:
            if not isinstance(problem, (Conflict, Invalid)):
                raise
            http_status = status_of(problem)
            errors = problem_errors(problem, _FIELDS, "set-allocation")
        else:
            return see_other(plan_url(plan_id, "decide") + "?done=allocation_set")
    return await decide_page(actor, plan_id, values=values, errors=errors, http_status=http_status)


ALLOCATION_ROUTES = [set_allocation]
