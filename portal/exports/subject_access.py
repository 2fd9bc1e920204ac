"""The person's own data (subject access): everything the portal holds about them, in a zip.

"About them" is decided here, once, and said in the archive's index:
- their account: email, name, how they sign in, their sign-in sessions and staff roles;
- every plan about them (their person's plans): its content, metadata and sign-off state, every
  version sent for sign-off, every revision, the comments on it, who it is shared with (grants,
  invitations, representatives, with their history), requests for a review, proposed package
  changes, sign-off and outcome decisions, and its access log;
- the messages the portal sent them;
- what others gave them: grants on other people's plans and records of speaking for someone,
  as ids, sections and access levels only, and the log lines of what they did there. The
  content of someone else's plan is that person's data, never this person's.

Secrets are never read out of the database: no password hash, session token hash or
invitation token hash is selected, so none can reach the archive. Each plan passes the access
decision (`plan:export`) and the export is written to the plan's access log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import textwrap
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from portal.accounts.tables import UserAccount
from portal.consent import access as consent_access
from portal.consent import access_log
from portal.consent.policy import AUTHORITY_LABELS, Authority, Permission, PlanAccessFacts, decide
from portal.consent.tables import AccessEvent
from portal.core.actor import ROLE_LABELS, Actor, Role
from portal.core.clock import ENGLAND
from portal.core.clock import now as utc_now
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.core.values import as_date, as_uuid, aware
from portal.db import write_transaction
from portal.plans.reading import snapshot_plan
from portal.plans.schemas import PLAN_KIND_LABELS
from portal.plans.workflow import STATE_WORDS, State
from portal.signoff.overview import ACTION_WORDS
from portal.signoff.version_history import verification_code
from portal.templating import uk_datetime

INDEX_NAME = "index.txt"
_ZIP_MODE = 0o644 << 16
_ICO = "the Information Commissioner's Office (ico.org.uk, telephone 0303 123 1113)"


# --- what the files hold -------------------------------------------------------------------


class Organisation(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str


class PersonRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    created_at: dt.datetime


class OpenIdLink(msgspec.Struct, kw_only=True):
    """A sign-in through another service (an OpenID provider) linked to this account."""

    provider: str
    subject: str
    linked_at: dt.datetime
    last_sign_in_at: dt.datetime | None


class SignInSessionRecord(msgspec.Struct, kw_only=True):
    started_at: dt.datetime
    expires_at: dt.datetime


class StaffRoleRecord(msgspec.Struct, kw_only=True):
    organisation: Organisation
    role: str
    role_words: str
    spending_limit_pence: int | None
    granted_at: dt.datetime
    ended_at: dt.datetime | None


class AccountFile(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    email: str
    active: bool
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None
    person: PersonRecord
    # "password" and/or "openid:<provider>"; the password itself is never kept, only a hash,
    # and the hash is not in this file.
    sign_in_methods: list[str]
    openid_links: list[OpenIdLink]
    sign_in_sessions: list[SignInSessionRecord]
    staff_roles: list[StaffRoleRecord]
    plan_ids: list[uuid.UUID]


class SectionRecord(msgspec.Struct, kw_only=True):
    key: str
    title: str
    version: int
    updated_at: dt.datetime | None
    updated_by: str | None


class PlanMetadata(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    kind_words: str
    title: str
    state: str
    state_words: str
    created_at: dt.datetime
    created_by: str | None
    updated_at: dt.datetime
    state_changed_at: dt.datetime | None
    signing_off_organisation: Organisation | None
    submitted_version: int | None
    agreed_version: int | None
    review_date: dt.date | None


class PlanFile(msgspec.Struct, kw_only=True):
    plan: PlanMetadata
    sections: list[SectionRecord]
    # The plan's content now, as it is submitted and hashed (`portal.plans.reading.snapshot_plan`).
    content: dict[str, Any]


class VersionRecord(msgspec.Struct, kw_only=True):
    number: int
    status: str
    organisation: Organisation
    content_hash: str
    verification_code: str
    shared_sections: list[str]
    annual_cost_pence: int
    allocation_annual_pence: int | None
    submitted_by: str | None
    submitted_at: dt.datetime
    plan_authorised_by: str | None
    plan_authorised_at: dt.datetime | None
    agreed_by: str | None
    agreed_at: dt.datetime | None
    budget_variation_reason: str
    review_date: dt.date | None
    returned_by: str | None
    returned_at: dt.datetime | None
    content: dict[str, Any]


class VersionsFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    versions: list[VersionRecord]


class RevisionRecord(msgspec.Struct, kw_only=True):
    # `section:<key>`, or `outcome:`, `support:`, `action:` or `contact:` and the row's id.
    subject: str
    version: int
    at: dt.datetime
    by: str | None
    changed_fields: list[str]
    deleted: bool
    restored_from: int | None
    content: dict[str, Any]


class RevisionsFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    revisions: list[RevisionRecord]


class CommentRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    section: str
    section_title: str
    kind: str
    version_number: int | None
    by: str
    role: str
    at: dt.datetime
    comment: str


class CommentsFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    comments: list[CommentRecord]


class Grantee(msgspec.Struct, kw_only=True):
    kind: str  # "user" or "organisation"
    id: uuid.UUID
    name: str
    email: str | None = None


class GrantRecord(msgspec.Struct, kw_only=True):
    """One version of a grant; `current` marks the one that holds now."""

    grant_id: uuid.UUID
    version: int
    current: bool
    grantee: Grantee
    sections: list[str]
    access: str
    purpose: str
    expires_at: dt.datetime | None
    status: str
    reason: str
    made_by: str | None
    made_at: dt.datetime
    invitation_id: uuid.UUID | None


class InvitationRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str | None
    sections: list[str]
    access: str
    purpose: str
    grant_expires_at: dt.datetime | None
    expires_at: dt.datetime
    status: str
    made_by: str | None
    made_at: dt.datetime
    accepted_by: str | None
    accepted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None


class RepresentativeRecord(msgspec.Struct, kw_only=True):
    """One version of the record of someone who speaks for the person, on all their plans."""

    record_id: uuid.UUID
    version: int
    current: bool
    name: str
    email: str
    authority: str
    authority_words: str
    authority_reference: str
    relationship: str
    sections: list[str]
    powers: list[str]
    how_decisions_are_reached: str
    status: str
    reason: str
    made_by: str | None
    made_at: dt.datetime


class SharingFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    grants: list[GrantRecord]
    invitations: list[InvitationRecord]
    representatives: list[RepresentativeRecord]


class AccessEventRecord(msgspec.Struct, kw_only=True):
    at: dt.datetime
    who: str
    by_you: bool
    event: str
    description: str
    sections: list[str]
    # Ids only (a grant, an invitation, an organisation), never plan content.
    subject: str


class AccessLogFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    events: list[AccessEventRecord]


class ReviewRequestRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    requested_by: str
    role: str
    reason: str
    early: bool
    requested_at: dt.datetime
    status: str
    decided_at: dt.datetime | None
    decision_reason: str
    package_change_id: uuid.UUID | None


class PackageChangeRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    support_item_id: uuid.UUID
    proposed_by: str
    proposed_at: dt.datetime
    minutes_before: int
    minutes_after: int
    ordered_minutes: int
    weekly_cost_before_pence: int
    weekly_cost_after_pence: int
    reason: str
    route: str
    route_reasons: list[str]
    status: str
    decided_at: dt.datetime | None
    decision_reason: str
    new_support_item_id: uuid.UUID | None


class DecisionRecord(msgspec.Struct, kw_only=True):
    """A sign-off decision from the audit trail: submitting, authorising, returning, reviews,
    package changes and decisions on outcomes."""

    seq: int
    at: str
    action: str
    description: str
    by: str
    role: str
    version_number: int | None
    from_state: str
    to_state: str
    reason: str
    details: dict[str, Any]


class AllocationRecord(msgspec.Struct, kw_only=True):
    """The indicative allocation the signing-off organisation set, each time it set one."""

    organisation_id: uuid.UUID
    annual_pence: int
    reason: str
    set_by: str
    set_at: dt.datetime


class ReviewsFile(msgspec.Struct, kw_only=True):
    plan_id: uuid.UUID
    review_requests: list[ReviewRequestRecord]
    package_changes: list[PackageChangeRecord]
    decisions: list[DecisionRecord]
    allocations: list[AllocationRecord] = []


class NotificationRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    message: str
    link: str
    plan_id: uuid.UUID | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    emailed_at: dt.datetime | None


class NotificationsFile(msgspec.Struct, kw_only=True):
    notifications: list[NotificationRecord]


class HeldGrant(msgspec.Struct, kw_only=True):
    """A grant someone gave this person on their plan: which plan, which sections, what access."""

    grant_id: uuid.UUID
    plan_id: uuid.UUID
    sections: list[str]
    access: str
    status: str
    expires_at: dt.datetime | None
    first_given_at: dt.datetime
    last_changed_at: dt.datetime
    invitation_id: uuid.UUID | None


class HeldRepresentation(msgspec.Struct, kw_only=True):
    """A record that this person speaks for someone else, on that person's plans."""

    record_id: uuid.UUID
    plan_ids: list[uuid.UUID]
    authority: str
    authority_words: str
    authority_reference: str
    relationship: str
    sections: list[str]
    powers: list[str]
    status: str
    first_recorded_at: dt.datetime
    last_changed_at: dt.datetime


class ActivityRecord(msgspec.Struct, kw_only=True):
    """A line this person's own actions left in someone else's access log."""

    plan_id: uuid.UUID
    at: dt.datetime
    event: str
    description: str
    sections: list[str]


class SharedWithMeFile(msgspec.Struct, kw_only=True):
    grants: list[HeldGrant]
    representing: list[HeldRepresentation]
    activity: list[ActivityRecord]


# --- reading values back the same way from either database ----------------------------------


def _keys(text: Any) -> list[str]:
    return list(msgspec.json.decode(text or "[]", type=list[str]))


def _decoded(text: Any) -> Any:
    return msgspec.json.decode(text) if text else {}


def _maybe_uuid(value: Any) -> uuid.UUID | None:
    return as_uuid(value) if value else None


def _int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("{}" for _ in values)


def _public(content: Any) -> Any:
    """Rows store `outcome`; everywhere a person sees it, it is `outcome_id` (as in the API)."""
    if isinstance(content, dict):
        return {("outcome_id" if k == "outcome" else k): v for k, v in content.items()}
    return content


def _by_plan(rows: Iterable[dict[str, Any]]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[as_uuid(row["plan"])].append(dict(row))
    return found


def _state_words(state: str) -> str:
    try:
        return STATE_WORDS[State(state)]
    except ValueError:
        return state


def _role_words(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def _authority_words(authority: str) -> str:
    try:
        return AUTHORITY_LABELS[Authority(authority)]
    except ValueError:
        return authority


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    # Every table shares one engine; the raw SQL quotes identifiers for PostgreSQL and uses
    # Piccolo's portable `{}` placeholders.
    rows = await UserAccount.raw(sql, *args)
    return [dict(row) for row in rows]


async def _plan_rows(sql: str, plan_ids: Sequence[uuid.UUID], *args: Any) -> list[dict[str, Any]]:
    """Rows for several plans in one query; `sql` has `{plans}` where the id list goes."""
    if not plan_ids:
        return []
    return await _rows(sql.replace("{plans}", _marks(plan_ids)), *plan_ids, *args)


# --- the account ---------------------------------------------------------------------------


async def _account(actor: Actor, plan_ids: list[uuid.UUID]) -> AccountFile:
    found = await _rows(
        'SELECT u."id", u."email", u."is_active", u."created_at", u."last_sign_in_at",'
        # Whether a password is set, worked out in the database: the hash never leaves it.
        ' CASE WHEN u."password_hash" IS NULL THEN 0 ELSE 1 END AS "has_password",'
        ' p."id" AS "person_id", p."display_name", p."created_at" AS "person_created_at"'
        ' FROM "user_account" u JOIN "person" p ON p."id" = u."person" WHERE u."id" = {}',
        actor.user_id,
    )
    user = found[0]
    links = sorted(
        (
            OpenIdLink(
                provider=row["provider"],
                subject=row["subject"],
                linked_at=aware(row["created_at"]),
                last_sign_in_at=aware(row["last_sign_in_at"]),
            )
            for row in await _rows(
                'SELECT "provider", "subject", "created_at", "last_sign_in_at"'
                ' FROM "external_identity" WHERE "user" = {}',
                actor.user_id,
            )
        ),
        key=lambda link: (link.provider, link.subject),
    )
    sessions = sorted(
        (
            SignInSessionRecord(
                started_at=aware(row["created_at"]), expires_at=aware(row["expires_at"])
            )
            # Only the times: the token hash is not selected.
            for row in await _rows(
                'SELECT "created_at", "expires_at" FROM "sign_in_session" WHERE "user" = {}',
                actor.user_id,
            )
        ),
        key=lambda session: (session.started_at, session.expires_at),
    )
    role_rows = await _rows(
        'SELECT r."id", r."organisation", o."name" AS "organisation_name", r."role",'
        ' r."spending_limit_pence", r."granted_at", r."ended_at"'
        ' FROM "staff_role" r JOIN "organisation" o ON o."id" = r."organisation"'
        ' WHERE r."user" = {}',
        actor.user_id,
    )
    role_rows.sort(key=lambda row: (aware(row["granted_at"]), str(row["id"])))
    methods = (["password"] if int(user["has_password"]) else []) + sorted(
        {f"openid:{link.provider}" for link in links}
    )
    return AccountFile(
        user_id=as_uuid(user["id"]),
        email=user["email"],
        active=bool(user["is_active"]),
        created_at=aware(user["created_at"]),
        last_sign_in_at=aware(user["last_sign_in_at"]),
        person=PersonRecord(
            id=as_uuid(user["person_id"]),
            name=user["display_name"],
            created_at=aware(user["person_created_at"]),
        ),
        sign_in_methods=methods,
        openid_links=links,
        sign_in_sessions=sessions,
        staff_roles=[
            StaffRoleRecord(
                organisation=Organisation(
                    id=as_uuid(row["organisation"]), name=row["organisation_name"]
                ),
                role=row["role"],
                role_words=_role_words(row["role"]),
                spending_limit_pence=_int_or_none(row["spending_limit_pence"]),
                granted_at=aware(row["granted_at"]),
                ended_at=aware(row["ended_at"]),
            )
            for row in role_rows
        ],
        plan_ids=plan_ids,
    )


# --- the plans about them --------------------------------------------------------------------


async def _own_plans(actor: Actor) -> list[tuple[dict[str, Any], PlanAccessFacts]]:
    """The plans about the actor's person that the access decision lets them export."""
    rows = await _rows(
        'SELECT p.*, o."name" AS "organisation_name", cp."display_name" AS "created_by_name"'
        ' FROM "plan" p'
        ' LEFT JOIN "organisation" o ON o."id" = p."signing_off_organisation"'
        ' LEFT JOIN "user_account" cu ON cu."id" = p."created_by"'
        ' LEFT JOIN "person" cp ON cp."id" = cu."person"'
        ' WHERE p."person" = {}',
        actor.person_id,
    )
    rows.sort(key=lambda row: (aware(row["created_at"]), str(row["id"])))
    facts = await consent_access.facts_for_plans(
        actor, [consent_access.plan_ref(row) for row in rows]
    )
    allowed = []
    for row in rows:
        plan_facts = facts[as_uuid(row["id"])]
        if decide(actor, Permission.PLAN_EXPORT, plan_facts):
            allowed.append((row, plan_facts))
    return allowed


def _plan_metadata(row: dict[str, Any]) -> PlanMetadata:
    organisation = None
    if row["signing_off_organisation"]:
        organisation = Organisation(
            id=as_uuid(row["signing_off_organisation"]), name=row["organisation_name"] or ""
        )
    return PlanMetadata(
        id=as_uuid(row["id"]),
        kind=row["kind"],
        kind_words=PLAN_KIND_LABELS.get(row["kind"], row["kind"]),
        title=row["title"],
        state=row["state"],
        state_words=_state_words(row["state"]),
        created_at=aware(row["created_at"]),
        created_by=row["created_by_name"],
        updated_at=aware(row["updated_at"]),
        state_changed_at=aware(row["state_changed_at"]),
        signing_off_organisation=organisation,
        submitted_version=row["submitted_version"],
        agreed_version=row["agreed_version"],
        review_date=as_date(row["review_date"]),
    )


async def _sections(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[SectionRecord]]:
    rows = await _plan_rows(
        'SELECT s."plan", s."key", s."version", s."updated_at", p."display_name" AS "by_name"'
        ' FROM "plan_section" s'
        ' LEFT JOIN "user_account" u ON u."id" = s."updated_by"'
        ' LEFT JOIN "person" p ON p."id" = u."person"'
        ' WHERE s."plan" IN ({plans})',
        plan_ids,
    )
    order = {key: i for i, key in enumerate(SECTION_KEYS)}
    found: dict[uuid.UUID, list[SectionRecord]] = {}
    for plan_id, plan_rows in _by_plan(rows).items():
        plan_rows.sort(key=lambda row: (order.get(row["key"], len(order)), row["key"]))
        found[plan_id] = [
            SectionRecord(
                key=row["key"],
                title=SECTION_TITLES.get(row["key"], row["key"]),
                version=row["version"],
                # Version 0 is the empty section the plan started with: nobody wrote it.
                updated_at=aware(row["updated_at"]) if row["version"] else None,
                updated_by=row["by_name"],
            )
            for row in plan_rows
        ]
    return found


async def _versions(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[VersionRecord]]:
    rows = await _plan_rows(
        'SELECT v.*, o."name" AS "organisation_name", sp."display_name" AS "submitted_by_name",'
        ' pp."display_name" AS "plan_authorised_by_name", ap."display_name" AS "agreed_by_name",'
        ' rp."display_name" AS "returned_by_name"'
        ' FROM "plan_version" v JOIN "organisation" o ON o."id" = v."organisation"'
        ' LEFT JOIN "user_account" su ON su."id" = v."submitted_by"'
        ' LEFT JOIN "person" sp ON sp."id" = su."person"'
        ' LEFT JOIN "user_account" pu ON pu."id" = v."plan_authorised_by"'
        ' LEFT JOIN "person" pp ON pp."id" = pu."person"'
        ' LEFT JOIN "user_account" au ON au."id" = v."agreed_by"'
        ' LEFT JOIN "person" ap ON ap."id" = au."person"'
        ' LEFT JOIN "user_account" ru ON ru."id" = v."returned_by"'
        ' LEFT JOIN "person" rp ON rp."id" = ru."person"'
        ' WHERE v."plan" IN ({plans})',
        plan_ids,
    )
    found: dict[uuid.UUID, list[VersionRecord]] = {}
    for plan_id, plan_rows in _by_plan(rows).items():
        plan_rows.sort(key=lambda row: int(row["number"]))
        found[plan_id] = [
            VersionRecord(
                number=int(row["number"]),
                status=row["status"],
                organisation=Organisation(
                    id=as_uuid(row["organisation"]), name=row["organisation_name"]
                ),
                content_hash=row["content_hash"],
                verification_code=verification_code(row["content_hash"]),
                shared_sections=_keys(row["shared_sections"]),
                annual_cost_pence=int(row["annual_cost_pence"]),
                allocation_annual_pence=_int_or_none(row["allocation_annual_pence"]),
                submitted_by=row["submitted_by_name"],
                submitted_at=aware(row["submitted_at"]),
                plan_authorised_by=row["plan_authorised_by_name"],
                plan_authorised_at=aware(row["plan_authorised_at"]),
                agreed_by=row["agreed_by_name"],
                agreed_at=aware(row["agreed_at"]),
                budget_variation_reason=row["budget_variation_reason"],
                review_date=as_date(row["review_date"]),
                returned_by=row["returned_by_name"],
                returned_at=aware(row["returned_at"]),
                content=_decoded(row["content"]),
            )
            for row in plan_rows
        ]
    return found


async def _revisions(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[RevisionRecord]]:
    rows = await _plan_rows(
        'SELECT r."plan", r."subject", r."version", r."content", r."changed_fields",'
        ' r."deleted", r."restored_from", r."created_at", ap."display_name" AS "author_name"'
        ' FROM "revision" r'
        ' LEFT JOIN "user_account" au ON au."id" = r."author"'
        ' LEFT JOIN "person" ap ON ap."id" = au."person"'
        ' WHERE r."plan" IN ({plans})',
        plan_ids,
    )
    found: dict[uuid.UUID, list[RevisionRecord]] = {}
    for plan_id, plan_rows in _by_plan(rows).items():
        # Oldest first, as history is read; (subject, version) is unique, so ties are ordered.
        plan_rows.sort(key=lambda row: (aware(row["created_at"]), row["subject"], row["version"]))
        found[plan_id] = [
            RevisionRecord(
                subject=row["subject"],
                version=int(row["version"]),
                at=aware(row["created_at"]),
                by=row["author_name"],
                changed_fields=[
                    "outcome_id" if name == "outcome" else name
                    for name in _keys(row["changed_fields"])
                ],
                deleted=bool(row["deleted"]),
                restored_from=row["restored_from"],
                content=_public(_decoded(row["content"])),
            )
            for row in plan_rows
        ]
    return found


async def _comments(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CommentRecord]]:
    rows = await _plan_rows(
        'SELECT "id", "plan", "version_number", "section_key", "body", "kind", "author_name",'
        ' "author_role", "created_at" FROM "plan_comment" WHERE "plan" IN ({plans})',
        plan_ids,
    )
    found: dict[uuid.UUID, list[CommentRecord]] = {}
    for plan_id, plan_rows in _by_plan(rows).items():
        plan_rows.sort(key=lambda row: (aware(row["created_at"]), str(row["id"])))
        found[plan_id] = [
            CommentRecord(
                id=as_uuid(row["id"]),
                section=row["section_key"],
                section_title=SECTION_TITLES.get(row["section_key"], row["section_key"]),
                kind=row["kind"],
                version_number=row["version_number"],
                by=row["author_name"],
                role=row["author_role"],
                at=aware(row["created_at"]),
                comment=row["body"],
            )
            for row in plan_rows
        ]
    return found


def _numbered(rows: list[dict[str, Any]], key: str, at: str) -> list[tuple[dict[str, Any], int]]:
    """Rows in order, each with its version number within its record (a grant, a representative
    record), oldest first."""
    rows = sorted(rows, key=lambda row: (str(row[key]), aware(row[at]), str(row["id"])))
    seen: dict[str, int] = {}
    numbered = []
    for row in rows:
        seen[str(row[key])] = seen.get(str(row[key]), 0) + 1
        numbered.append((row, seen[str(row[key])]))
    return numbered


def _grant_status(row: dict[str, Any], now: dt.datetime) -> str:
    expires = aware(row["expires_at"])
    if row["status"] == "active" and expires is not None and expires <= now:
        return "expired"
    return str(row["status"])


async def _grants(
    plan_ids: list[uuid.UUID], now: dt.datetime
) -> dict[uuid.UUID, list[GrantRecord]]:
    rows = await _plan_rows(
        'SELECT g.*, mp."display_name" AS "made_by_name", gp."display_name" AS "grantee_name",'
        ' gu."email" AS "grantee_email", o."name" AS "organisation_name"'
        ' FROM "plan_grant" g'
        ' LEFT JOIN "user_account" mu ON mu."id" = g."made_by"'
        ' LEFT JOIN "person" mp ON mp."id" = mu."person"'
        ' LEFT JOIN "user_account" gu ON gu."id" = g."grantee_user"'
        ' LEFT JOIN "person" gp ON gp."id" = gu."person"'
        ' LEFT JOIN "organisation" o ON o."id" = g."grantee_organisation"'
        ' WHERE g."plan" IN ({plans})',
        plan_ids,
    )
    found: dict[uuid.UUID, list[GrantRecord]] = {}
    for plan_id, plan_rows in _by_plan(rows).items():
        records = []
        for row, version in _numbered(plan_rows, "grant_id", "made_at"):
            if row["grantee_user"]:
                grantee = Grantee(
                    kind="user",
                    id=as_uuid(row["grantee_user"]),
                    name=row["grantee_name"] or "",
                    email=row["grantee_email"],
                )
            else:
                grantee = Grantee(
                    kind="organisation",
                    id=as_uuid(row["grantee_organisation"]),
                    name=row["organisation_name"] or "",
                )
            records.append(
                GrantRecord(
                    grant_id=as_uuid(row["grant_id"]),
                    version=version,
                    current=bool(row["current"]),
                    grantee=grantee,
                    sections=_keys(row["sections"]),
                    access=row["access"],
                    purpose=row["purpose"],
                    expires_at=aware(row["expires_at"]),
                    status=_grant_status(row, now),
                    reason=row["reason"],
                    made_by=row["made_by_name"],
                    made_at=aware(row["made_at"]),
                    invitation_id=_maybe_uuid(row["invitation"]),
                )
            )
        records.sort(key=lambda grant: (grant.made_at, str(grant.grant_id), grant.version))
        found[plan_id] = records
    return found


def _invitation_status(row: dict[str, Any], now: dt.datetime) -> str:
    if row["accepted_at"] is not None:
        return "accepted"
    if row["withdrawn_at"] is not None:
        return "withdrawn"
    if aware(row["expires_at"]) <= now:
        return "expired"
    return "open"


async def _invitations(
    plan_ids: list[uuid.UUID], now: dt.datetime
) -> dict[uuid.UUID, list[InvitationRecord]]:
    # Named columns: the token hash is never selected.
    rows = await _plan_rows(
        'SELECT i."id", i."plan", i."email", i."sections", i."access", i."purpose",'
        ' i."grant_expires_at", i."expires_at", i."made_at", i."accepted_at", i."withdrawn_at",'
        ' mp."display_name" AS "made_by_name", ap."display_name" AS "accepted_by_name"'
        ' FROM "invitation" i'
        ' LEFT JOIN "user_account" mu ON mu."id" = i."made_by"'
        ' LEFT JOIN "person" mp ON mp."id" = mu."person"'
        ' LEFT JOIN "user_account" au ON au."id" = i."accepted_by"'
        ' LEFT JOIN "person" ap ON ap."id" = au."person"'
        ' WHERE i."plan" IN ({plans})',
        plan_ids,
    )
    found: dict[uuid.UUID, list[InvitationRecord]] = {}
    for plan_id, plan_rows in _by_plan(rows).items():
        plan_rows.sort(key=lambda row: (aware(row["made_at"]), str(row["id"])))
        found[plan_id] = [
            InvitationRecord(
                id=as_uuid(row["id"]),
                email=row["email"],
                sections=_keys(row["sections"]),
                access=row["access"],
                purpose=row["purpose"],
                grant_expires_at=aware(row["grant_expires_at"]),
                expires_at=aware(row["expires_at"]),
                status=_invitation_status(row, now),
                made_by=row["made_by_name"],
                made_at=aware(row["made_at"]),
                accepted_by=row["accepted_by_name"],
                accepted_at=aware(row["accepted_at"]),
                withdrawn_at=aware(row["withdrawn_at"]),
            )
            for row in plan_rows
        ]
    return found


async def _representatives(person_id: uuid.UUID) -> list[RepresentativeRecord]:
    rows = await _rows(
        'SELECT r."id", r."record_id", r."authority", r."authority_reference",'
        ' r."relationship", r."sections", r."powers", r."how_decisions_are_reached",'
        ' r."status", r."current", r."reason", r."made_at",'
        ' rp."display_name" AS "name", ru."email" AS "email", mp."display_name" AS "made_by_name"'
        ' FROM "representative" r'
        ' JOIN "user_account" ru ON ru."id" = r."user"'
        ' JOIN "person" rp ON rp."id" = ru."person"'
        ' LEFT JOIN "user_account" mu ON mu."id" = r."made_by"'
        ' LEFT JOIN "person" mp ON mp."id" = mu."person"'
        ' WHERE r."person" = {}',
        person_id,
    )
    records = [
        RepresentativeRecord(
            record_id=as_uuid(row["record_id"]),
            version=version,
            current=bool(row["current"]),
            name=row["name"],
            email=row["email"],
            authority=row["authority"],
            authority_words=_authority_words(row["authority"]),
            authority_reference=row["authority_reference"],
            relationship=row["relationship"],
            sections=_keys(row["sections"]),
            powers=_keys(row["powers"]),
            how_decisions_are_reached=row["how_decisions_are_reached"],
            status=row["status"],
            reason=row["reason"],
            made_by=row["made_by_name"],
            made_at=aware(row["made_at"]),
        )
        for row, version in _numbered(rows, "record_id", "made_at")
    ]
    records.sort(key=lambda rep: (rep.made_at, str(rep.record_id), rep.version))
    return records


async def _access_logs(
    actor: Actor, plan_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[AccessEventRecord]]:
    rows = await _plan_rows(
        'SELECT "id", "plan", "actor_user", "actor_name", "event", "sections", "subject", "at"'
        ' FROM "access_event" WHERE "plan" IN ({plans})',
        plan_ids,
    )
    found: dict[uuid.UUID, list[AccessEventRecord]] = {}
    for plan_id, plan_rows in _by_plan(rows).items():
        plan_rows.sort(key=lambda row: (aware(row["at"]), str(row["id"])))
        found[plan_id] = [
            AccessEventRecord(
                at=aware(row["at"]),
                who=row["actor_name"] or "Someone not signed in",
                by_you=_maybe_uuid(row["actor_user"]) == actor.user_id,
                event=row["event"],
                description=access_log.EVENT_WORDS.get(row["event"], row["event"]),
                sections=_keys(row["sections"]),
                subject=row["subject"],
            )
            for row in plan_rows
        ]
    return found


async def _reviews(plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, ReviewsFile]:
    requests = _by_plan(
        await _plan_rows('SELECT * FROM "review_request" WHERE "plan" IN ({plans})', plan_ids)
    )
    changes = _by_plan(
        await _plan_rows('SELECT * FROM "package_change" WHERE "plan" IN ({plans})', plan_ids)
    )
    allocations = _by_plan(
        await _plan_rows('SELECT * FROM "plan_allocation" WHERE "plan" IN ({plans})', plan_ids)
    )
    decisions = _by_plan(
        await _plan_rows(
            'SELECT "plan", "seq", "at", "action", "actor_name", "role", "version_number",'
            ' "from_state", "to_state", "reason", "details" FROM "audit_entry"'
            ' WHERE "plan" IN ({plans}) AND "outcome" = {}',
            plan_ids,
            "done",
        )
    )
    found: dict[uuid.UUID, ReviewsFile] = {}
    for plan_id in plan_ids:
        request_rows = sorted(
            requests.get(plan_id, []), key=lambda row: (aware(row["requested_at"]), str(row["id"]))
        )
        change_rows = sorted(
            changes.get(plan_id, []), key=lambda row: (aware(row["proposed_at"]), str(row["id"]))
        )
        decision_rows = sorted(decisions.get(plan_id, []), key=lambda row: int(row["seq"]))
        found[plan_id] = ReviewsFile(
            plan_id=plan_id,
            review_requests=[
                ReviewRequestRecord(
                    id=as_uuid(row["id"]),
                    requested_by=row["requester_name"],
                    role=row["requester_role"],
                    reason=row["reason"],
                    early=bool(row["early"]),
                    requested_at=aware(row["requested_at"]),
                    status=row["status"],
                    decided_at=aware(row["decided_at"]),
                    decision_reason=row["decision_reason"],
                    package_change_id=_maybe_uuid(row["package_change"]),
                )
                for row in request_rows
            ],
            package_changes=[
                PackageChangeRecord(
                    id=as_uuid(row["id"]),
                    support_item_id=as_uuid(row["support_item"]),
                    proposed_by=row["proposer_name"],
                    proposed_at=aware(row["proposed_at"]),
                    minutes_before=int(row["minutes_before"]),
                    minutes_after=int(row["minutes_after"]),
                    ordered_minutes=int(row["ordered_minutes"]),
                    weekly_cost_before_pence=int(row["weekly_cost_before_pence"]),
                    weekly_cost_after_pence=int(row["weekly_cost_after_pence"]),
                    reason=row["reason"],
                    route=row["route"],
                    route_reasons=_keys(row["route_reason"]),
                    status=row["status"],
                    decided_at=aware(row["decided_at"]),
                    decision_reason=row["decision_reason"],
                    new_support_item_id=_maybe_uuid(row["new_support_item"]),
                )
                for row in change_rows
            ],
            decisions=[
                DecisionRecord(
                    seq=int(row["seq"]),
                    at=str(row["at"]),
                    action=row["action"],
                    description=ACTION_WORDS.get(row["action"], row["action"]),
                    by=row["actor_name"],
                    role=row["role"],
                    version_number=row["version_number"],
                    from_state=row["from_state"],
                    to_state=row["to_state"],
                    reason=row["reason"],
                    details=_decoded(row["details"]),
                )
                for row in decision_rows
            ],
            allocations=[
                AllocationRecord(
                    organisation_id=as_uuid(row["organisation"]),
                    annual_pence=int(row["annual_pence"]),
                    reason=row["reason"],
                    set_by=row["set_by_name"],
                    set_at=aware(row["set_at"]),
                )
                for row in sorted(
                    allocations.get(plan_id, []),
                    key=lambda row: (aware(row["set_at"]), str(row["id"])),
                )
            ],
        )
    return found


# --- what is addressed to them, and what others gave them ------------------------------------


async def _notifications(actor: Actor) -> NotificationsFile:
    rows = await _rows(
        'SELECT "id", "kind", "message", "link", "plan", "created_at", "read_at", "emailed_at"'
        ' FROM "notification" WHERE "user" = {}',
        actor.user_id,
    )
    rows.sort(key=lambda row: (aware(row["created_at"]), str(row["id"])))
    return NotificationsFile(
        notifications=[
            NotificationRecord(
                id=as_uuid(row["id"]),
                kind=row["kind"],
                message=row["message"],
                link=row["link"],
                plan_id=_maybe_uuid(row["plan"]),
                created_at=aware(row["created_at"]),
                read_at=aware(row["read_at"]),
                emailed_at=aware(row["emailed_at"]),
            )
            for row in rows
        ]
    )


async def _shared_with_me(actor: Actor, now: dt.datetime) -> SharedWithMeFile:
    """Grants and representations others gave the actor, and their own steps on those plans:
    ids, sections, access and times only. Nothing of the plans' content, titles, owners or
    the purposes their people wrote is selected."""
    grant_rows = await _rows(
        'SELECT g."id", g."grant_id", g."plan", g."sections", g."access", g."status",'
        ' g."expires_at", g."current", g."made_at", g."invitation"'
        ' FROM "plan_grant" g JOIN "plan" p ON p."id" = g."plan"'
        ' WHERE g."grantee_user" = {} AND p."person" <> {}',
        actor.user_id,
        actor.person_id,
    )
    grants = []
    for rows in _group(grant_rows, "grant_id", "made_at"):
        current = next((row for row in rows if row["current"]), rows[-1])
        grants.append(
            HeldGrant(
                grant_id=as_uuid(current["grant_id"]),
                plan_id=as_uuid(current["plan"]),
                sections=_keys(current["sections"]),
                access=current["access"],
                status=_grant_status(current, now),
                expires_at=aware(current["expires_at"]),
                first_given_at=aware(rows[0]["made_at"]),
                last_changed_at=aware(rows[-1]["made_at"]),
                invitation_id=_maybe_uuid(rows[0]["invitation"]),
            )
        )
    grants.sort(key=lambda grant: (grant.first_given_at, str(grant.grant_id)))

    rep_rows = await _rows(
        'SELECT "id", "record_id", "person", "authority", "authority_reference", "relationship",'
        ' "sections", "powers", "status", "current", "made_at"'
        ' FROM "representative" WHERE "user" = {} AND "person" <> {}',
        actor.user_id,
        actor.person_id,
    )
    persons = sorted({as_uuid(row["person"]) for row in rep_rows})
    plans_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if persons:
        for row in await _rows(
            f'SELECT "id", "person" FROM "plan" WHERE "person" IN ({_marks(persons)})',  # noqa: S608
            *persons,
        ):
            plans_of[as_uuid(row["person"])].append(as_uuid(row["id"]))
    representing = []
    for rows in _group(rep_rows, "record_id", "made_at"):
        current = next((row for row in rows if row["current"]), rows[-1])
        representing.append(
            HeldRepresentation(
                record_id=as_uuid(current["record_id"]),
                plan_ids=sorted(plans_of[as_uuid(current["person"])]),
                authority=current["authority"],
                authority_words=_authority_words(current["authority"]),
                authority_reference=current["authority_reference"],
                relationship=current["relationship"],
                sections=_keys(current["sections"]),
                powers=_keys(current["powers"]),
                status=current["status"],
                first_recorded_at=aware(rows[0]["made_at"]),
                last_changed_at=aware(rows[-1]["made_at"]),
            )
        )
    representing.sort(key=lambda rep: (rep.first_recorded_at, str(rep.record_id)))

    activity_rows = await _rows(
        'SELECT a."id", a."plan", a."event", a."sections", a."at" FROM "access_event" a'
        ' JOIN "plan" p ON p."id" = a."plan" WHERE a."actor_user" = {} AND p."person" <> {}',
        actor.user_id,
        actor.person_id,
    )
    activity_rows.sort(key=lambda row: (aware(row["at"]), str(row["id"])))
    return SharedWithMeFile(
        grants=grants,
        representing=representing,
        activity=[
            ActivityRecord(
                plan_id=as_uuid(row["plan"]),
                at=aware(row["at"]),
                event=row["event"],
                description=access_log.EVENT_WORDS.get(row["event"], row["event"]),
                sections=_keys(row["sections"]),
            )
            for row in activity_rows
        ],
    )


def _group(rows: list[dict[str, Any]], key: str, at: str) -> list[list[dict[str, Any]]]:
    """Versions of the same record together, each group oldest first."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row, _ in _numbered(rows, key, at):
        groups[str(row[key])].append(row)
    return list(groups.values())


# --- the export ------------------------------------------------------------------------------


async def _record_exports(
    actor: Actor, plans: list[tuple[dict[str, Any], PlanAccessFacts]]
) -> None:
    """Every export is in the plan's access log, the person's own included."""
    if not plans:
        return
    async with write_transaction(AccessEvent._meta.db):
        for _, facts in plans:
            await access_log.record(
                actor, facts, "export", consent_access.sections_seen_by(actor, facts), always=True
            )


def _json(value: Any) -> bytes:
    """Indented for people to read; the same data always gives the same bytes."""
    encoded = msgspec.json.encode(value, order="deterministic")
    return msgspec.json.format(encoded, indent=2) + b"\n"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _when(moment: dt.datetime) -> str:
    return f"{uk_datetime(moment)} (UK time)"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _wrapped(text: str) -> str:
    return textwrap.fill(text, width=88, initial_indent="  ", subsequent_indent="  ")


def _index(
    actor: Actor,
    made_at: dt.datetime,
    files: list[tuple[str, str, bytes]],
    plans: list[tuple[PlanMetadata, list[tuple[str, str, bytes]]]],
    organisations: list[str],
) -> bytes:
    """The plain-English page that comes first: what each file holds, when, for whom, and how
    to ask for anything else."""
    lines = [
        "YOUR DATA FROM THE PLAN PORTAL",
        "",
        f"Made for: {_one_line(actor.display_name)} ({actor.email})",
        f"Made on: {_when(made_at)}",
        "",
        "This download holds the information the plan portal keeps about you: your account,",
        "the plans that are about you and all their history, who can see them and who has",
        "looked at them, and the messages the portal sent you.",
        "",
        "The files are JSON, a plain-text format that many programs can open; a text editor",
        "will show them. Times are in UTC with the time zone written at the end (Z means UTC;",
        "UK time is the same in winter and one hour ahead in summer). Money is in pence:",
        "12500 means £125.00.",
        "",
        "WHAT EACH FILE HOLDS",
        "",
    ]
    for name, about, _ in [(INDEX_NAME, "This page.", b""), *files]:
        lines += [name, _wrapped(about), ""]
    if plans:
        for plan, plan_files in plans:
            lines += [f'Your plan "{_one_line(plan.title)}" (id {plan.id}):', ""]
            for name, about, _ in plan_files:
                lines += [name, _wrapped(about), ""]
    else:
        lines += [
            "You have no plans in the portal, so there is no plans folder in this download.",
            "",
        ]
    lines += [
        "WHAT IS NOT IN THIS DOWNLOAD, AND WHY",
        "",
        "- Your password and the codes that keep you signed in. The portal keeps only",
        "  scrambled forms of them that cannot be turned back. Leaving them out keeps your",
        "  account safe if this download is lost or shared.",
        "- The links in invitations you sent. Only a scrambled form is kept, for the same",
        "  reason. Who you invited, and what for, is in the plan's sharing.json.",
        "- What is written in other people's plans, even those shared with you. That is",
        "  their information. shared-with-me.json says which plans (by id), which sections",
        "  and what you may do, and when you looked.",
        "- What you wrote in other people's plans (for example comments as a member of",
        "  staff). It is part of the record of the person the plan is about.",
        "- Plans shared with an organisation you work for, rather than with you. They are",
        "  the organisation's to answer for.",
        "- Failed attempts to sign in to your account. They are kept only to slow down",
        "  anyone guessing passwords, and are cleared when you sign in.",
        "",
        "ASKING FOR ANYTHING ELSE",
        "",
        "The council or NHS organisation that signs off your plan may hold other information",
        "about you outside this portal, such as assessments, case notes or letters. You have",
        "the right to a copy of it: ask that organisation for a subject access request. Its",
        "data protection officer handles these, and its website says how to contact them.",
        "It must usually answer within one month.",
    ]
    if organisations:
        lines += ["", "Your plans were sent for sign-off to: " + ", ".join(organisations) + "."]
    lines += [
        "",
        "If you are not happy with how your information is handled, you can complain to",
        f"{_ICO}.",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def _zip(entries: list[tuple[str, bytes]], made_at: dt.datetime) -> bytes:
    """A zip whose entries keep the given order (the index first) and the moment it was made."""
    stamp = made_at.astimezone(ENGLAND)
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = _ZIP_MODE
            archive.writestr(info, data)
    return buffer.getvalue()


def archive_name(made_at: dt.datetime) -> str:
    return f"plan-portal-data-{made_at.astimezone(ENGLAND).date().isoformat()}.zip"


def _plan_files(
    plan: PlanMetadata,
    current: PlanFile,
    versions: VersionsFile,
    revisions: RevisionsFile,
    comments: CommentsFile,
    sharing: SharingFile,
    log: AccessLogFile,
    reviews: ReviewsFile,
) -> list[tuple[str, str, bytes]]:
    """A plan's files: (name in the zip, what it holds in words, the JSON)."""
    base = f"plans/{plan.id}"
    return [
        (
            f"{base}/plan.json",
            "The plan as it is now: every section, outcome, item of support with its cost, "
            "action and contact, and where it is in sign-off.",
            _json(current),
        ),
        (
            f"{base}/versions.json",
            f"{_count(len(versions.versions), 'version')} sent for sign-off: what each said, "
            "its verification code, and who submitted, authorised, agreed or returned it, "
            "and when.",
            _json(versions),
        ),
        (
            f"{base}/revisions.json",
            f"{_count(len(revisions.revisions), 'change')} saved to the plan, oldest first: "
            "what each section or row said after the change, who made it and when.",
            _json(revisions),
        ),
        (
            f"{base}/comments.json",
            f"{_count(len(comments.comments), 'comment')} on the plan, such as why it was "
            "returned, with who wrote each and when.",
            _json(comments),
        ),
        (
            f"{base}/sharing.json",
            f"{_count(len(sharing.grants), 'record')} of who the plan is shared with (each "
            f"change is one), {_count(len(sharing.invitations), 'invitation')} sent, and who is "
            "recorded as speaking for you (on all your plans).",
            _json(sharing),
        ),
        (
            f"{base}/access-log.json",
            f"{_count(len(log.events), 'entry', 'entries')} of who has looked at, changed, "
            "downloaded or shared the plan, and when, oldest first. This download is listed too.",
            _json(log),
        ),
        (
            f"{base}/reviews.json",
            f"{_count(len(reviews.review_requests), 'request')} for a review, "
            f"{_count(len(reviews.package_changes), 'proposed change')} to your support, and "
            f"{_count(len(reviews.decisions), 'sign-off decision')} (decisions on your "
            "outcomes among them).",
            _json(reviews),
        ),
    ]


async def subject_access_archive(actor: Actor) -> tuple[str, bytes]:
    """Everything the portal holds about the signed-in person: the archive's name and bytes."""
    made_at = utc_now()
    plans = await _own_plans(actor)
    plan_ids = [as_uuid(row["id"]) for row, _ in plans]
    account = await _account(actor, plan_ids)
    contents = {plan_id: await snapshot_plan(plan_id) for plan_id in plan_ids}
    sections = await _sections(plan_ids)
    versions = await _versions(plan_ids)
    revisions = await _revisions(plan_ids)
    comments = await _comments(plan_ids)
    grants = await _grants(plan_ids, made_at)
    invitations = await _invitations(plan_ids, made_at)
    representatives = await _representatives(actor.person_id)
    reviews = await _reviews(plan_ids)
    notifications = await _notifications(actor)
    shared = await _shared_with_me(actor, made_at)
    # Written before the log is read, so the download finds itself in it.
    await _record_exports(actor, plans)
    logs = await _access_logs(actor, plan_ids)

    files: list[tuple[str, str, bytes]] = [
        (
            "account.json",
            "Your account: email address, name, when it was made, how you sign in (password, "
            "or another service you linked), when you last signed in, your sign-in sessions "
            "(times only), any staff roles you hold, and the ids of your plans.",
            _json(account),
        ),
        (
            "notifications.json",
            f"The {_count(len(notifications.notifications), 'message')} the portal sent you, "
            "and when you read each.",
            _json(notifications),
        ),
        (
            "shared-with-me.json",
            f"Plans of other people shared with you ({len(shared.grants)}) and records of you "
            f"speaking for someone ({len(shared.representing)}): which plans (by id), which "
            "sections and what you may do. Also when you looked at or changed those plans. "
            "Nothing of what is written in them.",
            _json(shared),
        ),
    ]
    listed_plans: list[tuple[PlanMetadata, list[tuple[str, str, bytes]]]] = []
    organisations: set[str] = set()
    for row, _ in plans:
        plan_id = as_uuid(row["id"])
        metadata = _plan_metadata(row)
        listed_plans.append(
            (
                metadata,
                _plan_files(
                    metadata,
                    PlanFile(
                        plan=metadata, sections=sections.get(plan_id, []), content=contents[plan_id]
                    ),
                    VersionsFile(plan_id=plan_id, versions=versions.get(plan_id, [])),
                    RevisionsFile(plan_id=plan_id, revisions=revisions.get(plan_id, [])),
                    CommentsFile(plan_id=plan_id, comments=comments.get(plan_id, [])),
                    SharingFile(
                        plan_id=plan_id,
                        grants=grants.get(plan_id, []),
                        invitations=invitations.get(plan_id, []),
                        representatives=representatives,
                    ),
                    AccessLogFile(plan_id=plan_id, events=logs.get(plan_id, [])),
                    reviews[plan_id],
                ),
            )
        )
        organisations.update(v.organisation.name for v in versions.get(plan_id, []))
    index = _index(actor, made_at, files, listed_plans, sorted(organisations))
    entries = [(INDEX_NAME, index)] + [(name, data) for name, _, data in files]
    for _, plan_files in listed_plans:
        entries += [(name, data) for name, _, data in plan_files]
    archive = await asyncio.to_thread(_zip, entries, made_at)
    return archive_name(made_at), archive
