"""Sign-off through the API: submit, return with comments, authorise the plan and the budget,
agreed versions, the audit trail. Real HTTP to the app, a real database, real signed-in staff.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench.plan_content import OUTCOMES
from portal.audit.tables import AuditEntry
from portal.audit.trail import verify
from tests.api.helpers import assert_problem, plan_url
from tests.conftest import ROOT, Persona, make_persona
from tests.factories import (
    decide_outcomes,
    give_role,
    make_organisation,
    set_allocation,
    write_complete_plan,
)

HIGH_LIMIT = 5_000_000  # £50,000 a year
# The realistic plan costs £11,264.00 a year against an allocation of £18,500.
PLAN_ANNUAL_PENCE = 1_126_400


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


async def _persona(app: Any, name: str) -> Persona:
    return await make_persona(app, name)


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    names = ["owner", "authoriser", "second", "budget", "frugal", "coordinator", "outsider"]
    made = {name: await _persona(app, name) for name in names}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["second"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", HIGH_LIMIT)
    await give_role(made["frugal"], council, "budget_authoriser", 500_000)
    await give_role(made["coordinator"], council, "coordinator")
    other = await make_organisation(kind="council")
    await give_role(made["outsider"], other, "plan_authoriser")
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


async def submit(who: Persona, plan_id: str, council: uuid.UUID) -> dict[str, Any]:
    response = await who.client.post(
        url(plan_id, "submit"),
        json={"organisation_id": str(council), "share_with_organisation": True},
    )
    assert response.status_code == 200, response.text
    assert response.json()["decision"] in ("submit", "resubmit")
    return await status(who, plan_id)


async def authorise_plan(who: Persona, plan_id: str) -> dict[str, Any]:
    # Outcomes are decided before a plan is agreed: the authoriser agrees each one first.
    await decide_outcomes(who.client, plan_id)
    digest = (await status(who, plan_id))["submitted_hash"]
    response = await who.client.post(url(plan_id, "authorise-plan"), json={"version_hash": digest})
    assert response.status_code == 200, response.text
    return await status(who, plan_id)


async def allocate(who: Persona, plan_id: str) -> None:
    """The budget authoriser sets the organisation's allocation, if nobody has yet: the figure
    the person was told (noted in the plan), as staff would confirm it."""
    if (await status(who, plan_id))["allocation_annual_pence"] is None:
        noted = (await who.client.get(plan_url(plan_id))).json()["money"]
        await set_allocation(who.client, plan_id, noted["allocation_annual_pence"])


async def authorise_budget(who: Persona, plan_id: str, **extra: Any) -> dict[str, Any]:
    await allocate(who, plan_id)
    digest = (await status(who, plan_id))["submitted_hash"]
    body = {"version_hash": digest, "variation_reason": "Day centre costs fall in year two"}
    response = await who.client.post(url(plan_id, "authorise-budget"), json={**body, **extra})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "agreed"
    return await status(who, plan_id)


async def submitted_plan(people: dict[str, Persona], council: uuid.UUID) -> str:
    plan_id = await write_complete_plan(people["owner"].client)
    await submit(people["owner"], plan_id, council)
    return plan_id


async def write_about_me(who: Persona, plan_id: str, text: str) -> None:
    section = await who.client.get(url(plan_id, "sections/about_me"))
    content = {**section.json()["content"], "who_i_am": text}
    written = await who.client.put(
        url(plan_id, "sections/about_me"),
        json=content,
        headers={"If-Match": section.headers["etag"]},
    )
    assert written.status_code == 200, written.text


async def audit_rows(plan_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await AuditEntry.raw(
        'SELECT * FROM "audit_entry" WHERE "plan" = {} ORDER BY "seq"', uuid.UUID(plan_id)
    )
    return rows


async def test_the_journey_from_draft_to_agreed_through_a_return_a_change_and_a_review(
    people, council
) -> None:  # type: ignore[no-untyped-def]
    owner, authoriser, budget = people["owner"], people["authoriser"], people["budget"]

    # An unfinished plan cannot be submitted: the answer lists what is missing.
    empty = (await owner.client.post("/api/v1/plans", json={"kind": "care_and_support"})).json()
    refused = await owner.client.post(
        url(empty["id"], "submit"),
        json={"organisation_id": str(council), "share_with_organisation": True},
    )
    body = assert_problem(refused, 422, "missing")
    assert {e["field"] for e in body["errors"]} == {
        "starting_point",
        "about_me",
        "working_not_working",
        "important_to_for",
        "staying_safe",
        "outcomes",
        "money",
        "action_plan",
        "review",
    }

    plan_id = await write_complete_plan(owner.client)
    before = await status(owner, plan_id)
    assert before["state"] == "draft" and before["next_steps"] == ["submit"]
    assert before["missing"] == []
    assert str(council) in {o["id"] for o in before["organisations"]}
    # The submit screen's words: exactly which sections go to the organisation.
    assert before["shares_sections"] == [
        "starting_point",
        "about_me",
        "working_not_working",
        "important_to_for",
        "staying_safe",
        "outcomes",
        "money",
        "action_plan",
        "review",
    ]

    # Staff see nothing of a draft.
    assert (await authoriser.client.get(plan_url(plan_id))).status_code == 404

    # Submitting needs the person's consent to share.
    no_consent = await owner.client.post(
        url(plan_id, "submit"), json={"organisation_id": str(council)}
    )
    assert_problem(no_consent, 422, "agree")
    submitted = await submit(owner, plan_id, council)
    assert submitted["state"] == "submitted" and submitted["submitted_version"] == 1
    assert submitted["organisation"]["id"] == str(council)
    log = (await owner.client.get(url(plan_id, "access-log"))).json()
    assert log[0]["event"] == "submitted" and log[0]["subject"] == str(council)

    # The plan authoriser finds it in the tray and reads only the sign-off sections.
    tray = await authoriser.client.get(f"/api/v1/organisations/{council}/trays/plan_authorisation")
    assert tray.status_code == 200, tray.text
    assert plan_id in {item["plan_id"] for item in tray.json()["items"]}
    read = (await authoriser.client.get(plan_url(plan_id))).json()
    assert [s["key"] for s in read["sections"]] == before["shares_sections"]
    assert read["contacts"] == []

    # Returned with a comment on "About me": back to draft, and the person sees the comment.
    digest = (await status(authoriser, plan_id))["submitted_hash"]
    returned = await authoriser.client.post(
        url(plan_id, "return"),
        json={
            "version_hash": digest,
            "reason": "A little more is needed",
            "comments": [{"section": "about_me", "comment": "Say who helps you day to day."}],
        },
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["state"] == "draft" and returned.json()["version_number"] == 1
    mine = await status(owner, plan_id)
    assert mine["state"] == "draft" and mine["submitted_version"] is None
    assert [(c["section"], c["comment"]) for c in mine["comments"]] == [
        ("about_me", "Say who helps you day to day.")
    ]
    assert mine["comments"][0]["role"] == "plan_authoriser"
    assert (await authoriser.client.get(plan_url(plan_id))).status_code == 404

    # The person answers the comment and submits again: version 2.
    await write_about_me(owner, plan_id, "I am Maggie. Claire, my daughter, helps me every day.")
    again = await submit(owner, plan_id, council)
    assert again["submitted_version"] == 2

    # Plan authorisation, then budget authorisation: agreed, with a review date.
    assert (await authorise_plan(authoriser, plan_id))["state"] == "plan_authorised"
    agreed = await authorise_budget(budget, plan_id)
    assert agreed["state"] == "agreed" and agreed["agreed_version"] == 2
    assert agreed["review_date"] is not None
    versions = {v["number"]: v for v in agreed["versions"]}
    assert versions[1]["status"] == "returned" and versions[2]["status"] == "agreed"
    assert versions[2]["agreed_by"] == budget.name.title()
    assert versions[2]["budget_variation_reason"] == "Day centre costs fall in year two"
    assert len(versions[2]["verification_code"]) == 14

    # The agreed version is kept as it was: a change starts a new draft, and version 2 stays.
    await write_about_me(owner, plan_id, "I am Maggie, and I now go swimming on Mondays.")
    changed = await status(owner, plan_id)
    assert changed["state"] == "draft" and changed["agreed_version"] == 2
    kept = (await owner.client.get(url(plan_id, "versions/2"))).json()
    assert kept["version"]["status"] == "agreed"
    assert "Claire, my daughter" in kept["content"]["sections"]["about_me"]["who_i_am"]
    compared = (await owner.client.get(url(plan_id, "versions/2/compare"))).json()
    differs = {s["section"]: s["changed_fields"] for s in compared["sections"] if s["changed"]}
    assert differs == {"about_me": ["who_i_am"]}
    # Staff keep what the agreed plan shares while the new draft is written.
    assert (await authoriser.client.get(plan_url(plan_id))).status_code == 200

    # Round again: version 3 agreed, version 2 superseded.
    await submit(owner, plan_id, council)
    await authorise_plan(authoriser, plan_id)
    final = await authorise_budget(budget, plan_id)
    statuses = {v["number"]: v["status"] for v in final["versions"]}
    assert statuses == {1: "returned", 2: "superseded", 3: "agreed"}

    # A review is asked for and started: a new draft from the agreed version, agreed again.
    asked = await owner.client.post(
        url(plan_id, "review-requests"), json={"reason": "I have moved to a flat"}
    )
    assert asked.status_code == 201, asked.text
    started = await people["coordinator"].client.post(url(plan_id, "start-review"), json={})
    assert started.status_code == 200 and started.json()["state"] == "draft", started.text
    reviewing = await status(owner, plan_id)
    assert reviewing["state"] == "draft" and reviewing["agreed_version"] == 3
    await write_about_me(owner, plan_id, "I am Maggie, and I live in a ground-floor flat now.")
    await submit(owner, plan_id, council)
    await authorise_plan(authoriser, plan_id)
    final = await authorise_budget(budget, plan_id)
    assert final["agreed_version"] == 4
    statuses = {v["number"]: v["status"] for v in final["versions"]}
    assert statuses == {1: "returned", 2: "superseded", 3: "superseded", 4: "agreed"}

    actions = [row["action"] for row in await audit_rows(plan_id) if row["outcome"] == "done"]
    # The first time through, the outcomes are agreed and the allocation is set; they hold after.
    assert actions == [
        "submit",
        "return",
        "submit",
        *["outcome_agreed"] * len(OUTCOMES),
        "authorise_plan",
        "set_allocation",
        "authorise_budget",
        "amend",
        "submit",
        "authorise_plan",
        "authorise_budget",
        "request_review",
        "start_review",
        "submit",
        "authorise_plan",
        "authorise_budget",
    ]
    assert [d["action"] for d in final["decisions"]] == list(reversed(actions))
    assert (await verify()).ok


async def test_nobody_authorises_their_own_plan(app, council, people) -> None:  # type: ignore[no-untyped-def]
    staff = await make_persona(app, "self")
    try:
        await give_role(staff, council, "plan_authoriser")
        plan_id = await write_complete_plan(staff.client)
        await submit(staff, plan_id, council)
        digest = (await status(staff, plan_id))["submitted_hash"]
        response = await staff.client.post(
            url(plan_id, "authorise-plan"), json={"version_hash": digest}
        )
        assert_problem(response, 403, "your own plan")
        assert (await status(staff, plan_id))["state"] == "submitted"
        refused = [row for row in await audit_rows(plan_id) if row["outcome"] == "refused"]
        assert [row["action"] for row in refused] == ["authorise_plan"]
        assert "own plan" in refused[0]["reason"]
    finally:
        await staff.client.aclose()


async def test_a_budget_above_the_spending_limit_is_refused(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await submitted_plan(people, council)
    await authorise_plan(people["authoriser"], plan_id)
    digest = (await status(people["frugal"], plan_id))["submitted_hash"]
    response = await people["frugal"].client.post(
        url(plan_id, "authorise-budget"),
        json={"version_hash": digest, "variation_reason": "Reasons"},
    )
    body = assert_problem(response, 403, "£11,264.00", "£5,000.00")
    assert body["annual_cost_pence"] == PLAN_ANNUAL_PENCE
    assert (await status(people["owner"], plan_id))["state"] == "plan_authorised"
    tray = await people["frugal"].client.get(
        f"/api/v1/organisations/{council}/trays/budget_authorisation?per_page=100"
    )
    items = {item["plan_id"]: item for item in tray.json()["items"]}
    assert items[plan_id]["within_my_limit"] is False
    assert (await authorise_budget(people["budget"], plan_id))["state"] == "agreed"


async def test_a_budget_that_differs_from_the_allocation_needs_a_reason(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await submitted_plan(people, council)
    await authorise_plan(people["authoriser"], plan_id)
    await allocate(people["budget"], plan_id)
    digest = (await status(people["budget"], plan_id))["submitted_hash"]
    response = await people["budget"].client.post(
        url(plan_id, "authorise-budget"), json={"version_hash": digest, "variation_reason": " "}
    )
    body = assert_problem(response, 422, "allocation")
    assert body["errors"][0]["field"] == "variation_reason"
    assert (await status(people["owner"], plan_id))["state"] == "plan_authorised"


async def test_a_plan_changed_after_it_was_submitted_is_not_authorised(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await submitted_plan(people, council)
    digest = (await status(people["authoriser"], plan_id))["submitted_hash"]
    await write_about_me(people["owner"], plan_id, "Something new after submitting.")
    response = await people["authoriser"].client.post(
        url(plan_id, "authorise-plan"), json={"version_hash": digest}
    )
    assert_problem(response, 409, "changed after")
    mine = await status(people["owner"], plan_id)
    assert mine["state"] == "submitted" and mine["changed_since_submitted"] is True
    # Submitting the change again replaces the waiting version.
    resubmitted = await submit(people["owner"], plan_id, council)
    assert resubmitted["submitted_version"] == 2
    assert {v["number"]: v["status"] for v in resubmitted["versions"]} == {
        1: "withdrawn",
        2: "submitted",
    }
    stale = await people["authoriser"].client.post(
        url(plan_id, "authorise-plan"), json={"version_hash": digest}
    )
    assert_problem(stale, 409, "different version")
    assert (await authorise_plan(people["authoriser"], plan_id))["state"] == "plan_authorised"


async def test_a_decision_out_of_turn_is_a_409_naming_the_state(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await submitted_plan(people, council)
    digest = (await status(people["budget"], plan_id))["submitted_hash"]
    response = await people["budget"].client.post(
        url(plan_id, "authorise-budget"), json={"version_hash": digest, "variation_reason": "x"}
    )
    body = assert_problem(response, 409, "submitted")
    assert body["current_state"] == "submitted"
    twice = await people["owner"].client.post(
        url(plan_id, "submit"),
        json={"organisation_id": str(council), "share_with_organisation": True},
    )
    assert_problem(twice, 409, "nothing has changed")


async def test_staff_of_another_organisation_learn_nothing(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await submitted_plan(people, council)
    outsider = people["outsider"]
    response = await outsider.client.post(
        url(plan_id, "authorise-plan"), json={"version_hash": "0" * 64}
    )
    assert_problem(response, 404)
    assert (await outsider.client.get(f"/api/v1/organisations/{council}/trays/")).status_code == 404
    coordinator = people["coordinator"]
    assert_problem(
        await coordinator.client.post(url(plan_id, "authorise-plan"), json={"version_hash": "0"}),
        403,
        "plan authoriser",
    )
    assert (await status(people["owner"], plan_id))["state"] == "submitted"


async def test_two_authorisers_at_once_one_decision_wins(people, council) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        plan_id = await submitted_plan(people, council)
        await decide_outcomes(people["authoriser"].client, plan_id)
        digest = (await status(people["authoriser"], plan_id))["submitted_hash"]
        answers = await asyncio.gather(
            *[
                who.client.post(url(plan_id, "authorise-plan"), json={"version_hash": digest})
                for who in (people["authoriser"], people["second"])
            ]
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert loser.json()["current_state"] == "plan_authorised"
        decided = [
            row
            for row in await audit_rows(plan_id)
            if row["action"] == "authorise_plan" and row["outcome"] == "done"
        ]
        assert len(decided) == 1


async def audit_verify_command() -> subprocess.CompletedProcess[str]:
    """`portal audit verify` as an operator runs it, on the same database."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "portal.cli", "audit", "verify"],
        env=dict(os.environ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_audit_chain_verifies_and_finds_a_changed_row(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await submitted_plan(people, council)
    await authorise_plan(people["authoriser"], plan_id)
    ok = await audit_verify_command()
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    row = [r for r in await audit_rows(plan_id) if r["action"] == "authorise_plan"][0]
    await AuditEntry.raw(
        'UPDATE "audit_entry" SET "reason" = {} WHERE "seq" = {}', "nothing to see", row["seq"]
    )
    try:
        report = await verify()
        assert not report.ok and report.first_bad_seq == int(row["seq"])
        broken = await audit_verify_command()
        assert broken.returncode == 1
        assert f"entry {row['seq']}" in broken.stderr and str(row["id"]) in broken.stderr
    finally:
        await AuditEntry.raw(
            'UPDATE "audit_entry" SET "reason" = {} WHERE "seq" = {}', row["reason"], row["seq"]
        )
    assert (await verify()).ok


async def test_trays_count_and_page_oldest_first(people, council) -> None:  # type: ignore[no-untyped-def]
    first = await submitted_plan(people, council)
    second = await submitted_plan(people, council)
    authoriser = people["authoriser"]
    counts = (await authoriser.client.get(f"/api/v1/organisations/{council}/trays/")).json()
    by_tray = {c["tray"]: c["count"] for c in counts}
    assert set(by_tray) == {"plan_authorisation"}  # a plan authoriser has no budget tray
    page = (
        await authoriser.client.get(
            f"/api/v1/organisations/{council}/trays/plan_authorisation?per_page=100"
        )
    ).json()
    assert page["count"] == by_tray["plan_authorisation"] == len(page["items"])
    order = [item["plan_id"] for item in page["items"]]
    assert order.index(first) < order.index(second)
    waiting = [item["waiting_since"] for item in page["items"]]
    assert waiting == sorted(waiting)
    one = (
        await authoriser.client.get(
            f"/api/v1/organisations/{council}/trays/plan_authorisation?per_page=1&page=2"
        )
    ).json()
    assert one["pages"] == page["count"] and [i["plan_id"] for i in one["items"]] == order[1:2]
    assert_problem(
        await authoriser.client.get(f"/api/v1/organisations/{council}/trays/budget_authorisation"),
        403,
        "budget authoriser",
    )
    assert_problem(
        await authoriser.client.get(
            f"/api/v1/organisations/{council}/trays/plan_authorisation?per_page=500"
        ),
        422,
        "per_page",
        "from 1 to 100",
    )
