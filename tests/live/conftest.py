"""Two real app instances on the test database and one Redis, for the live-update tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import PASSWORD, csrf_ready, serving

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def instances(app) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Two app instances sharing the test database and one Redis, as behind one address.
    (`app` opens this process's own database pool, which the tests' set-up writes through.)"""
    env = {"PORTAL_REDIS_URL": REDIS_URL}
    with serving(env) as first, serving(env) as second:
        yield first, second


async def account(name: str) -> str:
    from portal.accounts.service import create_user

    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, name)
    return email


async def signed_in(base_url: str, email: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=base_url, timeout=30)
    await csrf_ready(http)
    response = await http.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return http
