"""Sharing through the API: grants, invitations, representatives, preview and the access log.

Real HTTP to the app, a real database; every persona is a real signed-in account.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.helpers import assert_problem, change_section, create_plan, if_match, plan_url
from tests.conftest import Persona, make_persona


@pytest.fixture(scope="module")
async def owner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "owner")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def planner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "planner")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def gp(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "gp")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def carer(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "carer")
    yield persona
    await persona.client.aclose()


async def share(
    owner: Persona, plan_id: str, grantee: Persona, sections: list[str], access: str = "edit"
) -> dict[str, Any]:
    response = await owner.client.post(
        f"{plan_url(plan_id)}/grants",
        json={
            "grantee_email": grantee.email,
            "sections": sections,
            "access": access,
            "purpose": "To help me write my plan",
        },
    )
    assert response.status_code == 201, response.text
    grant: dict[str, Any] = response.json()
    return grant


async def test_a_co_author_sees_and_edits_exactly_the_granted_sections(owner, planner) -> None:
    plan = await create_plan(owner.client)
    await change_section(owner.client, plan["id"], "starting_point", what_i_enjoy="Swimming")
    grant = await share(owner, plan["id"], planner, ["about_me", "outcomes"])
    assert grant["grantee"] == {
        "kind": "user",
        "id": grant["grantee"]["id"],
        "name": "Planner",
        "email": planner.email,
    }
    assert grant["sections"] == ["about_me", "outcomes"] and grant["status"] == "active"

    seen = await planner.client.get(plan_url(plan["id"]))
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert [s["key"] for s in body["sections"]] == ["about_me", "outcomes"]
    assert [c["key"] for c in body["criteria"]] == ["about_me", "outcomes"]
    assert body["money"] is None and body["support_items"] == [] and body["contacts"] == []
    assert "Swimming" not in seen.text

    saved = await change_section(planner.client, plan["id"], "about_me", who_i_am="Written by B")
    assert saved["updated_by"] == "Planner"
    outcome = await planner.client.post(
        f"{plan_url(plan['id'])}/outcomes", json={"title": "Get out more", "how": "Walks"}
    )
    assert outcome.status_code == 201, outcome.text

    for path in ("sections/starting_point", "sections/money/revisions", "support-items"):
        refused = await planner.client.get(f"{plan_url(plan['id'])}/{path}")
        assert_problem(refused, 404)
    put = await planner.client.put(
        f"{plan_url(plan['id'])}/sections/starting_point",
        json={"what_i_enjoy": "Overwritten"},
        headers=if_match(1),
    )
    assert_problem(put, 404)
    own = await owner.client.get(f"{plan_url(plan['id'])}/sections/starting_point")
    assert own.json()["content"]["what_i_enjoy"] == "Swimming"

    listed = {p["id"]: p for p in (await planner.client.get("/api/v1/plans")).json()}
    assert listed[plan["id"]]["mine"] is False
    assert listed[plan["id"]]["owner_name"] == "Owner"
    assert listed[plan["id"]]["criteria_total"] == 2
    # The person may not manage sharing or read the log through a grant.
    assert_problem(await planner.client.get(f"{plan_url(plan['id'])}/grants"), 403)
    assert_problem(await planner.client.get(f"{plan_url(plan['id'])}/access-log"), 403)


async def test_view_access_reads_but_cannot_change(owner, gp) -> None:
    plan = await create_plan(owner.client)
    await share(owner, plan["id"], gp, ["staying_safe"], access="view")
    section = await gp.client.get(f"{plan_url(plan['id'])}/sections/staying_safe")
    assert section.status_code == 200
    put = await gp.client.put(
        f"{plan_url(plan['id'])}/sections/staying_safe", json={}, headers=if_match(0)
    )
    assert_problem(put, 403, "not change")
    assert (await owner.client.get(f"{plan_url(plan['id'])}/sections/staying_safe")).json()[
        "version"
    ] == 0


async def test_revoking_takes_effect_on_the_next_request_and_keeps_history(owner, gp) -> None:
    plan = await create_plan(owner.client)
    grant = await share(owner, plan["id"], gp, ["about_me"], access="view")
    assert (await gp.client.get(plan_url(plan["id"]))).status_code == 200
    revoked = await owner.client.post(
        f"{plan_url(plan['id'])}/grants/{grant['id']}/revoke", json={"reason": "Moved GP"}
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked" and revoked.json()["version"] == 2
    gone = await gp.client.get(plan_url(plan["id"]))
    assert_problem(gone, 404)
    assert plan["id"] not in {p["id"] for p in (await gp.client.get("/api/v1/plans")).json()}
    history = (
        await owner.client.get(f"{plan_url(plan['id'])}/grants/{grant['id']}/history")
    ).json()
    assert [(g["version"], g["status"], g["reason"]) for g in history] == [
        (2, "revoked", "Moved GP"),
        (1, "active", ""),
    ]
    again = await owner.client.post(f"{plan_url(plan['id'])}/grants/{grant['id']}/revoke", json={})
    assert_problem(again, 409)


async def test_changing_a_grant_is_a_new_version(owner, gp) -> None:
    plan = await create_plan(owner.client)
    grant = await share(owner, plan["id"], gp, ["about_me"], access="view")
    changed = await owner.client.patch(
        f"{plan_url(plan['id'])}/grants/{grant['id']}",
        json={"sections": ["about_me", "staying_safe"], "reason": "Needs the risks"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["sections"] == ["about_me", "staying_safe"]
    assert changed.json()["version"] == 2
    seen = (await gp.client.get(plan_url(plan["id"]))).json()
    assert [s["key"] for s in seen["sections"]] == ["about_me", "staying_safe"]


async def test_an_expired_grant_gives_nothing(owner, gp) -> None:
    from portal.consent.tables import PlanGrant

    plan = await create_plan(owner.client)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    response = await owner.client.post(
        f"{plan_url(plan['id'])}/grants",
        json={
            "grantee_email": gp.email,
            "sections": ["about_me"],
            "access": "view",
            "purpose": "Appointment",
            "expires_at": soon.isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    assert (await gp.client.get(plan_url(plan["id"]))).status_code == 200
    # Time passes: the grant's end is now behind us.
    await PlanGrant.update({PlanGrant.expires_at: dt.datetime.now(dt.UTC)}).where(
        PlanGrant.grant_id == uuid.UUID(response.json()["id"])
    )
    assert_problem(await gp.client.get(plan_url(plan["id"])), 404)
    listed = (await owner.client.get(f"{plan_url(plan['id'])}/grants")).json()
    assert [g["status"] for g in listed] == ["expired"]


@pytest.mark.parametrize(
    ("change", "status", "phrase"),
    [
        ({"sections": ["diary"]}, 422, "not a section"),
        ({"sections": []}, 422, "at least one section"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, 422, "future"),
        ({"grantee_email": "nobody-here@example.org"}, 422, "invitation"),
        ({"purpose": "  "}, 422, "what the sharing is for"),
        ({"grantee_organisation_id": str(uuid.uuid4())}, 422, "both"),
        ({"access": "own"}, 422, "access"),
    ],
)
async def test_bad_grants_are_refused_and_change_nothing(
    owner, gp, change: dict[str, Any], status: int, phrase: str
) -> None:
    plan = await create_plan(owner.client)
    body = {
        "grantee_email": gp.email,
        "sections": ["about_me"],
        "access": "view",
        "purpose": "Appointment",
        **change,
    }
    response = await owner.client.post(f"{plan_url(plan['id'])}/grants", json=body)
    assert_problem(response, status, *([phrase] if phrase else []))
    assert (await owner.client.get(f"{plan_url(plan['id'])}/grants")).json() == []
    assert_problem(await gp.client.get(plan_url(plan["id"])), 404)


async def test_granting_to_oneself_or_twice_is_refused(owner, gp) -> None:
    plan = await create_plan(owner.client)
    to_self = await owner.client.post(
        f"{plan_url(plan['id'])}/grants",
        json={
            "grantee_email": owner.email,
            "sections": ["about_me"],
            "access": "view",
            "purpose": "Me",
        },
    )
    assert_problem(to_self, 422, "somebody else")
    await share(owner, plan["id"], gp, ["about_me"], access="view")
    twice = await owner.client.post(
        f"{plan_url(plan['id'])}/grants",
        json={"grantee_email": gp.email, "sections": ["money"], "access": "edit", "purpose": "x"},
    )
    assert_problem(twice, 409, "change that sharing")
    listed = (await owner.client.get(f"{plan_url(plan['id'])}/grants")).json()
    assert [(g["sections"], g["access"]) for g in listed] == [(["about_me"], "view")]


async def test_only_the_person_can_share_their_plan(owner, gp, planner) -> None:
    plan = await create_plan(owner.client)
    response = await gp.client.post(
        f"{plan_url(plan['id'])}/grants",
        json={
            "grantee_email": planner.email,
            "sections": ["about_me"],
            "access": "view",
            "purpose": "x",
        },
    )
    assert_problem(response, 404)


# --- invitations ----------------------------------------------------------------------


async def invite(owner: Persona, plan_id: str, **extra: Any) -> dict[str, Any]:
    response = await owner.client.post(
        f"{plan_url(plan_id)}/invitations",
        json={"sections": ["about_me"], "access": "edit", "purpose": "Help me plan", **extra},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_an_invitation_link_works_once(app, client, owner, planner, gp) -> None:
    plan = await create_plan(owner.client)
    created = await invite(owner, plan["id"])
    token = created["token"]
    assert created["path"] == f"/invitations/{token}"
    assert created["invitation"]["status"] == "open"

    offer = await client.get(f"/api/v1/invitations/{token}")
    assert offer.status_code == 200
    assert offer.json()["owner_name"] == "Owner" and offer.json()["sections"] == ["about_me"]
    anonymous = await client.post(f"/api/v1/invitations/{token}/accept")
    assert_problem(anonymous, 401)

    accepted = await planner.client.post(f"/api/v1/invitations/{token}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["grant"]["sections"] == ["about_me"]
    assert accepted.json()["grant"]["access"] == "edit"
    await change_section(planner.client, plan["id"], "about_me", who_i_am="From the invite")

    for someone in (planner, gp):
        again = await someone.client.post(f"/api/v1/invitations/{token}/accept")
        assert_problem(again, 410, "used already")
    assert_problem(await gp.client.get(plan_url(plan["id"])), 404)
    listed = (await owner.client.get(f"{plan_url(plan['id'])}/invitations")).json()
    assert [(i["status"], i["accepted_by_name"]) for i in listed] == [("accepted", "Planner")]


async def test_closed_invitations_are_refused(owner, planner) -> None:
    from portal.consent.tables import Invitation

    plan = await create_plan(owner.client)
    expired = await invite(owner, plan["id"])
    await Invitation.update({Invitation.expires_at: dt.datetime.now(dt.UTC)}).where(
        Invitation.id == uuid.UUID(expired["invitation"]["id"])
    )
    refused = await planner.client.post(f"/api/v1/invitations/{expired['token']}/accept")
    assert_problem(refused, 410, "expired")

    withdrawn = await invite(owner, plan["id"])
    response = await owner.client.post(
        f"{plan_url(plan['id'])}/invitations/{withdrawn['invitation']['id']}/withdraw"
    )
    assert response.json()["status"] == "withdrawn"
    refused = await planner.client.post(f"/api/v1/invitations/{withdrawn['token']}/accept")
    assert_problem(refused, 410, "withdrawn")

    own = await invite(owner, plan["id"])
    refused = await owner.client.post(f"/api/v1/invitations/{own['token']}/accept")
    assert_problem(refused, 422, "your own plan")
    assert (await owner.client.get(f"{plan_url(plan['id'])}/grants")).json() == []

    made_up = await planner.client.post(f"/api/v1/invitations/{'x' * 43}/accept")
    assert_problem(made_up, 404)
    assert_problem(await planner.client.get(plan_url(plan["id"])), 404)


async def test_an_email_invitation_is_only_for_that_address(owner, planner, gp) -> None:
    plan = await create_plan(owner.client)
    created = await invite(owner, plan["id"], email=planner.email.upper())
    wrong = await gp.client.post(f"/api/v1/invitations/{created['token']}/accept")
    assert_problem(wrong, 403, "different email address")
    assert_problem(await gp.client.get(plan_url(plan["id"])), 404)
    right = await planner.client.post(f"/api/v1/invitations/{created['token']}/accept")
    assert right.status_code == 200, right.text


async def test_each_accepted_invitation_is_a_grant_of_its_own(owner, planner) -> None:
    plan = await create_plan(owner.client)
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    first = await invite(owner, plan["id"], access="view", grant_expires_at=until)
    second = await invite(owner, plan["id"], sections=["outcomes"], access="edit")
    await planner.client.post(f"/api/v1/invitations/{first['token']}/accept")
    await planner.client.post(f"/api/v1/invitations/{second['token']}/accept")
    grants = (await owner.client.get(f"{plan_url(plan['id'])}/grants")).json()
    # The end the person chose for the first stays with it; the second has none.
    assert sorted((g["sections"][0], g["access"], g["expires_at"] is None) for g in grants) == [
        ("about_me", "view", False),
        ("outcomes", "edit", True),
    ]
    seen = (await planner.client.get(plan_url(plan["id"]))).json()
    assert [s["key"] for s in seen["sections"]] == ["about_me", "outcomes"]


# --- representatives ------------------------------------------------------------------


async def test_a_representative_acts_within_their_scope(owner, carer, planner) -> None:
    plan = await create_plan(owner.client)
    recorded = await owner.client.post(
        f"{plan_url(plan['id'])}/representatives",
        json={
            "email": carer.email,
            "authority": "lpa_health_welfare",
            "authority_reference": "LPA 7000-1234-5678",
            "relationship": "Daughter",
            "sections": ["about_me", "staying_safe"],
            "powers": ["view", "edit", "share"],
            "how_decisions_are_reached": "Best-interests meeting with my daughter and GP",
        },
    )
    assert recorded.status_code == 201, recorded.text
    rep = recorded.json()
    assert rep["authority_label"] == "Lasting power of attorney for health and welfare"

    seen = (await carer.client.get(plan_url(plan["id"]))).json()
    assert [s["key"] for s in seen["sections"]] == ["about_me", "staying_safe"]
    await change_section(carer.client, plan["id"], "about_me", makes_own_decisions=False)
    assert_problem(await carer.client.get(f"{plan_url(plan['id'])}/sections/money"), 404)
    # With the power to share, the carer chooses who else sees the plan, within the plan.
    shared = await carer.client.post(
        f"{plan_url(plan['id'])}/grants",
        json={
            "grantee_email": planner.email,
            "sections": ["staying_safe"],
            "access": "view",
            "purpose": "Risk review",
        },
    )
    assert shared.status_code == 201, shared.text
    assert shared.json()["made_by_name"] == "Carer"
    # Anyone who may read "About me" sees who speaks for the person.
    listed = (await owner.client.get(f"{plan_url(plan['id'])}/representatives")).json()
    assert [(r["name"], r["relationship"]) for r in listed] == [("Carer", "Daughter")]

    ended = await owner.client.post(
        f"{plan_url(plan['id'])}/representatives/{rep['id']}/end", json={"reason": "Revoked"}
    )
    assert ended.json()["status"] == "ended"
    assert_problem(await carer.client.get(plan_url(plan["id"])), 404)
    history = (
        await owner.client.get(f"{plan_url(plan['id'])}/representatives?history=true")
    ).json()
    assert [r["status"] for r in history] == ["ended", "active"]


@pytest.mark.parametrize(
    ("authority", "sections", "powers", "phrase"),
    [
        ("lpa_health_welfare", ["about_me", "money"], ["view"], "does not cover money"),
        ("lpa_property_financial", ["money", "about_me"], ["view"], "About me"),
        ("deputy_property_affairs", ["money"], ["view", "share"], "power to share"),
    ],
)
async def test_a_scope_wider_than_the_authority_is_refused(
    owner, carer, authority: str, sections: list[str], powers: list[str], phrase: str
) -> None:
    plan = await create_plan(owner.client)
    response = await owner.client.post(
        f"{plan_url(plan['id'])}/representatives",
        json={"email": carer.email, "authority": authority, "sections": sections, "powers": powers},
    )
    assert_problem(response, 422, phrase)
    assert (await owner.client.get(f"{plan_url(plan['id'])}/representatives")).json() == []
    assert_problem(await carer.client.get(plan_url(plan["id"])), 404)


async def test_only_the_person_records_their_own_consent(owner, carer, planner) -> None:
    plan = await create_plan(owner.client)
    await owner.client.post(
        f"{plan_url(plan['id'])}/representatives",
        json={
            "email": carer.email,
            "authority": "lpa_health_welfare",
            "sections": ["about_me"],
            "powers": ["view", "share"],
        },
    )
    response = await carer.client.post(
        f"{plan_url(plan['id'])}/representatives",
        json={
            "email": planner.email,
            "authority": "consent",
            "sections": ["about_me"],
            "powers": ["view"],
        },
    )
    assert_problem(response, 403, "person themselves")


# --- see my plan as, and who has looked ---------------------------------------------------


async def test_the_person_previews_what_a_grantee_sees(owner, gp) -> None:
    plan = await create_plan(owner.client)
    grant = await share(owner, plan["id"], gp, ["about_me", "contacts"], access="view")
    preview = await owner.client.get(f"{plan_url(plan['id'])}/grants/{grant['id']}/preview")
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["grantee"]["name"] == "Gp"
    assert [s["key"] for s in body["plan"]["sections"]] == ["about_me", "contacts"]
    actual = (await gp.client.get(plan_url(plan["id"]))).json()
    assert [s["key"] for s in actual["sections"]] == [s["key"] for s in body["plan"]["sections"]]


async def test_who_has_looked_lists_reads_changes_refusals_and_sharing(owner, planner) -> None:
    plan = await create_plan(owner.client)
    await owner.client.get(plan_url(plan["id"]))
    grant = await share(owner, plan["id"], planner, ["about_me"])
    await change_section(planner.client, plan["id"], "about_me", who_i_am="B")
    await planner.client.get(f"{plan_url(plan['id'])}/sections/money")
    log = await owner.client.get(f"{plan_url(plan['id'])}/access-log")
    assert log.status_code == 200
    events = [(e["who"], e["event"], e["sections"]) for e in reversed(log.json())]
    assert events == [
        ("Owner", "grant_given", ["about_me"]),
        ("Planner", "read", ["about_me"]),
        ("Planner", "edit", ["about_me"]),
        ("Planner", "refused", ["money"]),
    ]
    assert log.json()[0]["description"].startswith("Tried to open")
    assert grant["id"] in {e["subject"] for e in log.json()}
