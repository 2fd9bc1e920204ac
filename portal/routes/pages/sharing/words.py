"""How the sharing pages say things: what access allows, a grant's state, sections, end dates.

The public invitation pages (portal/routes/pages/invitations.py) say an offer the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.consent.policy import ACCESS_RANK, Access
from portal.core.clock import ENGLAND
from portal.core.sections import SECTION_KEYS, SECTION_TITLES
from portal.templating import uk_date, uk_datetime

ACCESS_LABELS: dict[Access, str] = {
    Access.VIEW: "View",
    Access.COMMENT: "Comment",
    Access.EDIT: "Edit",
}
ACCESS_HINTS: dict[Access, str] = {
    Access.VIEW: "They can read the sections you choose, but not change them.",
    Access.COMMENT: "They can read the sections and add comments, but not change them.",
    Access.EDIT: "They can read, comment on and change the sections.",
}
# What a grant or an invitation lets someone do, as a sentence about them.
ACCESS_WORDS: dict[Access, str] = {
    Access.VIEW: "Read only",
    Access.COMMENT: "Read and comment",
    Access.EDIT: "Read, comment and change",
}
GRANT_TAGS: dict[str, dict[str, str]] = {
    "active": {"text": "Active", "colour": "green"},
    "expired": {"text": "Expired", "colour": "grey"},
    "revoked": {"text": "Stopped", "colour": "red"},
}
INVITATION_TAGS: dict[str, dict[str, str]] = {
    "open": {"text": "Open", "colour": "blue"},
    "accepted": {"text": "Accepted", "colour": "green"},
    "expired": {"text": "Expired", "colour": "grey"},
    "withdrawn": {"text": "Withdrawn", "colour": "grey"},
}


def status_tag(tags: dict[str, dict[str, str]], status: str) -> dict[str, str]:
    """The tag for a status; one the pages do not know yet is shown as it is, in grey."""
    return tags.get(status, {"text": status, "colour": "grey"})


def section_titles(keys: list[str]) -> list[str]:
    return [SECTION_TITLES.get(key, key) for key in keys]


def section_items(
    selected: list[str], scope: dict[str, Access] | None = None
) -> list[dict[str, Any]]:
    """The sections to choose from: those the actor may give (`scope`), or all of them."""
    return [
        {"value": key, "text": SECTION_TITLES[key], "checked": key in selected}
        for key in SECTION_KEYS
        if scope is None or key in scope
    ]


def access_items(selected: str, scope: dict[str, Access] | None = None) -> list[dict[str, Any]]:
    """The access levels to choose from: up to the highest the actor may give on any section."""
    highest = max((ACCESS_RANK[a] for a in scope.values()), default=0) if scope is not None else 3
    return [
        {
            "value": access.value,
            "text": ACCESS_LABELS[access],
            "hint": {"text": ACCESS_HINTS[access]},
            "checked": access.value == selected,
        }
        for access in Access
        if ACCESS_RANK[access] <= highest
    ]


# --- dates: a day people choose, kept as the end of that day in England ---------------------


def end_of_day(day: dt.date) -> dt.datetime:
    """Sharing "until 5 March" lasts all of 5 March in England: it ends at the next midnight."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=ENGLAND)
    return midnight.astimezone(dt.UTC)


def last_day(moment: dt.datetime) -> dt.date:
    """The day a stored end falls on, as the person chose it (see end_of_day)."""
    local = moment.astimezone(ENGLAND)
    if local.time() == dt.time(0):
        return local.date() - dt.timedelta(days=1)
    return local.date()


def until_words(moment: dt.datetime | None, open_ended: str = "Until you stop it") -> str:
    if moment is None:
        return open_ended
    local = moment.astimezone(ENGLAND)
    if local.time() == dt.time(0):
        return f"Until the end of {uk_date(last_day(moment))}"
    return f"Until {uk_datetime(moment)}"
