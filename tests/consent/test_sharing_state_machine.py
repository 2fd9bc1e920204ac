"""Random sequences of sharing steps, and after each one: everybody reads exactly what they may.

A Hypothesis state machine drives the real app over HTTP: the person shares, changes and stops
sharing; records and ends representatives under each authority; representatives try to share,
invite and record others (allowed or refused); invitations are made, used and withdrawn; the
plan is submitted for sign-off, and consent to it withdrawn. The test keeps its own model of
who holds what, worked out from the rules in plain Python (never by asking
`portal.consent.policy`), and checks after every
step that each persona's reads through the API are exactly the model's, never more, and that
every attempt was answered as the model expects (allowed, or refused with 403/404/409/410).

The app and its database live on the test session's event loop; Hypothesis runs in a worker
thread and hands each request to that loop (`Bridge`), so the same test runs on SQLite and
PostgreSQL without a second loop touching the connections.

To add a step: call the route in a new `@rule`, predict its answer from the model, and update
the model when it succeeds (withdrawing consent from sign-off sets `Model.signing_off` to None;
`Model.visible` derives the signing-off staff's sections from it).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.api.helpers import CRITERIA_KEYS, SECTION_KEYS, plan_url
from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation, write_complete_plan

T = TypeVar("T")

# --- the rules in words, as the model holds them ------------------------------------------

ACCESS_RANK = {"view": 1, "comment": 2, "edit": 3}
ALL = frozenset(SECTION_KEYS)
WELFARE = ALL - {"money"}
# What each authority can carry (the Mental Capacity Act's separate powers), restated here.
AUTHORITIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "lpa_health_welfare": (WELFARE, frozenset({"view", "edit", "share"})),
    "deputy_personal_welfare": (WELFARE, frozenset({"view", "edit", "share"})),
    "lpa_property_financial": (frozenset({"money"}), frozenset({"view", "edit"})),
    "deputy_property_affairs": (frozenset({"money"}), frozenset({"view", "edit"})),
    "consent": (ALL, frozenset({"view", "edit", "share"})),
}
DEPUTIES = {"deputy_personal_welfare", "deputy_property_affairs"}

# People who may be recorded as speaking for the person, and everyone who may be shared with.
REPS = ("carer", "planner", "friend", "neighbour")
USERS = (*REPS, "nurse", "coordinator")
# The nurse works at a provider; the coordinator at the council that signs the plan off.
ORGANISATIONS = {"practice": {"nurse"}, "council": {"coordinator"}}
SIGN_OFF_STAFF = {"council": {"coordinator"}}
GRANTEES = (*USERS, *ORGANISATIONS)


@dataclass
class Grant:
    id: str
    grantee: str  # a user persona's name, or an organisation's
    sections: frozenset[str]
    access: str
    active: bool = True


@dataclass
class Rep:
    id: str
    who: str
    authority: str
    sections: frozenset[str]
    powers: frozenset[str]
    active: bool = True


@dataclass
class Invitation:
    id: str
    token: str
    maker: str
    sections: frozenset[str]
    access: str
    email_for: str | None
    status: str = "open"


@dataclass
class Model:
    grants: list[Grant] = field(default_factory=list)
    reps: list[Rep] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    # The organisation the plan is submitted to, while submitting shares the plan with it.
    signing_off: str | None = None

    def members(self, who: str) -> set[str]:
        return {org for org, people in ORGANISATIONS.items() if who in people}

    def active_reps(self, who: str) -> list[Rep]:
        return [r for r in self.reps if r.active and r.who == who]

    def visible(self, who: str) -> frozenset[str]:
        """The sections this persona reads: by grant (theirs or their organisation's), by a
        record with the power to view or edit, or as staff the plan was submitted to."""
        if who == "owner":
            return ALL
        seen: set[str] = set()
        orgs = self.members(who)
        for grant in self.grants:
            if grant.active and (grant.grantee == who or grant.grantee in orgs):
                seen |= grant.sections
        for rep in self.active_reps(who):
            if rep.powers & {"view", "edit"}:
                seen |= rep.sections
        if self.signing_off and who in SIGN_OFF_STAFF.get(self.signing_off, set()):
            seen |= set(CRITERIA_KEYS)
        return frozenset(seen)

    def may_share(self, who: str) -> bool:
        return any("share" in rep.powers for rep in self.active_reps(who))

    def share_scope(self, who: str) -> dict[str, int]:
        """What a representative may give: from each record with the power to share, its
        sections, at edit if it may edit, else at view if it may view."""
        if who == "owner":
            return dict.fromkeys(ALL, ACCESS_RANK["edit"])
        scope: dict[str, int] = {}
        for rep in self.active_reps(who):
            if "share" not in rep.powers:
                continue
            rank = 3 if "edit" in rep.powers else 1 if "view" in rep.powers else 0
            for key in rep.sections:
                if rank:
                    scope[key] = max(scope.get(key, 0), rank)
        return scope

    def may_give(
        self, who: str, grantee: str | None, sections: frozenset[str], access: str
    ) -> bool:
        if who == "owner":
            return True
        if grantee is not None and (grantee == who or grantee in self.members(who)):
            return False
        scope = self.share_scope(who)
        return bool(scope) and all(scope.get(key, 0) >= ACCESS_RANK[access] for key in sections)

    def gate(self, who: str, share: bool = True) -> int | None:
        """The answer before anything is judged: 404 when they may not know the plan, 403
        when they may open it but not choose who sees it."""
        if who == "owner":
            return None
        if not self.visible(who):
            return 404
        if share and not self.may_share(who):
            return 403
        return None

    def deputies_covering(self, who: str, sections: frozenset[str], powers: frozenset[str]) -> bool:
        return any(
            rep.authority in DEPUTIES
            and "share" in rep.powers
            and sections <= rep.sections
            and powers <= rep.powers
            for rep in self.active_reps(who)
        )

    def has_grant(self, grantee: str) -> bool:
        return any(g.active and g.grantee == grantee for g in self.grants)


# --- talking to the app from Hypothesis's thread --------------------------------------------


class Bridge:
    """Runs a coroutine on the session's event loop and waits for it, from another thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __call__(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)


@dataclass
class World:
    app: Any
    run: Bridge
    people: dict[str, Persona]
    organisations: dict[str, uuid.UUID]
    outcomes: Counter[tuple[str, str, int]] = field(default_factory=Counter)


sections_strategy = st.frozensets(st.sampled_from(SECTION_KEYS), min_size=1, max_size=3)
access_strategy = st.sampled_from(tuple(ACCESS_RANK))


@st.composite
def scopes(draw: st.DrawFn) -> tuple[str, frozenset[str], frozenset[str]]:
    """An authority, and sections and powers within what it can carry."""
    authority = draw(st.sampled_from(tuple(AUTHORITIES)))
    sections, powers = AUTHORITIES[authority]
    chosen = draw(st.frozensets(st.sampled_from(sorted(sections)), min_size=1, max_size=4))
    chosen_powers = draw(st.frozensets(st.sampled_from(sorted(powers)), min_size=1))
    return authority, chosen, chosen_powers


class SharingMachine(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.plan_id = ""
        self.owner: Persona | None = None

    # --- helpers -------------------------------------------------------------------------

    def client(self, who: str) -> httpx.AsyncClient:
        if who == "owner":
            assert self.owner is not None
            return self.owner.client
        return self.world.people[who].client

    def call(self, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        # Paths are the plan's own ("/grants"), or whole ("/api/v1/invitations/...").
        url = path if path.startswith("/api/") else f"{plan_url(self.plan_id)}{path}"
        return self.world.run(self.client(who).request(method, url, json=body))

    def expect(self, response: httpx.Response, status: int, what: str) -> None:
        # How often each kind of step was allowed or refused, printed at the end of the run.
        actor, verb = what.split()[:2]
        self.world.outcomes[(actor if actor == "owner" else "someone else", verb, status)] += 1
        assert response.status_code == status, f"{what}: {response.status_code} {response.text}"
        if status >= 400:
            detail = response.json().get("detail", "")
            assert isinstance(detail, str) and len(detail.split()) >= 4, (what, detail)

    def grantee_body(self, grantee: str) -> dict[str, str]:
        if grantee in ORGANISATIONS:
            return {"grantee_organisation_id": str(self.world.organisations[grantee])}
        return {"grantee_email": self.world.people[grantee].email}

    # --- the plan ------------------------------------------------------------------------

    @initialize(first=st.lists(st.tuples(st.sampled_from(REPS), scopes()), min_size=1, max_size=3))
    def a_new_person_writes_a_complete_plan(
        self, first: list[tuple[str, tuple[str, frozenset[str], frozenset[str]]]]
    ) -> None:
        # Representatives are recorded for a person, not a plan: each run has its own person.
        self.owner = self.world.run(make_persona(self.world.app, "owner"))
        self.plan_id = self.world.run(write_complete_plan(self.owner.client))
        # Someone speaks for the person from the start, so their attempts reach the decision.
        for whom, scope in first:
            self._record("owner", whom, scope)

    def within_reach(
        self, data: st.DataObject, who: str, sections: frozenset[str], access: str
    ) -> tuple[frozenset[str], str]:
        """Half the time, what the representative may give (else what was drawn): random
        sections rarely fall inside a small record, and the allowed path needs trying too."""
        scope = self.model.share_scope(who)
        if who == "owner" or not scope or not data.draw(st.booleans(), label="within"):
            return sections, access
        inside = data.draw(
            st.frozensets(st.sampled_from(sorted(scope)), min_size=1, max_size=3), label="inside"
        )
        top = min(scope[key] for key in inside)
        level = data.draw(st.sampled_from([a for a, r in ACCESS_RANK.items() if r <= top]))
        return inside, level

    def someone(self, data: st.DataObject, pool: tuple[str, ...] = REPS) -> str:
        """Mostly a representative who may share (so the decision is reached), else anyone."""
        sharing = sorted({r.who for r in self.model.reps if r.active and "share" in r.powers})
        if sharing and data.draw(st.integers(min_value=0, max_value=3), label="sharer") > 0:
            return data.draw(st.sampled_from(sharing), label="who")
        return data.draw(st.sampled_from(pool), label="who")

    def teardown(self) -> None:
        if self.owner is not None:
            self.world.run(self.owner.client.aclose())

    # --- the person shares ---------------------------------------------------------------

    def _give(self, who: str, grantee: str, sections: frozenset[str], access: str) -> None:
        body = {
            **self.grantee_body(grantee),
            "sections": sorted(sections),
            "access": access,
            "purpose": "State machine",
        }
        response = self.call(who, "POST", "/grants", body)
        gate = self.model.gate(who)
        if gate is not None:
            return self.expect(response, gate, f"{who} shares")
        if not self.model.may_give(who, grantee, sections, access):
            return self.expect(response, 403, f"{who} shares {sorted(sections)} {access}")
        if self.model.has_grant(grantee):
            return self.expect(response, 409, f"{who} shares again with {grantee}")
        self.expect(response, 201, f"{who} shares {sorted(sections)} {access} with {grantee}")
        self.model.grants.append(Grant(response.json()["id"], grantee, sections, access))

    @rule(grantee=st.sampled_from(GRANTEES), sections=sections_strategy, access=access_strategy)
    def the_person_shares(self, grantee: str, sections: frozenset[str], access: str) -> None:
        self._give("owner", grantee, sections, access)

    @rule(
        data=st.data(),
        grantee=st.sampled_from(GRANTEES),
        sections=sections_strategy,
        access=access_strategy,
    )
    def a_representative_tries_to_share(
        self, data: st.DataObject, grantee: str, sections: frozenset[str], access: str
    ) -> None:
        who = self.someone(data)
        self._give(who, grantee, *self.within_reach(data, who, sections, access))

    def _change(self, who: str, grant: Grant, sections: frozenset[str], access: str) -> None:
        body = {"sections": sorted(sections), "access": access, "reason": "State machine"}
        response = self.call(who, "PATCH", f"/grants/{grant.id}", body)
        gate = self.model.gate(who)
        if gate is not None:
            return self.expect(response, gate, f"{who} changes a grant")
        if not grant.active:
            return self.expect(response, 409, f"{who} changes a stopped grant")
        before = self.model.may_give(who, grant.grantee, grant.sections, grant.access)
        if not (before and self.model.may_give(who, grant.grantee, sections, access)):
            return self.expect(response, 403, f"{who} changes {grant}")
        self.expect(response, 200, f"{who} changes {grant}")
        grant.sections, grant.access = sections, access

    @precondition(lambda self: bool(self.model.grants))
    @rule(
        data=st.data(),
        pick=st.integers(min_value=0),
        sections=sections_strategy,
        access=access_strategy,
    )
    def someone_changes_a_grant(
        self, data: st.DataObject, pick: int, sections: frozenset[str], access: str
    ) -> None:
        who = self.someone(data, ("owner", *REPS))
        grant = self.model.grants[pick % len(self.model.grants)]
        self._change(who, grant, *self.within_reach(data, who, sections, access))

    @precondition(lambda self: bool(self.model.grants))
    @rule(data=st.data(), pick=st.integers(min_value=0))
    def someone_stops_a_grant(self, data: st.DataObject, pick: int) -> None:
        who = self.someone(data, ("owner", *REPS))
        grant = self.model.grants[pick % len(self.model.grants)]
        response = self.call(who, "POST", f"/grants/{grant.id}/revoke", {"reason": "Done"})
        gate = self.model.gate(who)
        if gate is not None:
            return self.expect(response, gate, f"{who} stops a grant")
        if not grant.active:
            return self.expect(response, 409, f"{who} stops a stopped grant")
        if not self.model.may_give(who, grant.grantee, grant.sections, grant.access):
            return self.expect(response, 403, f"{who} stops {grant}")
        self.expect(response, 200, f"{who} stops {grant}")
        grant.active = False

    # --- who speaks for the person -------------------------------------------------------

    def _record(
        self, who: str, target: str, scope: tuple[str, frozenset[str], frozenset[str]]
    ) -> None:
        authority, sections, powers = scope
        body = {
            "email": self.world.people[target].email,
            "authority": authority,
            "sections": sorted(sections),
            "powers": sorted(powers),
        }
        response = self.call(who, "POST", "/representatives", body)
        gate = self.model.gate(who)
        if gate is not None:
            return self.expect(response, gate, f"{who} records {target}")
        if who != "owner" and (
            authority == "consent"
            or target == who
            or not self.model.deputies_covering(who, sections, powers)
        ):
            return self.expect(response, 403, f"{who} records {target} as {scope}")
        if any(r.authority == authority for r in self.model.active_reps(target)):
            return self.expect(response, 409, f"{who} records {target} again as {authority}")
        self.expect(response, 201, f"{who} records {target} as {scope}")
        self.model.reps.append(Rep(response.json()["id"], target, authority, sections, powers))

    # (`target` is Hypothesis's own word in a rule: the one recorded is `whom`.)
    @rule(whom=st.sampled_from(REPS), scope=scopes())
    def the_person_records_a_representative(
        self, whom: str, scope: tuple[str, frozenset[str], frozenset[str]]
    ) -> None:
        self._record("owner", whom, scope)

    @rule(data=st.data(), whom=st.sampled_from(REPS), scope=scopes())
    def a_representative_tries_to_record_one(
        self, data: st.DataObject, whom: str, scope: tuple[str, frozenset[str], frozenset[str]]
    ) -> None:
        self._record(self.someone(data), whom, scope)

    @precondition(lambda self: any(r.active for r in self.model.reps))
    @rule(data=st.data(), pick=st.integers(min_value=0))
    def someone_ends_a_representative(self, data: st.DataObject, pick: int) -> None:
        who = self.someone(data, ("owner", *REPS))
        active = [r for r in self.model.reps if r.active]
        rep = active[pick % len(active)]
        response = self.call(who, "POST", f"/representatives/{rep.id}/end", {"reason": "Done"})
        gate = self.model.gate(who, share=False)
        if gate is not None:
            return self.expect(response, gate, f"{who} ends {rep}")
        if who not in ("owner", rep.who) and (
            rep.authority == "consent"
            or not self.model.deputies_covering(who, rep.sections, rep.powers)
        ):
            return self.expect(response, 403, f"{who} ends {rep}")
        self.expect(response, 200, f"{who} ends {rep}")
        rep.active = False

    # --- invitations ---------------------------------------------------------------------

    @rule(
        data=st.data(),
        sections=sections_strategy,
        access=access_strategy,
        email_for=st.one_of(st.none(), st.sampled_from(USERS)),
    )
    def someone_invites(
        self, data: st.DataObject, sections: frozenset[str], access: str, email_for: str | None
    ) -> None:
        who = self.someone(data, ("owner", *REPS))
        sections, access = self.within_reach(data, who, sections, access)
        body: dict[str, Any] = {
            "sections": sorted(sections),
            "access": access,
            "purpose": "State machine",
        }
        if email_for:
            body["email"] = self.world.people[email_for].email
        response = self.call(who, "POST", "/invitations", body)
        gate = self.model.gate(who)
        if gate is not None:
            return self.expect(response, gate, f"{who} invites")
        if not self.model.may_give(who, email_for, sections, access):
            return self.expect(response, 403, f"{who} invites to {sorted(sections)} {access}")
        self.expect(response, 201, f"{who} invites")
        made = response.json()
        self.model.invitations.append(
            Invitation(made["invitation"]["id"], made["token"], who, sections, access, email_for)
        )

    @precondition(lambda self: bool(self.model.invitations))
    @rule(who=st.sampled_from(USERS), pick=st.integers(min_value=0))
    def someone_accepts_an_invitation(self, who: str, pick: int) -> None:
        invitation = self.model.invitations[pick % len(self.model.invitations)]
        response = self.call(who, "POST", f"/api/v1/invitations/{invitation.token}/accept")
        if invitation.status != "open":
            return self.expect(response, 410, f"{who} uses a spent invitation")
        if invitation.email_for not in (None, who):
            return self.expect(response, 403, f"{who} uses {invitation.email_for}'s invitation")
        # Decided again as a grant from its sender to whoever accepts it, as things are now.
        if not self.model.may_give(invitation.maker, who, invitation.sections, invitation.access):
            return self.expect(response, 403, f"{who} accepts {invitation}")
        self.expect(response, 200, f"{who} accepts {invitation}")
        invitation.status = "accepted"
        grant = response.json()["grant"]
        self.model.grants.append(Grant(grant["id"], who, invitation.sections, invitation.access))

    @precondition(lambda self: bool(self.model.invitations))
    @rule(data=st.data(), pick=st.integers(min_value=0))
    def someone_withdraws_an_invitation(self, data: st.DataObject, pick: int) -> None:
        who = self.someone(data, ("owner", *REPS))
        invitation = self.model.invitations[pick % len(self.model.invitations)]
        response = self.call(who, "POST", f"/invitations/{invitation.id}/withdraw", {})
        gate = self.model.gate(who)
        if gate is not None:
            return self.expect(response, gate, f"{who} withdraws an invitation")
        if not self.model.may_give(who, None, invitation.sections, invitation.access):
            return self.expect(response, 403, f"{who} withdraws {invitation}")
        if invitation.status != "open":
            return self.expect(response, 409, f"{who} withdraws a closed invitation")
        self.expect(response, 200, f"{who} withdraws {invitation}")
        invitation.status = "withdrawn"

    # --- sign-off ------------------------------------------------------------------------

    @precondition(lambda self: self.model.signing_off is None)
    @rule()
    def the_person_submits_the_plan(self) -> None:
        body = {
            "organisation_id": str(self.world.organisations["council"]),
            "share_with_organisation": True,
        }
        response = self.call("owner", "POST", "/submit", body)
        self.expect(response, 200, "owner submits")
        self.model.signing_off = "council"

    @rule(who=st.sampled_from(("owner", *USERS)))
    def someone_withdraws_consent_from_sign_off(self, who: str) -> None:
        """The person, or a representative with the power to share, takes the plan back out of
        sign-off: the organisation's staff lose the sections at once."""
        response = self.call(who, "POST", "/withdraw-consent", {"confirm": True})
        gate = self.model.gate(who)
        if gate is not None:
            return self.expect(response, gate, f"{who} withdraws consent")
        if self.model.signing_off is None:
            return self.expect(response, 409, f"{who} withdraws consent that was never given")
        self.expect(response, 200, f"{who} withdraws consent")
        self.model.signing_off = None

    # --- what everybody reads ------------------------------------------------------------

    @invariant()
    def everybody_reads_exactly_what_the_rules_allow(self) -> None:
        if not self.plan_id:
            return
        people = ("owner", *USERS)
        url = plan_url(self.plan_id)

        async def reads(who: str) -> list[httpx.Response]:
            # One persona's requests in turn; the personas side by side, as people would be.
            client = self.client(who)
            return [await client.get(url)] + [
                await client.get(f"{url}/sections/{key}") for key in SECTION_KEYS
            ]

        async def everyone() -> list[list[httpx.Response]]:
            return list(await asyncio.gather(*(reads(who) for who in people)))

        for who, (plan, *sections) in zip(people, self.world.run(everyone()), strict=True):
            expected = self.model.visible(who)
            if not expected:
                assert plan.status_code == 404, (who, plan.status_code, plan.text[:300])
            else:
                assert plan.status_code == 200, (who, plan.text[:300])
                keys = [section["key"] for section in plan.json()["sections"]]
                assert keys == [key for key in SECTION_KEYS if key in expected], (who, self.model)
            for key, section in zip(SECTION_KEYS, sections, strict=True):
                # Nothing of a section not shared: 404, whether or not the plan is known.
                want = 200 if key in expected else 404
                assert section.status_code == want, (who, key, section.status_code)
                if want == 200:
                    assert section.json()["key"] == key


# --- the test: on the session's loop, with Hypothesis in a thread ---------------------------


async def test_what_everyone_reads_is_exactly_what_the_sharing_rules_allow(app) -> None:  # type: ignore[no-untyped-def]
    council = await make_organisation(kind="council")
    practice = await make_organisation(kind="provider")
    people = {name: await make_persona(app, name) for name in USERS}
    await give_role(people["coordinator"], council, "coordinator")
    await give_role(people["nurse"], practice, "coordinator")
    SharingMachine.world = World(
        app=app,
        run=Bridge(asyncio.get_running_loop()),
        people=people,
        organisations={"council": council, "practice": practice},
    )
    try:
        await asyncio.to_thread(
            run_state_machine_as_test,
            SharingMachine,
            settings=settings(
                max_examples=6,
                stateful_step_count=12,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
                database=None,
            ),
        )
    finally:
        for persona in people.values():
            await persona.client.aclose()
    outcomes = SharingMachine.world.outcomes
    print("\nsharing state machine, steps by outcome:")
    for (actor, verb, status), count in sorted(outcomes.items()):
        print(f"  {actor} {verb}: {status} × {count}")
