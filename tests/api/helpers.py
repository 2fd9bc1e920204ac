"""What the API tests keep asking: problems, versions, plans, sections and snapshots."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

PROBLEM_TYPE = "application/problem+json"
SECTION_KEYS = (
    "starting_point",
    "about_me",
    "working_not_working",
    "important_to_for",
    "staying_safe",
    "outcomes",
    "money",
    "action_plan",
    "review",
    "contacts",
)
CRITERIA_KEYS = SECTION_KEYS[:9]


def etag(version: int) -> str:
    return f'"{version}"'


def if_match(version: int) -> dict[str, str]:
    return {"If-Match": etag(version)}


def assert_problem(response: httpx.Response, status: int, *phrases: str) -> dict[str, Any]:
    """An RFC 9457 problem with this status, a title, and a detail a person can act on."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_TYPE), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"].strip()
    detail = body["detail"]
    # A sentence, not a bare code or a stack trace.
    assert isinstance(detail, str) and len(detail.split()) >= 4, detail
    assert "Traceback" not in detail and "msgspec" not in detail, detail
    for phrase in phrases:
        assert phrase.lower() in detail.lower(), (phrase, detail)
    return body


async def create_plan(
    client: httpx.AsyncClient, kind: str = "care_and_support", title: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind}
    if title:
        body["title"] = title
    response = await client.post("/api/v1/plans", json=body)
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def plan_url(plan_id: str) -> str:
    return f"/api/v1/plans/{plan_id}"


async def read_section(client: httpx.AsyncClient, plan_id: str, key: str) -> dict[str, Any]:
    response = await client.get(f"{plan_url(plan_id)}/sections/{key}")
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == etag(response.json()["version"])
    section: dict[str, Any] = response.json()
    return section


async def change_section(
    client: httpx.AsyncClient, plan_id: str, key: str, **changes: Any
) -> dict[str, Any]:
    """Read a section, change some fields, and save it from the version that was read."""
    current = await read_section(client, plan_id, key)
    content = {**current["content"], **changes}
    response = await client.put(
        f"{plan_url(plan_id)}/sections/{key}", json=content, headers=if_match(current["version"])
    )
    assert response.status_code == 200, response.text
    saved: dict[str, Any] = response.json()
    assert saved["version"] == current["version"] + 1
    assert response.headers["ETag"] == etag(saved["version"])
    return saved


async def add_row(
    client: httpx.AsyncClient, plan_id: str, url: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(f"{plan_url(plan_id)}/{url}", json=fields)
    assert response.status_code == 201, response.text
    row: dict[str, Any] = response.json()
    assert row["version"] == 1
    assert response.headers["ETag"] == etag(1)
    return row


async def patch_row(
    client: httpx.AsyncClient, plan_id: str, url: str, row: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    response = await client.patch(
        f"{plan_url(plan_id)}/{url}/{row['id']}", json=fields, headers=if_match(row["version"])
    )
    assert response.status_code == 200, response.text
    updated: dict[str, Any] = response.json()
    return updated


async def criteria(client: httpx.AsyncClient, plan_id: str) -> dict[str, dict[str, Any]]:
    response = await client.get(f"{plan_url(plan_id)}/criteria")
    assert response.status_code == 200, response.text
    return {result["key"]: result for result in response.json()}


async def snapshot(client: httpx.AsyncClient, plan_id: str) -> dict[str, Any]:
    """Everything saved about a plan and every history: proof a refused request changed nothing."""
    url = plan_url(plan_id)
    plan = await client.get(url)
    assert plan.status_code == 200, plan.text
    body = plan.json()
    paths = {f"section:{key}": f"{url}/sections/{key}/revisions" for key in SECTION_KEYS}
    for name, rows in (
        ("outcomes", body["outcomes"]),
        ("support-items", body["support_items"]),
        ("actions", body["actions"]),
        ("contacts", body["contacts"]),
    ):
        for row in rows:
            paths[f"{name}:{row['id']}"] = f"{url}/{name}/{row['id']}/revisions"
    responses = await asyncio.gather(*(client.get(path) for path in paths.values()))
    histories: dict[str, Any] = {}
    for name, response in zip(paths, responses, strict=True):
        assert response.status_code == 200, response.text
        histories[name] = response.json()
    listed = await client.get("/api/v1/plans")
    assert listed.status_code == 200
    summary = [p for p in listed.json() if p["id"] == plan_id]
    return {"plan": body, "histories": histories, "listed": summary}
