"""Every route the app registers × every kind of actor → the outcome the sharing rules expect.

The routes are read from the app itself, so a new route that is not classified here fails the
test. The expected outcome is worked out here from the rules as people would state them
(who holds which sections, with what access), not by asking `portal.consent.policy.decide`,
so the test checks the decision instead of repeating it.

Read-only routes share one prepared plan. A route that changes something gets a fresh plan
for each actor expected to be allowed (their change must not spill into another actor's
check); the actors expected to be refused share one, since a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import pytest
from litestar.routes import HTTPRoute

from portal.consent.policy import CRITERIA_KEYS, SECTION_KEYS

# --- who ---------------------------------------------------------------------------------

WELFARE = tuple(key for key in SECTION_KEYS if key != "money")
COAUTHOR_SECTIONS = ("about_me", "outcomes", "action_plan")

ACTORS = (
    "owner",
    "representative (welfare LPA: all but money, may share)",
    "representative (property LPA: money only)",
    "co-author (about me, outcomes, action plan)",
    "co-author (contacts only)",
    "viewer (every section, view)",
    "revoked grantee",
    "expired grantee",
    "staff of the signing-off organisation, before submission",
    "staff of the signing-off organisation, after submission",
    "staff of another organisation",
    "admin of the signing-off organisation",
    "anonymous",
)
(
    OWNER,
    REP_WELFARE,
    REP_MONEY,
    COAUTHOR,
    COAUTHOR_CONTACTS,
    VIEWER,
    REVOKED,
    EXPIRED,
    STAFF_BEFORE,
    STAFF_AFTER,
    STAFF_OTHER,
    ADMIN,
    ANONYMOUS,
) = ACTORS
# These actors are checked against a plan already submitted to the signing-off organisation.
SUBMITTED_FOR = {STAFF_AFTER, STAFF_OTHER, ADMIN}

VIEW, COMMENT, EDIT = 1, 2, 3


def held(actor: str) -> dict[str, int]:
    """The access each actor holds on each section, as the rules say it in words."""
    if actor == OWNER:
        return dict.fromkeys(SECTION_KEYS, EDIT)
    if actor == REP_WELFARE:
        return dict.fromkeys(WELFARE, EDIT)
    if actor == REP_MONEY:
        return {"money": EDIT}
    if actor == COAUTHOR:
        return dict.fromkeys(COAUTHOR_SECTIONS, EDIT)
    if actor == COAUTHOR_CONTACTS:
        return {"contacts": EDIT}
    if actor == VIEWER:
        return dict.fromkeys(SECTION_KEYS, VIEW)
    if actor == STAFF_AFTER:
        # Submitting is the person's consent to show sign-off what it needs: the nine criteria.
        return dict.fromkeys(CRITERIA_KEYS, COMMENT)
    return {}


def may_share(actor: str) -> bool:
    return actor in (OWNER, REP_WELFARE)


# --- what each route needs -----------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """`kind`: public, signed_in, plan, section_view, section_edit, share, submit, decide,
    record_representative, org_view, org_manage, org_tray."""

    kind: str
    section: str | None = None  # a fixed section; None with a {key} route means "the key"
    statuses: frozenset[int] = frozenset()  # public routes whose answer is known exactly


ROW_SECTIONS = {
    "outcomes": "outcomes",
    "support-items": "money",
    "money": "money",
    "actions": "action_plan",
    "contacts": "contacts",
}

P = "/api/v1/plans/{plan_id:uuid}"
W = "/plans/{plan_id:uuid}"
ROWS = r"(?P<rows>outcomes|support-items|actions|contacts)"
PAGE_ROWS = r"(?P<rows>outcomes|actions|contacts|money/items)"

# (method, path pattern) → what the route needs; the first match wins.
RULES: list[tuple[str, str, Need]] = [
    ("GET", r"/health", Need("public")),
    ("GET", r"/static/.*|/assets/.*", Need("public")),
    ("GET", r"/api/v1/schema.*", Need("public")),
    # The installable app's files, fetched by the browser for nobody in particular. The service
    # worker is a file the front-end build writes: until it has run, it is not there (404).
    ("GET", r"/manifest\.webmanifest|/offline", Need("public")),
    ("GET", r"/sw\.js", Need("public", statuses=frozenset({200, 404}))),
    ("GET", r"/", Need("public", statuses=frozenset({303}))),
    ("GET", r"/sign-in", Need("public")),
    # An empty form: every visitor is told what is missing.
    ("POST", r"/sign-in", Need("public", statuses=frozenset({400}))),
    ("POST", r"/sign-out", Need("public", statuses=frozenset({303}))),
    # No OpenID provider is configured in this test: every visitor is told so.
    ("GET", r"/sign-in/oidc/.*", Need("public", statuses=frozenset({404}))),
    ("POST", r"/api/v1/session", Need("public", statuses=frozenset({401}))),
    ("GET", r"/api/v1/session", Need("signed_in")),
    ("GET", r"/api/v1/session/csrf", Need("public")),
    ("DELETE", r"/api/v1/session", Need("public", statuses=frozenset({204}))),
    ("GET|POST", r"/api/v1/plans|/plans", Need("signed_in")),
    ("GET", r"/api/v1/invitations/\{token:str\}", Need("public")),
    ("POST", r"/api/v1/invitations/\{token:str\}/accept", Need("signed_in")),
    # The invitation pages: the link is the credential; accepting needs someone signed in.
    ("GET", r"/invitations/\{token:str\}(/account)?", Need("public")),
    ("POST", r"/invitations/\{token:str\}/account", Need("public")),
    ("POST", r"/invitations/\{token:str\}", Need("signed_in")),
    ("GET", re.escape(P) + r"|" + re.escape(P) + r"/criteria|" + re.escape(W), Need("plan")),
    # Sections named by the route's key.
    ("GET", re.escape(P) + r"/sections/\{key:str\}(/revisions.*)?", Need("section_view")),
    ("PUT", re.escape(P) + r"/sections/\{key:str\}", Need("section_edit")),
    ("POST", re.escape(P) + r"/sections/\{key:str\}/revisions/.*/restore", Need("section_edit")),
    ("GET", re.escape(W) + r"/sections/\{key:str\}(/history)?", Need("section_view")),
    # Comments on a section: read with it; written by anyone who may comment on it.
    ("GET", re.escape(P) + r"/sections/\{key:str\}/comments", Need("section_view")),
    (
        "POST",
        "(" + re.escape(P) + "|" + re.escape(W) + r")/sections/\{key:str\}/comments",
        Need("section_comment"),
    ),
    (
        "POST",
        re.escape(W) + r"/sections/\{key:str\}(/resolve|/history/.*/restore)?",
        Need("section_edit"),
    ),
    # Rows belong to their section.
    ("GET", re.escape(P) + "/" + ROWS + r"(/.*)?", Need("section_view")),
    ("POST|PATCH|DELETE", re.escape(P) + "/" + ROWS + r"(/.*)?", Need("section_edit")),
    # Asking whether to remove an item is only for someone who may remove it.
    ("GET", re.escape(W) + "/" + PAGE_ROWS + r"/\{row_id:uuid\}/remove", Need("section_edit")),
    ("GET", re.escape(W) + "/" + PAGE_ROWS + r"(/.*)?", Need("section_view")),
    ("POST", re.escape(W) + "/" + PAGE_ROWS + r"(/.*)?", Need("section_edit")),
    ("GET", re.escape(W) + r"/money", Need("section_view", "money")),
    ("POST", re.escape(W) + r"/money", Need("section_edit", "money")),
    # Who speaks for the person is shown with "About me".
    ("GET", re.escape(P) + r"/representatives", Need("section_view", "about_me")),
    # Recording who speaks for the person: the person, or a deputy within their own record;
    # never an attorney, whatever powers they hold (there is no deputy in this world).
    ("POST", re.escape(P) + r"/representatives", Need("record_representative")),
    # Sharing and the access log: the person, or who speaks for them with the power to share.
    (
        "GET|POST|PATCH",
        re.escape(P) + r"/(grants|invitations|representatives|access-log)(/.*)?",
        Need("share"),
    ),
    ("GET|POST", re.escape(W) + r"/(sharing|access-log)(/.*)?", Need("share")),
    # Sign-off: anyone who may open the plan reads where it is; the person (or who speaks for
    # them with the power to share) submits; staff of the signing-off organisation decide.
    ("GET", re.escape(P) + r"/(sign-off|comments|versions)(/.*)?", Need("plan")),
    ("POST", re.escape(P) + r"/submit", Need("submit")),
    # Whom submitting shared the plan with, and withdrawing that consent: as for submitting.
    ("GET", re.escape(P) + r"/sharing/sign-off", Need("share")),
    ("POST", re.escape(P) + r"/withdraw-consent", Need("submit")),
    ("POST", re.escape(P) + r"/(authorise-plan|return)", Need("decide", "plan_authoriser")),
    ("POST", re.escape(P) + r"/authorise-budget", Need("decide", "budget_authoriser")),
    # The allocation sign-off checks: set by a coordinator or budget authoriser of the organisation.
    ("PUT", re.escape(P) + r"/allocation", Need("decide", "coordinator")),
    ("GET", r"/api/v1/organisations/\{organisation_id:uuid\}/trays(/.*)?", Need("org_tray")),
    # Reviews: anyone who may open the plan asks for one; coordinators and team managers start
    # or decline them. Outcome decisions: coordinators, plan authorisers, team managers.
    ("GET|POST", re.escape(P) + r"/review-requests", Need("plan")),
    ("POST", re.escape(P) + r"/review-requests/.*/decline", Need("decide", "coordinator")),
    ("POST", re.escape(P) + r"/start-review", Need("decide", "coordinator")),
    ("POST", re.escape(P) + r"/outcome-decisions/.*", Need("decide", "plan_authoriser")),
    # Package changes belong to the money section: read with it; proposed by anyone who may
    # comment on it; decided by coordinators and team managers; turned into a review by
    # anyone who can see it.
    ("GET", re.escape(P) + r"/package-changes", Need("section_view", "money")),
    ("POST", re.escape(P) + r"/package-changes", Need("section_comment", "money")),
    ("POST", re.escape(P) + r"/package-changes/.*/decision", Need("decide", "coordinator")),
    ("POST", re.escape(P) + r"/package-changes/.*/review", Need("section_view", "money")),
    ("GET", r"/api/v1/organisations/\{organisation_id:uuid\}/tolerance", Need("org_view")),
    ("PUT", r"/api/v1/organisations/\{organisation_id:uuid\}/tolerance", Need("org_manage")),
    # The sign-off pages follow the same rules as the API. The decide page opens (GET) for
    # whoever may make some decision there: in this world, the plan authoriser alone; anyone
    # else who may open the plan is told they cannot decide (403).
    ("GET", re.escape(W) + r"/(sign-off|versions/.*)", Need("plan")),
    ("GET|POST", re.escape(W) + r"/submit", Need("submit")),
    ("GET", re.escape(W) + r"/decide", Need("decide", "plan_authoriser")),
    ("POST", re.escape(W) + r"/decide/(authorise-plan|return)", Need("decide", "plan_authoriser")),
    ("POST", re.escape(W) + r"/decide/authorise-budget", Need("decide", "budget_authoriser")),
    ("POST", re.escape(W) + r"/decide/allocation", Need("decide", "coordinator")),
    ("GET", r"/organisations/\{organisation_id:uuid\}/trays(/.*)?", Need("org_tray")),
    # Messages: anyone signed in reads their own. Marking one read names it by id, and the id
    # filled in here is nobody's: every signed-in actor is told it does not exist (404), as
    # they are for someone else's. No one holds a section by that name, so expected() says
    # "hidden" to all of them (and "sign_in" to the anonymous).
    ("GET", r"/notifications|/api/v1/notifications/?", Need("signed_in")),
    (
        "POST",
        r"(/api/v1)?/notifications/\{notification_id:uuid\}/read",
        Need("own_notification", "a notification that is not theirs"),
    ),
    # The review pages follow the API's rules. The review page (GET) opens for whoever may make
    # some review decision there: in this world, the plan authoriser (outcomes) alone; anyone
    # else who may open the plan is told there is nothing for them (403).
    ("GET|POST", re.escape(W) + r"/review-request", Need("plan")),
    ("GET", re.escape(W) + r"/review", Need("decide", "plan_authoriser")),
    ("POST", re.escape(W) + r"/review/(start|requests/.*/decline)", Need("decide", "coordinator")),
    ("POST", re.escape(W) + r"/outcome-decisions/.*", Need("decide", "plan_authoriser")),
    ("GET|POST", re.escape(W) + r"/package-changes/new", Need("section_comment", "money")),
    ("GET", re.escape(W) + r"/package-changes/\{change_id:uuid\}", Need("section_view", "money")),
    ("POST", re.escape(W) + r"/package-changes/.*/decision", Need("decide", "coordinator")),
    ("POST", re.escape(W) + r"/package-changes/.*/review", Need("section_view", "money")),
    ("GET", r"/organisations/\{organisation_id:uuid\}/tolerance", Need("org_view")),
    ("POST", r"/organisations/\{organisation_id:uuid\}/tolerance", Need("org_manage")),
    # Exports: anyone who may open the plan downloads the copy they may see, and checks a
    # printed copy's code; a copy for one of the person's grantees needs the power to share
    # (checked by the export tests, since it names a grant).
    ("GET", re.escape(P) + r"/export/(pdf|fhir)", Need("plan")),
    ("POST", re.escape(P) + r"/check-copy", Need("plan")),
    ("GET", re.escape(W) + r"/(print|pdf|check-copy)", Need("plan")),
    ("POST", re.escape(W) + r"/check-copy", Need("plan")),
    # Live updates: anyone who may open the plan streams its events (each one checked again).
    ("GET", re.escape(P) + r"/events", Need("plan")),
    ("POST", re.escape(P) + r"/presence", Need("plan")),
    # Subject access: anyone signed in downloads their own data (and only theirs).
    ("GET", r"/my-data|/api/v1/me/data", Need("signed_in")),
    # Organisations: staff of one see its staff; its admins manage them; others learn nothing.
    ("GET", r"/organisations|/api/v1/organisations/?", Need("signed_in")),
    (
        "GET",
        r"(/api/v1)?/organisations/\{organisation_id:uuid\}(/staff|/history)?",
        Need("org_view"),
    ),
    (
        "GET|POST|PATCH",
        r"(/api/v1)?/organisations/\{organisation_id:uuid\}/staff.*",
        Need("org_manage"),
    ),
]


def need_for(method: str, path: str) -> Need | None:
    for methods, pattern, need in RULES:
        if method in methods.split("|") and re.fullmatch(pattern, path):
            return need
    return None


def section_of(path: str, need: Need, key: str | None) -> str | None:
    if need.kind == "decide":
        return need.section
    if need.section:
        return need.section
    if "{key:str}" in path:
        return key
    for part, section in ROW_SECTIONS.items():
        if f"/{part}" in path:
            return section
    return None


def expected(actor: str, need: Need, section: str | None) -> str:
    """allowed, hidden (404), forbidden (403) or sign_in, from the rules in words."""
    if need.kind == "public":
        return "public"
    if actor == ANONYMOUS:
        return "sign_in"
    if need.kind == "signed_in":
        return "allowed"
    if need.kind == "org_tray":
        # Coordinators and plan authorisers work the plan authorisation tray; admins do not.
        return "allowed" if actor in (STAFF_BEFORE, STAFF_AFTER) else "hidden"
    if need.kind in ("org_view", "org_manage"):
        if actor == ADMIN:
            return "allowed"
        if actor in (STAFF_BEFORE, STAFF_AFTER):
            return "allowed" if need.kind == "org_view" else "forbidden"
        return "hidden"
    access = held(actor)
    if not access:
        return "hidden"
    if need.kind == "plan":
        return "allowed"
    if need.kind == "record_representative":
        return "allowed" if actor == OWNER else "forbidden"
    if need.kind in ("share", "submit"):
        return "allowed" if may_share(actor) else "forbidden"
    if need.kind == "decide":
        # `section` carries the role the decision needs; STAFF_AFTER is a plan authoriser.
        return "allowed" if actor == STAFF_AFTER and section == "plan_authoriser" else "forbidden"
    assert section is not None
    rank = access.get(section, 0)
    if rank == 0:
        return "hidden"
    if need.kind == "section_view":
        return "allowed"
    if need.kind == "section_comment":
        return "allowed" if rank >= COMMENT else "forbidden"
    return "allowed" if rank >= EDIT else "forbidden"


def outcome_of(response: httpx.Response, api: bool) -> str:
    status = response.status_code
    assert status < 500, f"{status}: {response.text[:500]}"
    if status == 404:
        return "hidden"
    if status == 403:
        return "forbidden"
    if status == 401 and api:
        return "sign_in"
    if status in (302, 303) and "/sign-in" in response.headers.get("location", ""):
        return "sign_in"
    return "allowed"


# --- the world: people, a plan and everything on it -----------------------------------------


@dataclass
class People:
    users: dict[str, Any] = field(default_factory=dict)  # actor → UserAccount
    organisation: uuid.UUID = uuid.UUID(int=0)
    other_organisation: uuid.UUID = uuid.UUID(int=0)


@dataclass
class World:
    plan_id: uuid.UUID
    rows: dict[str, uuid.UUID]
    grant_id: uuid.UUID
    invitation_id: uuid.UUID
    token: str
    record_id: uuid.UUID
    # Staff changes act on people made for this world alone, never on the actors themselves.
    spare_email: str
    spare_role: uuid.UUID
    change_id: uuid.UUID


async def _user(name: str) -> Any:
    """An account with no password (nobody signs in with one here: sessions are minted)."""
    from portal.accounts.tables import Person, UserAccount

    person = Person(display_name=name)
    await person.save()
    user = UserAccount(email=f"matrix-{uuid.uuid4().hex[:12]}@example.org", person=person.id)
    await user.save()
    return user


async def _actor(user: Any) -> Any:
    from portal.accounts.service import actor_for_token, start_session

    return await actor_for_token(await start_session(user, 1))


@pytest.fixture(scope="module")
async def people(app) -> People:  # type: ignore[no-untyped-def]
    from portal.accounts.tables import Organisation, StaffRole

    found = People()
    for actor in ACTORS:
        if actor not in (OWNER, ANONYMOUS):
            found.users[actor] = await _user(actor.split(" (")[0].title())
    council = Organisation(name="Matrix Council", kind="council")
    other = Organisation(name="Other Council", kind="council")
    await council.save()
    await other.save()
    found.organisation, found.other_organisation = council.id, other.id
    roles = [
        (STAFF_BEFORE, council.id, "coordinator"),
        (STAFF_AFTER, council.id, "plan_authoriser"),
        (STAFF_OTHER, other.id, "coordinator"),
        (ADMIN, council.id, "admin"),
    ]
    for actor, organisation, role in roles:
        await StaffRole(organisation=organisation, user=found.users[actor].id, role=role).save()
    return found


async def build_world(people: People, submitted: bool) -> tuple[World, Any]:
    """A plan with a version of each section tested, a row of each kind, every grant and
    representative the actors need, an open invitation; its owner is new each time."""
    from portal.consent import grants as consent_grants
    from portal.consent import invitations as consent_invitations
    from portal.consent import representatives as consent_representatives
    from portal.consent import schemas as consent_schemas
    from portal.consent.tables import PlanGrant
    from portal.plans import access as plan_access
    from portal.plans import reading as plan_reading
    from portal.plans import rows as plan_rows
    from portal.plans import schemas as plan_schemas
    from portal.plans import sections as plan_sections
    from portal.plans.tables import Plan

    owner_user = await _user("Owner")
    owner = await _actor(owner_user)
    plan = await plan_access.create_plan(
        owner, plan_schemas.PlanCreate(kind=plan_schemas.PlanKind("care_and_support"))
    )
    for key, body in (
        ("about_me", b'{"who_i_am": "Me"}'),
        ("money", b'{"allocation_pence": 100000}'),
        ("contacts", b'{"notes": "Call first"}'),
    ):
        await plan_sections.write_section(
            owner, plan.id, key, plan_sections.decode_section_body(key, body), 0
        )
    outcome = await plan_rows.create_row(
        owner, plan.id, "outcome", plan_schemas.OutcomeCreate(title="Walk", how="Daily")
    )
    rows = {
        "outcomes": outcome.id,
        "support-items": (
            await plan_rows.create_row(
                owner,
                plan.id,
                "support",
                plan_schemas.SupportItemCreate(
                    description="PA", cost_pence=1000, frequency="weekly"
                ),
            )
        ).id,
        "actions": (
            await plan_rows.create_row(
                owner, plan.id, "action", plan_schemas.ActionCreate(what="Book")
            )
        ).id,
        "contacts": (
            await plan_rows.create_row(
                owner, plan.id, "contact", plan_schemas.ContactCreate(name="Sam")
            )
        ).id,
    }
    rows["money/items"] = rows["support-items"]

    async def give(actor: str, sections: tuple[str, ...], access: str) -> uuid.UUID:
        grant = await consent_grants.give_grant(
            owner,
            plan.id,
            consent_schemas.GrantCreate(
                grantee_email=people.users[actor].email,
                sections=list(sections),
                access=access,  # type: ignore[arg-type]
                purpose="Matrix",
            ),
        )
        return grant.id

    grant_id = await give(COAUTHOR, COAUTHOR_SECTIONS, "edit")
    await give(COAUTHOR_CONTACTS, ("contacts",), "edit")
    await give(VIEWER, SECTION_KEYS, "view")
    revoked = await give(REVOKED, SECTION_KEYS, "edit")
    await consent_grants.revoke_grant(owner, plan.id, revoked)
    expired = await give(EXPIRED, SECTION_KEYS, "edit")
    await PlanGrant.update({PlanGrant.expires_at: dt.datetime.now(dt.UTC)}).where(
        PlanGrant.grant_id == expired
    )
    rep = await consent_representatives.record_representative(
        owner,
        plan.id,
        consent_schemas.RepresentativeCreate(
            email=people.users[REP_WELFARE].email,
            authority="lpa_health_welfare",  # type: ignore[arg-type]
            sections=list(WELFARE),
            powers=["view", "edit", "share"],  # type: ignore[list-item]
        ),
    )
    await consent_representatives.record_representative(
        owner,
        plan.id,
        consent_schemas.RepresentativeCreate(
            email=people.users[REP_MONEY].email,
            authority="lpa_property_financial",  # type: ignore[arg-type]
            sections=["money"],
            powers=["view", "edit"],  # type: ignore[list-item]
        ),
    )
    invitation = await consent_invitations.invite(
        owner,
        plan.id,
        consent_schemas.InvitationCreate(sections=["about_me"], access="view", purpose="x"),  # type: ignore[arg-type]
    )
    # Version 1, as submitting would keep it, so that the version routes have one to show.
    from portal.signoff.tables import PlanVersion
    from portal.signoff.version_history import content_hash

    snapshot = await plan_reading.snapshot_plan(plan.id)
    await PlanVersion.insert(
        PlanVersion(
            plan=plan.id,
            number=1,
            status="returned",
            organisation=people.organisation,
            content=msgspec.json.encode(snapshot).decode(),
            content_hash=content_hash(snapshot),
            submitted_by=owner_user.id,
        )
    )
    # An open package change on the support line, as a provider would have proposed it.
    from portal.signoff.tables import PackageChange

    change = PackageChange(
        plan=plan.id,
        support_item=rows["support-items"],
        proposed_by=owner_user.id,
        minutes_before=0,
        minutes_after=60,
        ordered_minutes=0,
        weekly_cost_before_pence=1000,
        weekly_cost_after_pence=1200,
        route="coordinator",
        status="open",
    )
    await change.save()
    # The plan names its signing-off organisation from the start; only submitting opens it.
    await Plan.update(
        {
            Plan.signing_off_organisation: people.organisation,
            Plan.state: "submitted" if submitted else "draft",
        }
    ).where(Plan.id == plan.id)
    from portal.accounts.tables import StaffRole

    spare = await _user("Spare")
    budget = await _user("Budget")
    spare_role = StaffRole(
        organisation=people.organisation,
        user=budget.id,
        role="budget_authoriser",
        spending_limit_pence=1_000_000,
    )
    await spare_role.save()
    world = World(
        plan_id=plan.id,
        rows=rows,
        grant_id=grant_id,
        invitation_id=invitation.invitation.id,
        token=invitation.token,
        record_id=rep.id,
        spare_email=spare.email,
        spare_role=spare_role.id,
        change_id=change.id,
    )
    return world, owner_user


# --- requests --------------------------------------------------------------------------------

_PARAM = re.compile(r"\{(?P<name>[a-z_]+)(?::[a-z]+)?\}")


def fill(path: str, world: World, people: People, key: str | None) -> str:
    rows = re.search(r"/(outcomes|support-items|actions|contacts|money/items)/\{row_id", path)
    values = {
        "plan_id": str(world.plan_id),
        "key": key or "about_me",
        "row_id": str(world.rows[rows.group(1)]) if rows else "",
        "version": "1",
        "grant_id": str(world.grant_id),
        "invitation_id": str(world.invitation_id),
        "record_id": str(world.record_id),
        "token": world.token,
        "organisation_id": str(people.organisation),
        "role_id": str(world.spare_role),
        "provider_name": "nhs",
        "file_path": "init.js" if path.startswith("/static") else "manifest.json",
        "path": "openapi.json",
        "number": "1",
        "tray": "plan_authorisation",
        "request_id": str(world.plan_id),
        "outcome_id": str(world.rows["outcomes"]),
        "change_id": str(world.change_id),
        "notification_id": str(uuid.uuid4()),
    }
    return _PARAM.sub(lambda m: values[m.group("name")], path)


def json_body(method: str, path: str, people: People, world: World) -> Any:
    """A body the route accepts, so that only access can refuse it."""
    if method in ("GET", "DELETE"):
        return None
    if path.endswith("/api/v1/plans"):
        return {"kind": "care_and_support"}
    if path == "/api/v1/session":
        # A new address each time, so the per-account sign-in limit never answers instead.
        return {"email": f"{uuid.uuid4().hex}@example.org", "password": "wrong-password-1"}
    creates = {
        "/outcomes": {"title": "New", "how": "Somehow"},
        "/support-items": {"description": "New", "cost_pence": 500, "frequency": "weekly"},
        "/actions": {"what": "New"},
        "/contacts": {"name": "New"},
        "/grants": {
            "grantee_email": people.users[STAFF_OTHER].email,
            "sections": ["review"],
            "access": "view",
            "purpose": "Matrix",
        },
        "/invitations": {"sections": ["review"], "access": "view", "purpose": "Matrix"},
        "/representatives": {
            "email": people.users[STAFF_OTHER].email,
            "authority": "lpa_health_welfare",
            "sections": ["review"],
            "powers": ["view"],
        },
        "/staff": {"email": world.spare_email, "role": "coordinator"},
        "/authorise-plan": {"version_hash": "0" * 64},
        "/authorise-budget": {"version_hash": "0" * 64},
        "/allocation": {"annual_pence": 1_850_000},
        "/return": {"version_hash": "0" * 64, "reason": "Matrix"},
        "/decision": {"decision": "decline", "reason": "Matrix"},
        "/package-changes": {
            "support_item_id": str(world.rows["support-items"]),
            "minutes_after": 60,
            "weekly_cost_after_pence": 1200,
            "reason": "Matrix",
        },
        "/tolerance": {"minutes": 300, "percent": 20, "bands_pence": [7_500, 15_000]},
        "/check-copy": {"code": "0000-0000-0000"},
        "/comments": {"comment": "Matrix"},
    }
    if "/outcome-decisions/" in path:
        return {"decision": "agreed"}
    if method == "PATCH" and "/staff/" in path:
        return {"spending_limit_pence": 2_000_000}
    for suffix, body in creates.items():
        if method in ("POST", "PUT") and path.endswith(suffix):
            return body
    return {}


async def client_for(app: Any, user: Any | None) -> httpx.AsyncClient:
    """A client with a fresh session of this user's (or none), on the app in this process."""
    try:
        from tests.conftest import csrf_ready  # type: ignore[attr-defined]
    except ImportError:  # before CSRF protection lands

        async def csrf_ready(http: httpx.AsyncClient) -> None:
            return None

    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    if user is not None:
        from portal.accounts.service import start_session

        http.cookies.set("portal_sid", await start_session(user, 1))
    await csrf_ready(http)
    return http


async def call(
    http: httpx.AsyncClient, method: str, template: str, url: str, people: People, world: World
) -> httpx.Response:
    api = template.startswith("/api/")
    headers = (
        {"If-Match": '"1"'}
        if method in ("PUT", "PATCH", "DELETE") or url.endswith("/restore")
        else {}
    )
    if api:
        body = json_body(method, template, people, world)
        return (
            await http.request(method, url, json=body, headers=headers)
            if body is not None
            else await http.request(method, url, headers=headers)
        )
    if method == "POST":
        return await http.post(url, data={"version": "1"})
    return await http.get(url)


def app_routes(app: Any) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method in sorted(route.methods):
                if method not in ("HEAD", "OPTIONS"):
                    found.append((method, route.path))
    return found


async def test_every_route_for_every_actor(app, people: People) -> None:  # type: ignore[no-untyped-def]
    routes = app_routes(app)
    unclassified = [f"{m} {p}" for m, p in routes if need_for(m, p) is None]
    assert not unclassified, f"routes with no access rule in this test: {unclassified}"

    read_worlds = {submitted: await build_world(people, submitted) for submitted in (False, True)}
    checked: Counter[str] = Counter()
    wrong: list[str] = []

    async def check(
        method: str, template: str, actor: str, key: str | None, world: World, owner: Any
    ) -> None:
        need = need_for(method, template)
        assert need is not None
        section = section_of(template, need, key)
        want = expected(actor, need, section)
        user = owner if actor == OWNER else people.users.get(actor)
        http = await client_for(app, user)
        try:
            url = fill(template, world, people, key)
            response = await call(http, method, template, url, people, world)
        finally:
            await http.aclose()
        got = outcome_of(response, template.startswith("/api/"))
        checked[f"{want}"] += 1
        if want == "public":
            if need.statuses and response.status_code not in need.statuses:
                wrong.append(
                    f"{actor}: {method} {url} → {response.status_code}, want {set(need.statuses)}"
                )
            elif not need.statuses and got != "allowed":
                wrong.append(f"{actor}: {method} {url} → {response.status_code}, want public")
        elif got != want:
            wrong.append(f"{actor}: {method} {url} → {response.status_code} ({got}), want {want}")

    for method, template in routes:
        keys: tuple[str | None, ...] = (
            ("about_me", "money", "contacts") if "{key:str}" in template else (None,)
        )
        for key in keys:
            if method == "GET":
                for actor in ACTORS:
                    world, owner = read_worlds[actor in SUBMITTED_FOR]
                    await check(method, template, actor, key, world, owner)
                continue
            shared = {
                submitted: await build_world(people, submitted) for submitted in (False, True)
            }
            for actor in ACTORS:
                need = need_for(method, template)
                assert need is not None
                allowed = expected(actor, need, section_of(template, need, key)) in (
                    "allowed",
                    "public",
                )
                world, owner = (
                    await build_world(people, actor in SUBMITTED_FOR)
                    if allowed
                    else shared[actor in SUBMITTED_FOR]
                )
                await check(method, template, actor, key, world, owner)

    total = sum(checked.values())
    print(
        f"\nauthorization matrix: {total} combinations of {len(routes)} routes × "
        f"{len(ACTORS)} actors checked: {dict(checked)}"
    )
    assert not wrong, f"{len(wrong)} of {total} combinations were wrong:\n" + "\n".join(wrong)
