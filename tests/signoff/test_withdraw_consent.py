"""Withdrawing the consent that submitting gave, through the API: the plan leaves sign-off.

Real HTTP to the app, a real database, real signed-in staff of a council. After a withdrawal
the organisation's trays no longer hold the plan, its staff get 404 on the plan, its sections
and its sign-off, the audit chain still verifies, and the person can submit it again.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from portal.audit.trail import verify
from tests.api.helpers import CRITERIA_KEYS, assert_problem, plan_url, snapshot
from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation, write_complete_plan
from tests.signoff.test_sign_off import (
    audit_rows,
    audit_verify_command,
    authorise_budget,
    authorise_plan,
    status,
    submit,
    url,
    write_about_me,
)

# Words of the realistic plan that must never reach a notification.
CONTENT_WORDS = ("Maggie", "Claire", "personal assistant", "day centre")


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    names = ["owner", "authoriser", "budget", "coordinator", "carer", "helper", "gp", "stranger"]
    made = {name: await make_persona(app, name) for name in names}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", 5_000_000)
    await give_role(made["coordinator"], council, "coordinator")
    yield made
    for persona in made.values():
        await persona.client.aclose()


async def withdraw(who: Persona, plan_id: str, **body: Any) -> Any:
    return await who.client.post(url(plan_id, "withdraw-consent"), json={"confirm": True, **body})


async def sharing(who: Persona, plan_id: str) -> dict[str, Any]:
    response = await who.client.get(url(plan_id, "sharing/sign-off"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def tray_ids(who: Persona, council: uuid.UUID, tray: str) -> set[str]:
    page = await who.client.get(f"/api/v1/organisations/{council}/trays/{tray}?per_page=100")
    assert page.status_code == 200, page.text
    return {item["plan_id"] for item in page.json()["items"]}


async def notifications(who: Persona) -> list[dict[str, Any]]:
    response = await who.client.get("/api/v1/notifications")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def assert_staff_see_nothing(staff: Persona, plan_id: str) -> None:
    for path in ("", "/sections/about_me", "/sections/money", "/sign-off", "/versions"):
        assert_problem(await staff.client.get(plan_url(plan_id) + path), 404)
    for page in ("", "/sections/about_me", "/sign-off", "/money"):
        assert (await staff.client.get(f"/plans/{plan_id}{page}")).status_code == 404, page


async def test_withdrawing_a_submitted_plan_takes_it_out_of_sign_off(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, authoriser = people["owner"], people["authoriser"]
    plan_id = await write_complete_plan(owner.client)
    submitted = await submit(owner, plan_id, council)
    assert plan_id in await tray_ids(authoriser, council, "plan_authorisation")
    assert (await authoriser.client.get(url(plan_id, "sections/about_me"))).status_code == 200
    # The authoriser opens it and comments: they are the one deciding.
    digest = submitted["submitted_hash"]

    # The sharing API names the organisation, the sections, since when and by what consent.
    shared = await sharing(owner, plan_id)
    version = submitted["versions"][0]
    assert shared["shared"] is True and shared["state"] == "submitted"
    assert shared["organisation"]["id"] == str(council)
    assert [s["key"] for s in shared["sections"]] == list(CRITERIA_KEYS)
    assert shared["sections"][1] == {"key": "about_me", "title": "About me"}
    assert shared["access"] == "comment"
    assert shared["since"] == version["submitted_at"]
    assert shared["consents"] == [
        {
            "version_number": 1,
            "why": "under_sign_off",
            "version_status": "submitted",
            "submitted_at": version["submitted_at"],
            "submitted_by": "Owner",
            "submitted_by_role": "person",
        }
    ]
    assert shared["may_withdraw"] is True
    means = " ".join(shared["withdrawing_means"])
    assert "draft" in means and "work trays" in means and "About me" in means
    assert "waiting for plan authorisation" in means
    assert "withdraw_consent" in submitted["next_steps"]

    # Not confirmed: 422, and nothing changes.
    before = await snapshot(owner.client, plan_id)
    assert_problem(await withdraw(owner, plan_id, confirm=False), 422, "confirm")
    # Read in another state (as a page left open would be): 409, and nothing changes.
    assert_problem(await withdraw(owner, plan_id, state="agreed"), 409, "read it again")
    assert await snapshot(owner.client, plan_id) == before
    assert (await status(owner, plan_id))["state"] == "submitted"

    done = await withdraw(owner, plan_id, state="submitted")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "draft" and done.json()["decision"] == "withdraw_consent"
    assert done.json()["version_number"] == 1

    # Out of the tray; staff learn nothing of the plan any more, by the API or the pages.
    assert plan_id not in await tray_ids(authoriser, council, "plan_authorisation")
    await assert_staff_see_nothing(authoriser, plan_id)
    hash_now = await authoriser.client.post(
        url(plan_id, "authorise-plan"), json={"version_hash": digest}
    )
    assert_problem(hash_now, 404)

    # The person sees where it is: a draft, shared with nobody for sign-off.
    mine = await status(owner, plan_id)
    assert mine["state"] == "draft" and mine["submitted_version"] is None
    assert mine["next_steps"] == ["submit"]
    assert mine["versions"][0]["status"] == "consent_withdrawn"
    assert mine["decisions"][0]["action"] == "withdraw_consent"
    assert (await sharing(owner, plan_id))["shared"] is False

    # In the audit trail, chained, and in the access log.
    entries = [r for r in await audit_rows(plan_id) if r["action"] == "withdraw_consent"]
    # The two refused attempts first, each with its reason; then the withdrawal itself.
    assert [e["outcome"] for e in entries] == ["refused", "refused", "done"]
    assert entries[0]["reason"].startswith("422") and entries[1]["reason"].startswith("409")
    entry = entries[-1]
    assert (entry["role"], entry["from_state"], entry["to_state"]) == (
        "person",
        "submitted",
        "draft",
    )
    assert str(entry["organisation"]) == str(council)
    assert (await verify()).ok
    verified = await audit_verify_command()
    assert verified.returncode == 0, verified.stderr
    log = (await owner.client.get(url(plan_id, "access-log"))).json()
    withdrawn = [e for e in log if e["event"] == "consent_withdrawn"]
    assert [(e["who"], e["subject"]) for e in withdrawn] == [("Owner", str(council))]
    assert withdrawn[0]["sections"] == list(CRITERIA_KEYS)
    # The staff's tries since then are listed too, as refused.
    assert log[0]["event"] == "refused" and log[0]["who"] == "Authoriser"

    # The authoriser (next to decide; nobody had yet) is told, with ids only.
    told = [n for n in await notifications(authoriser) if n["plan_id"] == plan_id]
    assert [n["kind"] for n in told] == ["consent_withdrawn"]
    assert told[0]["link"] == f"/organisations/{council}/trays"
    assert not [w for w in CONTENT_WORDS if w.lower() in told[0]["message"].lower()]

    # Twice: 409, with a sentence; nothing changes.
    before = await snapshot(owner.client, plan_id)
    assert_problem(await withdraw(owner, plan_id), 409, "no consent to withdraw")
    assert await snapshot(owner.client, plan_id) == before

    # The person submits again: a new version, back in the tray, read by the authoriser.
    again = await submit(owner, plan_id, council)
    assert again["state"] == "submitted" and again["submitted_version"] == 2
    assert plan_id in await tray_ids(authoriser, council, "plan_authorisation")
    assert (await authoriser.client.get(url(plan_id, "sections/about_me"))).status_code == 200
    assert (await sharing(owner, plan_id))["consents"][0]["version_number"] == 2


async def test_withdrawing_consent_ends_an_agreed_plan(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, authoriser, budget, coordinator = (
        people["owner"],
        people["authoriser"],
        people["budget"],
        people["coordinator"],
    )
    plan_id = await write_complete_plan(owner.client)
    await submit(owner, plan_id, council)
    await authorise_plan(authoriser, plan_id)
    agreed = await authorise_budget(budget, plan_id)
    assert agreed["state"] == "agreed" and agreed["agreed_version"] == 1
    asked = await owner.client.post(
        url(plan_id, "review-requests"), json={"reason": "My needs have changed"}
    )
    assert asked.status_code == 201, asked.text
    assert plan_id in await tray_ids(coordinator, council, "review_requests")

    # A change starts a new draft; the agreed version is still the active plan, still shared.
    await write_about_me(owner, plan_id, "I am Maggie and I now live with my daughter.")
    shared = await sharing(owner, plan_id)
    assert shared["state"] == "draft" and shared["shared"] is True
    assert [(c["version_number"], c["why"]) for c in shared["consents"]] == [(1, "agreed")]
    assert "agreed plan (version 1) stops being the active plan" in " ".join(
        shared["withdrawing_means"]
    )
    assert (await coordinator.client.get(url(plan_id, "sections/about_me"))).status_code == 200

    done = await withdraw(owner, plan_id, state="draft")
    assert done.status_code == 200, done.text
    assert done.json()["agreed_version"] is None and done.json()["review_date"] is None

    for staff in (authoriser, budget, coordinator):
        await assert_staff_see_nothing(staff, plan_id)
    assert plan_id not in await tray_ids(coordinator, council, "review_requests")
    assert plan_id not in await tray_ids(coordinator, council, "reviews_due")
    requests = (await owner.client.get(url(plan_id, "review-requests"))).json()
    assert [r["status"] for r in requests] == ["withdrawn"]
    mine = await status(owner, plan_id)
    assert mine["agreed_version"] is None and mine["review_date"] is None
    assert mine["versions"][0]["status"] == "consent_withdrawn"
    # Those who decided on the agreed version are told; a coordinator who did nothing is not.
    for staff in (authoriser, budget):
        told = [n["kind"] for n in await notifications(staff) if n["plan_id"] == plan_id]
        assert told == ["consent_withdrawn"], staff.name
    assert not [n for n in await notifications(coordinator) if n["plan_id"] == plan_id]
    assert (await verify()).ok

    # Agreed again, from the start.
    await submit(owner, plan_id, council)
    await authorise_plan(authoriser, plan_id)
    again = await authorise_budget(budget, plan_id)
    assert again["state"] == "agreed" and again["agreed_version"] == 2


async def test_only_the_person_or_who_speaks_for_them_with_share_can_withdraw(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner, carer, helper, gp = people["owner"], people["carer"], people["helper"], people["gp"]
    plan_id = await write_complete_plan(owner.client)
    recorded = await owner.client.post(
        url(plan_id, "representatives"),
        json={
            "email": helper.email,
            "authority": "lpa_health_welfare",
            "sections": ["about_me"],
            "powers": ["view", "edit"],
        },
    )
    assert recorded.status_code == 201, recorded.text
    granted = await owner.client.post(
        url(plan_id, "grants"),
        json={
            "grantee_email": gp.email,
            "sections": ["about_me", "staying_safe"],
            "access": "comment",
            "purpose": "My GP",
        },
    )
    assert granted.status_code == 201, granted.text
    await submit(owner, plan_id, council)
    before = await snapshot(owner.client, plan_id)

    assert_problem(await withdraw(people["stranger"], plan_id), 404)
    assert_problem(await withdraw(gp, plan_id), 403, "speaks for them with the power to share")
    assert_problem(await withdraw(helper, plan_id), 403, "power to share")
    assert_problem(await withdraw(people["authoriser"], plan_id), 403, "withdraw consent")
    assert_problem(await people["stranger"].client.get(url(plan_id, "sharing/sign-off")), 404)
    assert_problem(await gp.client.get(url(plan_id, "sharing/sign-off")), 403)
    assert await snapshot(owner.client, plan_id) == before
    assert (await status(owner, plan_id))["state"] == "submitted"
    refused = [r for r in await audit_rows(plan_id) if r["action"] == "withdraw_consent"]
    assert [r["outcome"] for r in refused] == ["refused"] * 4

    # Someone the person chose to speak for them, with the power to share, may.
    chosen = await owner.client.post(
        url(plan_id, "representatives"),
        json={
            "email": carer.email,
            "authority": "consent",
            "sections": list(CRITERIA_KEYS),
            "powers": ["view", "edit", "share"],
        },
    )
    assert chosen.status_code == 201, chosen.text
    assert (await sharing(carer, plan_id))["may_withdraw"] is True
    done = await withdraw(carer, plan_id)
    assert done.status_code == 200, done.text
    entry = [r for r in await audit_rows(plan_id) if r["outcome"] == "done"][-1]
    assert (entry["action"], entry["role"], entry["actor_name"]) == (
        "withdraw_consent",
        "representative",
        "Carer",
    )
    # The person is told that it was done for them.
    told = [n for n in await notifications(owner) if n["plan_id"] == plan_id]
    assert told[0]["kind"] == "consent_withdrawn" and "your plan" in told[0]["message"].lower()


async def test_a_draft_never_submitted_has_no_consent_to_withdraw(people) -> None:  # type: ignore[no-untyped-def]
    owner = people["owner"]
    plan_id = await write_complete_plan(owner.client)
    assert (await sharing(owner, plan_id))["shared"] is False
    assert "withdraw_consent" not in (await status(owner, plan_id))["next_steps"]
    assert_problem(await withdraw(owner, plan_id), 409, "no consent to withdraw")
    # A body that is not understood is a problem naming the field.
    odd = await owner.client.post(url(plan_id, "withdraw-consent"), json={"confirm": "yes"})
    assert assert_problem(odd, 422, "confirm")["errors"][0]["field"] == "confirm"
