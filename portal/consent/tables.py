"""Grants, invitations, representatives and the access log: stored with who, when and why.

Nothing here is ever deleted. A grant that is changed or revoked gets a new row (the old one
stops being `current`), so the whole history of who was allowed what stays readable.
"""

from piccolo.columns import (
    UUID,
    Boolean,
    ForeignKey,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import Organisation, Person, UserAccount
from portal.plans.tables import Plan


class PlanGrant(Table, tablename="plan_grant"):
    """One version of a grant: a user or an organisation may view, comment on or edit sections.

    `grant_id` names the grant across its versions; `status` is `active` or `revoked`.
    """

    id = UUID(primary_key=True)
    grant_id = UUID(null=False, index=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.restrict, index=True)
    grantee_user = ForeignKey(
        UserAccount, null=True, default=None, on_delete=OnDelete.restrict, index=True
    )
    grantee_organisation = ForeignKey(
        Organisation, null=True, default=None, on_delete=OnDelete.restrict, index=True
    )
    sections = Text(null=False, default="[]")
    access = Varchar(length=20, null=False)
    purpose = Text(null=False, default="")
    expires_at = Timestamptz(null=True, default=None)
    status = Varchar(length=20, null=False, default="active")
    current = Boolean(null=False, default=True)
    reason = Text(null=False, default="")
    made_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    made_at = Timestamptz(default=TimestamptzNow(), null=False)
    # The invitation this grant came from, if any.
    invitation = UUID(null=True, default=None)


class Invitation(Table, tablename="invitation"):
    """An offer of a grant, accepted once by whoever holds the link (or the named email)."""

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.restrict, index=True)
    token_hash = Varchar(length=64, unique=True, null=False, index=True)
    email = Varchar(length=320, null=True, default=None)
    sections = Text(null=False, default="[]")
    access = Varchar(length=20, null=False)
    purpose = Text(null=False, default="")
    grant_expires_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=False)
    made_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    made_at = Timestamptz(default=TimestamptzNow(), null=False)
    accepted_by = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    accepted_at = Timestamptz(null=True, default=None)
    withdrawn_by = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    withdrawn_at = Timestamptz(null=True, default=None)


class Representative(Table, tablename="representative"):
    """One version of a representative's record: the authority they hold and its scope.

    `record_id` names the record across its versions; ending it is a new `ended` version.
    """

    id = UUID(primary_key=True)
    record_id = UUID(null=False, index=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict, index=True)
    authority = Varchar(length=40, null=False)
    # Reference of the registered LPA or court order, as the person or staff recorded it.
    authority_reference = Varchar(length=200, null=False, default="")
    relationship = Varchar(length=200, null=False, default="")
    sections = Text(null=False, default="[]")
    powers = Text(null=False, default="[]")
    how_decisions_are_reached = Text(null=False, default="")
    status = Varchar(length=20, null=False, default="active")
    current = Boolean(null=False, default=True)
    reason = Text(null=False, default="")
    made_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    made_at = Timestamptz(default=TimestamptzNow(), null=False)


class AccessEvent(Table, tablename="access_event"):
    """One line of "who has looked at my plan": a read, a change, an export or a consent change."""

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.restrict, index=True)
    actor_user = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    actor_name = Varchar(length=200, null=False, default="")
    event = Varchar(length=40, null=False)
    sections = Text(null=False, default="[]")
    # Ids only (a grant, an invitation), never plan content.
    subject = Varchar(length=80, null=False, default="")
    at = Timestamptz(default=TimestamptzNow(), null=False, index=True)
