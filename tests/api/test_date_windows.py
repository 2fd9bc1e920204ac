"""Every date a request carries is within a window that makes sense, counted from today in
England: the first and last allowed days are taken, a day outside is a 422 naming the field and
saying the window (a page shows it in its error summary), and nothing changes.

Windows (portal.bounds): sharing and invitation ends from today to 10 years ahead; a review
date after today to 10 years ahead; other plan dates (an action's due date, the review date
written in the plan) from 1 January 1900 to 10 years ahead.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import httpx
import msgspec
import pytest

from portal.bounds import EXPIRY, PLAN_DATE, REVIEW
from portal.core.clock import today as england_today
from portal.routes.pages.forms import FieldProblem, parse_date
from portal.routes.pages.sharing.words import end_of_day
from portal.signoff import schemas as signoff_schemas

from .helpers import assert_problem, create_plan, plan_url, snapshot

ABSURD = [dt.date(1, 1, 1), dt.date(9999, 12, 31)]


def outside(window_days: tuple[dt.date, dt.date]) -> list[dt.date]:
    first, last = window_days
    return [first - dt.timedelta(days=1), last + dt.timedelta(days=1), *ABSURD]


@pytest.fixture(scope="module")
async def plan(author) -> str:  # type: ignore[no-untyped-def]
    created = await create_plan(author.client, title="Dated plan")
    return str(created["id"])


def assert_window_refusal(response: httpx.Response, field: str) -> None:
    problem = assert_problem(response, 422, field)
    assert problem["errors"][0]["field"] == field, problem
    # The window in words, with the last day as a date a person can read.
    assert re.search(r"no later than \d{1,2} \w+ \d{4}", problem["detail"]), problem["detail"]


# --- plan dates: an action's due date and the review date in the plan ------------------------


async def test_an_action_due_date_is_from_1900_to_ten_years_ahead(author, plan) -> None:
    c: httpx.AsyncClient = author.client
    actions = f"{plan_url(plan)}/actions"
    first, last = PLAN_DATE.days()
    for day in (first, last):
        made = await c.post(actions, json={"what": "Edge", "due_by": day.isoformat()})
        assert made.status_code == 201, (day, made.text)
    before = await snapshot(c, plan)
    row = (await c.get(actions)).json()[0]
    for day in outside((first, last)):
        refused = await c.post(actions, json={"what": "Out", "due_by": day.isoformat()})
        problem = assert_problem(refused, 422, "due_by", "1 January 1900")
        assert problem["errors"][0]["field"] == "due_by"
        changed = await c.patch(
            f"{actions}/{row['id']}",
            json={"due_by": day.isoformat()},
            headers={"If-Match": f'"{row["version"]}"'},
        )
        assert_problem(changed, 422, "due_by")
    assert await snapshot(c, plan) == before


async def test_the_review_date_written_in_the_plan_is_a_plan_date(author, plan) -> None:
    c: httpx.AsyncClient = author.client
    section = f"{plan_url(plan)}/sections/review"
    first, last = PLAN_DATE.days()
    for day in (first, last):
        version = (await c.get(section)).json()["version"]
        saved = await c.put(
            section, json={"review_date": day.isoformat()}, headers={"If-Match": f'"{version}"'}
        )
        assert saved.status_code == 200, (day, saved.text)
    before = await snapshot(c, plan)
    version = (await c.get(section)).json()["version"]
    for day in outside((first, last)):
        refused = await c.put(
            section, json={"review_date": day.isoformat()}, headers={"If-Match": f'"{version}"'}
        )
        assert_problem(refused, 422, "review_date", "1 January 1900")
    assert await snapshot(c, plan) == before


# --- sharing and invitations end from today to 10 years ahead --------------------------------


async def test_a_grant_ends_from_today_to_ten_years_ahead(author, outsider, plan) -> None:
    c: httpx.AsyncClient = author.client
    grants = f"{plan_url(plan)}/grants"
    made = await c.post(
        grants,
        json={
            "sections": ["about_me"],
            "access": "view",
            "purpose": "To help",
            "grantee_email": outsider.email,
        },
    )
    assert made.status_code == 201, made.text
    grant = f"{grants}/{made.json()['id']}"
    first, last = EXPIRY.days()
    for day in (first, last):
        changed = await c.patch(grant, json={"expires_at": end_of_day(day).isoformat()})
        assert changed.status_code == 200, (day, changed.text)
    kept = (await c.get(grant)).json()
    for day in outside((first, last))[:2]:
        refused = await c.patch(grant, json={"expires_at": end_of_day(day).isoformat()})
        assert refused.status_code == 422, (day, refused.text)
    for moment in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00"):
        refused = await c.patch(grant, json={"expires_at": moment})
        assert_window_refusal(refused, "expires_at")
        new = await c.post(
            grants,
            json={
                "sections": ["about_me"],
                "access": "view",
                "purpose": "To help",
                "grantee_email": "nobody@example.org",
                "expires_at": moment,
            },
        )
        assert_window_refusal(new, "expires_at")
    assert (await c.get(grant)).json() == kept


async def test_an_invitation_shares_until_a_day_within_ten_years(author, plan) -> None:
    c: httpx.AsyncClient = author.client
    invitations = f"{plan_url(plan)}/invitations"
    body = {"sections": ["about_me"], "access": "view", "purpose": "Help me plan"}
    first, last = EXPIRY.days()
    for day in (first, last):
        made = await c.post(
            invitations, json={**body, "grant_expires_at": end_of_day(day).isoformat()}
        )
        assert made.status_code == 201, (day, made.text)
    listed = (await c.get(invitations)).json()
    # The day before today is refused by the service ("in the past"), as before.
    for day in outside((first, last))[1:2]:
        refused = await c.post(
            invitations, json={**body, "grant_expires_at": end_of_day(day).isoformat()}
        )
        assert_window_refusal(refused, "grant_expires_at")
    for moment in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
        refused = await c.post(invitations, json={**body, "grant_expires_at": moment})
        assert_window_refusal(refused, "grant_expires_at")
    assert (await c.get(invitations)).json() == listed


# --- the review date staff set when they authorise the budget --------------------------------


def test_the_budget_review_date_is_after_today_and_within_ten_years() -> None:
    first, last = REVIEW.days()
    assert first == england_today() + dt.timedelta(days=1)
    for day in (first, last):
        body = msgspec.json.encode({"version_hash": "x", "review_date": day})
        assert (
            msgspec.json.decode(body, type=signoff_schemas.AuthoriseBudgetRequest).review_date
            == day
        )
    for day in outside((first, last)):
        body = msgspec.json.encode({"version_hash": "x", "review_date": day})
        with pytest.raises(msgspec.ValidationError, match="review_date"):
            msgspec.json.decode(body, type=signoff_schemas.AuthoriseBudgetRequest)


async def test_an_absurd_budget_review_date_is_422_before_anything_is_looked_at(
    author, plan
) -> None:
    c: httpx.AsyncClient = author.client
    before = await snapshot(c, plan)
    for day in ABSURD:
        response = await c.post(
            f"{plan_url(plan)}/authorise-budget",
            json={"version_hash": "x", "review_date": day.isoformat()},
        )
        assert_window_refusal(response, "review_date")
    assert await snapshot(c, plan) == before


@pytest.mark.parametrize(
    ("window", "label"), [(EXPIRY, "The date sharing ends"), (REVIEW, "The review date")]
)
def test_a_date_typed_in_a_form_is_held_to_its_window(window: Any, label: str) -> None:
    first, last = window.days()

    def parts(day: dt.date) -> dict[str, str]:
        return {"day": str(day.day), "month": str(day.month), "year": f"{day.year:04d}"}

    assert parse_date(parts(first), label, window) == first
    assert parse_date(parts(last), label, window) == last
    for day in outside((first, last)):
        with pytest.raises(FieldProblem, match=f"{label} must be .*no later than"):
            parse_date(parts(day), label, window)


# --- pages: the error summary, never a 500 ---------------------------------------------------


def error_summary(page: str) -> list[tuple[str, str]]:
    summary = re.search(r'class="nhsuk-list nhsuk-error-summary__list">(.*?)</ul>', page, re.S)
    assert summary, "no error summary on the page"
    return [
        (href, " ".join(text.split()))
        for href, text in re.findall(r'<a href="([^"]+)"\s*>(.*?)</a>', summary.group(1), re.S)
    ]


def _date_fields(name: str, day: str, month: str, year: str) -> dict[str, str]:
    return {f"{name}[day]": day, f"{name}[month]": month, f"{name}[year]": year}


@pytest.mark.parametrize("year", ["9999", "0001", "1899"])
async def test_a_sharing_form_with_an_absurd_end_shows_the_error_summary(
    author, outsider, plan, year: str
) -> None:
    c: httpx.AsyncClient = author.client
    before = (await c.get(f"{plan_url(plan)}/grants")).json()
    response = await c.post(
        f"/plans/{plan}/sharing/new",
        data={
            "grantee": "email",
            "grantee_email": outsider.email,
            "sections": ["about_me"],
            "access": "view",
            "purpose": "To help me write my plan",
            **_date_fields("until", "31", "12", year),
        },
    )
    assert response.status_code == 400, response.text[:2000]
    [(href, message)] = error_summary(response.text)
    assert href == "#until-day" and "no later than" in message, message
    assert (await c.get(f"{plan_url(plan)}/grants")).json() == before


@pytest.mark.parametrize("year", ["9999", "0001"])
async def test_an_action_form_with_an_absurd_date_shows_the_error_summary(
    author, plan, year: str
) -> None:
    c: httpx.AsyncClient = author.client
    before = (await c.get(f"{plan_url(plan)}/actions")).json()
    response = await c.post(
        f"/plans/{plan}/actions",
        data={"what": "Book a class", **_date_fields("due_by", "1", "1", year)},
    )
    assert response.status_code == 400, response.text[:2000]
    [(href, message)] = error_summary(response.text)
    assert href == "#due_by-day" and "1 January 1900" in message, message
    assert (await c.get(f"{plan_url(plan)}/actions")).json() == before


async def test_a_conflict_resolved_with_an_absurd_date_saves_nothing(author, plan) -> None:
    """The draft a conflict page sends back is the person's own text: its dates are held too."""
    c: httpx.AsyncClient = author.client
    section = f"{plan_url(plan)}/sections/review"
    before = (await c.get(section)).json()
    response = await c.post(
        f"/plans/{plan}/sections/review/resolve",
        data={
            "version": str(before["version"]),
            "draft": json.dumps({"review_date": "9999-12-31"}),
            "theirs": "{}",
        },
    )
    assert response.status_code == 400, response.text[:2000]
    assert (await c.get(section)).json() == before
