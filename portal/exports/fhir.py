"""A plan as a FHIR R4 Bundle, for NHS and council systems that take care plans as FHIR.

`build_bundle` is pure: it takes a plan's content in the shape a version keeps it (see
`portal.plans.reading.snapshot_plan`), already cut down to what the audience may see, and gives
a Bundle of type "collection" as plain JSON values. What it holds, and why:

- `Patient`: the person, by name and portal person id only; the portal holds nothing else.
- `CarePlan`: the plan. The person is its subject and its author (they own and write it).
  Actions and support items are its activities, outcomes its goals, and the people around the
  person its care team. Money totals and the notes of visible sections are notes.
- `Goal`: one per outcome, expressed by the person.
- `CareTeam`: the care coordinator and the point of contact as `Practitioner`s; representatives
  and the "who to contact" rows as `RelatedPerson`s (see `_care_team` for why); the council or
  ICB that signs the plan off as the managing `Organization`.

Resources refer to each other by `urn:uuid:` fullUrls, and every id is a uuid5 of the plan (or
the person) and what the resource is, so exporting the same plan twice gives the same ids and
a receiving system can recognise a resource it has seen before. A section the audience may not
see leaves no trace, and nothing empty is written: FHIR forbids empty strings, lists and objects.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.core.money import format_pounds
from portal.exports import fhir_values as values
from portal.exports.fhir_values import Json
from portal.plans.content import HOLDING_LABELS, OutcomeStatus
from portal.plans.schemas import PLAN_KIND_LABELS

__all__ = ["FhirPlan", "build_bundle"]


SNOMED_CT = "http://snomed.info/sct"
# SNOMED CT 768820003 |Care coordinator (occupation)|; its preferred term is the display.
CARE_COORDINATOR_ROLE: Json = {
    "coding": [{"system": SNOMED_CT, "code": "768820003", "display": "Care coordinator"}],
    "text": "Care coordinator",
}

_GOAL_STATUS: dict[str, str] = {
    OutcomeStatus.proposed: "proposed",
    OutcomeStatus.agreed: "accepted",
    OutcomeStatus.declined: "rejected",
}

_HOLDINGS = {holding.value: label for holding, label in HOLDING_LABELS.items()}


class FhirPlan(msgspec.Struct, kw_only=True):
    """What a FHIR export is made from: the plan's facts and its content as the audience sees it."""

    plan_id: uuid.UUID
    kind: str
    title: str
    state: str
    person_id: uuid.UUID
    person_name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    # The shape `snapshot_plan` returns, cut down to what the audience may see.
    content: dict[str, Any]
    agreed_version: int | None = None
    agreed_at: dt.datetime | None = None
    # The review date set when the plan was agreed; without one, the review section's own date
    # is used when the audience may see that section.
    review_date: dt.date | None = None
    # The council or ICB that signs the plan off.
    organisation_name: str | None = None
    # (name, relationship) of the people who speak for the person.
    representatives: list[tuple[str, str]] = []
    base_url: str
    generated_at: dt.datetime


def build_bundle(plan: FhirPlan) -> dict[str, Any]:
    """The plan as a FHIR R4 collection Bundle, every reference resolving inside it."""
    base = plan.base_url.rstrip("/")
    content = plan.content
    sections: dict[str, Json] = content.get("sections") or {}
    patient = _patient(plan, base)
    patient_ref = values.reference(patient)
    goals = _goals(plan, base, values.visible_list(content, "outcomes"), patient_ref)
    goal_refs = {outcome_id: values.reference(goal) for outcome_id, goal in goals.items()}
    team, members = _care_team(
        plan, sections, values.visible_list(content, "contacts"), patient_ref
    )
    care_plan = _care_plan(plan, base, sections, patient_ref, goal_refs, team)
    resources = [care_plan, patient, *goals.values(), *([team] if team else []), *members]
    # One export, made at one moment for one audience: two audiences at once get two bundles.
    made_for = ",".join(sorted(sections))
    bundle_id = values.stable_id(
        plan.plan_id, f"Bundle/{values.instant(plan.generated_at)}/{made_for}"
    )
    bundle: Json = {
        "resourceType": "Bundle",
        "id": str(bundle_id),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": bundle_id.urn},
        "type": "collection",
        "timestamp": values.instant(plan.generated_at),
        "entry": [{"fullUrl": values.full_url(r), "resource": values.prune(r)} for r in resources],
    }
    return bundle


# --- resources ---------------------------------------------------------------------------


def _patient(plan: FhirPlan, base: str) -> Json:
    # The person's id, not the plan's, so every plan of theirs names the same Patient.
    return {
        "resourceType": "Patient",
        "id": str(values.stable_id(plan.person_id, "Patient")),
        "identifier": [{"system": f"{base}/fhir/person-id", "value": str(plan.person_id)}],
        "name": [{"text": values.fhir_text(plan.person_name)}],
    }


def _goals(plan: FhirPlan, base: str, outcomes: list[Json], patient_ref: Json) -> dict[str, Json]:
    """One Goal per outcome, keyed by outcome id so activities can point at the goal they serve."""
    goals: dict[str, Json] = {}
    for index, outcome in enumerate(outcomes):
        outcome_id = str(outcome.get("id") or f"index-{index}")
        status = _GOAL_STATUS.get(str(outcome.get("status")), "proposed")
        decided = values.london_date(outcome.get("decided_at"))
        goals[outcome_id] = {
            "resourceType": "Goal",
            "id": str(values.stable_id(plan.plan_id, f"Goal/{outcome_id}")),
            "identifier": [{"system": f"{base}/fhir/outcome-id", "value": outcome_id}],
            "lifecycleStatus": status,
            "statusDate": decided.isoformat() if decided else None,
            "statusReason": values.fhir_text(outcome.get("status_reason")),
            # Goal.description is required; a title is too, but never trust content to have one.
            "description": {"text": values.fhir_text(outcome.get("title")) or "Outcome"},
            "subject": patient_ref,
            "expressedBy": patient_ref,
            "note": [{"text": values.fhir_text(outcome.get("how"))}],
        }
    return goals


def _care_plan(
    plan: FhirPlan,
    base: str,
    sections: dict[str, Json],
    patient_ref: Json,
    goal_refs: dict[str, Json],
    team: Json | None,
) -> Json:
    agreed = plan.state == "agreed"
    identifiers: list[Json] = [{"system": f"{base}/fhir/plan-id", "value": str(plan.plan_id)}]
    if agreed and plan.agreed_version is not None:
        identifiers.append(
            {
                "type": {"text": f"Agreed version {plan.agreed_version}"},
                "system": f"{base}/fhir/plan-version",
                # The path of the agreed version's page, so the value is unique to this plan.
                "value": f"{plan.plan_id}/versions/{plan.agreed_version}",
                "period": {"start": values.instant(plan.agreed_at) if plan.agreed_at else None},
            }
        )
    starting_point = sections.get("starting_point") or {}
    activities = [
        *(_action_activity(a, goal_refs) for a in values.visible_list(plan.content, "actions")),
        *(
            _support_activity(i, goal_refs)
            for i in values.visible_list(plan.content, "support_items")
        ),
    ]
    return {
        "resourceType": "CarePlan",
        "id": str(values.stable_id(plan.plan_id, "CarePlan")),
        "meta": {"lastUpdated": values.instant(plan.updated_at)},
        "identifier": identifiers,
        # FHIR's "active" means in force and ready to act on. Until the budget is agreed the plan
        # can still be returned and changed (even once the plan itself is authorised), so it is a
        # draft: a proposal, not yet something anyone acts on.
        "status": "active" if agreed else "draft",
        "intent": "plan",
        "category": [{"text": PLAN_KIND_LABELS.get(plan.kind, "Care and support plan")}],
        "title": values.fhir_text(plan.title),
        "description": values.fhir_text(starting_point.get("what_i_want_to_achieve")),
        "subject": patient_ref,
        "period": _period(plan, sections),
        "created": values.instant(plan.created_at),
        # The person owns and writes their plan; professionals agree it, they do not author it.
        "author": patient_ref,
        "careTeam": [values.reference(team)] if team else [],
        "goal": list(goal_refs.values()),
        "activity": activities,
        "note": [{"text": words} for words in _plan_notes(plan.content, sections)],
    }


def _period(plan: FhirPlan, sections: dict[str, Json]) -> Json:
    """From agreement to the review date, when each is known."""
    review_date = plan.review_date
    if review_date is None and "review" in sections:
        review_date = values.date_of(sections["review"].get("review_date"))
    start = plan.agreed_at if plan.state == "agreed" else None
    start_day = values.london_date(start)
    # A period's start may not come after its end.
    if start_day and review_date and start_day > review_date:
        start = None
    return {
        "start": values.instant(start) if start else None,
        "end": review_date.isoformat() if review_date else None,
    }


def _action_activity(action: Json, goal_refs: dict[str, Json]) -> Json:
    due = values.date_of(action.get("due_by"))
    who = values.fhir_text(action.get("who"))
    return {
        "detail": {
            # An action is someone doing something by a date: what FHIR's Task describes.
            "kind": "Task",
            "goal": _goal_links(action, goal_refs),
            # The portal records only whether an action is done. FHIR's "unknown" is for exactly
            # this: one of not-started or in-progress applies, and the source cannot say which.
            "status": "completed" if action.get("done") else "unknown",
            "scheduledPeriod": {"end": due.isoformat() if due else None},
            # Who is free text ("Claire", "my PA"): a display, not a resource we could invent.
            "performer": [{"display": who}],
            "description": values.fhir_text(action.get("what")),
        }
    }


def _support_activity(item: Json, goal_refs: dict[str, Json]) -> Json:
    description = values.fhir_text(item.get("description"))
    provider = values.fhir_text(item.get("provider"))
    words = [description]
    if provider.strip():
        words.append(f"Who provides it: {provider}")
    cost = values.cost_words(item.get("cost_pence"), item.get("frequency"))
    if cost:
        words.append(f"Costs {cost}")
    minutes = item.get("minutes_per_week")
    if isinstance(minutes, int) and not isinstance(minutes, bool) and minutes > 0:
        words.append(f"{values.hours_words(minutes)} a week")
    return {
        "detail": {
            # Support bought with the budget is a service asked of a provider.
            "kind": "ServiceRequest",
            "goal": _goal_links(item, goal_refs),
            # The portal does not track whether support has started; see _action_activity. The
            # cost stays in words: R4's detail.quantity is an amount of a product, not a price,
            # and a price with its frequency would need an extension.
            "status": "unknown",
            "performer": [{"display": provider}],
            "description": values.sentences(words),
        }
    }


def _goal_links(row: Json, goal_refs: dict[str, Json]) -> list[Json]:
    # Only a goal in this bundle: an outcome the audience may not see is not linked, nor named.
    ref = goal_refs.get(str(row.get("outcome_id")))
    return [ref] if ref else []


def _plan_notes(content: Json, sections: dict[str, Json]) -> list[str]:
    notes: list[str] = []
    if "money" in sections:
        notes.extend(_money_notes(content.get("money"), sections["money"]))
    for key, label in (("outcomes", "About my outcomes"), ("action_plan", "About my actions")):
        text = values.fhir_text((sections.get(key) or {}).get("notes"))
        if text.strip():
            notes.append(f"{label}: {text}")
    return notes


def _money_notes(money: Any, section: Json) -> list[str]:
    notes: list[str] = []
    if isinstance(money, dict):
        total_week, total_year = (
            values.pence_of(money.get("total_weekly_pence")),
            values.pence_of(money.get("total_annual_pence")),
        )
        words = []
        if total_year is not None and total_week is not None:
            words.append(
                f"The support in this plan costs {format_pounds(total_year)} a year "
                f"({format_pounds(total_week)} a week)"
            )
        one_off = values.pence_of(money.get("one_off_this_year_pence"))
        if one_off:
            words.append(f"One-off costs add {format_pounds(one_off)} this year, paid once")
        allocation = values.pence_of(money.get("allocation_pence"))
        if allocation is not None:
            allocated = values.cost_words(allocation, money.get("allocation_frequency"))
            words.append(f"The indicative allocation is {allocated}")
        difference = values.pence_of(money.get("difference_annual_pence"))
        if difference is not None and difference > 0:
            words.append(f"{format_pounds(difference)} a year of the allocation is not planned")
        elif difference is not None and difference < 0:
            words.append(f"The support costs {format_pounds(-difference)} a year more than that")
        if words:
            notes.append(values.sentences(words))
    holding = [_HOLDINGS[h] for h in section.get("holding") or [] if h in _HOLDINGS]
    holding_notes = values.fhir_text(section.get("holding_notes"))
    if holding or holding_notes.strip():
        held = f"How the money is held: {'; '.join(holding)}" if holding else ""
        notes.append(values.sentences([held, holding_notes]))
    return notes


def _care_team(
    plan: FhirPlan, sections: dict[str, Json], contacts: list[Json], patient_ref: Json
) -> tuple[Json | None, list[Json]]:
    """The people around the person, and the organisation that signs the plan off.

    The care coordinator and the point of contact are named as holding a role in health or
    care services, so they are `Practitioner`s. The "who to contact" rows are `RelatedPerson`s:
    the person writes them, they mix professionals with family and neighbours, and nothing says
    which is which. A RelatedPerson belongs to this person's record (its `patient` is required),
    which is what these rows are, where a Practitioner would claim an identity the portal never
    checked. Someone named twice (the coordinator who is also a contact) is one resource with
    every role and way to reach them.
    """
    team = _Team(plan.plan_id, patient_ref)
    review = sections.get("review")
    if review is not None:
        team.add(
            "Practitioner",
            "care-coordinator",
            values.fhir_text(review.get("care_coordinator_name")),
            CARE_COORDINATOR_ROLE,
            values.telecom(values.fhir_text(review.get("care_coordinator_contact"))),
        )
    staying_safe = sections.get("staying_safe")
    if staying_safe is not None:
        team.add(
            "Practitioner",
            "point-of-contact",
            values.fhir_text(staying_safe.get("point_of_contact_name")),
            {"text": "Point of contact in health or care services"},
            values.telecom(values.fhir_text(staying_safe.get("point_of_contact_details"))),
        )
    representatives = list(plan.representatives)
    about_me = sections.get("about_me")
    if about_me is not None:
        representatives.append(
            (
                values.fhir_text(about_me.get("representative_name")),
                values.fhir_text(about_me.get("representative_relationship")),
            )
        )
    for name, relationship in representatives:
        team.add(
            "RelatedPerson",
            f"representative/{values.same_name(name)}",
            values.fhir_text(name),
            {"text": "Speaks for the person"},
            [],
            relationship=values.fhir_text(relationship),
        )
    notes: list[str] = []
    for index, contact in enumerate(contacts):
        name, role = values.fhir_text(contact.get("name")), values.fhir_text(contact.get("role"))
        telecom = [
            {"system": "phone", "value": values.fhir_text(contact.get("phone"))},
            {"system": "email", "value": values.fhir_text(contact.get("email"))},
        ]
        team.add(
            "RelatedPerson",
            f"contact/{contact.get('id') or index}",
            name,
            {"text": role or "Contact"},
            [t for t in telecom if t["value"].strip()],
            relationship=role,
        )
        when = values.fhir_text(contact.get("when_to_contact"))
        if name.strip() and when.strip():
            notes.append(f"When to contact {name}: {when}")
    if "contacts" in sections:
        general = values.fhir_text(sections["contacts"].get("notes"))
        if general.strip():
            notes.append(f"Who to contact: {general}")
    members = team.resources()
    organisation: Json | None = None
    if plan.organisation_name and plan.organisation_name.strip():
        organisation = {
            "resourceType": "Organization",
            "id": str(values.stable_id(plan.plan_id, "Organization/signing-off")),
            "name": values.fhir_text(plan.organisation_name),
        }
        members.append(organisation)
    if not team.participants and organisation is None:
        return None, members
    care_team: Json = {
        "resourceType": "CareTeam",
        "id": str(values.stable_id(plan.plan_id, "CareTeam")),
        # The team is in place when the plan it belongs to is; until then it is proposed.
        "status": "active" if plan.state == "agreed" else "proposed",
        "subject": patient_ref,
        "participant": team.participants,
        "managingOrganization": [values.reference(organisation)] if organisation else [],
        "note": [{"text": words} for words in notes],
    }
    return care_team, members


class _Team:
    """Participants of a care team, one resource per name however many roles it holds."""

    def __init__(self, plan_id: uuid.UUID, patient_ref: Json) -> None:
        self._plan_id = plan_id
        self._patient_ref = patient_ref
        self._by_name: dict[str, tuple[Json, Json]] = {}
        self.participants: list[Json] = []

    def add(
        self,
        resource_type: str,
        what: str,
        name: str,
        role: Json,
        telecom: list[Json],
        *,
        relationship: str = "",
    ) -> None:
        key = values.same_name(name)
        if not key:
            return
        if key in self._by_name:
            resource, participant = self._by_name[key]
            values.extend_new(resource["telecom"], telecom)
            values.extend_new(participant["role"], [role])
            if resource_type == "RelatedPerson" and "relationship" in resource:
                values.extend_new(resource["relationship"], [{"text": relationship}])
            return
        resource = {
            "resourceType": resource_type,
            "id": str(values.stable_id(self._plan_id, f"{resource_type}/{what}")),
            "name": [{"text": name}],
            "telecom": list(telecom),
        }
        if resource_type == "RelatedPerson":
            resource["patient"] = self._patient_ref
            resource["relationship"] = [{"text": relationship}]
        participant = {"role": [role], "member": values.reference(resource)}
        self._by_name[key] = (resource, participant)
        self.participants.append(participant)

    def resources(self) -> list[Json]:
        return [resource for resource, _ in self._by_name.values()]
