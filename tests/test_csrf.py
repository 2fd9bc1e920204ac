"""A change that does not carry the CSRF token of its own session is refused, says what to do,
and saves nothing.

The attacker's request is made here with the victim's own cookies (as a browser would add
them to a forged cross-site post) but without the token only our pages and clients know; or
with a token the attacker could get: from an anonymous visit of their own, from their own
signed-in session, from the victim's session before it was signed out.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from typing import Any

import httpx
import msgspec
import pytest
from litestar.middleware.csrf import generate_csrf_token

from portal.app import create_app
from portal.security import CSRF_COOKIE_NAME, CSRF_HEADER_NAME, CsrfProtection
from portal.settings import secret_key_for
from portal.templating import TEMPLATES_DIR
from tests.api.helpers import assert_problem, create_plan, plan_url, read_section, snapshot
from tests.conftest import PASSWORD, Persona, csrf_ready, csrf_token

OTHER_SECRET = "another-deployment-secret-" + "x" * 40


def _hidden_token(page: str) -> str:
    match = re.search(r'<input type="hidden" name="_csrf_token" value="([^"]*)"', page)
    assert match, "no _csrf_token field on the page"
    return html.unescape(match.group(1))


def _set_cookies(response: httpx.Response) -> dict[str, Any]:
    """The response's Set-Cookie headers, parsed: name -> morsel."""
    cookies: dict[str, Any] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        cookies.update(parsed)
    return cookies


@pytest.fixture
async def anonymous(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """Someone not signed in (the attacker, visiting the portal themselves)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


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


def _session_of(persona: Persona, app: Any) -> str:
    return str(persona.client.cookies[app.state.settings.session_cookie_name])


async def _bad_tokens(
    app: Any, owner: Persona, stranger: Persona, anonymous: httpx.AsyncClient
) -> dict[str, str | None]:
    good = await csrf_token(owner.client)
    other_server = CsrfProtection(
        msgspec.structs.replace(app.state.settings, secret_key=OTHER_SECRET)
    )
    return {
        "missing": None,
        "empty": "",
        "made up": "0" * 64,
        # Litestar's own kind of token, signed with this server's secret: no longer enough.
        "signed the old way": generate_csrf_token(secret_key_for(app.state.settings)),
        "from an anonymous visit": await csrf_token(anonymous),
        "from another person's session": await csrf_token(stranger.client),
        "for this session from another server": other_server.token_for_session(
            _session_of(owner, app)
        ),
        "cut short": good[:-1],
        "with a character more": good + "0",
    }


BAD_TOKEN_KINDS = [
    "missing",
    "empty",
    "made up",
    "signed the old way",
    "from an anonymous visit",
    "from another person's session",
    "for this session from another server",
    "cut short",
    "with a character more",
]


# --- the API ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BAD_TOKEN_KINDS)
async def test_an_api_write_without_its_sessions_token_is_a_403_and_saves_nothing(
    app,
    owner: Persona,
    stranger: Persona,
    anonymous: httpx.AsyncClient,
    forger: httpx.AsyncClient,
    kind: str,  # type: ignore[no-untyped-def]
) -> None:
    plan_id = await _written_plan(owner)
    before = await snapshot(owner.client, plan_id)
    token = (await _bad_tokens(app, owner, stranger, anonymous))[kind]
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
        body = assert_problem(
            response, 403, "security token", "reload", "GET /api/v1/session/csrf", CSRF_HEADER_NAME
        )
        assert body["title"] == "Security token missing or wrong"
        # Answered like every other response: the refusal is no way round the headers.
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"

    assert await snapshot(owner.client, plan_id) == before
    section = await read_section(owner.client, plan_id, "about_me")
    assert section["content"]["who_i_am"] == "Jo, as Jo wrote it"
    plans = (await owner.client.get("/api/v1/plans")).json()
    assert [p["kind"] for p in plans] == ["care_and_support"], "no plan was started"
    assert (await owner.client.get("/api/v1/session")).status_code == 200, "still signed in"


async def test_the_sessions_own_token_in_the_header_lets_the_same_write_through(
    owner: Persona, forger: httpx.AsyncClient
) -> None:
    plan_id = await _written_plan(owner)
    session = (await owner.client.get("/api/v1/session")).json()
    assert session["csrf_token"] == await csrf_token(owner.client)
    response = await forger.put(
        f"{plan_url(plan_id)}/sections/about_me",
        json={"who_i_am": "Changed with the token"},
        headers={"If-Match": '"1"', CSRF_HEADER_NAME: session["csrf_token"]},
    )
    assert response.status_code == 200, response.text
    assert (await read_section(owner.client, plan_id, "about_me"))["version"] == 2


async def test_api_sign_in_needs_the_token_that_get_session_csrf_gives(
    app,
    owner: Persona,
    anonymous: httpx.AsyncClient,  # type: ignore[no-untyped-def]
) -> None:
    credentials = {"email": owner.email, "password": PASSWORD}
    cookie_name = app.state.settings.session_cookie_name
    refused = await anonymous.post("/api/v1/session", json=credentials)
    assert_problem(refused, 403, "GET /api/v1/session/csrf", CSRF_HEADER_NAME)
    assert cookie_name not in _set_cookies(refused), "no session started"

    # The documented first step, for anyone: a token, and the cookie it is bound to.
    anonymous.cookies.clear()
    first = await anonymous.get("/api/v1/session/csrf")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/json")
    token = first.json()["csrf_token"]
    cookie = _set_cookies(first)[CSRF_COOKIE_NAME]
    assert cookie["httponly"], "scripts read the token from the page, never the cookie"
    assert cookie["samesite"].lower() == "lax" and cookie["path"] == "/"
    assert not cookie["domain"], "this host only, not its siblings"
    assert cookie.value != token, "the cookie holds the id the token is made from, not the token"
    # Asked again with the same cookie: the same token, and no new cookie.
    again = await anonymous.get("/api/v1/session/csrf")
    assert again.json()["csrf_token"] == token and "set-cookie" not in again.headers

    signed_in = await anonymous.post(
        "/api/v1/session", json=credentials, headers={CSRF_HEADER_NAME: token}
    )
    assert signed_in.status_code == 201, signed_in.text
    session = signed_in.json()
    assert session["email"] == owner.email
    assert session["csrf_token"] != token, "a new session, a new token"
    assert (await anonymous.get("/api/v1/session")).json()["csrf_token"] == session["csrf_token"]
    assert (await anonymous.get("/api/v1/session/csrf")).json() == {
        "csrf_token": session["csrf_token"]
    }


async def test_the_token_rotates_at_sign_in_and_the_old_ones_are_refused_after_sign_out(
    owner: Persona, anonymous: httpx.AsyncClient
) -> None:
    before = await csrf_token(anonymous)
    signed_in = await anonymous.post(
        "/api/v1/session",
        json={"email": owner.email, "password": PASSWORD},
        headers={CSRF_HEADER_NAME: before},
    )
    during = signed_in.json()["csrf_token"]
    assert during != before
    # The token from before signing in no longer works, in this browser or anywhere.
    stale = await anonymous.post(
        "/api/v1/plans", json={"kind": "carer_support"}, headers={CSRF_HEADER_NAME: before}
    )
    assert_problem(stale, 403, "security token")
    started = await anonymous.post(
        "/api/v1/plans", json={"kind": "carer_support"}, headers={CSRF_HEADER_NAME: during}
    )
    assert started.status_code == 201, started.text

    signed_out = await anonymous.delete("/api/v1/session", headers={CSRF_HEADER_NAME: during})
    assert signed_out.status_code == 204
    assert _set_cookies(signed_out)[CSRF_COOKIE_NAME]["max-age"] == "0", "anonymous id dropped"
    after = await csrf_token(anonymous)
    assert after not in (before, during)
    credentials = {"email": owner.email, "password": PASSWORD}
    for old in (during, before):
        refused = await anonymous.post(
            "/api/v1/session", json=credentials, headers={CSRF_HEADER_NAME: old}
        )
        assert_problem(refused, 403, "security token")
    assert (await anonymous.get("/api/v1/session")).status_code == 401, "not signed in again"
    plans = (await owner.client.get("/api/v1/plans")).json()
    assert sorted(p["kind"] for p in plans) == ["carer_support"], "only the one with the token"


async def test_with_secure_cookies_both_cookies_are_host_only_and_secure(app) -> None:  # type: ignore[no-untyped-def]
    settings = msgspec.structs.replace(app.state.settings, secure_cookies=True)
    secure = create_app(settings)
    email = f"secure-{uuid.uuid4().hex[:10]}@example.org"
    from portal.accounts.service import create_user

    await create_user(email, PASSWORD, "Secure Cookies")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=secure), base_url="https://testserver"
    ) as http:
        first = await http.get("/api/v1/session/csrf")
        signed_in = await http.post(
            "/api/v1/session",
            json={"email": email, "password": PASSWORD},
            headers={CSRF_HEADER_NAME: first.json()["csrf_token"]},
        )
        assert signed_in.status_code == 201, signed_in.text
        for response, name in (
            (first, f"__Host-{CSRF_COOKIE_NAME}"),
            (signed_in, f"__Host-{settings.session_cookie_name}"),
        ):
            cookies = _set_cookies(response)
            assert list(cookies) == [name], response.headers.get_list("set-cookie")
            cookie = cookies[name]
            assert cookie["secure"] and cookie["httponly"], name
            assert cookie["path"] == "/" and not cookie["domain"], name
            assert cookie["samesite"].lower() == "lax", name
        # The prefixed cookies are the ones read back: signed in, and changes go through.
        token = signed_in.json()["csrf_token"]
        assert (await http.get("/api/v1/session")).json()["email"] == email
        started = await http.post(
            "/api/v1/plans", json={"kind": "carer_support"}, headers={CSRF_HEADER_NAME: token}
        )
        assert started.status_code == 201, started.text
        # A cookie without the prefix (as a sibling host could plant) stands for nobody.
        http.cookies.clear()
        session = signed_in.cookies[f"__Host-{settings.session_cookie_name}"]
        planted = {"Cookie": f"{settings.session_cookie_name}={session}"}
        assert (await http.get("/api/v1/session", headers=planted)).status_code == 401


async def test_static_files_never_carry_a_csrf_cookie(anonymous: httpx.AsyncClient) -> None:
    """Caches may keep them: a cookie on one would hand the same id to everyone."""
    for path in ("/static/app.css", "/static/init.js"):
        response = await anonymous.get(path)
        assert response.status_code == 200, path
        assert "set-cookie" not in response.headers, path
    assert CSRF_COOKIE_NAME in _set_cookies(await anonymous.get("/sign-in"))


async def test_a_client_made_ready_sends_its_sessions_token_itself(
    owner: Persona, anonymous: httpx.AsyncClient
) -> None:
    """The shared test helper really does what the other tests rely on, across a sign-in."""
    await csrf_ready(anonymous)
    response = await anonymous.post("/api/v1/session", json={"email": "x@example.org"})
    assert response.request.headers[CSRF_HEADER_NAME] == await csrf_token(anonymous)
    assert response.status_code == 422, "past the CSRF check, refused for the missing password"
    signed_in = await anonymous.post(
        "/api/v1/session", json={"email": owner.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 201
    started = await anonymous.post("/api/v1/plans", json={"kind": "carer_support"})
    assert started.status_code == 201, started.text
    assert started.request.headers[CSRF_HEADER_NAME] == signed_in.json()["csrf_token"]


# --- pages ------------------------------------------------------------------------------


async def test_the_sign_in_form_carries_the_token_of_the_visit(
    anonymous: httpx.AsyncClient,
) -> None:
    page = await anonymous.get("/sign-in")
    form = re.search(r'<form method="post" action="/sign-in".*?</form>', page.text, re.S)
    assert form, "no sign-in form"
    token = _hidden_token(form.group(0))
    assert token == await csrf_token(anonymous)
    assert token != anonymous.cookies[CSRF_COOKIE_NAME], "never the cookie's own value"
    assert 'name="csrf-token"' not in page.text, "no one signed in: no script needs it"


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


async def test_every_signed_in_page_form_and_its_meta_carry_the_sessions_token(
    owner: Persona,
) -> None:
    plan_id = await _written_plan(owner)
    expected = await csrf_token(owner.client)
    page = (await owner.client.get(f"/plans/{plan_id}/sections/about_me")).text
    forms = re.findall(r'<form[^>]*method="post".*?</form>', page, re.S)
    assert len(forms) >= 2, "the section form and the header's sign-out form"
    for form in forms:
        assert _hidden_token(form) == expected, form[:200]
    # For live.js, which cannot read the HttpOnly cookie.
    assert f'<meta name="csrf-token" content="{expected}">' in page


async def _page_token(client: httpx.AsyncClient, path: str = "/sign-in") -> str:
    return _hidden_token((await client.get(path)).text)


@pytest.mark.parametrize(
    "kind",
    ["missing", "empty", "made up", "forged", "from an anonymous page", "from another's page"],
)
async def test_a_form_post_without_its_sessions_token_is_a_403_page_and_saves_nothing(
    owner: Persona,
    stranger: Persona,
    anonymous: httpx.AsyncClient,
    forger: httpx.AsyncClient,
    kind: str,
) -> None:
    plan_id = await _written_plan(owner)
    before = await snapshot(owner.client, plan_id)
    token = {
        "missing": None,
        "empty": "",
        "made up": "0" * 64,
        "forged": "forged",
        "from an anonymous page": await _page_token(anonymous),
        "from another's page": await _page_token(stranger.client, "/plans"),
    }[kind]
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
        assert response.headers["cache-control"] == "no-store", url

    assert await snapshot(owner.client, plan_id) == before
    plans = (await owner.client.get("/api/v1/plans")).json()
    assert [p["kind"] for p in plans] == ["care_and_support"], "no plan was started"
    assert (await owner.client.get("/api/v1/session")).status_code == 200, "still signed in"


async def test_the_forms_own_token_saves_and_signs_out_and_is_dead_afterwards(
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
    # The page's token is no good for the anonymous visit that follows.
    form = {"email": owner.email, "password": PASSWORD, "_csrf_token": _hidden_token(page)}
    refused = await forger.post("/sign-in", data=form)
    assert refused.status_code == 403
    assert (await forger.get("/api/v1/session")).status_code == 401


async def test_signing_in_with_the_form_moves_the_pages_to_the_new_sessions_token(
    owner: Persona, anonymous: httpx.AsyncClient
) -> None:
    before = await _page_token(anonymous)
    form = {"email": owner.email, "password": PASSWORD, "_csrf_token": before}
    signed_in = await anonymous.post("/sign-in", data=form)
    assert signed_in.status_code == 303, signed_in.text[:500]
    after = await _page_token(anonymous, "/plans")
    assert after != before
    refused = await anonymous.post("/plans", data={"kind": "carer_support", "_csrf_token": before})
    assert refused.status_code == 403
    started = await anonymous.post("/plans", data={"kind": "carer_support", "_csrf_token": after})
    assert started.status_code == 303, started.text[:500]


async def test_an_old_cookie_is_replaced_so_reloading_works(app) -> None:  # type: ignore[no-untyped-def]
    """A browser may hold a CSRF cookie of another kind (Litestar's signed one from before this
    change, or an edited one): it would fail every form for good; the next answer replaces it,
    even the refusal, so "reload the page and try again" is true."""
    email = f"old-cookie-{uuid.uuid4().hex[:10]}@example.org"
    from portal.accounts.service import create_user

    await create_user(email, PASSWORD, "Old Cookie")
    old = generate_csrf_token(OTHER_SECRET)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        browser.cookies.set(CSRF_COOKIE_NAME, old, domain="testserver.local")
        form = {"email": email, "password": PASSWORD, "_csrf_token": old}
        refused = await browser.post("/sign-in", data=form)
        assert refused.status_code == 403
        assert _set_cookies(refused)[CSRF_COOKIE_NAME].value != old, "replaced by the refusal"
        assert browser.cookies[CSRF_COOKIE_NAME] != old

        reloaded = await browser.get("/sign-in")
        assert "set-cookie" not in reloaded.headers, "the new cookie is kept"
        fresh = _hidden_token(reloaded.text)
        assert fresh != old
        signed_in = await browser.post("/sign-in", data={**form, "_csrf_token": fresh})
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/plans"


async def test_a_page_from_before_the_secret_changed_works_once_reloaded(app) -> None:  # type: ignore[no-untyped-def]
    """A new var/secret_key (or a rotated PORTAL_SECRET_KEY) makes open pages' tokens wrong;
    the cookie is still good, so the reloaded page's token works."""
    other = create_app(msgspec.structs.replace(app.state.settings, secret_key=OTHER_SECRET))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=other), base_url="http://testserver"
    ) as before_change:
        stale = await _page_token(before_change)
        cookies = before_change.cookies
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", cookies=cookies
    ) as browser:
        form = {"email": "nobody@example.org", "password": "wrong-password-1"}
        refused = await browser.post("/sign-in", data={**form, "_csrf_token": stale})
        assert refused.status_code == 403
        fresh = await _page_token(browser)
        assert fresh != stale
        judged = await browser.post("/sign-in", data={**form, "_csrf_token": fresh})
        assert judged.status_code == 401, "past the check: the sign-in itself was judged"


async def test_a_good_cookie_is_kept_when_only_the_sent_token_is_wrong(
    owner: Persona, forger: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    refused = await forger.post("/plans", data={"kind": "carer_support", "_csrf_token": "forged"})
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    # The owner's open pages keep working: a forged post cannot sign them out of forms.
    started = await owner.client.post("/api/v1/plans", json={"kind": "carer_support"})
    assert started.status_code == 201
    # Nor an anonymous visitor's.
    token = await _page_token(anonymous)
    wrong = await anonymous.post("/sign-in", data={"_csrf_token": "forged"})
    assert wrong.status_code == 403 and "set-cookie" not in wrong.headers
    assert await _page_token(anonymous) == token


async def test_a_change_the_middleware_never_saw_is_refused() -> None:
    """The guard fails closed: a route reached without the check having run is not open."""
    from litestar import Litestar, post

    @post("/change")
    async def change() -> str:
        return "changed"

    bare = Litestar([change], guards=[CsrfProtection.guard])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=bare), base_url="http://testserver"
    ) as http:
        response = await http.post("/change", headers={CSRF_HEADER_NAME: "0" * 64})
    assert response.status_code == 403
    assert "changed" not in response.text
