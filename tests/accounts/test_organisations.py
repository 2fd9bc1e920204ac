"""Organisations and staff roles, through the API and the service, on a real database.

Each test makes its own organisation; the people (personas) live for the whole module.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from portal.accounts import organisations
from portal.accounts.service import staff_roles
from portal.core.actor import Role
from portal.core.errors import DomainError
from portal.problems import status_of
from tests.api.helpers import assert_problem, create_plan
from tests.conftest import Persona, make_persona
from tests.factories import actor_of, give_role, make_organisation

API = "/api/v1/organisations"


@pytest.fixture(scope="module")
async def admin(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "admin")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def second_admin(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "deputy")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def worker(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    """A member of staff who is not an admin."""
    persona = await make_persona(app, "worker")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def outsider(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "outsider")
    yield persona
    await persona.client.aclose()


async def org_with_admin(admin: Persona) -> str:
    return str(await make_organisation(admin=admin))


async def add(persona: Persona, org_id: str, **body: Any) -> Any:
    return await persona.client.post(f"{API}/{org_id}/staff", json=body)


async def staff(persona: Persona, org_id: str, include_ended: bool = False) -> list[dict[str, Any]]:
    params = {"include_ended": "true"} if include_ended else {}
    response = await persona.client.get(f"{API}/{org_id}/staff", params=params)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


# --- reading ----------------------------------------------------------------------------


async def test_my_organisations_lists_each_with_the_roles_i_hold(admin, worker) -> None:
    council = await make_organisation("Aardvark Council", admin=admin)
    icb = await make_organisation("Aardvark ICB", "nhs_icb")
    await give_role(worker, council, Role.COORDINATOR)
    await give_role(worker, icb, Role.BUDGET_AUTHORISER, 1_250_000)
    await give_role(worker, icb, Role.PLAN_AUTHORISER)

    response = await worker.client.get(API)
    assert response.status_code == 200
    mine = {org["id"]: org for org in response.json()}
    assert mine[str(council)]["name"] == "Aardvark Council"
    assert mine[str(council)]["kind_label"] == "Council"
    assert mine[str(council)]["can_manage_staff"] is False
    assert [r["role_label"] for r in mine[str(council)]["my_roles"]] == ["Care coordinator"]
    icb_roles = mine[str(icb)]["my_roles"]
    assert [r["role"] for r in icb_roles] == ["plan_authoriser", "budget_authoriser"]
    assert icb_roles[1]["spending_limit_pence"] == 1_250_000
    assert mine[str(icb)]["kind"] == "nhs_icb"

    one = await admin.client.get(f"{API}/{council}")
    assert one.status_code == 200
    assert one.json()["can_manage_staff"] is True
    assert [r["role"] for r in one.json()["my_roles"]] == ["admin"]


async def test_signing_in_is_needed(client) -> None:
    assert_problem(await client.get(API), 401, "sign in")


async def test_staff_are_listed_with_names_roles_and_limits(admin, worker) -> None:
    org = await org_with_admin(admin)
    await give_role(worker, uuid.UUID(org), Role.BUDGET_AUTHORISER, 2_500_000)
    listed = await staff(worker, org)
    by_role = {row["role"]: row for row in listed}
    assert set(by_role) == {"admin", "budget_authoriser"}
    assert by_role["admin"]["name"] == "Admin"
    assert by_role["admin"]["email"] == admin.email
    assert by_role["admin"]["spending_limit_pence"] is None
    assert by_role["budget_authoriser"]["role_label"] == "Budget authoriser"
    assert by_role["budget_authoriser"]["spending_limit_pence"] == 2_500_000
    assert all(row["current"] and row["ended_at"] is None for row in listed)
    # Given at the command line: no one in the portal granted it.
    assert by_role["budget_authoriser"]["granted_by_name"] is None


# --- adding -----------------------------------------------------------------------------


async def test_an_admin_adds_a_role_and_it_counts_on_the_next_request(admin, worker) -> None:
    org = await org_with_admin(admin)
    assert_problem(await worker.client.get(f"{API}/{org}"), 404)

    added = await add(admin, org, email=worker.email.upper(), role="coordinator")
    assert added.status_code == 201, added.text
    role = added.json()
    assert role["email"] == worker.email
    assert role["name"] == "Worker"
    assert role["role_label"] == "Care coordinator"
    assert role["granted_by_name"] == "Admin"
    assert role["current"] is True

    seen = await worker.client.get(f"{API}/{org}")
    assert seen.status_code == 200
    assert [r["role"] for r in seen.json()["my_roles"]] == ["coordinator"]
    actor = await actor_of(worker)
    assert any(str(r.organisation_id) == org and r.role is Role.COORDINATOR for r in actor.roles)


async def test_an_unknown_email_is_refused_with_what_to_do(admin) -> None:
    org = await org_with_admin(admin)
    body = assert_problem(
        await add(admin, org, email="nobody-here@example.org", role="coordinator"), 422
    )
    assert body["detail"] == (
        "No account uses this email address. Ask them to create an account first."
    )
    assert body["errors"][0]["field"] == "email"


async def test_the_same_current_role_twice_is_a_conflict(admin, worker) -> None:
    org = await org_with_admin(admin)
    assert (await add(admin, org, email=worker.email, role="team_manager")).status_code == 201
    body = assert_problem(
        await add(admin, org, email=worker.email, role="team_manager"), 409, "already"
    )
    assert "team manager" in body["detail"]
    # Another role for the same person is fine.
    assert (await add(admin, org, email=worker.email, role="coordinator")).status_code == 201
    assert len([r for r in await staff(admin, org) if r["email"] == worker.email]) == 2


@pytest.mark.parametrize(
    ("body", "field", "phrase"),
    [
        ({"role": "budget_authoriser"}, "spending_limit_pence", "spending limit"),
        ({"role": "budget_authoriser", "spending_limit_pence": 0}, "spending_limit_pence", ""),
        ({"role": "budget_authoriser", "spending_limit_pence": -5}, "spending_limit_pence", ""),
        ({"role": "budget_authoriser", "spending_limit_pence": "1250"}, "spending_limit_pence", ""),
        ({"role": "budget_authoriser", "spending_limit_pence": 12.5}, "spending_limit_pence", ""),
        ({"role": "budget_authoriser", "spending_limit_pence": True}, "spending_limit_pence", ""),
        (
            {"role": "budget_authoriser", "spending_limit_pence": 10**15},
            "spending_limit_pence",
            "",
        ),
        (
            {"role": "coordinator", "spending_limit_pence": 100_000},
            "spending_limit_pence",
            "only a budget authoriser",
        ),
        ({"role": "chief"}, "role", ""),
        ({"role": "coordinator", "surprise": 1}, "surprise", ""),
    ],
)
async def test_spending_limits_are_for_budget_authorisers_in_whole_pence(
    admin, worker, body, field, phrase
) -> None:
    org = await org_with_admin(admin)
    refused = assert_problem(await add(admin, org, email=worker.email, **body), 422, phrase)
    assert refused["errors"][0]["field"] == field
    assert [r["role"] for r in await staff(admin, org, include_ended=True)] == ["admin"]


async def test_a_budget_authoriser_gets_their_limit(admin, worker) -> None:
    org = await org_with_admin(admin)
    added = await add(
        admin, org, email=worker.email, role="budget_authoriser", spending_limit_pence=1_250_000
    )
    assert added.status_code == 201, added.text
    assert added.json()["spending_limit_pence"] == 1_250_000
    actor = await actor_of(worker)
    held = [r for r in actor.roles if str(r.organisation_id) == org]
    assert [(r.role, r.spending_limit_pence) for r in held] == [(Role.BUDGET_AUTHORISER, 1_250_000)]


# --- changing a limit -------------------------------------------------------------------


async def test_changing_a_limit_ends_the_old_role_and_keeps_it(admin, worker) -> None:
    org = await org_with_admin(admin)
    old = (
        await add(
            admin, org, email=worker.email, role="budget_authoriser", spending_limit_pence=100_000
        )
    ).json()
    changed = await admin.client.patch(
        f"{API}/{org}/staff/{old['id']}", json={"spending_limit_pence": 250_000}
    )
    assert changed.status_code == 200, changed.text
    new = changed.json()
    assert new["id"] != old["id"]
    assert new["spending_limit_pence"] == 250_000
    assert new["current"] is True

    current = [r for r in await staff(admin, org) if r["role"] == "budget_authoriser"]
    assert [r["id"] for r in current] == [new["id"]]
    everything = {r["id"]: r for r in await staff(admin, org, include_ended=True)}
    kept = everything[old["id"]]
    assert kept["current"] is False
    assert kept["spending_limit_pence"] == 100_000
    assert kept["ended_by_name"] == "Admin"
    assert kept["ended_at"] is not None
    assert [
        (r.role, r.spending_limit_pence)
        for r in await staff_roles(uuid.UUID(new["user_id"]))
        if str(r.organisation_id) == org
    ] == [(Role.BUDGET_AUTHORISER, 250_000)]

    # The old role has ended: it cannot be changed again.
    assert_problem(
        await admin.client.patch(
            f"{API}/{org}/staff/{old['id']}", json={"spending_limit_pence": 300_000}
        ),
        409,
        "already ended",
    )


async def test_only_a_budget_authoriser_has_a_limit_to_change(admin, worker) -> None:
    org = await org_with_admin(admin)
    coordinator = (await add(admin, org, email=worker.email, role="coordinator")).json()
    assert_problem(
        await admin.client.patch(
            f"{API}/{org}/staff/{coordinator['id']}", json={"spending_limit_pence": 5_000}
        ),
        422,
        "only a budget authoriser",
    )
    budget = (
        await add(
            admin, org, email=worker.email, role="budget_authoriser", spending_limit_pence=5_000
        )
    ).json()
    same = assert_problem(
        await admin.client.patch(
            f"{API}/{org}/staff/{budget['id']}", json={"spending_limit_pence": 5_000}
        ),
        422,
        "already £50.00",
    )
    assert same["errors"][0]["field"] == "spending_limit_pence"
    assert_problem(
        await admin.client.patch(
            f"{API}/{org}/staff/{budget['id']}", json={"spending_limit_pence": 0}
        ),
        422,
    )


# --- ending -----------------------------------------------------------------------------


async def test_ending_a_role_keeps_the_row_and_takes_the_role_away(admin, worker) -> None:
    org = await org_with_admin(admin)
    role = (await add(admin, org, email=worker.email, role="plan_authoriser")).json()
    ended = await admin.client.post(f"{API}/{org}/staff/{role['id']}/end")
    assert ended.status_code == 200, ended.text
    assert ended.json()["current"] is False
    assert ended.json()["ended_by_name"] == "Admin"

    assert role["id"] not in [r["id"] for r in await staff(admin, org)]
    kept = [r for r in await staff(admin, org, include_ended=True) if r["id"] == role["id"]]
    assert len(kept) == 1 and kept[0]["ended_at"] is not None
    actor = await actor_of(worker)
    assert all(str(r.organisation_id) != org for r in actor.roles)
    # It was their only role here: the organisation is now closed to them.
    assert_problem(await worker.client.get(f"{API}/{org}"), 404)
    assert org not in [o["id"] for o in (await worker.client.get(API)).json()]

    assert_problem(
        await admin.client.post(f"{API}/{org}/staff/{role['id']}/end"), 409, "already ended"
    )


async def test_the_last_admin_cannot_be_ended(admin, second_admin) -> None:
    org = await org_with_admin(admin)
    own = [r for r in await staff(admin, org) if r["role"] == "admin"][0]
    body = assert_problem(
        await admin.client.post(f"{API}/{org}/staff/{own['id']}/end"),
        409,
        "at least one admin",
    )
    assert "Give the admin role to someone else first" in body["detail"]

    deputy = (await add(admin, org, email=second_admin.email, role="admin")).json()
    # With two admins one may go, even themselves; then the other is the last.
    assert (await admin.client.post(f"{API}/{org}/staff/{own['id']}/end")).status_code == 200
    assert_problem(
        await second_admin.client.post(f"{API}/{org}/staff/{deputy['id']}/end"),
        409,
        "at least one admin",
    )
    # The admin who left is no admin any more.
    assert_problem(await admin.client.get(f"{API}/{org}"), 404)


async def test_two_admins_ending_each_other_at_once_leave_one(admin, second_admin) -> None:
    org = await org_with_admin(admin)
    first = [r for r in await staff(admin, org) if r["role"] == "admin"][0]
    second = (await add(admin, org, email=second_admin.email, role="admin")).json()
    results = await asyncio.gather(
        admin.client.post(f"{API}/{org}/staff/{second['id']}/end"),
        second_admin.client.post(f"{API}/{org}/staff/{first['id']}/end"),
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses[0] == 200 and statuses[1] in (403, 404, 409), [r.text for r in results]
    remaining = await organisations.list_staff(
        await actor_of(admin if results[0].status_code == 200 else second_admin), uuid.UUID(org)
    )
    assert [r.role for r in remaining] == [Role.ADMIN]


# --- who may do what --------------------------------------------------------------------


async def test_staff_who_are_not_admins_can_look_but_not_change(admin, worker, outsider) -> None:
    org = await org_with_admin(admin)
    mine = await give_role(worker, uuid.UUID(org), Role.COORDINATOR)
    admins = [r for r in await staff(admin, org) if r["role"] == "admin"]

    assert (await worker.client.get(f"{API}/{org}")).json()["can_manage_staff"] is False
    assert len(await staff(worker, org)) == 2
    refusals = [
        await add(worker, org, email=outsider.email, role="coordinator"),
        await add(worker, org, email=worker.email, role="admin"),
        await worker.client.patch(
            f"{API}/{org}/staff/{admins[0]['id']}", json={"spending_limit_pence": 100}
        ),
        await worker.client.post(f"{API}/{org}/staff/{admins[0]['id']}/end"),
        await worker.client.post(f"{API}/{org}/staff/{mine.id}/end"),
    ]
    for refused in refusals:
        assert_problem(refused, 403, "only an admin")
    assert len(await staff(admin, org, include_ended=True)) == 2


async def test_an_outsider_cannot_tell_the_organisation_exists(admin, outsider) -> None:
    org = await org_with_admin(admin)
    role_id = (await staff(admin, org))[0]["id"]
    nowhere = uuid.uuid4()
    for org_id in (org, nowhere):
        answers = [
            await outsider.client.get(f"{API}/{org_id}"),
            await outsider.client.get(f"{API}/{org_id}/staff"),
            await add(outsider, str(org_id), email=outsider.email, role="admin"),
            await outsider.client.patch(
                f"{API}/{org_id}/staff/{role_id}", json={"spending_limit_pence": 100}
            ),
            await outsider.client.post(f"{API}/{org_id}/staff/{role_id}/end"),
        ]
        details = {assert_problem(answer, 404)["detail"] for answer in answers}
        assert len(details) == 1
    assert len(await staff(admin, org, include_ended=True)) == 1


async def test_a_role_of_another_organisation_is_not_found_here(admin, worker) -> None:
    here = await org_with_admin(admin)
    there = await make_organisation()
    theirs = await give_role(worker, there, Role.COORDINATOR)
    assert_problem(await admin.client.post(f"{API}/{here}/staff/{theirs.id}/end"), 404)
    still = await organisations.list_staff(await actor_of(worker), there)
    assert theirs.id in [r.id for r in still]


async def test_an_admin_sees_no_plan_by_being_admin(admin, owner) -> None:
    await org_with_admin(admin)
    plan = await create_plan(owner.client, title="Private plan")
    assert_problem(await admin.client.get(f"/api/v1/plans/{plan['id']}"), 404)
    assert_problem(await admin.client.get(f"/api/v1/plans/{plan['id']}/sections/about_me"), 404)
    listed = (await admin.client.get("/api/v1/plans")).json()
    assert plan["id"] not in [p["id"] for p in listed]


# --- the operator's side (the command line uses these) -----------------------------------


async def test_creating_an_organisation_checks_what_it_is_given(worker) -> None:
    for name, kind, admin_email, phrase in (
        ("  ", "council", None, "Enter the organisation's name"),
        ("x" * 201, "council", None, "200 characters"),
        ("Somewhere", "hospital", None, "council, nhs_icb, provider"),
        ("Orphan Org", "provider", "nobody-at-all@example.org", "No account uses"),
    ):
        with pytest.raises(DomainError) as refused:
            await organisations.create_organisation(name, kind, admin_email)
        assert status_of(refused.value) == 422
        assert phrase in refused.value.detail
    # An unknown admin leaves nothing behind.
    assert await organisations.find_organisation("Orphan Org", "provider") is None

    made = await make_organisation("  Brokerage Ltd  ", "brokerage", admin=worker)
    actor = await actor_of(worker)
    read = await organisations.read_organisation(actor, made)
    assert read.name == "Brokerage Ltd"
    assert read.kind_label == "Brokerage"
    assert read.can_manage_staff is True


async def test_giving_a_role_in_an_organisation_that_does_not_exist_says_so(worker) -> None:
    with pytest.raises(DomainError) as refused:
        await give_role(worker, uuid.uuid4(), Role.COORDINATOR)
    assert status_of(refused.value) == 404
    assert "no organisation with the id" in refused.value.detail


async def test_the_openapi_document_lists_the_organisation_api(client) -> None:
    document = (await client.get("/api/v1/schema/openapi.json")).json()
    paths = document["paths"]
    assert set(paths[API]) == {"get"}
    assert set(paths[f"{API}/{{organisation_id}}/staff"]) == {"get", "post"}
    assert set(paths[f"{API}/{{organisation_id}}/staff/{{role_id}}"]) == {"patch"}
    assert set(paths[f"{API}/{{organisation_id}}/staff/{{role_id}}/end"]) == {"post"}
    listing = paths[f"{API}/{{organisation_id}}/staff"]["get"]
    assert "include_ended" in {p["name"] for p in listing.get("parameters", [])}
    schemas = document["components"]["schemas"]
    assert {"OrganisationRead", "StaffRoleRead", "StaffRoleCreate"} <= set(schemas)
