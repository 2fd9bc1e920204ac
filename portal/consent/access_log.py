"""The log of who has looked at a plan: what each event says to the person, and writing one.

Reading the log back is `access.read_access_log`, behind the access decision like every read.
"""

from __future__ import annotations

from collections.abc import Iterable

from portal.consent.policy import PlanAccessFacts, is_owner
from portal.consent.repository import access_log as log_repository
from portal.core import clock
from portal.core.actor import Actor

EVENT_WORDS = {
    "read": "Read",
    "edit": "Changed",
    "refused": "Tried to open, but it is not shared with them",
    "export": "Downloaded or printed",
    "grant_given": "Shared",
    "grant_changed": "Changed what is shared",
    "grant_revoked": "Stopped sharing",
    "invitation_sent": "Invited someone to help",
    "invitation_accepted": "Accepted an invitation",
    "invitation_withdrawn": "Withdrew an invitation",
    "representative_recorded": "Recorded someone who speaks for the person",
    "representative_ended": "Ended a record of someone who speaks for the person",
    "submitted": "Submitted the plan for sign-off, sharing these sections with the organisation",
    "grant_refused": "Tried to share more than they may, and was stopped: nothing changed",
    "invitation_refused": "Tried to invite someone to more than they may, and was stopped",
    "acceptance_refused": "Tried to accept an invitation its sender may no longer give",
    "representative_refused": "Tried to change who speaks for the person without the "
    "authority to, and was stopped",
    "consent_withdrawn": "Withdrew consent to share the plan for sign-off: the organisation no "
    "longer sees these sections",
    "review_requested": "Asked for a review of the plan",
    "comment": "Commented on",
    "comment_refused": "Tried to comment, but may only read",
    "input_refused": "Sent a change the portal could not use, and was stopped: nothing changed",
}


async def record(
    actor: Actor | None,
    facts: PlanAccessFacts,
    event: str,
    sections: Iterable[str] = (),
    subject: str = "",
    *,
    always: bool = False,
) -> None:
    """Write one line of "who has looked at my plan"; the person's own reads are not listed."""
    if not always and is_owner(actor, facts):
        return
    await log_repository.add_access_event(
        log_repository.AccessEventValues(
            plan_id=facts.plan_id,
            actor_user_id=actor.user_id if actor else None,
            actor_name=(actor.display_name if actor else "")[:200],
            event=event,
            sections=list(sections),
            subject=subject[:80],
            at=clock.now(),
        )
    )
