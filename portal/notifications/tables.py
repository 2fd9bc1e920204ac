"""What the portal tells people: a line in the portal, and an email when SMTP is configured."""

from piccolo.columns import UUID, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import UserAccount
from portal.plans.tables import Plan


class Notification(Table, tablename="notification"):
    """One thing a person was told. The message names what happened, never plan content."""

    id = UUID(primary_key=True)
    user = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict, index=True)
    plan = ForeignKey(Plan, null=True, default=None, on_delete=OnDelete.restrict)
    kind = Varchar(length=40, null=False)
    message = Varchar(length=300, null=False)
    # A path in the portal (ids only), e.g. /plans/<id>/sign-off.
    link = Varchar(length=300, null=False, default="")
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    read_at = Timestamptz(null=True, default=None)
    emailed_at = Timestamptz(null=True, default=None)
