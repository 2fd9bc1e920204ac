"""`portal organisations create` and `portal staff add`, run as the operator would run them."""

from __future__ import annotations

import uuid

from portal.accounts import organisations
from portal.core.actor import Role
from tests.cli.test_cli import portal
from tests.conftest import make_persona
from tests.factories import actor_of


async def new_account(app, name: str):  # type: ignore[no-untyped-def]
    persona = await make_persona(app, name)
    await persona.client.aclose()
    return persona


async def test_create_prints_the_id_and_makes_the_admin(app, tmp_path) -> None:
    admin = await new_account(app, "cliadmin")
    name = f"Wessex Council {uuid.uuid4().hex[:6]}"
    done = portal(
        "organisations",
        "create",
        "--name",
        name,
        "--kind",
        "council",
        "--admin-email",
        admin.email,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    organisation_id = uuid.UUID(done.stdout.strip())
    assert name in done.stderr
    read = await organisations.read_organisation(await actor_of(admin), organisation_id)
    assert read.name == name
    assert [role.role for role in read.my_roles] == [Role.ADMIN]


async def test_create_refuses_what_it_cannot_use(app, tmp_path) -> None:
    bad_kind = portal("organisations", "create", "--name", "X", "--kind", "hospital", cwd=tmp_path)
    assert bad_kind.returncode == 2
    assert "invalid choice: 'hospital'" in bad_kind.stderr
    blank = portal("organisations", "create", "--name", " ", "--kind", "council", cwd=tmp_path)
    assert blank.returncode == 2
    assert "Enter the organisation's name" in blank.stderr
    name = f"Nobody's Org {uuid.uuid4().hex[:6]}"
    unknown = portal(
        "organisations",
        "create",
        "--name",
        name,
        "--kind",
        "provider",
        "--admin-email",
        "not-registered@example.org",
        cwd=tmp_path,
    )
    assert unknown.returncode == 2
    assert "No account uses this email address" in unknown.stderr
    assert unknown.stdout == ""
    assert await organisations.find_organisation(name, "provider") is None


async def test_staff_add_gives_roles_and_explains_refusals(app, tmp_path) -> None:
    person = await new_account(app, "clistaff")
    made = portal(
        "organisations", "create", "--name", "Mercia ICB", "--kind", "nhs_icb", cwd=tmp_path
    )
    org = made.stdout.strip()

    def add(*extra: str):  # type: ignore[no-untyped-def]
        return portal(
            "staff", "add", "--organisation", org, "--email", person.email, *extra, cwd=tmp_path
        )

    coordinator = add("--role", "coordinator")
    assert coordinator.returncode == 0, coordinator.stderr
    assert "Clistaff" in coordinator.stdout and "care coordinator" in coordinator.stdout

    no_limit = add("--role", "budget_authoriser")
    assert no_limit.returncode == 2
    assert "Enter the spending limit" in no_limit.stderr
    budget = add("--role", "budget_authoriser", "--spending-limit-pence", "1250000")
    assert budget.returncode == 0, budget.stderr
    assert "£12,500.00 a year" in budget.stdout
    twice = add("--role", "coordinator")
    assert twice.returncode == 2
    assert "already a care coordinator at Mercia ICB" in twice.stderr
    stray_limit = add("--role", "team_manager", "--spending-limit-pence", "100")
    assert stray_limit.returncode == 2
    assert "Only a budget authoriser has a spending limit" in stray_limit.stderr

    held = {
        (r.role, r.spending_limit_pence)
        for r in (await actor_of(person)).roles
        if str(r.organisation_id) == org
    }
    assert held == {(Role.COORDINATOR, None), (Role.BUDGET_AUTHORISER, 1_250_000)}

    nowhere = portal(
        "staff",
        "add",
        "--organisation",
        str(uuid.uuid4()),
        "--email",
        person.email,
        "--role",
        "admin",
        cwd=tmp_path,
    )
    assert nowhere.returncode == 2
    assert "no organisation with the id" in nowhere.stderr
    not_an_id = portal(
        "staff",
        "add",
        "--organisation",
        "council-1",
        "--email",
        person.email,
        "--role",
        "admin",
        cwd=tmp_path,
    )
    assert not_an_id.returncode == 2
    assert "is not an organisation id" in not_an_id.stderr


async def test_the_demo_council_has_casey_and_morgan_and_is_safe_to_repeat(
    app, client, tmp_path
) -> None:
    for _ in range(2):
        done = portal("demo", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    council = await organisations.find_organisation("Northshire County Council", "council")
    assert council is not None

    casey = await actor_of("casey@example.org")
    assert casey.display_name == "Casey Jones"
    assert sorted(r.role for r in casey.roles if r.organisation_id == council) == [
        Role.COORDINATOR,
        Role.PLAN_AUTHORISER,
    ]
    morgan = await actor_of("morgan@example.org")
    assert morgan.display_name == "Morgan Lee"
    assert [r.role for r in morgan.roles if r.organisation_id == council] == [Role.ADMIN]
    # Once, not once a run: one council of that name, five roles in it.
    staff = await organisations.list_staff(morgan, council, include_ended=True)
    assert sorted((r.name, r.role) for r in staff) == [
        ("Casey Jones", Role.COORDINATOR),
        ("Casey Jones", Role.PLAN_AUTHORISER),
        ("Drew Evans", Role.BUDGET_AUTHORISER),
        ("Drew Evans", Role.TEAM_MANAGER),
        ("Morgan Lee", Role.ADMIN),
    ]
    # Casey can sign in with the demo password and sees the council.
    signed_in = await client.post(
        "/api/v1/session", json={"email": "casey@example.org", "password": "demo-password-1"}
    )
    assert signed_in.status_code == 201, signed_in.text
    mine = (await client.get("/api/v1/organisations")).json()
    assert [org["name"] for org in mine] == ["Northshire County Council"]
    await client.delete("/api/v1/session")
