"""Who is told about a decision on a plan, and in what words: real database, real HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from portal.notifications.service import EVENTS, MESSAGES, MONEY_EVENTS
from tests.notifications.conftest import CONTENT_WORDS, LABELS, World, tell

TOLD = {"owner", "carer", "planner", "advocate"}


async def messages_of(world: World, label: str) -> list[dict[str, Any]]:
    response = await world[label].client.get("/api/v1/notifications")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_person_who_speaks_for_them_and_co_authors_are_told(world: World) -> None:
    made = await tell(world.plan_id, "return", world.user_ids["authoriser"])
    assert len(made) == len(TOLD)

    seen = {label: await messages_of(world, label) for label in LABELS}
    assert {label for label, items in seen.items() if items} == TOLD, (
        "not a viewer, a revoked or expired grantee, an ended representative, the decider "
        "or a stranger"
    )
    (own,) = seen["owner"]
    assert own["message"] == (
        "Your plan was returned with comments. Read them and change your plan, then submit it "
        "again."
    )
    assert own["kind"] == "return" and own["read_at"] is None
    assert own["link"] == f"/plans/{world.plan_id}/sign-off"
    assert own["plan_id"] == world.plan_id
    for helper in ("carer", "planner", "advocate"):
        (item,) = seen[helper]
        assert item["message"].startswith("A plan you help with was returned with comments.")
        assert item["link"] == own["link"]
    assert {str(i) for i in made} == {items[0]["id"] for items in seen.values() if items}


async def test_whoever_made_the_decision_is_not_told(world: World) -> None:
    await tell(world.plan_id, "submit", world.user_ids["owner"])
    assert await messages_of(world, "owner") == []
    assert [m["kind"] for m in await messages_of(world, "carer")] == ["submit"]

    await tell(world.plan_id, "resubmit", world.user_ids["carer"])
    assert [m["kind"] for m in await messages_of(world, "carer")] == ["submit"]
    assert [m["kind"] for m in await messages_of(world, "owner")] == ["resubmit"]
    assert [m["kind"] for m in await messages_of(world, "planner")] == ["resubmit", "submit"]


async def test_a_decision_rolled_back_tells_nobody(world: World) -> None:
    from portal.db import write_transaction
    from portal.notifications.service import tell_about_plan
    from portal.notifications.tables import Notification

    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        async with write_transaction(Notification._meta.db):
            made = await tell_about_plan(uuid.UUID(world.plan_id), "authorise_plan", None)
            assert len(made) == len(TOLD)
            raise Refused
    assert await messages_of(world, "owner") == []


async def test_every_event_is_told_in_plain_words_without_the_plans_content(
    world: World,
) -> None:
    for event in sorted(EVENTS):
        await tell(world.plan_id, event, None)
        own = (await messages_of(world, "owner"))[0]
        helped = (await messages_of(world, "planner"))[0]
        told = [own]
        assert own["message"] == MESSAGES[event][0]
        assert "your plan" in own["message"].lower(), event
        if event in MONEY_EVENTS:
            # News of the money is for those who may see it: the planner's grant leaves it out
            # (tests/consent/test_money_never_leaks.py has a helper with the money told).
            assert helped["kind"] != event, event
        else:
            told.append(helped)
            assert helped["message"] == MESSAGES[event][1]
            assert "a plan you help with" in helped["message"].lower(), event
        for item in told:
            assert item["kind"] == event
            assert item["link"] == f"/plans/{world.plan_id}/sign-off"
            assert 20 < len(item["message"]) <= 300
            assert not [w for w in CONTENT_WORDS if w.lower() in item["message"].lower()]
    assert len(await messages_of(world, "owner")) == len(EVENTS) == 11


async def test_an_unknown_event_is_a_mistake_in_the_code(world: World) -> None:
    with pytest.raises(ValueError, match="unknown notification event 'approve'"):
        await tell(world.plan_id, "approve", None)
    assert await messages_of(world, "owner") == []
