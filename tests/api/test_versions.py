"""Writing together: a write names its version; stale writes merge or conflict, never overwrite.

Two devices of the same person stand in for two people writing at once: whoever writes, the
rules are the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD, csrf_ready

from .helpers import (
    add_row,
    assert_problem,
    change_section,
    create_plan,
    etag,
    if_match,
    plan_url,
    read_section,
    snapshot,
)


@pytest.fixture(scope="module")
async def other_device(app, author) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """The author signed in a second time, as on a phone beside the laptop."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as device:
        await csrf_ready(device)
        response = await device.post(
            "/api/v1/session", json={"email": author.email, "password": PASSWORD}
        )
        assert response.status_code == 201
        yield device


def section_url(plan_id: str, key: str = "about_me") -> str:
    return f"{plan_url(plan_id)}/sections/{key}"


async def started_plan(client: httpx.AsyncClient) -> str:
    plan = await create_plan(client)
    await change_section(client, plan["id"], "about_me", who_i_am="Jo")
    return str(plan["id"])


# --- sections ----------------------------------------------------------------------------


async def test_a_section_write_without_if_match_is_refused_and_changes_nothing(author) -> None:
    c = author.client
    plan_id = await started_plan(c)
    before = await snapshot(c, plan_id)
    content = {**(await read_section(c, plan_id, "about_me"))["content"], "who_i_am": "Overwritten"}
    assert_problem(await c.put(section_url(plan_id), json=content), 428, "If-Match")
    assert_problem(await c.put(section_url(plan_id), json=content, headers={"If-Match": ""}), 428)
    assert await snapshot(c, plan_id) == before


async def test_stale_writes_to_different_fields_are_merged(author, other_device) -> None:
    c = author.client
    plan_id = await started_plan(c)
    opened = await read_section(c, plan_id, "about_me")  # version 1, on the laptop
    await change_section(other_device, plan_id, "about_me", strengths_and_skills="Cooking")  # v2

    mine = {**opened["content"], "health_and_wellbeing_needs": "Epilepsy"}
    response = await c.put(section_url(plan_id), json=mine, headers=if_match(opened["version"]))
    assert response.status_code == 200, response.text
    saved = response.json()
    assert saved["version"] == 3
    assert response.headers["ETag"] == etag(3)
    assert saved["content"]["who_i_am"] == "Jo"
    assert saved["content"]["strengths_and_skills"] == "Cooking"
    assert saved["content"]["health_and_wellbeing_needs"] == "Epilepsy"
    assert (await read_section(c, plan_id, "about_me"))["content"] == saved["content"]

    history = (await c.get(f"{section_url(plan_id)}/revisions")).json()
    assert [r["version"] for r in history] == [3, 2, 1]
    assert [r["changed_fields"] for r in history] == [
        ["health_and_wellbeing_needs"],
        ["strengths_and_skills"],
        ["who_i_am"],
    ]
    assert history[0]["content"] == saved["content"]

    # A weak ETag names a version just as well; a stale write that agrees with the other
    # change is no conflict.
    agreed = {**opened["content"], "strengths_and_skills": "Cooking", "who_i_am": "Jo Silva"}
    response = await c.put(section_url(plan_id), json=agreed, headers={"If-Match": 'W/"1"'})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 4
    assert response.json()["content"]["health_and_wellbeing_needs"] == "Epilepsy"
    history = (await c.get(f"{section_url(plan_id)}/revisions")).json()
    assert history[0]["changed_fields"] == ["who_i_am"]


async def test_stale_write_to_the_same_field_is_a_conflict_with_both_sides(
    author, other_device
) -> None:
    c = author.client
    plan_id = await started_plan(c)
    opened = await read_section(c, plan_id, "about_me")
    theirs = await change_section(other_device, plan_id, "about_me", who_i_am="Joanna")
    before = await snapshot(c, plan_id)

    mine = {**opened["content"], "who_i_am": "Jo S", "strengths_and_skills": "Cooking"}
    response = await c.put(section_url(plan_id), json=mine, headers=if_match(1))
    problem = assert_problem(response, 409, "nothing was saved")
    assert problem["current"] == theirs["content"]
    assert problem["version"] == 2
    assert problem["etag"] == etag(2)
    assert response.headers["ETag"] == etag(2)
    assert problem["conflicting_fields"] == ["who_i_am"]
    assert problem["yours"] == mine
    assert await snapshot(c, plan_id) == before

    # Choosing from both sides and saving on top of the current version works.
    chosen = {**problem["current"], "who_i_am": "Jo S", "strengths_and_skills": "Cooking"}
    response = await c.put(section_url(plan_id), json=chosen, headers={"If-Match": problem["etag"]})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 3


async def test_a_version_from_the_future_is_412_and_changes_nothing(author) -> None:
    c = author.client
    plan_id = await started_plan(c)
    before = await snapshot(c, plan_id)
    content = {**(await read_section(c, plan_id, "about_me"))["content"], "who_i_am": "Later"}
    assert_problem(
        await c.put(section_url(plan_id), json=content, headers=if_match(2)), 412, "version"
    )
    # Beyond what a version column holds, it cannot be any version: refused as If-Match text is.
    beyond = await c.put(section_url(plan_id), json=content, headers=if_match(10**11))
    assert_problem(beyond, 400, "from 0 to 2147483647")
    assert await snapshot(c, plan_id) == before


async def test_revisions_list_every_accepted_write_newest_first(author, other_device) -> None:
    c = author.client
    plan = await create_plan(c)
    plan_id = plan["id"]
    first = await change_section(c, plan_id, "review", care_coordinator_name="Priya")
    second = await change_section(
        other_device, plan_id, "review", review_date="2027-03-31", how_reviewed="At home"
    )
    third = await change_section(c, plan_id, "review", care_coordinator_name="Priya Patel")
    # Saving what is already there is accepted but adds nothing to the history.
    unchanged = await c.put(
        section_url(plan_id, "review"), json=third["content"], headers=if_match(3)
    )
    assert unchanged.status_code == 200
    assert unchanged.json()["version"] == 3

    response = await c.get(f"{section_url(plan_id, 'review')}/revisions")
    assert response.status_code == 200
    history = response.json()
    assert [r["version"] for r in history] == [3, 2, 1]
    assert [r["changed_fields"] for r in history] == [
        ["care_coordinator_name"],
        ["review_date", "how_reviewed"],
        ["care_coordinator_name"],
    ]
    assert [r["content"] for r in history] == [
        third["content"],
        second["content"],
        first["content"],
    ]
    assert {r["author"] for r in history} == {"Author"}
    assert all(r["restored_from"] is None and r["deleted"] is False for r in history)
    times = [r["created_at"] for r in history]
    assert times == sorted(times, reverse=True)
    # Other sections have their own, still empty, history.
    assert (await c.get(f"{section_url(plan_id, 'about_me')}/revisions")).json() == []


async def test_restore_adds_a_new_revision_and_leaves_history_alone(author) -> None:
    c = author.client
    plan = await create_plan(c)
    plan_id = plan["id"]
    first = await change_section(c, plan_id, "about_me", who_i_am="A")
    await change_section(c, plan_id, "about_me", who_i_am="B", strengths_and_skills="S")
    await change_section(c, plan_id, "about_me", who_i_am="C")
    history_before = (await c.get(f"{section_url(plan_id)}/revisions")).json()
    assert [r["version"] for r in history_before] == [3, 2, 1]

    response = await c.post(f"{section_url(plan_id)}/revisions/1/restore", headers=if_match(3))
    assert response.status_code == 200, response.text
    restored = response.json()
    assert restored["version"] == 4
    assert response.headers["ETag"] == etag(4)
    assert restored["content"] == first["content"]
    assert (await read_section(c, plan_id, "about_me"))["content"] == first["content"]

    history = (await c.get(f"{section_url(plan_id)}/revisions")).json()
    assert [r["version"] for r in history] == [4, 3, 2, 1]
    newest = history[0]
    assert newest["restored_from"] == 1
    assert newest["content"] == first["content"]
    assert newest["author"] == "Author"
    assert sorted(newest["changed_fields"]) == ["strengths_and_skills", "who_i_am"]
    assert history[1:] == history_before


async def test_restore_needs_the_current_version(author) -> None:
    c = author.client
    plan_id = await started_plan(c)
    await change_section(c, plan_id, "about_me", who_i_am="Jo Silva")  # version 2
    before = await snapshot(c, plan_id)
    restore = f"{section_url(plan_id)}/revisions/1/restore"

    stale = assert_problem(await c.post(restore, headers=if_match(1)), 409, "nothing was saved")
    assert stale["version"] == 2
    assert stale["current"]["who_i_am"] == "Jo Silva"
    assert_problem(await c.post(restore), 428, "If-Match")
    assert_problem(await c.post(restore, headers=if_match(3)), 412)
    assert_problem(
        await c.post(f"{section_url(plan_id)}/revisions/7/restore", headers=if_match(2)),
        404,
        "version 7",
    )
    assert await snapshot(c, plan_id) == before


# --- rows: outcomes, support items, actions, contacts --------------------------------------

# url, the body that creates a row, and two of its fields with two values each.
ROW_CASES = [
    (
        "outcomes",
        {"title": "Swim", "how": "With a PA"},
        ("title", "Swim weekly", "Swim daily"),
        ("how", "Bus", "Taxi"),
    ),
    (
        "support-items",
        {"description": "PA", "cost_pence": 1_000, "frequency": "weekly"},
        ("cost_pence", 1_200, 1_500),
        ("description", "Personal assistant", "PA, 8 hours"),
    ),
    (
        "actions",
        {"what": "Book the GP", "who": "Ana", "due_by": "2027-01-01"},
        ("who", "Jo", "Sam"),
        ("due_by", "2027-02-01", "2027-03-01"),
    ),
    (
        "contacts",
        {"name": "Ana", "role": "Sister"},
        ("role", "Deputy", "Carer"),
        ("phone", "01632 960000", "01632 960001"),
    ),
]
ROW_IDS = [case[0] for case in ROW_CASES]


@pytest.mark.parametrize(("url", "body", "field_a", "field_b"), ROW_CASES, ids=ROW_IDS)
async def test_row_writes_need_a_version(
    author, url: str, body: dict[str, Any], field_a: Any, field_b: Any
) -> None:
    c = author.client
    plan = await create_plan(c)
    row = await add_row(c, plan["id"], url, **body)
    row_url = f"{plan_url(plan['id'])}/{url}/{row['id']}"
    before = await snapshot(c, plan["id"])
    assert_problem(await c.patch(row_url, json={field_a[0]: field_a[1]}), 428, "If-Match")
    assert_problem(await c.delete(row_url), 428, "If-Match")
    assert_problem(await c.patch(row_url, json={field_a[0]: field_a[1]}, headers=if_match(2)), 412)
    assert_problem(await c.delete(row_url, headers=if_match(2)), 412)
    assert await snapshot(c, plan["id"]) == before


@pytest.mark.parametrize(("url", "body", "field_a", "field_b"), ROW_CASES, ids=ROW_IDS)
async def test_stale_row_changes_to_different_fields_merge(
    author, other_device, url: str, body: dict[str, Any], field_a: Any, field_b: Any
) -> None:
    c = author.client
    plan = await create_plan(c)
    row = await add_row(c, plan["id"], url, **body)
    row_url = f"{plan_url(plan['id'])}/{url}/{row['id']}"
    first = await other_device.patch(row_url, json={field_a[0]: field_a[1]}, headers=if_match(1))
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2
    second = await c.patch(row_url, json={field_b[0]: field_b[1]}, headers=if_match(1))
    assert second.status_code == 200, second.text
    merged = second.json()
    assert merged["version"] == 3
    assert second.headers["ETag"] == etag(3)
    assert (merged[field_a[0]], merged[field_b[0]]) == (field_a[1], field_b[1])
    assert (await c.get(row_url)).json() == merged

    history = (await c.get(f"{row_url}/revisions")).json()
    assert [r["version"] for r in history] == [3, 2, 1]
    assert [r["changed_fields"] for r in history[:2]] == [[field_b[0]], [field_a[0]]]
    assert set(body) <= set(history[2]["changed_fields"]) | {"outcome_id"}
    assert history[0]["content"][field_a[0]] == field_a[1]
    assert history[0]["content"][field_b[0]] == field_b[1]
    assert {r["author"] for r in history} == {"Author"}


@pytest.mark.parametrize(("url", "body", "field_a", "field_b"), ROW_CASES, ids=ROW_IDS)
async def test_stale_row_change_to_the_same_field_is_a_conflict(
    author, other_device, url: str, body: dict[str, Any], field_a: Any, field_b: Any
) -> None:
    c = author.client
    plan = await create_plan(c)
    row = await add_row(c, plan["id"], url, **body)
    row_url = f"{plan_url(plan['id'])}/{url}/{row['id']}"
    name, theirs, mine = field_a
    first = await other_device.patch(row_url, json={name: theirs}, headers=if_match(1))
    assert first.status_code == 200, first.text
    before = await snapshot(c, plan["id"])

    response = await c.patch(
        row_url, json={name: mine, field_b[0]: field_b[1]}, headers=if_match(1)
    )
    problem = assert_problem(response, 409, "nothing was saved")
    assert problem["version"] == 2
    assert response.headers["ETag"] == etag(2)
    assert problem["conflicting_fields"] == [name]
    assert problem["current"][name] == theirs
    assert problem["yours"][name] == mine
    assert problem["yours"][field_b[0]] == field_b[1]
    assert await snapshot(c, plan["id"]) == before


@pytest.mark.parametrize(("url", "body", "field_a", "field_b"), ROW_CASES, ids=ROW_IDS)
async def test_deleting_a_row_needs_the_current_version_and_keeps_its_history(
    author, url: str, body: dict[str, Any], field_a: Any, field_b: Any
) -> None:
    c = author.client
    plan = await create_plan(c)
    row = await add_row(c, plan["id"], url, **body)
    list_url = f"{plan_url(plan['id'])}/{url}"
    row_url = f"{list_url}/{row['id']}"
    changed = (await c.patch(row_url, json={field_a[0]: field_a[1]}, headers=if_match(1))).json()
    before = await snapshot(c, plan["id"])

    stale = assert_problem(await c.delete(row_url, headers=if_match(1)), 409, "nothing was saved")
    assert stale["version"] == 2
    assert await snapshot(c, plan["id"]) == before

    history_before = (await c.get(f"{row_url}/revisions")).json()
    deleted = await c.delete(row_url, headers=if_match(2))
    assert deleted.status_code == 204
    assert_problem(await c.get(row_url), 404)
    assert_problem(await c.patch(row_url, json={field_b[0]: field_b[1]}, headers=if_match(3)), 404)
    assert_problem(await c.delete(row_url, headers=if_match(3)), 404)
    assert (await c.get(list_url)).json() == []

    history = (await c.get(f"{row_url}/revisions")).json()
    assert [r["version"] for r in history] == [3, 2, 1]
    assert history[0]["deleted"] is True
    assert history[0]["content"][field_a[0]] == changed[field_a[0]]
    assert history[1:] == history_before
