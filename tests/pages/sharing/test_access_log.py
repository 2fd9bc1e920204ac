"""The access log over HTTP, as a browser without JavaScript would use it: the person reads
who has looked at their plan.

Each test starts its own plan.
"""

from __future__ import annotations

import re

from tests.api.helpers import create_plan
from tests.pages.sharing.helpers import assert_page, share

# --- who has looked -----------------------------------------------------------------------


async def test_the_access_log_lists_the_grantees_read(owner, planner) -> None:
    plan = await create_plan(owner.client)
    empty = assert_page(await owner.client.get(f"/plans/{plan['id']}/access-log"))
    assert "Nobody else has looked at your plan yet." in empty

    await share(owner, plan["id"], planner, ["about_me"])
    assert (await planner.client.get(f"/plans/{plan['id']}")).status_code == 200
    page = assert_page(await owner.client.get(f"/plans/{plan['id']}/access-log"))
    table = re.search(r"<table.*?</table>", page, re.S)
    assert table, "no table"
    assert "<th" in table.group(0) and "Which sections" in table.group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)[1:]
    texts = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]
    # Newest first: the planner's read, then the owner sharing.
    assert "Planner" in texts[0] and "Read" in texts[0] and "About me" in texts[0]
    assert any("Shared" in text and "Owner" in text for text in texts[1:])
    assert re.search(r"\d{1,2} \w+ \d{4} at \d{1,2}(:\d\d)?(am|pm)|midnight|midday", texts[0])
