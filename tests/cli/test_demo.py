"""`portal demo`'s sign-off walk-through: the integrated care board and its staff, Pat's plan
waiting for plan authorisation, Chris's agreed plan due for review; and running it twice adds
nothing. The demo runs as a person would run it, in its own process, on the test database.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from portal.accounts import organisations
from portal.accounts.tables import Organisation, StaffRole, UserAccount
from portal.audit.tables import AuditEntry
from portal.core.actor import Actor, Role
from portal.plans import reading as plan_reading
from portal.plans.tables import Plan, SupportItem
from portal.signoff import overview, work_trays
from portal.signoff.tables import PlanVersion
from tests.cli.test_cli import portal
from tests.factories import actor_of

COUNCIL = "Northshire County Council"
ICB = "Northshire Integrated Care Board"


@pytest.fixture(scope="module")
async def demo(app, tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    """The demo, loaded once for this module; its output."""
    done = portal("demo", cwd=tmp_path_factory.mktemp("demo"))
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _organisation(name: str, kind: str) -> uuid.UUID:
    found = await organisations.find_organisation(name, kind)
    assert found is not None, f"no {kind} called {name}"
    return found


def _roles(actor: Actor, organisation_id: uuid.UUID) -> set[tuple[Role, int | None]]:
    return {
        (role.role, role.spending_limit_pence)
        for role in actor.roles
        if role.organisation_id == organisation_id
    }


async def _only_plan(email: str) -> tuple[Actor, Any]:
    person = await actor_of(email)
    mine = await plan_reading.list_plans(person)
    assert len(mine) == 1, [p.title for p in mine]
    return person, mine[0]


async def test_the_icb_has_its_staff_and_drew_authorises_budgets_at_both(demo) -> None:  # type: ignore[no-untyped-def]
    icb = await _organisation(ICB, "nhs_icb")
    council = await _organisation(COUNCIL, "council")

    riley = await actor_of("riley@example.org")
    assert riley.display_name == "Riley Shah"
    assert _roles(riley, icb) == {(Role.PLAN_AUTHORISER, None)}
    drew = await actor_of("drew@example.org")
    assert drew.display_name == "Drew Evans"
    assert _roles(drew, icb) == {(Role.BUDGET_AUTHORISER, 2_000_000), (Role.TEAM_MANAGER, None)}
    assert _roles(drew, council) == {
        (Role.BUDGET_AUTHORISER, 1_500_000),
        (Role.TEAM_MANAGER, None),
    }
    morgan = await actor_of("morgan@example.org")
    assert _roles(morgan, icb) == {(Role.ADMIN, None)}
    assert _roles(morgan, council) == {(Role.ADMIN, None)}
    # Casey stays council staff only.
    casey = await actor_of("casey@example.org")
    assert _roles(casey, icb) == set()

    staff = await organisations.list_staff(morgan, icb, include_ended=True)
    assert sorted((r.name, r.role) for r in staff) == [
        ("Drew Evans", Role.BUDGET_AUTHORISER),
        ("Drew Evans", Role.TEAM_MANAGER),
        ("Morgan Lee", Role.ADMIN),
        ("Riley Shah", Role.PLAN_AUTHORISER),
    ]


async def test_pats_complete_plan_waits_in_caseys_plan_authorisation_tray(demo) -> None:  # type: ignore[no-untyped-def]
    council = await _organisation(COUNCIL, "council")
    pat, summary = await _only_plan("pat@example.org")
    assert pat.display_name == "Pat Taylor"
    assert (summary.kind, summary.state) == ("care_and_support", "submitted")

    plan = await plan_reading.read_plan(pat, summary.id)
    assert plan.criteria_summary.ready
    assert {criterion.status for criterion in plan.criteria} == {"met"}
    # Hours of care are recorded as minutes a week: 10 hours of home care at £210.00 a week.
    home_care = [item for item in plan.support_items if item.minutes_per_week is not None]
    assert [(i.minutes_per_week, i.cost_pence, i.frequency) for i in home_care] == [
        (600, 21_000, "weekly")
    ]

    status = await overview.sign_off_status(pat, summary.id)
    assert status.organisation is not None and status.organisation.id == council
    assert status.submitted_version == 1 and status.agreed_version is None
    # The council set its allocation; Pat's outcomes wait for Casey to agree or decline them.
    assert status.allocation_annual_pence == 1_300_000
    assert {o.status for o in plan.outcomes} == {"proposed"}

    casey = await actor_of("casey@example.org")
    tray = await work_trays.tray_page(casey, council, "plan_authorisation", 1, 100)
    assert summary.id in {item.plan_id for item in tray.items}
    drew = await actor_of("drew@example.org")
    budgets = await work_trays.tray_page(drew, council, "budget_authorisation", 1, 100)
    assert summary.id not in {item.plan_id for item in budgets.items}


async def test_chris_has_an_agreed_plan_due_for_review_within_the_month(demo) -> None:  # type: ignore[no-untyped-def]
    council = await _organisation(COUNCIL, "council")
    chris, summary = await _only_plan("chris@example.org")
    assert chris.display_name == "Chris Green"
    assert (summary.kind, summary.state) == ("care_and_support", "agreed")

    status = await overview.sign_off_status(chris, summary.id)
    plan = await plan_reading.read_plan(chris, summary.id)
    assert {o.status for o in plan.outcomes} == {"agreed"}
    assert status.agreed_version == 1 and status.submitted_version is None
    review_on = dt.date.today() + dt.timedelta(days=20)
    assert status.review_date == review_on
    [version] = status.versions
    assert version.status == "agreed"
    assert version.organisation_id == council
    assert version.plan_authorised_by == "Casey Jones"
    assert version.agreed_by == "Drew Evans"
    assert version.review_date == review_on
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", version.verification_code)
    # The plan costs more than the allocation, so Drew said why; within Drew's £15,000 limit.
    assert version.allocation_annual_pence is not None
    assert version.annual_cost_pence != version.allocation_annual_pence
    assert version.annual_cost_pence <= 1_500_000
    assert version.budget_variation_reason
    # Casey agreed the outcomes before authorising; Drew set the council's allocation first.
    assert [d.action for d in status.decisions] == [
        "authorise_budget",
        "set_allocation",
        "authorise_plan",
        *["outcome_agreed"] * len(plan.outcomes),
        "submit",
    ]
    assert status.organisation_allocation is not None
    assert status.organisation_allocation.set_by == "Drew Evans"
    assert status.allocation_annual_pence == version.allocation_annual_pence == 1_250_000
    # The travel training is one-off: this year's cost, beside the yearly cost.
    assert status.one_off_this_year_pence == 45_000

    casey = await actor_of("casey@example.org")
    due = await work_trays.tray_page(casey, council, "reviews_due", 1, 100)
    [item] = [item for item in due.items if item.plan_id == summary.id]
    assert item.due_on == review_on


async def _counts() -> dict[str, int]:
    return {
        table.__name__: await table.count()
        for table in (
            UserAccount,
            Organisation,
            StaffRole,
            Plan,
            SupportItem,
            PlanVersion,
            AuditEntry,
        )
    }


async def test_running_the_demo_again_changes_nothing(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = await _counts()
    again = portal("demo", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already there" in again.stdout
    assert await _counts() == before
    for email in ("pat@example.org", "chris@example.org"):
        _, summary = await _only_plan(email)
        assert summary.state in ("submitted", "agreed")
    assert await organisations.find_organisation(ICB, "nhs_icb") is not None
