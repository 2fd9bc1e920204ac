"""Composite uniqueness as unique indexes.

SQLite cannot ALTER TABLE ... ADD CONSTRAINT, and a unique index means the same on both
databases, so these are raw statements both engines run.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-22T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique section per key and revision per version"

UNIQUE_INDEXES = (
    "CREATE UNIQUE INDEX plan_section_one_per_key ON plan_section (plan, key)",
    "CREATE UNIQUE INDEX revision_one_per_version ON revision (plan, subject, version)",
    "CREATE INDEX revision_plan_subject ON revision (plan, subject, created_at)",
)


class RawTable(Table):
    """Only used to run raw SQL from this migration."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_indexes() -> None:
        for statement in UNIQUE_INDEXES:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
