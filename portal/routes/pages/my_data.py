"""The "Your data" page: what the portal holds about the person, and the download."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency

from portal.core.actor import Actor
from portal.routes.pages.common import render

MY_DATA_NAV: list[dict[str, Any]] = [
    {"href": "/plans", "text": "My plans"},
    {"href": "/my-data", "text": "Your data", "current": True},
]
DOWNLOAD_URL = "/api/v1/me/data"


@get("/my-data", name="my-data")
async def my_data_page(actor: NamedDependency[Actor]) -> Response[Any]:
    return render(
        "accounts/my_data.html",
        actor,
        download_url=DOWNLOAD_URL,
        navigation_items=MY_DATA_NAV,
        back_href="/plans",
        back_text="Back to my plans",
    )


MY_DATA_ROUTES: list[Any] = [my_data_page]
