"""Signing in through OpenID Connect, against a real provider (npm oidc-provider) over HTTP.

Each test is a person in their own browser-like client: they press the provider's button on
our sign-in page, log in and agree at the provider's own pages, and come back to our
callback. What they notice is the page they land on and who `GET /api/v1/session` says they
are. The bad cases are made the way they would happen: a changed address, a link opened in
another browser, an old or reused link, or a token changed on its way from the provider.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import msgspec
import pytest
from joserfc import jwk

from portal.accounts.oidc_service import state_hash
from portal.accounts.service import create_user
from portal.accounts.tables import ExternalIdentity, OidcLogin, SignInSession, UserAccount
from portal.app import create_app
from portal.routes.pages.oidc import STATE_COOKIE
from portal.settings import load_settings, parse_oidc_providers
from tests.accounts.conftest import (
    APP,
    NHS,
    STAFF,
    VTR,
    sign_in_at_provider,
    start_sign_in,
    through_provider,
    web_client,
)
from tests.conftest import PASSWORD, free_port


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def citizen(nhs_provider, **overrides: Any) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A person with NHS login proved to P9; their login at the provider and their email."""
    login = unique("citizen")
    email = f"{login}@example.org"
    claims = {
        "given_name": "Nia",
        "family_name": "Roberts",
        "email": email,
        "email_verified": True,
        "vot": "P9.Cp.Cd",
        **overrides,
    }
    nhs_provider.add_account(login, **claims)
    return login, email


async def who(web: httpx.AsyncClient) -> dict[str, Any] | None:
    me = await web.get("/api/v1/session")
    if me.status_code == 401:
        return None
    assert me.status_code == 200, me.text
    found: dict[str, Any] = me.json()
    return found


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def sets_session(response: httpx.Response) -> bool:
    return any(
        cookie.startswith("portal_sid=")
        and not cookie.startswith("portal_sid=;")
        and 'portal_sid=""' not in cookie
        for cookie in response.headers.get_list("set-cookie")
    )


async def local_sign_in(web: httpx.AsyncClient, email: str) -> httpx.Response:
    """Sign in with a password through the API, in the same browser (CSRF token and all)."""
    token = (await web.get("/api/v1/session/csrf")).json()["csrf_token"]
    return await web.post(
        "/api/v1/session",
        json={"email": email, "password": PASSWORD},
        headers={"X-CSRF-Token": token},
    )


async def session_count() -> int:
    return await SignInSession.count()


async def assert_refused(
    web: httpx.AsyncClient, callback: str, status: int, reference: str
) -> httpx.Response:
    before = await session_count()
    page = await web.get(callback)
    assert page.status_code == status, page.text
    assert "text/html" in page.headers["content-type"]
    assert f"<code>{reference}</code>" in page.text
    assert 'href="/sign-in"' in page.text and "Sign in again" in page.text
    assert "Traceback" not in page.text
    assert not sets_session(page)
    assert await who(web) is None
    assert await session_count() == before
    return page


# -- signing in ---------------------------------------------------------------------------


async def test_a_citizen_signs_in_with_nhs_login_and_has_a_session(web, nhs_provider) -> None:
    login, email = citizen(nhs_provider)
    leave = await start_sign_in(web, NHS)
    # The code flow with PKCE S256, state, nonce and the vectors of trust NHS login needs.
    assert leave.startswith(f"{nhs_provider.issuer}/auth?")
    asked = parse_qs(urlsplit(leave).query)
    assert asked["response_type"] == ["code"]
    assert asked["client_id"] == ["portal-citizen"]
    assert asked["redirect_uri"] == [f"{APP}/sign-in/oidc/{NHS}/callback"]
    assert asked["code_challenge_method"] == ["S256"]
    assert len(asked["code_challenge"][0]) == 43
    assert len(asked["state"][0]) >= 43 and len(asked["nonce"][0]) >= 43
    assert asked["vtr"] == ['["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]']
    assert set(asked["scope"][0].split()) == {"openid", "profile", "email"}
    # Only a hash of the state is kept.
    state = asked["state"][0]
    assert await OidcLogin.exists().where(OidcLogin.state_hash == state_hash(state))
    assert not await OidcLogin.exists().where(OidcLogin.state_hash == state)

    callback = await through_provider(web, leave, login)
    assert callback.startswith(f"{APP}/sign-in/oidc/{NHS}/callback?")
    landed = await web.get(callback)
    assert landed.status_code == 303
    assert landed.headers["location"] == "/plans"
    cookies = landed.headers.get_list("set-cookie")
    session = next(cookie for cookie in cookies if cookie.startswith("portal_sid="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert any(cookie.startswith(f"{STATE_COOKIE}=") for cookie in cookies)  # cleared
    me = await who(web)
    assert me is not None
    assert me["email"] == email and me["display_name"] == "Nia Roberts"
    # A new person and account with no password, linked to the provider's subject.
    account = await UserAccount.objects().where(UserAccount.email == email).first()
    assert account is not None and account.password_hash is None
    linked = await ExternalIdentity.objects().where(ExternalIdentity.user == account.id).first()
    assert linked is not None and (linked.provider, linked.subject) == (NHS, login)
    assert (await web.get("/plans")).status_code == 200


async def test_signing_in_again_finds_the_same_person(web, oidc_app, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    await web.get(await sign_in_at_provider(web, NHS, login))
    first = await who(web)
    async with web_client(oidc_app) as later:
        await later.get(await sign_in_at_provider(later, NHS, login))
        again = await who(later)
    assert first is not None and again is not None
    assert again["user_id"] == first["user_id"]
    assert await ExternalIdentity.count().where(ExternalIdentity.subject == login) == 1


async def test_staff_sign_in_with_client_secret_basic(web, staff_provider) -> None:
    login = unique("staff")
    email = f"{login}@council.example.org"
    staff_provider.add_account(login, name="Dev Shah", email=email, email_verified=True)
    landed = await web.get(await sign_in_at_provider(web, STAFF, login))
    assert landed.status_code == 303
    me = await who(web)
    assert me is not None and me["email"] == email and me["display_name"] == "Dev Shah"


async def test_both_providers_can_be_used_side_by_side(
    oidc_app, nhs_provider, staff_provider
) -> None:
    login, _ = citizen(nhs_provider)
    staff_login = unique("staff")
    staff_provider.add_account(staff_login, name="Sam Lee", email=f"{staff_login}@example.org")
    async with web_client(oidc_app) as one, web_client(oidc_app) as other:
        # Both leave at once; each comes back to its own provider's callback.
        nhs_out = await start_sign_in(one, NHS)
        staff_out = await start_sign_in(other, STAFF)
        staff_back = await through_provider(other, staff_out, staff_login)
        nhs_back = await through_provider(one, nhs_out, login)
        assert (await one.get(nhs_back)).status_code == 303
        assert (await other.get(staff_back)).status_code == 303
        first, second = await who(one), await who(other)
    assert first is not None and second is not None
    assert first["user_id"] != second["user_id"]


async def test_the_page_asked_for_is_where_sign_in_ends(web, oidc_app, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    target = f"/plans/{uuid.uuid4()}/money"
    landed = await web.get(await sign_in_at_provider(web, NHS, login, next_path=target))
    assert landed.status_code == 303 and landed.headers["location"] == target
    # Somewhere else entirely is never where it ends.
    async with web_client(oidc_app) as other:
        outside = await sign_in_at_provider(other, NHS, login, next_path="https://evil.example/")
        assert (await other.get(outside)).headers["location"] == "/plans"


async def test_a_session_the_browser_had_before_is_ended(web, oidc_app, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    leave = await start_sign_in(web, NHS)
    # Meanwhile, in the same browser, someone signs in with a local account.
    local = unique("local") + "@example.org"
    await create_user(local, PASSWORD, "Local Person")
    signed = await local_sign_in(web, local)
    assert signed.status_code == 201
    old_token = web.cookies["portal_sid"]
    landed = await web.get(await through_provider(web, leave, login))
    assert landed.status_code == 303
    assert web.cookies["portal_sid"] != old_token
    async with web_client(oidc_app) as planted:
        planted.cookies.set("portal_sid", old_token)
        assert await who(planted) is None


async def test_the_sign_in_page_offers_each_provider(web) -> None:
    page = await web.get("/sign-in", params={"next": "/plans/abc"})
    assert page.status_code == 200
    assert "Sign in with NHS login" in page.text
    assert "Sign in with your work account" in page.text
    assert f'href="/sign-in/oidc/{NHS}?next=/plans/abc"' in page.text
    assert f'href="/sign-in/oidc/{STAFF}?next=/plans/abc"' in page.text
    assert 'class="nhsuk-button"' in page.text
    assert "Or sign in with your email address and password" in page.text


async def test_an_unknown_provider_is_not_found(web) -> None:
    assert (await web.get("/sign-in/oidc/nobody")).status_code == 404
    assert (await web.get("/sign-in/oidc/nobody/callback?state=x&code=y")).status_code == 404


# -- refusals -------------------------------------------------------------------------------


async def test_a_tampered_state_is_refused(web, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    callback = await sign_in_at_provider(web, NHS, login)
    changed = with_query(callback, state="A" * 43)
    await assert_refused(web, changed, 400, "state-mismatch")
    # Even with the browser's cookie changed to match, no such sign-in was ever started.
    web.cookies.set(STATE_COOKIE, "A" * 43, domain="testserver.local", path="/sign-in/oidc/")
    await assert_refused(web, changed, 400, "state-unknown")


async def test_a_callback_opened_in_another_browser_is_refused(web, oidc_app, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    callback = await sign_in_at_provider(web, NHS, login)
    # Someone sends their callback link to someone else, to sign them in as the sender.
    async with web_client(oidc_app) as victim:
        await assert_refused(victim, callback, 400, "state-mismatch")
    # It did not use up the sign-in of the browser that started it.
    assert (await web.get(callback)).status_code == 303
    assert await who(web) is not None


async def test_a_replayed_callback_is_refused(web, oidc_app, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    leave = await start_sign_in(web, NHS)
    state = parse_qs(urlsplit(leave).query)["state"][0]
    callback = await through_provider(web, leave, login)
    assert (await web.get(callback)).status_code == 303
    # Someone who captured the whole request (its cookie too) tries it again.
    async with web_client(oidc_app) as replay:
        replay.cookies.set(STATE_COOKIE, state, domain="testserver.local", path="/sign-in/oidc/")
        await assert_refused(replay, callback, 400, "state-used")


async def test_a_sign_in_older_than_ten_minutes_is_refused(web, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    leave = await start_sign_in(web, NHS)
    state = parse_qs(urlsplit(leave).query)["state"][0]
    callback = await through_provider(web, leave, login)
    eleven_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)
    await OidcLogin.update({OidcLogin.created_at: eleven_minutes_ago}).where(
        OidcLogin.state_hash == state_hash(state)
    )
    page = await assert_refused(web, callback, 400, "state-expired")
    assert "10 minutes" in page.text


async def test_a_wrong_pkce_verifier_is_refused_by_the_provider(web, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    leave = await start_sign_in(web, NHS)
    state = parse_qs(urlsplit(leave).query)["state"][0]
    callback = await through_provider(web, leave, login)
    await OidcLogin.update({OidcLogin.code_verifier: "x" * 86}).where(
        OidcLogin.state_hash == state_hash(state)
    )
    await assert_refused(web, callback, 400, "code-refused")


async def test_an_id_token_for_another_nonce_is_refused(web, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    callback = await sign_in_at_provider(web, NHS, login)
    with nhs_provider.forging(lambda claims: {**claims, "nonce": "a-nonce-from-elsewhere"}):
        await assert_refused(web, callback, 400, "id-token-nonce")


async def test_an_expired_id_token_is_refused(web, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    callback = await sign_in_at_provider(web, NHS, login)
    now = int(time.time())
    with nhs_provider.forging(lambda claims: {**claims, "iat": now - 900, "exp": now - 300}):
        await assert_refused(web, callback, 400, "id-token-expired")


@pytest.mark.parametrize("kid", ["nhs-1", "someone-else"], ids=["same-kid", "unknown-kid"])
async def test_an_id_token_signed_by_another_key_is_refused(web, nhs_provider, kid) -> None:
    login, _ = citizen(nhs_provider)
    callback = await sign_in_at_provider(web, NHS, login)
    forger = jwk.RSAKey.generate_key(2048, parameters={"kid": kid})
    with nhs_provider.forging(lambda claims: claims, key=forger):
        await assert_refused(web, callback, 400, "id-token-signature")


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "another-client"},
        {"iss": "https://login.example.org"},
        {"iat": int(time.time()) + 3600},
    ],
    ids=["audience", "issuer", "issued-in-the-future"],
)
async def test_an_id_token_for_someone_else_is_refused(web, nhs_provider, change) -> None:
    login, _ = citizen(nhs_provider)
    callback = await sign_in_at_provider(web, NHS, login)
    with nhs_provider.forging(lambda claims: {**claims, **change}):
        await assert_refused(web, callback, 400, "id-token-claims")


async def test_a_vot_lower_than_asked_for_is_refused(web, nhs_provider) -> None:
    login, email = citizen(nhs_provider, vot="P5.Cp.Cd")
    page = await assert_refused(
        web, await sign_in_at_provider(web, NHS, login), 403, "vot-not-accepted"
    )
    assert "photo ID" in page.text
    assert not await UserAccount.exists().where(UserAccount.email == email)


async def test_a_missing_vot_is_refused(web, nhs_provider) -> None:
    login, _ = citizen(nhs_provider, vot=None)
    await assert_refused(web, await sign_in_at_provider(web, NHS, login), 403, "vot-not-accepted")


async def test_a_vot_forged_upwards_is_still_refused(web, nhs_provider) -> None:
    # Raising the level in transit breaks the signature.
    login, _ = citizen(nhs_provider, vot="P5.Cp.Cd")
    callback = await sign_in_at_provider(web, NHS, login)
    forger = jwk.RSAKey.generate_key(2048, parameters={"kid": "nhs-1"})
    with nhs_provider.forging(lambda claims: {**claims, "vot": VTR[0]}, key=forger):
        await assert_refused(web, callback, 400, "id-token-signature")


async def test_a_callback_naming_another_issuer_is_refused(web, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    callback = await sign_in_at_provider(web, NHS, login)
    await assert_refused(
        web, with_query(callback, iss="https://mix-up.example"), 400, "issuer-mismatch"
    )


async def test_cancelling_at_the_provider_says_so(web, nhs_provider) -> None:
    login, _ = citizen(nhs_provider)
    leave = await start_sign_in(web, NHS)
    callback = await through_provider(web, leave, login, cancel=True)
    assert "error=access_denied" in callback
    page = await assert_refused(web, callback, 400, "cancelled")
    # Whatever the provider wrote about it is not shown: anyone can put text in an address.
    assert "aborted" not in page.text


# -- which account ----------------------------------------------------------------------------


async def test_a_verified_email_links_to_the_existing_account(web, nhs_provider) -> None:
    login, email = citizen(nhs_provider)
    existing = await create_user(email, PASSWORD, "Nia Roberts")
    await web.get(await sign_in_at_provider(web, NHS, login))
    me = await who(web)
    assert me is not None and me["user_id"] == str(existing.id)
    # The password still works too.
    signed = await local_sign_in(web, email)
    assert signed.status_code == 201


async def test_an_unverified_email_is_not_linked(web, nhs_provider) -> None:
    login, email = citizen(nhs_provider, email_verified=False)
    await create_user(email, PASSWORD, "Nia Roberts")
    page = await assert_refused(
        web, await sign_in_at_provider(web, NHS, login), 409, "email-in-use"
    )
    assert "Sign in with your email address and password instead" in page.text
    assert await ExternalIdentity.count().where(ExternalIdentity.subject == login) == 0


async def test_a_provider_whose_emails_are_not_checked_is_never_linked(web, staff_provider) -> None:
    login = unique("staff")
    email = f"{login}@example.org"
    staff_provider.add_account(login, name="Dev Shah", email=email, email_verified=True)
    await create_user(email, PASSWORD, "Dev Shah")
    await assert_refused(web, await sign_in_at_provider(web, STAFF, login), 409, "email-in-use")


async def test_an_account_already_linked_to_another_subject_is_not_linked_again(
    web, oidc_app, nhs_provider
) -> None:
    first, email = citizen(nhs_provider)
    await web.get(await sign_in_at_provider(web, NHS, first))
    second, _ = citizen(nhs_provider, email=email)
    async with web_client(oidc_app) as other:
        await assert_refused(
            other, await sign_in_at_provider(other, NHS, second), 409, "linked-to-another"
        )


async def test_a_provider_that_shares_no_email_is_refused(web, nhs_provider) -> None:
    login, _ = citizen(nhs_provider, email=None)
    await assert_refused(web, await sign_in_at_provider(web, NHS, login), 400, "email-missing")


async def test_a_switched_off_account_cannot_sign_in(web, oidc_app, nhs_provider) -> None:
    login, email = citizen(nhs_provider)
    await web.get(await sign_in_at_provider(web, NHS, login))
    await UserAccount.update({UserAccount.is_active: False}).where(UserAccount.email == email)
    async with web_client(oidc_app) as later:
        await assert_refused(
            later, await sign_in_at_provider(later, NHS, login), 403, "account-inactive"
        )


# -- the provider itself --------------------------------------------------------------------


async def test_a_provider_that_does_not_answer_gets_a_page_not_a_stack_trace(app) -> None:
    setting = parse_oidc_providers(
        msgspec.json.encode(
            [
                {
                    "name": "gone",
                    "label": "Sign in with Gone",
                    "issuer": f"http://127.0.0.1:{free_port()}",
                    "client_id": "portal",
                    "client_auth": "client_secret_basic",
                    "client_secret": "s3cret",
                }
            ]
        ).decode()
    )
    gone = create_app(msgspec.structs.replace(load_settings(), oidc_providers=setting))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gone), base_url=APP) as web:
        page = await web.get("/sign-in/oidc/gone")
    assert page.status_code == 502
    assert "The sign-in service is not working" in page.text
    assert "<code>discovery-unavailable</code>" in page.text
    assert "Traceback" not in page.text


async def test_nothing_about_the_person_is_logged(web, oidc_app, nhs_provider, caplog) -> None:
    login, email = citizen(nhs_provider, email_verified=False)
    await create_user(email, PASSWORD, "Nia Roberts")
    # INFO and up: what a deployment logs (aiosqlite writes SQL parameters at DEBUG).
    caplog.set_level(logging.INFO)
    refused = await web.get(await sign_in_at_provider(web, NHS, login))
    assert refused.status_code == 409
    other, other_email = citizen(nhs_provider)
    async with web_client(oidc_app) as second:
        done = await second.get(await sign_in_at_provider(second, NHS, other))
    assert done.status_code == 303
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "oidc" in logged
    for personal in (login, email, other, other_email, "Nia", "Roberts"):
        assert personal not in logged
    # Nor in the address the person ends on.
    assert done.headers["location"] == "/plans"
