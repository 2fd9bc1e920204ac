"""Tables and migrations must not drift apart, on whichever database the suite runs on."""

from __future__ import annotations

import uuid

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.piccolo_app import APP_CONFIG
from portal.piccolo_conf import DB
from portal.plans.tables import PlanSection


async def test_migrations_describe_every_table_and_column(app) -> None:
    groups = await AutoMigrationManager(auto_input="n").get_alter_statements(APP_CONFIG)
    pending = [line for group in groups for line in group.statements]
    assert pending == [], f"tables changed without a migration: {pending}"


async def test_the_migrated_database_has_every_column_of_every_table(app) -> None:
    for table in APP_CONFIG.table_classes:
        name = table._meta.tablename
        if isinstance(DB, PostgresEngine):
            rows = await table.raw(
                "SELECT column_name AS name FROM information_schema.columns WHERE table_name = {}",
                name,
            )
        else:
            rows = await table.raw(f"PRAGMA table_info({name})")
        in_database = {row["name"] for row in rows}
        in_code = {column._meta.db_column_name for column in table._meta.columns}
        assert in_code == in_database, name


async def test_a_plan_cannot_hold_two_sections_with_one_key(owner) -> None:
    plan = (await owner.client.post("/api/v1/plans", json={"kind": "care_and_support"})).json()
    with pytest.raises(Exception) as raised:
        await PlanSection.insert(
            PlanSection(id=uuid.uuid4(), plan=uuid.UUID(plan["id"]), key="about_me", content="{}")
        )
    assert "unique" in str(raised.value).lower()
    count = await PlanSection.count().where(
        (PlanSection.plan == uuid.UUID(plan["id"])) & (PlanSection.key == "about_me")
    )
    assert count == 1
