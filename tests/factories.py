"""Things tests need made, made through the services (never raw inserts), for any suite to reuse."""

from __future__ import annotations

import uuid
from typing import Any

from portal.accounts import organisations
from portal.accounts.schemas import StaffRoleRead
from portal.accounts.service import actor_for_token, end_session, start_session
from portal.accounts.tables import UserAccount
from portal.core.actor import Actor, Role


def _email(who: Any) -> str:
    """An email address, or anything with one (a Persona)."""
    return who if isinstance(who, str) else str(who.email)


async def make_organisation(
    name: str | None = None, kind: str = "council", *, admin: Any = None
) -> uuid.UUID:
    """A new organisation (a unique name unless one is given); `admin` becomes its first admin."""
    name = name or f"Test {kind} {uuid.uuid4().hex[:8]}"
    return await organisations.create_organisation(
        name, kind, _email(admin) if admin is not None else None
    )


async def give_role(
    who: Any, organisation_id: uuid.UUID, role: Role | str, limit: int | None = None
) -> StaffRoleRead:
    """Give a person (their email, or a Persona) a role, as the operator would."""
    return await organisations.add_role_as_operator(organisation_id, _email(who), role, limit)


async def actor_of(who: Any) -> Actor:
    """The actor a request by this person would be answered for, roles and all, right now."""
    user = await UserAccount.objects().where(UserAccount.email == _email(who).lower()).first()
    assert user is not None, f"no account for {_email(who)}"
    token = await start_session(user, hours=1)
    try:
        actor = await actor_for_token(token)
    finally:
        await end_session(token)
    assert actor is not None
    return actor


async def write_complete_plan(client: Any, kind: str = "care_and_support") -> str:
    """A plan with every section written and every list filled, through the API as its person
    would write it (the benchmark's realistic plan); all nine criteria are met. Returns its id."""
    from bench.plan_content import ACTIONS, CONTACTS, OUTCOMES, SECTIONS, SUPPORT_ITEMS, action_body

    created = await client.post("/api/v1/plans", json={"kind": kind})
    assert created.status_code == 201, created.text
    plan_id = str(created.json()["id"])
    base = f"/api/v1/plans/{plan_id}"
    for key, content in SECTIONS.items():
        written = await client.put(
            f"{base}/sections/{key}", json=content, headers={"If-Match": '"0"'}
        )
        assert written.status_code == 200, written.text
    outcome_ids = []
    for outcome in OUTCOMES:
        made = await client.post(f"{base}/outcomes", json=outcome)
        assert made.status_code == 201, made.text
        outcome_ids.append(made.json()["id"])
    for index, item in SUPPORT_ITEMS:
        made = await client.post(
            f"{base}/support-items", json={**item, "outcome_id": outcome_ids[index]}
        )
        assert made.status_code == 201, made.text
    for goal, action, days in ACTIONS:
        outcome_id = outcome_ids[goal] if goal is not None else None
        made = await client.post(f"{base}/actions", json=action_body(action, days, outcome_id))
        assert made.status_code == 201, made.text
    for contact in CONTACTS:
        made = await client.post(f"{base}/contacts", json=contact)
        assert made.status_code == 201, made.text
    return plan_id


async def decide_outcomes(client: Any, plan_id: str, decision: str = "agreed") -> list[str]:
    """Agree (or decline) every proposed outcome of a plan, as staff who may decide them do
    before the plan is authorised; returns the titles decided."""
    base = f"/api/v1/plans/{plan_id}"
    listed = await client.get(f"{base}/outcomes")
    assert listed.status_code == 200, listed.text
    decided = []
    for outcome in listed.json():
        if outcome["status"] != "proposed":
            continue
        body = {"decision": decision, "reason": "" if decision == "agreed" else "Not this year"}
        answer = await client.post(f"{base}/outcome-decisions/{outcome['id']}", json=body)
        assert answer.status_code == 200, answer.text
        decided.append(outcome["title"])
    return decided


async def set_allocation(
    client: Any, plan_id: str, annual_pence: int, reason: str = ""
) -> dict[str, Any]:
    """Set the organisation's indicative allocation, as its coordinator or budget authoriser."""
    answer = await client.put(
        f"/api/v1/plans/{plan_id}/allocation",
        json={"annual_pence": annual_pence, "reason": reason},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body
