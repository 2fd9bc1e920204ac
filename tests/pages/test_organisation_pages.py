"""The organisation pages, used over HTTP as a browser without JavaScript would.

An admin adds, changes and ends roles with forms; staff who are not admins only look; anyone
else is told the page is not found. What was saved is checked through the JSON API.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from portal.accounts.service import create_user
from portal.core.actor import Role
from tests.conftest import PASSWORD, Persona, make_persona
from tests.factories import give_role, make_organisation


@pytest.fixture(scope="module")
async def admin(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "admin")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def worker(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "worker")
    yield persona
    await persona.client.aclose()


@pytest.fixture(scope="module")
async def outsider(app) -> AsyncIterator[Persona]:  # type: ignore[no-untyped-def]
    persona = await make_persona(app, "outsider")
    yield persona
    await persona.client.aclose()


def assert_page(response: httpx.Response, status: int = 200) -> str:
    """An HTML page with this status, one h1 and a title; returned as the text people read."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html"), response.headers
    page = response.text
    assert len(re.findall(r"<h1[\s>]", page)) == 1, "a page has exactly one h1"
    assert re.search(r"<title>[^<]*\S[^<]*</title>", page)
    assert " style=" not in page
    return page


def words(page: str) -> str:
    """The page's text with tags gone and spaces collapsed, as a person reads it."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def error_summary(page: str) -> list[str]:
    match = re.search(r'class="nhsuk-error-summary".*?</ul>', page, flags=re.S)
    assert match, "no error summary on the page"
    return [words(item) for item in re.findall(r"<li>(.*?)</li>", match.group(0), flags=re.S)]


def form_token(page: str, action: str) -> str:
    """The CSRF field of the form posting to `action`, as a browser would send it back."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, f"no form posting to {action}"
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.group(0))
    assert token, "the form has no CSRF field"
    return token.group(1)


async def new_org(admin: Persona, name: str | None = None) -> uuid.UUID:
    return await make_organisation(name or f"Borsetshire {uuid.uuid4().hex[:6]}", admin=admin)


async def staff_json(persona: Persona, org: uuid.UUID, ended: bool = False) -> list[dict[str, Any]]:
    params = {"include_ended": "true"} if ended else {}
    response = await persona.client.get(f"/api/v1/organisations/{org}/staff", params=params)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


def nav_links(page: str) -> list[str]:
    """The texts of the header menu's links."""
    nav = re.search(r'<nav class="nhsuk-header__navigation.*?</nav>', page, flags=re.S)
    if nav is None:
        return []
    return [words(link) for link in re.findall(r"<a\s[^>]*>(.*?)</a>", nav.group(0), re.S)]


# --- seeing ------------------------------------------------------------------------------


async def test_staff_see_your_organisations_in_the_header_and_others_do_not(
    admin, outsider
) -> None:
    await new_org(admin)
    assert "Your organisations" in nav_links(assert_page(await admin.client.get("/plans")))
    assert "Your organisations" not in nav_links(assert_page(await outsider.client.get("/plans")))


async def test_your_organisations_lists_each_with_your_roles(admin, worker) -> None:
    org = await new_org(admin, f"Ambridge Council {uuid.uuid4().hex[:6]}")
    await give_role(worker, org, Role.COORDINATOR)
    await give_role(worker, org, Role.BUDGET_AUTHORISER, 1_250_000)
    page = words(assert_page(await worker.client.get("/organisations")))
    assert "Your organisations" in page
    assert "Ambridge Council" in page
    assert "Kind of organisation Council" in page
    assert "Care coordinator" in page
    assert "Budget authoriser (up to £12,500.00 a year)" in page


async def test_someone_with_no_role_is_told_how_to_get_one(outsider) -> None:
    page = words(assert_page(await outsider.client.get("/organisations")))
    assert "You do not hold a role in any organisation" in page


async def test_the_staff_page_shows_roles_and_limits_in_pounds(admin, worker) -> None:
    org = await new_org(admin)
    await give_role(worker, org, Role.BUDGET_AUTHORISER, 1_250_000)
    await give_role(worker, org, Role.PLAN_AUTHORISER)
    page = assert_page(await admin.client.get(f"/organisations/{org}"))
    text = words(page)
    assert "Current staff roles" in text
    assert "£12,500.00 a year" in text
    assert "Plan authoriser" in text and "Organisation admin" in text
    assert worker.email in text
    assert "Add a member of staff" in text
    assert "Change limit for Worker" in text
    assert "End role plan authoriser for Worker" in text
    assert "You are an organisation admin here" in text

    # Staff who are not admins see the same people, and no way to change them.
    theirs = words(assert_page(await worker.client.get(f"/organisations/{org}")))
    assert "£12,500.00 a year" in theirs
    assert "Add a member of staff" not in theirs
    assert "End role" not in theirs
    assert "You are a plan authoriser and a budget authoriser here" in theirs


async def test_outsiders_get_page_not_found_and_staff_cannot_change(
    admin, worker, outsider
) -> None:
    org = await new_org(admin)
    await give_role(worker, org, Role.COORDINATOR)
    for path in ("", "/history", "/staff/add"):
        gone = words(assert_page(await outsider.client.get(f"/organisations/{org}{path}"), 404))
        assert "Page not found" in gone
    refused = words(assert_page(await worker.client.get(f"/organisations/{org}/staff/add"), 403))
    assert "Only an admin of" in refused
    posted = await worker.client.post(
        f"/organisations/{org}/staff/add", data={"email": worker.email, "role": "admin"}
    )
    assert "Only an admin of" in words(assert_page(posted, 403))
    assert [r["role"] for r in await staff_json(admin, org) if r["email"] == worker.email] == [
        "coordinator"
    ]


async def test_signing_in_is_needed(client) -> None:
    response = await client.get(f"/organisations/{uuid.uuid4()}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


# --- adding ------------------------------------------------------------------------------


async def test_the_add_form_lists_the_roles_and_works_without_javascript(admin) -> None:
    org = await new_org(admin)
    page = assert_page(await admin.client.get(f"/organisations/{org}/staff/add"))
    text = words(page)
    for label in ("Care coordinator", "Plan authoriser", "Budget authoriser", "Team manager"):
        assert label in text
    # The limit field is in the page (shown without JavaScript) inside the budget authoriser's
    # conditional part, and the form posts back here.
    assert 'id="spending_limit"' in page
    assert re.search(r'<form method="post" action="/organisations/[^"]+/staff/add"', page)


async def test_an_empty_form_says_what_to_fill_in(admin) -> None:
    org = await new_org(admin)
    response = await admin.client.post(f"/organisations/{org}/staff/add", data={})
    page = assert_page(response, 400)
    assert "<title>Error: " in page
    assert error_summary(page) == [
        "Enter the email address of their account",
        "Choose the role to give them",
    ]
    assert 'href="#email"' in page and 'href="#role"' in page


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("", "Enter the spending limit, like 12,500.00"),
        ("lots", "Enter the spending limit in pounds and pence, like 1,250.50"),
        ("0", "The spending limit must be more than £0.00"),
        ("-5", "The spending limit must be more than £0.00"),
    ],
)
async def test_a_budget_authoriser_needs_a_limit_in_pounds(admin, worker, limit, message) -> None:
    org = await new_org(admin)
    response = await admin.client.post(
        f"/organisations/{org}/staff/add",
        data={"email": worker.email, "role": "budget_authoriser", "spending_limit": limit},
    )
    page = assert_page(response, 400)
    assert error_summary(page) == [message]
    assert 'href="#spending_limit"' in page
    # What was typed stays in the form.
    assert f'value="{html.escape(worker.email)}"' in page
    assert len(await staff_json(admin, org)) == 1


async def test_an_unknown_email_is_shown_by_the_field(admin) -> None:
    org = await new_org(admin)
    response = await admin.client.post(
        f"/organisations/{org}/staff/add",
        data={"email": "no-such-person@example.org", "role": "coordinator"},
    )
    page = assert_page(response, 400)
    assert error_summary(page) == [
        "No account uses this email address. Ask them to create an account first."
    ]


async def test_adding_a_budget_authoriser_then_the_same_role_again(admin, worker) -> None:
    org = await new_org(admin)
    url = f"/organisations/{org}/staff/add"
    form = assert_page(await admin.client.get(url))
    response = await admin.client.post(
        url,
        data={
            "_csrf_token": form_token(form, url),
            "email": worker.email,
            "role": "budget_authoriser",
            "spending_limit": "£12,500",
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/organisations/{org}?done=added"
    page = words(assert_page(await admin.client.get(response.headers["location"])))
    assert "Role added" in page
    assert "£12,500.00 a year" in page

    again = await admin.client.post(
        f"/organisations/{org}/staff/add",
        data={"email": worker.email, "role": "budget_authoriser", "spending_limit": "100"},
    )
    summary = error_summary(assert_page(again, 409))
    assert summary[0].startswith("Worker is already a budget authoriser at Borsetshire")


async def test_a_limit_typed_for_another_role_is_left_out(admin, worker) -> None:
    org = await new_org(admin)
    response = await admin.client.post(
        f"/organisations/{org}/staff/add",
        data={"email": worker.email, "role": "coordinator", "spending_limit": "900"},
    )
    assert response.status_code == 303, response.text
    added = [r for r in await staff_json(admin, org) if r["email"] == worker.email]
    assert [(r["role"], r["spending_limit_pence"]) for r in added] == [("coordinator", None)]


# --- changing a limit and ending a role ---------------------------------------------------


async def test_changing_a_limit_keeps_the_old_one_in_the_history(admin, worker) -> None:
    org = await new_org(admin)
    role = await give_role(worker, org, Role.BUDGET_AUTHORISER, 1_250_000)
    url = f"/organisations/{org}/staff/{role.id}/limit"
    form = assert_page(await admin.client.get(url))
    assert 'value="12500.00"' in form
    assert "Change Worker's spending limit" in words(form)

    bad = assert_page(await admin.client.post(url, data={"spending_limit": "0"}), 400)
    assert error_summary(bad) == ["The spending limit must be more than £0.00"]
    same = assert_page(await admin.client.post(url, data={"spending_limit": "12500"}), 400)
    assert error_summary(same) == [
        "The spending limit is already £12,500.00 a year. Enter a different amount."
    ]

    done = await admin.client.post(
        url, data={"_csrf_token": form_token(form, url), "spending_limit": "15,000.50"}
    )
    assert done.status_code == 303, done.text
    page = words(assert_page(await admin.client.get(done.headers["location"])))
    assert "Spending limit changed" in page
    assert "£15,000.50 a year" in page
    assert "£12,500.00" not in page

    history = words(assert_page(await admin.client.get(f"/organisations/{org}/history")))
    assert "£12,500.00 a year" in history
    assert "Ended by Admin" in history
    # The old role cannot be changed any more.
    assert_page(await admin.client.get(url), 409)


async def test_ending_a_role_asks_first_then_keeps_a_record(admin, worker) -> None:
    org = await new_org(admin)
    role = await give_role(worker, org, Role.TEAM_MANAGER)
    url = f"/organisations/{org}/staff/{role.id}/end"
    page = assert_page(await admin.client.get(url))
    confirm = words(page)
    assert "Are you sure you want to end this role?" in confirm
    assert "Team manager" in confirm and worker.email in confirm
    assert "No role here has ended yet" in words(
        assert_page(await admin.client.get(f"/organisations/{org}/history"))
    )

    done = await admin.client.post(url, data={"_csrf_token": form_token(page, url)})
    assert done.status_code == 303, done.text
    assert "Role ended" in words(assert_page(await admin.client.get(done.headers["location"])))
    history = words(assert_page(await admin.client.get(f"/organisations/{org}/history")))
    assert "Worker" in history and "Team manager" in history
    assert worker.email not in words(assert_page(await admin.client.get(f"/organisations/{org}")))
    assert_page(await worker.client.get(f"/organisations/{org}"), 404)


async def test_the_last_admin_is_told_why_they_cannot_go(admin) -> None:
    org = await new_org(admin)
    own = (await staff_json(admin, org))[0]
    response = await admin.client.post(f"/organisations/{org}/staff/{own['id']}/end", data={})
    page = assert_page(response, 409)
    assert "must keep at least one admin" in words(page)
    assert "Yes, end this role" not in page
    assert [r["current"] for r in await staff_json(admin, org, ended=True)] == [True]


async def test_names_people_typed_are_shown_as_text(admin) -> None:
    email = f"xss-{uuid.uuid4().hex[:8]}@example.org"
    await create_user(email, PASSWORD, "<script>alert(1)</script>")
    org = await new_org(admin)
    role = await give_role(email, org, Role.BUDGET_AUTHORISER, 100)
    for path in ("", f"/staff/{role.id}/end", f"/staff/{role.id}/limit"):
        page = assert_page(await admin.client.get(f"/organisations/{org}{path}"))
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_a_role_without_a_limit_has_no_limit_page(admin, worker) -> None:
    org = await new_org(admin)
    role = await give_role(worker, org, Role.COORDINATOR)
    page = words(
        assert_page(await admin.client.get(f"/organisations/{org}/staff/{role.id}/limit"), 409)
    )
    assert (
        "Only a budget authoriser has a spending limit, and this role is care coordinator" in page
    )
