"""Nobody but the person (or who speaks for them) sees the sharing pages, and they need
sign-in.

Each test starts its own plan.
"""

from __future__ import annotations

from tests.api.helpers import create_plan
from tests.pages.sharing.helpers import assert_page, csrf_token, share, share_data

# --- nobody else sees the sharing pages -----------------------------------------------------


async def test_only_the_person_sees_the_sharing_pages(owner, planner, stranger) -> None:
    plan = await create_plan(owner.client)
    grant_id = await share(owner, plan["id"], planner, ["about_me"])
    base = f"/plans/{plan['id']}"
    pages = [
        f"{base}/sharing",
        f"{base}/sharing/new",
        f"{base}/sharing/invite",
        f"{base}/sharing/representatives/new",
        f"{base}/sharing/grants/{grant_id}",
        f"{base}/sharing/grants/{grant_id}/stop",
        f"{base}/sharing/grants/{grant_id}/history",
        f"{base}/sharing/grants/{grant_id}/preview",
        f"{base}/access-log",
    ]
    for url in pages:
        assert_page(await stranger.client.get(url), 404)
        refused = assert_page(await planner.client.get(url), 403)
        assert "Only the person whose plan this is" in refused, url

    token = csrf_token((await planner.client.get("/plans")).text)
    for url in (f"{base}/sharing/new", f"{base}/sharing/grants/{grant_id}/stop"):
        post = await planner.client.post(
            url, data={**share_data(planner.email, ["money"]), "_csrf_token": token}
        )
        assert_page(post, 403)
    stranger_token = csrf_token((await stranger.client.get("/plans")).text)
    post = await stranger.client.post(
        f"{base}/sharing/new",
        data={**share_data(stranger.email, ["money"]), "_csrf_token": stranger_token},
    )
    assert_page(post, 404)
    grants = (await owner.client.get(f"/api/v1/plans/{plan['id']}/grants")).json()
    assert [g["sections"] for g in grants] == [["about_me"]]
    assert grants[0]["status"] == "active"


async def test_the_sharing_pages_need_sign_in(client, owner) -> None:
    plan = await create_plan(owner.client)
    response = await client.get(f"/plans/{plan['id']}/sharing")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
