"""A change that does not carry the CSRF token is refused, says what to do, and saves nothing.

The attacker's request is made here with the victim's own cookies (as a browser would add
them to a forged cross-site post) but without the token only our pages and clients know.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from litestar.middleware.csrf import generate_csrf_token

from portal.app import create_app
from portal.security import CSRF_COOKIE_NAME, CSRF_HEADER_NAME
from portal.templating import TEMPLATES_DIR
from tests.api.helpers import assert_problem, create_plan, plan_url, read_section, snapshot
from tests.conftest import PASSWORD, Persona, csrf_ready

OTHER_SECRET = "another-deployment-secret-" + "x" * 40


def _hidden_token(page: str) -> str:
    match = re.search(r'<input type="hidden" name="_csrf_token" value="([^"]*)"', page)
    assert match, "no _csrf_token field on the page"
    return html.unescape(match.group(1))


@pytest.fixture
async def forger(app, owner: Persona) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """The owner's cookies (session and CSRF) with no token added: a forged cross-site request."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies=owner.client.cookies,
    ) as http:
        yield http


async def _written_plan(owner: Persona) -> str:
    plan = await create_plan(owner.client, title="Kept as it is")
    response = await owner.client.put(
        f"{plan_url(plan['id'])}/sections/about_me",
        json={"who_i_am": "Jo, as Jo wrote it"},
        headers={"If-Match": '"0"'},
    )
    assert response.status_code == 200, response.text
    return str(plan["id"])


def _bad_tokens(good: str, secret: str) -> dict[str, str | None]:
    return {
        "missing": None,
        "made up": "0" * 64 + "f" * 64,
        # Well formed and signed by this server, but not the one in this person's cookie.
        "someone else's": generate_csrf_token(secret),
        "signed by another server": generate_csrf_token(OTHER_SECRET),
        "the cookie cut short": good[:64],
    }


# --- the API ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    ["missing", "made up", "someone else's", "signed by another server", "the cookie cut short"],
)
async def test_an_api_write_without_the_right_token_is_a_403_and_saves_nothing(
    app, owner: Persona, forger: httpx.AsyncClient, kind: str
) -> None:  # type: ignore[no-untyped-def]
    plan_id = await _written_plan(owner)
    before = await snapshot(owner.client, plan_id)
    token = _bad_tokens(owner.client.cookies[CSRF_COOKIE_NAME], app.csrf_config.secret)[kind]
    headers = {"If-Match": '"1"'} | ({CSRF_HEADER_NAME: token} if token is not None else {})

    attempts = [
        await forger.put(
            f"{plan_url(plan_id)}/sections/about_me",
            json={"who_i_am": "Written by someone else"},
            headers=headers,
        ),
        await forger.post(
            f"{plan_url(plan_id)}/outcomes", json={"title": "Hijack"}, headers=headers
        ),
        await forger.post("/api/v1/plans", json={"kind": "carer_support"}, headers=headers),
        await forger.delete("/api/v1/session", headers=headers),
    ]
    for response in attempts:
        body = assert_problem(response, 403, "security token", "reload", CSRF_HEADER_NAME)
        assert body["title"] == "Security token missing or wrong"

    assert await snapshot(owner.client, plan_id) == before
    section = await read_section(owner.client, plan_id, "about_me")
    assert section["content"]["who_i_am"] == "Jo, as Jo wrote it"
    plans = (await owner.client.get("/api/v1/plans")).json()
    assert [p["kind"] for p in plans] == ["care_and_support"], "no plan was started"
    assert (await owner.client.get("/api/v1/session")).status_code == 200, "still signed in"


async def test_the_right_token_in_the_header_lets_the_same_write_through(
    owner: Persona, forger: httpx.AsyncClient
) -> None:
    plan_id = await _written_plan(owner)
    response = await forger.put(
        f"{plan_url(plan_id)}/sections/about_me",
        json={"who_i_am": "Changed with the token"},
        headers={"If-Match": '"1"', CSRF_HEADER_NAME: owner.client.cookies[CSRF_COOKIE_NAME]},
    )
    assert response.status_code == 200, response.text
    assert (await read_section(owner.client, plan_id, "about_me"))["version"] == 2


async def test_api_sign_in_needs_the_token_that_a_first_get_gives(app, owner: Persona) -> None:
    credentials = {"email": owner.email, "password": PASSWORD}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        refused = await http.post("/api/v1/session", json=credentials)
        assert_problem(refused, 403, "GET /api/v1/session", CSRF_COOKIE_NAME)
        assert "portal_sid" not in refused.headers.get("set-cookie", ""), "no session started"

        # The documented first step: GET /api/v1/session answers 401 and hands out the cookie.
        who = await http.get("/api/v1/session")
        assert who.status_code == 401
        cookie = who.cookies[CSRF_COOKIE_NAME]
        set_cookie = who.headers["set-cookie"].lower()
        assert "samesite=lax" in set_cookie and "path=/" in set_cookie
        assert "httponly" not in set_cookie, "scripts on our pages read it to send it back"

        signed_in = await http.post(
            "/api/v1/session", json=credentials, headers={CSRF_HEADER_NAME: cookie}
        )
        assert signed_in.status_code == 201, signed_in.text
        assert (await http.get("/api/v1/session")).json()["email"] == owner.email


async def test_the_csrf_cookie_is_secure_when_sign_in_cookies_are(app) -> None:  # type: ignore[no-untyped-def]
    secure = create_app(msgspec.structs.replace(app.state.settings, secure_cookies=True))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=secure), base_url="http://testserver"
    ) as http:
        response = await http.get("/health")
    assert f"{CSRF_COOKIE_NAME}=" in response.headers["set-cookie"]
    assert "secure" in response.headers["set-cookie"].lower()


async def test_static_files_never_carry_a_csrf_cookie(app) -> None:  # type: ignore[no-untyped-def]
    """Caches may keep them: a cookie on one would hand the same token to everyone."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        for path in ("/static/app.css", "/static/init.js"):
            response = await http.get(path)
            assert response.status_code == 200, path
            assert "set-cookie" not in response.headers, path
        assert CSRF_COOKIE_NAME in (await http.get("/sign-in")).headers["set-cookie"]


# --- pages ------------------------------------------------------------------------------


async def test_the_sign_in_form_carries_the_token_from_the_cookie(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/sign-in")).text
    form = re.search(r'<form method="post" action="/sign-in".*?</form>', page, re.S)
    assert form, "no sign-in form"
    token = _hidden_token(form.group(0))
    assert token == client.cookies[CSRF_COOKIE_NAME]
    assert len(token) > 64


def test_every_post_form_in_the_templates_has_the_token_field() -> None:
    """The test clients send the header, so a form missing `csrf_input` would pass every other
    test here and still fail in a browser: look at the templates themselves."""
    forms = 0
    for template in TEMPLATES_DIR.rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form\b[^>]*>.*?</form>", text, re.S | re.I):
            if re.search(r'method="post"', form, re.I):
                forms += 1
                assert "{{ csrf_input | safe }}" in form, f"{template.name}: {form[:120]}"
    assert forms >= 8


async def test_every_signed_in_page_form_carries_the_token(owner: Persona) -> None:
    plan_id = await _written_plan(owner)
    page = (await owner.client.get(f"/plans/{plan_id}/sections/about_me")).text
    forms = re.findall(r'<form[^>]*method="post".*?</form>', page, re.S)
    assert len(forms) >= 2, "the section form and the header's sign-out form"
    for form in forms:
        assert _hidden_token(form) == owner.client.cookies[CSRF_COOKIE_NAME], form[:200]


@pytest.mark.parametrize("token", [None, "", "0" * 64 + "f" * 64, "forged"])
async def test_a_form_post_without_the_right_token_is_a_403_page_and_saves_nothing(
    owner: Persona, forger: httpx.AsyncClient, token: str | None
) -> None:
    plan_id = await _written_plan(owner)
    before = await snapshot(owner.client, plan_id)
    extra = {} if token is None else {"_csrf_token": token}

    posts: dict[str, dict[str, Any]] = {
        f"/plans/{plan_id}/sections/about_me": {"version": "1", "who_i_am": "Forged"},
        f"/plans/{plan_id}/outcomes": {"title": "Forged outcome"},
        "/plans": {"kind": "carer_support"},
        "/sign-out": {},
    }
    for url, data in posts.items():
        response = await forger.post(url, data={**data, **extra})
        assert response.status_code == 403, (url, response.text[:500])
        assert response.headers["content-type"].startswith("text/html"), url
        page = response.text
        assert "<h1>Sorry, that form could not be used</h1>" in page, url
        assert "Go back, reload the page and try again." in page, url
        assert "nothing was saved" in page, url

    assert await snapshot(owner.client, plan_id) == before
    plans = (await owner.client.get("/api/v1/plans")).json()
    assert [p["kind"] for p in plans] == ["care_and_support"], "no plan was started"
    assert (await owner.client.get("/api/v1/session")).status_code == 200, "still signed in"


async def test_the_forms_own_token_saves_and_signs_out(
    owner: Persona, forger: httpx.AsyncClient
) -> None:
    plan_id = await _written_plan(owner)
    page = (await forger.get(f"/plans/{plan_id}/sections/about_me")).text
    saved = await forger.post(
        f"/plans/{plan_id}/sections/about_me",
        data={"_csrf_token": _hidden_token(page), "version": "1", "who_i_am": "From the form"},
    )
    assert saved.status_code == 303, saved.text[:500]
    section = await read_section(owner.client, plan_id, "about_me")
    assert section["content"]["who_i_am"] == "From the form"

    signed_out = await forger.post("/sign-out", data={"_csrf_token": _hidden_token(page)})
    assert signed_out.status_code == 303
    assert (await owner.client.get("/api/v1/session")).status_code == 401


async def test_a_cookie_from_an_old_secret_is_replaced_so_reloading_works(app) -> None:  # type: ignore[no-untyped-def]
    """After the secret changes (a new var/secret_key), a browser's old cookie would fail every
    form for good; the refusal drops it, so "reload the page and try again" is true."""
    email = f"old-cookie-{uuid.uuid4().hex[:10]}@example.org"
    from portal.accounts.service import create_user

    await create_user(email, PASSWORD, "Old Cookie")
    old = generate_csrf_token(OTHER_SECRET)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        browser.cookies.set(CSRF_COOKIE_NAME, old, domain="testserver.local")
        page = (await browser.get("/sign-in")).text
        assert _hidden_token(page) == old, "Litestar keeps the cookie a browser already has"
        form = {"email": email, "password": PASSWORD, "_csrf_token": old}
        refused = await browser.post("/sign-in", data=form)
        assert refused.status_code == 403
        assert f"{CSRF_COOKIE_NAME}=" in refused.headers["set-cookie"]
        assert "max-age=0" in refused.headers["set-cookie"].lower()
        assert CSRF_COOKIE_NAME not in browser.cookies

        reloaded = (await browser.get("/sign-in")).text
        fresh = _hidden_token(reloaded)
        assert fresh != old and fresh == browser.cookies[CSRF_COOKIE_NAME]
        signed_in = await browser.post("/sign-in", data={**form, "_csrf_token": fresh})
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/plans"


async def test_a_good_cookie_is_kept_when_only_the_sent_token_is_wrong(
    owner: Persona, forger: httpx.AsyncClient
) -> None:
    refused = await forger.post("/plans", data={"kind": "carer_support", "_csrf_token": "forged"})
    assert refused.status_code == 403
    assert CSRF_COOKIE_NAME not in refused.headers.get("set-cookie", "")
    # The owner's open pages keep working: a forged post cannot sign them out of forms.
    started = await owner.client.post("/api/v1/plans", json={"kind": "carer_support"})
    assert started.status_code == 201


async def test_a_client_made_ready_sends_the_token_itself(app) -> None:  # type: ignore[no-untyped-def]
    """The shared test helper really does what the other tests rely on."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        await csrf_ready(http)
        response = await http.post("/api/v1/session", json={"email": "x@example.org"})
        assert response.request.headers[CSRF_HEADER_NAME] == http.cookies[CSRF_COOKIE_NAME]
        assert response.status_code == 422, "past the CSRF check, refused for the missing password"
