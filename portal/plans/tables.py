"""Plans, their sections with versions and revisions, and the rows a plan lists."""

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import Organisation, Person, UserAccount


class Plan(Table, tablename="plan"):
    id = UUID(primary_key=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=40, null=False)
    title = Varchar(length=200, null=False)
    state = Varchar(length=40, null=False, default="draft")
    created_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    updated_at = Timestamptz(default=TimestamptzNow(), null=False)
    # Set when the plan is submitted for sign-off: the organisation whose staff then see the
    # sections sign-off needs (the person's consent is the submission itself).
    signing_off_organisation = ForeignKey(
        Organisation, null=True, default=None, on_delete=OnDelete.restrict
    )
    # Sign-off (portal/signoff/): the version under sign-off, the agreed version that is the
    # active plan, its review date, and when the state last changed (work trays order by it).
    submitted_version = Integer(null=True, default=None)
    agreed_version = Integer(null=True, default=None)
    review_date = Date(null=True, default=None)
    state_changed_at = Timestamptz(null=True, default=None)


class PlanSection(Table, tablename="plan_section"):
    """The current content of one section; `version` rises by one with every accepted write."""

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=40, null=False)
    content = Text(null=False, default="{}")
    version = Integer(null=False, default=0)
    updated_at = Timestamptz(default=TimestamptzNow(), null=False)
    updated_by = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)

    # Unique (plan, key): a unique index made by the first migration.


class Revision(Table, tablename="revision"):
    """One accepted write to a section or a row: the whole content after it, and who and why.

    `subject` is `section:<key>`, `outcome:<uuid>`, `support:<uuid>`, `action:<uuid>` or
    `contact:<uuid>`, so one history serves everything a person can change.
    """

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.cascade, index=True)
    subject = Varchar(length=80, null=False)
    version = Integer(null=False)
    content = Text(null=False)
    changed_fields = Text(null=False, default="[]")
    deleted = Boolean(null=False, default=False)
    restored_from = Integer(null=True, default=None)
    author = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)

    # Unique (plan, subject, version): a unique index made by the first migration.


class Outcome(Table, tablename="outcome"):
    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=200, null=False)
    how = Text(null=False, default="")
    status = Varchar(length=20, null=False, default="proposed")
    status_reason = Text(null=False, default="")
    # Who agreed or declined it (staff), and when.
    decided_by_name = Varchar(length=200, null=False, default="")
    decided_at = Timestamptz(null=True, default=None)
    position = Integer(null=False, default=0)
    version = Integer(null=False, default=1)
    deleted = Boolean(null=False, default=False)
    created_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    updated_at = Timestamptz(default=TimestamptzNow(), null=False)


class SupportItem(Table, tablename="support_item"):
    """A costed item of support; money is integer pence with a frequency."""

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.cascade, index=True)
    description = Varchar(length=200, null=False)
    provider = Varchar(length=200, null=False, default="")
    # 64-bit: a year of the largest allowed weekly cost does not fit in 32 bits.
    cost_pence = BigInt(null=False)
    frequency = Varchar(length=20, null=False)
    outcome = ForeignKey(Outcome, null=True, default=None, on_delete=OnDelete.set_null)
    # Hours of support a week, in minutes, when the item is hours of care; the hours first
    # ordered stay with every later line, since a provider's tolerance counts from them.
    minutes_per_week = Integer(null=True, default=None)
    ordered_minutes_per_week = Integer(null=True, default=None)
    # A confirmed package change ends this line (kept, as removed) and starts a new one.
    replaces = UUID(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    position = Integer(null=False, default=0)
    version = Integer(null=False, default=1)
    deleted = Boolean(null=False, default=False)
    created_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    updated_at = Timestamptz(default=TimestamptzNow(), null=False)


class PlanAction(Table, tablename="plan_action"):
    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.cascade, index=True)
    what = Text(null=False)
    who = Varchar(length=200, null=False, default="")
    due_by = Date(null=True, default=None)
    outcome = ForeignKey(Outcome, null=True, default=None, on_delete=OnDelete.set_null)
    done = Boolean(null=False, default=False)
    position = Integer(null=False, default=0)
    version = Integer(null=False, default=1)
    deleted = Boolean(null=False, default=False)
    created_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    updated_at = Timestamptz(default=TimestamptzNow(), null=False)


class PlanContact(Table, tablename="plan_contact"):
    """Who to contact when: a row of the decision matrix."""

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200, null=False)
    role = Varchar(length=200, null=False, default="")
    when_to_contact = Text(null=False, default="")
    phone = Varchar(length=40, null=False, default="")
    email = Varchar(length=320, null=False, default="")
    position = Integer(null=False, default=0)
    version = Integer(null=False, default=1)
    deleted = Boolean(null=False, default=False)
    created_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    updated_at = Timestamptz(default=TimestamptzNow(), null=False)


class PlanAllocation(Table, tablename="plan_allocation"):
    """The indicative allocation set by staff of the organisation that signs the plan off.

    One row per decision, never changed: the newest row of the plan's signing-off organisation
    is the figure sign-off checks. The person's own note of what they were told stays in the
    money section; this is the organisation's figure.
    """

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.cascade, index=True)
    organisation = ForeignKey(Organisation, null=False, on_delete=OnDelete.restrict)
    # 64-bit, like costs: a year of the largest allowed weekly figure does not fit in 32 bits.
    annual_pence = BigInt(null=False)
    reason = Text(null=False, default="")
    set_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    set_by_name = Varchar(length=200, null=False, default="")
    set_at = Timestamptz(default=TimestamptzNow(), null=False)
