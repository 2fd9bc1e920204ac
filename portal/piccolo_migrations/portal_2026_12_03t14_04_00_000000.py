"""Package changes answer to the budget: who confirmed a version made by a change, the budget
it was agreed within, and the package figures and provider organisation of each change.

Only new nullable (or defaulted) columns, which SQLite and PostgreSQL both add in place.
"""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import Column
from piccolo.columns.column_types import UUID, BigInt, Boolean, Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T14:04:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "package changes: confirmer and budget on versions; package figures on changes"

# (table class, table, column, column class, the column's own params)
COLUMNS: tuple[tuple[str, str, str, type[Column], dict[str, Any]], ...] = (
    ("PlanVersion", "plan_version", "package_change", UUID, {"default": None, "null": True}),
    ("PlanVersion", "plan_version", "confirmed_by", UUID, {"default": None, "null": True}),
    (
        "PlanVersion",
        "plan_version",
        "confirmed_by_name",
        Varchar,
        {"length": 200, "default": "", "null": False},
    ),
    (
        "PlanVersion",
        "plan_version",
        "change_proposed_by",
        Varchar,
        {"length": 400, "default": "", "null": False},
    ),
    (
        "PlanVersion",
        "plan_version",
        "budget_from_version",
        Integer,
        {"default": None, "null": True},
    ),
    (
        "PackageChange",
        "package_change",
        "proposer_organisation",
        UUID,
        {"default": None, "null": True},
    ),
    (
        "PackageChange",
        "package_change",
        "package_weekly_before_pence",
        BigInt,
        {"default": None, "null": True},
    ),
    (
        "PackageChange",
        "package_change",
        "package_weekly_after_pence",
        BigInt,
        {"default": None, "null": True},
    ),
    (
        "PackageChange",
        "package_change",
        "package_ordered_minutes",
        Integer,
        {"default": None, "null": True},
    ),
    (
        "PackageChange",
        "package_change",
        "package_minutes_after",
        Integer,
        {"default": None, "null": True},
    ),
    ("PackageChange", "package_change", "version_number", Integer, {"default": None, "null": True}),
    (
        "PackageChange",
        "package_change",
        "budget_authorisation",
        Boolean,
        {"default": False, "null": False},
    ),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)
    for class_name, tablename, column, column_class, own in COLUMNS:
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={
                **own,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
