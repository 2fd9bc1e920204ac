"""Reading my messages and marking them read, through the API and the pages."""

from __future__ import annotations

import html
import re
import uuid

import httpx

from tests.api.helpers import assert_problem
from tests.notifications.conftest import World, tell


def page_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text))).strip()


def item_html(page: str, notification_id: str) -> str:
    found = re.search(rf'<li id="notification-{notification_id}".*?</li>', page, flags=re.S)
    assert found, f"notification {notification_id} is not on the page"
    return found.group(0)


async def test_the_api_lists_mine_newest_first_and_marks_them_read(world: World) -> None:
    owner = world["owner"].client
    await tell(world.plan_id, "submit", world.user_ids["carer"])
    await tell(world.plan_id, "return", world.user_ids["authoriser"])

    listed = await owner.get("/api/v1/notifications")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["unread"] == 2
    assert [item["kind"] for item in body["items"]] == ["return", "submit"]
    newest, oldest = body["items"]
    assert newest["created_at"] >= oldest["created_at"]
    assert set(newest) == {"id", "kind", "message", "link", "plan_id", "created_at", "read_at"}

    read = await owner.post(f"/api/v1/notifications/{oldest['id']}/read")
    assert read.status_code == 200, read.text
    assert read.json()["id"] == oldest["id"] and read.json()["read_at"] is not None
    again = await owner.post(f"/api/v1/notifications/{oldest['id']}/read")
    assert again.status_code == 200
    assert again.json()["read_at"] == read.json()["read_at"], "the first reading is kept"

    after = (await owner.get("/api/v1/notifications")).json()
    assert after["unread"] == 1
    assert [(i["kind"], i["read_at"] is None) for i in after["items"]] == [
        ("return", True),
        ("submit", False),
    ]
    limited = (await owner.get("/api/v1/notifications", params={"limit": 1})).json()
    assert [i["kind"] for i in limited["items"]] == ["return"] and limited["unread"] == 1
    limit_zero = await owner.get("/api/v1/notifications", params={"limit": 0})
    assert_problem(limit_zero, 422, "limit", "from 1 to 200")
    # The carer's own copy of the same news is theirs to read, separately.
    (carers,) = (await world["carer"].client.get("/api/v1/notifications")).json()["items"]
    assert carers["kind"] == "return" and carers["read_at"] is None
    assert carers["id"] not in {oldest["id"], newest["id"]}


async def test_someone_elses_notification_is_not_found(world: World, client) -> None:  # type: ignore[no-untyped-def]
    await tell(world.plan_id, "authorise_plan", None)
    (owners,) = (await world["owner"].client.get("/api/v1/notifications")).json()["items"]

    for label in ("carer", "stranger"):
        refused = await world[label].client.post(f"/api/v1/notifications/{owners['id']}/read")
        assert_problem(refused, 404, "no notification here")
        page = await world[label].client.post(f"/notifications/{owners['id']}/read")
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert_problem(
        await world["owner"].client.post(f"/api/v1/notifications/{uuid.uuid4()}/read"), 404
    )
    # Still unread for the owner: nobody else's attempt counted.
    assert (await world["owner"].client.get("/api/v1/notifications")).json()["unread"] == 1

    assert_problem(await client.get("/api/v1/notifications"), 401)
    assert_problem(await client.post(f"/api/v1/notifications/{owners['id']}/read"), 401)
    signed_out = await client.get("/notifications")
    assert signed_out.status_code in (302, 303)
    assert signed_out.headers["location"].startswith("/sign-in")


async def test_the_messages_page_lists_them_and_a_form_marks_one_read(world: World) -> None:
    owner = world["owner"].client
    empty = page_text(await owner.get("/notifications"))
    assert "You have no messages." in empty

    await tell(world.plan_id, "submit", world.user_ids["carer"])
    await tell(world.plan_id, "authorise_budget", world.user_ids["authoriser"])
    listed = (await owner.get("/api/v1/notifications")).json()["items"]
    newer, older = (item["id"] for item in listed)
    response = await owner.get("/notifications")
    text = page_text(response)
    assert "You have 2 unread messages." in text
    assert text.index("Your plan was submitted for sign-off.") > text.index(
        "The budget for your plan was authorised."
    ), "newest first"
    page = response.text
    for notification_id in (older, newer):
        item = item_html(page, notification_id)
        assert f'href="/plans/{world.plan_id}/sign-off"' in item
        assert "Unread" in item and 'data-read="no"' in item
        assert f'action="/notifications/{notification_id}/read"' in item

    form = item_html(page, older)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form)
    assert token, "the form carries its CSRF field"
    done = await owner.post(f"/notifications/{older}/read", data={"_csrf_token": token.group(1)})
    assert done.status_code == 303
    assert done.headers["location"] == f"/notifications#notification-{older}"

    after = await owner.get("/notifications")
    assert "You have 1 unread message." in page_text(after)
    read_item = item_html(after.text, older)
    assert 'data-read="yes"' in read_item and "Unread" not in read_item
    assert "/read" not in read_item, "no form to mark it read again"
    assert 'data-read="no"' in item_html(after.text, newer)


async def test_the_header_links_to_messages_for_anyone_signed_in(world: World, client) -> None:  # type: ignore[no-untyped-def]
    page = (await world["stranger"].client.get("/plans")).text
    nav = re.search(r'<nav class="nhsuk-header__navigation.*?</nav>', page, flags=re.S)
    assert nav and 'href="/notifications"' in nav.group(0) and "Messages" in nav.group(0)
    on_messages = (await world["stranger"].client.get("/notifications")).text
    assert on_messages.count('href="/notifications"') == 1, "listed once, as where you are"
    assert 'aria-current="page"' in on_messages
    signed_out = (await client.get("/sign-in")).text
    assert 'href="/notifications"' not in signed_out
