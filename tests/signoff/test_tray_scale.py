"""A work tray at 10,000 plans answers in the same order of time as at 100 (both printed).

The plans are written straight into the plan table in bulk (10,000 plans through the API would
take many minutes): what is measured is the tray, not how the plans got there.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid

import httpx

from portal.accounts.tables import UserAccount
from portal.plans.tables import Plan
from tests.conftest import make_persona
from tests.factories import give_role, make_organisation

BATCH = 500


async def _add_submitted_plans(
    organisation: uuid.UUID, owner: UserAccount, first: int, count: int
) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for offset in range(first, first + count, BATCH):
        rows = []
        for n in range(offset, min(offset + BATCH, first + count)):
            when = start + dt.timedelta(minutes=n)
            rows.append(
                Plan(
                    id=uuid.uuid4(),
                    person=owner.person,
                    kind="care_and_support",
                    title=f"Plan {n:05d}",
                    state="submitted",
                    created_by=owner.id,
                    created_at=when,
                    updated_at=when,
                    signing_off_organisation=organisation,
                    state_changed_at=when,
                )
            )
        await Plan.insert(*rows)


async def _median_ms(client: httpx.AsyncClient, path: str, runs: int = 9) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return statistics.median(timings)


async def test_a_tray_of_ten_thousand_answers_as_fast_as_one_of_a_hundred(app) -> None:  # type: ignore[no-untyped-def]
    organisation = await make_organisation(kind="council")
    authoriser = await make_persona(app, "tray")
    try:
        await give_role(authoriser, organisation, "plan_authoriser")
        owner = await UserAccount.objects().where(UserAccount.email == authoriser.email).first()
        assert owner is not None
        # The plans' person is someone else: the tray holds other people's plans.
        other = await make_persona(app, "many")
        person = await UserAccount.objects().where(UserAccount.email == other.email).first()
        await other.client.aclose()
        assert person is not None
        first = f"/api/v1/organisations/{organisation}/trays/plan_authorisation?per_page=25"

        await _add_submitted_plans(organisation, person, 0, 100)
        small = await _median_ms(authoriser.client, first)
        page = (await authoriser.client.get(first)).json()
        assert page["count"] == 100 and page["pages"] == 4
        assert [i["title"] for i in page["items"]] == [f"Plan {n:05d}" for n in range(25)]

        await _add_submitted_plans(organisation, person, 100, 9_900)
        large = await _median_ms(authoriser.client, first)
        page = (await authoriser.client.get(first)).json()
        assert page["count"] == 10_000 and page["pages"] == 400
        assert [i["title"] for i in page["items"]] == [f"Plan {n:05d}" for n in range(25)]
        last_path = first + "&page=400"
        last = (await authoriser.client.get(last_path)).json()
        assert [i["title"] for i in last["items"]][-1] == "Plan 09999"
        last_ms = await _median_ms(authoriser.client, last_path, runs=5)
        counts = (
            await authoriser.client.get(f"/api/v1/organisations/{organisation}/trays/")
        ).json()
        assert counts == [
            {"tray": "plan_authorisation", "title": "Awaiting plan authorisation", "count": 10_000}
        ]

        ratio = large / small
        print(
            f"\ntray first page: {small:.1f} ms at 100 plans, {large:.1f} ms at 10,000 plans "
            f"(ratio {ratio:.2f}); last page at 10,000: {last_ms:.1f} ms"
        )
        # The same order of time: well under the hundredfold growth of the plans.
        assert ratio < 10, (small, large)
    finally:
        await authoriser.client.aclose()
