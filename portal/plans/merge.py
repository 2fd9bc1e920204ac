"""Three-way merge of field dictionaries: what makes a stale write safe.

A write names the version it was based on. Fields the writer changed from that base are
applied on top of the current content; a field changed both by the writer and by someone
else since (to different values) is a true conflict, and nothing is written.
"""

from __future__ import annotations

from typing import Any

import msgspec


class MergeResult(msgspec.Struct, frozen=True):
    merged: dict[str, Any]
    changed: list[str]
    conflicts: list[str]


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in after if before.get(name) != after.get(name)]


def three_way_merge(
    base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> MergeResult:
    """Apply my changes (relative to base) to theirs, or say which fields truly conflict."""
    mine_changed = {name for name in mine if base.get(name) != mine[name]}
    theirs_changed = {name for name in theirs if base.get(name) != theirs.get(name)}
    conflicts = sorted(
        name for name in mine_changed & theirs_changed if mine[name] != theirs.get(name)
    )
    if conflicts:
        return MergeResult(merged=dict(theirs), changed=[], conflicts=conflicts)
    merged = dict(theirs)
    for name in mine_changed:
        merged[name] = mine[name]
    return MergeResult(merged=merged, changed=changed_fields(theirs, merged), conflicts=[])
