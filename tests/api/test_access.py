"""Only the plan's own person may reach it: others get 404 and learn nothing, strangers get 401."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from .helpers import add_row, assert_problem, change_section, create_plan, snapshot

ROW_BODIES: dict[str, dict[str, Any]] = {
    "outcomes": {"title": "Take over this plan"},
    "support-items": {"description": "Something", "cost_pence": 100, "frequency": "weekly"},
    "actions": {"what": "Something", "who": "Me", "due_by": "2027-01-01"},
    "contacts": {"name": "Someone"},
}
ROW_PATCHES: dict[str, dict[str, Any]] = {
    "outcomes": {"how": "Quietly"},
    "support-items": {"cost_pence": 200},
    "actions": {"who": "Someone else"},
    "contacts": {"role": "Intruder"},
}


def endpoints(plan_id: str, rows: dict[str, str]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every plan endpoint, with a body and version that would be accepted from the owner."""
    base = f"/api/v1/plans/{plan_id}"
    version = {"If-Match": '"1"'}
    calls: list[tuple[str, str, str, dict[str, Any]]] = [
        ("read plan", "GET", base, {}),
        ("criteria", "GET", f"{base}/criteria", {}),
        ("read section", "GET", f"{base}/sections/about_me", {}),
        (
            "write section",
            "PUT",
            f"{base}/sections/about_me",
            {"json": {"who_i_am": "Someone else"}, "headers": version},
        ),
        ("section history", "GET", f"{base}/sections/about_me/revisions", {}),
        ("restore", "POST", f"{base}/sections/about_me/revisions/1/restore", {"headers": version}),
    ]
    for url, row_id in rows.items():
        calls += [
            (f"list {url}", "GET", f"{base}/{url}", {}),
            (f"create {url}", "POST", f"{base}/{url}", {"json": ROW_BODIES[url]}),
            (f"read {url}", "GET", f"{base}/{url}/{row_id}", {}),
            (
                f"change {url}",
                "PATCH",
                f"{base}/{url}/{row_id}",
                {"json": ROW_PATCHES[url], "headers": version},
            ),
            (f"delete {url}", "DELETE", f"{base}/{url}/{row_id}", {"headers": version}),
            (f"{url} history", "GET", f"{base}/{url}/{row_id}/revisions", {}),
        ]
    return calls


@pytest.fixture(scope="module")
async def owned(author) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The author's plan with a written section and one row of each kind, all at version 1."""
    c = author.client
    plan = await create_plan(c, title="Private plan")
    await change_section(c, plan["id"], "about_me", who_i_am="Jo")
    rows = {
        url: (await add_row(c, plan["id"], url, **body))["id"] for url, body in ROW_BODIES.items()
    }
    return {"plan": plan["id"], "rows": rows, "baseline": await snapshot(c, plan["id"])}


def call_names() -> list[str]:
    return [name for name, *_ in endpoints("p", {url: "r" for url in ROW_BODIES})]


@pytest.mark.parametrize("index", range(len(call_names())), ids=call_names())
async def test_someone_else_gets_404_on_every_plan_endpoint_and_cannot_tell_it_exists(
    author, outsider, owned: dict[str, Any], index: int
) -> None:
    name, method, path, kwargs = endpoints(owned["plan"], owned["rows"])[index]
    real = await outsider.client.request(method, path, **kwargs)
    assert_problem(real, 404, "no plan")

    # A plan id nobody has gets exactly the same answer.
    _, _, fake_path, _ = endpoints(str(uuid.uuid4()), owned["rows"])[index]
    fake = await outsider.client.request(method, fake_path, **kwargs)
    assert (fake.status_code, fake.json()) == (real.status_code, real.json())
    assert real.headers.get("ETag") is None

    assert await snapshot(author.client, owned["plan"]) == owned["baseline"]


async def test_rows_of_another_plan_cannot_be_reached_through_your_own(
    author, outsider, owned: dict[str, Any]
) -> None:
    mine = await create_plan(outsider.client)
    base = f"/api/v1/plans/{mine['id']}"
    for url, row_id in owned["rows"].items():
        assert_problem(await outsider.client.get(f"{base}/{url}/{row_id}"), 404)
        assert_problem(await outsider.client.get(f"{base}/{url}/{row_id}/revisions"), 404)
        assert_problem(
            await outsider.client.patch(
                f"{base}/{url}/{row_id}", json=ROW_PATCHES[url], headers={"If-Match": '"1"'}
            ),
            404,
        )
        assert_problem(
            await outsider.client.delete(f"{base}/{url}/{row_id}", headers={"If-Match": '"1"'}), 404
        )
        assert (await outsider.client.get(f"{base}/{url}")).json() == []
    assert await snapshot(author.client, owned["plan"]) == owned["baseline"]


async def test_the_plan_list_holds_only_your_own_plans(
    author, outsider, owned: dict[str, Any]
) -> None:
    theirs = await create_plan(outsider.client, title="Outsider's plan")
    second = await create_plan(author.client, title="Author's second plan")

    author_ids = [p["id"] for p in (await author.client.get("/api/v1/plans")).json()]
    outsider_ids = [p["id"] for p in (await outsider.client.get("/api/v1/plans")).json()]
    assert {owned["plan"], second["id"]} <= set(author_ids)
    assert theirs["id"] in outsider_ids
    assert not set(author_ids) & set(outsider_ids)
    # Newest change first.
    assert author_ids[0] == second["id"]
    for plan_id in outsider_ids:
        assert (await outsider.client.get(f"/api/v1/plans/{plan_id}")).status_code == 200
        assert_problem(await author.client.get(f"/api/v1/plans/{plan_id}"), 404)


async def test_anonymous_requests_get_401_everywhere(
    client: httpx.AsyncClient, author, owned: dict[str, Any]
) -> None:
    calls = endpoints(owned["plan"], owned["rows"]) + [
        ("list plans", "GET", "/api/v1/plans", {}),
        ("create plan", "POST", "/api/v1/plans", {"json": {"kind": "care_and_support"}}),
        ("who am I", "GET", "/api/v1/session", {}),
    ]
    for name, method, path, kwargs in calls:
        response = await client.request(method, path, **kwargs)
        assert response.status_code == 401, (name, response.text)
        assert_problem(response, 401, "sign in")
    assert await snapshot(author.client, owned["plan"]) == owned["baseline"]
