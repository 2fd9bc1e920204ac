"""Sign-in is limited per account and per address, so passwords cannot be guessed at speed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import msgspec

from portal.accounts.service import _failure_subjects, create_user
from portal.accounts.tables import SignInFailure
from portal.app import create_app
from portal.settings import load_settings
from tests.conftest import PASSWORD, csrf_ready


@asynccontextmanager
async def client_from(app, address: str) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)),
        base_url="http://testserver",
    ) as http:
        yield await csrf_ready(http)


async def new_account(name: str = "limit") -> str:
    email = f"{name}-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, name.title())
    return email


def unique_address() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post("/api/v1/session", json={"email": email, "password": password})


async def test_an_account_is_refused_for_a_while_after_five_wrong_passwords(app) -> None:
    email = await new_account()
    async with client_from(app, unique_address()) as http:
        for _ in range(5):
            assert (await sign_in(http, email, "wrong-password-123")).status_code == 401
        refused = await sign_in(http, email, PASSWORD)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "wait" in refused.json()["detail"]
        assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
        assert "set-cookie" not in refused.headers
        # Someone else signing in from the same place is not held up.
        other = await new_account("other")
        assert (await sign_in(http, other, PASSWORD)).status_code == 201
    # Nor is the account's own holder reachable from elsewhere: the limit is on the account.
    async with client_from(app, unique_address()) as elsewhere:
        assert (await sign_in(elsewhere, email, PASSWORD)).status_code == 429


async def test_a_good_sign_in_clears_earlier_failures(app) -> None:
    email = await new_account()
    async with client_from(app, unique_address()) as http:
        for _ in range(4):
            assert (await sign_in(http, email, "wrong-password-123")).status_code == 401
        assert (await sign_in(http, email, PASSWORD)).status_code == 201
        for _ in range(5):
            assert (await sign_in(http, email, "wrong-password-123")).status_code == 401
        assert (await sign_in(http, email, "wrong-password-123")).status_code == 429


async def test_failures_older_than_the_window_do_not_count(app) -> None:
    email = await new_account()
    subject = _failure_subjects(email, None)["account"]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    await SignInFailure.insert(*[SignInFailure(subject=subject, at=long_ago) for _ in range(5)])
    async with client_from(app, unique_address()) as http:
        assert (await sign_in(http, email, PASSWORD)).status_code == 201


async def test_an_address_is_refused_after_many_failures_across_accounts(app) -> None:
    strict = create_app(msgspec.structs.replace(load_settings(), sign_in_failures_per_address=3))
    address = unique_address()
    async with client_from(strict, address) as http:
        for _ in range(3):
            unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
            assert (await sign_in(http, unknown, "wrong-password-123")).status_code == 401
        real = await new_account()
        assert (await sign_in(http, real, PASSWORD)).status_code == 429
    async with client_from(strict, unique_address()) as other_place:
        assert (await sign_in(other_place, real, PASSWORD)).status_code == 201


async def test_the_sign_in_page_says_to_wait_when_limited(app) -> None:
    email = await new_account()
    async with client_from(app, unique_address()) as http:
        for _ in range(5):
            page = await http.post("/sign-in", data={"email": email, "password": "wrong-pass-1"})
            assert page.status_code == 401
        page = await http.post("/sign-in", data={"email": email, "password": PASSWORD})
        assert page.status_code == 429
        assert "too many attempts to sign in" in page.text.lower()
        assert "Retry-After" in page.headers
        assert "set-cookie" not in page.headers or "portal_sid=" not in page.headers["set-cookie"]
