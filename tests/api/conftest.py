"""Personas that live for a whole test module: signing in hashes a password, which is slow.

Tests in a module share the people, never the plans: each test starts its own plan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Persona, make_persona


@pytest.fixture(scope="module")
async def author(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    """The plan's own person, signed in once for the module."""
    persona = await make_persona(app, "author")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def outsider(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    """Another signed-in person with no connection to the author's plans."""
    persona = await make_persona(app, "outsider")
    yield persona
    await persona.client.aclose()
