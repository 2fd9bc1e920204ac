"""One revision of a section can be read on its own, by whoever may read the section."""

from __future__ import annotations

from .helpers import change_section, create_plan, plan_url


async def test_one_revision_reads_as_it_was_written(author, outsider) -> None:
    c = author.client
    plan = await create_plan(c)
    await change_section(c, plan["id"], "starting_point", what_i_enjoy="Swimming")
    await change_section(c, plan["id"], "starting_point", what_i_enjoy="Gardening")
    url = f"{plan_url(plan['id'])}/sections/starting_point/revisions"

    first = await c.get(f"{url}/1")
    assert first.status_code == 200
    assert first.json()["version"] == 1
    assert first.json()["content"]["what_i_enjoy"] == "Swimming"
    assert first.json()["changed_fields"] == ["what_i_enjoy"]

    missing = await c.get(f"{url}/9")
    assert missing.status_code == 404
    assert "no version 9" in missing.json()["detail"]

    hidden = await outsider.client.get(f"{url}/1")
    assert hidden.status_code == 404
    assert "Swimming" not in hidden.text
