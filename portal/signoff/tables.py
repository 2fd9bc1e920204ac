"""Sign-off: each submitted version of a plan and the comments it came back with.

Nothing here is changed through the app once written, except a version's status as it moves
through sign-off; an agreed version's content and hash never change.
"""

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

from portal.accounts.tables import Organisation, UserAccount
from portal.plans.tables import Plan, SupportItem


class PlanVersion(Table, tablename="plan_version"):
    """One submission of a plan: the whole content as it was sent, and how sign-off went.

    `status`: `submitted`, `plan_authorised`, `agreed`, `returned`, `withdrawn` (submitted
    again with changes) or `superseded` (a later version was agreed).
    """

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.restrict, index=True)
    number = Integer(null=False)
    status = Varchar(length=20, null=False)
    organisation = ForeignKey(Organisation, null=False, on_delete=OnDelete.restrict)
    # The plan's content as submitted (canonical JSON) and its SHA-256: what was signed off.
    content = Text(null=False)
    content_hash = Varchar(length=64, null=False)
    # The sections the person consented to share with the organisation by submitting.
    shared_sections = Text(null=False, default="[]")
    annual_cost_pence = BigInt(null=False, default=0)
    allocation_annual_pence = BigInt(null=True, default=None)
    submitted_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    submitted_at = Timestamptz(default=TimestamptzNow(), null=False)
    plan_authorised_by = ForeignKey(
        UserAccount, null=True, default=None, on_delete=OnDelete.restrict
    )
    plan_authorised_at = Timestamptz(null=True, default=None)
    agreed_by = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    agreed_at = Timestamptz(null=True, default=None)
    budget_variation_reason = Text(null=False, default="")
    review_date = Date(null=True, default=None)
    returned_by = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    returned_at = Timestamptz(null=True, default=None)
    # A version made by a confirmed package change: who confirmed it and whose change it was
    # (their names as they were then), instead of the person "submitting" it.
    package_change = UUID(null=True, default=None)
    confirmed_by = UUID(null=True, default=None)
    confirmed_by_name = Varchar(length=200, null=False, default="")
    change_proposed_by = Varchar(length=400, null=False, default="")
    # Agreed directly by a change within the agreed budget: the version whose budget
    # authorisation covers this one (its annual cost is the agreed budget). Null for a version
    # whose own budget was authorised.
    budget_from_version = Integer(null=True, default=None)
    # Unique (plan, number): a unique index made by a raw migration.


class PlanComment(Table, tablename="plan_comment"):
    """A comment on one section, such as why a plan was returned; shown where it applies."""

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.restrict, index=True)
    version_number = Integer(null=True, default=None)
    section_key = Varchar(length=40, null=False)
    body = Text(null=False)
    kind = Varchar(length=20, null=False, default="returned")
    author = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    author_name = Varchar(length=200, null=False, default="")
    author_role = Varchar(length=40, null=False, default="")
    created_at = Timestamptz(default=TimestamptzNow(), null=False)


class ReviewRequest(Table, tablename="review_request"):
    """Someone asks for the plan to be reviewed; staff start the review (or decline it)."""

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.restrict, index=True)
    requested_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    requester_name = Varchar(length=200, null=False, default="")
    # person, representative, co-author, provider, or the staff role held.
    requester_role = Varchar(length=40, null=False, default="")
    reason = Text(null=False, default="")
    # Asked before the scheduled review date (a reason was then required).
    early = Boolean(null=False, default=False)
    requested_at = Timestamptz(default=TimestamptzNow(), null=False)
    # open, started or declined.
    status = Varchar(length=20, null=False, default="open")
    decided_by = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(null=False, default="")
    # The package change this request came from, when one was turned into a review.
    package_change = UUID(null=True, default=None)


class PackageChange(Table, tablename="package_change"):
    """A provider's proposed change to one support line: hours and weekly cost before and after.

    `route` is where the tolerance rule sent it: `coordinator` (within tolerance) or
    `team_manager`. `status`: open, confirmed, declined or review (turned into a full review).
    """

    id = UUID(primary_key=True)
    plan = ForeignKey(Plan, null=False, on_delete=OnDelete.restrict, index=True)
    support_item = ForeignKey(SupportItem, null=False, on_delete=OnDelete.restrict)
    proposed_by = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict)
    proposer_name = Varchar(length=200, null=False, default="")
    minutes_before = Integer(null=False)
    minutes_after = Integer(null=False)
    ordered_minutes = Integer(null=False)
    weekly_cost_before_pence = BigInt(null=False)
    weekly_cost_after_pence = BigInt(null=False)
    reason = Text(null=False, default="")
    route = Varchar(length=20, null=False)
    route_reason = Text(null=False, default="")
    status = Varchar(length=20, null=False, default="open")
    proposed_at = Timestamptz(default=TimestamptzNow(), null=False)
    decided_by = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(null=False, default="")
    # The new support line a confirmed change started.
    new_support_item = UUID(null=True, default=None)
    # The provider organisation whose line it is, named by the line and held by the proposer
    # (null when the person, or someone who speaks for them, proposed it).
    proposer_organisation = UUID(null=True, default=None)
    # The tolerance rule is applied to the package as a whole (seed 002): the weekly cost of
    # every recurring line, and the hours of every line with hours, before and after.
    package_weekly_before_pence = BigInt(null=True, default=None)
    package_weekly_after_pence = BigInt(null=True, default=None)
    package_ordered_minutes = Integer(null=True, default=None)
    package_minutes_after = Integer(null=True, default=None)
    # The version a confirmed change made, and whether it went to budget authorisation
    # (above the agreed budget, or taking the cost above the allocation) instead of being agreed.
    version_number = Integer(null=True, default=None)
    budget_authorisation = Boolean(null=False, default=False)
