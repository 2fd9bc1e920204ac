"""Reviews, package changes and outcome decisions through the API, on agreed plans.

Real HTTP to the app, a real database; staff are real accounts with roles in a council.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from portal.accounts.tables import Organisation
from portal.audit.trail import verify
from portal.plans.tables import Plan
from tests.api.helpers import assert_problem, plan_url
from tests.conftest import Persona, make_persona
from tests.factories import actor_of, give_role, make_organisation, write_complete_plan
from tests.signoff.test_sign_off import authorise_budget, authorise_plan, status, submit

PA_MORNINGS = "Personal assistant, 9 hours a week (mornings)"  # £148.50 a week, 9 hours
H = 60


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    names = [
        "owner",
        "authoriser",
        "budget",
        "coordinator",
        "manager",
        "admin",
        "provider",
        "stranger",
    ]
    made = {name: await make_persona(app, name) for name in names}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", 10_000_000)
    await give_role(made["coordinator"], council, "coordinator")
    await give_role(made["manager"], council, "team_manager")
    await give_role(made["admin"], council, "admin")
    provider_org = await make_organisation(kind="provider")
    await give_role(made["provider"], provider_org, "coordinator")
    yield made
    for persona in made.values():
        await persona.client.aclose()


def url(plan_id: str, path: str) -> str:
    return f"{plan_url(plan_id)}/{path}"


async def provider_name(who: Persona) -> str:
    """The name of the provider organisation this persona works for."""
    ids = [role.organisation_id for role in (await actor_of(who)).roles]
    rows = await Organisation.raw(
        'SELECT "id", "name", "kind" FROM "organisation" WHERE "kind" = {}', "provider"
    )
    names = [row["name"] for row in rows if uuid.UUID(str(row["id"])) in ids]
    assert len(names) == 1, names
    return str(names[0])


async def agreed_plan(people: dict[str, Persona], council: uuid.UUID, **budget: Any) -> str:
    """A complete plan whose PA line records its hours and is provided by the provider's
    organisation, agreed by the council, shared with the provider (comment on the money,
    view of the rest)."""
    owner = people["owner"]
    plan_id = await write_complete_plan(owner.client)
    items = (await owner.client.get(url(plan_id, "support-items"))).json()
    line = next(i for i in items if i["description"] == PA_MORNINGS)
    patched = await owner.client.patch(
        url(plan_id, f"support-items/{line['id']}"),
        json={"minutes_per_week": 9 * H, "provider": await provider_name(people["provider"])},
        headers={"If-Match": line["etag"]},
    )
    assert patched.status_code == 200, patched.text
    shared = await owner.client.post(
        url(plan_id, "grants"),
        json={
            "grantee_email": people["provider"].email,
            "sections": ["money", "outcomes"],
            "access": "comment",
            "purpose": "My care provider",
        },
    )
    assert shared.status_code == 201, shared.text
    await submit(owner, plan_id, council)
    await authorise_plan(people["authoriser"], plan_id)
    await authorise_budget(people["budget"], plan_id, **budget)
    return plan_id


async def pa_line(who: Persona, plan_id: str) -> dict[str, Any]:
    items = (await who.client.get(url(plan_id, "support-items"))).json()
    found: dict[str, Any] = next(i for i in items if i["description"] == PA_MORNINGS)
    return found


async def propose(
    who: Persona, plan_id: str, line: dict[str, Any], minutes_after: int, weekly_after: int
) -> Any:
    return await who.client.post(
        url(plan_id, "package-changes"),
        json={
            "support_item_id": line["id"],
            "minutes_after": minutes_after,
            "weekly_cost_after_pence": weekly_after,
            "reason": "After the review with Maggie: mornings take longer now",
        },
    )


async def test_a_review_request_opens_a_new_draft_that_is_agreed_again(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, coordinator = people["owner"], people["coordinator"]
    review_on = dt.date.today() + dt.timedelta(days=90)
    plan_id = await agreed_plan(people, council, review_date=review_on.isoformat())
    agreed = await status(owner, plan_id)
    assert agreed["review_date"] == review_on.isoformat() and agreed["agreed_version"] == 1

    # Before the review date a request needs a reason.
    early = await owner.client.post(url(plan_id, "review-requests"), json={})
    assert_problem(early, 422, "say why")
    asked = await owner.client.post(
        url(plan_id, "review-requests"), json={"reason": "My breathing is worse this winter"}
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["early"] is True and asked.json()["role"] == "person"

    # The coordinator sees it in the review requests tray, and starts the review.
    tray = await coordinator.client.get(
        f"/api/v1/organisations/{council}/trays/review_requests?per_page=100"
    )
    assert plan_id in {item["plan_id"] for item in tray.json()["items"]}
    assert_problem(
        await owner.client.post(url(plan_id, "start-review"), json={}), 403, "your own plan"
    )
    started = await coordinator.client.post(
        url(plan_id, "start-review"), json={"note": "Visit booked"}
    )
    assert started.status_code == 200, started.text
    assert started.json() == {
        "plan_id": plan_id,
        "state": "draft",
        "agreed_version": 1,
        "requests_answered": 1,
    }
    requests = (await owner.client.get(url(plan_id, "review-requests"))).json()
    assert [r["status"] for r in requests] == ["started"]
    again = await coordinator.client.post(url(plan_id, "start-review"), json={})
    assert_problem(again, 409, "draft")

    # The new draft goes through sign-off again and becomes version 2.
    await submit(owner, plan_id, council)
    assert_problem(
        await owner.client.post(
            url(plan_id, "submit"),
            json={"organisation_id": str(council), "share_with_organisation": True},
        ),
        409,
    )
    await authorise_plan(people["authoriser"], plan_id)
    final = await authorise_budget(people["budget"], plan_id)
    assert final["agreed_version"] == 2 and final["state"] == "agreed"
    assert [d["action"] for d in final["decisions"]][:4] == [
        "authorise_budget",
        "authorise_plan",
        "submit",
        "start_review",
    ]
    assert (await verify()).ok


async def test_who_may_ask_for_a_review(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await agreed_plan(people, council)
    for who, role in (("provider", "co-author"), ("coordinator", "coordinator")):
        asked = await people[who].client.post(
            url(plan_id, "review-requests"), json={"reason": "Needs have changed"}
        )
        assert asked.status_code == 201, asked.text
        assert asked.json()["role"] == role
    refused = await people["stranger"].client.post(
        url(plan_id, "review-requests"), json={"reason": "Let me in"}
    )
    assert_problem(refused, 404)
    log = (await people["owner"].client.get(url(plan_id, "access-log"))).json()
    assert any(e["event"] == "refused" and e["who"] == "Stranger" for e in log)
    # A draft that was never agreed has nothing to review.
    draft = await write_complete_plan(people["owner"].client)
    assert_problem(
        await people["owner"].client.post(url(draft, "review-requests"), json={"reason": "x"}),
        409,
        "not been agreed",
    )


async def test_review_trays_show_due_and_overdue_reviews(people, council) -> None:  # type: ignore[no-untyped-def]
    soon = await agreed_plan(
        people, council, review_date=(dt.date.today() + dt.timedelta(days=10)).isoformat()
    )
    later = await agreed_plan(
        people, council, review_date=(dt.date.today() + dt.timedelta(days=60)).isoformat()
    )
    overdue = await agreed_plan(people, council)
    # Time passes: that plan's review date is now behind us.
    await Plan.update({Plan.review_date: dt.date.today() - dt.timedelta(days=3)}).where(
        Plan.id == uuid.UUID(overdue)
    )
    coordinator = people["coordinator"]

    async def tray(name: str) -> set[str]:
        page = await coordinator.client.get(
            f"/api/v1/organisations/{council}/trays/{name}?per_page=100"
        )
        assert page.status_code == 200, page.text
        return {item["plan_id"] for item in page.json()["items"]}

    due = await tray("reviews_due")
    assert soon in due and later not in due and overdue not in due
    assert overdue in await tray("reviews_overdue")
    counts = {
        c["tray"]: c["count"]
        for c in (await coordinator.client.get(f"/api/v1/organisations/{council}/trays/")).json()
    }
    assert counts["reviews_due"] >= 1 and counts["reviews_overdue"] >= 1
    assert "changes_for_team_manager" not in counts  # a coordinator's trays


async def test_a_change_within_tolerance_is_confirmed_by_the_coordinator(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await agreed_plan(people, council)
    provider, coordinator = people["provider"], people["coordinator"]
    line = await pa_line(provider, plan_id)
    assert line["minutes_per_week"] == 9 * H and line["weekly_pence"] == 14_850
    # 9 → 10 hours and £148.50 → £165.00: one hour from the order, and though it crosses
    # into band 3 the cost rises by 11%, under 20%.
    proposed = await propose(provider, plan_id, line, 10 * H, 16_500)
    assert proposed.status_code == 201, proposed.text
    change = proposed.json()
    assert change["route"] == "coordinator" and change["route_reasons"] == []
    assert change["ordered_minutes"] == 9 * H

    tray = await coordinator.client.get(
        f"/api/v1/organisations/{council}/trays/changes_to_confirm?per_page=100"
    )
    assert plan_id in {item["plan_id"] for item in tray.json()["items"]}
    confirmed = await coordinator.client.post(
        url(plan_id, f"package-changes/{change['id']}/decision"),
        json={"decision": "confirm", "reason": "Agreed with the provider"},
    )
    assert confirmed.status_code == 200, confirmed.text
    new_line_id = confirmed.json()["new_support_item_id"]
    assert confirmed.json()["status"] == "confirmed" and new_line_id

    # The old line ended (its history kept); a new line started with the new figures.
    owner = people["owner"]
    now = await pa_line(owner, plan_id)
    assert now["id"] == new_line_id and now["id"] != line["id"]
    assert now["minutes_per_week"] == 10 * H and now["weekly_pence"] == 16_500
    history = (await owner.client.get(url(plan_id, f"support-items/{line['id']}/revisions"))).json()
    assert history[0]["deleted"] is True
    # It costs more than the agreed budget, so the new version waits for budget authorisation
    # while version 1 stays the agreed plan; once the budget is authorised, it is agreed.
    assert confirmed.json()["budget_authorisation"] is True
    waiting = await status(owner, plan_id)
    assert waiting["state"] == "plan_authorised" and waiting["agreed_version"] == 1
    assert {v["number"]: v["status"] for v in waiting["versions"]} == {
        1: "agreed",
        2: "plan_authorised",
    }
    await authorise_budget(people["budget"], plan_id)
    after = await status(owner, plan_id)
    assert after["state"] == "agreed" and after["agreed_version"] == 2
    assert {v["number"]: v["status"] for v in after["versions"]} == {1: "superseded", 2: "agreed"}
    twice = await coordinator.client.post(
        url(plan_id, f"package-changes/{change['id']}/decision"), json={"decision": "confirm"}
    )
    assert_problem(twice, 409, "already")


async def test_a_change_outside_tolerance_needs_a_team_manager(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await agreed_plan(people, council)
    provider = people["provider"]
    line = await pa_line(provider, plan_id)
    proposed = await propose(provider, plan_id, line, 15 * H, 24_750)
    assert proposed.status_code == 201, proposed.text
    change = proposed.json()
    assert change["route"] == "team_manager"
    assert any("6 hours" in reason for reason in change["route_reasons"])
    decision = url(plan_id, f"package-changes/{change['id']}/decision")
    assert_problem(
        await people["coordinator"].client.post(decision, json={"decision": "confirm"}),
        403,
        "team manager",
    )
    assert_problem(
        await people["manager"].client.post(decision, json={"decision": "decline"}),
        422,
        "why",
    )
    declined = await people["manager"].client.post(
        decision, json={"decision": "decline", "reason": "A full review is due next month"}
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert (await pa_line(people["owner"], plan_id))["id"] == line["id"]


async def test_figures_that_do_not_add_up_are_refused_and_nothing_is_saved(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await agreed_plan(people, council)
    provider = people["provider"]
    line = await pa_line(provider, plan_id)
    # The figures before the change are the plan's own: a body that brings its own is refused.
    for typed in ({"minutes_before": 8 * H}, {"weekly_cost_before_pence": 15_000}):
        sent = await provider.client.post(
            url(plan_id, "package-changes"),
            json={
                "support_item_id": line["id"],
                "minutes_after": 10 * H,
                "weekly_cost_after_pence": 16_500,
                "reason": "Mornings take longer",
                **typed,
            },
        )
        assert_problem(sent, 422, "not a field here")
    assert_problem(await propose(provider, plan_id, line, 10 * H, 14_000), 422, "other")
    assert_problem(await propose(provider, plan_id, line, 9 * H, 14_850), 422, "same")
    assert (await provider.client.get(url(plan_id, "package-changes"))).json() == []
    # Someone who may only read the plan cannot propose; someone who cannot see it learns nothing.
    assert_problem(await propose(people["stranger"], plan_id, line, 10 * H, 16_500), 404)


async def test_any_party_can_turn_a_change_into_a_review(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await agreed_plan(people, council)
    provider = people["provider"]
    change = (
        await propose(provider, plan_id, await pa_line(provider, plan_id), 10 * H, 16_500)
    ).json()
    turned = await people["owner"].client.post(
        url(plan_id, f"package-changes/{change['id']}/review"),
        json={"reason": "I would rather talk about all of my support"},
    )
    assert turned.status_code == 200, turned.text
    assert turned.json()["status"] == "review"
    requests = (await people["owner"].client.get(url(plan_id, "review-requests"))).json()
    assert requests[0]["package_change_id"] == change["id"] and requests[0]["status"] == "open"


async def test_the_organisation_sets_its_own_tolerance(app, people, council) -> None:  # type: ignore[no-untyped-def]
    org = await make_organisation(kind="council")
    admin = await make_persona(app, "tolerant")
    try:
        await give_role(admin, org, "admin")
        path = f"/api/v1/organisations/{org}/tolerance"
        seeded = (await admin.client.get(path)).json()
        assert seeded == {
            "organisation_id": str(org),
            "minutes": 300,
            "percent": 20,
            "bands_pence": [7_500, 15_000, 22_500, 30_000],
        }
        bad = await admin.client.put(
            path, json={"minutes": 120, "percent": 10, "bands_pence": [5_000, 4_000]}
        )
        assert_problem(bad, 422, "lowest first")
        changed = await admin.client.put(
            path, json={"minutes": 120, "percent": 10, "bands_pence": [10_000, 20_000]}
        )
        assert changed.status_code == 200 and changed.json()["minutes"] == 120
        assert (await admin.client.get(path)).json()["bands_pence"] == [10_000, 20_000]
        assert_problem(
            await people["coordinator"].client.put(
                f"/api/v1/organisations/{council}/tolerance",
                json={"minutes": 1, "percent": 1, "bands_pence": [1]},
            ),
            403,
            "admin",
        )
    finally:
        await admin.client.aclose()


async def test_staff_agree_or_decline_outcomes_and_the_person_sees_it(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await agreed_plan(people, council)
    owner, coordinator = people["owner"], people["coordinator"]
    outcomes = (await owner.client.get(url(plan_id, "outcomes"))).json()
    first, second = outcomes[0], outcomes[1]
    agreed = await coordinator.client.post(
        url(plan_id, f"outcome-decisions/{first['id']}"), json={"decision": "agreed"}
    )
    assert agreed.status_code == 200, agreed.text
    assert_problem(
        await coordinator.client.post(
            url(plan_id, f"outcome-decisions/{second['id']}"), json={"decision": "declined"}
        ),
        422,
        "why",
    )
    declined = await coordinator.client.post(
        url(plan_id, f"outcome-decisions/{second['id']}"),
        json={"decision": "declined", "reason": "The gym is not something the budget can fund"},
    )
    assert declined.status_code == 200, declined.text
    seen = {o["id"]: o for o in (await owner.client.get(url(plan_id, "outcomes"))).json()}
    assert seen[first["id"]]["status"] == "agreed"
    assert seen[first["id"]]["decided_by"] == "Coordinator"
    assert seen[second["id"]]["status"] == "declined"
    assert seen[second["id"]]["status_reason"].startswith("The gym")
    # A decision on an outcome is not the person changing their plan: it stays agreed.
    assert (await status(owner, plan_id))["state"] == "agreed"
    assert_problem(
        await owner.client.post(
            url(plan_id, f"outcome-decisions/{first['id']}"), json={"decision": "agreed"}
        ),
        403,
        "own plan",
    )
