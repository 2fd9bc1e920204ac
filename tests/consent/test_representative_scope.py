"""A representative acts only within what was recorded for them (issue 13).

First the decision as a table (pure facts in, an answer and its reason out), then every
escalation tried through the API and through the sharing pages: each refusal is a 403 with a
sentence saying what they may do, saves nothing, and is in the person's access log.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from portal.consent.policy import (
    Access,
    Authority,
    Grantable,
    PlanAccessFacts,
    Power,
    Refusal,
    RepresentationFact,
    RepresentativeScope,
    decide_end_representative,
    decide_grant_change,
    decide_representative,
    decide_share,
    sharing_scope,
)
from portal.core.actor import Actor, Role, StaffRoleFact
from portal.core.sections import SECTION_KEYS
from tests.api.helpers import assert_problem, create_plan, plan_url
from tests.conftest import Persona, make_persona
from tests.pages.sharing.helpers import assert_page, error_summary, share_data, submit

# --- the decision as a table ----------------------------------------------------------------

PERSON = uuid.uuid4()
ME = uuid.uuid4()
OTHER_USER = uuid.uuid4()
MY_ORG = uuid.uuid4()
SOME_ORG = uuid.uuid4()
V, E, S = Power.VIEW, Power.EDIT, Power.SHARE
WELFARE = frozenset(SECTION_KEYS) - {"money"}


def rep(authority: Authority, sections: set[str], powers: set[Power]) -> RepresentationFact:
    return RepresentationFact(
        record_id=uuid.uuid4(),
        authority=authority,
        sections=frozenset(sections),
        powers=frozenset(powers),
    )


def facts(*reps: RepresentationFact) -> PlanAccessFacts:
    return PlanAccessFacts(plan_id=uuid.uuid4(), person_id=PERSON, representations=reps)


def me(person: uuid.UUID | None = None) -> Actor:
    return Actor(
        user_id=ME,
        person_id=person or uuid.uuid4(),
        display_name="Me",
        email="me@example.org",
        roles=(StaffRoleFact(organisation_id=MY_ORG, role=Role.COORDINATOR),),
    )


def to_user(sections: set[str], access: Access, user: uuid.UUID = OTHER_USER) -> Grantable:
    return Grantable(sections=frozenset(sections), access=access, grantee_user_id=user)


def to_org(sections: set[str], access: Access, org: uuid.UUID) -> Grantable:
    return Grantable(sections=frozenset(sections), access=access, grantee_organisation_id=org)


ABOUT_VIEW_SHARE = rep(Authority.LPA_HEALTH_WELFARE, {"about_me"}, {V, S})
ABOUT_EDIT_SHARE = rep(Authority.LPA_HEALTH_WELFARE, {"about_me", "staying_safe"}, {V, E, S})
ABOUT_EDIT_NO_SHARE = rep(Authority.CONSENT, {"about_me"}, {V, E})
MONEY_EDIT = rep(Authority.LPA_PROPERTY_FINANCIAL, {"money"}, {V, E})

SHARE_CASES = [
    # (facts, grant, allowed, refusal)
    # The issue's case: about me with view and share grants money, edit, to someone.
    (facts(ABOUT_VIEW_SHARE), to_user({"money"}, Access.EDIT), False, Refusal.SECTIONS_OUTSIDE),
    (facts(ABOUT_VIEW_SHARE), to_user({"about_me"}, Access.EDIT), False, Refusal.ACCESS_TOO_HIGH),
    (
        facts(ABOUT_VIEW_SHARE),
        to_user({"about_me"}, Access.COMMENT),
        False,
        Refusal.ACCESS_TOO_HIGH,
    ),
    (facts(ABOUT_VIEW_SHARE), to_user({"about_me"}, Access.VIEW), True, None),
    (
        facts(ABOUT_VIEW_SHARE),
        to_user({"about_me", "staying_safe"}, Access.VIEW),
        False,
        Refusal.SECTIONS_OUTSIDE,
    ),
    # Never to themselves, nor to an organisation they work for.
    (facts(ABOUT_VIEW_SHARE), to_user({"about_me"}, Access.VIEW, ME), False, Refusal.TO_THEMSELVES),
    (
        facts(ABOUT_VIEW_SHARE),
        to_org({"about_me"}, Access.VIEW, MY_ORG),
        False,
        Refusal.TO_THEMSELVES,
    ),
    (facts(ABOUT_VIEW_SHARE), to_org({"about_me"}, Access.VIEW, SOME_ORG), True, None),
    # Edit power shares up to edit, within the record's sections.
    (facts(ABOUT_EDIT_SHARE), to_user({"about_me", "staying_safe"}, Access.EDIT), True, None),
    (
        facts(ABOUT_EDIT_SHARE),
        to_user({"about_me", "money"}, Access.VIEW),
        False,
        Refusal.SECTIONS_OUTSIDE,
    ),
    # Without the power to share, nothing; a record without share adds nothing to one with it.
    (facts(ABOUT_EDIT_NO_SHARE), to_user({"about_me"}, Access.VIEW), False, Refusal.CANNOT_SHARE),
    (
        facts(ABOUT_VIEW_SHARE, ABOUT_EDIT_NO_SHARE),
        to_user({"about_me"}, Access.EDIT),
        False,
        Refusal.ACCESS_TOO_HIGH,
    ),
    (
        facts(ABOUT_VIEW_SHARE, MONEY_EDIT),
        to_user({"money"}, Access.VIEW),
        False,
        Refusal.SECTIONS_OUTSIDE,
    ),
    # An invitation (nobody named yet) is judged the same way.
    (
        facts(ABOUT_VIEW_SHARE),
        Grantable(frozenset({"money"}), Access.VIEW),
        False,
        Refusal.SECTIONS_OUTSIDE,
    ),
    (facts(), to_user({"about_me"}, Access.VIEW), False, Refusal.CANNOT_SHARE),
]


@pytest.mark.parametrize(("plan", "grant", "allowed", "refusal"), SHARE_CASES)
def test_what_a_representative_may_give(
    plan: PlanAccessFacts, grant: Grantable, allowed: bool, refusal: Refusal | None
) -> None:
    decision = decide_share(me(), plan, grant)
    assert (decision.allowed, decision.refusal) == (allowed, refusal)


def test_the_person_gives_anything_and_the_refusal_says_what_the_representative_may() -> None:
    owner = me(person=PERSON)
    assert decide_share(owner, facts(), to_user(set(SECTION_KEYS), Access.EDIT)).allowed
    assert sharing_scope(owner, facts()) == dict.fromkeys(SECTION_KEYS, Access.EDIT)
    decision = decide_share(
        me(), facts(ABOUT_VIEW_SHARE), to_user({"money", "about_me"}, Access.EDIT)
    )
    assert decision.outside == ("money",) and decision.too_high == ("about_me",)
    assert decision.scope == {"about_me": Access.VIEW}
    both = facts(ABOUT_VIEW_SHARE, ABOUT_EDIT_SHARE)
    assert sharing_scope(me(), both) == {"about_me": Access.EDIT, "staying_safe": Access.EDIT}
    assert sharing_scope(None, both) == {}


@pytest.mark.parametrize(
    ("current", "changed", "allowed", "refusal"),
    [
        # Within scope before and after: fine.
        (to_user({"about_me"}, Access.VIEW), to_user({"about_me"}, Access.VIEW), True, None),
        # Widening beyond their scope: refused.
        (
            to_user({"about_me"}, Access.VIEW),
            to_user({"about_me"}, Access.EDIT),
            False,
            Refusal.ACCESS_TOO_HIGH,
        ),
        (
            to_user({"about_me"}, Access.VIEW),
            to_user({"about_me", "money"}, Access.VIEW),
            False,
            Refusal.SECTIONS_OUTSIDE,
        ),
        # A grant the person gave beyond their scope is not theirs to narrow or stop.
        (
            to_user({"money"}, Access.EDIT),
            to_user({"about_me"}, Access.VIEW),
            False,
            Refusal.SECTIONS_OUTSIDE,
        ),
        # Their own grant (the person gave it to them) is the person's to change.
        (
            to_user({"about_me"}, Access.VIEW, ME),
            to_user({"about_me"}, Access.VIEW, ME),
            False,
            Refusal.TO_THEMSELVES,
        ),
    ],
)
def test_changing_or_stopping_a_grant_needs_power_over_it_before_and_after(
    current: Grantable, changed: Grantable, allowed: bool, refusal: Refusal | None
) -> None:
    decision = decide_grant_change(me(), facts(ABOUT_VIEW_SHARE), current, changed)
    assert (decision.allowed, decision.refusal) == (allowed, refusal)
    owner_may = decide_grant_change(me(person=PERSON), facts(), current, changed)
    assert owner_may.allowed


WELFARE_DEPUTY = rep(Authority.DEPUTY_PERSONAL_WELFARE, {"about_me", "staying_safe"}, {V, E, S})
MONEY_DEPUTY = rep(Authority.DEPUTY_PROPERTY_AFFAIRS, {"money"}, {V, E})
ATTORNEY = rep(Authority.LPA_HEALTH_WELFARE, set(WELFARE), {V, E, S})


def record(
    authority: Authority, sections: set[str], powers: set[Power], user: uuid.UUID = OTHER_USER
) -> RepresentativeScope:
    return RepresentativeScope(
        user_id=user, authority=authority, sections=frozenset(sections), powers=frozenset(powers)
    )


@pytest.mark.parametrize(
    ("plan", "asked", "allowed", "refusal"),
    [
        # An attorney, however wide, records nobody: only the person or a deputy does.
        (
            facts(ATTORNEY),
            record(Authority.LPA_HEALTH_WELFARE, {"about_me"}, {V}),
            False,
            Refusal.NOT_A_DEPUTY,
        ),
        (
            facts(ABOUT_VIEW_SHARE),
            record(Authority.LPA_HEALTH_WELFARE, {"about_me"}, {V}),
            False,
            Refusal.NOT_A_DEPUTY,
        ),
        # Nobody widens their own record, nor records the person's own consent.
        (
            facts(WELFARE_DEPUTY),
            record(Authority.LPA_HEALTH_WELFARE, {"about_me"}, {V}, ME),
            False,
            Refusal.TO_THEMSELVES,
        ),
        (
            facts(ATTORNEY),
            record(Authority.CONSENT, {"about_me"}, {V}),
            False,
            Refusal.ONLY_THE_PERSON_CONSENTS,
        ),
        # A deputy records within their own record, and no further.
        (
            facts(WELFARE_DEPUTY),
            record(Authority.LPA_HEALTH_WELFARE, {"about_me"}, {V, S}),
            True,
            None,
        ),
        (
            facts(WELFARE_DEPUTY),
            record(Authority.LPA_HEALTH_WELFARE, {"about_me", "outcomes"}, {V}),
            False,
            Refusal.BEYOND_DEPUTY,
        ),
        (
            facts(WELFARE_DEPUTY),
            record(Authority.LPA_PROPERTY_FINANCIAL, {"money"}, {V}),
            False,
            Refusal.BEYOND_DEPUTY,
        ),
        # A property deputy cannot share, so cannot record anyone either.
        (
            facts(MONEY_DEPUTY),
            record(Authority.DEPUTY_PROPERTY_AFFAIRS, {"money"}, {V}),
            False,
            Refusal.NOT_A_DEPUTY,
        ),
    ],
)
def test_who_may_record_a_representative(
    plan: PlanAccessFacts, asked: RepresentativeScope, allowed: bool, refusal: Refusal | None
) -> None:
    decision = decide_representative(me(), plan, asked)
    assert (decision.allowed, decision.refusal) == (allowed, refusal)
    assert decide_representative(me(person=PERSON), plan, asked).allowed


@pytest.mark.parametrize(
    ("plan", "ended", "allowed"),
    [
        (
            facts(ABOUT_VIEW_SHARE),
            record(Authority.LPA_HEALTH_WELFARE, {"about_me"}, {V}, ME),
            True,
        ),
        (facts(ABOUT_VIEW_SHARE), record(Authority.LPA_HEALTH_WELFARE, {"about_me"}, {V}), False),
        (facts(WELFARE_DEPUTY), record(Authority.LPA_HEALTH_WELFARE, {"about_me"}, {V}), True),
        (facts(WELFARE_DEPUTY), record(Authority.LPA_HEALTH_WELFARE, {"outcomes"}, {V}), False),
        (facts(WELFARE_DEPUTY), record(Authority.CONSENT, {"about_me"}, {V}), False),
    ],
)
def test_who_may_end_a_representative_record(
    plan: PlanAccessFacts, ended: RepresentativeScope, allowed: bool
) -> None:
    assert decide_end_representative(me(), plan, ended).allowed is allowed
    assert decide_end_representative(me(person=PERSON), plan, ended).allowed


# --- through the API --------------------------------------------------------------------------


@pytest.fixture
async def owner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    """A new person for each test: representative records belong to the person, not a plan."""
    persona = await make_persona(app, "owner")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def people(app) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    made = {name: await make_persona(app, name) for name in ("carer", "planner", "gp", "deputy")}
    yield made
    for persona in made.values():
        await persona.client.aclose()


async def record_rep(
    by: Persona, plan_id: str, who: Persona, authority: str, sections: list[str], powers: list[str]
) -> Any:
    return await by.client.post(
        f"{plan_url(plan_id)}/representatives",
        json={"email": who.email, "authority": authority, "sections": sections, "powers": powers},
    )


async def rep_plan(
    owner: Persona, carer: Persona, powers: list[str], sections: list[str] | None = None
) -> str:
    """A plan whose person recorded the carer (health and welfare attorney) for About me."""
    plan = await create_plan(owner.client)
    made = await record_rep(
        owner, plan["id"], carer, "lpa_health_welfare", sections or ["about_me"], powers
    )
    assert made.status_code == 201, made.text
    return str(plan["id"])


def grant_body(who: Persona, sections: list[str], access: str) -> dict[str, Any]:
    return {"grantee_email": who.email, "sections": sections, "access": access, "purpose": "Help"}


async def everything_shared(owner: Persona, plan_id: str) -> dict[str, Any]:
    """What the person sees of the plan's sharing: proof that a refusal saved nothing."""
    url = plan_url(plan_id)
    grants = (await owner.client.get(f"{url}/grants")).json()
    invitations = (await owner.client.get(f"{url}/invitations")).json()
    reps = (await owner.client.get(f"{url}/representatives?history=true")).json()
    return {"grants": grants, "invitations": invitations, "representatives": reps}


async def refusals(owner: Persona, plan_id: str) -> list[tuple[str, str, list[str]]]:
    log = (await owner.client.get(f"{plan_url(plan_id)}/access-log")).json()
    # Oldest first, as the attempts were made.
    return [
        (e["who"], e["event"], e["sections"])
        for e in reversed(log)
        if e["event"].endswith("_refused")
    ]


async def test_the_issues_case_money_edit_from_an_about_me_viewer_is_refused(owner, people) -> None:
    carer, planner = people["carer"], people["planner"]
    plan_id = await rep_plan(owner, carer, ["view", "share"])
    before = await everything_shared(owner, plan_id)

    refused = await carer.client.post(
        f"{plan_url(plan_id)}/grants", json=grant_body(planner, ["money"], "edit")
    )
    body = assert_problem(refused, 403, "You can share only About me, with view access", "Money")
    assert body["errors"][0]["field"] == "sections"
    assert await everything_shared(owner, plan_id) == before
    assert_problem(await planner.client.get(plan_url(plan_id)), 404)
    assert await refusals(owner, plan_id) == [("Carer", "grant_refused", ["money"])]


@pytest.mark.parametrize(
    ("grantee", "sections", "access", "phrases", "logged"),
    [
        # Themselves, more sections: never to themselves.
        ("carer", ["about_me", "staying_safe"], "view", ["yourself"], ["about_me", "staying_safe"]),
        # Someone else, further sections.
        (
            "planner",
            ["about_me", "staying_safe"],
            "view",
            ["Staying safe is not yours"],
            ["about_me", "staying_safe"],
        ),
        # About me, edit, with only the power to view.
        (
            "planner",
            ["about_me"],
            "edit",
            ["with view access", "Choose view access or less"],
            ["about_me"],
        ),
        ("planner", ["about_me"], "comment", ["Choose view access or less"], ["about_me"]),
    ],
)
async def test_a_representative_cannot_share_beyond_their_record(
    owner,
    people,
    grantee: str,
    sections: list[str],
    access: str,
    phrases: list[str],
    logged: list[str],
) -> None:
    carer = people["carer"]
    plan_id = await rep_plan(owner, carer, ["view", "share"])
    before = await everything_shared(owner, plan_id)
    refused = await carer.client.post(
        f"{plan_url(plan_id)}/grants", json=grant_body(people[grantee], sections, access)
    )
    assert_problem(refused, 403, *phrases)
    assert await everything_shared(owner, plan_id) == before
    assert await refusals(owner, plan_id) == [("Carer", "grant_refused", logged)]
    # What they may give, they can.
    given = await carer.client.post(
        f"{plan_url(plan_id)}/grants", json=grant_body(people["planner"], ["about_me"], "view")
    )
    assert given.status_code == 201, given.text
    seen = (await people["planner"].client.get(plan_url(plan_id))).json()
    assert [s["key"] for s in seen["sections"]] == ["about_me"]


async def test_invitations_stay_inside_the_record_too(owner, people) -> None:
    carer, gp = people["carer"], people["gp"]
    plan_id = await rep_plan(owner, carer, ["view", "share"])
    url = f"{plan_url(plan_id)}/invitations"
    before = await everything_shared(owner, plan_id)
    for body, phrase in (
        ({"sections": ["money"], "access": "edit"}, "You can invite people to only About me"),
        ({"sections": ["about_me"], "access": "edit"}, "Choose view access or less"),
        ({"sections": ["about_me"], "access": "view", "email": carer.email}, "yourself"),
    ):
        refused = await carer.client.post(url, json={**body, "purpose": "Help"})
        assert_problem(refused, 403, phrase)
    assert await everything_shared(owner, plan_id) == before
    assert [event for _, event, _ in await refusals(owner, plan_id)] == ["invitation_refused"] * 3

    made = await carer.client.post(
        url, json={"sections": ["about_me"], "access": "view", "purpose": "Help"}
    )
    assert made.status_code == 201, made.text
    accepted = await gp.client.post(f"/api/v1/invitations/{made.json()['token']}/accept")
    assert accepted.status_code in (200, 201), accepted.text
    assert accepted.json()["grant"]["sections"] == ["about_me"]
    assert accepted.json()["grant"]["access"] == "view"


async def test_an_invitation_gives_no_more_than_its_sender_may_when_it_is_used(
    owner, people
) -> None:
    carer, gp = people["carer"], people["gp"]
    plan_id = await rep_plan(owner, carer, ["view", "edit", "share"])
    url = f"{plan_url(plan_id)}/invitations"
    made = await carer.client.post(
        url, json={"sections": ["about_me"], "access": "edit", "purpose": "Help"}
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    # The carer may not use their own invitation: that would be a grant to themselves.
    assert_problem(await carer.client.post(f"/api/v1/invitations/{token}/accept"), 403, "yourself")
    # The person narrows the carer's record to view: the invitation may no longer give edit.
    [rep] = (await owner.client.get(f"{plan_url(plan_id)}/representatives")).json()
    ended = await owner.client.post(f"{plan_url(plan_id)}/representatives/{rep['id']}/end", json={})
    assert ended.status_code == 200, ended.text
    again = await record_rep(
        owner, plan_id, carer, "lpa_health_welfare", ["about_me"], ["view", "share"]
    )
    assert again.status_code == 201, again.text
    before = await everything_shared(owner, plan_id)
    refused = await gp.client.post(f"/api/v1/invitations/{token}/accept")
    assert_problem(refused, 403, "may no longer share", "Ask them")
    assert await everything_shared(owner, plan_id) == before
    assert_problem(await gp.client.get(plan_url(plan_id)), 404)
    assert ("Gp", "acceptance_refused", ["about_me"]) in await refusals(owner, plan_id)
    # The invitation was not used up by the refusal: the person can still withdraw it.
    [open_one] = [i for i in before["invitations"] if i["status"] == "open"]
    withdrawn = await owner.client.post(f"{url}/{open_one['id']}/withdraw", json={})
    assert withdrawn.status_code == 200, withdrawn.text


async def test_a_representative_cannot_change_or_stop_what_is_beyond_them(owner, people) -> None:
    carer, planner, gp = people["carer"], people["planner"], people["gp"]
    plan_id = await rep_plan(owner, carer, ["view", "share"])
    url = f"{plan_url(plan_id)}/grants"
    persons = await owner.client.post(url, json=grant_body(gp, ["money"], "edit"))
    theirs = await carer.client.post(url, json=grant_body(planner, ["about_me"], "view"))
    assert persons.status_code == theirs.status_code == 201
    persons_id, theirs_id = persons.json()["id"], theirs.json()["id"]
    before = await everything_shared(owner, plan_id)

    cases = [
        (f"{url}/{theirs_id}", {"access": "edit"}, "Choose view access or less"),
        (f"{url}/{theirs_id}", {"sections": ["about_me", "money"]}, "Money is not yours"),
        (f"{url}/{persons_id}", {"sections": ["about_me"], "access": "view"}, "only the person"),
        (f"{url}/{persons_id}/revoke", {"reason": "No"}, "only the person"),
    ]
    for path, body, phrase in cases:
        response = (
            await carer.client.post(path, json=body)
            if path.endswith("/revoke")
            else await carer.client.patch(path, json=body)
        )
        assert_problem(response, 403, phrase)
    assert await everything_shared(owner, plan_id) == before
    assert [event for _, event, _ in await refusals(owner, plan_id)] == ["grant_refused"] * 4
    assert (await gp.client.get(f"{plan_url(plan_id)}/sections/money")).status_code == 200
    # Within their record they change and stop what they gave; the person changes anything.
    narrowed = await carer.client.post(f"{url}/{theirs_id}/revoke", json={"reason": "Done"})
    assert narrowed.status_code == 200 and narrowed.json()["status"] == "revoked"
    changed = await owner.client.patch(f"{url}/{persons_id}", json={"access": "view"})
    assert changed.status_code == 200 and changed.json()["access"] == "view"


async def test_only_the_person_or_a_deputy_records_representatives(owner, people) -> None:
    carer, planner, deputy = people["carer"], people["planner"], people["deputy"]
    plan_id = await rep_plan(owner, carer, ["view", "edit", "share"], ["about_me", "staying_safe"])
    before = await everything_shared(owner, plan_id)
    attempts = [
        # An attorney with the power to share records another representative.
        (planner, "lpa_health_welfare", ["about_me"], ["view"], "court-appointed deputy"),
        # ... or widens their own record with another authority.
        (
            carer,
            "deputy_personal_welfare",
            ["about_me", "outcomes"],
            ["view", "edit", "share"],
            "your own record",
        ),
        (carer, "consent", ["about_me"], ["view"], "person themselves"),
    ]
    for who, authority, sections, powers, phrase in attempts:
        refused = await record_rep(carer, plan_id, who, authority, sections, powers)
        assert_problem(refused, 403, phrase)
    assert await everything_shared(owner, plan_id) == before
    assert_problem(await planner.client.get(plan_url(plan_id)), 404)
    assert [e for _, e, _ in await refusals(owner, plan_id)] == ["representative_refused"] * 3
    # Nor may the attorney end someone else's record.
    deputy_made = await record_rep(
        owner,
        plan_id,
        deputy,
        "deputy_personal_welfare",
        ["about_me", "staying_safe"],
        ["view", "edit", "share"],
    )
    assert deputy_made.status_code == 201
    ended = await carer.client.post(
        f"{plan_url(plan_id)}/representatives/{deputy_made.json()['id']}/end", json={}
    )
    assert_problem(ended, 403, "court-appointed deputy")

    # A deputy records within their own record; no wider.
    wider = await record_rep(
        deputy, plan_id, planner, "lpa_health_welfare", ["about_me", "outcomes"], ["view"]
    )
    assert_problem(wider, 403, "within your own record", "My outcomes")
    within = await record_rep(
        deputy, plan_id, planner, "lpa_health_welfare", ["about_me"], ["view"]
    )
    assert within.status_code == 201, within.text
    assert [s["key"] for s in (await planner.client.get(plan_url(plan_id))).json()["sections"]] == [
        "about_me"
    ]
    # A deputy ends the records they could make; a representative may step down.
    gone = await deputy.client.post(
        f"{plan_url(plan_id)}/representatives/{within.json()['id']}/end", json={}
    )
    assert gone.status_code == 200, gone.text
    [carer_rep] = [
        r
        for r in (await owner.client.get(f"{plan_url(plan_id)}/representatives")).json()
        if r["email"] == carer.email
    ]
    stepped_down = await carer.client.post(
        f"{plan_url(plan_id)}/representatives/{carer_rep['id']}/end", json={"reason": "Moving away"}
    )
    assert stepped_down.status_code == 200, stepped_down.text
    assert_problem(await carer.client.get(plan_url(plan_id)), 404)


async def test_the_person_keeps_full_control(owner, people) -> None:
    plan_id = await rep_plan(owner, people["carer"], ["view", "share"])
    given = await owner.client.post(
        f"{plan_url(plan_id)}/grants", json=grant_body(people["gp"], list(SECTION_KEYS), "edit")
    )
    assert given.status_code == 201, given.text
    made = await record_rep(
        owner, plan_id, people["planner"], "consent", list(SECTION_KEYS), ["view", "edit", "share"]
    )
    assert made.status_code == 201, made.text
    assert await refusals(owner, plan_id) == []


# --- through the pages ------------------------------------------------------------------------


def choices(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}"[^>]*value="([^"]+)"', page) or re.findall(
        rf'value="([^"]+)"[^>]*name="{name}"', page
    )


async def test_the_pages_offer_only_what_the_representative_may_give(owner, people) -> None:
    carer, planner, gp = people["carer"], people["planner"], people["gp"]
    plan_id = await rep_plan(owner, carer, ["view", "share"])
    for path in ("sharing/new", "sharing/invite"):
        page = assert_page(await carer.client.get(f"/plans/{plan_id}/{path}"))
        assert choices(page, "sections") == ["about_me"], path
        assert choices(page, "access") == ["view"], path
    mine = assert_page(await owner.client.get(f"/plans/{plan_id}/sharing/new"))
    assert choices(mine, "sections") == list(SECTION_KEYS)
    assert choices(mine, "access") == ["view", "comment", "edit"]

    # Posted beyond it anyway: the form again, saying what they may do; nothing saved.
    before = await everything_shared(owner, plan_id)
    refused = await submit(
        carer.client,
        f"/plans/{plan_id}/sharing/new",
        share_data(planner.email, ["money"], access="edit"),
    )
    page = assert_page(refused, 403)
    [(href, message)] = error_summary(page)
    assert href == "#sections" and "You can share only About me, with view access" in message
    refused = await submit(
        carer.client,
        f"/plans/{plan_id}/sharing/invite",
        {**share_data("", ["about_me"], access="edit"), "email": "", "valid_days": "14"},
    )
    page = assert_page(refused, 403)
    [(href, message)] = error_summary(page)
    assert href == "#access" and "Choose view access or less" in message
    assert await everything_shared(owner, plan_id) == before
    assert [e for _, e, _ in await refusals(owner, plan_id)] == [
        "grant_refused",
        "invitation_refused",
    ]

    # The person's grant of money is listed to the carer, without Change or Stop links.
    grant = await owner.client.post(
        f"/api/v1/plans/{plan_id}/grants", json=grant_body(gp, ["money"], "view")
    )
    overview = assert_page(await carer.client.get(f"/plans/{plan_id}/sharing"))
    assert "Money" in overview
    assert f"/sharing/grants/{grant.json()['id']}/stop" not in overview
    assert f"/sharing/grants/{grant.json()['id']}/stop" in assert_page(
        await owner.client.get(f"/plans/{plan_id}/sharing")
    )


async def test_the_representative_page_refuses_an_attorney_recording_someone(owner, people) -> None:
    carer, planner = people["carer"], people["planner"]
    plan_id = await rep_plan(owner, carer, ["view", "share"])
    refused = await submit(
        carer.client,
        f"/plans/{plan_id}/sharing/representatives/new",
        {
            "email": planner.email,
            "authority": "lpa_health_welfare",
            "sections": ["about_me"],
            "powers": ["view"],
            "authority_reference": "",
            "relationship": "",
            "how_decisions_are_reached": "",
        },
    )
    page = assert_page(refused, 403)
    [(_, message)] = error_summary(page)
    assert "Only the person, or a court-appointed deputy" in message
    assert (await owner.client.get(f"/api/v1/plans/{plan_id}/representatives")).json()[0][
        "email"
    ] == carer.email
    assert [e for _, e, _ in await refusals(owner, plan_id)] == ["representative_refused"]
