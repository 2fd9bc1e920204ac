"""A person writes a whole plan through the API, from signing in to signing out."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from portal.accounts.service import create_user
from portal.security import CSRF_HEADER_NAME
from tests.conftest import csrf_ready, csrf_token

from .helpers import (
    CRITERIA_KEYS,
    SECTION_KEYS,
    add_row,
    assert_problem,
    change_section,
    criteria,
    plan_url,
)

PASSWORD = "a-long-enough-password"

SECTIONS: dict[str, dict[str, Any]] = {
    "starting_point": {
        "what_i_enjoy": "Swimming on Saturday mornings and cooking for friends.",
        "what_i_dont_like": "Being rushed in the mornings.",
        "what_i_want_to_achieve": "Live in my own flat and get back to part-time work.",
        "what_stops_me": "I get tired and anxious when plans change.",
        "who_helped_me_plan": "My sister Ana and my broker, Sam.",
    },
    "about_me": {
        "who_i_am": "I am Jo, 34, I love music and my dog Biscuit.",
        "strengths_and_skills": "Good with people; I can cook and budget.",
        "relationships_and_community": "My sister, my church choir, my neighbour Pat.",
        "health_and_wellbeing_needs": "Epilepsy, well controlled; fatigue in the afternoons.",
        "makes_own_decisions": False,
        "how_decisions_are_reached": "Best-interests meeting with my sister and my GP.",
        "representative_name": "Ana Silva",
        "representative_relationship": "Sister, deputy for property and affairs",
    },
    "working_not_working": {
        "working": ["My PA helps me get up on time", "Choir on Wednesdays"],
        "not_working": ["Evenings are lonely"],
    },
    "important_to_for": {
        "important_to_me": ["Seeing Biscuit every day", "Music"],
        "important_for_me": ["Taking my medication on time"],
    },
    "staying_safe": {
        "risks": [
            {
                "risk": "Seizure when alone in the bath",
                "mitigation": "Shower only, with a bath alarm fitted",
                "who_helps": "My PA and the council's telecare team",
            }
        ],
        "contingency_plan": "If my PA cannot come, Ana comes, or the agency sends cover.",
        "point_of_contact_name": "Dr Khan, Riverside surgery",
        "point_of_contact_details": "01632 960123",
    },
    "outcomes": {"notes": "I want to feel in charge of my week."},
    "money": {
        "allocation_pence": 1_500_000,
        "allocation_frequency": "annual",
        "holding": ["direct_payment", "individual_service_fund"],
        "holding_notes": "Ana helps me keep the direct payment account.",
    },
    "action_plan": {"notes": "Ana keeps a copy of the action plan on the fridge."},
    "review": {
        "care_coordinator_name": "Priya Patel",
        "care_coordinator_contact": "priya.patel@example.org",
        "review_date": "2027-03-31",
        "how_reviewed": "A meeting at home with Ana and Priya, looking at outcomes and spend.",
        "going_well_signs": "I go swimming every week and feel less tired.",
        "going_wrong_signs": "I stop going out or miss my medication.",
    },
    "contacts": {"notes": "Ring Ana first, then Priya."},
}


async def test_a_person_writes_a_whole_plan_and_signs_out(app, client: httpx.AsyncClient) -> None:
    cookie_name = app.state.settings.session_cookie_name
    email = f"jo-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, "Jo Silva")

    assert_problem(await client.get("/api/v1/plans"), 401, "sign in")

    signed_in = await client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 201, signed_in.text
    assert signed_in.json()["display_name"] == "Jo Silva"
    assert signed_in.json()["email"] == email
    token = client.cookies[cookie_name]
    me = await client.get("/api/v1/session")
    assert me.status_code == 200
    assert me.json()["email"] == email

    created = await client.post(
        "/api/v1/plans", json={"kind": "personal_health_budget", "title": "Jo's plan"}
    )
    assert created.status_code == 201, created.text
    plan = created.json()
    plan_id = plan["id"]
    assert created.headers["Location"] == plan_url(plan_id)
    assert plan["title"] == "Jo's plan"
    assert plan["kind"] == "personal_health_budget"
    assert plan["state"] == "draft"
    assert [section["key"] for section in plan["sections"]] == list(SECTION_KEYS)
    assert all(section["version"] == 0 for section in plan["sections"])
    assert plan["criteria_summary"] == {"met": 0, "partial": 0, "missing": 9, "ready": False}

    for key, content in SECTIONS.items():
        if key != "review":
            saved = await change_section(client, plan_id, key, **content)
            assert saved["content"] == {**saved["content"], **content}
            assert saved["updated_by"] == "Jo Silva"

    swimming = await add_row(
        client,
        plan_id,
        "outcomes",
        title="Get back to swimming every week",
        how="A PA comes with me to the leisure centre on Saturdays.",
    )
    work = await add_row(
        client,
        plan_id,
        "outcomes",
        title="Find part-time work",
        how="Supported employment service, two sessions a week.",
    )
    assert swimming["status"] == "proposed"

    pa = await add_row(
        client,
        plan_id,
        "support-items",
        description="Personal assistant, 8 hours a week",
        provider="Jo employs the PA",
        cost_pence=12_000,
        frequency="weekly",
        outcome_id=swimming["id"],
    )
    coaching = await add_row(
        client,
        plan_id,
        "support-items",
        description="Job coach",
        provider="Riverside Works",
        cost_pence=25_000,
        frequency="monthly",
        outcome_id=work["id"],
    )
    pass_ = await add_row(
        client,
        plan_id,
        "support-items",
        description="Leisure centre pass",
        cost_pence=30_000,
        frequency="one_off",
        outcome_id=swimming["id"],
    )
    assert pa["outcome_id"] == swimming["id"]
    assert coaching["outcome_id"] == work["id"]
    # A one-off cost is paid once: no weekly or yearly figure, 300.00 this year.
    assert (pass_["weekly_pence"], pass_["annual_pence"]) == (None, None)
    assert pass_["this_year_pence"] == 30_000

    first = await add_row(
        client,
        plan_id,
        "actions",
        what="Advertise for a PA",
        who="Ana",
        due_by="2027-01-15",
        outcome_id=swimming["id"],
    )
    await add_row(
        client,
        plan_id,
        "actions",
        what="Book the first job coach session",
        who="Jo",
        due_by="2027-02-01",
        outcome_id=work["id"],
    )
    assert (first["who"], first["what"], first["due_by"]) == (
        "Ana",
        "Advertise for a PA",
        "2027-01-15",
    )
    await add_row(
        client,
        plan_id,
        "contacts",
        name="Ana Silva",
        role="Sister",
        when_to_contact="Any problem with my PA",
        phone="07700 900123",
    )

    # Everything but the review is done: eight criteria met, not ready to submit.
    before_review = (await client.get(plan_url(plan_id))).json()
    assert before_review["criteria_summary"] == {
        "met": 8,
        "partial": 0,
        "missing": 1,
        "ready": False,
    }
    assert {r["key"]: r["status"] for r in before_review["criteria"]}["review"] == "missing"

    await change_section(client, plan_id, "review", **SECTIONS["review"])

    results = await criteria(client, plan_id)
    assert list(results) == list(CRITERIA_KEYS)
    for key, result in results.items():
        assert result["status"] == "met", (key, result)
        assert result["missing"] == []

    final = (await client.get(plan_url(plan_id))).json()
    assert final["criteria_summary"] == {"met": 9, "partial": 0, "missing": 0, "ready": True}
    for section in final["sections"]:
        assert section["version"] == 1
        assert section["content"] == {**section["content"], **SECTIONS[section["key"]]}
    assert [o["title"] for o in final["outcomes"]] == [swimming["title"], work["title"]]
    assert len(final["actions"]) == 2
    assert len(final["contacts"]) == 1
    # 12,000 x 52 + 25,000 x 12 = 624,000 + 300,000 = 924,000 a year, and 30,000 one-off this
    # year beside it: 954,000 this year against the allocation.
    assert final["money"] == {
        "allocation_pence": 1_500_000,
        "allocation_frequency": "annual",
        "allocation_weekly_pence": 28_846,  # 1,500,000 / 52 = 28,846.15
        "allocation_annual_pence": 1_500_000,
        "total_weekly_pence": 17_769,  # 924,000 / 52 = 17,769.23
        "total_annual_pence": 924_000,
        "one_off_this_year_pence": 30_000,
        "this_year_pence": 954_000,
        "difference_annual_pence": 546_000,
        "item_count": 3,
        "one_off_count": 1,
        "over_allocation": False,
    }
    assert [i["annual_pence"] for i in final["support_items"]] == [624_000, 300_000, None]
    assert [i["weekly_pence"] for i in final["support_items"]] == [12_000, 5_769, None]
    assert [i["this_year_pence"] for i in final["support_items"]] == [624_000, 300_000, 30_000]

    listed = await client.get("/api/v1/plans")
    assert listed.status_code == 200
    [summary] = [p for p in listed.json() if p["id"] == plan_id]
    assert (summary["criteria_met"], summary["criteria_total"]) == (9, 9)

    signed_out = await client.delete("/api/v1/session")
    assert signed_out.status_code == 204
    assert cookie_name not in client.cookies
    assert_problem(await client.get(plan_url(plan_id)), 401, "sign in")
    assert_problem(await client.get("/api/v1/session"), 401)

    # The old cookie, sent again, stands for no one: the session was ended on the server.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Cookie": f"{cookie_name}={token}"},
    ) as replay:
        assert_problem(await replay.get(plan_url(plan_id)), 401, "sign in")
        assert_problem(await replay.get("/api/v1/plans"), 401)
    # A good CSRF token (the one for these cookies), so that the 401 is about the made-up
    # session and nothing else.
    made_up = f"{cookie_name}=made-up-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"Cookie": made_up}
    ) as forged:
        forged.headers[CSRF_HEADER_NAME] = await csrf_token(forged)
        assert_problem(await forged.get(plan_url(plan_id)), 401, "sign in")
        assert_problem(
            await forged.put(
                f"{plan_url(plan_id)}/sections/about_me", json={}, headers={"If-Match": '"1"'}
            ),
            401,
        )

    # Signing in again finds the plan just as it was left.
    again = await client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert again.status_code == 201
    assert client.cookies[cookie_name] != token
    reread = (await client.get(plan_url(plan_id))).json()
    assert reread["criteria_summary"]["ready"] is True
    assert reread["sections"] == final["sections"]


async def test_a_cookie_planted_before_sign_in_is_useless_afterwards(app) -> None:
    cookie_name = app.state.settings.session_cookie_name
    email = f"planted-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, "Planted")
    planted = f"planted-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        await csrf_ready(browser)
        # A Cookie header of our own replaces the jar's: the client sends the token for it.
        signed_in = await browser.post(
            "/api/v1/session",
            json={"email": email, "password": PASSWORD},
            headers={"Cookie": f"{cookie_name}={planted}"},
        )
        assert signed_in.status_code == 201
        issued = signed_in.cookies[cookie_name]
        assert issued and issued != planted
        assert (await browser.get("/api/v1/session")).json()["email"] == email
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Cookie": f"{cookie_name}={planted}"},
    ) as attacker:
        assert_problem(await attacker.get("/api/v1/session"), 401)
