"""Package changes answer to the budget and to whose support it is (issue 13).

The chain that broke it: a plan agreed at £12,794 a year, then provider changes confirmed one
after another until it cost £19,346, above the allocation and above the budget authoriser's
£15,000 limit, with no budget decision. Now a change above the agreed budget waits for budget
authorisation; a provider changes only its own lines, from the plan's own figures.

Real HTTP to the app, a real database; staff are real accounts with roles in a council.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.helpers import assert_problem
from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation, write_complete_plan
from tests.signoff.test_reviews_and_changes import PA_MORNINGS, H, url
from tests.signoff.test_sign_off import allocate, audit_rows, authorise_plan, status, submit

PA_THURSDAYS = "Personal assistant, 3 hours on Thursdays (singing group)"
TRANSPORT = "Community transport when my PA is off"
BREAKS = "Short breaks for Claire"
LIMIT = 1_500_000  # the budget authoriser's £15,000 a year
SENIOR_LIMIT = 2_500_000


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def homecare() -> str:
    """The provider organisation of the PA lines (a unique name for this run)."""
    name = f"Hillsborough Home Care {uuid.uuid4().hex[:6]}"
    await make_organisation(name, kind="provider")
    return name


@pytest.fixture(scope="module")
async def transport() -> str:
    name = f"Hillsborough Community Transport {uuid.uuid4().hex[:6]}"
    await make_organisation(name, kind="provider")
    return name


@pytest.fixture(scope="module")
async def people(app, council, homecare, transport) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    from portal.accounts.organisations import find_organisation

    names = [
        "owner",
        "authoriser",
        "budget",
        "senior",
        "coordinator",
        "manager",
        "provider",
        "rival",
        "helper",
    ]
    made = {name: await make_persona(app, name) for name in names}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", LIMIT)
    await give_role(made["senior"], council, "budget_authoriser", SENIOR_LIMIT)
    await give_role(made["coordinator"], council, "coordinator")
    await give_role(made["manager"], council, "team_manager")
    homecare_id = await find_organisation(homecare, "provider")
    transport_id = await find_organisation(transport, "provider")
    assert homecare_id and transport_id
    await give_role(made["provider"], homecare_id, "coordinator")
    await give_role(made["rival"], transport_id, "coordinator")
    yield made
    for persona in made.values():
        await persona.client.aclose()


async def lines(who: Persona, plan_id: str) -> dict[str, dict[str, Any]]:
    items = (await who.client.get(url(plan_id, "support-items"))).json()
    return {item["description"]: item for item in items}


async def patch_line(owner: Persona, plan_id: str, description: str, **values: Any) -> None:
    line = (await lines(owner, plan_id))[description]
    patched = await owner.client.patch(
        url(plan_id, f"support-items/{line['id']}"), json=values, headers={"If-Match": line["etag"]}
    )
    assert patched.status_code == 200, patched.text


async def agreed_at_12794(
    people: dict[str, Persona], council: uuid.UUID, homecare: str, transport: str
) -> str:
    """The issue's plan: £12,794 a year against an allocation of £18,500, agreed by the budget
    authoriser with the £15,000 limit. The PA lines are Hillsborough Home Care's, with their
    hours; the transport is the other provider's; the short breaks (no hours) are the home
    care's too. Both providers may comment on the money."""
    owner = people["owner"]
    plan_id = await write_complete_plan(owner.client)
    await patch_line(owner, plan_id, PA_MORNINGS, minutes_per_week=9 * H, provider=homecare)
    await patch_line(owner, plan_id, PA_THURSDAYS, minutes_per_week=3 * H, provider=homecare)
    await patch_line(owner, plan_id, TRANSPORT, provider=transport)
    added = await owner.client.post(
        url(plan_id, "support-items"),
        json={
            "description": BREAKS,
            "provider": homecare,
            "cost_pence": 153_000,
            "frequency": "annual",
            "outcome_id": (await lines(owner, plan_id))[PA_MORNINGS]["outcome_id"],
        },
    )
    assert added.status_code == 201, added.text
    for who in ("provider", "rival", "helper"):
        shared = await owner.client.post(
            url(plan_id, "grants"),
            json={
                "grantee_email": people[who].email,
                "sections": ["money", "outcomes"],
                "access": "comment",
                "purpose": "My support",
            },
        )
        assert shared.status_code == 201, shared.text
    await submit(owner, plan_id, council)
    await authorise_plan(people["authoriser"], plan_id)
    await allocate(people["budget"], plan_id)  # the council's £18,500, as the person noted it
    agreed = await authorise(people["budget"], plan_id, "The allocation allows for a PA rise")
    assert agreed.status_code == 200, agreed.text
    now = await status(owner, plan_id)
    assert now["state"] == "agreed" and now["versions"][0]["annual_cost_pence"] == 1_279_400
    return plan_id


async def authorise(who: Persona, plan_id: str, reason: str = "") -> Any:
    digest = (await status(who, plan_id))["submitted_hash"]
    return await who.client.post(
        url(plan_id, "authorise-budget"), json={"version_hash": digest, "variation_reason": reason}
    )


async def propose(who: Persona, plan_id: str, description: str, minutes: int, pence: int) -> Any:
    line = (await lines(who, plan_id))[description]
    return await who.client.post(
        url(plan_id, "package-changes"),
        json={
            "support_item_id": line["id"],
            "minutes_after": minutes,
            "weekly_cost_after_pence": pence,
            "reason": "After talking it through with Maggie",
        },
    )


async def confirm(who: Persona, plan_id: str, change: dict[str, Any]) -> Any:
    return await who.client.post(
        url(plan_id, f"package-changes/{change['id']}/decision"),
        json={"decision": "confirm", "reason": "Agreed with the provider"},
    )


async def changes_of(who: Persona, plan_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await who.client.get(url(plan_id, "package-changes"))).json()
    return found


async def refused(plan_id: str, action: str) -> list[dict[str, Any]]:
    return [
        row
        for row in await audit_rows(plan_id)
        if row["action"] == action and row["outcome"] == "refused"
    ]


async def test_the_chain_of_changes_ends_in_budget_authorisation(  # type: ignore[no-untyped-def]
    people, council, homecare, transport
) -> None:
    plan_id = await agreed_at_12794(people, council, homecare, transport)
    owner, provider = people["owner"], people["provider"]
    coordinator, manager = people["coordinator"], people["manager"]

    # 1. Thursdays down from 3 hours to 2: less than the agreed budget, agreed at once.
    down = await propose(provider, plan_id, PA_THURSDAYS, 2 * H, 3_300)
    assert down.status_code == 201, down.text
    assert down.json()["route"] == "coordinator"
    assert down.json()["package_weekly_before_pence"] == 24_604  # £12,794 a year, every line
    done = await confirm(coordinator, plan_id, down.json())
    assert done.status_code == 200, done.text
    assert done.json()["budget_authorisation"] is False and done.json()["version_number"] == 2

    # 2. Back up to 3 hours: £12,794 again, not above the agreed budget, so agreed at once.
    up = await propose(provider, plan_id, PA_THURSDAYS, 3 * H, 4_950)
    assert up.status_code == 201, up.text
    assert (await confirm(coordinator, plan_id, up.json())).json()["budget_authorisation"] is False
    within = await status(owner, plan_id)
    assert within["state"] == "agreed" and within["agreed_version"] == 3
    v3 = within["versions"][0]
    assert v3["annual_cost_pence"] == 1_279_400 and v3["status"] == "agreed"
    # The version names who confirmed the change and whose change it was, not the person.
    assert v3["confirmed_by"] == "Coordinator" and v3["submitted_by"] == "Coordinator"
    assert v3["change_proposed_by"] == f"Provider of {homecare}"
    assert v3["package_change_id"] == up.json()["id"]
    assert within["versions"][-1]["confirmed_by"] is None  # version 1 was submitted
    assert within["versions"][-1]["submitted_by"] == "Owner"

    # 3. Mornings from 9 hours to 14, at a higher rate: £19,346 a year, above the agreed
    # budget, the allocation and the £15,000 limit. Five hours from the order is within the
    # hours, but the package goes above the top band, so a team manager decides.
    big = await propose(provider, plan_id, PA_MORNINGS, 14 * H, 27_450)
    assert big.status_code == 201, big.text
    assert big.json()["route"] == "team_manager"
    assert big.json()["package_ordered_minutes"] == 12 * H
    assert big.json()["package_minutes_after"] == 17 * H
    assert_problem(await confirm(coordinator, plan_id, big.json()), 403, "team manager")
    sent = await confirm(manager, plan_id, big.json())
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "confirmed" and sent.json()["budget_authorisation"] is True

    # Not agreed: version 4 waits in the budget authorisation tray; version 3 stays the plan.
    waiting = await status(owner, plan_id)
    assert waiting["state"] == "plan_authorised"
    assert waiting["agreed_version"] == 3 and waiting["submitted_version"] == 4
    v4 = waiting["versions"][0]
    assert v4["status"] == "plan_authorised" and v4["annual_cost_pence"] == 1_934_600
    assert v4["agreed_by"] is None and v4["confirmed_by"] == "Manager"
    tray = await people["budget"].client.get(
        f"/api/v1/organisations/{council}/trays/budget_authorisation?per_page=100"
    )
    [item] = [i for i in tray.json()["items"] if i["plan_id"] == plan_id]
    assert item["annual_cost_pence"] == 1_934_600 and item["within_my_limit"] is False
    # Nothing more can be changed while the budget is being decided.
    assert_problem(await propose(provider, plan_id, PA_THURSDAYS, 2 * H, 3_300), 409, "agreed")

    # The budget authoriser with the £15,000 limit cannot authorise £19,346.
    over = await authorise(people["budget"], plan_id, "The PA needs more hours")
    assert_problem(over, 403, "£19,346.00", "£15,000.00")
    assert (await status(owner, plan_id))["state"] == "plan_authorised"
    assert await refused(plan_id, "authorise_budget")
    # One with a higher limit can, saying why it differs from the £18,500 allocation.
    assert_problem(await authorise(people["senior"], plan_id), 422, "allocation")
    ok = await authorise(people["senior"], plan_id, "Mornings need two more hours")
    assert ok.status_code == 200, ok.text
    agreed = await status(owner, plan_id)
    assert agreed["state"] == "agreed" and agreed["agreed_version"] == 4
    assert agreed["versions"][0]["agreed_by"] == "Senior"

    # 4. Within the new budget of £19,346, a change is agreed at once again.
    less = await propose(provider, plan_id, PA_MORNINGS, 13 * H, 25_500)
    assert less.status_code == 201, less.text
    assert (await confirm(manager, plan_id, less.json())).json()["budget_authorisation"] is False
    assert (await status(owner, plan_id))["agreed_version"] == 5
    decisions = [
        row["to_state"]
        for row in await audit_rows(plan_id)
        if row["action"] == "confirm_change" and row["outcome"] == "done"
    ]
    assert decisions == ["agreed", "agreed", "plan_authorised", "agreed"]


async def test_a_providers_change_to_another_providers_line_is_refused(  # type: ignore[no-untyped-def]
    people, council, homecare, transport
) -> None:
    plan_id = await agreed_at_12794(people, council, homecare, transport)
    rival, helper = people["rival"], people["helper"]
    # The transport provider may comment on the money, but the PA line is the home care's.
    attempt = await propose(rival, plan_id, PA_MORNINGS, 10 * H, 16_500)
    body = assert_problem(attempt, 403, homecare, transport)
    assert body["title"] == "Not your support to change"
    # Someone with a grant who is nobody's provider cannot change any line.
    assert_problem(
        await propose(helper, plan_id, PA_MORNINGS, 10 * H, 16_500), 403, "not staff of a provider"
    )
    # Nothing was saved; both attempts are in the audit trail.
    assert await changes_of(people["owner"], plan_id) == []
    assert (await lines(people["owner"], plan_id))[PA_MORNINGS]["minutes_per_week"] == 9 * H
    assert len(await refused(plan_id, "propose_change")) == 2
    # The home care's own staff may; so may the person, on any line of their plan.
    assert (
        await propose(people["provider"], plan_id, PA_MORNINGS, 10 * H, 16_500)
    ).status_code == 201
    mine = await propose(people["owner"], plan_id, PA_THURSDAYS, 2 * H, 3_300)
    assert mine.status_code == 201, mine.text
    assert mine.json()["proposer_organisation_id"] is None


async def test_a_provider_name_two_organisations_share_is_nobodys(  # type: ignore[no-untyped-def]
    app, people, council, homecare, transport
) -> None:
    plan_id = await agreed_at_12794(people, council, homecare, transport)
    twin = await make_persona(app, "twin")
    try:
        # Another organisation with the transport provider's name: the line no longer says
        # which of them provides it, so neither may change it.
        other = await make_organisation(transport, kind="provider")
        await give_role(twin, other, "coordinator")
        answer = await propose(people["rival"], plan_id, TRANSPORT, 60, 600)
        assert_problem(answer, 403, "more than one provider organisation")
        assert await changes_of(people["owner"], plan_id) == []
    finally:
        await twin.client.aclose()
        from portal.accounts.tables import Organisation, StaffRole

        await StaffRole.delete().where(StaffRole.organisation == other)
        await Organisation.delete().where(Organisation.id == other)


async def test_the_baseline_is_the_plans_and_a_line_without_hours_cannot_change_by_hours(  # type: ignore[no-untyped-def]
    people, council, homecare, transport
) -> None:
    plan_id = await agreed_at_12794(people, council, homecare, transport)
    provider = people["provider"]
    line = (await lines(provider, plan_id))[PA_MORNINGS]
    # A baseline typed by the proposer is refused, whatever it says.
    for typed in ({"minutes_before": 30 * H}, {"weekly_cost_before_pence": 1}):
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
    # The change starts from the agreed plan's figures.
    made = await propose(provider, plan_id, PA_MORNINGS, 10 * H, 16_500)
    assert made.status_code == 201, made.text
    assert made.json()["minutes_before"] == 9 * H and made.json()["ordered_minutes"] == 9 * H
    assert made.json()["weekly_cost_before_pence"] == 14_850

    # The short breaks are the home care's, but the plan records no hours for them.
    no_hours = await propose(provider, plan_id, BREAKS, 2 * H, 4_000)
    assert_problem(no_hours, 409, "no hours", "review")
    assert len(await changes_of(provider, plan_id)) == 1
    assert await refused(plan_id, "propose_change")
    # The OpenAPI document offers no baseline fields either.
    schema = (await provider.client.get("/api/v1/schema/openapi.json")).json()
    create = schema["components"]["schemas"]["PackageChangeCreate"]["properties"]
    assert "minutes_before" not in create and "weekly_cost_before_pence" not in create


async def test_changes_each_within_tolerance_cannot_together_go_round_it(  # type: ignore[no-untyped-def]
    people, council, homecare, transport
) -> None:
    plan_id = await agreed_at_12794(people, council, homecare, transport)
    provider, coordinator = people["provider"], people["coordinator"]
    # Two changes proposed at once, 4 and 2 hours less: each within the 5 hours on its own.
    first = (await propose(provider, plan_id, PA_MORNINGS, 5 * H, 13_000)).json()
    second = (await propose(provider, plan_id, PA_THURSDAYS, 1 * H, 4_000)).json()
    assert first["route"] == second["route"] == "coordinator", (first, second)
    assert (await confirm(coordinator, plan_id, first)).status_code == 200
    # With the first confirmed, the second moves the package 6 hours from the order.
    late = await confirm(coordinator, plan_id, second)
    assert_problem(late, 409, "outside tolerance", "team manager")
    [now] = [c for c in await changes_of(coordinator, plan_id) if c["id"] == second["id"]]
    assert now["route"] == "team_manager" and now["status"] == "open"
    assert any("6 hours" in reason for reason in now["route_reasons"])
    assert (await confirm(people["manager"], plan_id, second)).status_code == 200
