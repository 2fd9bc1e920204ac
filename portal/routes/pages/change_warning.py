"""What saving a change does to a plan under sign-off or agreed, said before anyone types.

What the portal does today (portal/plans/sections.py `_write_section` → portal/plans/amend.py):
- submitted or plan authorised: the plan stays where it is in sign-off, but the version under
  sign-off no longer matches the plan, so nobody can authorise it (or agree its budget): staff
  are told it changed, they can still return it, and it needs submitting again;
- agreed: the first saved change starts a new draft; the agreed version stays the active plan
  until another is agreed;
- a draft begun from an agreed plan: the agreed version stays active meanwhile.

While the first two hold, the page's script does not autosave: the person saves on purpose
(`hold_autosave`, read by frontend/src/outbox.js as the form's `data-autosave`).
"""

from __future__ import annotations

from typing import Any

from portal.plans.access import PlanRecord

UNDER_SIGN_OFF = frozenset({"submitted", "plan_authorised"})


def change_warning(record: PlanRecord, mine: bool) -> dict[str, Any] | None:
    """The warning callout for someone about to change this plan, or None when a change has
    no effect on sign-off."""
    whose = "your plan" if mine else "this plan"
    whose_title = "Your plan" if mine else "This plan"
    if record.state in UNDER_SIGN_OFF:
        waiting = (
            "authorised and is waiting for its budget to be agreed"
            if record.state == "plan_authorised"
            else "submitted for sign-off"
        )
        return {
            "heading": f"{whose_title} has been {waiting}",
            "text": (
                f"If you save a change, the version you submitted will be out of date: staff "
                f"cannot sign it off until {whose} is submitted again. It stays with staff "
                "meanwhile, and they can still return it. Nothing is saved until you press "
                "the button to save."
            ),
            "hold_autosave": True,
        }
    if record.state == "agreed":
        return {
            "heading": f"{whose_title} has been agreed",
            "text": (
                f"If you save a change, it starts a new draft of {whose}. The agreed version "
                "stays the plan in use until the new draft is submitted and agreed. Nothing is "
                "saved until you press the button to save."
            ),
            "hold_autosave": True,
        }
    if record.access.has_agreed_version:
        return {
            "heading": f"You are changing a new draft of {whose}",
            "text": (
                "The agreed version stays the plan in use until this draft is submitted and "
                "agreed. Changes you save here are not part of the agreed plan."
            ),
            "hold_autosave": False,
        }
    return None
