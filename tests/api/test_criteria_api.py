"""Each of the nine criteria goes from missing, through partial, to met, as the API reports it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import (
    CRITERIA_KEYS,
    add_row,
    change_section,
    create_plan,
    criteria,
    patch_row,
    plan_url,
)

TITLES = {
    "starting_point": "My starting point",
    "about_me": "About me",
    "working_not_working": "What is working and not working",
    "important_to_for": "What is important to me and for me",
    "staying_safe": "Staying safe",
    "outcomes": "My outcomes",
    "money": "Money",
    "action_plan": "Action plan",
    "review": "Review",
}


async def expect(
    client: httpx.AsyncClient, plan_id: str, key: str, status: str, missing: list[str]
) -> None:
    """The criterion has this status and lists exactly these missing items, with prompts."""
    results = await criteria(client, plan_id)
    assert list(results) == list(CRITERIA_KEYS)
    result = results[key]
    assert result["number"] == CRITERIA_KEYS.index(key) + 1
    assert result["title"] == TITLES[key]
    assert (result["status"], result["missing"]) == (status, missing)
    assert result["prompts"], key
    assert all(isinstance(p, str) and p.strip().endswith("?") for p in result["prompts"])
    # The whole plan tells the same story as the criteria endpoint.
    plan = (await client.get(plan_url(plan_id))).json()
    assert {r["key"]: r for r in plan["criteria"]}[key] == result


@pytest.fixture
async def plan_id(author) -> str:  # type: ignore[no-untyped-def]
    plan: dict[str, Any] = await create_plan(author.client)
    assert {r["status"] for r in plan["criteria"]} == {"missing"}
    return str(plan["id"])


async def test_starting_point_needs_what_i_want_and_who_helped(author, plan_id: str) -> None:
    c = author.client
    both = ["Say what you want to achieve", "Say who helped you plan"]
    await expect(c, plan_id, "starting_point", "missing", both)
    await change_section(c, plan_id, "starting_point", what_i_enjoy="Swimming")
    await expect(c, plan_id, "starting_point", "partial", both)
    # Spaces are not an answer.
    await change_section(
        c, plan_id, "starting_point", what_i_want_to_achieve="Work", who_helped_me_plan="   "
    )
    await expect(c, plan_id, "starting_point", "partial", ["Say who helped you plan"])
    await change_section(c, plan_id, "starting_point", who_helped_me_plan="My sister")
    await expect(c, plan_id, "starting_point", "met", [])


async def test_about_me_needs_a_representative_when_i_do_not_decide(author, plan_id: str) -> None:
    c = author.client
    await expect(
        c,
        plan_id,
        "about_me",
        "missing",
        [
            "Say who you are",
            "Describe your strengths and skills",
            "Describe your health and wellbeing needs",
            "Say whether you make your own decisions",
        ],
    )
    await change_section(c, plan_id, "about_me", who_i_am="Jo, 34, loves music")
    await expect(
        c,
        plan_id,
        "about_me",
        "partial",
        [
            "Describe your strengths and skills",
            "Describe your health and wellbeing needs",
            "Say whether you make your own decisions",
        ],
    )
    await change_section(
        c,
        plan_id,
        "about_me",
        strengths_and_skills="Cooking",
        health_and_wellbeing_needs="Epilepsy",
        makes_own_decisions=False,
    )
    await expect(
        c,
        plan_id,
        "about_me",
        "partial",
        [
            "Say how decisions about you are reached",
            "Name the person who speaks for you",
        ],
    )
    await change_section(c, plan_id, "about_me", how_decisions_are_reached="Best-interests meeting")
    await expect(c, plan_id, "about_me", "partial", ["Name the person who speaks for you"])
    await change_section(c, plan_id, "about_me", representative_name="Ana Silva")
    await expect(c, plan_id, "about_me", "met", [])


async def test_working_not_working_needs_one_of_each(author, plan_id: str) -> None:
    c = author.client
    both = ["Add something that is working", "Add something that is not working"]
    await expect(c, plan_id, "working_not_working", "missing", both)
    await change_section(c, plan_id, "working_not_working", working=["  "])
    await expect(c, plan_id, "working_not_working", "missing", both)
    await change_section(c, plan_id, "working_not_working", working=["My PA gets me up on time"])
    await expect(
        c, plan_id, "working_not_working", "partial", ["Add something that is not working"]
    )
    await change_section(c, plan_id, "working_not_working", not_working=["Lonely evenings"])
    await expect(c, plan_id, "working_not_working", "met", [])


async def test_important_to_and_for_needs_one_of_each(author, plan_id: str) -> None:
    c = author.client
    await expect(
        c,
        plan_id,
        "important_to_for",
        "missing",
        [
            "Add something that is important to you",
            "Add something that is important for your health and wellbeing",
        ],
    )
    await change_section(c, plan_id, "important_to_for", important_for_me=["My medication"])
    await expect(
        c, plan_id, "important_to_for", "partial", ["Add something that is important to you"]
    )
    await change_section(c, plan_id, "important_to_for", important_to_me=["My dog Biscuit"])
    await expect(c, plan_id, "important_to_for", "met", [])


async def test_staying_safe_needs_every_risk_reduced_a_contingency_and_a_contact(
    author, plan_id: str
) -> None:
    c = author.client
    contingency = "Say what should happen if things go wrong"
    contact = "Name your point of contact in health or care services"
    await expect(c, plan_id, "staying_safe", "missing", [contingency, contact])
    await change_section(
        c, plan_id, "staying_safe", risks=[{"risk": "Falling on the stairs at night"}]
    )
    await expect(
        c,
        plan_id,
        "staying_safe",
        "partial",
        [
            "Say how risk “Falling on the stairs at night” will be reduced",
            contingency,
            contact,
        ],
    )
    await change_section(
        c,
        plan_id,
        "staying_safe",
        risks=[{"risk": "Falling on the stairs at night", "mitigation": "Night light and rail"}],
        contingency_plan="Ring Ana",
    )
    await expect(c, plan_id, "staying_safe", "partial", [contact])
    await change_section(c, plan_id, "staying_safe", point_of_contact_name="Dr Khan")
    await expect(c, plan_id, "staying_safe", "met", [])
    # A second risk without a way to reduce it takes the criterion back to partial.
    await change_section(
        c,
        plan_id,
        "staying_safe",
        risks=[
            {"risk": "Falling on the stairs at night", "mitigation": "Night light and rail"},
            {"risk": "Missing medication"},
        ],
    )
    await expect(
        c, plan_id, "staying_safe", "partial", ["Say how risk “Missing medication” will be reduced"]
    )


async def test_outcomes_need_an_outcome_with_how_it_will_be_achieved(author, plan_id: str) -> None:
    c = author.client
    await expect(c, plan_id, "outcomes", "missing", ["Add an outcome you want to achieve"])
    await change_section(c, plan_id, "outcomes", notes="I want to feel in charge of my week")
    await expect(c, plan_id, "outcomes", "partial", ["Add an outcome you want to achieve"])
    outcome = await add_row(c, plan_id, "outcomes", title="Get back to swimming")
    await expect(
        c, plan_id, "outcomes", "partial", ["Say how you will achieve “Get back to swimming”"]
    )
    await patch_row(c, plan_id, "outcomes", outcome, how="A PA comes with me on Saturdays")
    await expect(c, plan_id, "outcomes", "met", [])


async def test_money_needs_allocation_holding_and_every_item_linked(author, plan_id: str) -> None:
    c = author.client
    allocation = "Record the indicative allocation you were told"
    holding = "Choose how the money will be held"
    await expect(c, plan_id, "money", "missing", [allocation, holding])
    item = await add_row(
        c, plan_id, "support-items", description="PA", cost_pence=5_000, frequency="weekly"
    )
    link = "Link support item 1 (£50.00 every week) to one of your outcomes"
    await expect(c, plan_id, "money", "partial", [allocation, holding, link])
    await change_section(c, plan_id, "money", allocation_pence=1_000_000)
    await expect(c, plan_id, "money", "partial", [holding, link])
    await change_section(c, plan_id, "money", holding=["direct_payment"])
    await expect(c, plan_id, "money", "partial", [link])
    outcome = await add_row(c, plan_id, "outcomes", title="Swim", how="With a PA")
    await patch_row(c, plan_id, "support-items", item, outcome_id=outcome["id"])
    await expect(c, plan_id, "money", "met", [])
    # Deleting the outcome unlinks the item, so the money criterion says so again.
    deleted = await c.delete(
        f"{plan_url(plan_id)}/outcomes/{outcome['id']}", headers={"If-Match": '"1"'}
    )
    assert deleted.status_code == 204
    await expect(c, plan_id, "money", "partial", [link])


async def test_action_plan_needs_who_what_and_when_for_every_action(author, plan_id: str) -> None:
    c = author.client
    await expect(c, plan_id, "action_plan", "missing", ["Add an action: who will do what, by when"])
    action = await add_row(c, plan_id, "actions", what="Book the GP review")
    await expect(
        c,
        plan_id,
        "action_plan",
        "partial",
        [
            "Say who will do “Book the GP review”",
            "Say when “Book the GP review” will be done by",
        ],
    )
    action = await patch_row(c, plan_id, "actions", action, who="Ana")
    await expect(
        c, plan_id, "action_plan", "partial", ["Say when “Book the GP review” will be done by"]
    )
    await patch_row(c, plan_id, "actions", action, due_by="2027-01-31")
    await expect(c, plan_id, "action_plan", "met", [])


async def test_review_needs_coordinator_date_and_both_signs(author, plan_id: str) -> None:
    c = author.client
    await expect(
        c,
        plan_id,
        "review",
        "missing",
        [
            "Name your care coordinator",
            "Choose when your plan will be reviewed",
            "Say how you will know things are going well",
            "Say how you will know things are going wrong",
        ],
    )
    await change_section(c, plan_id, "review", care_coordinator_name="Priya Patel")
    await expect(
        c,
        plan_id,
        "review",
        "partial",
        [
            "Choose when your plan will be reviewed",
            "Say how you will know things are going well",
            "Say how you will know things are going wrong",
        ],
    )
    await change_section(
        c, plan_id, "review", review_date="2027-03-31", going_well_signs="I swim weekly"
    )
    await expect(c, plan_id, "review", "partial", ["Say how you will know things are going wrong"])
    await change_section(c, plan_id, "review", going_wrong_signs="I stop going out")
    await expect(c, plan_id, "review", "met", [])
