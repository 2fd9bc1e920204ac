"""Two real OpenID providers (an NHS login-style one for citizens, one for staff), the app
configured to use both, and a person's web client that talks to both with real HTTP."""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import msgspec
import pytest
from joserfc import jwk

from portal.app import create_app
from portal.settings import load_settings, parse_oidc_providers
from tests.oidc_provider.provider import OpenIdProvider, start_provider

APP = "http://testserver"
NHS = "nhs-login"
STAFF = "staff"
STAFF_SECRET = secrets.token_urlsafe(32)
# What the portal asks NHS login for (identity proved with photo ID, P9) and so accepts.
VTR = ["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]


def _client(name: str, **metadata: Any) -> dict[str, Any]:
    return {
        "redirect_uris": [f"{APP}/sign-in/oidc/{name}/callback"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        **metadata,
    }


@pytest.fixture(scope="session")
def provider_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="portal-oidc-"))


@pytest.fixture(scope="session")
def citizen_key() -> jwk.RSAKey:
    """The portal's private key for private_key_jwt; the provider knows only its public half."""
    return jwk.RSAKey.generate_key(2048, parameters={"kid": "portal-citizen-1"})


@pytest.fixture(scope="session")
def nhs_provider(provider_workdir: Path, citizen_key: jwk.RSAKey) -> Iterator[OpenIdProvider]:
    provider = start_provider(
        "nhs",
        provider_workdir,
        [
            _client(
                NHS,
                client_id="portal-citizen",
                token_endpoint_auth_method="private_key_jwt",
                token_endpoint_auth_signing_alg="RS512",
                id_token_signed_response_alg="RS512",
                jwks={"keys": [citizen_key.as_dict(private=False)]},
            )
        ],
    )
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def staff_provider(provider_workdir: Path) -> Iterator[OpenIdProvider]:
    provider = start_provider(
        "staff",
        provider_workdir,
        [
            _client(
                STAFF,
                client_id="portal-staff",
                client_secret=STAFF_SECRET,
                token_endpoint_auth_method="client_secret_basic",
            )
        ],
    )
    yield provider
    provider.stop()


def providers_setting(
    nhs: OpenIdProvider, staff: OpenIdProvider, citizen_key: jwk.RSAKey
) -> list[dict[str, Any]]:
    """PORTAL_OIDC_PROVIDERS as an operator would write it."""
    return [
        {
            "name": NHS,
            "label": "Sign in with NHS login",
            "issuer": nhs.issuer,
            "client_id": "portal-citizen",
            "client_auth": "private_key_jwt",
            "private_key": citizen_key.as_dict(private=True),
            "client_assertion_alg": "RS512",
            "scopes": ["openid", "profile", "email"],
            "vtr": VTR,
            "emails_verified": True,
        },
        {
            "name": STAFF,
            "label": "Sign in with your work account",
            "issuer": staff.issuer,
            "client_id": "portal-staff",
            "client_auth": "client_secret_basic",
            "client_secret": STAFF_SECRET,
        },
    ]


@pytest.fixture(scope="session")
def oidc_app(app, nhs_provider, staff_provider, citizen_key):  # type: ignore[no-untyped-def]
    """The portal with both providers configured; the database is the `app` fixture's."""
    setting = json.dumps(providers_setting(nhs_provider, staff_provider, citizen_key))
    settings = msgspec.structs.replace(
        load_settings(), oidc_providers=parse_oidc_providers(setting)
    )
    return create_app(settings)


def web_client(oidc_app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """Like a browser: one cookie jar; the portal in this process, the providers over HTTP."""
    return httpx.AsyncClient(
        base_url=APP, mounts={APP: httpx.ASGITransport(app=oidc_app)}, timeout=15
    )


@pytest.fixture
async def web(oidc_app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with web_client(oidc_app) as client:
        yield client


class _Form(HTMLParser):
    """The first form on a page: where it posts and its named fields; and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.links: list[str] = []
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
            self._in_form = True
        elif tag in ("input", "button") and self._in_form and attributes.get("name"):
            if tag == "input" or "value" in attributes:
                self.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


async def through_provider(
    web: httpx.AsyncClient, url: str, login: str, *, cancel: bool = False
) -> str:
    """Follow the provider's pages as a person would: log in, agree, and return the address
    the provider sends the browser back to (not yet followed)."""
    for _ in range(20):
        if url.startswith(f"{APP}/"):
            return url
        page = await web.get(url)
        if page.is_redirect:
            url = urljoin(url, page.headers["location"])
            continue
        assert page.status_code == 200, page.text
        form = _Form()
        form.feed(page.text)
        if cancel:
            abort = next(link for link in form.links if link.endswith("/abort"))
            url = urljoin(url, abort)
            continue
        assert form.action, page.text
        fields = dict(form.fields)
        if fields.get("prompt") == "login":
            fields.update(login=login, password="any password will do")
        answer = await web.post(urljoin(url, form.action), data=fields)
        assert answer.is_redirect, answer.text
        url = urljoin(url, answer.headers["location"])
    raise AssertionError("the provider never sent the browser back")


async def start_sign_in(web: httpx.AsyncClient, provider: str, next_path: str | None = None) -> str:
    """Press the provider's button on our sign-in page; the provider's address comes back."""
    query = {"next": next_path} if next_path else None
    started = await web.get(f"/sign-in/oidc/{provider}", params=query)
    assert started.status_code == 303, started.text
    leave: str = started.headers["location"]
    assert leave.startswith("http://127.0.0.1:"), f"not sent to the provider but to {leave}"
    return leave


async def sign_in_at_provider(
    web: httpx.AsyncClient, provider: str, login: str, next_path: str | None = None
) -> str:
    """Start signing in with `provider`, log in there as `login`; our callback's address."""
    return await through_provider(web, await start_sign_in(web, provider, next_path), login)
