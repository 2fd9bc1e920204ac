"""The audit trail's one table: entries chained by hash, written only by `portal.audit.trail`."""

from piccolo.columns import UUID, BigInt, Integer, Text, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    """One decision or refused attempt, chained: each entry's hash covers the one before.

    Columns are plain values, not foreign keys, so an entry says everything by itself and the
    chain can be checked from this table alone. `at` is the exact text that was hashed.
    """

    id = UUID(primary_key=True)
    seq = BigInt(null=False, unique=True)
    at = Varchar(length=40, null=False)
    actor_user = UUID(null=True, default=None)
    actor_name = Varchar(length=200, null=False, default="")
    role = Varchar(length=40, null=False, default="")
    organisation = UUID(null=True, default=None)
    plan = UUID(null=True, default=None, index=True)
    version_number = Integer(null=True, default=None)
    action = Varchar(length=40, null=False)
    outcome = Varchar(length=20, null=False, default="done")
    from_state = Varchar(length=40, null=False, default="")
    to_state = Varchar(length=40, null=False, default="")
    reason = Text(null=False, default="")
    version_hash = Varchar(length=64, null=False, default="")
    details = Text(null=False, default="{}")
    prev_hash = Varchar(length=64, null=False)
    entry_hash = Varchar(length=64, null=False)
