"""A section form saved by a page script: the same form post, answered in JSON.

Autosave and edits queued offline send the form as the browser would, with the header
`X-Portal-Save: json`, and read back the new version, a conflict (names only, never the other
person's words) or the form's errors. Each test starts its own plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Persona, csrf_token, make_persona
from tests.pages.test_pages import hidden, open_form, read_section, start_plan

JSON_SAVE = {"X-Portal-Save": "json"}


@pytest.fixture
async def planner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "planner")
    yield persona
    await persona.client.aclose()


async def autosave(
    persona: Persona, plan_id: str, key: str, data: dict[str, Any], version: int
) -> httpx.Response:
    """The form's fields as a page script sends them: the token read from the page, in the body."""
    form = await open_form(persona, plan_id, key)
    fields = {"_csrf_token": hidden(form, "_csrf_token"), "version": str(version)}
    return await persona.client.post(
        f"/plans/{plan_id}/sections/{key}", data={**fields, **data}, headers=JSON_SAVE
    )


async def save_blind(
    persona: Persona, plan_id: str, key: str, data: dict[str, Any], version: int = 0
) -> httpx.Response:
    """A save by someone who cannot open the form: their session's token, in the body."""
    token = await csrf_token(persona.client)
    return await persona.client.post(
        f"/plans/{plan_id}/sections/{key}",
        data={"_csrf_token": token, "version": str(version), **data},
        headers=JSON_SAVE,
    )


async def share(owner: Persona, plan_id: str, grantee: Persona, access: str = "edit") -> str:
    response = await owner.client.post(
        f"/api/v1/plans/{plan_id}/grants",
        json={
            "grantee_email": grantee.email,
            "sections": ["starting_point"],
            "access": access,
            "purpose": "Helping me write my plan",
        },
    )
    assert response.status_code == 201, response.text
    grant_id: str = response.json()["id"]
    return grant_id


async def api_write(persona: Persona, plan_id: str, content: dict[str, Any], version: int) -> None:
    response = await persona.client.put(
        f"/api/v1/plans/{plan_id}/sections/starting_point",
        json=content,
        headers={"If-Match": f'"{version}"'},
    )
    assert response.status_code == 200, response.text


def json_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: dict[str, Any] = response.json()
    return body


# --- saved ------------------------------------------------------------------------------


async def test_a_json_save_answers_the_new_version_and_stores_the_content(owner) -> None:
    plan_id = await start_plan(owner)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)

    body = json_of(
        await autosave(owner, plan_id, "starting_point", {"what_i_enjoy": "Gardening"}, 0), 200
    )

    assert set(body) == {"version", "next", "saved_at"}
    assert body["version"] == 1
    assert body["next"] == f"/plans/{plan_id}?saved=starting_point"
    assert body["saved_at"].endswith("Z")
    saved_at = dt.datetime.fromisoformat(body["saved_at"].replace("Z", "+00:00"))
    assert before <= saved_at <= dt.datetime.now(dt.UTC)
    section = await read_section(owner, plan_id, "starting_point")
    assert section["version"] == 1
    assert section["content"]["what_i_enjoy"] == "Gardening"


async def test_next_is_where_the_plain_form_would_have_gone(owner) -> None:
    plan_id = await start_plan(owner)
    for key, data in (
        ("money", {"allocation": "100", "allocation_frequency": "annual"}),
        ("staying_safe", {"then": "add-risk"}),
    ):
        form = await open_form(owner, plan_id, key)
        fields = {"_csrf_token": hidden(form, "_csrf_token"), **data}
        as_json = json_of(
            await owner.client.post(
                f"/plans/{plan_id}/sections/{key}",
                data={**fields, "version": "0"},
                headers=JSON_SAVE,
            ),
            200,
        )
        # The same form again without the header: today's redirect, from the new version.
        plain = await owner.client.post(
            f"/plans/{plan_id}/sections/{key}",
            data={**fields, "version": str(as_json["version"])},
        )
        assert plain.status_code == 303, plain.text[:500]
        assert plain.headers["location"] == as_json["next"], key


async def test_the_next_autosave_from_the_returned_version_saves_again(owner) -> None:
    plan_id = await start_plan(owner)
    first = json_of(
        await autosave(owner, plan_id, "starting_point", {"what_i_enjoy": "Gard"}, 0), 200
    )
    second = json_of(
        await autosave(
            owner, plan_id, "starting_point", {"what_i_enjoy": "Gardening"}, first["version"]
        ),
        200,
    )
    assert second["version"] == first["version"] + 1
    section = await read_section(owner, plan_id, "starting_point")
    assert section["version"] == second["version"]
    assert section["content"]["what_i_enjoy"] == "Gardening"


async def test_a_stale_save_merges_when_someone_else_changed_another_field(owner, planner) -> None:
    plan_id = await start_plan(owner)
    await share(owner, plan_id, planner)
    await api_write(planner, plan_id, {"what_stops_me": "Buses"}, 0)

    body = json_of(
        await autosave(owner, plan_id, "starting_point", {"what_i_enjoy": "Gardening"}, 0), 200
    )

    assert body["version"] == 2
    content = (await read_section(owner, plan_id, "starting_point"))["content"]
    assert content["what_i_enjoy"] == "Gardening"
    assert content["what_stops_me"] == "Buses"


# --- conflicts and errors ---------------------------------------------------------------


async def test_a_true_conflict_names_the_fields_but_never_shows_their_words(owner, planner) -> None:
    plan_id = await start_plan(owner)
    await share(owner, plan_id, planner)
    await api_write(planner, plan_id, {"what_i_enjoy": "Their secret words"}, 0)

    response = await autosave(
        owner,
        plan_id,
        "starting_point",
        {"what_i_enjoy": "My words", "who_helped_me_plan": "My brother"},
        0,
    )

    body = json_of(response, 409)
    assert body == {"conflict": True, "version": 1, "conflicting_fields": ["what_i_enjoy"]}
    assert "Their secret words" not in response.text
    section = await read_section(owner, plan_id, "starting_point")
    assert section["version"] == 1, "nothing was saved"
    assert section["content"]["what_i_enjoy"] == "Their secret words"
    assert section["content"]["who_helped_me_plan"] == ""


async def test_form_errors_are_answered_by_field_and_nothing_is_saved(owner) -> None:
    plan_id = await start_plan(owner)
    body = json_of(
        await autosave(
            owner,
            plan_id,
            "starting_point",
            {"what_stops_me": "a" * 5001, "what_i_enjoy": "Kept"},
            0,
        ),
        422,
    )
    assert set(body) == {"errors"}
    assert list(body["errors"]) == ["what_stops_me"]
    assert "5,000 characters or fewer" in body["errors"]["what_stops_me"]

    dated = json_of(
        await autosave(
            owner,
            plan_id,
            "review",
            {"review_date[day]": "31", "review_date[month]": "2", "review_date[year]": "2027"},
            0,
        ),
        422,
    )
    assert "must be a real date" in dated["errors"]["review_date"]
    for key in ("starting_point", "review"):
        assert (await read_section(owner, plan_id, key))["version"] == 0, key


async def test_a_field_error_from_the_service_is_a_422_by_the_form_field(
    owner, monkeypatch
) -> None:
    from portal.core.errors import FieldError, Invalid
    from portal.plans import service

    plan_id = await start_plan(owner)

    async def refuse(*args: Any, **kwargs: Any) -> None:
        raise Invalid(
            "Allocation not accepted",
            "Check the indicative allocation: it is too large.",
            errors=[FieldError(field="allocation_pence", message="It is too large")],
        )

    monkeypatch.setattr(service, "write_section", refuse)
    body = json_of(
        await autosave(
            owner, plan_id, "money", {"allocation": "100", "allocation_frequency": "annual"}, 0
        ),
        422,
    )
    assert body == {"errors": {"allocation": "It is too large"}}


# --- refusals ---------------------------------------------------------------------------


async def test_a_grantee_whose_grant_was_revoked_is_refused_and_nothing_is_saved(
    owner, planner
) -> None:
    plan_id = await start_plan(owner)
    grant_id = await share(owner, plan_id, planner)
    revoked = await owner.client.post(
        f"/api/v1/plans/{plan_id}/grants/{grant_id}/revoke", json={"reason": "Done"}
    )
    assert revoked.status_code == 200, revoked.text

    response = await save_blind(planner, plan_id, "starting_point", {"what_i_enjoy": "Late"})

    # As for the page: the plan is "not found" for someone who may no longer know it exists.
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    section = await read_section(owner, plan_id, "starting_point")
    assert section["version"] == 0
    assert section["content"]["what_i_enjoy"] == ""


async def test_a_viewer_is_told_they_cannot_change_it_and_nothing_is_saved(owner, planner) -> None:
    plan_id = await start_plan(owner)
    await share(owner, plan_id, planner, access="view")
    response = await save_blind(planner, plan_id, "starting_point", {"what_i_enjoy": "Mine"})
    assert response.status_code == 403
    assert (await read_section(owner, plan_id, "starting_point"))["version"] == 0


async def test_a_section_or_plan_that_does_not_exist_is_404(owner) -> None:
    plan_id = await start_plan(owner)
    assert (await save_blind(owner, plan_id, "not_a_section", {})).status_code == 404
    other = "00000000-0000-4000-8000-000000000000"
    assert (await save_blind(owner, other, "starting_point", {})).status_code == 404


async def test_someone_signed_out_is_sent_to_sign_in_and_nothing_is_saved(client, owner) -> None:
    plan_id = await start_plan(owner)
    response = await client.post(
        f"/plans/{plan_id}/sections/starting_point",
        data={"version": "0", "what_i_enjoy": "Anonymous"},
        headers=JSON_SAVE,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert (await read_section(owner, plan_id, "starting_point"))["version"] == 0


async def test_a_save_without_the_csrf_token_is_refused(app, owner) -> None:  # type: ignore[no-untyped-def]
    plan_id = await start_plan(owner)
    # The owner's cookies, but a client that adds no token of its own.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies=owner.client.cookies,
    ) as bare:
        response = await bare.post(
            f"/plans/{plan_id}/sections/starting_point",
            data={"version": "0", "what_i_enjoy": "Forged"},
            headers=JSON_SAVE,
        )
    assert response.status_code == 403
    assert (await read_section(owner, plan_id, "starting_point"))["version"] == 0


# --- a kept edit for a section that changed shape -----------------------------------------


async def test_a_kept_edit_of_risks_after_someone_restructured_them_loses_nothing(
    owner, planner
) -> None:
    """Offline, the person added a risk to a list of one, on the form as it was (two risk
    boxes, and a field an older form had). Meanwhile the planner rewrote the list as two other
    risks. The kept edit, sent later, is not merged silently over theirs: it is a conflict on
    the risks, and the person's words are all still in the draft the choose screen offers."""
    plan_id = await start_plan(owner)
    shared = await owner.client.post(
        f"/api/v1/plans/{plan_id}/grants",
        json={
            "grantee_email": planner.email,
            "sections": ["staying_safe"],
            "access": "edit",
            "purpose": "Helping me write my plan",
        },
    )
    assert shared.status_code == 201, shared.text
    first = {"risk": "I fall at night", "mitigation": "A night light", "who_helps": "Me"}
    written = await owner.client.put(
        f"/api/v1/plans/{plan_id}/sections/staying_safe",
        json={"risks": [first]},
        headers={"If-Match": '"0"'},
    )
    assert written.status_code == 200, written.text
    kept = {
        "risks-count": "2",
        "risks-0-risk": "I fall at night",
        "risks-0-mitigation": "A night light and a rail",
        "risks-0-who_helps": "Me",
        "risks-1-risk": "I forget my tablets",
        "risks-1-mitigation": "A dosette box",
        "risks-1-who_helps": "My daughter",
        "an_old_field": "from an older form",
    }
    restructured = await planner.client.put(
        f"/api/v1/plans/{plan_id}/sections/staying_safe",
        json={
            "risks": [
                {"risk": "Stairs", "mitigation": "Stair lift", "who_helps": "Council"},
                {"risk": "Cooking", "mitigation": "Microwave meals", "who_helps": "Me"},
            ]
        },
        headers={"If-Match": '"1"'},
    )
    assert restructured.status_code == 200, restructured.text

    answer = await autosave(owner, plan_id, "staying_safe", kept, 1)
    body = json_of(answer, 409)
    assert body["conflicting_fields"] == ["risks"]
    section = await read_section(owner, plan_id, "staying_safe")
    assert [r["risk"] for r in section["content"]["risks"]] == ["Stairs", "Cooking"]

    # Handed to the form's own pages (a plain post, as the page script does), the choose
    # screen holds every word of the kept edit.
    form = await open_form(owner, plan_id, "staying_safe")
    page = await owner.client.post(
        f"/plans/{plan_id}/sections/staying_safe",
        data={"_csrf_token": hidden(form, "_csrf_token"), "version": "1", **kept},
    )
    assert page.status_code == 409, page.text[:500]
    for words in (
        "A night light and a rail",
        "I forget my tablets",
        "A dosette box",
        "My daughter",
    ):
        assert words in page.text
