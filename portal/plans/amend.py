"""A change to an agreed plan starts a new draft: the agreed version stays the active plan.

Called by `portal.plans.versions.commit` inside every accepted write's transaction, so the plan's
state and its audit entry are saved with the write or not at all.
"""

from __future__ import annotations

import datetime as dt
import uuid

from portal.audit.trail import AuditDraft, append
from portal.core.actor import Actor
from portal.plans import repository
from portal.plans.workflow import State, Transition, next_state


async def after_change(actor: Actor, plan_id: uuid.UUID, now: dt.datetime) -> None:
    """Mark the plan changed; the first change to an agreed plan makes its working copy a draft."""
    target = next_state(State.AGREED, Transition.AMEND)
    await repository.touch_plan(plan_id, now)
    moved, agreed = await repository.move_state(plan_id, State.AGREED.value, target.value, now)
    if moved:
        await append(
            AuditDraft(
                action=Transition.AMEND.value,
                actor_user=actor.user_id,
                actor_name=actor.display_name,
                plan=plan_id,
                version_number=agreed,
                from_state=State.AGREED.value,
                to_state=target.value,
                reason="A change to the agreed plan started a new draft",
            ),
            now,
        )
