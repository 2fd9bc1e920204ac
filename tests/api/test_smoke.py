"""The smallest end-to-end check that the app, the database and sign-in fit together."""

from __future__ import annotations


async def test_health_answers(client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_owner_creates_and_reads_a_plan(owner) -> None:
    created = await owner.client.post("/api/v1/plans", json={"kind": "care_and_support"})
    assert created.status_code == 201, created.text
    plan = created.json()
    assert [s["key"] for s in plan["sections"]][:2] == ["starting_point", "about_me"]
    assert plan["criteria_summary"]["missing"] == 9
    read = await owner.client.get(f"/api/v1/plans/{plan['id']}")
    assert read.status_code == 200
    assert read.json()["title"] == "Care and support plan"


async def test_another_user_gets_404_for_a_plan(owner, stranger) -> None:
    plan = (await owner.client.post("/api/v1/plans", json={"kind": "carer_support"})).json()
    response = await stranger.client.get(f"/api/v1/plans/{plan['id']}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
