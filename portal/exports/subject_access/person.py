"""What the download holds about the person outside their plans: their account, the messages
the portal sent them, and what others gave them (grants on other people's plans, records of
speaking for someone) with what they did there.
"""

from __future__ import annotations

import datetime as dt
import uuid

from portal.accounts import repository as accounts
from portal.consent import access_log
from portal.core.actor import Actor
from portal.core.values import as_uuid, aware
from portal.exports.subject_access import queries
from portal.exports.subject_access.records import (
    AccountFile,
    ActivityRecord,
    HeldGrant,
    HeldRepresentation,
    NotificationsFile,
    Organisation,
    PersonRecord,
    SharedWithMeFile,
    StaffRoleRecord,
)
from portal.exports.subject_access.values import (
    authority_words,
    grant_status,
    grouped,
    keys_of,
    maybe_uuid,
    role_words,
)
from portal.notifications import repository as notifications


async def account(actor: Actor, plan_ids: list[uuid.UUID]) -> AccountFile:
    user = await accounts.account_export(actor.user_id)
    links = await accounts.linked_identities(actor.user_id)
    methods = (["password"] if user.has_password else []) + sorted(
        {f"openid:{link.provider}" for link in links}
    )
    return AccountFile(
        user_id=user.user_id,
        email=user.email,
        active=user.is_active,
        created_at=user.created_at,
        last_sign_in_at=user.last_sign_in_at,
        person=PersonRecord(
            id=user.person_id, name=user.display_name, created_at=user.person_created_at
        ),
        sign_in_methods=methods,
        openid_links=links,
        sign_in_sessions=await accounts.session_times(actor.user_id),
        staff_roles=[
            StaffRoleRecord(
                organisation=Organisation(id=role.organisation_id, name=role.organisation_name),
                role=role.role,
                role_words=role_words(role.role),
                spending_limit_pence=role.spending_limit_pence,
                granted_at=role.granted_at,
                ended_at=role.ended_at,
            )
            for role in await accounts.role_history(actor.user_id)
        ],
        plan_ids=plan_ids,
    )


async def notifications_file(actor: Actor) -> NotificationsFile:
    return NotificationsFile(notifications=await notifications.all_of(actor.user_id))


async def shared_with_me(actor: Actor, now: dt.datetime) -> SharedWithMeFile:
    """Grants and representations others gave the actor, and their own steps on those plans:
    ids, sections, access and times only. Nothing of the plans' content, titles, owners or
    the purposes their people wrote is selected."""
    grant_rows = await queries.grants_held(actor.user_id, actor.person_id)
    grants = []
    for rows in grouped(grant_rows, "grant_id", "made_at"):
        current = next((row for row in rows if row["current"]), rows[-1])
        grants.append(
            HeldGrant(
                grant_id=as_uuid(current["grant_id"]),
                plan_id=as_uuid(current["plan"]),
                sections=keys_of(current["sections"]),
                access=current["access"],
                status=grant_status(current, now),
                expires_at=aware(current["expires_at"]),
                first_given_at=aware(rows[0]["made_at"]),
                last_changed_at=aware(rows[-1]["made_at"]),
                invitation_id=maybe_uuid(rows[0]["invitation"]),
            )
        )
    grants.sort(key=lambda grant: (grant.first_given_at, str(grant.grant_id)))

    rep_rows = await queries.representations_held(actor.user_id, actor.person_id)
    plans_of = await queries.plans_of(sorted({as_uuid(row["person"]) for row in rep_rows}))
    representing = []
    for rows in grouped(rep_rows, "record_id", "made_at"):
        current = next((row for row in rows if row["current"]), rows[-1])
        representing.append(
            HeldRepresentation(
                record_id=as_uuid(current["record_id"]),
                plan_ids=sorted(plans_of[as_uuid(current["person"])]),
                authority=current["authority"],
                authority_words=authority_words(current["authority"]),
                authority_reference=current["authority_reference"],
                relationship=current["relationship"],
                sections=keys_of(current["sections"]),
                powers=keys_of(current["powers"]),
                status=current["status"],
                first_recorded_at=aware(rows[0]["made_at"]),
                last_changed_at=aware(rows[-1]["made_at"]),
            )
        )
    representing.sort(key=lambda rep: (rep.first_recorded_at, str(rep.record_id)))

    activity_rows = await queries.activity_elsewhere(actor.user_id, actor.person_id)
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
                sections=keys_of(row["sections"]),
            )
            for row in activity_rows
        ],
    )
