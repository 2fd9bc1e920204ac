"""The portal's single Piccolo app: every domain's tables and one linear migration history."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=table_finder(
        modules=[
            "portal.accounts.tables",
            "portal.plans.tables",
            "portal.consent.tables",
            "portal.signoff.tables",
            "portal.audit.tables",
            "portal.notifications.tables",
        ],
        exclude_imported=True,
    ),
    migration_dependencies=[],
    commands=[],
)
