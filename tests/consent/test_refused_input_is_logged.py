"""A change refused for its input, before any rule ran, is still in "who has looked at my plan"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_plan, plan_url
from tests.conftest import Persona, make_persona
from tests.consent.test_sharing_api import share


@pytest.fixture
async def planner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "planner")
    yield persona
    await persona.client.aclose()


async def log_of(owner: Persona, plan_id: str) -> list[dict[str, Any]]:
    return list((await owner.client.get(f"{plan_url(plan_id)}/access-log")).json())


async def test_a_grantees_unusable_change_is_refused_and_logged_without_what_was_sent(
    owner, planner, stranger
) -> None:  # type: ignore[no-untyped-def]
    plan = await create_plan(owner.client)
    await share(owner, plan["id"], planner, ["about_me"])
    before = (await owner.client.get(f"{plan_url(plan['id'])}/grants")).json()

    body = {"grantee_email": "x@example.org", "sections": "money-secret", "access": "edit"}
    refused = await planner.client.post(f"{plan_url(plan['id'])}/grants", json=body)
    assert_problem(refused, 422)

    # Nothing changed, and the attempt is listed: who and where, never what was sent.
    assert (await owner.client.get(f"{plan_url(plan['id'])}/grants")).json() == before
    log = await log_of(owner, plan["id"])
    attempts = [e for e in log if e["event"] == "input_refused"]
    assert [e["who"] for e in attempts] == ["Planner"], log
    assert "money-secret" not in str(log)

    # Someone who may not know the plan exists leaves no trace in its log; nor does the
    # person's own mistake.
    assert_problem(await stranger.client.post(f"{plan_url(plan['id'])}/grants", json=body), 422)
    assert_problem(await owner.client.post(f"{plan_url(plan['id'])}/grants", json=body), 422)
    after = [e for e in await log_of(owner, plan["id"]) if e["event"] == "input_refused"]
    assert [e["who"] for e in after] == ["Planner"]
