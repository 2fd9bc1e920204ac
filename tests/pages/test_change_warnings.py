"""The person is warned before changing a plan under sign-off or agreed, on every section and
list page, above the form: what saving will do (the submitted version goes out of date, or a
new draft starts while the agreed version stays in use). The form then tells the page's script
to wait for Save (no autosave). And what the warning says is what happens.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.helpers import create_plan
from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation, write_complete_plan
from tests.signoff.test_sign_off import authorise_budget, authorise_plan, status, submit

WARNING = 'id="change-warning"'
HOLD = 'data-autosave="after-save"'
PAGES = (
    "sections/about_me",
    "sections/review",
    "outcomes",
    "money",
    "actions",
    "contacts",
)


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    made = {name: await make_persona(app, name) for name in ("owner", "authoriser", "budget")}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", 10_000_000)
    made["viewer"] = await make_persona(app, "viewer")
    yield made
    for persona in made.values():
        await persona.client.aclose()


def page_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text[:2000]
    return html.unescape(response.text)


def words(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def warning_words(page: str) -> str:
    found = re.search(rf"<div[^>]*{WARNING}[^>]*>(.*?)</div>", page, re.S)
    assert found, "no change warning on the page"
    return words(found.group(1))


def csrf_token(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


async def save_about_me(owner: Persona, plan_id: str, who_i_am: str) -> httpx.Response:
    """Save "About me" from its page, as the person pressing Save does."""
    page_url = f"/plans/{plan_id}/sections/about_me"
    page = page_text(await owner.client.get(page_url))
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    fields = dict(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    return await owner.client.post(
        page_url,
        data={
            **fields,
            "who_i_am": who_i_am,
            "makes_own_decisions": "yes",
            "version": version.group(1),
            "_csrf_token": csrf_token(page),
        },
    )


async def share_with_viewer(people: dict[str, Persona], plan_id: str) -> None:
    given = await people["owner"].client.post(
        f"/api/v1/plans/{plan_id}/grants",
        json={
            "grantee_email": people["viewer"].email,
            "sections": ["about_me", "outcomes"],
            "access": "view",
            "purpose": "To read it",
        },
    )
    assert given.status_code == 201, given.text


async def test_a_draft_has_no_warning_and_autosaves(people: dict[str, Persona]) -> None:
    plan_id = str((await create_plan(people["owner"].client))["id"])
    for part in PAGES:
        page = page_text(await people["owner"].client.get(f"/plans/{plan_id}/{part}"))
        assert WARNING not in page and HOLD not in page, part


async def test_a_submitted_plan_warns_that_saving_makes_the_submitted_version_out_of_date(
    people: dict[str, Persona], council: uuid.UUID
) -> None:
    owner = people["owner"]
    plan_id = await write_complete_plan(owner.client)
    await share_with_viewer(people, plan_id)
    await submit(owner, plan_id, council)
    for part in PAGES:
        page = page_text(await owner.client.get(f"/plans/{plan_id}/{part}"))
        said = warning_words(page)
        assert "Your plan has been submitted for sign-off" in said, part
        assert "out of date" in said and "submitted again" in said
        # Above the form, before anything is typed.
        form = re.search(r'<form method="post" action="/plans/[^"]+/(sections/\w+|\w+)"', page)
        assert form and page.index(WARNING) < form.start(), part
    section = page_text(await owner.client.get(f"/plans/{plan_id}/sections/about_me"))
    assert HOLD in section
    # An item's own page says it too.
    outcome = (await owner.client.get(f"/api/v1/plans/{plan_id}/outcomes")).json()[0]
    item = page_text(await owner.client.get(f"/plans/{plan_id}/outcomes/{outcome['id']}"))
    assert "out of date" in warning_words(item)
    # Someone who may only read is not warned about saving: they have nothing to save.
    viewer = page_text(await people["viewer"].client.get(f"/plans/{plan_id}/sections/about_me"))
    assert WARNING not in viewer

    # What happens is what the warning said: still with staff, but out of date.
    saved = await save_about_me(owner, plan_id, "Changed after submitting")
    assert saved.status_code == 303, saved.text[:2000]
    now = await status(owner, plan_id)
    assert now["state"] == "submitted" and now["changed_since_submitted"] is True
    refused = await people["authoriser"].client.post(
        f"/api/v1/plans/{plan_id}/authorise-plan", json={"version_hash": now["submitted_hash"]}
    )
    assert refused.status_code == 409
    assert "submitted again" in refused.json()["detail"]


async def test_a_plan_waiting_for_its_budget_says_so(
    people: dict[str, Persona], council: uuid.UUID
) -> None:
    owner = people["owner"]
    plan_id = await write_complete_plan(owner.client)
    await submit(owner, plan_id, council)
    await authorise_plan(people["authoriser"], plan_id)
    page = page_text(await owner.client.get(f"/plans/{plan_id}/money"))
    said = warning_words(page)
    assert "waiting for its budget to be agreed" in said and "out of date" in said
    section = page_text(await owner.client.get(f"/plans/{plan_id}/sections/money"))
    assert HOLD in section


async def test_an_agreed_plan_warns_that_saving_starts_a_new_draft(
    people: dict[str, Persona], council: uuid.UUID
) -> None:
    owner = people["owner"]
    plan_id = await write_complete_plan(owner.client)
    await submit(owner, plan_id, council)
    await authorise_plan(people["authoriser"], plan_id)
    agreed = await authorise_budget(people["budget"], plan_id)
    for part in PAGES:
        page = page_text(await owner.client.get(f"/plans/{plan_id}/{part}"))
        said = warning_words(page)
        assert "Your plan has been agreed" in said and "starts a new draft" in said, part
        assert "agreed version stays the plan in use" in said
    section = page_text(await owner.client.get(f"/plans/{plan_id}/sections/about_me"))
    assert HOLD in section

    # Saving on purpose starts the new draft; the agreed version stays.
    saved = await save_about_me(owner, plan_id, "A change to my agreed plan")
    assert saved.status_code == 303, saved.text[:2000]
    now = await status(owner, plan_id)
    assert now["state"] == "draft"
    assert now["agreed_version"] == agreed["agreed_version"]
    # From now on the pages say they change the new draft, and autosave runs again.
    section = page_text(await owner.client.get(f"/plans/{plan_id}/sections/about_me"))
    said = warning_words(section)
    assert "You are changing a new draft of your plan" in said
    assert "agreed version stays the plan in use" in said
    assert HOLD not in section


async def test_someone_helping_is_warned_about_this_plan(
    people: dict[str, Persona], council: uuid.UUID, app: Any
) -> None:
    owner = people["owner"]
    helper = await make_persona(app, "helper")
    try:
        plan_id = await write_complete_plan(owner.client)
        given = await owner.client.post(
            f"/api/v1/plans/{plan_id}/grants",
            json={
                "grantee_email": helper.email,
                "sections": ["about_me"],
                "access": "edit",
                "purpose": "To write it with me",
            },
        )
        assert given.status_code == 201, given.text
        await submit(owner, plan_id, council)
        page = page_text(await helper.client.get(f"/plans/{plan_id}/sections/about_me"))
        said = warning_words(page)
        assert "This plan has been submitted for sign-off" in said
        assert "until this plan is submitted again" in said
        assert HOLD in page
    finally:
        await helper.client.aclose()
