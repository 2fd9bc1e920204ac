"""The FHIR export over HTTP: what an NHS or council system takes in, for each audience.

Real HTTP to the app and a real database; the Bundle is validated with the R4B models of
`fhir.resources` (the closest it has to plain R4) and its references checked inside it.
"""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from bench.plan_content import OUTCOMES, SECTIONS
from tests.api.helpers import assert_problem, plan_url
from tests.exports.test_fhir import by_url, resources, walk
from tests.exports.test_pdf import access_log, share
from tests.factories import write_complete_plan
from tests.signoff.test_sign_off import authorise_budget, authorise_plan, submit


async def fetch_bundle(who: Any, plan_id: str, **params: Any) -> dict[str, Any]:
    response = await who.client.get(f"{plan_url(plan_id)}/export/fhir", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.headers["cache-control"] == "no-store"
    assert ".fhir.json" in response.headers["content-disposition"]
    bundle: dict[str, Any] = response.json()
    Bundle.model_validate(bundle)
    urls = by_url(bundle)
    for path, value in walk(bundle):
        if path.endswith(".reference"):
            assert value in urls, f"{path} = {value} does not resolve inside the bundle"
    return bundle


async def test_an_agreed_plan_travels_as_an_active_care_plan_with_goals_and_its_team(
    people, council
) -> None:  # type: ignore[no-untyped-def]
    person = people["person"]
    plan_id = await write_complete_plan(person.client)
    await submit(person, plan_id, council)
    await authorise_plan(people["authoriser"], plan_id)
    await authorise_budget(people["budget"], plan_id)
    bundle = await fetch_bundle(people["authoriser"], plan_id)
    (care_plan,) = resources(bundle, "CarePlan")
    assert care_plan["status"] == "active" and care_plan["intent"] == "plan"
    assert any(i.get("value", "").endswith("/versions/1") for i in care_plan["identifier"])
    goals = resources(bundle, "Goal")
    assert sorted(g["description"]["text"] for g in goals) == sorted(o["title"] for o in OUTCOMES)
    assert len(care_plan["goal"]) == len(goals)
    (team,) = resources(bundle, "CareTeam")
    coordinator = SECTIONS["review"]["care_coordinator_name"]
    practitioners = {p["id"]: p for p in resources(bundle, "Practitioner")}
    coded = [
        part
        for part in team["participant"]
        if any(
            c.get("code") == "768820003" for r in part.get("role", []) for c in r.get("coding", [])
        )
    ]
    assert coded, team["participant"]
    member = coded[0]["member"]["reference"].removeprefix("urn:uuid:")
    assert practitioners[member]["name"][0]["text"] == coordinator
    organisations = [o["name"] for o in resources(bundle, "Organization")]
    assert organisations and organisations[0].startswith("Test council")
    actions = [a for a in care_plan["activity"] if a["detail"]["kind"] == "Task"]
    assert actions and all(a["detail"]["description"] for a in actions)
    log = [e for e in await access_log(person, plan_id) if e["event"] == "export"]
    assert [e["who"] for e in log] == ["Authoriser"]


async def test_a_co_author_exports_only_what_they_may_see(people) -> None:  # type: ignore[no-untyped-def]
    person, planner = people["person"], people["planner"]
    plan_id = await write_complete_plan(person.client)
    await share(person, plan_id, planner, ["about_me", "outcomes"])
    bundle = await fetch_bundle(planner, plan_id)
    dumped = json.dumps(bundle, ensure_ascii=False)
    assert len(resources(bundle, "Goal")) == len(OUTCOMES)
    assert SECTIONS["review"]["care_coordinator_name"] not in dumped
    assert SECTIONS["money"]["holding_notes"][:40] not in dumped
    assert "£" not in dumped
    (care_plan,) = resources(bundle, "CarePlan")
    assert care_plan["status"] == "draft"
    assert not care_plan.get("activity")
    assert_problem(await people["stranger"].client.get(f"{plan_url(plan_id)}/export/fhir"), 404)
