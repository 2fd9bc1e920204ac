"""Removing an outcome unlinks what served it, and says so in each row's own history."""

from __future__ import annotations

from .helpers import add_row, create_plan, if_match, plan_url


async def test_removing_an_outcome_versions_the_rows_it_unlinks(author) -> None:
    c = author.client
    plan = await create_plan(c)
    base = plan_url(plan["id"])
    outcome = await add_row(c, plan["id"], "outcomes", title="Swim", how="With a PA")
    item = await add_row(
        c,
        plan["id"],
        "support-items",
        description="PA",
        cost_pence=6_400,
        frequency="weekly",
        outcome_id=outcome["id"],
    )
    action = await add_row(c, plan["id"], "actions", what="Book lessons", outcome_id=outcome["id"])

    removed = await c.delete(f"{base}/outcomes/{outcome['id']}", headers=if_match(1))
    assert removed.status_code == 204

    for url, row in (("support-items", item), ("actions", action)):
        now = (await c.get(f"{base}/{url}/{row['id']}")).json()
        assert now["outcome_id"] is None
        assert now["version"] == 2
        history = (await c.get(f"{base}/{url}/{row['id']}/revisions")).json()
        assert [r["version"] for r in history] == [2, 1]
        assert history[0]["changed_fields"] == ["outcome_id"]
        assert history[0]["content"]["outcome_id"] is None
        assert history[1]["content"]["outcome_id"] == outcome["id"]

    # Someone still holding the old ETag who relinks the item is told it changed.
    other = await add_row(c, plan["id"], "outcomes", title="Walk")
    stale = await c.patch(
        f"{base}/support-items/{item['id']}", json={"outcome_id": other["id"]}, headers=if_match(1)
    )
    assert stale.status_code == 409
    assert stale.json()["conflicting_fields"] == ["outcome_id"]
    assert stale.json()["current"]["outcome_id"] is None
