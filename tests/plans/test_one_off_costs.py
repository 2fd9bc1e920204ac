"""One-off costs are one-off: paid once, never a weekly or yearly recurring figure, shown and
checked (allocation, spending limit) as "one-off this year" beside the recurring yearly cost.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core.money import MAX_WEEKLY_PENCE
from portal.plans.money import (
    WEEKS_A_YEAR,
    Frequency,
    SupportFact,
    annual_pence,
    summarise_money,
    this_year_pence,
    weekly_pence,
)
from tests.api.helpers import add_row, assert_problem, create_plan, if_match, plan_url
from tests.conftest import Persona, make_persona
from tests.exports.test_pdf import fetch_pdf, squash
from tests.factories import (
    decide_outcomes,
    give_role,
    make_organisation,
    set_allocation,
    write_complete_plan,
)

RECURRING = [f for f in Frequency if f is not Frequency.one_off]
# The realistic plan costs £11,264.00 a year.
PLAN_ANNUAL_PENCE = 1_126_400

# --- the totals, for any lines --------------------------------------------------------------

lines = st.lists(
    st.builds(
        SupportFact,
        cost_pence=st.integers(min_value=1, max_value=MAX_WEEKLY_PENCE),
        frequency=st.sampled_from(list(Frequency)),
    ),
    max_size=30,
)


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


@given(items=lines, allocation=st.none() | st.integers(min_value=1, max_value=10**10))
def test_one_off_costs_are_never_in_the_weekly_or_yearly_total(
    items: list[SupportFact], allocation: int | None
) -> None:
    summary = summarise_money(allocation, Frequency.annual, items)
    recurring = [i for i in items if i.frequency is not Frequency.one_off]
    one_offs = [i for i in items if i.frequency is Frequency.one_off]

    # The recurring yearly cost is the sum of the recurring lines, each normalised exactly.
    times = {
        Frequency.weekly: 52,
        Frequency.fortnightly: 26,
        Frequency.four_weekly: 13,
        Frequency.monthly: 12,
        Frequency.annual: 1,
    }
    expected_annual = sum(i.cost_pence * times[i.frequency] for i in recurring)
    assert summary.total_annual_pence == expected_annual
    assert summary.total_weekly_pence == _half_up(expected_annual, WEEKS_A_YEAR)
    # One-off lines are counted once, this year, and nowhere else.
    assert summary.one_off_this_year_pence == sum(i.cost_pence for i in one_offs)
    assert summary.one_off_count == len(one_offs)
    assert summary.this_year_pence == expected_annual + summary.one_off_this_year_pence
    # Taking every one-off line away leaves the weekly and yearly figures as they were.
    without = summarise_money(allocation, Frequency.annual, recurring)
    assert (without.total_weekly_pence, without.total_annual_pence) == (
        summary.total_weekly_pence,
        summary.total_annual_pence,
    )
    # The allocation is set against this year's cost: the yearly cost and the one-offs.
    if allocation is None:
        assert summary.difference_annual_pence is None and not summary.over_allocation
    else:
        assert summary.difference_annual_pence == allocation - summary.this_year_pence
        assert summary.over_allocation is (allocation < summary.this_year_pence)


@given(pence=st.integers(min_value=1, max_value=10**12))
def test_a_one_off_amount_has_no_weekly_or_yearly_figure(pence: int) -> None:
    assert annual_pence(pence, Frequency.one_off) == 0
    assert weekly_pence(pence, Frequency.one_off) == 0
    assert this_year_pence(pence, Frequency.one_off) == pence


@given(pence=st.integers(min_value=1, max_value=10**9), frequency=st.sampled_from(RECURRING))
def test_a_recurring_amount_costs_its_yearly_figure_this_year(
    pence: int, frequency: Frequency
) -> None:
    assert this_year_pence(pence, frequency) == annual_pence(pence, frequency) > 0


def test_a_one_off_allocation_is_this_years_money_with_no_weekly_figure() -> None:
    summary = summarise_money(
        100_000, Frequency.one_off, [SupportFact(cost_pence=40_000, frequency=Frequency.one_off)]
    )
    assert summary.allocation_weekly_pence is None
    assert summary.allocation_annual_pence == 100_000
    assert summary.difference_annual_pence == 60_000


# --- through the API ------------------------------------------------------------------------


async def test_a_one_off_item_is_shown_as_this_years_cost_beside_the_yearly_total(owner) -> None:  # type: ignore[no-untyped-def]
    c = owner.client
    plan = await create_plan(c)
    await add_row(
        c, plan["id"], "support-items", description="PA", cost_pence=12_000, frequency="weekly"
    )
    item = await add_row(
        c,
        plan["id"],
        "support-items",
        description="Travel training",
        cost_pence=45_000,
        frequency="one_off",
    )
    assert (item["weekly_pence"], item["annual_pence"], item["this_year_pence"]) == (
        None,
        None,
        45_000,
    )
    money = (await c.get(plan_url(plan["id"]))).json()["money"]
    # 12,000 x 52 = 624,000 a year, 12,000 a week; 45,000 one-off this year beside it.
    assert money["total_annual_pence"] == 624_000
    assert money["total_weekly_pence"] == 12_000
    assert money["one_off_this_year_pence"] == 45_000
    assert money["this_year_pence"] == 669_000
    page = (await c.get(f"/plans/{plan['id']}/money")).text
    assert "£450.00 one-off this year" in page
    assert "One-off this year" in page and "£6,690.00" in page
    assert "£120.00 a week" in page and "£6,240.00 a year" in page


async def test_a_one_off_item_with_hours_is_refused_naming_the_field(owner) -> None:  # type: ignore[no-untyped-def]
    c = owner.client
    plan = await create_plan(c)
    base = f"{plan_url(plan['id'])}/support-items"
    refused = await c.post(
        base,
        json={
            "description": "Garden clearance",
            "cost_pence": 30_000,
            "frequency": "one_off",
            "minutes_per_week": 120,
        },
    )
    body = assert_problem(refused, 422, "one-off", "hours")
    assert [e["field"] for e in body["errors"]] == ["minutes_per_week"]
    assert (await c.get(base)).json() == []

    # Nor can an item with hours become one-off: it stays as it was.
    weekly = await add_row(
        c,
        plan["id"],
        "support-items",
        description="Home care",
        cost_pence=21_000,
        frequency="weekly",
        minutes_per_week=600,
    )
    changed = await c.patch(
        f"{base}/{weekly['id']}", json={"frequency": "one_off"}, headers=if_match(1)
    )
    body = assert_problem(changed, 422, "one-off")
    assert [e["field"] for e in body["errors"]] == ["minutes_per_week"]
    kept = (await c.get(f"{base}/{weekly['id']}")).json()
    assert (kept["frequency"], kept["minutes_per_week"], kept["version"]) == ("weekly", 600, 1)


async def test_the_support_form_says_which_field_is_wrong(owner) -> None:  # type: ignore[no-untyped-def]
    c = owner.client
    plan = await create_plan(c)
    money_url = f"/plans/{plan['id']}/money"
    page = await c.get(money_url)
    token = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    refused = await c.post(
        money_url,
        data={
            "description": "Garden clearance",
            "cost": "300.00",
            "frequency": "one_off",
            "hours_a_week[hours]": "2",
            "hours_a_week[minutes]": "0",
            "_csrf_token": token,
        },
    )
    assert refused.status_code == 400, refused.text[:2000]
    assert 'href="#hours_a_week-hours"' in refused.text
    assert "a one-off cost has none" in refused.text


# --- sign-off: the spending limit and the allocation count this year's cost --------------------


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    names = ("owner", "authoriser", "budget", "rich")
    made = {name: await make_persona(app, name) for name in names}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["rich"], council, "budget_authoriser", 5_000_000)
    # £11,300 a year: above the plan's yearly cost, below it with a £500 one-off.
    await give_role(made["budget"], council, "budget_authoriser", 1_130_000)
    yield made
    for persona in made.values():
        await persona.client.aclose()


async def _status(who: Persona, plan_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await who.client.get(f"{plan_url(plan_id)}/sign-off")).json()
    return body


async def _with_one_off_authorised(people: dict[str, Persona], council: uuid.UUID) -> str:
    owner, authoriser = people["owner"], people["authoriser"]
    plan_id = await write_complete_plan(owner.client)
    outcome = (await owner.client.get(f"{plan_url(plan_id)}/outcomes")).json()[0]
    await add_row(
        owner.client,
        plan_id,
        "support-items",
        description="Bathroom grab rails, fitted",
        cost_pence=50_000,
        frequency="one_off",
        outcome_id=outcome["id"],
    )
    submitted = await owner.client.post(
        f"{plan_url(plan_id)}/submit",
        json={"organisation_id": str(council), "share_with_organisation": True},
    )
    assert submitted.status_code == 200, submitted.text
    await decide_outcomes(authoriser.client, plan_id)
    digest = (await _status(authoriser, plan_id))["submitted_hash"]
    done = await authoriser.client.post(
        f"{plan_url(plan_id)}/authorise-plan", json={"version_hash": digest}
    )
    assert done.status_code == 200, done.text
    return plan_id


async def test_the_spending_limit_counts_the_yearly_cost_and_one_off_costs_this_year(
    people, council
) -> None:  # type: ignore[no-untyped-def]
    budget = people["budget"]
    plan_id = await _with_one_off_authorised(people, council)
    await set_allocation(budget.client, plan_id, PLAN_ANNUAL_PENCE + 50_000)
    mine = await _status(people["owner"], plan_id)
    assert mine["annual_cost_pence"] == PLAN_ANNUAL_PENCE
    assert mine["one_off_this_year_pence"] == 50_000
    digest = mine["submitted_hash"]
    refused = await budget.client.post(
        f"{plan_url(plan_id)}/authorise-budget", json={"version_hash": digest}
    )
    body = assert_problem(
        refused,
        403,
        "£11,764.00 this year",
        "£11,264.00 a year of recurring support",
        "£500.00 one-off this year",
        "£11,300.00",
    )
    assert body["this_year_pence"] == 1_176_400 and body["one_off_this_year_pence"] == 50_000
    assert (await _status(people["owner"], plan_id))["state"] == "plan_authorised"
    # The tray says so before the authoriser opens it: above their limit this year.
    tray = await budget.client.get(
        f"/api/v1/organisations/{council}/trays/budget_authorisation?per_page=100"
    )
    item = next(i for i in tray.json()["items"] if i["plan_id"] == plan_id)
    assert item["annual_cost_pence"] == PLAN_ANNUAL_PENCE and item["within_my_limit"] is False
    # The decide page shows the one-off cost beside the yearly cost, and the limit against both.
    page = (await budget.client.get(f"/plans/{plan_id}/decide")).text
    assert "One-off this year" in page and "£11,764.00" in page
    assert "This plan costs more than you can approve" in page


async def test_the_allocation_is_checked_against_this_years_cost(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, rich = people["owner"], people["rich"]
    plan_id = await _with_one_off_authorised(people, council)
    # The allocation equals the yearly cost alone: the one-off £500 is a variation this year.
    await set_allocation(rich.client, plan_id, PLAN_ANNUAL_PENCE)
    digest = (await _status(rich, plan_id))["submitted_hash"]
    no_reason = await rich.client.post(
        f"{plan_url(plan_id)}/authorise-budget", json={"version_hash": digest}
    )
    assert_problem(no_reason, 422, "£500.00 this year more", "one-off this year")
    assert (await _status(owner, plan_id))["state"] == "plan_authorised"
    # Set to the cost this year, no reason is needed.
    await set_allocation(rich.client, plan_id, PLAN_ANNUAL_PENCE + 50_000)
    agreed = await rich.client.post(
        f"{plan_url(plan_id)}/authorise-budget", json={"version_hash": digest}
    )
    assert agreed.status_code == 200, agreed.text
    # The printed copy shows the one-off cost this year, apart from the yearly cost.
    pdf = await fetch_pdf(owner, plan_id)
    text = squash(pdf.text())
    pdf.close()
    assert "One-off this year" in text and "£500.00 one-off this year" in text
    assert "Cost this year" in text and "£11,764.00" in text
