"""Staff agree or decline each outcome of a plan, from the decide page or the review page
(the form says which it came from, and the answer goes back there)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent.policy import Permission
from portal.core.actor import Actor
from portal.routes.pages.common import plan_url, see_other
from portal.routes.pages.forms import text
from portal.routes.pages.signoff.decisions import decide_page
from portal.routes.pages.signoff.form import problem_errors, read_reason, send_form
from portal.routes.pages.signoff.staff_review import (
    empty_review_values,
    review_page_for,
    review_url,
)
from portal.signoff import outcome_decisions, transitions
from portal.signoff import schemas as signoff_schemas


@post("/plans/{plan_id:uuid}/outcome-decisions/{outcome_id:uuid}", name="outcome-decision")
async def decide_outcome(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    outcome_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await transitions.open_plan_for(
        actor, plan_id, Permission.OUTCOME_DECIDE, "agree or decline outcomes"
    )
    form = await request.form()
    from_decide = text(form, "back") == "decide"
    key = f"outcome-{outcome_id}"
    errors: dict[str, str] = {}
    choice = text(form, "decision")
    if choice not in ("agreed", "declined"):
        errors[key] = "Choose whether to agree or decline the outcome"
    reason = read_reason(form, "reason", "The reason", errors, key)
    typed = {str(outcome_id): text(form, "reason")}
    page = plan_url(plan_id, "decide") if from_decide else review_url(plan_id)

    async def again(errors: dict[str, str], http_status: int) -> Response[Any]:
        if from_decide:
            return await decide_page(
                actor, plan_id, errors=errors, outcome_reasons=typed, http_status=http_status
            )
        values = {**empty_review_values(), "outcomes": typed}
        return await review_page_for(
            actor, plan_id, values=values, errors=errors, http_status=http_status
        )

    return await send_form(
        errors,
        lambda: outcome_decisions.decide_outcome(
            actor,
            plan_id,
            outcome_id,
            signoff_schemas.OutcomeDecision(
                decision="agreed" if choice == "agreed" else "declined", reason=reason
            ),
        ),
        done=lambda _: see_other(f"{page}?done=outcome_{choice}"),
        again=again,
        refused=lambda problem: problem_errors(problem, {"reason": key}, key),
    )


OUTCOME_ROUTES = [decide_outcome]
