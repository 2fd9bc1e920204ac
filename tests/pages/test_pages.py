"""The server-rendered pages, spoken to over HTTP as a browser without JavaScript would.

Each test starts its own plan through the API, then uses the pages like a person would:
GET a form, POST what they typed, follow the redirect, and read what the page says.
Saved content is checked back through the JSON API, which reads the same services.
"""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from portal.routes.pages.forms import FieldProblem, parse_pounds
from tests.conftest import PASSWORD

SECTION_KEYS = (
    "starting_point",
    "about_me",
    "working_not_working",
    "important_to_for",
    "staying_safe",
    "outcomes",
    "money",
    "action_plan",
    "review",
    "contacts",
)
XSS = "<script>alert(1)</script>"


# --- helpers ----------------------------------------------------------------------------


async def start_plan(persona: Any, title: str = "") -> str:
    response = await persona.client.post(
        "/api/v1/plans", json={"kind": "care_and_support", "title": title}
    )
    assert response.status_code == 201, response.text
    plan_id: str = response.json()["id"]
    return plan_id


async def read_section(persona: Any, plan_id: str, key: str) -> dict[str, Any]:
    response = await persona.client.get(f"/api/v1/plans/{plan_id}/sections/{key}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_page(response: httpx.Response, status: int = 200) -> str:
    """An HTML page with this status, one h1, a title, and nothing the CSP would block."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html"), response.headers
    page = response.text
    assert len(re.findall(r"<h1[\s>]", page)) == 1, "a page has exactly one h1"
    assert re.search(r"<title>[^<]*\S[^<]*</title>", page)
    # Strict CSP: no style attributes, and no inline script but the NHS.UK template's one.
    assert " style=" not in page
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert len(inline_scripts) == 1, inline_scripts
    return page


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', page)
    assert match, f"no hidden {name} in the page"
    return html.unescape(match.group(1))


def criterion_status(page: str, number: int) -> str:
    """The status tag text of criterion `number` on the overview's task list."""
    match = re.search(
        rf'id="criterion-{number}-status">\s*'
        r'<strong class="nhsuk-tag[^"]*"\s*>\s*([^<]+?)\s*</strong>',
        page,
    )
    assert match, f"no status for criterion {number}"
    return match.group(1)


async def open_form(persona: Any, plan_id: str, key: str) -> str:
    return assert_page(await persona.client.get(f"/plans/{plan_id}/sections/{key}"))


async def post_section(
    persona: Any, plan_id: str, key: str, data: dict[str, Any], version: int | None = None
) -> httpx.Response:
    """Open the section's form and send it as a browser would, with its hidden fields."""
    form = await open_form(persona, plan_id, key)
    if version is None:
        version = int(hidden(form, "version"))
    fields = {"_csrf_token": hidden(form, "_csrf_token"), "version": str(version)}
    return await persona.client.post(f"/plans/{plan_id}/sections/{key}", data={**fields, **data})


async def add_rows(persona: Any, plan_id: str) -> dict[str, str]:
    """One of each kind of row through the API; returns their ids by page part."""
    api = f"/api/v1/plans/{plan_id}"
    outcome = await persona.client.post(
        f"{api}/outcomes", json={"title": "Swim weekly", "how": "Pool"}
    )
    assert outcome.status_code == 201, outcome.text
    outcome_id = outcome.json()["id"]
    support = await persona.client.post(
        f"{api}/support-items",
        json={
            "description": "PA hours",
            "cost_pence": 5000,
            "frequency": "weekly",
            "outcome_id": outcome_id,
        },
    )
    action = await persona.client.post(
        f"{api}/actions", json={"what": "Book lessons", "who": "Me", "due_by": "2027-03-15"}
    )
    contact = await persona.client.post(f"{api}/contacts", json={"name": "Dr Patel", "role": "GP"})
    for response in (support, action, contact):
        assert response.status_code == 201, response.text
    return {
        "outcomes": outcome_id,
        "money/items": support.json()["id"],
        "actions": action.json()["id"],
        "contacts": contact.json()["id"],
    }


# --- signing in and out -----------------------------------------------------------------


async def test_home_sends_people_to_sign_in_or_their_plans(client, owner) -> None:
    signed_out = await client.get("/")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/sign-in"
    signed_in = await owner.client.get("/")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/plans"


async def test_sign_in_page_signs_in_with_the_api_session_cookie(client, owner) -> None:
    # A cookie planted before sign-in is ended, not reused.
    # (In the site's own cookie domain, as a browser keeps it, so the new cookie replaces it.)
    client.cookies.set("portal_sid", "planted-before-sign-in", domain="testserver.local")
    page = assert_page(await client.get("/sign-in"))
    assert ">Sign in</h1>" in page
    assert 'autocomplete="current-password"' in page

    form = {"email": owner.email, "password": PASSWORD, "_csrf_token": hidden(page, "_csrf_token")}
    response = await client.post("/sign-in", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == "/plans"
    cookie = response.cookies.get("portal_sid")
    assert cookie and cookie != "planted-before-sign-in"
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie

    plans = assert_page(await client.get("/plans"))
    assert ">My plans</h1>" in plans
    who = await client.get("/api/v1/session")
    assert who.status_code == 200 and who.json()["email"] == owner.email


async def test_wrong_password_shows_an_error_summary_without_saying_which(client, owner) -> None:
    wrong = await client.post(
        "/sign-in", data={"email": owner.email, "password": "not-the-password"}
    )
    page = assert_page(wrong, 401)
    assert "nhsuk-error-summary" in page and "There is a problem" in page
    assert '<a href="#email"' in page
    assert f'value="{owner.email}"' in page, "the email typed is kept"
    assert "not-the-password" not in page, "a password is never sent back"
    assert "<title>Error: Sign in – Plan portal</title>" in page

    unknown = await client.post(
        "/sign-in", data={"email": "nobody-here@example.org", "password": "not-the-password"}
    )
    unknown_page = assert_page(unknown, 401)

    def message(text: str) -> str:
        found = re.search(
            r'<span class="nhsuk-error-message"[^>]*>(.*?)</span>\s*<input', text, re.S
        )
        assert found
        return re.sub(r"\s+", " ", found.group(1))

    assert message(page) == message(unknown_page), "no hint whether the email has an account"
    assert "portal_sid" not in wrong.headers.get("set-cookie", "")


async def test_empty_sign_in_says_what_to_enter(client) -> None:
    page = assert_page(await client.post("/sign-in", data={"email": "", "password": ""}), 400)
    assert "Enter your email address" in page and "Enter your password" in page


async def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client, owner) -> None:
    plan_id = await start_plan(owner)
    asked = await client.get(f"/plans/{plan_id}/money")
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/sign-in?next=/plans/{plan_id}/money"
    page = assert_page(await client.get(asked.headers["location"]))
    assert hidden(page, "next") == f"/plans/{plan_id}/money"
    back = await client.post(
        "/sign-in",
        data={"email": owner.email, "password": PASSWORD, "next": f"/plans/{plan_id}/money"},
    )
    assert back.headers["location"] == f"/plans/{plan_id}/money"

    await client.post("/sign-out")
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = await client.post(
            "/sign-in", data={"email": owner.email, "password": PASSWORD, "next": evil}
        )
        assert response.headers["location"] == "/plans", evil


async def test_sign_out_ends_the_session(owner) -> None:
    response = await owner.client.post("/sign-out")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert (await owner.client.get("/api/v1/session")).status_code == 401
    assert (await owner.client.get("/plans")).headers["location"] == "/sign-in"


async def test_pages_need_sign_in(client, owner) -> None:
    plan_id = await start_plan(owner)
    for url in ("/plans", f"/plans/{plan_id}", f"/plans/{plan_id}/sections/about_me"):
        response = await client.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/sign-in"), url
    posted = await client.post(f"/plans/{plan_id}/sections/about_me", data={"version": "0"})
    assert posted.status_code == 303
    assert posted.headers["location"] == "/sign-in"


# --- every page renders, and only for the owner -----------------------------------------


async def test_every_page_renders_for_the_owner(owner) -> None:
    plan_id = await start_plan(owner)
    rows = await add_rows(owner, plan_id)
    urls = [
        "/plans",
        f"/plans/{plan_id}",
        f"/plans/{plan_id}/outcomes",
        f"/plans/{plan_id}/money",
        f"/plans/{plan_id}/actions",
        f"/plans/{plan_id}/contacts",
    ]
    urls += [f"/plans/{plan_id}/sections/{key}" for key in SECTION_KEYS]
    urls += [f"/plans/{plan_id}/sections/{key}/history" for key in SECTION_KEYS]
    for part, row_id in rows.items():
        urls += [f"/plans/{plan_id}/{part}/{row_id}", f"/plans/{plan_id}/{part}/{row_id}/remove"]
    for url in urls:
        page = assert_page(await owner.client.get(url))
        assert "Sign out" in page, url
        assert 'aria-current="page"' in page, f"{url} marks where it is in the navigation"

    overview = assert_page(await owner.client.get(f"/plans/{plan_id}"))
    for number in range(1, 10):
        assert criterion_status(overview, number) in ("Met", "Partly done", "Not started")
    money = assert_page(await owner.client.get(f"/plans/{plan_id}/money"))
    assert "£50.00 every week" in money
    assert "£2,600.00 a year" in money
    assert "Swim weekly" in money


STRANGER_GETS = (
    "",
    "/outcomes",
    "/money",
    "/actions",
    "/contacts",
    "/sections/starting_point",
    "/sections/money",
    "/sections/review/history",
)


async def test_a_stranger_gets_the_404_page_for_every_plan_page(owner, stranger) -> None:
    plan_id = await start_plan(owner, title="Private plan")
    rows = await add_rows(owner, plan_id)
    urls = [f"/plans/{plan_id}{part}" for part in STRANGER_GETS]
    urls += [f"/plans/{plan_id}/{part}/{row_id}" for part, row_id in rows.items()]
    urls += [f"/plans/{plan_id}/{part}/{row_id}/remove" for part, row_id in rows.items()]
    for url in urls:
        page = assert_page(await stranger.client.get(url), 404)
        assert "Page not found" in page, url
        assert "Private plan" not in page and "Swim weekly" not in page, url

    posts = {
        f"/plans/{plan_id}/sections/starting_point": {"version": "0", "what_i_enjoy": "hijack"},
        f"/plans/{plan_id}/sections/starting_point/resolve": {"version": "0"},
        f"/plans/{plan_id}/sections/starting_point/history/1/restore": {"based_on": "0"},
        f"/plans/{plan_id}/outcomes": {"title": "hijack"},
        f"/plans/{plan_id}/outcomes/{rows['outcomes']}": {"version": "1", "title": "hijack"},
        f"/plans/{plan_id}/outcomes/{rows['outcomes']}/remove": {"version": "1"},
        f"/plans/{plan_id}/money/items/{rows['money/items']}/remove": {"version": "1"},
        f"/plans/{plan_id}/contacts/{rows['contacts']}/remove": {},
    }
    for url, data in posts.items():
        assert_page(await stranger.client.post(url, data=data), 404)

    unchanged = await read_section(owner, plan_id, "starting_point")
    assert unchanged["version"] == 0
    outcomes = (await owner.client.get(f"/api/v1/plans/{plan_id}/outcomes")).json()
    assert [o["title"] for o in outcomes] == ["Swim weekly"]


async def test_unknown_pages_are_html_but_the_api_stays_json(owner) -> None:
    page = assert_page(await owner.client.get("/no-such-page"), 404)
    assert "Page not found" in page
    plan_id = await start_plan(owner)
    assert_page(await owner.client.get(f"/plans/{plan_id}/sections/not_a_section"), 404)
    assert_page(await owner.client.get("/plans/not-a-uuid"), 404)
    api = await owner.client.get("/api/v1/plans/00000000-0000-0000-0000-000000000000")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


# --- plans ------------------------------------------------------------------------------


async def test_starting_a_plan_from_my_plans(owner) -> None:
    missing = assert_page(await owner.client.post("/plans", data={"title": "Kept"}), 400)
    assert "Choose what kind of plan to start" in missing
    assert '<a href="#kind"' in missing
    assert 'value="Kept"' in missing

    response = await owner.client.post("/plans", data={"kind": "carer_support", "title": "For me"})
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/plans/[0-9a-f-]{36}\?started=1", location)
    overview = assert_page(await owner.client.get(location))
    assert "Plan started" in overview
    assert "Carer&#39;s support plan" in overview or "Carer's support plan" in overview

    listing = assert_page(await owner.client.get("/plans"))
    assert "For me" in listing
    assert "0 of 9" in listing
    assert "Last changed" in listing


# --- sections ---------------------------------------------------------------------------


async def test_saving_a_section_form_meets_its_criterion(owner) -> None:
    plan_id = await start_plan(owner)
    before = assert_page(await owner.client.get(f"/plans/{plan_id}"))
    assert criterion_status(before, 1) == "Not started"

    form = await open_form(owner, plan_id, "starting_point")
    assert "What do you want to achieve in the next part of your life?" in form, "prompts shown"
    assert "Say what you want to achieve" in form, "what is missing is shown"
    assert hidden(form, "version") == "0"

    partly = await post_section(owner, plan_id, "starting_point", {"what_i_enjoy": "Gardening"})
    assert partly.status_code == 303
    overview = assert_page(await owner.client.get(partly.headers["location"]))
    assert criterion_status(overview, 1) == "Partly done"

    saved = await post_section(
        owner,
        plan_id,
        "starting_point",
        {
            "what_i_enjoy": "Gardening",
            "what_i_want_to_achieve": "Get back to the allotment\r\nSee friends",
            "who_helped_me_plan": "My daughter",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/plans/{plan_id}?saved=starting_point"

    section = await read_section(owner, plan_id, "starting_point")
    assert section["version"] == 2
    assert section["content"]["what_i_want_to_achieve"] == "Get back to the allotment\nSee friends"
    assert section["content"]["who_helped_me_plan"] == "My daughter"

    overview = assert_page(await owner.client.get(saved.headers["location"]))
    assert criterion_status(overview, 1) == "Met"
    assert "My starting point saved" in overview
    assert "1 of 9 criteria met" in overview


async def test_each_kind_of_field_is_read_from_the_form(owner) -> None:
    plan_id = await start_plan(owner)
    lists = await post_section(
        owner,
        plan_id,
        "working_not_working",
        {"working": "My PA\n\n  Day centre  \n", "not_working": "Evenings alone"},
    )
    assert lists.status_code == 303
    content = (await read_section(owner, plan_id, "working_not_working"))["content"]
    assert content == {"working": ["My PA", "Day centre"], "not_working": ["Evenings alone"]}

    about = await post_section(
        owner,
        plan_id,
        "about_me",
        {"who_i_am": "Sam", "makes_own_decisions": "no", "representative_name": "Alex"},
    )
    assert about.status_code == 303
    content = (await read_section(owner, plan_id, "about_me"))["content"]
    assert content["makes_own_decisions"] is False
    assert content["representative_name"] == "Alex"
    not_sure = await post_section(
        owner, plan_id, "about_me", {"who_i_am": "Sam", "makes_own_decisions": "not_sure"}
    )
    assert not_sure.status_code == 303
    assert (await read_section(owner, plan_id, "about_me"))["content"][
        "makes_own_decisions"
    ] is None

    risks = await post_section(
        owner,
        plan_id,
        "staying_safe",
        {
            "risks-count": "1",
            "risks-0-risk": "Falling at night",
            "risks-0-mitigation": "Grab rails",
            "risks-0-who_helps": "OT",
            "contingency_plan": "Call my sister",
            "then": "add-risk",
        },
    )
    assert risks.status_code == 303
    assert risks.headers["location"].startswith(f"/plans/{plan_id}/sections/staying_safe?saved=")
    content = (await read_section(owner, plan_id, "staying_safe"))["content"]
    assert content["risks"] == [
        {"risk": "Falling at night", "mitigation": "Grab rails", "who_helps": "OT"}
    ]
    form = await open_form(owner, plan_id, "staying_safe")
    assert "Falling at night" in form and 'name="risks-1-risk"' in form, "one empty risk to add"

    cleared = await post_section(
        owner,
        plan_id,
        "staying_safe",
        {"risks-count": "2", "risks-0-risk": "", "risks-0-mitigation": "", "risks-0-who_helps": ""},
    )
    assert cleared.status_code == 303
    assert (await read_section(owner, plan_id, "staying_safe"))["content"]["risks"] == []


async def test_text_people_type_is_shown_escaped(owner) -> None:
    plan_id = await start_plan(owner, title=XSS)
    saved = await post_section(owner, plan_id, "starting_point", {"what_i_enjoy": XSS})
    assert saved.status_code == 303
    added = await owner.client.post(f"/plans/{plan_id}/outcomes", data={"title": XSS, "how": XSS})
    assert added.status_code == 303
    escaped = html.escape(XSS, quote=False)
    for url in (
        "/plans",
        f"/plans/{plan_id}",
        f"/plans/{plan_id}/sections/starting_point",
        f"/plans/{plan_id}/sections/starting_point/history",
        f"/plans/{plan_id}/outcomes",
    ):
        page = assert_page(await owner.client.get(url))
        assert XSS not in page, url
        assert escaped in page, url


async def test_a_stale_form_that_conflicts_lets_the_person_choose(owner) -> None:
    plan_id = await start_plan(owner)
    form = await open_form(owner, plan_id, "starting_point")
    version = int(hidden(form, "version"))

    # Someone else saves first, through the API, from the same version.
    theirs = await owner.client.put(
        f"/api/v1/plans/{plan_id}/sections/starting_point",
        json={"what_i_enjoy": "Their words", "what_stops_me": "Buses"},
        headers={"If-Match": f'"{version}"'},
    )
    assert theirs.status_code == 200, theirs.text

    stale = await post_section(
        owner,
        plan_id,
        "starting_point",
        {"what_i_enjoy": "My words", "who_helped_me_plan": "My brother"},
        version=version,
    )
    page = assert_page(stale, 409)
    assert "Someone else changed this section" in page
    assert "My words" in page and "Their words" in page
    assert 'name="keep-what_i_enjoy"' in page
    assert 'name="keep-who_helped_me_plan"' not in page, "only true conflicts are asked about"

    after = await read_section(owner, plan_id, "starting_point")
    assert after["version"] == 1, "nothing was saved"
    assert after["content"]["what_i_enjoy"] == "Their words"

    resolve_url = f"/plans/{plan_id}/sections/starting_point/resolve"
    fields = {
        "version": hidden(page, "version"),
        "draft": hidden(page, "draft"),
        "theirs": hidden(page, "theirs"),
    }
    unchosen = assert_page(await owner.client.post(resolve_url, data=fields), 400)
    assert '<a href="#keep-what_i_enjoy"' in unchosen
    assert "My words" in unchosen, "still nothing lost"

    chosen = await owner.client.post(resolve_url, data={**fields, "keep-what_i_enjoy": "mine"})
    assert chosen.status_code == 303
    final = await read_section(owner, plan_id, "starting_point")
    assert final["version"] == 2
    assert final["content"]["what_i_enjoy"] == "My words"
    assert final["content"]["who_helped_me_plan"] == "My brother", "my other change kept"
    assert final["content"]["what_stops_me"] == "Buses", "their other change kept"


async def test_keeping_their_version_of_a_conflict(owner) -> None:
    plan_id = await start_plan(owner)
    await post_section(owner, plan_id, "review", {"care_coordinator_name": "First"})
    await owner.client.put(
        f"/api/v1/plans/{plan_id}/sections/review",
        json={"care_coordinator_name": "Theirs"},
        headers={"If-Match": '"1"'},
    )
    stale = await post_section(
        owner, plan_id, "review", {"care_coordinator_name": "Mine"}, version=1
    )
    page = assert_page(stale, 409)
    chosen = await owner.client.post(
        f"/plans/{plan_id}/sections/review/resolve",
        data={
            "version": hidden(page, "version"),
            "draft": hidden(page, "draft"),
            "theirs": hidden(page, "theirs"),
            "keep-care_coordinator_name": "theirs",
        },
    )
    assert chosen.status_code == 303
    section = await read_section(owner, plan_id, "review")
    assert section["content"]["care_coordinator_name"] == "Theirs"


async def test_a_stale_form_on_other_fields_merges_without_asking(owner) -> None:
    plan_id = await start_plan(owner)
    await owner.client.put(
        f"/api/v1/plans/{plan_id}/sections/starting_point",
        json={"what_stops_me": "Buses"},
        headers={"If-Match": '"0"'},
    )
    merged = await post_section(
        owner, plan_id, "starting_point", {"what_i_enjoy": "Gardening"}, version=0
    )
    assert merged.status_code == 303
    content = (await read_section(owner, plan_id, "starting_point"))["content"]
    assert content["what_i_enjoy"] == "Gardening" and content["what_stops_me"] == "Buses"


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("1,250.50", 125_050),
        ("£1250", 125_000),
        ("£ 1,250", 125_000),
        ("12.5", 1_250),
        ("0.07", 7),
        ("1234567.89", 123_456_789),
        (".5", 50),
    ],
)
def test_pounds_are_read_as_exact_pence(typed: str, pence: int) -> None:
    assert parse_pounds(typed, "The cost") == pence


@pytest.mark.parametrize(
    "typed", ["", "abc", "12.345", "1,25", "-5", "£", "1.2.3", "12,3456", "1e3"]
)
def test_pounds_that_cannot_be_read_are_refused(typed: str) -> None:
    with pytest.raises(FieldProblem):
        parse_pounds(typed, "The cost")


async def test_money_in_pounds_is_stored_as_exact_pence(owner) -> None:
    plan_id = await start_plan(owner)
    saved = await post_section(
        owner,
        plan_id,
        "money",
        {
            "allocation": "£12,345.67",
            "allocation_frequency": "annual",
            "holding": ["direct_payment", "third_party"],
            "holding_notes": "",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/plans/{plan_id}/money?saved=money"
    content = (await read_section(owner, plan_id, "money"))["content"]
    assert content["allocation_pence"] == 1_234_567
    assert isinstance(content["allocation_pence"], int)
    assert content["holding"] == ["direct_payment", "third_party"]

    form = await open_form(owner, plan_id, "money")
    assert 'value="12345.67"' in form

    added = await owner.client.post(
        f"/plans/{plan_id}/money",
        data={"description": "Gym", "cost": "19.99", "frequency": "weekly", "outcome": ""},
    )
    assert added.status_code == 303
    items = (await owner.client.get(f"/api/v1/plans/{plan_id}/support-items")).json()
    assert [(i["cost_pence"], i["frequency"]) for i in items] == [(1999, "weekly")]

    money = assert_page(await owner.client.get(f"/plans/{plan_id}/money"))
    assert "£19.99 every week" in money
    assert "£1,039.48 a year" in money
    # 12,345.67 a year against 1,039.48 a year of support.
    assert "Under by £11,306.19 a year" in money

    bad = assert_page(
        await owner.client.post(
            f"/plans/{plan_id}/money",
            data={"description": "Taxi", "cost": "12.345", "frequency": "weekly"},
        ),
        400,
    )
    assert '<a href="#cost"' in bad and "pounds and pence" in bad
    assert 'value="Taxi"' in bad and 'value="12.345"' in bad

    zero = assert_page(
        await post_section(
            owner, plan_id, "money", {"allocation": "0", "allocation_frequency": "annual"}
        ),
        400,
    )
    assert "more than £0.00" in zero


async def test_a_bad_date_re_renders_with_the_error_and_keeps_what_was_typed(owner) -> None:
    plan_id = await start_plan(owner)
    response = await post_section(
        owner,
        plan_id,
        "review",
        {
            "care_coordinator_name": "Sam O'Neill",
            "going_well_signs": "I sleep well\r\nI go out",
            "review_date[day]": "31",
            "review_date[month]": "2",
            "review_date[year]": "2027",
        },
    )
    page = assert_page(response, 400)
    assert "<title>Error: " in page
    assert '<a href="#review_date-day"' in page
    assert "When my plan will be reviewed must be a real date" in page
    assert 'value="Sam O&#39;Neill"' in page
    assert "I sleep well\nI go out" in page
    assert 'id="review_date-day" name="review_date[day]" type="text" value="31"' in page
    assert (await read_section(owner, plan_id, "review"))["version"] == 0, "nothing saved"

    partial = assert_page(
        await post_section(
            owner, plan_id, "review", {"review_date[day]": "3", "review_date[year]": "2027"}
        ),
        400,
    )
    assert "must include a month" in partial

    good = await post_section(
        owner,
        plan_id,
        "review",
        {"review_date[day]": "3", "review_date[month]": "4", "review_date[year]": "2027"},
    )
    assert good.status_code == 303
    assert (await read_section(owner, plan_id, "review"))["content"]["review_date"] == "2027-04-03"
    form = await open_form(owner, plan_id, "review")
    assert 'name="review_date[month]" type="text" value="4"' in form


async def test_too_long_text_is_refused_with_the_text_kept(owner) -> None:
    plan_id = await start_plan(owner)
    long_text = "a" * 5001
    page = assert_page(
        await post_section(
            owner, plan_id, "starting_point", {"what_stops_me": long_text, "what_i_enjoy": "Kept"}
        ),
        400,
    )
    assert '<a href="#what_stops_me"' in page
    assert "5,000 characters or fewer" in page
    assert long_text in page and "Kept" in page
    assert (await read_section(owner, plan_id, "starting_point"))["version"] == 0


async def test_history_lists_versions_and_restores_one(owner) -> None:
    plan_id = await start_plan(owner)
    await post_section(owner, plan_id, "starting_point", {"what_i_enjoy": "First words"})
    await post_section(owner, plan_id, "starting_point", {"what_i_enjoy": "Second words"})
    page = assert_page(await owner.client.get(f"/plans/{plan_id}/sections/starting_point/history"))
    assert page.index("Version 2") < page.index("Version 1"), "newest first"
    assert "First words" in page and "Second words" in page
    assert "Owner" in page, "who saved it"
    assert "What I enjoy doing" in page, "which fields changed, by their labels"
    assert page.count("Restore this version") == 1, "the current version needs no restoring"
    assert hidden(page, "based_on") == "2"

    restored = await owner.client.post(
        f"/plans/{plan_id}/sections/starting_point/history/1/restore", data={"based_on": "2"}
    )
    assert restored.status_code == 303
    assert (
        restored.headers["location"]
        == f"/plans/{plan_id}/sections/starting_point?restored=starting_point"
    )
    section = await read_section(owner, plan_id, "starting_point")
    assert section["version"] == 3 and section["content"]["what_i_enjoy"] == "First words"
    form = assert_page(await owner.client.get(restored.headers["location"]))
    assert "earlier version restored" in form

    stale = assert_page(
        await owner.client.post(
            f"/plans/{plan_id}/sections/starting_point/history/2/restore", data={"based_on": "2"}
        ),
        409,
    )
    assert "changed this section while you were looking" in stale
    assert (await read_section(owner, plan_id, "starting_point"))["version"] == 3


# --- outcomes, support, actions, contacts -------------------------------------------------


async def test_outcomes_are_added_changed_and_removed(owner) -> None:
    plan_id = await start_plan(owner)
    base = f"/plans/{plan_id}/outcomes"
    empty = assert_page(await owner.client.post(base, data={"title": " ", "how": "Kept how"}), 400)
    assert "Enter the outcome you want" in empty and "Kept how" in empty

    added = await owner.client.post(base, data={"title": "See friends", "how": "Club on Tuesdays"})
    assert added.status_code == 303 and added.headers["location"] == f"{base}?added=outcome"
    listing = assert_page(await owner.client.get(added.headers["location"]))
    assert "Outcome added" in listing and "See friends" in listing and "Proposed" in listing

    [outcome] = (await owner.client.get(f"/api/v1/plans/{plan_id}/outcomes")).json()
    item = f"{base}/{outcome['id']}"
    edit = assert_page(await owner.client.get(item))
    assert hidden(edit, "version") == "1"

    changed = await owner.client.post(
        item, data={"version": "1", "title": "See friends weekly", "how": "Club"}
    )
    assert changed.status_code == 303
    # A form opened at version 1 again, after the change above: their title is shown, mine kept.
    stale = assert_page(
        await owner.client.post(
            item, data={"version": "1", "title": "Mine instead", "how": "Club"}
        ),
        409,
    )
    assert "Someone else changed this outcome" in stale
    assert "See friends weekly" in stale and 'value="Mine instead"' in stale
    assert hidden(stale, "version") == "2"
    again = await owner.client.post(
        item, data={"version": "2", "title": "Mine instead", "how": "Club"}
    )
    assert again.status_code == 303
    [outcome] = (await owner.client.get(f"/api/v1/plans/{plan_id}/outcomes")).json()
    assert outcome["title"] == "Mine instead" and outcome["version"] == 3

    confirm = assert_page(await owner.client.get(f"{item}/remove"))
    assert "Are you sure you want to remove this outcome?" in confirm
    stale_remove = assert_page(
        await owner.client.post(f"{item}/remove", data={"version": "2"}), 409
    )
    assert "has just been changed" in stale_remove
    removed = await owner.client.post(f"{item}/remove", data={"version": "3"})
    assert removed.status_code == 303 and removed.headers["location"] == f"{base}?removed=outcome"
    assert (await owner.client.get(f"/api/v1/plans/{plan_id}/outcomes")).json() == []


async def test_actions_and_contacts_are_added_from_their_pages(owner) -> None:
    plan_id = await start_plan(owner)
    outcome = await owner.client.post(
        f"/plans/{plan_id}/outcomes", data={"title": "Cook again", "how": "Classes"}
    )
    assert outcome.status_code == 303
    [row] = (await owner.client.get(f"/api/v1/plans/{plan_id}/outcomes")).json()

    bad = assert_page(
        await owner.client.post(
            f"/plans/{plan_id}/actions",
            data={
                "what": "Book a class",
                "due_by[day]": "40",
                "due_by[month]": "1",
                "due_by[year]": "2027",
            },
        ),
        400,
    )
    assert '<a href="#due_by-day"' in bad and "Book a class" in bad
    action = await owner.client.post(
        f"/plans/{plan_id}/actions",
        data={
            "what": "Book a class",
            "who": "Me",
            "due_by[day]": "1",
            "due_by[month]": "2",
            "due_by[year]": "2027",
            "outcome": row["id"],
            "done": "yes",
        },
    )
    assert action.status_code == 303
    [saved] = (await owner.client.get(f"/api/v1/plans/{plan_id}/actions")).json()
    assert (
        saved["due_by"] == "2027-02-01"
        and saved["done"] is True
        and saved["outcome_id"] == row["id"]
    )
    actions = assert_page(await owner.client.get(f"/plans/{plan_id}/actions"))
    assert "1 February 2027" in actions and "Cook again" in actions and "Done" in actions

    wrong_outcome = assert_page(
        await owner.client.post(
            f"/plans/{plan_id}/actions",
            data={"what": "X", "outcome": "00000000-0000-0000-0000-000000000000"},
        ),
        400,
    )
    assert "Choose an outcome from the list" in wrong_outcome

    bad_contact = assert_page(
        await owner.client.post(
            f"/plans/{plan_id}/contacts",
            data={"name": "Dr Patel", "email": "not-an-email", "phone": "call me"},
        ),
        400,
    )
    assert "correct format" in bad_contact and "Enter a phone number" in bad_contact
    contact = await owner.client.post(
        f"/plans/{plan_id}/contacts",
        data={
            "name": "Dr Patel",
            "role": "GP",
            "email": "gp@example.org",
            "phone": "01632 960 001",
        },
    )
    assert contact.status_code == 303
    contacts = assert_page(await owner.client.get(f"/plans/{plan_id}/contacts"))
    assert "Dr Patel" in contacts and 'href="mailto:gp@example.org"' in contacts
    assert 'href="tel:01632960001"' in contacts


async def test_overview_shows_money_over_the_allocation(owner) -> None:
    plan_id = await start_plan(owner)
    await post_section(
        owner, plan_id, "money", {"allocation": "100", "allocation_frequency": "weekly"}
    )
    await owner.client.post(
        f"/plans/{plan_id}/money",
        data={"description": "Care", "cost": "150", "frequency": "weekly"},
    )
    overview = assert_page(await owner.client.get(f"/plans/{plan_id}"))
    assert "£100.00 a week" in overview and "£5,200.00 a year" in overview
    assert "£150.00 a week" in overview and "£7,800.00 a year" in overview
    assert "Over by £2,600.00 a year" in overview


async def test_the_outcomes_page_says_who_proposed_each_outcome(owner) -> None:
    c = owner.client
    plan = (await c.post("/api/v1/plans", json={"kind": "care_and_support"})).json()
    await c.post(f"/api/v1/plans/{plan['id']}/outcomes", json={"title": "Swim <weekly>"})
    page = await c.get(f"/plans/{plan['id']}/outcomes")
    assert page.status_code == 200
    assert "Proposed by" in page.text
    assert "Owner" in page.text
    assert "Swim &lt;weekly&gt;" in page.text
