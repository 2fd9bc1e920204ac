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
from portal.routes.pages.common import plan_url, see_other
from portal.routes.pages.forms import FieldProblem, parse_pounds, text
from portal.routes.pages.signoff.decisions import decide_page
from portal.routes.pages.signoff.form import problem_errors, read_reason, send_form
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
    amount = text(form, "allocation_amount")
    values: dict[str, Any] = {
        "allocation_amount": amount,
        "allocation_reason": text(form, "allocation_reason"),
    }
    errors: dict[str, str] = {}
    pence = 0
    try:
        if not amount.strip():
            raise FieldProblem("Enter the indicative allocation a year, like 18,500.00")
        pence = parse_pounds(amount, "The indicative allocation")
    except FieldProblem as exc:
        errors["allocation_amount"] = str(exc)
    reason = read_reason(form, "allocation_reason", "How it was worked out", errors)

    async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
        return await decide_page(
            actor, plan_id, values=values, errors=errors, http_status=http_status
        )

    return await send_form(
        errors,
        lambda: allocation.set_allocation(
            actor, plan_id, signoff_schemas.AllocationSet(annual_pence=pence, reason=reason)
        ),
        done=lambda _: see_other(plan_url(plan_id, "decide") + "?done=allocation_set"),
        again=again,
        refused=lambda problem: problem_errors(problem, _FIELDS, "set-allocation"),
    )


ALLOCATION_ROUTES = [set_allocation]
