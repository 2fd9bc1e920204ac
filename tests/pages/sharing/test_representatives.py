"""The representative pages over HTTP, as a browser without JavaScript would use them: the
person records who speaks for them, within what that authority covers, and ends the record.

Each test starts its own plan.
"""

from __future__ import annotations

import re

from tests.api.helpers import create_plan
from tests.pages.sharing.helpers import assert_page, error_summary, submit

# --- who speaks for the person --------------------------------------------------------------


async def test_a_representative_wider_than_their_authority_is_refused(owner, carer) -> None:
    plan = await create_plan(owner.client)
    url = f"/plans/{plan['id']}/sharing/representatives/new"
    form = assert_page(await owner.client.get(url))
    assert "Covers money only" in form and "Covers every section except money" in form

    data = {
        "email": carer.email,
        "authority": "lpa_property_financial",
        "authority_reference": "LPA-123",
        "relationship": "My daughter",
        "sections": ["about_me", "money"],
        "powers": ["view"],
        "how_decisions_are_reached": "We talk it through together",
    }
    refused = await submit(owner.client, url, data)
    page = assert_page(refused, 400)
    [(href, message)] = error_summary(page)
    assert href == "#sections" and "does not cover About me" in message
    assert "We talk it through together" in page and 'value="LPA-123"' in page
    sharing = assert_page(await owner.client.get(f"/plans/{plan['id']}/sharing"))
    assert "Nobody is recorded as speaking for you." in sharing

    recorded = await submit(
        owner.client,
        url,
        {
            **data,
            "authority": "lpa_health_welfare",
            "sections": ["about_me", "staying_safe"],
            "powers": ["view", "edit", "share"],
        },
    )
    assert recorded.status_code == 303, recorded.text[:2000]
    sharing = assert_page(await owner.client.get(recorded.headers["location"]))
    assert "Representative recorded" in sharing
    assert "Lasting power of attorney for health and welfare" in sharing
    overview = assert_page(await owner.client.get(f"/plans/{plan['id']}"))
    assert "Who speaks for you" in overview and "We talk it through together" in overview
    seen = assert_page(await carer.client.get(f"/plans/{plan['id']}"))
    assert "Who speaks for Owner" in seen
    assert "Who can see Owner's plan" in seen
    # Someone who speaks for the person, with the power to share, manages sharing for them.
    theirs = assert_page(await carer.client.get(f"/plans/{plan['id']}/sharing"))
    assert "Who can see Owner's plan" in theirs
    assert "Record someone who speaks for Owner" in theirs

    end_url = re.search(r'href="(/plans/[^"]+/representatives/[^"]+/end)"', sharing)
    assert end_url
    ended = await submit(owner.client, end_url.group(1), {"reason": "No longer needed"})
    assert ended.status_code == 303
    assert "Nobody is recorded" in assert_page(await owner.client.get(ended.headers["location"]))
    assert_page(await carer.client.get(f"/plans/{plan['id']}"), 404)
