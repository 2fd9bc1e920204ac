"""The API describes itself, so other systems and the PWA's scripts can rely on it."""

from __future__ import annotations


async def test_the_openapi_document_lists_the_plan_api(client) -> None:
    response = await client.get("/api/v1/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Plan portal API"
    paths = document["paths"]
    for path in (
        "/api/v1/session",
        "/api/v1/plans",
        "/api/v1/plans/{plan_id}",
        "/api/v1/plans/{plan_id}/criteria",
        "/api/v1/plans/{plan_id}/sections/{key}",
        "/api/v1/plans/{plan_id}/sections/{key}/revisions",
        "/api/v1/plans/{plan_id}/outcomes",
        "/api/v1/plans/{plan_id}/support-items/{row_id}",
    ):
        assert path in paths, path
    put = paths["/api/v1/plans/{plan_id}/sections/{key}"]["put"]
    headers = {p["name"] for p in put.get("parameters", []) if p["in"] == "header"}
    assert "If-Match" in headers
    schemas = document["components"]["schemas"]
    assert {"PlanRead", "SectionRead", "SupportItemCreate", "OutcomeRead"} <= set(schemas)
    assert "proposed_by" in schemas["OutcomeRead"]["properties"]


async def test_an_outcome_says_who_proposed_it(owner) -> None:
    c = owner.client
    plan = (await c.post("/api/v1/plans", json={"kind": "care_and_support"})).json()
    created = await c.post(f"/api/v1/plans/{plan['id']}/outcomes", json={"title": "Swim weekly"})
    assert created.status_code == 201
    assert created.json()["proposed_by"] == "Owner"
    listed = (await c.get(f"/api/v1/plans/{plan['id']}")).json()["outcomes"]
    assert [o["proposed_by"] for o in listed] == ["Owner"]
