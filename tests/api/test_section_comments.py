"""Comments on a section, through the API and the pages.

`comment` access is a real way to take part: someone granted it (or `edit`), the person, a
representative who may edit, and staff of the signing-off organisation comment on the sections
they hold; everyone who may read the section reads the comments, on its page and in its
history; each comment is in the person's access log, and the person is told (ids only).
Someone who may only read is refused (403, logged); a section they cannot see is not there
(404); bad text is refused (422) and nothing is kept.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_plan, plan_url
from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation, write_complete_plan
from tests.signoff.test_sign_off import submit

NAMES = ["person", "commenter", "viewer", "editor", "speaker", "listener", "coordinator"]


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    made = {name: await make_persona(app, name) for name in NAMES}
    await give_role(made["coordinator"], council, "coordinator")
    yield made
    for persona in made.values():
        await persona.client.aclose()


async def shared_plan(people: dict[str, Persona]) -> str:
    """A plan of the person's with "About me" shared three ways, and two representatives."""
    owner = people["person"].client
    plan_id = str((await create_plan(owner))["id"])
    for who, access in (("commenter", "comment"), ("viewer", "view"), ("editor", "edit")):
        given = await owner.post(
            f"{plan_url(plan_id)}/grants",
            json={
                "grantee_email": people[who].email,
                "sections": ["about_me"],
                "access": access,
                "purpose": "To help with my plan",
            },
        )
        assert given.status_code == 201, given.text
    for who, powers in (("speaker", ["view", "edit"]), ("listener", ["view"])):
        recorded = await owner.post(
            f"{plan_url(plan_id)}/representatives",
            json={
                "email": people[who].email,
                "authority": "consent",
                "sections": ["about_me"],
                "powers": powers,
            },
        )
        # A representative speaks for the person, on all their plans: recorded once a module.
        assert recorded.status_code in (201, 409), recorded.text
    return plan_id


def comments_url(plan_id: str, key: str = "about_me") -> str:
    return f"{plan_url(plan_id)}/sections/{key}/comments"


async def comments(who: Persona, plan_id: str, key: str = "about_me") -> list[dict[str, Any]]:
    response = await who.client.get(comments_url(plan_id, key))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def access_log(people: dict[str, Persona], plan_id: str) -> list[dict[str, Any]]:
    response = await people["person"].client.get(f"{plan_url(plan_id)}/access-log")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def words(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split())


def csrf_token(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF field in the page"
    return match.group(1)


# --- the API ------------------------------------------------------------------------------


async def test_a_grantee_with_comment_access_comments_and_everyone_who_reads_it_sees_it(
    people: dict[str, Persona],
) -> None:
    plan_id = await shared_plan(people)
    made = await people["commenter"].client.post(
        comments_url(plan_id), json={"comment": "  Could we add that you love gardening?\n"}
    )
    assert made.status_code == 201, made.text
    comment = made.json()
    assert comment["comment"] == "Could we add that you love gardening?"
    assert comment["section"] == "about_me" and comment["section_title"] == "About me"
    assert comment["by"] == "Commenter" and comment["role"] == "co-author"
    for who in ("person", "commenter", "viewer", "editor", "speaker", "listener"):
        seen = await comments(people[who], plan_id)
        assert [c["comment"] for c in seen] == [comment["comment"]], who
    # The person, a representative who may edit and an editor comment too, in order.
    for who, role in (("person", "person"), ("speaker", "representative"), ("editor", "co-author")):
        response = await people[who].client.post(
            comments_url(plan_id), json={"comment": f"A word from the {who}"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["role"] == role
    seen = await comments(people["viewer"], plan_id)
    assert [c["by"] for c in seen] == ["Commenter", "Person", "Speaker", "Editor"]
    # Sign-off's own comments are a different list.
    sign_off = await people["person"].client.get(f"{plan_url(plan_id)}/comments")
    assert sign_off.status_code == 200 and sign_off.json() == []


async def test_each_comment_is_in_the_access_log_and_the_person_is_told_without_its_words(
    people: dict[str, Persona],
) -> None:
    plan_id = await shared_plan(people)
    secret = f"My private thought {uuid.uuid4().hex[:6]}"
    made = await people["commenter"].client.post(comments_url(plan_id), json={"comment": secret})
    assert made.status_code == 201, made.text
    log = await access_log(people, plan_id)
    commented = [row for row in log if row["who"] == "Commenter" and row["event"] == "comment"]
    assert len(commented) == 1, log
    assert commented[0]["description"] == "Commented on"
    assert commented[0]["sections"] == ["about_me"]
    told = (await people["person"].client.get("/api/v1/notifications")).json()["items"]
    mine = [n for n in told if n["kind"] == "section_comment" and n["plan_id"] == plan_id]
    assert len(mine) == 1, told
    assert secret not in str(mine) and "Commenter" not in mine[0]["message"]
    assert mine[0]["link"] == f"/plans/{plan_id}/sections/about_me#comments"
    # The one who commented is not told of their own comment; helpers are not told at all.
    theirs = (await people["commenter"].client.get("/api/v1/notifications")).json()["items"]
    assert not [n for n in theirs if n["kind"] == "section_comment"]


@pytest.mark.parametrize("who", ["viewer", "listener"])
async def test_someone_who_may_only_read_cannot_comment(
    people: dict[str, Persona], who: str
) -> None:
    plan_id = await shared_plan(people)
    refused = await people[who].client.post(comments_url(plan_id), json={"comment": "Hello"})
    assert_problem(refused, 403, "read this section but not comment")
    assert await comments(people["person"], plan_id) == []
    log = await access_log(people, plan_id)
    assert [r for r in log if r["event"] == "comment_refused" and r["sections"] == ["about_me"]]
    # Even a comment that would be refused for its words is refused for who sends it first.
    too_long = await people[who].client.post(comments_url(plan_id), json={"comment": "x" * 5000})
    assert too_long.status_code == 403


async def test_a_section_the_actor_cannot_see_is_not_there(people: dict[str, Persona]) -> None:
    plan_id = await shared_plan(people)
    commenter = people["commenter"].client
    for method in ("GET", "POST"):
        response = await commenter.request(
            method, comments_url(plan_id, "starting_point"), json={"comment": "Hello"}
        )
        assert_problem(response, 404)
    stranger = people["coordinator"].client  # staff of a council the plan was not sent to
    for method in ("GET", "POST"):
        response = await stranger.request(method, comments_url(plan_id), json={"comment": "Hi"})
        assert_problem(response, 404)
    unknown = await commenter.get(comments_url(str(uuid.uuid4())))
    assert_problem(unknown, 404)
    no_such = await commenter.get(comments_url(plan_id, "no_such_section"))
    assert_problem(no_such, 404)
    assert await comments(people["person"], plan_id) == []


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ({"comment": ""}, "write your comment"),
        ({"comment": "   \n  "}, "write your comment"),
        ({"comment": "x" * 4001}, "4,000 characters or fewer"),
        ({"comment": "Ring me\x07 now"}, "control character"),
        ({"comment": "Reads \u202ebackwards"}, "control character"),
        ({"comment": "Fine", "extra": 1}, "extra"),
        ({"comment": 12}, "comment"),
        ({}, "comment"),
    ],
)
async def test_bad_comments_are_refused_and_nothing_is_kept(
    people: dict[str, Persona], body: dict[str, Any], phrase: str
) -> None:
    plan_id = await shared_plan(people)
    response = await people["commenter"].client.post(comments_url(plan_id), json=body)
    assert_problem(response, 422, phrase)
    assert await comments(people["person"], plan_id) == []


async def test_line_breaks_and_the_longest_comment_are_kept(people: dict[str, Persona]) -> None:
    plan_id = await shared_plan(people)
    text = "First line\n\tSecond line\r\nThird: é, ü, 😀 " + "y" * 3960
    assert len(text) <= 4000
    made = await people["commenter"].client.post(comments_url(plan_id), json={"comment": text})
    assert made.status_code == 201, made.text
    assert (await comments(people["person"], plan_id))[0]["comment"] == text.strip()


async def test_a_comment_without_the_csrf_token_is_refused(app, people: dict[str, Persona]) -> None:  # type: ignore[no-untyped-def]
    plan_id = await shared_plan(people)
    forged = await people["commenter"].client.post(
        comments_url(plan_id), json={"comment": "Hello"}, headers={"X-CSRF-Token": "forged"}
    )
    assert forged.status_code == 403
    assert await comments(people["person"], plan_id) == []


async def test_staff_of_the_signing_off_organisation_comment_on_a_submitted_plan(
    people: dict[str, Persona], council: uuid.UUID
) -> None:
    owner = people["person"]
    plan_id = await write_complete_plan(owner.client)
    before = await people["coordinator"].client.post(
        comments_url(plan_id), json={"comment": "Too early"}
    )
    assert_problem(before, 404)
    await submit(owner, plan_id, council)
    made = await people["coordinator"].client.post(
        comments_url(plan_id, "money"), json={"comment": "Please say how the money is held."}
    )
    assert made.status_code == 201, made.text
    assert made.json()["role"] == "coordinator"
    seen = await comments(owner, plan_id, "money")
    assert [c["comment"] for c in seen] == ["Please say how the money is held."]
    # "Who to contact" is not a sign-off section: staff do not see it.
    hidden = await people["coordinator"].client.post(
        comments_url(plan_id, "contacts"), json={"comment": "Hi"}
    )
    assert_problem(hidden, 404)


# --- the pages ----------------------------------------------------------------------------


async def test_comment_on_the_section_page_and_find_it_in_the_history(
    people: dict[str, Persona],
) -> None:
    plan_id = await shared_plan(people)
    page_url = f"/plans/{plan_id}/sections/about_me"
    commenter = people["commenter"].client
    page = await commenter.get(page_url)
    assert page.status_code == 200
    # Someone with comment access gets a comment form and no form to change the section.
    forms = re.findall(r'<form method="post" action="([^"]+)"', page.text)
    assert forms == [f"{page_url}/comments"]
    assert 'name="who_i_am"' not in page.text
    # Nothing written: told what to do, on the page, and nothing kept.
    empty = await commenter.post(
        f"{page_url}/comments", data={"comment": "  ", "_csrf_token": csrf_token(page.text)}
    )
    assert empty.status_code == 400
    assert "There is a problem" in empty.text and 'href="#comment"' in empty.text
    assert "Write your comment" in words(empty.text)
    sent = await commenter.post(
        f"{page_url}/comments",
        data={"comment": "Maybe mention the choir?", "_csrf_token": csrf_token(page.text)},
    )
    assert sent.status_code == 303, sent.text[:2000]
    assert sent.headers["location"] == f"{page_url}?commented=1#comments"
    after = await commenter.get(f"{page_url}?commented=1")
    assert "Comment added" in words(after.text)
    assert "Maybe mention the choir?" in words(after.text)
    # The person reads it on the section page and in its history.
    mine = await people["person"].client.get(page_url)
    text = words(mine.text)
    assert "Maybe mention the choir?" in text and "Commenter (helps with the plan)" in text
    history = await people["person"].client.get(f"{page_url}/history")
    assert history.status_code == 200
    assert "Maybe mention the choir?" in words(history.text)
    # A viewer reads the comments but has no form to add one.
    viewer = await people["viewer"].client.get(page_url)
    assert "Maybe mention the choir?" in words(viewer.text)
    assert f'action="{page_url}/comments"' not in viewer.text
    refused = await people["viewer"].client.post(
        f"{page_url}/comments",
        data={"comment": "Let me in", "_csrf_token": csrf_token(viewer.text)},
    )
    assert refused.status_code == 403
    assert len(await comments(people["person"], plan_id)) == 1


async def test_the_access_log_page_names_the_comment(people: dict[str, Persona]) -> None:
    plan_id = await shared_plan(people)
    made = await people["commenter"].client.post(comments_url(plan_id), json={"comment": "Hi"})
    assert made.status_code == 201
    page = await people["person"].client.get(f"/plans/{plan_id}/access-log")
    assert page.status_code == 200
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page.text, re.S)
    assert any("Commenter" in r and "Commented on" in r and "About me" in r for r in rows)


async def test_comments_follow_revocation_at_once(people: dict[str, Persona]) -> None:
    plan_id = await shared_plan(people)
    grants = (await people["person"].client.get(f"{plan_url(plan_id)}/grants")).json()
    grant = next(g for g in grants if g["access"] == "comment")
    revoked = await people["person"].client.post(
        f"{plan_url(plan_id)}/grants/{grant['id']}/revoke", json={"reason": "No longer"}
    )
    assert revoked.status_code == 200, revoked.text
    response = await people["commenter"].client.post(
        comments_url(plan_id), json={"comment": "Still here?"}
    )
    assert_problem(response, 404)
