"""What the installable app needs from the server: its service worker, manifest and offline
page, pages that say whom they were made for, sign-out that clears the phone, and static files
that are small on the wire and revalidated, while pages and API answers are never compressed."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from portal.routes.pages import app_shell
from portal.security import accepts_gzip
from portal.templating import ASSETS_DIR, STATIC_DIR
from tests.pages.test_pages import assert_page, start_plan

GZIP = {"Accept-Encoding": "gzip"}


async def user_id_of(persona: Any) -> str:
    response = await persona.client.get("/api/v1/session")
    assert response.status_code == 200, response.text
    user_id: str = response.json()["user_id"]
    return user_id


async def raw_get(
    http: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """The response and its body as it came over the wire, before any decoding."""
    async with http.stream("GET", url, headers=headers) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


# --- whom a page was made for ---------------------------------------------------------------


async def test_pages_made_for_someone_name_them_and_pages_for_nobody_do_not(client, owner) -> None:
    user_id = await user_id_of(owner)
    plan_id = await start_plan(owner)
    for url in ("/plans", f"/plans/{plan_id}", f"/plans/{plan_id}/sections/about_me"):
        response = await owner.client.get(url)
        assert response.status_code == 200, url
        assert response.headers["x-portal-user"] == user_id, url
    # An error page made for them names them too.
    missing = await owner.client.get("/plans/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.headers["x-portal-user"] == user_id

    for response in (
        await client.get("/sign-in"),
        await client.get("/offline"),
        await owner.client.get("/offline"),
        await owner.client.get("/api/v1/session"),
    ):
        assert "x-portal-user" not in response.headers, response.request.url


# --- the app shell ----------------------------------------------------------------------------


async def test_the_service_worker_is_served_from_the_root_for_anyone(
    app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = tmp_path / "sw.js"
    worker.write_text("self.addEventListener('fetch', () => {})\n", encoding="utf-8")
    monkeypatch.setattr(app_shell, "SERVICE_WORKER", worker)
    # A browser's first request: no cookie of ours yet.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as fresh:
        response = await fresh.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.text == worker.read_text(encoding="utf-8")
    # A file any browser may keep: nobody's CSRF cookie rides along.
    assert "set-cookie" not in response.headers


async def test_no_service_worker_before_the_build_is_a_404(
    client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_shell, "SERVICE_WORKER", tmp_path / "sw.js")
    assert (await client.get("/sw.js")).status_code == 404


def test_the_service_worker_is_the_file_the_build_writes() -> None:
    assert app_shell.SERVICE_WORKER == STATIC_DIR / "sw.js"


async def test_the_manifest_describes_the_installable_app(client) -> None:
    response = await client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    assert response.headers["cache-control"] == "no-cache"
    icon = "/static/icons/icon"
    assert response.json() == {
        "id": "/",
        "name": "Plan portal",
        "short_name": "Plans",
        "description": "Write and share your care and support plan",
        "start_url": "/plans?source=app",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f0f4f5",
        "theme_color": "#005eb8",
        "lang": "en-GB",
        "dir": "ltr",
        "icons": [
            {"src": f"{icon}-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": f"{icon}-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": f"{icon}-maskable-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


async def test_the_start_url_is_my_plans(client, owner) -> None:
    plain = assert_page(await owner.client.get("/plans"))
    from_app = assert_page(await owner.client.get("/plans?source=app"))
    heading = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
    assert heading.findall(from_app) == heading.findall(plain)
    signed_out = await client.get("/plans?source=app")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/sign-in"


async def test_the_offline_page_is_the_same_for_everyone_and_holds_nothing_personal(
    client, owner
) -> None:
    pages = []
    for http in (client, owner.client):
        response = await http.get("/offline")
        page = assert_page(response)
        assert response.headers["cache-control"] == "no-cache"
        assert "<h1>You are offline</h1>" in page
        assert (
            "This page has not been saved on this phone, so it cannot be shown without a "
            "connection." in page
        )
        assert 'Plans you have opened on this phone can still be read: <a href="/plans">' in page
        assert ">Go to your plans</a>" in page
        pages.append(page)
    signed_in = pages[1]
    assert owner.email not in signed_in and "Owner" not in signed_in
    assert "_csrf_token" not in signed_in and "/sign-out" not in signed_in
    assert 'name="portal-user"' not in signed_in
    # Only the moment it was made differs between the two.
    when = re.compile(r'<meta name="portal-rendered" content="[^"]*">')
    assert when.sub("", pages[0]) == when.sub("", signed_in)


# --- signing out clears the phone -------------------------------------------------------------


async def test_signing_out_on_the_page_clears_the_phone(owner) -> None:
    response = await owner.client.post("/sign-out")
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "storage"'


async def test_signing_out_through_the_api_clears_the_phone(owner) -> None:
    response = await owner.client.delete("/api/v1/session")
    assert response.status_code == 204
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    assert (await owner.client.get("/api/v1/session")).status_code == 401


# --- compression and caching of static files -------------------------------------------------


async def test_static_css_comes_gzipped_and_decodes_to_the_file(client) -> None:
    on_disk = (STATIC_DIR / "nhsuk-frontend.min.css").read_bytes()
    response, raw = await raw_get(client, "/static/nhsuk-frontend.min.css", GZIP)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["etag"].startswith('W/"'), "another encoding of the file"
    assert "set-cookie" not in response.headers
    assert len(raw) < len(on_disk) / 3
    assert gzip.decompress(raw) == on_disk


async def test_static_files_are_sent_whole_to_browsers_that_refuse_gzip(client) -> None:
    on_disk = (STATIC_DIR / "app.css").read_bytes()
    for refusal in ("identity", "gzip;q=0", ""):
        response, raw = await raw_get(client, "/static/app.css", {"Accept-Encoding": refusal})
        assert response.status_code == 200
        assert "content-encoding" not in response.headers, refusal
        assert raw == on_disk
        assert response.headers["etag"].startswith('"')
        assert response.headers["cache-control"] == "no-cache"


async def test_images_are_not_compressed_again(client) -> None:
    png = next(ASSETS_DIR.rglob("*.png"))
    url = "/assets/" + png.relative_to(ASSETS_DIR).as_posix()
    response, raw = await raw_get(client, url, GZIP)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert "content-encoding" not in response.headers
    assert raw == png.read_bytes()
    assert response.headers["cache-control"] == "no-cache"


async def test_a_conditional_get_of_an_unchanged_file_is_a_304(client) -> None:
    url = "/static/nhsuk-frontend.min.css"
    for headers in (GZIP, {"Accept-Encoding": "identity"}):
        first = await client.get(url, headers=headers)
        assert first.status_code == 200
        for condition in (
            {"If-None-Match": first.headers["etag"]},
            {"If-Modified-Since": first.headers["last-modified"]},
        ):
            again, raw = await raw_get(client, url, {**headers, **condition})
            assert again.status_code == 304, condition
            assert raw == b""
            assert again.headers["etag"] == first.headers["etag"]
            assert again.headers["cache-control"] == "no-cache"
            assert "content-encoding" not in again.headers
    changed = await client.get(url, headers={**GZIP, "If-None-Match": '"some-other-build"'})
    assert changed.status_code == 200
    missing = await client.get("/static/not-there.css", headers=GZIP)
    assert missing.status_code == 404
    assert "content-encoding" not in missing.headers


async def test_pages_and_api_answers_are_never_compressed(client, owner) -> None:
    plan_id = await start_plan(owner)
    for http, url in (
        (client, "/sign-in"),
        (owner.client, f"/plans/{plan_id}"),
        (owner.client, f"/api/v1/plans/{plan_id}"),
        (owner.client, "/api/v1/schema/openapi.json"),
        (client, "/manifest.webmanifest"),
    ):
        response, raw = await raw_get(http, url, GZIP)
        assert response.status_code == 200, url
        assert "content-encoding" not in response.headers, url
        assert len(raw) > 1024 or url == "/manifest.webmanifest", "big enough to be compressed"


async def test_the_live_update_stream_is_never_compressed(owner) -> None:
    plan_id = await start_plan(owner)
    response, raw = await raw_get(owner.client, f"/api/v1/plans/{plan_id}/events", GZIP)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in response.headers
    assert b"event: ready" in raw or b"event:ready" in raw


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("GZIP", True),
        ("*", True),
        ("gzip;q=0", False),
        ("*, gzip;q=0", False),
        ("identity", False),
        ("", False),
        ("x-gzip-like", False),
    ],
)
def test_accept_encoding_is_read_as_browsers_mean_it(header: str, gzip_ok: bool) -> None:
    assert accepts_gzip(header) is gzip_ok
