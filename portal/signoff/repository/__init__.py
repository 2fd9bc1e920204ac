"""Every query sign-off makes, each a named function returning Structs, never rows.

The rules and the transactions are the services'; they compose these. Hand-written SQL stays
hand-written (the trays, the compare-and-set moves). Values come back the same from SQLite and
PostgreSQL (`columns`, `portal.core.values`). One module a resource:
`plan_rows` (the plan's sign-off state), `organisation_rows`, `version_rows`, `content_rows`
(outcomes, support lines, revisions, allocations), `decision_rows` (comments, the audit trail's
decisions), `request_rows` (review requests), `change_rows` (package changes), `tray_rows`.
"""
