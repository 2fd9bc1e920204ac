"""People for the export tests, made once per module (signing in hashes a password: slow)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.conftest import Persona, make_persona
from tests.factories import give_role, make_organisation

HIGH_LIMIT = 5_000_000


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    made = {
        name: await make_persona(app, name)
        for name in ("person", "planner", "authoriser", "budget", "stranger")
    }
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", HIGH_LIMIT)
    yield made
    for persona in made.values():
        await persona.client.aclose()
