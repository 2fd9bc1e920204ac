"""Indexes for sharing: one identity per provider subject, and the decision's lookups.

Raw statements both databases run, after the tables exist ("user" is quoted for PostgreSQL).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T19:32:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for identities, grants, representatives, staff roles and the access log"

INDEXES = (
    "CREATE UNIQUE INDEX external_identity_one_per_subject"
    " ON external_identity (provider, subject)",
    "CREATE INDEX plan_grant_current ON plan_grant (plan, current)",
    "CREATE INDEX representative_current ON representative (person, current)",
    "CREATE INDEX access_event_plan_at ON access_event (plan, at)",
    'CREATE INDEX staff_role_user_ended ON staff_role ("user", ended_at)',
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
