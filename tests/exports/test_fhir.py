"""The FHIR R4 export: a realistic plan as a Bundle that FHIR tooling accepts, whose references
all resolve inside it, and that holds nothing from a section its audience may not see."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from bench.plan_content import ACTIONS, CONTACTS, OUTCOMES, SECTIONS, SUPPORT_ITEMS, action_body
from portal.core.money import format_pounds
from portal.core.sections import SECTION_KEYS
from portal.exports.fhir import FhirPlan, build_bundle
from portal.plans.content import empty_section, section_to_dict
from portal.plans.money import SupportFact, annual_pence, summarise_money, weekly_pence

BASE_URL = "http://127.0.0.1:8000"
PLAN_ID = uuid.UUID("5a1e3c9e-8f0b-4b7e-9d3a-2c4f6b8a0d1e")
PERSON_ID = uuid.UUID("0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f")
MADE_AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
AGREED_AT = dt.datetime(2026, 3, 1, 14, 0, tzinfo=dt.UTC)
OUTCOME_STATUSES = ["agreed", "proposed", "declined"]
SNOMED_CARE_COORDINATOR = "768820003"


def _row_id(what: str) -> str:
    return str(uuid.uuid5(PLAN_ID, what))


def full_content() -> dict[str, Any]:
    """The benchmark's realistic plan in the shape `snapshot_plan` gives it: every section
    written, three outcomes (one of each status), support and actions linked to them."""
    outcomes = [
        {
            "id": _row_id(f"outcome {index}"),
            **outcome,
            "status": status,
            "status_reason": "Not something the budget can pay for" if status == "declined" else "",
            "decided_by": "Sunita Rahman" if status != "proposed" else "",
            "decided_at": "2026-02-20T10:00:00+00:00" if status != "proposed" else None,
        }
        for index, (outcome, status) in enumerate(zip(OUTCOMES, OUTCOME_STATUSES, strict=True))
    ]
    support = [
        {
            "id": _row_id(f"support {index}"),
            **item,
            "weekly_pence": weekly_pence(item["cost_pence"], item["frequency"]),
            "annual_pence": annual_pence(item["cost_pence"], item["frequency"]),
            "outcome_id": outcomes[goal]["id"],
            "minutes_per_week": 540 if index == 0 else None,
        }
        for index, (goal, item) in enumerate(SUPPORT_ITEMS)
    ]
    actions = []
    for index, (goal, action, days) in enumerate(ACTIONS):
        body = action_body(action, days, outcomes[goal]["id"] if goal is not None else None)
        actions.append(
            {
                "id": _row_id(f"action {index}"),
                "who": "",
                "due_by": None,
                "outcome_id": None,
                "done": index == 2,
                **body,
            }
        )
    # One action that serves no outcome, with no one named and no date.
    actions.append(
        {
            "id": _row_id("action unlinked"),
            "what": "Ask the surgery about a flu jab at home",
            "who": "",
            "due_by": None,
            "outcome_id": None,
            "done": False,
        }
    )
    contacts = [{"id": _row_id(f"contact {index}"), **c} for index, c in enumerate(CONTACTS)]
    allocation = SECTIONS["money"]
    money = summarise_money(
        allocation["allocation_pence"],
        allocation["allocation_frequency"],
        [SupportFact(item["cost_pence"], item["frequency"]) for item in support],
    )
    return {
        "title": "Maggie's plan",
        "kind": "personal_health_budget",
        "sections": {key: dict(value) for key, value in SECTIONS.items()},
        "outcomes": outcomes,
        "support_items": support,
        "actions": actions,
        "contacts": contacts,
        "money": msgspec.to_builtins(money),
    }


_LIST_OF = {
    "outcomes": "outcomes",
    "money": "support_items",
    "action_plan": "actions",
    "contacts": "contacts",
}


def for_audience(content: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """Content cut down as the access decision cuts it: hidden sections gone, their lists empty."""
    seen = dict(content)
    seen["sections"] = {k: v for k, v in content["sections"].items() if k not in hidden}
    for key in hidden & set(_LIST_OF):
        seen[_LIST_OF[key]] = []
    if "money" in hidden:
        seen.pop("money", None)
    return seen


def fhir_plan(content: dict[str, Any], **changes: Any) -> FhirPlan:
    values: dict[str, Any] = {
        "plan_id": PLAN_ID,
        "kind": "personal_health_budget",
        "title": "Maggie's plan",
        "state": "agreed",
        "person_id": PERSON_ID,
        "person_name": "Margaret Doyle",
        "created_at": dt.datetime(2026, 1, 5, 11, 0, tzinfo=dt.UTC),
        "updated_at": dt.datetime(2026, 2, 27, 16, 45, tzinfo=dt.UTC),
        "content": content,
        "agreed_version": 3,
        "agreed_at": AGREED_AT,
        "review_date": dt.date(2026, 9, 1),
        "organisation_name": "NHS South Yorkshire Integrated Care Board",
        "representatives": [("Claire Doyle", "Daughter, with lasting power of attorney")],
        "base_url": BASE_URL,
        "generated_at": MADE_AT,
    }
    values.update(changes)
    return FhirPlan(**values)


def validated(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle, once FHIR R4B tooling has accepted it whole and every resource on its own."""
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return bundle


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def only(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources(bundle, resource_type)
    assert len(found) == 1, f"{len(found)} {resource_type} resources"
    return found[0]


def by_url(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every value in the JSON, with where it is."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


def strings(node: Any) -> set[str]:
    return {value for _, value in walk(node) if isinstance(value, str)}


def dump(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, ensure_ascii=False)


def activities(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    plan = only(bundle, "CarePlan")
    return [a["detail"] for a in plan.get("activity", []) if a["detail"].get("kind") == kind]


# --- the whole plan ----------------------------------------------------------------------


def test_full_plan_parses_as_a_bundle_and_each_resource_as_its_own_type() -> None:
    bundle = validated(build_bundle(fhir_plan(full_content())))

    assert bundle["type"] == "collection"
    assert bundle["timestamp"] == "2026-03-02T09:30:00.000Z"
    assert bundle["identifier"]["value"].startswith("urn:uuid:")
    kinds = sorted(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds == sorted(
        ["CarePlan", "Patient", "CareTeam", "Organization", *["Goal"] * 3]
        + ["Practitioner"] * 2
        + ["RelatedPerson"] * 2
    )


def test_every_reference_resolves_to_an_entry_in_the_bundle() -> None:
    bundle = validated(build_bundle(fhir_plan(full_content())))
    urls = [e["fullUrl"] for e in bundle["entry"]]

    assert len(urls) == len(set(urls))
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        uuid.UUID(entry["resource"]["id"])
    references = [(p, v) for p, v in walk(bundle) if p.endswith(".reference")]
    assert len(references) > 20
    for path, reference in references:
        assert reference in urls, f"{path} points at {reference}, which is not in the bundle"
    # A reference names the type it points at, and that is the type it finds.
    entries = by_url(bundle)
    for _, value in walk(bundle):
        if isinstance(value, dict) and "reference" in value:
            assert entries[value["reference"]]["resourceType"] == value["type"]


def test_patient_holds_only_the_name_and_portal_id() -> None:
    patient = only(validated(build_bundle(fhir_plan(full_content()))), "Patient")

    assert set(patient) == {"resourceType", "id", "identifier", "name"}
    assert patient["name"] == [{"text": "Margaret Doyle"}]
    assert patient["identifier"] == [
        {"system": f"{BASE_URL}/fhir/person-id", "value": str(PERSON_ID)}
    ]


def test_care_plan_says_what_the_plan_is_and_who_it_belongs_to() -> None:
    bundle = validated(build_bundle(fhir_plan(full_content())))
    plan, patient = only(bundle, "CarePlan"), only(bundle, "Patient")
    patient_url = f"urn:uuid:{patient['id']}"

    assert plan["status"] == "active"
    assert plan["intent"] == "plan"
    assert plan["title"] == "Maggie's plan"
    assert plan["category"] == [{"text": "Personal health budget plan"}]
    assert plan["description"] == SECTIONS["starting_point"]["what_i_want_to_achieve"]
    assert plan["subject"]["reference"] == patient_url
    assert plan["author"]["reference"] == patient_url
    assert plan["created"] == "2026-01-05T11:00:00.000Z"
    assert plan["period"] == {"start": "2026-03-01T14:00:00.000Z", "end": "2026-09-01"}
    assert plan["identifier"][0] == {"system": f"{BASE_URL}/fhir/plan-id", "value": str(PLAN_ID)}
    agreed = plan["identifier"][1]
    assert agreed["system"] == f"{BASE_URL}/fhir/plan-version"
    assert agreed["value"] == f"{PLAN_ID}/versions/3"
    assert agreed["type"]["text"] == "Agreed version 3"


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("care_and_support", "Care and support plan"),
        ("personal_health_budget", "Personal health budget plan"),
        ("carer_support", "Carer's support plan"),
    ],
)
def test_category_says_which_kind_of_plan_it_is(kind: str, label: str) -> None:
    plan = only(validated(build_bundle(fhir_plan(full_content(), kind=kind))), "CarePlan")

    assert plan["category"] == [{"text": label}]


@pytest.mark.parametrize("state", ["draft", "submitted", "plan_authorised"])
def test_a_plan_not_yet_agreed_is_a_draft_without_an_agreed_version(state: str) -> None:
    bundle = validated(
        build_bundle(fhir_plan(full_content(), state=state, agreed_version=None, agreed_at=None))
    )
    plan = only(bundle, "CarePlan")

    assert plan["status"] == "draft"
    assert [i["system"] for i in plan["identifier"]] == [f"{BASE_URL}/fhir/plan-id"]
    assert "start" not in plan["period"]
    assert only(bundle, "CareTeam")["status"] == "proposed"


def test_review_date_comes_from_the_review_section_when_none_was_set_at_agreement() -> None:
    content = full_content()
    plan = only(
        validated(build_bundle(fhir_plan(content, review_date=None))),
        "CarePlan",
    )

    assert plan["period"]["end"] == content["sections"]["review"]["review_date"]


def test_review_section_date_is_not_used_when_the_audience_may_not_see_it() -> None:
    content = for_audience(full_content(), {"review"})
    plan = only(validated(build_bundle(fhir_plan(content, review_date=None))), "CarePlan")

    assert "end" not in plan["period"]


# --- outcomes, actions and support --------------------------------------------------------


def test_each_outcome_is_a_goal_with_its_title_status_and_how() -> None:
    content = full_content()
    bundle = validated(build_bundle(fhir_plan(content)))
    goals = resources(bundle, "Goal")
    patient_url = f"urn:uuid:{only(bundle, 'Patient')['id']}"

    assert len(goals) == len(OUTCOMES)
    expected = {"agreed": "accepted", "proposed": "proposed", "declined": "rejected"}
    for goal, outcome in zip(goals, content["outcomes"], strict=True):
        assert goal["description"] == {"text": outcome["title"]}
        assert goal["lifecycleStatus"] == expected[outcome["status"]]
        assert goal["note"] == [{"text": outcome["how"]}]
        assert goal["subject"]["reference"] == patient_url
        assert goal["expressedBy"]["reference"] == patient_url
        assert goal["identifier"][0]["value"] == outcome["id"]
    declined = goals[OUTCOME_STATUSES.index("declined")]
    assert declined["statusReason"] == "Not something the budget can pay for"
    assert declined["statusDate"] == "2026-02-20"
    assert "statusDate" not in goals[OUTCOME_STATUSES.index("proposed")]
    care_plan = only(bundle, "CarePlan")
    assert [g["reference"] for g in care_plan["goal"]] == [f"urn:uuid:{g['id']}" for g in goals]


def test_each_action_is_an_activity_with_its_description_status_and_goal() -> None:
    content = full_content()
    bundle = validated(build_bundle(fhir_plan(content)))
    entries = by_url(bundle)
    shown = activities(bundle, "Task")

    assert len(shown) == len(content["actions"])
    for detail, action in zip(shown, content["actions"], strict=True):
        assert detail["description"] == action["what"]
        assert detail["status"] == ("completed" if action["done"] else "unknown")
        if action["outcome_id"]:
            (goal,) = [entries[g["reference"]] for g in detail["goal"]]
            assert goal["identifier"][0]["value"] == action["outcome_id"]
        else:
            assert "goal" not in detail
        if action["who"]:
            assert detail["performer"] == [{"display": action["who"]}]
        else:
            assert "performer" not in detail
        if action["due_by"]:
            assert detail["scheduledPeriod"] == {"end": action["due_by"]}
        else:
            assert "scheduledPeriod" not in detail
    assert [d["status"] for d in shown].count("completed") == 1


def test_support_items_are_activities_with_their_cost_in_words() -> None:
    content = full_content()
    content["support_items"].append(
        {
            "id": _row_id("support big"),
            "description": "Day centre place",
            "provider": "Hillsborough Day Centre",
            "cost_pence": 123_456,
            "frequency": "weekly",
            "weekly_pence": 123_456,
            "annual_pence": 123_456 * 52,
            "outcome_id": None,
            "minutes_per_week": None,
        }
    )
    bundle = validated(build_bundle(fhir_plan(content)))
    entries = by_url(bundle)
    shown = activities(bundle, "ServiceRequest")

    assert len(shown) == len(content["support_items"])
    for detail, item in zip(shown, content["support_items"], strict=True):
        assert detail["description"].startswith(item["description"])
        assert f"Who provides it: {item['provider']}" in detail["description"]
        assert format_pounds(item["cost_pence"]) in detail["description"]
        assert detail["performer"] == [{"display": item["provider"]}]
        if item["outcome_id"]:
            (goal,) = [entries[g["reference"]] for g in detail["goal"]]
            assert goal["identifier"][0]["value"] == item["outcome_id"]
        else:
            assert "goal" not in detail
    assert shown[0]["description"] == (
        "Personal assistant, 9 hours a week (mornings). Who provides it: Employed directly "
        "through the payroll service. Costs £148.50 every week (£7,722.00 a year). "
        "9 hours a week."
    )
    assert "Costs £24.00 every month (£288.00 a year)." in shown[2]["description"]
    assert "Costs £320.00 every year." in shown[4]["description"]
    assert "Costs £1,234.56 every week (£64,197.12 a year)." in shown[5]["description"]


def test_money_totals_are_a_note_in_words() -> None:
    bundle = validated(build_bundle(fhir_plan(full_content())))
    notes = [n["text"] for n in only(bundle, "CarePlan")["note"]]

    # 148.50 and 49.50 weekly, 24.00 and 30.00 monthly, 320.00 a year: £11,264.00 a year.
    assert notes[0] == (
        "The support in this plan costs £11,264.00 a year (£216.62 a week). The indicative "
        "allocation is £18,500.00 every year. £7,236.00 a year of the allocation is not planned."
    )
    assert notes[1].startswith(
        "How the money is held: Direct payment (I hold the money); Managed by the council for me."
    )


def test_support_costing_more_than_the_allocation_says_by_how_much() -> None:
    content = full_content()
    content["sections"]["money"] = {**content["sections"]["money"], "allocation_pence": 1_000_000}
    content["money"] = msgspec.to_builtins(
        summarise_money(
            1_000_000,
            "annual",
            [SupportFact(i["cost_pence"], i["frequency"]) for i in content["support_items"]],
        )
    )
    notes = [n["text"] for n in only(build_bundle(fhir_plan(content)), "CarePlan")["note"]]

    assert "The support costs £1,264.00 a year more than that." in notes[0]


# --- the care team ------------------------------------------------------------------------


def test_care_coordinator_is_a_practitioner_in_the_care_team_with_the_coordinator_role() -> None:
    bundle = validated(build_bundle(fhir_plan(full_content())))
    entries = by_url(bundle)
    team = only(bundle, "CareTeam")
    care_plan = only(bundle, "CarePlan")

    assert care_plan["careTeam"] == [{"reference": f"urn:uuid:{team['id']}", "type": "CareTeam"}]
    coordinators = [
        p
        for p in team["participant"]
        if any(
            c
            == {
                "system": "http://snomed.info/sct",
                "code": "768820003",
                "display": "Care coordinator",
            }
            for role in p["role"]
            for c in role.get("coding", [])
        )
    ]
    assert len(coordinators) == 1
    coordinator = entries[coordinators[0]["member"]["reference"]]
    assert coordinator["resourceType"] == "Practitioner"
    assert coordinator["name"] == [{"text": "Sunita Rahman"}]
    # What was written is kept as written, and the number in it can still be dialled; she is
    # also in the contacts, so she is one Practitioner with her email too.
    assert coordinator["telecom"] == [
        {"system": "other", "value": "Sheffield personal health budgets team, 0114 496 0100"},
        {"system": "phone", "value": "0114 496 0100"},
        {"system": "email", "value": "sunita.rahman@example.org"},
    ]
    assert team["subject"]["reference"] == care_plan["subject"]["reference"]


@pytest.mark.parametrize(
    ("contact", "telecom"),
    [
        ("0114 496 0100", [{"system": "phone", "value": "0114 496 0100"}]),
        ("+44 (0)114 496 0100", [{"system": "phone", "value": "+44 (0)114 496 0100"}]),
        ("sunita@example.org", [{"system": "email", "value": "sunita@example.org"}]),
        (
            "Ring the team on Tuesdays",
            [{"system": "other", "value": "Ring the team on Tuesdays"}],
        ),
        (
            "Email s.rahman@example.org after 2026-03-01",
            [
                {"system": "other", "value": "Email s.rahman@example.org after 2026-03-01"},
                {"system": "email", "value": "s.rahman@example.org"},
            ],
        ),
    ],
)
def test_coordinator_contact_is_a_phone_an_email_or_the_words_as_written(
    contact: str, telecom: list[dict[str, str]]
) -> None:
    content = for_audience(full_content(), {"contacts"})
    content["sections"]["review"] = {
        **content["sections"]["review"],
        "care_coordinator_contact": contact,
    }
    bundle = validated(build_bundle(fhir_plan(content)))
    (coordinator,) = [
        p for p in resources(bundle, "Practitioner") if p["name"] == [{"text": "Sunita Rahman"}]
    ]

    assert coordinator["telecom"] == telecom


def test_point_of_contact_is_a_practitioner_in_the_care_team() -> None:
    bundle = validated(build_bundle(fhir_plan(full_content())))
    entries = by_url(bundle)
    team = only(bundle, "CareTeam")
    (participant,) = [
        p
        for p in team["participant"]
        if p["role"] == [{"text": "Point of contact in health or care services"}]
    ]
    member = entries[participant["member"]["reference"]]

    assert member["resourceType"] == "Practitioner"
    assert member["name"] == [{"text": "Dev Mistry, community matron"}]
    assert {"system": "phone", "value": "0114 496 0321"} in member["telecom"]


def test_representatives_and_contacts_are_related_people_of_the_person() -> None:
    bundle = validated(build_bundle(fhir_plan(full_content())))
    patient_url = f"urn:uuid:{only(bundle, 'Patient')['id']}"
    people = {p["name"][0]["text"]: p for p in resources(bundle, "RelatedPerson")}

    # Claire is named in About me and as a representative: one person, both descriptions.
    assert set(people) == {"Claire Doyle", "Dev Mistry"}
    claire, dev = people["Claire Doyle"], people["Dev Mistry"]
    assert claire["patient"]["reference"] == patient_url
    assert claire["relationship"] == [
        {"text": "Daughter, with lasting power of attorney"},
        {"text": "My daughter, and she has lasting power of attorney"},
    ]
    assert dev["relationship"] == [{"text": "Community matron"}]
    assert dev["telecom"] == [
        {"system": "phone", "value": "0114 496 0321"},
        {"system": "email", "value": "dev.mistry@example.nhs.uk"},
    ]
    team = only(bundle, "CareTeam")
    roles = {
        by_url(bundle)[p["member"]["reference"]]["name"][0]["text"]: p["role"]
        for p in team["participant"]
    }
    assert roles["Claire Doyle"] == [{"text": "Speaks for the person"}]
    assert roles["Dev Mistry"] == [{"text": "Community matron"}]
    notes = [n["text"] for n in team["note"]]
    assert f"When to contact Dev Mistry: {CONTACTS[0]['when_to_contact']}" in notes
    assert f"Who to contact: {SECTIONS['contacts']['notes']}" in notes


def test_organisation_that_signs_off_manages_the_care_team() -> None:
    bundle = validated(build_bundle(fhir_plan(full_content())))
    organisation = only(bundle, "Organization")

    assert organisation["name"] == "NHS South Yorkshire Integrated Care Board"
    assert only(bundle, "CareTeam")["managingOrganization"] == [
        {"reference": f"urn:uuid:{organisation['id']}", "type": "Organization"}
    ]


# --- what the audience may not see --------------------------------------------------------


def _hidden_strings(content: dict[str, Any], hidden: set[str]) -> set[str]:
    """Text that is only in the hidden sections and their lists, and the costs in words."""
    shown = for_audience(content, hidden)
    secret = strings({k: content["sections"][k] for k in hidden})
    for key in hidden & set(_LIST_OF):
        rows = content[_LIST_OF[key]]
        secret |= strings(rows)
        if key == "money":
            secret |= {format_pounds(r["cost_pence"]) for r in rows}
            secret |= {format_pounds(v) for v in content["money"].values() if isinstance(v, int)}
    visible = strings(shown) | {"Claire Doyle", "Daughter, with lasting power of attorney"}
    visible |= {"", "weekly", "monthly", "annual", "agreed", "proposed", "declined"}
    return {s for s in secret - visible if not any(s in v for v in visible)}


@pytest.mark.parametrize(
    "hidden",
    [
        {"outcomes", "action_plan", "review", "money"},
        *({key} for key in SECTION_KEYS),
        set(SECTION_KEYS),
    ],
    ids=lambda hidden: "+".join(sorted(hidden)),
)
def test_an_audience_sees_nothing_from_a_section_it_may_not_see(hidden: set[str]) -> None:
    content = full_content()
    bundle = validated(build_bundle(fhir_plan(for_audience(content, hidden))))
    text = dump(bundle)

    secret = _hidden_strings(content, hidden)
    assert secret
    leaked = sorted(s for s in secret if s in text)
    assert not leaked, f"hidden text in the export: {leaked[:3]}"
    care_plan = only(bundle, "CarePlan")
    if "outcomes" in hidden:
        assert not resources(bundle, "Goal")
        assert "goal" not in care_plan
        assert all(o["id"] not in text for o in content["outcomes"])
    if "action_plan" in hidden:
        assert not activities(bundle, "Task")
    if "money" in hidden:
        assert not activities(bundle, "ServiceRequest")
        assert "£" not in text
    if "review" in hidden:
        assert SNOMED_CARE_COORDINATOR not in text
        assert not any(
            p["name"] == [{"text": "Sunita Rahman"}] for p in resources(bundle, "Practitioner")
        )


def test_audience_without_outcomes_sees_support_unlinked_to_any_goal() -> None:
    content = for_audience(full_content(), {"outcomes"})
    bundle = validated(build_bundle(fhir_plan(content)))

    assert all("goal" not in d for d in activities(bundle, "ServiceRequest"))
    assert all("goal" not in d for d in activities(bundle, "Task"))
    assert len(activities(bundle, "ServiceRequest")) == len(SUPPORT_ITEMS)


def test_lists_left_in_by_mistake_are_still_held_back_with_their_section() -> None:
    content = full_content()
    content["sections"] = {
        k: v for k, v in content["sections"].items() if k not in {"outcomes", "money"}
    }
    bundle = validated(build_bundle(fhir_plan(content)))

    assert not resources(bundle, "Goal")
    assert not activities(bundle, "ServiceRequest")
    assert "£" not in dump(bundle)


# --- hostile and empty content ------------------------------------------------------------

HOSTILE = {
    "html": '<script>alert("owned")</script><b onclick="x()">bold</b> & &amp; \'quote\'',
    "emoji": "Singing 🎶 with my 👩🏽‍🦽 friend 🏳️‍🌈",
    "arabic": "أريد أن أبقى في منزلي وأن أذهب إلى مجموعة الغناء",
    "hebrew": "אני רוצה להישאר בבית שלי",
    "bidi": "\u202eevil\u202c and \u200fmixed עברית with English",
    "long": "A" * 5000,
    "newlines": "First line\nSecond line\r\n\tindented",
}


def test_hostile_text_round_trips_literally_and_still_validates() -> None:
    content = full_content()
    everything = " ".join(HOSTILE.values())
    content["outcomes"][0] |= {"title": HOSTILE["html"], "how": HOSTILE["long"]}
    content["outcomes"][1] |= {"title": HOSTILE["arabic"], "how": HOSTILE["emoji"]}
    content["actions"][0] |= {"what": HOSTILE["bidi"], "who": HOSTILE["hebrew"]}
    content["support_items"][0] |= {"description": HOSTILE["long"], "provider": HOSTILE["html"]}
    content["contacts"][0] |= {"name": HOSTILE["emoji"], "role": HOSTILE["arabic"]}
    content["sections"]["starting_point"] = {
        **content["sections"]["starting_point"],
        "what_i_want_to_achieve": everything,
    }
    content["sections"]["review"] = {
        **content["sections"]["review"],
        "care_coordinator_name": HOSTILE["hebrew"],
        "care_coordinator_contact": HOSTILE["newlines"],
    }
    plan = fhir_plan(content, title=HOSTILE["html"], person_name=HOSTILE["arabic"])
    bundle = validated(build_bundle(plan))
    written = strings(bundle)

    for value in HOSTILE.values():
        assert any(value in found for found in written), f"{value[:40]!r} did not come through"
    parsed = Bundle.model_validate(bundle)
    care_plan = next(e.resource for e in parsed.entry if e.resource.__resource_type__ == "CarePlan")
    assert care_plan.title == HOSTILE["html"]
    assert care_plan.description == everything
    goals = [e.resource for e in parsed.entry if e.resource.__resource_type__ == "Goal"]
    assert goals[0].description.text == HOSTILE["html"]
    assert goals[0].note[0].text == HOSTILE["long"]
    assert goals[1].description.text == HOSTILE["arabic"]
    assert care_plan.activity[0].detail.performer[0].display == HOSTILE["hebrew"]
    # Survives a trip through JSON text, as a receiving system gets it.
    assert json.loads(json.dumps(bundle)) == bundle


def test_control_characters_fhir_forbids_are_dropped_and_the_rest_kept() -> None:
    content = full_content()
    content["outcomes"][0]["title"] = "Bell\x07 and null\x00 gone"
    bundle = validated(build_bundle(fhir_plan(content)))

    assert resources(bundle, "Goal")[0]["description"]["text"] == "Bell and null gone"


def _empty_content() -> dict[str, Any]:
    return {
        "title": "",
        "kind": "care_and_support",
        "sections": {key: section_to_dict(empty_section(key)) for key in SECTION_KEYS},
        "outcomes": [],
        "support_items": [],
        "actions": [],
        "contacts": [],
        "money": msgspec.to_builtins(summarise_money(None, "annual", [])),
    }


def _assert_nothing_empty(bundle: dict[str, Any]) -> None:
    for path, value in walk(bundle):
        assert value is not None, f"null at {path}"
        if isinstance(value, str):
            assert value.strip(), f"blank string at {path}"
        if isinstance(value, list | dict):
            assert value, f"empty {type(value).__name__} at {path}"


@pytest.mark.parametrize("sections", ["all empty", "none at all"])
def test_an_empty_plan_still_validates(sections: str) -> None:
    content = _empty_content()
    if sections == "none at all":
        content["sections"] = {}
    plan = fhir_plan(
        content,
        title="",
        state="draft",
        agreed_version=None,
        agreed_at=None,
        review_date=None,
        organisation_name=None,
        representatives=[],
    )
    bundle = validated(build_bundle(plan))

    _assert_nothing_empty(bundle)
    assert sorted(e["resource"]["resourceType"] for e in bundle["entry"]) == [
        "CarePlan",
        "Patient",
    ]
    care_plan = only(bundle, "CarePlan")
    assert care_plan["status"] == "draft"
    assert "title" not in care_plan
    assert "careTeam" not in care_plan


def test_blank_values_leave_no_empty_elements() -> None:
    content = full_content()
    content["actions"][0] |= {"who": "   ", "due_by": None}
    content["support_items"][0] |= {"provider": ""}
    content["contacts"][0] |= {"phone": "", "email": " ", "role": ""}
    content["outcomes"][0] |= {"how": "\n"}
    content["sections"]["review"] = {
        **content["sections"]["review"],
        "care_coordinator_contact": "",
    }
    plan = fhir_plan(content, organisation_name="  ", representatives=[("", "Friend")])
    bundle = validated(build_bundle(plan))

    _assert_nothing_empty(bundle)
    assert not resources(bundle, "Organization")
    assert "note" not in resources(bundle, "Goal")[0]


def test_the_full_plan_has_no_empty_elements() -> None:
    _assert_nothing_empty(validated(build_bundle(fhir_plan(full_content()))))


# --- stable ids ---------------------------------------------------------------------------


def test_the_same_plan_exported_twice_gives_identical_ids() -> None:
    first = build_bundle(fhir_plan(full_content()))
    later = build_bundle(fhir_plan(full_content(), generated_at=MADE_AT + dt.timedelta(days=1)))

    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in later["entry"]]
    assert [e["resource"] for e in first["entry"]] == [e["resource"] for e in later["entry"]]
    # Each export is a bundle of its own, made at its own time.
    assert first["identifier"] != later["identifier"]


def test_another_plan_gets_other_ids_but_the_same_person() -> None:
    first = build_bundle(fhir_plan(full_content()))
    other = build_bundle(fhir_plan(full_content(), plan_id=uuid.uuid4()))

    assert only(first, "CarePlan")["id"] != only(other, "CarePlan")["id"]
    assert only(first, "Patient")["id"] == only(other, "Patient")["id"]
