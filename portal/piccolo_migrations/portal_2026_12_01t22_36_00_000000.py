"""Indexes for sign-off: one row per (plan, version number), and the work trays' lookups.

Raw statements both databases run, after the tables exist.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T22:36:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for plan versions, work trays, review requests, changes, notifications"

INDEXES = (
    "CREATE UNIQUE INDEX plan_version_number ON plan_version (plan, number)",
    # A tray is the plans of one organisation in one state, oldest change first.
    "CREATE INDEX plan_tray ON plan (signing_off_organisation, state, state_changed_at, id)",
    "CREATE INDEX plan_review_due ON plan (signing_off_organisation, review_date)",
    "CREATE INDEX review_request_open ON review_request (plan, status)",
    "CREATE INDEX package_change_open ON package_change (plan, status)",
    'CREATE INDEX notification_unread ON notification ("user", read_at)',
)


class RawTable(Table):
    """Only used to run raw SQL from this migration."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_indexes() -> None:
        for statement in INDEXES:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
