"""Until the call sites move (the next commit), the consent services under their old import."""

from portal.consent.access import (
    PlanRef,
    facts_for,
    facts_for_plans,
    plan_access,
    plan_ref,
    plans_shared_with,
    record_refused_input,
    sections_seen_by,
)
from portal.consent.access import read_access_log as access_log
from portal.consent.access_log import EVENT_WORDS, record
from portal.consent.grants import (
    change_grant,
    give_grant,
    grant_history,
    grantee_actor,
    list_grants,
    may_manage,
    preview_as,
    read_grant,
    revoke_grant,
)
from portal.consent.invitations import (
    INVITATION_PATH,
    accept_invitation,
    invite,
    list_invitations,
    read_offer,
    withdraw_invitation,
)
from portal.consent.representatives import (
    end_representative,
    list_representatives,
    record_representative,
)

__all__ = [
    "EVENT_WORDS",
    "INVITATION_PATH",
    "PlanRef",
    "accept_invitation",
    "access_log",
    "change_grant",
    "end_representative",
    "facts_for",
    "facts_for_plans",
    "give_grant",
    "grant_history",
    "grantee_actor",
    "invite",
    "list_grants",
    "list_invitations",
    "list_representatives",
    "may_manage",
    "plan_access",
    "plan_ref",
    "plans_shared_with",
    "preview_as",
    "read_grant",
    "read_offer",
    "record",
    "record_representative",
    "record_refused_input",
    "revoke_grant",
    "sections_seen_by",
    "withdraw_invitation",
]
