"""Money through the API: every frequency normalised to weekly and annual pence, and plan totals.

Every expected figure is worked out by hand in the comment beside it: a year is 52 weeks,
26 fortnights, 13 four-week periods or 12 months; a weekly
figure rounds to the nearest penny, halves up. A one-off cost is paid once: it has no weekly or
yearly figure, and is counted apart, as one-off this year.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import add_row, change_section, create_plan, if_match, patch_row, plan_url

# (cost in pence, frequency, annual pence, weekly pence)
ITEMS = [
    (12_345, "weekly", 641_940, 12_345),  # 12,345 x 52
    (100_000_000, "weekly", 5_200_000_000, 100_000_000),  # £1,000,000 a week: the most allowed
    (20_000, "fortnightly", 520_000, 10_000),  # 20,000 x 26
    (101, "fortnightly", 2_626, 51),  # 2,626 / 52 = 50.5, rounds up
    (10_001, "four_weekly", 130_013, 2_500),  # 130,013 / 52 = 2,500.25
    (10_002, "four_weekly", 130_026, 2_501),  # 130,026 / 52 = 2,500.5, rounds up
    (10_000, "monthly", 120_000, 2_308),  # 120,000 / 52 = 2,307.69
    (433_333_333, "monthly", 5_199_999_996, 100_000_000),  # 99,999,999.92: just under the limit
    (1_000_000, "annual", 1_000_000, 19_231),  # 19,230.77
    (78, "annual", 78, 2),  # 1.5 rounds up
]


@pytest.mark.parametrize(("cost", "frequency", "annual", "weekly"), ITEMS)
async def test_a_support_item_shows_its_weekly_and_annual_cost(
    author, cost: int, frequency: str, annual: int, weekly: int
) -> None:
    c = author.client
    plan = await create_plan(c)
    url = f"{plan_url(plan['id'])}/support-items"
    item = await add_row(
        c, plan["id"], "support-items", description="Support", cost_pence=cost, frequency=frequency
    )
    expected = {
        "cost_pence": cost,
        "frequency": frequency,
        "annual_pence": annual,
        "weekly_pence": weekly,
    }
    assert {k: item[k] for k in expected} == expected
    read = (await c.get(f"{url}/{item['id']}")).json()
    assert {k: read[k] for k in expected} == expected
    [listed] = (await c.get(url)).json()
    assert {k: listed[k] for k in expected} == expected
    money = (await c.get(plan_url(plan["id"]))).json()["money"]
    assert (money["total_annual_pence"], money["total_weekly_pence"]) == (annual, weekly)
    assert money["item_count"] == 1
    # No allocation yet: nothing to compare with.
    assert money["allocation_pence"] is None
    assert money["difference_annual_pence"] is None
    assert money["over_allocation"] is False


async def test_plan_totals_against_an_allocation_follow_every_change(author) -> None:
    c = author.client
    plan = await create_plan(c)
    plan_id = plan["id"]
    await change_section(
        c,
        plan_id,
        "money",
        allocation_pence=220_000,
        allocation_frequency="monthly",
        holding=["direct_payment"],
    )
    items: dict[str, dict[str, Any]] = {}
    for cost, frequency in [
        (50_000, "one_off"),  # 50,000 once, this year
        (20_000, "weekly"),  # 1,040,000
        (15_000, "fortnightly"),  # 390,000
        (40_000, "four_weekly"),  # 520,000
        (30_000, "monthly"),  # 360,000
        (120_000, "annual"),  # 120,000
    ]:
        items[frequency] = await add_row(
            c, plan_id, "support-items", description=frequency, cost_pence=cost, frequency=frequency
        )

    async def money() -> dict[str, Any]:
        result: dict[str, Any] = (await c.get(plan_url(plan_id))).json()["money"]
        return result

    # Recurring 2,430,000 a year and 50,000 one-off: 2,480,000 this year; allocation
    # 220,000 x 12 = 2,640,000 a year.
    assert await money() == {
        "allocation_pence": 220_000,
        "allocation_frequency": "monthly",
        "allocation_weekly_pence": 50_769,  # 2,640,000 / 52 = 50,769.23
        "allocation_annual_pence": 2_640_000,
        "total_weekly_pence": 46_731,  # 2,430,000 / 52 = 46,730.77
        "total_annual_pence": 2_430_000,
        "one_off_this_year_pence": 50_000,
        "this_year_pence": 2_480_000,
        "difference_annual_pence": 160_000,
        "item_count": 6,
        "one_off_count": 1,
        "over_allocation": False,
    }

    # The weekly PA goes up to 24,000: 1,248,000 a year, so 2,638,000 a year and 2,688,000
    # this year with the one-off.
    await patch_row(c, plan_id, "support-items", items["weekly"], cost_pence=24_000)
    over = await money()
    assert over["total_annual_pence"] == 2_638_000
    assert over["total_weekly_pence"] == 50_731  # 50,730.77
    assert over["this_year_pence"] == 2_688_000
    assert over["difference_annual_pence"] == -48_000
    assert over["over_allocation"] is True

    # Removing the one-off 50,000 brings the total to 2,638,000: 2,000 under again.
    one_off = items["one_off"]
    deleted = await c.delete(
        f"{plan_url(plan_id)}/support-items/{one_off['id']}", headers=if_match(1)
    )
    assert deleted.status_code == 204
    under = await money()
    assert under["one_off_this_year_pence"] == 0
    assert under["this_year_pence"] == under["total_annual_pence"] == 2_638_000
    assert under["total_weekly_pence"] == 50_731  # 50,730.77
    assert under["difference_annual_pence"] == 2_000
    assert under["over_allocation"] is False
    assert under["item_count"] == 5

    # A weekly allocation of 50,731 is 2,638,012 a year: 12 pence to spare.
    await change_section(
        c, plan_id, "money", allocation_pence=50_731, allocation_frequency="weekly"
    )
    weekly = await money()
    assert weekly["allocation_weekly_pence"] == 50_731
    assert weekly["allocation_annual_pence"] == 2_638_012
    assert weekly["difference_annual_pence"] == 12
    assert weekly["over_allocation"] is False

    # Exactly the allocation is not over it.
    await change_section(
        c, plan_id, "money", allocation_pence=2_638_000, allocation_frequency="annual"
    )
    exact = await money()
    assert (exact["difference_annual_pence"], exact["over_allocation"]) == (0, False)
    assert exact["allocation_weekly_pence"] == 50_731


async def test_the_total_is_worked_out_from_exact_yearly_figures_not_rounded_weeks(author) -> None:
    c = author.client
    plan = await create_plan(c)
    for _ in range(2):
        item = await add_row(
            c,
            plan["id"],
            "support-items",
            description="Taxi",
            cost_pence=101,
            frequency="fortnightly",
        )
        assert item["weekly_pence"] == 51  # 50.5 each, rounded up
    money = (await c.get(plan_url(plan["id"]))).json()["money"]
    # 2 x 2,626 = 5,252 a year, exactly 101 a week, not 51 + 51 = 102.
    assert money["total_annual_pence"] == 5_252
    assert money["total_weekly_pence"] == 101


async def test_changing_the_frequency_of_an_item_renormalises_it(author) -> None:
    c = author.client
    plan = await create_plan(c)
    item = await add_row(
        c, plan["id"], "support-items", description="Gym", cost_pence=2_600, frequency="monthly"
    )
    assert (item["annual_pence"], item["weekly_pence"]) == (31_200, 600)  # 2,600 x 12; / 52
    item = await patch_row(c, plan["id"], "support-items", item, frequency="four_weekly")
    assert (item["annual_pence"], item["weekly_pence"]) == (33_800, 650)  # 2,600 x 13; / 52
    item = await patch_row(c, plan["id"], "support-items", item, frequency="annual")
    assert (item["annual_pence"], item["weekly_pence"]) == (2_600, 50)  # 2,600 / 52


async def test_a_yearly_cost_beyond_32_bits_is_stored_exactly(author) -> None:
    # £30m a year is within £1m a week, and more pence than a 32-bit column holds.
    c = author.client
    plan = await create_plan(c)
    item = await add_row(
        c,
        plan["id"],
        "support-items",
        description="Residential care",
        cost_pence=3_000_000_000,
        frequency="annual",
    )
    read = (await c.get(f"{plan_url(plan['id'])}/support-items/{item['id']}")).json()
    assert read["cost_pence"] == 3_000_000_000
    assert read["weekly_pence"] == 57_692_308  # 3,000,000,000 / 52, rounded half up
    totals = (await c.get(plan_url(plan["id"]))).json()["money"]
    assert totals["total_annual_pence"] == 3_000_000_000
