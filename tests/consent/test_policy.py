"""The access decision as a table: pure facts in, yes or no out."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from portal.consent.policy import (
    AUTHORITY_LIMITS,
    Access,
    Authority,
    GrantFact,
    Permission,
    PlanAccessFacts,
    Power,
    RepresentationFact,
    decide,
    scope_beyond_authority,
    visible_sections,
)
from portal.core.actor import Actor, OrgPermission, Role, StaffRoleFact, decide_organisation
from portal.core.sections import SECTION_KEYS

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
PERSON = uuid.uuid4()
COUNCIL = uuid.uuid4()
OTHER = uuid.uuid4()


def actor(*roles: tuple[uuid.UUID, Role], person: uuid.UUID | None = None) -> Actor:
    return Actor(
        user_id=uuid.uuid4(),
        person_id=person or uuid.uuid4(),
        display_name="Someone",
        email="someone@example.org",
        roles=tuple(StaffRoleFact(organisation_id=o, role=r) for o, r in roles),
    )


def plan(
    *grants: GrantFact,
    reps: tuple[RepresentationFact, ...] = (),
    state: str = "draft",
    org: uuid.UUID | None = None,
) -> PlanAccessFacts:
    return PlanAccessFacts(
        plan_id=uuid.uuid4(),
        person_id=PERSON,
        state=state,
        signing_off_organisation_id=org,
        grants=grants,
        representations=reps,
        at=NOW,
    )


def grant(sections: set[str], access: Access, expires: dt.datetime | None = None) -> GrantFact:
    return GrantFact(
        grant_id=uuid.uuid4(), sections=frozenset(sections), access=access, expires_at=expires
    )


def rep(authority: Authority, sections: set[str], powers: set[Power]) -> RepresentationFact:
    return RepresentationFact(
        record_id=uuid.uuid4(),
        authority=authority,
        sections=frozenset(sections),
        powers=frozenset(powers),
    )


EDIT_ABOUT = grant({"about_me"}, Access.EDIT)
VIEW_ALL = grant(set(SECTION_KEYS), Access.VIEW)
COMMENT_ABOUT = grant({"about_me"}, Access.COMMENT)
EXPIRED = grant({"about_me"}, Access.EDIT, NOW - dt.timedelta(seconds=1))
NOT_YET_EXPIRED = grant({"about_me"}, Access.EDIT, NOW + dt.timedelta(seconds=1))
WELFARE_REP = rep(Authority.LPA_HEALTH_WELFARE, {"about_me"}, {Power.VIEW, Power.EDIT, Power.SHARE})
VIEWING_REP = rep(Authority.CONSENT, {"about_me"}, {Power.VIEW})

CASES = [
    # (who, facts, permission, section, allowed)
    ("owner", None, Permission.PLAN_SHARE, None, True),
    ("owner", None, Permission.SECTION_EDIT, "money", True),
    ("anonymous", None, Permission.PLAN_VIEW, None, False),
    ("stranger", plan(), Permission.PLAN_VIEW, None, False),
    ("co-author", plan(EDIT_ABOUT), Permission.PLAN_VIEW, None, True),
    ("co-author", plan(EDIT_ABOUT), Permission.SECTION_EDIT, "about_me", True),
    ("co-author", plan(EDIT_ABOUT), Permission.SECTION_VIEW, "money", False),
    ("co-author", plan(EDIT_ABOUT), Permission.PLAN_SHARE, None, False),
    ("co-author", plan(EDIT_ABOUT), Permission.PLAN_ACCESS_LOG, None, False),
    ("co-author", plan(EDIT_ABOUT), Permission.PLAN_EDIT, None, False),
    ("viewer", plan(VIEW_ALL), Permission.SECTION_VIEW, "contacts", True),
    ("viewer", plan(VIEW_ALL), Permission.SECTION_COMMENT, "contacts", False),
    ("viewer", plan(VIEW_ALL), Permission.SECTION_EDIT, "contacts", False),
    ("commenter", plan(COMMENT_ABOUT), Permission.SECTION_COMMENT, "about_me", True),
    ("commenter", plan(COMMENT_ABOUT), Permission.SECTION_EDIT, "about_me", False),
    ("expired", plan(EXPIRED), Permission.PLAN_VIEW, None, False),
    ("expiring", plan(NOT_YET_EXPIRED), Permission.SECTION_EDIT, "about_me", True),
    ("two grants", plan(VIEW_ALL, EDIT_ABOUT), Permission.SECTION_EDIT, "about_me", True),
    ("two grants", plan(VIEW_ALL, EDIT_ABOUT), Permission.SECTION_EDIT, "money", False),
    ("rep", plan(reps=(WELFARE_REP,)), Permission.SECTION_EDIT, "about_me", True),
    ("rep", plan(reps=(WELFARE_REP,)), Permission.SECTION_VIEW, "money", False),
    ("rep", plan(reps=(WELFARE_REP,)), Permission.PLAN_SHARE, None, True),
    ("rep", plan(reps=(WELFARE_REP,)), Permission.PLAN_EDIT, None, True),
    ("viewing rep", plan(reps=(VIEWING_REP,)), Permission.SECTION_EDIT, "about_me", False),
    ("viewing rep", plan(reps=(VIEWING_REP,)), Permission.PLAN_SHARE, None, False),
]


@pytest.mark.parametrize(("who", "facts", "permission", "section", "allowed"), CASES)
def test_decision_table(
    who: str,
    facts: PlanAccessFacts | None,
    permission: Permission,
    section: str | None,
    allowed: bool,
) -> None:
    asking = None if who == "anonymous" else actor(person=PERSON if who == "owner" else None)
    assert decide(asking, permission, facts or plan(), section) is allowed


@pytest.mark.parametrize(
    ("roles", "state", "section", "allowed"),
    [
        (((COUNCIL, Role.COORDINATOR),), "draft", "about_me", False),
        (((COUNCIL, Role.COORDINATOR),), "submitted", "about_me", True),
        (((COUNCIL, Role.PLAN_AUTHORISER),), "agreed", "money", True),
        (((COUNCIL, Role.COORDINATOR),), "submitted", "contacts", False),
        (((COUNCIL, Role.ADMIN),), "submitted", "about_me", False),
        (((OTHER, Role.COORDINATOR),), "submitted", "about_me", False),
    ],
)
def test_staff_see_what_sign_off_needs_once_submitted_to_them(
    roles: tuple[tuple[uuid.UUID, Role], ...], state: str, section: str, allowed: bool
) -> None:
    facts = plan(state=state, org=COUNCIL)
    staff = actor(*roles)
    assert decide(staff, Permission.SECTION_VIEW, facts, section) is allowed
    # Staff may read and (later) comment; they never edit the person's words.
    assert decide(staff, Permission.SECTION_EDIT, facts, section) is False


def test_visible_sections_keep_the_plan_order() -> None:
    facts = plan(grant({"contacts", "about_me"}, Access.VIEW))
    assert visible_sections(actor(), facts, SECTION_KEYS) == ["about_me", "contacts"]


def test_organisation_admins_manage_staff_and_nobody_else() -> None:
    admin = actor((COUNCIL, Role.ADMIN))
    coordinator = actor((COUNCIL, Role.COORDINATOR))
    assert decide_organisation(admin, OrgPermission.MANAGE_STAFF, COUNCIL)
    assert not decide_organisation(admin, OrgPermission.MANAGE_STAFF, OTHER)
    assert not decide_organisation(coordinator, OrgPermission.MANAGE_STAFF, COUNCIL)
    assert decide_organisation(coordinator, OrgPermission.VIEW_STAFF, COUNCIL)
    assert decide_organisation(coordinator, OrgPermission.WORK_TRAY, COUNCIL)
    assert not decide_organisation(admin, OrgPermission.WORK_TRAY, COUNCIL)
    assert not decide_organisation(None, OrgPermission.VIEW_STAFF, COUNCIL)


@pytest.mark.parametrize(
    ("authority", "sections", "powers", "beyond"),
    [
        (Authority.LPA_HEALTH_WELFARE, {"about_me"}, {Power.SHARE}, ([], [])),
        (Authority.LPA_HEALTH_WELFARE, {"about_me", "money"}, {Power.VIEW}, (["money"], [])),
        (Authority.LPA_PROPERTY_FINANCIAL, {"money"}, {Power.SHARE}, ([], ["share"])),
        (Authority.DEPUTY_PROPERTY_AFFAIRS, {"about_me"}, {Power.VIEW}, (["about_me"], [])),
        (Authority.CONSENT, set(SECTION_KEYS), set(Power), ([], [])),
    ],
)
def test_a_scope_never_goes_beyond_its_authority(
    authority: Authority,
    sections: set[str],
    powers: set[Power],
    beyond: tuple[list[str], list[str]],
) -> None:
    assert scope_beyond_authority(authority, frozenset(sections), frozenset(powers)) == beyond


def test_every_authority_has_limits() -> None:
    assert set(AUTHORITY_LIMITS) == set(Authority)


# --- sign-off decisions ---------------------------------------------------------------------

OWNER = actor(person=PERSON)
OWNER_AUTHORISER = actor((COUNCIL, Role.PLAN_AUTHORISER), person=PERSON)
AUTHORISER = actor((COUNCIL, Role.PLAN_AUTHORISER))
BUDGET = actor((COUNCIL, Role.BUDGET_AUTHORISER))
COORDINATOR = actor((COUNCIL, Role.COORDINATOR))
ELSEWHERE = actor((OTHER, Role.PLAN_AUTHORISER))
WELFARE_REP = rep(
    Authority.LPA_HEALTH_WELFARE,
    set(SECTION_KEYS) - {"money"},
    {Power.VIEW, Power.EDIT, Power.SHARE},
)
MONEY_REP = rep(Authority.LPA_PROPERTY_FINANCIAL, {"money"}, {Power.VIEW, Power.EDIT})


def agreed_draft() -> PlanAccessFacts:
    """An agreed plan whose person has started changing it: a new draft, the agreed one active."""
    return PlanAccessFacts(
        plan_id=uuid.uuid4(),
        person_id=PERSON,
        state="draft",
        signing_off_organisation_id=COUNCIL,
        has_agreed_version=True,
        at=NOW,
    )


@pytest.mark.parametrize(
    ("who", "permission", "facts", "allowed"),
    [
        (OWNER, Permission.PLAN_SUBMIT, plan(), True),
        (actor(), Permission.PLAN_SUBMIT, plan(reps=(WELFARE_REP,)), True),
        # A property and financial attorney cannot share, so cannot consent by submitting.
        (actor(), Permission.PLAN_SUBMIT, plan(reps=(MONEY_REP,)), False),
        (actor(), Permission.PLAN_SUBMIT, plan(EDIT_ABOUT), False),
        (AUTHORISER, Permission.PLAN_AUTHORISE, plan(state="submitted", org=COUNCIL), True),
        (AUTHORISER, Permission.PLAN_RETURN, plan(state="submitted", org=COUNCIL), True),
        (AUTHORISER, Permission.BUDGET_AUTHORISE, plan(state="submitted", org=COUNCIL), False),
        (BUDGET, Permission.BUDGET_AUTHORISE, plan(state="plan_authorised", org=COUNCIL), True),
        (BUDGET, Permission.PLAN_RETURN, plan(state="plan_authorised", org=COUNCIL), True),
        (BUDGET, Permission.PLAN_AUTHORISE, plan(state="submitted", org=COUNCIL), False),
        (COORDINATOR, Permission.PLAN_AUTHORISE, plan(state="submitted", org=COUNCIL), False),
        (COORDINATOR, Permission.REVIEW_START, plan(state="agreed", org=COUNCIL), True),
        # Nobody decides on their own plan, whatever roles they hold; the person never does.
        (OWNER_AUTHORISER, Permission.PLAN_AUTHORISE, plan(state="submitted", org=COUNCIL), False),
        (OWNER, Permission.PLAN_AUTHORISE, plan(state="submitted", org=COUNCIL), False),
        (
            AUTHORISER,
            Permission.PLAN_AUTHORISE,
            plan(reps=(WELFARE_REP,), state="submitted", org=COUNCIL),
            False,
        ),
        # A role at another organisation, or before submission, gives nothing.
        (ELSEWHERE, Permission.PLAN_AUTHORISE, plan(state="submitted", org=COUNCIL), False),
        (AUTHORISER, Permission.PLAN_AUTHORISE, plan(state="draft", org=COUNCIL), False),
        (AUTHORISER, Permission.PLAN_VIEW, plan(state="draft", org=COUNCIL), False),
        # While an agreed plan is redrafted, its organisation's staff still see what it shares.
        (AUTHORISER, Permission.PLAN_VIEW, agreed_draft(), True),
        (AUTHORISER, Permission.SECTION_COMMENT, agreed_draft(), True),
        (ELSEWHERE, Permission.PLAN_VIEW, agreed_draft(), False),
        # Anyone who may open the plan may ask for a review.
        (actor(), Permission.REVIEW_REQUEST, plan(EDIT_ABOUT), True),
        (actor(), Permission.REVIEW_REQUEST, plan(), False),
    ],
)
def test_sign_off_decisions(
    who: Actor, permission: Permission, facts: PlanAccessFacts, allowed: bool
) -> None:
    section = "about_me" if permission == Permission.SECTION_COMMENT else None
    assert decide(who, permission, facts, section) is allowed


def test_trays_follow_roles() -> None:
    from portal.consent.policy import Tray, decide_tray

    assert decide_tray(COORDINATOR, Tray.PLAN_AUTHORISATION, COUNCIL)
    assert not decide_tray(COORDINATOR, Tray.BUDGET_AUTHORISATION, COUNCIL)
    assert decide_tray(BUDGET, Tray.BUDGET_AUTHORISATION, COUNCIL)
    assert not decide_tray(BUDGET, Tray.BUDGET_AUTHORISATION, OTHER)
    assert not decide_tray(actor((COUNCIL, Role.ADMIN)), Tray.PLAN_AUTHORISATION, COUNCIL)
    assert not decide_tray(None, Tray.PLAN_AUTHORISATION, COUNCIL)
