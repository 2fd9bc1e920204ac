"""My plans: each plan's progress is its own, however many plans a person has."""

from __future__ import annotations

from .helpers import add_row, change_section, create_plan


async def test_each_listed_plan_counts_only_its_own_criteria(author, outsider) -> None:
    c = author.client
    empty = await create_plan(c)
    one = await create_plan(c)
    two = await create_plan(c)
    await change_section(
        c, one["id"], "starting_point", what_i_want_to_achieve="Swim", who_helped_me_plan="Jo"
    )
    await change_section(
        c, two["id"], "starting_point", what_i_want_to_achieve="Walk", who_helped_me_plan="Sam"
    )
    await change_section(c, two["id"], "working_not_working", working=["a"], not_working=["b"])
    await add_row(c, two["id"], "actions", what="Book", who="Jo", due_by="2027-01-01")
    # Another person's progress must never be counted in these plans.
    theirs = await create_plan(outsider.client)
    await change_section(
        outsider.client,
        theirs["id"],
        "important_to_for",
        important_to_me=["x"],
        important_for_me=["y"],
    )

    listed = {p["id"]: p["criteria_met"] for p in (await c.get("/api/v1/plans")).json()}
    assert listed.get(empty["id"]) == 0
    assert listed.get(one["id"]) == 1
    assert listed.get(two["id"]) == 3
    assert theirs["id"] not in listed
