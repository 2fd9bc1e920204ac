"""Using the sharing pages as a browser without JavaScript would: open a form, send it, read
the page that comes back."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from tests.conftest import Persona


def assert_page(response: httpx.Response, status: int = 200) -> str:
    """An HTML page with this status and exactly one h1; its text with entities undone."""
    assert response.status_code == status, response.text[:3000]
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert len(re.findall(r"<h1[\s>]", response.text)) == 1, "a page has exactly one h1"
    assert " style=" not in response.text
    return html.unescape(response.text)


def csrf_token(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF field in the page"
    return match.group(1)


async def submit(
    client: httpx.AsyncClient, form_url: str, data: dict[str, Any], action: str | None = None
) -> httpx.Response:
    """Open the page with the form, then send it with what a person typed, as a browser does."""
    form_page = await client.get(form_url)
    assert form_page.status_code in (200, 201), form_page.text[:2000]
    token = csrf_token(form_page.text)
    return await client.post(action or form_url, data={**data, "_csrf_token": token})


def error_summary(page: str) -> list[tuple[str, str]]:
    """The error summary's links: (href, text)."""
    summary = re.search(r'class="nhsuk-list nhsuk-error-summary__list">(.*?)</ul>', page, re.S)
    assert summary, "no error summary on the page"
    assert "There is a problem" in page and "<title>Error: " in page
    return [
        (href, " ".join(text.split()))
        for href, text in re.findall(r'<a href="([^"]+)"\s*>(.*?)</a>', summary.group(1), re.S)
    ]


def share_data(email: str, sections: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "grantee": "email",
        "grantee_email": email,
        "sections": sections,
        "access": "view",
        "purpose": "To help me write my plan",
        "until[day]": "",
        "until[month]": "",
        "until[year]": "",
        **extra,
    }


async def share(owner: Persona, plan_id: str, grantee: Persona, sections: list[str]) -> str:
    response = await submit(
        owner.client, f"/plans/{plan_id}/sharing/new", share_data(grantee.email, sections)
    )
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"] == f"/plans/{plan_id}/sharing?done=given"
    grants = (await owner.client.get(f"/api/v1/plans/{plan_id}/grants")).json()
    grant_id: str = next(g["id"] for g in grants if g["grantee"]["email"] == grantee.email)
    return grant_id


async def invite(owner: Persona, plan_id: str, **fields: Any) -> tuple[str, str]:
    """Make an invitation with the form; returns the link page and the link's path."""
    data = {
        "email": "",
        "sections": ["staying_safe"],
        "access": "comment",
        "purpose": "To help me stay safe",
        "until[day]": "",
        "until[month]": "",
        "until[year]": "",
        "valid_days": "7",
        **fields,
    }
    response = await submit(owner.client, f"/plans/{plan_id}/sharing/invite", data)
    page = assert_page(response, 201)
    assert "location" not in response.headers
    match = re.search(
        r'<input[^>]*id="invitation-link"[^>]*value="(http://testserver(/invitations/[^"]+))"'
        r"[^>]*readonly",
        page,
    )
    assert match, "no readonly link on the page"
    return page, match.group(2)
