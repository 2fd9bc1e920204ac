"""The download's queries of plans, sharing and sign-off, in one place until those domains'
repositories answer them: each gives rows of every plan asked for, in no particular order.

The account's and the notifications' rows come from their own repositories. Secrets are never
selected here: invitations are read by named columns, so no token hash is.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from portal.consent.tables import AccessEvent
from portal.core.values import as_uuid


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("{}" for _ in values)


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    # Every table shares one engine; the raw SQL quotes identifiers for PostgreSQL and uses
    # Piccolo's portable `{}` placeholders.
    rows = await AccessEvent.raw(sql, *args)
    return [dict(row) for row in rows]


async def _plan_rows(sql: str, plan_ids: Sequence[uuid.UUID], *args: Any) -> list[dict[str, Any]]:
    """Rows for several plans in one query; `sql` has `{plans}` where the id list goes."""
    if not plan_ids:
        return []
    return await _rows(sql.replace("{plans}", _marks(plan_ids)), *plan_ids, *args)


# --- the plans about the person ---------------------------------------------------------------


async def plans_about(person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every plan about the person, with its signing-off organisation's and its maker's names."""
    return await _rows(
        'SELECT p.*, o."name" AS "organisation_name", cp."display_name" AS "created_by_name"'
        ' FROM "plan" p'
        ' LEFT JOIN "organisation" o ON o."id" = p."signing_off_organisation"'
        ' LEFT JOIN "user_account" cu ON cu."id" = p."created_by"'
        ' LEFT JOIN "person" cp ON cp."id" = cu."person"'
        ' WHERE p."person" = {}',
        person_id,
    )


async def sections(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return await _plan_rows(
        'SELECT s."plan", s."key", s."version", s."updated_at", p."display_name" AS "by_name"'
        ' FROM "plan_section" s'
        ' LEFT JOIN "user_account" u ON u."id" = s."updated_by"'
        ' LEFT JOIN "person" p ON p."id" = u."person"'
        ' WHERE s."plan" IN ({plans})',
        plan_ids,
    )


async def versions(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return await _plan_rows(
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


async def revisions(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return await _plan_rows(
        'SELECT r."plan", r."subject", r."version", r."content", r."changed_fields",'
        ' r."deleted", r."restored_from", r."created_at", ap."display_name" AS "author_name"'
        ' FROM "revision" r'
        ' LEFT JOIN "user_account" au ON au."id" = r."author"'
        ' LEFT JOIN "person" ap ON ap."id" = au."person"'
        ' WHERE r."plan" IN ({plans})',
        plan_ids,
    )


async def comments(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return await _plan_rows(
        'SELECT "id", "plan", "version_number", "section_key", "body", "kind", "author_name",'
        ' "author_role", "created_at" FROM "plan_comment" WHERE "plan" IN ({plans})',
        plan_ids,
    )


async def grants(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """Every version of every grant on the plans, with the names of who made it and who holds it."""
    return await _plan_rows(
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


async def invitations(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    # Named columns: the token hash is never selected.
    return await _plan_rows(
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


async def representatives(person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every version of every record of someone speaking for the person."""
    return await _rows(
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


async def access_events(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return await _plan_rows(
        'SELECT "id", "plan", "actor_user", "actor_name", "event", "sections", "subject", "at"'
        ' FROM "access_event" WHERE "plan" IN ({plans})',
        plan_ids,
    )


async def review_requests(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return await _plan_rows('SELECT * FROM "review_request" WHERE "plan" IN ({plans})', plan_ids)


async def package_changes(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return await _plan_rows('SELECT * FROM "package_change" WHERE "plan" IN ({plans})', plan_ids)


async def allocations(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return await _plan_rows('SELECT * FROM "plan_allocation" WHERE "plan" IN ({plans})', plan_ids)


async def decisions(plan_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """The audit trail's decisions that were carried out."""
    return await _plan_rows(
        'SELECT "plan", "seq", "at", "action", "actor_name", "role", "version_number",'
        ' "from_state", "to_state", "reason", "details" FROM "audit_entry"'
        ' WHERE "plan" IN ({plans}) AND "outcome" = {}',
        plan_ids,
        "done",
    )


# --- what others gave the person ------------------------------------------------------------
# Ids, sections, access and times only: nothing of the plans' content, titles, owners or the
# purposes their people wrote is selected.


async def grants_held(user_id: uuid.UUID, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every version of the grants the user holds on plans about someone else."""
    return await _rows(
        'SELECT g."id", g."grant_id", g."plan", g."sections", g."access", g."status",'
        ' g."expires_at", g."current", g."made_at", g."invitation"'
        ' FROM "plan_grant" g JOIN "plan" p ON p."id" = g."plan"'
        ' WHERE g."grantee_user" = {} AND p."person" <> {}',
        user_id,
        person_id,
    )


async def representations_held(user_id: uuid.UUID, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every version of the records of the user speaking for someone else."""
    return await _rows(
        'SELECT "id", "record_id", "person", "authority", "authority_reference", "relationship",'
        ' "sections", "powers", "status", "current", "made_at"'
        ' FROM "representative" WHERE "user" = {} AND "person" <> {}',
        user_id,
        person_id,
    )


async def plans_of(persons: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The ids of the plans about each of these persons."""
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if persons:
        for row in await _rows(
            f'SELECT "id", "person" FROM "plan" WHERE "person" IN ({_marks(persons)})',  # noqa: S608
            *persons,
        ):
            found[as_uuid(row["person"])].append(as_uuid(row["id"]))
    return found


async def activity_elsewhere(user_id: uuid.UUID, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """The access log lines the user's own steps left on plans about someone else."""
    return await _rows(
        'SELECT a."id", a."plan", a."event", a."sections", a."at" FROM "access_event" a'
        ' JOIN "plan" p ON p."id" = a."plan" WHERE a."actor_user" = {} AND p."person" <> {}',
        user_id,
        person_id,
    )
