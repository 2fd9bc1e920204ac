"""The one access decision: may this actor do this to this plan (and section)?

Every route, page, export and list asks `decide`; nothing else in the portal decides access
to a plan (a staff question about an organisation is `portal.core.actor.decide_organisation`).
It is a pure function of what it is given, so it is tested as a table; `portal.consent.access`
loads the facts (the actor's grants, representations and staff roles) for each request.

- The plan's own person controls all of their plan.
- A representative acts within the sections and powers recorded for them, which can never be
  wider than the authority they hold (`AUTHORITY_LIMITS`); what they share or invite others to
  stays inside that scope (`decide_share`), and only the person, or a deputy within their own
  record, records representatives (`decide_representative`).
- Everyone else sees a section only through a grant that is current, not revoked and not
  expired: to them, a user or their organisation, with `view`, `comment` or `edit`.
- Staff of the organisation a plan was submitted to see the sections sign-off needs; a role
  gives no content of a plan that was not submitted to its organisation, and `admin` none at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

import msgspec

from portal.core.actor import SIGN_OFF_ROLES, Actor, Role
from portal.core.sections import CRITERIA_KEYS, SECTION_KEYS

# What sign-off needs: the nine criteria. Submitting is the person's consent to share these.
SIGN_OFF_SECTIONS: frozenset[str] = frozenset(CRITERIA_KEYS)
SUBMITTED_STATES: frozenset[str] = frozenset({"submitted", "plan_authorised", "agreed"})


class Permission(StrEnum):
    PLAN_VIEW = "plan:view"
    PLAN_EDIT = "plan:edit"
    PLAN_SHARE = "plan:share"
    PLAN_ACCESS_LOG = "plan:access_log"
    PLAN_EXPORT = "plan:export"
    SECTION_VIEW = "section:view"
    SECTION_COMMENT = "section:comment"
    SECTION_EDIT = "section:edit"
    SECTION_RESTORE = "section:restore"
    OUTCOME_PROPOSE = "outcome:propose"
    MONEY_EDIT = "money:edit"
    # Sign-off (portal/signoff/): the person submits; staff of the organisation decide.
    PLAN_SUBMIT = "plan:submit"
    # Taking back the consent that submitting gave: the plan leaves sign-off.
    PLAN_WITHDRAW_CONSENT = "plan:withdraw_consent"
    PLAN_AUTHORISE = "plan:authorise"
    BUDGET_AUTHORISE = "budget:authorise"
    PLAN_RETURN = "plan:return"
    REVIEW_REQUEST = "review:request"
    REVIEW_START = "review:start"
    OUTCOME_DECIDE = "outcome:decide"
    # The indicative allocation sign-off checks is the organisation's figure, set by its staff.
    ALLOCATION_SET = "allocation:set"
    # A provider (or anyone who may comment on the money) proposes a change to the package.
    CHANGE_PROPOSE = "change:propose"
    CHANGE_CONFIRM = "change:confirm"
    CHANGE_CONFIRM_OUTSIDE_TOLERANCE = "change:confirm_outside_tolerance"


class Access(StrEnum):
    """What a grant allows on its sections; each level includes the ones before it."""

    VIEW = "view"
    COMMENT = "comment"
    EDIT = "edit"


ACCESS_RANK: dict[Access, int] = {Access.VIEW: 1, Access.COMMENT: 2, Access.EDIT: 3}


class Power(StrEnum):
    """What a representative may do within their sections."""

    VIEW = "view"
    EDIT = "edit"
    SHARE = "share"


class Authority(StrEnum):
    LPA_HEALTH_WELFARE = "lpa_health_welfare"
    LPA_PROPERTY_FINANCIAL = "lpa_property_financial"
    DEPUTY_PERSONAL_WELFARE = "deputy_personal_welfare"
    DEPUTY_PROPERTY_AFFAIRS = "deputy_property_affairs"
    CONSENT = "consent"


AUTHORITY_LABELS: dict[Authority, str] = {
    Authority.LPA_HEALTH_WELFARE: "Lasting power of attorney for health and welfare",
    Authority.LPA_PROPERTY_FINANCIAL: (
        "Lasting power of attorney for property and financial affairs"
    ),
    Authority.DEPUTY_PERSONAL_WELFARE: "Court-appointed deputy for personal welfare",
    Authority.DEPUTY_PROPERTY_AFFAIRS: "Court-appointed deputy for property and affairs",
    Authority.CONSENT: "The person's own consent",
}

_WELFARE = frozenset(SECTION_KEYS) - {"money"}
_ALL_POWERS = frozenset(Power)

# The widest scope each authority can carry. Welfare powers do not reach money, and property
# and financial powers reach only money (Mental Capacity Act 2005: the two LPAs and the two
# kinds of deputyship are separate). With the person's own consent, they decide the scope.
AUTHORITY_LIMITS: dict[Authority, tuple[frozenset[str], frozenset[Power]]] = {
    Authority.LPA_HEALTH_WELFARE: (_WELFARE, _ALL_POWERS),
    Authority.DEPUTY_PERSONAL_WELFARE: (_WELFARE, _ALL_POWERS),
    Authority.LPA_PROPERTY_FINANCIAL: (frozenset({"money"}), frozenset({Power.VIEW, Power.EDIT})),
    Authority.DEPUTY_PROPERTY_AFFAIRS: (frozenset({"money"}), frozenset({Power.VIEW, Power.EDIT})),
    Authority.CONSENT: (frozenset(SECTION_KEYS), _ALL_POWERS),
}


# Decisions only staff of the signing-off organisation make, and the roles that make each.
# Nobody makes them on their own plan, or on the plan of someone they speak for.
STAFF_DECISIONS: dict[Permission, frozenset[Role]] = {
    Permission.PLAN_AUTHORISE: frozenset({Role.PLAN_AUTHORISER}),
    Permission.BUDGET_AUTHORISE: frozenset({Role.BUDGET_AUTHORISER}),
    Permission.PLAN_RETURN: frozenset({Role.PLAN_AUTHORISER, Role.BUDGET_AUTHORISER}),
    Permission.REVIEW_START: frozenset({Role.COORDINATOR, Role.TEAM_MANAGER}),
    Permission.OUTCOME_DECIDE: frozenset(
        {Role.COORDINATOR, Role.PLAN_AUTHORISER, Role.TEAM_MANAGER}
    ),
    Permission.ALLOCATION_SET: frozenset({Role.COORDINATOR, Role.BUDGET_AUTHORISER}),
    # Within tolerance the coordinator confirms; outside it, a team manager (seed 002).
    Permission.CHANGE_CONFIRM: frozenset({Role.COORDINATOR, Role.TEAM_MANAGER}),
    Permission.CHANGE_CONFIRM_OUTSIDE_TOLERANCE: frozenset({Role.TEAM_MANAGER}),
}


class Tray(StrEnum):
    """A staff work tray: plans of one organisation waiting for one kind of decision."""

    PLAN_AUTHORISATION = "plan_authorisation"
    BUDGET_AUTHORISATION = "budget_authorisation"
    REVIEWS_DUE = "reviews_due"
    REVIEWS_OVERDUE = "reviews_overdue"
    REVIEW_REQUESTS = "review_requests"
    CHANGES_TO_CONFIRM = "changes_to_confirm"
    CHANGES_FOR_TEAM_MANAGER = "changes_for_team_manager"


# Who sees each tray: those who decide from it, and team managers who oversee the work.
TRAY_ROLES: dict[Tray, frozenset[Role]] = {
    Tray.PLAN_AUTHORISATION: frozenset({Role.PLAN_AUTHORISER, Role.COORDINATOR, Role.TEAM_MANAGER}),
    Tray.BUDGET_AUTHORISATION: frozenset({Role.BUDGET_AUTHORISER, Role.TEAM_MANAGER}),
    Tray.REVIEWS_DUE: frozenset({Role.COORDINATOR, Role.TEAM_MANAGER}),
    Tray.REVIEWS_OVERDUE: frozenset({Role.COORDINATOR, Role.TEAM_MANAGER}),
    Tray.REVIEW_REQUESTS: frozenset({Role.COORDINATOR, Role.TEAM_MANAGER}),
    Tray.CHANGES_TO_CONFIRM: frozenset({Role.COORDINATOR, Role.TEAM_MANAGER}),
    Tray.CHANGES_FOR_TEAM_MANAGER: frozenset({Role.TEAM_MANAGER}),
}


class GrantFact(msgspec.Struct, frozen=True):
    """A current, active grant to this actor (or their organisation) on this plan."""

    grant_id: uuid.UUID
    sections: frozenset[str]
    access: Access
    expires_at: dt.datetime | None = None


class RepresentationFact(msgspec.Struct, frozen=True):
    """This actor's current, active record as a representative of the plan's person."""

    record_id: uuid.UUID
    authority: Authority
    sections: frozenset[str]
    powers: frozenset[Power]


class PlanAccessFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What the decision needs to know about a plan and this actor's standing on it."""

    plan_id: uuid.UUID
    person_id: uuid.UUID
    state: str = "draft"
    signing_off_organisation_id: uuid.UUID | None = None
    # An agreed version stays the active plan while a new one is drafted: its organisation's
    # staff keep what submitting it shared with them.
    has_agreed_version: bool = False
    grants: tuple[GrantFact, ...] = ()
    representations: tuple[RepresentationFact, ...] = ()
    # The moment the facts were read; grants that expire before it count for nothing.
    at: dt.datetime | None = None


_NEEDS: dict[Permission, int] = {
    Permission.SECTION_VIEW: ACCESS_RANK[Access.VIEW],
    Permission.SECTION_COMMENT: ACCESS_RANK[Access.COMMENT],
    Permission.SECTION_EDIT: ACCESS_RANK[Access.EDIT],
    Permission.SECTION_RESTORE: ACCESS_RANK[Access.EDIT],
    Permission.OUTCOME_PROPOSE: ACCESS_RANK[Access.EDIT],
    Permission.MONEY_EDIT: ACCESS_RANK[Access.EDIT],
}


def is_owner(actor: Actor | None, plan: PlanAccessFacts) -> bool:
    return actor is not None and actor.person_id == plan.person_id


def section_ranks(actor: Actor, plan: PlanAccessFacts) -> dict[str, int]:
    """The highest access the actor holds on each section, by any route but ownership."""
    ranks: dict[str, int] = {}

    def lift(sections: frozenset[str], rank: int) -> None:
        for key in sections:
            if rank > ranks.get(key, 0):
                ranks[key] = rank

    at = plan.at or dt.datetime.now(dt.UTC)
    for grant in plan.grants:
        if grant.expires_at is not None and grant.expires_at <= at:
            continue
        lift(grant.sections, ACCESS_RANK[grant.access])
    for rep in plan.representations:
        if Power.EDIT in rep.powers:
            lift(rep.sections, ACCESS_RANK[Access.EDIT])
        elif Power.VIEW in rep.powers:
            lift(rep.sections, ACCESS_RANK[Access.VIEW])
    if _signing_off_roles(actor, plan) & SIGN_OFF_ROLES:
        lift(SIGN_OFF_SECTIONS, ACCESS_RANK[Access.COMMENT])
    return ranks


def _signing_off_roles(actor: Actor, plan: PlanAccessFacts) -> set[Role]:
    """The actor's roles in the organisation the plan was submitted to, while it shares with it."""
    if plan.signing_off_organisation_id is None or not (
        plan.state in SUBMITTED_STATES or plan.has_agreed_version
    ):
        return set()
    organisation = plan.signing_off_organisation_id
    return {role.role for role in actor.roles if role.organisation_id == organisation}


def speaks_for(actor: Actor | None, plan: PlanAccessFacts) -> bool:
    """The plan's person, or someone recorded as speaking for them."""
    return is_owner(actor, plan) or bool(plan.representations)


def _represents_with(actor: Actor, plan: PlanAccessFacts, power: Power) -> bool:
    return any(power in rep.powers for rep in plan.representations)


def decide(
    actor: Actor | None,
    permission: Permission,
    plan: PlanAccessFacts,
    section_key: str | None = None,
) -> bool:
    """True when the actor may do this; an owner with capacity controls all of their plan."""
    if actor is None:
        return False
    if permission in STAFF_DECISIONS:
        if speaks_for(actor, plan):
            return False
        return bool(_signing_off_roles(actor, plan) & STAFF_DECISIONS[permission])
    if is_owner(actor, plan):
        return True
    if permission == Permission.PLAN_SUBMIT:
        # Submitting is consent to share the plan with the organisation that signs it off.
        return _represents_with(actor, plan, Power.SHARE)
    if permission == Permission.PLAN_WITHDRAW_CONSENT:
        # Whoever may choose who sees the plan may stop sharing it with the organisation.
        return _represents_with(actor, plan, Power.SHARE)
    if permission in (Permission.PLAN_SHARE, Permission.PLAN_ACCESS_LOG):
        return _represents_with(actor, plan, Power.SHARE)
    if permission == Permission.PLAN_EDIT:
        return _represents_with(actor, plan, Power.EDIT)
    ranks = section_ranks(actor, plan)
    if permission in (Permission.PLAN_VIEW, Permission.PLAN_EXPORT, Permission.REVIEW_REQUEST):
        return any(rank > 0 for rank in ranks.values())
    if permission == Permission.CHANGE_PROPOSE:
        return ranks.get("money", 0) >= ACCESS_RANK[Access.COMMENT]
    if section_key is None:
        return False
    return ranks.get(section_key, 0) >= _NEEDS[permission]


def visible_sections(
    actor: Actor | None, plan: PlanAccessFacts, keys: tuple[str, ...]
) -> list[str]:
    """The sections of a plan the actor may read, in order; lists are filtered by the same rule."""
    return [key for key in keys if decide(actor, Permission.SECTION_VIEW, plan, key)]


def decide_tray(actor: Actor | None, tray: Tray, organisation_id: uuid.UUID) -> bool:
    """Whether the actor works this tray of this organisation."""
    if actor is None:
        return False
    held = {role.role for role in actor.roles if role.organisation_id == organisation_id}
    return bool(held & TRAY_ROLES[tray])


def scope_beyond_authority(
    authority: Authority, sections: frozenset[str], powers: frozenset[Power]
) -> tuple[list[str], list[str]]:
    """The sections and powers asked for that the authority does not carry (empty when fine)."""
    allowed_sections, allowed_powers = AUTHORITY_LIMITS[authority]
    extra_sections = [key for key in SECTION_KEYS if key in sections - allowed_sections]
    extra_powers = [power.value for power in Power if power in powers - allowed_powers]
    return extra_sections, extra_powers


def decide_line_change(
    actor: Actor | None, plan: PlanAccessFacts, line_providers: frozenset[uuid.UUID]
) -> bool:
    """May the actor propose a change to this support line (seed 002: a provider flexes its own
    package)? The person, or someone who speaks for them, may propose one to any line; anyone
    else only to a line whose provider is their own provider organisation. `line_providers` are
    the provider organisations the line's provider names; two or more means the name is
    ambiguous, and then the line is nobody's."""
    if not decide(actor, Permission.CHANGE_PROPOSE, plan):
        return False
    if speaks_for(actor, plan):
        return True
    assert actor is not None  # decide() is False for nobody
    return len(line_providers) == 1 and bool(line_providers & actor.organisation_ids)


# --- what someone may give others: grants, invitations, representatives ---------------------
#
# Sharing is itself an access decision, over what is being given: a representative can pass
# on only what was recorded for them, so a grant they make (or change, or stop) must lie inside
# their own scope. The person is never limited here. These answer with the reason, so the
# service can say what the actor may do instead.

# Court-appointed deputies are the only representatives who may record (or end) other
# representatives' records, within their own: an attorney or someone acting on the person's
# consent cannot appoint anyone, and nobody widens their own record.
DEPUTY_AUTHORITIES: frozenset[Authority] = frozenset(
    {Authority.DEPUTY_PERSONAL_WELFARE, Authority.DEPUTY_PROPERTY_AFFAIRS}
)


class Refusal(StrEnum):
    """Why a grant, invitation or representative record is refused."""

    CANNOT_SHARE = "cannot_share"  # no record with the power to share
    TO_THEMSELVES = "to_themselves"  # to the actor, or an organisation they work for
    SECTIONS_OUTSIDE = "sections_outside"  # sections outside the actor's scope
    ACCESS_TOO_HIGH = "access_too_high"  # more than view when their powers give only view
    ONLY_THE_PERSON_CONSENTS = "only_the_person_consents"  # the person's own consent is theirs
    NOT_A_DEPUTY = "not_a_deputy"  # only the person or a deputy records representatives
    BEYOND_DEPUTY = "beyond_deputy"  # wider than the deputy's own record


class Grantable(msgspec.Struct, frozen=True):
    """Something given or about to be given: sections at one access level, to someone."""

    sections: frozenset[str]
    access: Access
    # Who it is for; neither for an invitation not yet accepted.
    grantee_user_id: uuid.UUID | None = None
    grantee_organisation_id: uuid.UUID | None = None


class RepresentativeScope(msgspec.Struct, frozen=True):
    """A representative record made or ended: whose, with what authority, covering what."""

    user_id: uuid.UUID
    authority: Authority
    sections: frozenset[str]
    powers: frozenset[Power]


class ShareDecision(msgspec.Struct, frozen=True):
    """The answer, and what the actor may give instead (section key -> highest access)."""

    allowed: bool
    refusal: Refusal | None = None
    # The sections asked for that the actor may not give at all, or not at that level.
    outside: tuple[str, ...] = ()
    too_high: tuple[str, ...] = ()
    scope: dict[str, Access] = {}


_ALLOWED = ShareDecision(allowed=True)


def _power_access(powers: frozenset[Power]) -> Access | None:
    """The access a representative's powers give on their sections: edit, view, or none."""
    if Power.EDIT in powers:
        return Access.EDIT
    if Power.VIEW in powers:
        return Access.VIEW
    return None


def sharing_scope(actor: Actor | None, plan: PlanAccessFacts) -> dict[str, Access]:
    """What the actor may give others on this plan: each section, and the highest access.

    The person may give anything. A representative may give, from each record that carries the
    power to share, its sections at the access its powers give them (view power: view only;
    edit power: up to edit). Grants the actor holds themselves give no power to pass them on.
    """
    if actor is None:
        return {}
    if is_owner(actor, plan):
        return {key: Access.EDIT for key in SECTION_KEYS}
    best: dict[str, Access] = {}
    for rep in plan.representations:
        access = _power_access(rep.powers)
        if Power.SHARE not in rep.powers or access is None:
            continue
        for key in rep.sections:
            if key not in best or ACCESS_RANK[access] > ACCESS_RANK[best[key]]:
                best[key] = access
    return {key: best[key] for key in SECTION_KEYS if key in best}


def _to_themselves(actor: Actor, grant: Grantable) -> bool:
    return grant.grantee_user_id == actor.user_id or (
        grant.grantee_organisation_id is not None
        and grant.grantee_organisation_id in actor.organisation_ids
    )


def decide_share(actor: Actor | None, plan: PlanAccessFacts, grant: Grantable) -> ShareDecision:
    """May the actor give this grant or invitation (or hold the power over one already given)?

    The person always may. A representative only within `sharing_scope`, and never to
    themselves or an organisation they work for: what they may do for the person is what was
    recorded for them, and a grant to themselves would outlast and widen that record.
    """
    if actor is None:
        return ShareDecision(allowed=False, refusal=Refusal.CANNOT_SHARE)
    if is_owner(actor, plan):
        return _ALLOWED
    scope = sharing_scope(actor, plan)
    if not scope:
        return ShareDecision(allowed=False, refusal=Refusal.CANNOT_SHARE)
    if _to_themselves(actor, grant):
        return ShareDecision(allowed=False, refusal=Refusal.TO_THEMSELVES, scope=scope)
    outside = tuple(key for key in SECTION_KEYS if key in grant.sections and key not in scope)
    too_high = tuple(
        key
        for key in SECTION_KEYS
        if key in grant.sections
        and key in scope
        and ACCESS_RANK[grant.access] > ACCESS_RANK[scope[key]]
    )
    if outside:
        return ShareDecision(
            allowed=False,
            refusal=Refusal.SECTIONS_OUTSIDE,
            outside=outside,
            too_high=too_high,
            scope=scope,
        )
    if too_high:
        return ShareDecision(
            allowed=False, refusal=Refusal.ACCESS_TOO_HIGH, too_high=too_high, scope=scope
        )
    return ShareDecision(allowed=True, scope=scope)


def decide_grant_change(
    actor: Actor | None, plan: PlanAccessFacts, current: Grantable, changed: Grantable
) -> ShareDecision:
    """Changing or stopping a grant: the actor must hold the power over the grant as it is
    (they could have given it), and over what it becomes. So a representative cannot widen a
    grant beyond their scope, nor narrow or stop one the person (or a wider representative)
    gave beyond it."""
    before = decide_share(actor, plan, current)
    if not before.allowed:
        return before
    return decide_share(actor, plan, changed)


def _deputies(plan: PlanAccessFacts) -> list[RepresentationFact]:
    """The actor's records as a court-appointed deputy that carry the power to share."""
    return [
        rep
        for rep in plan.representations
        if rep.authority in DEPUTY_AUTHORITIES and Power.SHARE in rep.powers
    ]


def _covered(deputies: list[RepresentationFact], record: RepresentativeScope) -> bool:
    """One deputy record reaches every section and every power of the record."""
    return any(record.sections <= rep.sections and record.powers <= rep.powers for rep in deputies)


def decide_representative(
    actor: Actor | None, plan: PlanAccessFacts, record: RepresentativeScope
) -> ShareDecision:
    """May the actor record this representative? The person may (within the authority's own
    limits, checked by `scope_beyond_authority`). Otherwise only a court-appointed deputy with
    the power to share, for a record no wider than one of their own, never for themselves, and
    never the person's own consent."""
    if actor is None:
        return ShareDecision(allowed=False, refusal=Refusal.NOT_A_DEPUTY)
    if is_owner(actor, plan):
        return _ALLOWED
    if record.authority == Authority.CONSENT:
        return ShareDecision(allowed=False, refusal=Refusal.ONLY_THE_PERSON_CONSENTS)
    if record.user_id == actor.user_id:
        return ShareDecision(allowed=False, refusal=Refusal.TO_THEMSELVES)
    deputies = _deputies(plan)
    if not deputies:
        return ShareDecision(allowed=False, refusal=Refusal.NOT_A_DEPUTY)
    if not _covered(deputies, record):
        reach = frozenset().union(*(rep.sections for rep in deputies))
        outside = tuple(key for key in SECTION_KEYS if key in record.sections - reach)
        return ShareDecision(allowed=False, refusal=Refusal.BEYOND_DEPUTY, outside=outside)
    return _ALLOWED


def decide_end_representative(
    actor: Actor | None, plan: PlanAccessFacts, record: RepresentativeScope
) -> ShareDecision:
    """May the actor end this record? The person may; a representative may step down from
    their own record (that only narrows what they hold); and a deputy may end the records they
    could have made. The person's own consent is theirs alone to withdraw."""
    if actor is None:
        return ShareDecision(allowed=False, refusal=Refusal.NOT_A_DEPUTY)
    if is_owner(actor, plan) or record.user_id == actor.user_id:
        return _ALLOWED
    if record.authority == Authority.CONSENT:
        return ShareDecision(allowed=False, refusal=Refusal.ONLY_THE_PERSON_CONSENTS)
    deputies = _deputies(plan)
    if not deputies:
        return ShareDecision(allowed=False, refusal=Refusal.NOT_A_DEPUTY)
    if not _covered(deputies, record):
        return ShareDecision(allowed=False, refusal=Refusal.BEYOND_DEPUTY)
    return _ALLOWED
