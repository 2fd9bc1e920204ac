"""The people in the sharing page tests: one of each for every test module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Persona, make_persona


@pytest.fixture(scope="module")
async def owner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "owner")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def planner(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "planner")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def gp(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "gp")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def carer(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "carer")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def stranger(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "stranger")
    yield persona
    await persona.client.aclose()
