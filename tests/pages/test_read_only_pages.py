"""Read-only means read-only on the page: someone who may only read a section (a `view`
grantee, a representative with only the power to view, staff who may comment but not change)
gets the text, not a form, no Change, Remove or Add links, and a page their phone does not
keep; what they post to the forms anyway is refused and changes nothing. The person and
someone granted `edit` get the forms as before.

One complete plan, submitted to a council, serves the whole module: nothing here changes it.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.helpers import change_section, snapshot
from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation, write_complete_plan
from tests.signoff.test_sign_off import submit

WHO_I_AM = "I am Maggie, and I read my plan on my phone."
LIST_PAGES = ("outcomes", "money", "actions", "contacts")


@dataclass
class World:
    plan_id: str
    people: dict[str, Persona]
    outcome: dict[str, Any]
    support: dict[str, Any]
    action: dict[str, Any]
    contact: dict[str, Any]


@pytest.fixture(scope="module")
async def world(app) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    council = await make_organisation(kind="council")
    names = ["owner", "viewer", "editor", "speaker", "coordinator"]
    people = {name: await make_persona(app, name) for name in names}
    await give_role(people["coordinator"], council, "coordinator")
    owner = people["owner"].client
    plan_id = await write_complete_plan(owner)
    # A second version of "About me", so that its history has one to restore.
    await change_section(owner, plan_id, "about_me", who_i_am=WHO_I_AM)
    base = f"/api/v1/plans/{plan_id}"
    for who, access in (("viewer", "view"), ("editor", "edit")):
        given = await owner.post(
            f"{base}/grants",
            json={
                "grantee_email": people[who].email,
                "sections": ["about_me", "outcomes", "money", "action_plan", "contacts"],
                "access": access,
                "purpose": "To read my plan" if access == "view" else "To write it with me",
            },
        )
        assert given.status_code == 201, given.text
    recorded = await owner.post(
        f"{base}/representatives",
        json={
            "email": people["speaker"].email,
            "authority": "consent",
            "sections": ["about_me"],
            "powers": ["view"],
        },
    )
    assert recorded.status_code == 201, recorded.text
    await submit(people["owner"], plan_id, council)
    plan = (await owner.get(base)).json()
    yield World(
        plan_id,
        people,
        plan["outcomes"][0],
        plan["support_items"][0],
        plan["actions"][0],
        plan["contacts"][0],
    )
    for persona in people.values():
        await persona.client.aclose()


# --- helpers --------------------------------------------------------------------------------


def main_of(response: httpx.Response) -> str:
    """The page's <main>, entities undone: what is on the page besides the header and footer
    (whose sign-out button is a form for everyone)."""
    assert response.status_code == 200, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    found = re.search(r"<main[^>]*>(.*)</main>", response.text, re.S)
    assert found, "no <main> on the page"
    return html.unescape(found.group(1))


def words(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def assert_read_only(main: str) -> None:
    """Nothing on the page to type into or to press to change the plan."""
    for tag in ("<form", "<input", "<textarea", "<select", "<button"):
        assert tag not in main, f"{tag} on a read-only page"
    assert not re.search(r"<a [^>]*>\s*(Change|Remove|Add)\b", main), "a change link"
    assert "/remove" not in main


def csrf_token(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF field in the page"
    return match.group(1)


def url(world: World, *parts: str) -> str:
    return "/".join([f"/plans/{world.plan_id}", *parts]).rstrip("/")


# --- someone who may only read --------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "speaker"])
async def test_a_reader_gets_the_section_as_text_not_a_form(world: World, who: str) -> None:
    response = await world.people[who].client.get(url(world, "sections", "about_me"))
    main = main_of(response)
    assert_read_only(main)
    text = words(main)
    assert "Who I am" in text and WHO_I_AM in text
    assert "Save" not in text
    # Not kept on their phone for reading offline.
    assert response.headers["x-portal-keep"] == "no"
    # No warning about what saving would do: they cannot save.
    assert 'id="change-warning"' not in main


async def test_a_viewer_reads_every_list_page_without_forms_or_change_links(
    world: World,
) -> None:
    viewer = world.people["viewer"].client
    shown = {
        "outcomes": world.outcome["title"],
        "money": world.support["description"],
        "actions": world.action["what"].splitlines()[0],
        "contacts": world.contact["name"],
    }
    for part in LIST_PAGES:
        response = await viewer.get(url(world, part))
        main = main_of(response)
        assert_read_only(main)
        assert shown[part] in words(main), part
        assert response.headers["x-portal-keep"] == "no"


@pytest.mark.parametrize(
    ("part", "row", "label"),
    [
        ("outcomes", "outcome", "title"),
        ("money/items", "support", "description"),
        ("actions", "action", "who"),
        ("contacts", "contact", "name"),
    ],
)
async def test_a_viewer_reads_an_item_and_is_not_asked_to_remove_it(
    world: World, part: str, row: str, label: str
) -> None:
    viewer = world.people["viewer"].client
    item = getattr(world, row)
    response = await viewer.get(url(world, part, item["id"]))
    main = main_of(response)
    assert_read_only(main)
    assert item[label] in words(main)
    refused = await viewer.get(url(world, part, item["id"], "remove"))
    assert refused.status_code == 403
    assert "but not change it" in html.unescape(refused.text)


async def test_what_a_viewer_posts_to_the_forms_is_refused_and_changes_nothing(
    world: World,
) -> None:
    viewer = world.people["viewer"].client
    owner = world.people["owner"].client
    before = await snapshot(owner, world.plan_id)
    page = await viewer.get(url(world, "sections", "about_me"))
    token = csrf_token(page.text)
    posts: list[tuple[str, dict[str, str]]] = [
        (url(world, "sections", "about_me"), {"version": "2", "who_i_am": "Changed by a viewer"}),
        (url(world, "sections", "about_me", "resolve"), {"version": "2"}),
        (url(world, "sections", "about_me", "history", "1", "restore"), {"based_on": "2"}),
        (url(world, "outcomes"), {"title": "Added by a viewer"}),
        (url(world, "outcomes", world.outcome["id"]), {"version": "1", "title": "Changed"}),
        (url(world, "outcomes", world.outcome["id"], "remove"), {"version": "1"}),
        (url(world, "money"), {"description": "Added", "cost": "10", "frequency": "weekly"}),
        (url(world, "money/items", world.support["id"], "remove"), {"version": "1"}),
        (url(world, "actions", world.action["id"]), {"version": "1", "what": "Changed"}),
        (url(world, "contacts", world.contact["id"], "remove"), {"version": "1"}),
    ]
    for action, data in posts:
        response = await viewer.post(action, data={**data, "_csrf_token": token})
        assert response.status_code == 403, (action, response.status_code)
    # A section not shared with them is not there at all.
    hidden = await viewer.post(
        url(world, "sections", "starting_point"), data={"version": "1", "_csrf_token": token}
    )
    assert hidden.status_code == 404
    assert await snapshot(owner, world.plan_id) == before


async def test_a_viewer_sees_the_history_without_restore_buttons(world: World) -> None:
    viewer = world.people["viewer"].client
    main = main_of(await viewer.get(url(world, "sections", "about_me", "history")))
    assert "Version 2" in words(main) and "Version 1" in words(main)
    assert "<form" not in main and "Restore" not in main
    owner = world.people["owner"].client
    mine = main_of(await owner.get(url(world, "sections", "about_me", "history")))
    assert "Restore this version" in words(mine)


# --- staff who may comment but not change -----------------------------------------------------


async def test_staff_who_may_not_change_the_plan_see_no_change_links(world: World) -> None:
    staff = world.people["coordinator"].client
    overview = main_of(await staff.get(url(world)))
    assert "See the money" in words(overview)
    assert "See and change" not in words(overview)
    # Sign-off sees the nine criteria: "Who to contact" is not among them.
    for part in ("outcomes", "money", "actions"):
        response = await staff.get(url(world, part))
        main = main_of(response)
        assert_read_only(main)
    assert (await staff.get(url(world, "contacts"))).status_code == 404
    section = await staff.get(url(world, "sections", "about_me"))
    main = main_of(section)
    assert WHO_I_AM in words(main)
    # The one form is for a comment: nothing of the section itself to type into.
    forms = re.findall(r'<form method="post" action="([^"]+)"', main)
    assert forms == [url(world, "sections", "about_me", "comments")]
    assert 'name="who_i_am"' not in main
    assert section.headers["x-portal-keep"] == "no"


# --- the person and those who may edit ------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "editor"])
async def test_the_person_and_an_editor_get_the_forms_and_change_links(
    world: World, who: str
) -> None:
    client = world.people[who].client
    section = await client.get(url(world, "sections", "about_me"))
    main = main_of(section)
    assert f'<form method="post" action="{url(world, "sections", "about_me")}"' in main
    assert 'name="who_i_am"' in main
    assert "x-portal-keep" not in section.headers
    outcomes = await client.get(url(world, "outcomes"))
    main = main_of(outcomes)
    assert f'href="{url(world, "outcomes", world.outcome["id"])}"' in main
    assert re.search(r"<a [^>]*>Change<span", main)
    assert f'<form method="post" action="{url(world, "outcomes")}"' in main
    assert "x-portal-keep" not in outcomes.headers
    money = main_of(await client.get(url(world, "money")))
    assert "Change the allocation and how the money is held" in words(money)
    item = main_of(await client.get(url(world, "outcomes", world.outcome["id"])))
    assert "<form" in item and "Remove this outcome" in words(item)
    overview = main_of(await client.get(url(world)))
    assert "See and change the money" in words(overview)


async def test_a_viewer_of_another_plan_learns_nothing(world: World) -> None:
    viewer = world.people["viewer"].client
    unknown = await viewer.get(f"/plans/{uuid.uuid4()}/sections/about_me")
    assert unknown.status_code == 404
