"""The installable app's own files: the service worker, the web app manifest, the offline page.

All three are public and made for nobody: the browser fetches them without anyone's session,
and the service worker keeps the offline page for whoever uses the phone next. The worker is
served from the root because its scope is the folder it comes from: here, the whole site.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get
from litestar.response import File

from portal.core.errors import not_found
from portal.routes.pages.common import render
from portal.templating import STATIC_DIR

# Written by the front-end build (frontend/src/sw.js, with the build's version filled in).
SERVICE_WORKER = STATIC_DIR / "sw.js"

# Always asked about again: a new service worker or manifest is seen on the next visit.
_REVALIDATE = {"Cache-Control": "no-cache"}

MANIFEST: dict[str, Any] = {
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
        {
            "src": "/static/icons/icon-192.png",
            "sizes": "192x192",
            "type": "image/png",
            "purpose": "any",
        },
        {
            "src": "/static/icons/icon-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "any",
        },
        {
            "src": "/static/icons/icon-maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ],
}
_MANIFEST_BODY = msgspec.json.encode(MANIFEST)


@get("/sw.js", name="service-worker")
async def service_worker() -> File:
    if not SERVICE_WORKER.is_file():
        raise not_found("file")
    return File(
        path=SERVICE_WORKER,
        media_type="text/javascript",  # Litestar adds "; charset=utf-8"
        content_disposition_type="inline",
        headers=_REVALIDATE,
    )


@get("/manifest.webmanifest", name="web-app-manifest")
async def web_app_manifest() -> Response[bytes]:
    return Response(_MANIFEST_BODY, media_type="application/manifest+json", headers=_REVALIDATE)


@get("/offline", name="offline")
async def offline_page() -> Response[Any]:
    # For nobody: the same page whoever is signed in, so nothing of anyone's is kept with it.
    return render("offline.html", None, headers=_REVALIDATE)


APP_SHELL_ROUTES = [service_worker, web_app_manifest, offline_page]
