"""Outcomes are decided before a plan is agreed: plan authorisation is refused (409, with the
undecided outcomes by title) while any proposed outcome is neither agreed nor declined, and the
decide page asks the authoriser to decide each one before it offers the button.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench.plan_content import OUTCOMES
from portal.audit.tables import AuditEntry
from tests.api.helpers import assert_problem, plan_url
from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation, write_complete_plan

TITLES = [outcome["title"] for outcome in OUTCOMES]


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    made = {name: await make_persona(app, name) for name in ("owner", "authoriser", "budget")}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", 5_000_000)
    yield made
    for persona in made.values():
        await persona.client.aclose()


def url(plan_id: str, path: str) -> str:
    return f"{plan_url(plan_id)}/{path}"


async def status(who: Persona, plan_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await who.client.get(url(plan_id, "sign-off"))).json()
    return body


async def submitted(people: dict[str, Persona], council: uuid.UUID) -> str:
    plan_id = await write_complete_plan(people["owner"].client)
    response = await people["owner"].client.post(
        url(plan_id, "submit"),
        json={"organisation_id": str(council), "share_with_organisation": True},
    )
    assert response.status_code == 200, response.text
    return plan_id


async def outcomes(who: Persona, plan_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (await who.client.get(url(plan_id, "outcomes"))).json()
    return listed


async def decide_outcome(who: Persona, plan_id: str, outcome_id: str, decision: str) -> None:
    body = {"decision": decision, "reason": "Not with this plan" if decision == "declined" else ""}
    done = await who.client.post(url(plan_id, f"outcome-decisions/{outcome_id}"), json=body)
    assert done.status_code == 200, done.text


async def authorise(who: Persona, plan_id: str) -> Any:
    digest = (await status(who, plan_id))["submitted_hash"]
    return await who.client.post(url(plan_id, "authorise-plan"), json={"version_hash": digest})


async def test_a_plan_with_undecided_outcomes_is_not_authorised(people, council) -> None:  # type: ignore[no-untyped-def]
    authoriser = people["authoriser"]
    plan_id = await submitted(people, council)

    refused = await authorise(authoriser, plan_id)
    body = assert_problem(refused, 409, "agree or decline each outcome", *TITLES)
    assert [o["title"] for o in body["undecided_outcomes"]] == TITLES
    assert body["errors"][0]["field"] == "outcomes"
    assert (await status(people["owner"], plan_id))["state"] == "submitted"
    refusals = await AuditEntry.raw(
        'SELECT "outcome", "reason" FROM "audit_entry" WHERE "plan" = {} AND "action" = {}',
        uuid.UUID(plan_id),
        "authorise_plan",
    )
    assert [r["outcome"] for r in refusals] == ["refused"]
    assert "Outcomes still to decide" in refusals[0]["reason"]

    # Deciding some is not enough: the answer lists only those left.
    first, *rest = await outcomes(authoriser, plan_id)
    await decide_outcome(authoriser, plan_id, first["id"], "agreed")
    still = assert_problem(await authorise(authoriser, plan_id), 409, *TITLES[1:])
    assert [o["id"] for o in still["undecided_outcomes"]] == [o["id"] for o in rest]
    assert TITLES[0] not in still["detail"]

    # A declined outcome is decided too.
    await decide_outcome(authoriser, plan_id, rest[0]["id"], "declined")
    await decide_outcome(authoriser, plan_id, rest[1]["id"], "agreed")
    done = await authorise(authoriser, plan_id)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "plan_authorised"


async def test_deciding_outcomes_does_not_make_the_submitted_version_out_of_date(
    people, council
) -> None:  # type: ignore[no-untyped-def]
    authoriser = people["authoriser"]
    plan_id = await submitted(people, council)
    before = await status(authoriser, plan_id)
    for outcome in await outcomes(authoriser, plan_id):
        await decide_outcome(authoriser, plan_id, outcome["id"], "agreed")
    after = await status(authoriser, plan_id)
    assert after["changed_since_submitted"] is False
    assert after["submitted_hash"] == before["submitted_hash"]
    assert (await authorise(authoriser, plan_id)).status_code == 200


def _csrf(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


async def test_the_decide_page_asks_for_each_outcome_before_it_offers_the_button(
    people, council
) -> None:  # type: ignore[no-untyped-def]
    authoriser = people["authoriser"]
    plan_id = await submitted(people, council)
    decide_url = f"/plans/{plan_id}/decide"
    action = f"/plans/{plan_id}/decide/authorise-plan"

    page = html.unescape((await authoriser.client.get(decide_url)).text)
    listed = re.search(r'id="outcomes-to-decide">(.*?)</div>', page, re.S)
    assert listed, "the page lists the outcomes still to decide"
    for title in TITLES:
        assert title in listed.group(1)
    assert f'action="{action}"' not in page
    for outcome in await outcomes(authoriser, plan_id):
        assert f'href="#outcome-{outcome["id"]}"' in listed.group(1)

    # A form sent anyway (an old tab) is refused on the page, saying what is left.
    digest = (await status(authoriser, plan_id))["submitted_hash"]
    sent = await authoriser.client.post(
        action, data={"version_hash": digest, "note": "", "_csrf_token": _csrf(page)}
    )
    assert sent.status_code == 409, sent.text[:2000]
    text = html.unescape(sent.text)
    assert 'href="#authorise-plan"' in text and "Still to decide" in text
    assert (await status(people["owner"], plan_id))["state"] == "submitted"

    # Once each is decided on the page, the button is there.
    for outcome in await outcomes(authoriser, plan_id):
        current = (await authoriser.client.get(decide_url)).text
        agreed = await authoriser.client.post(
            f"/plans/{plan_id}/outcome-decisions/{outcome['id']}",
            data={"decision": "agreed", "back": "decide", "_csrf_token": _csrf(current)},
        )
        assert agreed.status_code == 303, agreed.text[:2000]
    ready = (await authoriser.client.get(decide_url)).text
    assert 'id="outcomes-to-decide"' not in ready
    assert f'<form method="post" action="{action}"' in ready
