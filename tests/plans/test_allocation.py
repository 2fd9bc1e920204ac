"""The allocation is the organisation's figure: staff of the signing-off organisation set the
indicative allocation sign-off checks; the person notes what they were told, and cannot move the
organisation's figure (nor escape the variation check by noting the cost as their allocation).
Real HTTP to the app, a real database, real signed-in staff.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from portal.audit.tables import AuditEntry
from portal.plans.allocation import staff_allocation
from portal.plans.content import Holding, MoneySection
from portal.plans.criteria import PlanFacts, evaluate_criteria
from portal.plans.tables import PlanAllocation
from tests.api.helpers import assert_problem, change_section, plan_url
from tests.conftest import Persona, make_persona
from tests.factories import (
    decide_outcomes,
    give_role,
    make_organisation,
    set_allocation,
    write_complete_plan,
)

HIGH_LIMIT = 5_000_000
# The realistic plan costs £11,264.00 a year; its person noted an allocation of £18,500.
PLAN_ANNUAL_PENCE = 1_126_400
NOTED_PENCE = 1_850_000


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    names = ["owner", "coordinator", "budget", "authoriser", "outsider", "stranger"]
    made = {name: await make_persona(app, name) for name in names}
    await give_role(made["coordinator"], council, "coordinator")
    await give_role(made["budget"], council, "budget_authoriser", HIGH_LIMIT)
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["outsider"], await make_organisation(kind="council"), "coordinator")
    yield made
    for persona in made.values():
        await persona.client.aclose()


def url(plan_id: str, path: str) -> str:
    return f"{plan_url(plan_id)}/{path}"


async def status(who: Persona, plan_id: str) -> dict[str, Any]:
    response = await who.client.get(url(plan_id, "sign-off"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def submit(owner: Persona, plan_id: str, council: uuid.UUID) -> None:
    response = await owner.client.post(
        url(plan_id, "submit"),
        json={"organisation_id": str(council), "share_with_organisation": True},
    )
    assert response.status_code == 200, response.text


async def submitted(people: dict[str, Persona], council: uuid.UUID) -> str:
    plan_id = await write_complete_plan(people["owner"].client)
    await submit(people["owner"], plan_id, council)
    return plan_id


async def plan_authorised(people: dict[str, Persona], council: uuid.UUID) -> str:
    plan_id = await submitted(people, council)
    authoriser = people["authoriser"]
    await decide_outcomes(authoriser.client, plan_id)
    digest = (await status(authoriser, plan_id))["submitted_hash"]
    done = await authoriser.client.post(
        url(plan_id, "authorise-plan"), json={"version_hash": digest}
    )
    assert done.status_code == 200, done.text
    return plan_id


async def authorise_budget(who: Persona, plan_id: str, reason: str = "") -> Any:
    digest = (await status(who, plan_id))["submitted_hash"]
    return await who.client.post(
        url(plan_id, "authorise-budget"),
        json={"version_hash": digest, "variation_reason": reason},
    )


async def allocation_rows(plan_id: str) -> int:
    return int(await PlanAllocation.count().where(PlanAllocation.plan == uuid.UUID(plan_id)))


async def audit(plan_id: str, action: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await AuditEntry.raw(
        'SELECT * FROM "audit_entry" WHERE "plan" = {} AND "action" = {} ORDER BY "seq"',
        uuid.UUID(plan_id),
        action,
    )
    return rows


async def test_staff_set_the_allocation_and_the_person_sees_it_as_the_organisations(
    people, council
) -> None:  # type: ignore[no-untyped-def]
    owner, coordinator = people["owner"], people["coordinator"]
    plan_id = await submitted(people, council)
    assert (await status(owner, plan_id))["allocation_annual_pence"] is None

    given = await set_allocation(coordinator.client, plan_id, 1_700_000, "The RAS figure")
    assert given["annual_pence"] == 1_700_000 and given["set_by"] == "Coordinator"
    assert given["organisation_id"] == str(council)

    # The person reads it as the organisation's figure, beside the one they noted.
    read = (await owner.client.get(plan_url(plan_id))).json()
    assert read["organisation_allocation"]["annual_pence"] == 1_700_000
    assert read["organisation_allocation"]["organisation_name"].startswith("Test council")
    assert read["money"]["allocation_annual_pence"] == NOTED_PENCE
    mine = await status(owner, plan_id)
    assert mine["allocation_annual_pence"] == 1_700_000
    assert mine["organisation_allocation"]["set_by"] == "Coordinator"
    # The version waiting for sign-off carries the figure it is checked against.
    [version] = mine["versions"]
    assert version["allocation_annual_pence"] == 1_700_000
    assert "Set the indicative allocation" in {d["description"] for d in mine["decisions"]}
    # The money page says so in words.
    page = (await owner.client.get(f"/plans/{plan_id}/money")).text
    assert "Indicative allocation from" in page and "£17,000.00 a year" in page
    assert "Set by Coordinator on" in page

    # Setting it again replaces it; each setting is audited with the figure in its details.
    await set_allocation(people["budget"].client, plan_id, 1_800_000)
    assert await staff_allocation(uuid.UUID(plan_id)) == 1_800_000
    entries = await audit(plan_id, "set_allocation")
    assert [(e["outcome"], e["role"]) for e in entries] == [
        ("done", "coordinator"),
        ("done", "budget_authoriser"),
    ]
    assert '"annual_pence":1800000' in entries[1]["details"]
    assert '"previous_annual_pence":1700000' in entries[1]["details"]
    # The figure is money: never in the reason that every reader of the decisions sees.
    assert all(e["reason"] == "" for e in entries)
    # The person's access log shows who changed the money.
    log = (await owner.client.get(url(plan_id, "access-log"))).json()
    assert any(e["event"] == "edit" and e["who"] == "Coordinator" for e in log)


async def test_the_person_cannot_set_the_organisations_allocation(people, council) -> None:  # type: ignore[no-untyped-def]
    owner = people["owner"]
    plan_id = await submitted(people, council)
    refused = await owner.client.put(url(plan_id, "allocation"), json={"annual_pence": 1_126_400})
    assert_problem(refused, 403, "your own plan")
    assert await allocation_rows(plan_id) == 0
    [entry] = await audit(plan_id, "set_allocation")
    assert entry["outcome"] == "refused"


@pytest.mark.parametrize(
    ("who", "code", "phrase"),
    [
        ("authoriser", 403, "budget authoriser or coordinator"),
        ("outsider", 404, "plan"),
        ("stranger", 404, "plan"),
    ],
)
async def test_only_its_coordinator_or_budget_authoriser_sets_it(
    people, council, who: str, code: int, phrase: str
) -> None:  # type: ignore[no-untyped-def]
    plan_id = await submitted(people, council)
    refused = await people[who].client.put(
        url(plan_id, "allocation"), json={"annual_pence": 1_000_000}
    )
    assert_problem(refused, code, phrase)
    assert await allocation_rows(plan_id) == 0
    assert (await status(people["owner"], plan_id))["allocation_annual_pence"] is None


async def test_staff_cannot_set_it_on_a_draft_they_cannot_see(people) -> None:  # type: ignore[no-untyped-def]
    plan_id = await write_complete_plan(people["owner"].client)
    refused = await people["coordinator"].client.put(
        url(plan_id, "allocation"), json={"annual_pence": 1_000_000}
    )
    assert_problem(refused, 404)
    assert await allocation_rows(plan_id) == 0


@pytest.mark.parametrize(
    ("body", "field", "phrase"),
    [
        ({"annual_pence": 0}, "annual_pence", "more than £0.00"),
        ({"annual_pence": -500}, "annual_pence", "more than £0.00"),
        ({"annual_pence": 5_200_000_001}, "annual_pence", "£1,000,000.00 a week"),
        ({"annual_pence": "lots"}, "annual_pence", ""),
        ({}, "annual_pence", ""),
        ({"annual_pence": 100, "reason": "x" * 4001}, "reason", ""),
        ({"annual_pence": 100, "frequency": "weekly"}, "frequency", ""),
    ],
)
async def test_a_bad_allocation_is_a_422_naming_the_field_and_nothing_is_saved(
    people, council, body: dict[str, Any], field: str, phrase: str
) -> None:  # type: ignore[no-untyped-def]
    plan_id = await submitted(people, council)
    await set_allocation(people["coordinator"].client, plan_id, 1_500_000)
    refused = await people["coordinator"].client.put(url(plan_id, "allocation"), json=body)
    problem = assert_problem(refused, 422, *([phrase] if phrase else []))
    assert field in {e["field"] for e in problem.get("errors", [])} or field in refused.text
    assert await allocation_rows(plan_id) == 1
    assert await staff_allocation(uuid.UUID(plan_id)) == 1_500_000


async def test_the_budget_waits_for_the_organisations_allocation(people, council) -> None:  # type: ignore[no-untyped-def]
    budget = people["budget"]
    plan_id = await plan_authorised(people, council)
    waiting = await authorise_budget(budget, plan_id, "Reasons")
    assert_problem(waiting, 409, "has not set the indicative allocation", "coordinator")
    assert (await status(people["owner"], plan_id))["state"] == "plan_authorised"
    [entry] = await audit(plan_id, "authorise_budget")
    assert entry["outcome"] == "refused"

    # The organisation's figure is what the cost is compared with, not the person's note:
    # equal to the cost, no reason is needed, although the person noted £18,500.
    await set_allocation(budget.client, plan_id, PLAN_ANNUAL_PENCE)
    agreed = await authorise_budget(budget, plan_id)
    assert agreed.status_code == 200, agreed.text
    after = await status(people["owner"], plan_id)
    assert after["state"] == "agreed"
    [version] = after["versions"]
    assert version["allocation_annual_pence"] == PLAN_ANNUAL_PENCE
    [done] = [e for e in await audit(plan_id, "authorise_budget") if e["outcome"] == "done"]
    assert f'"allocation_annual_pence":{PLAN_ANNUAL_PENCE}' in done["details"]


async def test_noting_the_cost_as_the_allocation_does_not_remove_the_variation_check(
    people, council
) -> None:  # type: ignore[no-untyped-def]
    owner, budget = people["owner"], people["budget"]
    plan_id = await write_complete_plan(owner.client)
    # The person notes an allocation equal to the cost, hoping to skip the reason.
    await change_section(owner.client, plan_id, "money", allocation_pence=PLAN_ANNUAL_PENCE)
    await submit(owner, plan_id, council)
    authoriser = people["authoriser"]
    await decide_outcomes(authoriser.client, plan_id)
    digest = (await status(authoriser, plan_id))["submitted_hash"]
    done = await authoriser.client.post(
        url(plan_id, "authorise-plan"), json={"version_hash": digest}
    )
    assert done.status_code == 200, done.text
    await set_allocation(budget.client, plan_id, NOTED_PENCE)

    no_reason = await authorise_budget(budget, plan_id)
    problem = assert_problem(no_reason, 422, "£7,236.00 a year less", "£18,500.00")
    assert problem["errors"][0]["field"] == "variation_reason"
    assert (await status(owner, plan_id))["state"] == "plan_authorised"
    with_reason = await authorise_budget(budget, plan_id, "Day centre costs fall")
    assert with_reason.status_code == 200, with_reason.text


async def test_the_allocation_belongs_to_the_organisation_it_was_set_by(people, council) -> None:  # type: ignore[no-untyped-def]
    owner = people["owner"]
    plan_id = await submitted(people, council)
    await set_allocation(people["coordinator"].client, plan_id, 1_700_000)
    # Returned, then submitted to another council: that council has set no figure.
    digest = (await status(people["authoriser"], plan_id))["submitted_hash"]
    returned = await people["authoriser"].client.post(
        url(plan_id, "return"), json={"version_hash": digest, "reason": "Please send it on"}
    )
    assert returned.status_code == 200, returned.text
    other = await make_organisation(kind="council")
    await change_section(owner.client, plan_id, "money", holding_notes="Sent to my new council")
    await submit(owner, plan_id, other)
    assert await staff_allocation(uuid.UUID(plan_id)) is None
    assert (await status(owner, plan_id))["allocation_annual_pence"] is None


async def test_a_grantee_without_the_money_section_does_not_see_it(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, stranger = people["owner"], people["stranger"]
    plan_id = await submitted(people, council)
    await set_allocation(people["coordinator"].client, plan_id, 1_700_000)
    granted = await owner.client.post(
        url(plan_id, "grants"),
        json={
            "grantee_email": stranger.email,
            "sections": ["about_me"],
            "access": "view",
            "purpose": "To know me",
        },
    )
    assert granted.status_code == 201, granted.text
    read = (await stranger.client.get(plan_url(plan_id))).json()
    assert read["organisation_allocation"] is None and read["money"] is None
    theirs = await status(stranger, plan_id)
    assert theirs["organisation_allocation"] is None and theirs["allocation_annual_pence"] is None


@pytest.mark.parametrize(
    ("noted", "staff", "missing"),
    [
        (None, None, True),
        (NOTED_PENCE, None, False),  # what the person was told counts for their checklist
        (None, 1_700_000, False),  # and so does the organisation's own figure
    ],
)
def test_the_money_criterion_counts_either_allocation(
    noted: int | None, staff: int | None, missing: bool
) -> None:
    facts = PlanFacts(
        sections={"money": MoneySection(allocation_pence=noted, holding=[Holding.direct_payment])},
        staff_allocation_pence=staff,
    )
    [money] = [r for r in evaluate_criteria(facts) if r.key == "money"]
    assert ("Record the indicative allocation you were told" in money.missing) is missing
