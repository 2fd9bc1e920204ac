"""Signing in with an OpenID provider in a real Chromium, against a real `portal serve`.

On 127.0.0.1 the browser keeps one cookie jar for every port, so the provider's cookies
(`_session`, `_interaction`, ...) and ours (`portal_sid`, `portal_oidc_state`) share it: this
is where a clash of names, or a state cookie that SameSite keeps back, would show. The
sign-in page with its provider buttons, and a refusal page, are checked with axe-core.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwk

from tests.browser.conftest import PHONE, assert_accessible
from tests.conftest import free_port
from tests.oidc_provider.provider import OpenIdProvider, start_provider

pytestmark = pytest.mark.browser

NHS = "nhs-login"


@pytest.fixture(scope="module")
def oidc_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, OpenIdProvider]]:
    """A provider, and `portal serve` configured to sign in with it (as an operator would)."""
    workdir: Path = tmp_path_factory.mktemp("oidc-browser")
    port = free_port()
    portal = f"http://127.0.0.1:{port}"
    key = jwk.RSAKey.generate_key(2048, parameters={"kid": "portal-browser-1"})
    provider = start_provider(
        "nhs-browser",
        workdir,
        [
            {
                "client_id": "portal-citizen",
                "redirect_uris": [f"{portal}/sign-in/oidc/{NHS}/callback"],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "private_key_jwt",
                "token_endpoint_auth_signing_alg": "RS512",
                "jwks": {"keys": [key.as_dict(private=False)]},
            }
        ],
    )
    key_file = workdir / "nhs-login.jwk"
    key_file.write_text(json.dumps(key.as_dict(private=True)))
    setting = [
        {
            "name": NHS,
            "label": "Sign in with NHS login",
            "issuer": provider.issuer,
            "client_id": "portal-citizen",
            "client_auth": "private_key_jwt",
            "private_key_file": str(key_file),
            "client_assertion_alg": "RS512",
            "vtr": ["P9.Cp.Cd"],
            "emails_verified": True,
        }
    ]
    env = {**os.environ, "PORTAL_OIDC_PROVIDERS": json.dumps(setting)}
    log_path = workdir / "portal.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "portal.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"portal serve did not start:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{portal}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield portal, provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        provider.stop()


async def _new_page(browser: Any) -> tuple[Any, Any]:
    context = await browser.new_context(bypass_csp=True, **PHONE)
    context.set_default_timeout(15_000)
    # The provider's development login page asks for a web font; nothing here may go online.
    await context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    return context, await context.new_page()


async def _log_in_at_provider(page: Any, login: str) -> None:
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", "any password will do")
    await page.click("button[type=submit]")
    await page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    await page.click("button[type=submit]")


async def test_a_person_signs_in_with_nhs_login_in_chromium(browser, oidc_portal) -> None:  # type: ignore[no-untyped-def]
    portal, provider = oidc_portal
    login = f"browser-{uuid.uuid4().hex[:10]}"
    provider.add_account(
        login,
        given_name="Ada",
        family_name="Okafor",
        email=f"{login}@example.org",
        email_verified=True,
        vot="P9.Cp.Cd",
    )
    context, page = await _new_page(browser)
    try:
        await page.goto(f"{portal}/sign-in")
        await assert_accessible(page, "sign-in page with a provider")
        await page.get_by_role("button", name="Sign in with NHS login").click()
        await page.wait_for_url(f"{provider.issuer}/interaction/**")
        await _log_in_at_provider(page, login)
        await page.wait_for_url(f"{portal}/plans")
        assert "Ada Okafor" in await page.content()
        me = await page.request.get(f"{portal}/api/v1/session")
        assert me.status == 200 and (await me.json())["display_name"] == "Ada Okafor"
        names = {cookie["name"] for cookie in await context.cookies(portal)}
        # One jar: the provider's session cookie is here too, beside ours, and no clash.
        assert {"portal_sid", "_session"} <= names
        assert "portal_oidc_state" not in names
    finally:
        await context.close()


async def test_a_refusal_is_an_accessible_page_with_a_way_back(browser, oidc_portal) -> None:  # type: ignore[no-untyped-def]
    portal, provider = oidc_portal
    login = f"browser-{uuid.uuid4().hex[:10]}"
    provider.add_account(login, name="Bo Low", email=f"{login}@example.org", vot="P5.Cp.Cd")
    context, page = await _new_page(browser)
    try:
        await page.goto(f"{portal}/sign-in")
        await page.get_by_role("button", name="Sign in with NHS login").click()
        await page.wait_for_url(f"{provider.issuer}/interaction/**")
        await _log_in_at_provider(page, login)
        await page.wait_for_url(f"{portal}/sign-in/oidc/{NHS}/callback**")
        assert await page.get_by_role("heading", level=1).inner_text() == (
            "We need to be sure who you are"
        )
        await assert_accessible(page, "sign-in refused")
        assert "portal_sid" not in {cookie["name"] for cookie in await context.cookies(portal)}
        await page.get_by_role("link", name="Sign in again").click()
        await page.wait_for_url(f"{portal}/sign-in")
    finally:
        await context.close()
