"""Bad requests get a clear problem a person can act on, and nothing already saved changes.

One plan is filled in once for the module; after every refused request the whole plan, every
history and the plan list are read again and compared with how they were before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from .helpers import (
    SECTION_KEYS,
    add_row,
    assert_problem,
    change_section,
    create_plan,
    plan_url,
    snapshot,
)

LIMIT_BYTES = 256 * 1024  # the app's default max_body_bytes


@pytest.fixture(scope="module")
async def seeded(author, outsider) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A plan with content in sections and one of each row, every one at version 1."""
    c = author.client
    plan = await create_plan(c, title="Seeded plan")
    plan_id = plan["id"]
    await change_section(c, plan_id, "about_me", who_i_am="Jo", makes_own_decisions=True)
    await change_section(c, plan_id, "working_not_working", working=["Choir"])
    await change_section(
        c, plan_id, "staying_safe", risks=[{"risk": "Falls", "mitigation": "Rail"}]
    )
    await change_section(
        c, plan_id, "money", allocation_pence=1_000_000, holding=["direct_payment"]
    )
    outcome = await add_row(c, plan_id, "outcomes", title="Swim", how="With a PA")
    support = await add_row(
        c,
        plan_id,
        "support-items",
        description="PA",
        cost_pence=5_000,
        frequency="weekly",
        outcome_id=outcome["id"],
    )
    action = await add_row(c, plan_id, "actions", what="Book GP", who="Ana", due_by="2027-01-01")
    contact = await add_row(c, plan_id, "contacts", name="Ana", role="Sister")
    # Outcomes of other plans: the author's own second plan, and someone else's.
    other_plan = await create_plan(c, title="Second plan")
    own_other = await add_row(c, other_plan["id"], "outcomes", title="Elsewhere")
    their_plan = await create_plan(outsider.client)
    theirs = await add_row(outsider.client, their_plan["id"], "outcomes", title="Not yours")
    return {
        "plan": plan_id,
        "outcome": outcome["id"],
        "support": support["id"],
        "action": action["id"],
        "contact": contact["id"],
        "own_other_outcome": own_other["id"],
        "their_outcome": theirs["id"],
        "baseline": await snapshot(c, plan_id),
    }


@dataclass
class Bad:
    """One bad request: where it goes, what it sends, and what the problem must say."""

    name: str
    method: str
    path: str  # {plan}, {outcome}, ... are filled from the seeded plan
    status: int
    phrases: tuple[str, ...] = ()
    json: Any = None
    content: bytes | None = None
    if_match: str | None = '"1"'
    headers: dict[str, str] = field(default_factory=dict)


SECTION = "/api/v1/plans/{plan}/sections/about_me"
MONEY = "/api/v1/plans/{plan}/sections/money"
OUTCOMES = "/api/v1/plans/{plan}/outcomes"
OUTCOME = "/api/v1/plans/{plan}/outcomes/{outcome}"
SUPPORT_ITEMS = "/api/v1/plans/{plan}/support-items"
SUPPORT = "/api/v1/plans/{plan}/support-items/{support}"
ACTIONS = "/api/v1/plans/{plan}/actions"
ACTION = "/api/v1/plans/{plan}/actions/{action}"
CONTACT = "/api/v1/plans/{plan}/contacts/{contact}"
ABOUT_ME = {"who_i_am": "Jo", "makes_own_decisions": True}


def item(cost: Any, frequency: str = "weekly") -> dict[str, Any]:
    return {"description": "Support", "cost_pence": cost, "frequency": frequency}


def allocation(pence: Any, frequency: str = "annual") -> dict[str, Any]:
    return {
        "allocation_pence": pence,
        "allocation_frequency": frequency,
        "holding": ["direct_payment"],
    }


CASES = [
    # Wrong types.
    Bad(
        "section text is a number", "PUT", SECTION, 422, ("who_i_am", "text"), json={"who_i_am": 5}
    ),
    Bad(
        "section yes/no is text",
        "PUT",
        SECTION,
        422,
        ("makes_own_decisions", "true or false"),
        json={"makes_own_decisions": "yes"},
    ),
    Bad(
        "section list is text",
        "PUT",
        "/api/v1/plans/{plan}/sections/working_not_working",
        422,
        ("working", "list"),
        json={"working": "Choir"},
    ),
    Bad("section body is a list", "PUT", SECTION, 422, ("object",), json=["who_i_am"]),
    Bad(
        "section date is not a date",
        "PUT",
        "/api/v1/plans/{plan}/sections/review",
        422,
        ("review_date",),
        json={"review_date": "next spring"},
    ),
    Bad("allocation is text", "PUT", MONEY, 422, ("allocation_pence",), json=allocation("100")),
    Bad(
        "holding is unknown",
        "PUT",
        MONEY,
        422,
        ("holding",),
        json={"holding": ["under the mattress"]},
    ),
    Bad(
        "cost in pounds and pence",
        "POST",
        SUPPORT_ITEMS,
        422,
        ("cost_pence", "whole number"),
        json=item(12.5),
    ),
    Bad("cost as text", "POST", SUPPORT_ITEMS, 422, ("cost_pence",), json=item("1250")),
    Bad("unknown frequency", "POST", SUPPORT_ITEMS, 422, ("frequency",), json=item(1_000, "daily")),
    Bad(
        "due date is not a date",
        "POST",
        ACTIONS,
        422,
        ("due_by",),
        json={"what": "x", "due_by": "soon"},
    ),
    Bad("done is text", "PATCH", ACTION, 422, ("done",), json={"done": "yes"}),
    Bad("title is a list", "POST", OUTCOMES, 422, ("title",), json={"title": ["Swim"]}),
    Bad(
        "outcome id is not an id",
        "PATCH",
        SUPPORT,
        422,
        ("outcome_id",),
        json={"outcome_id": "abc"},
    ),
    Bad("plan kind unknown", "POST", "/api/v1/plans", 422, ("kind",), json={"kind": "holiday"}),
    Bad("plan without kind", "POST", "/api/v1/plans", 422, ("kind", "required"), json={}),
    # Unknown sections and fields.
    Bad(
        "unknown section read",
        "GET",
        "/api/v1/plans/{plan}/sections/holiday",
        404,
        ("holiday", *SECTION_KEYS),
    ),
    Bad(
        "unknown section write",
        "PUT",
        "/api/v1/plans/{plan}/sections/holiday",
        404,
        ("holiday", *SECTION_KEYS),
        json={},
    ),
    Bad(
        "unknown section history",
        "GET",
        "/api/v1/plans/{plan}/sections/holiday/revisions",
        404,
        ("holiday", *SECTION_KEYS),
    ),
    Bad(
        "unknown section restore",
        "POST",
        "/api/v1/plans/{plan}/sections/holiday/revisions/1/restore",
        404,
        ("holiday", *SECTION_KEYS),
    ),
    Bad(
        "unknown section field",
        "PUT",
        SECTION,
        422,
        ("favourite_colour", "remove it"),
        json={**ABOUT_ME, "favourite_colour": "blue"},
    ),
    Bad(
        "unknown field in a risk",
        "PUT",
        "/api/v1/plans/{plan}/sections/staying_safe",
        422,
        ("severity",),
        json={"risks": [{"risk": "Falls", "severity": 3}]},
    ),
    Bad(
        "risk without a risk",
        "PUT",
        "/api/v1/plans/{plan}/sections/staying_safe",
        422,
        ("risk", "required"),
        json={"risks": [{"mitigation": "Rail"}]},
    ),
    Bad(
        "unknown row field",
        "POST",
        OUTCOMES,
        422,
        ("colour",),
        json={"title": "Swim", "colour": "red"},
    ),
    Bad("unknown patch field", "PATCH", OUTCOME, 422, ("status",), json={"status": "agreed"}),
    Bad(
        "unknown plan field",
        "POST",
        "/api/v1/plans",
        422,
        ("owner",),
        json={"kind": "care_and_support", "owner": "someone"},
    ),
    # Money that cannot be right: support items.
    Bad("negative cost", "POST", SUPPORT_ITEMS, 422, ("£0.00",), json=item(-100)),
    Bad("zero cost", "POST", SUPPORT_ITEMS, 422, ("£0.00",), json=item(0)),
    Bad(
        "absurd weekly cost",
        "POST",
        SUPPORT_ITEMS,
        422,
        ("£1,000,000.00 a week",),
        json=item(100_000_001),
    ),
    Bad(
        "absurd monthly cost",
        "POST",
        SUPPORT_ITEMS,
        422,
        ("£1,000,000.00 a week",),
        json=item(433_333_334, "monthly"),
    ),  # 5,200,000,008 a year
    Bad(
        "absurd four-weekly cost",
        "POST",
        SUPPORT_ITEMS,
        422,
        ("£1,000,000.00 a week",),
        json=item(400_000_001, "four_weekly"),
    ),
    Bad(
        "absurd annual cost",
        "POST",
        SUPPORT_ITEMS,
        422,
        ("£1,000,000.00 a week",),
        json=item(5_200_000_001, "annual"),
    ),
    Bad(
        "absurd one-off cost",
        "POST",
        SUPPORT_ITEMS,
        422,
        ("£1,000,000.00 a week",),
        json=item(5_200_000_001, "one_off"),
    ),
    Bad("astronomical cost", "POST", SUPPORT_ITEMS, 422, ("cost_pence",), json=item(10**30)),
    Bad("cost patched to zero", "PATCH", SUPPORT, 422, ("£0.00",), json={"cost_pence": 0}),
    Bad(
        "cost patched to absurd",
        "PATCH",
        SUPPORT,
        422,
        ("a week",),
        json={"cost_pence": 100_000_001},
    ),
    Bad(
        "frequency patched to absurd",
        "PATCH",
        SUPPORT,
        422,
        ("cost",),
        json={"frequency": "one_off", "cost_pence": 6_000_000_000},
    ),
    # Money that cannot be right: the allocation.
    Bad("negative allocation", "PUT", MONEY, 422, ("allocation_pence",), json=allocation(-1)),
    Bad("zero allocation", "PUT", MONEY, 422, ("allocation", "£0.00"), json=allocation(0)),
    Bad(
        "absurd weekly allocation",
        "PUT",
        MONEY,
        422,
        ("£1,000,000.00 a week",),
        json=allocation(100_000_001, "weekly"),
    ),
    Bad(
        "absurd monthly allocation",
        "PUT",
        MONEY,
        422,
        ("£1,000,000.00 a week",),
        json=allocation(433_333_334, "monthly"),
    ),
    Bad(
        "absurd annual allocation",
        "PUT",
        MONEY,
        422,
        ("£1,000,000.00 a week",),
        json=allocation(5_200_000_001, "annual"),
    ),
    Bad("astronomical allocation", "PUT", MONEY, 422, ("allocation",), json=allocation(10**30)),
    # Text over the limits.
    Bad(
        "long text of 5001",
        "PUT",
        SECTION,
        422,
        ("who_i_am", "5000"),
        json={"who_i_am": "x" * 5001},
    ),
    Bad(
        "short text of 201",
        "PUT",
        SECTION,
        422,
        ("representative_name", "200"),
        json={**ABOUT_ME, "representative_name": "x" * 201},
    ),
    Bad(
        "list of 51",
        "PUT",
        "/api/v1/plans/{plan}/sections/working_not_working",
        422,
        ("working", "50"),
        json={"working": ["Choir"] * 51},
    ),
    Bad(
        "list item of 5001",
        "PUT",
        "/api/v1/plans/{plan}/sections/working_not_working",
        422,
        ("5000",),
        json={"working": ["x" * 5001]},
    ),
    Bad(
        "51 risks",
        "PUT",
        "/api/v1/plans/{plan}/sections/staying_safe",
        422,
        ("risks", "50"),
        json={"risks": [{"risk": "Falls", "mitigation": "Rail"}] * 51},
    ),
    Bad("outcome title of 201", "POST", OUTCOMES, 422, ("title", "200"), json={"title": "x" * 201}),
    Bad(
        "outcome how of 5001",
        "POST",
        OUTCOMES,
        422,
        ("how", "5000"),
        json={"title": "x", "how": "x" * 5001},
    ),
    Bad("patched title of 201", "PATCH", OUTCOME, 422, ("title", "200"), json={"title": "x" * 201}),
    Bad("action of 5001", "POST", ACTIONS, 422, ("what", "5000"), json={"what": "x" * 5001}),
    Bad("contact name of 201", "PATCH", CONTACT, 422, ("name", "200"), json={"name": "x" * 201}),
    Bad(
        "plan title of 201",
        "POST",
        "/api/v1/plans",
        422,
        ("title", "200"),
        json={"kind": "care_and_support", "title": "x" * 201},
    ),
    # Empty where something is required.
    Bad("patched empty title", "PATCH", OUTCOME, 422, ("title", "empty"), json={"title": ""}),
    Bad(
        "patched empty description",
        "PATCH",
        SUPPORT,
        422,
        ("description", "empty"),
        json={"description": ""},
    ),
    Bad("patched empty action", "PATCH", ACTION, 422, ("what", "empty"), json={"what": ""}),
    Bad("patched empty contact name", "PATCH", CONTACT, 422, ("name", "empty"), json={"name": ""}),
    Bad("outcome without a title", "POST", OUTCOMES, 422, ("title", "required"), json={"how": "x"}),
    # Too big to read at all.
    Bad(
        "section body over the limit",
        "PUT",
        SECTION,
        413,
        ("too large",),
        content=b'{"who_i_am": "' + b"x" * LIMIT_BYTES + b'"}',
    ),
    Bad(
        "row body over the limit",
        "POST",
        OUTCOMES,
        413,
        ("too large",),
        content=b'{"title": "' + b"x" * LIMIT_BYTES + b'"}',
    ),
    Bad(
        "patch body over the limit",
        "PATCH",
        OUTCOME,
        413,
        ("too large",),
        content=b'{"how": "' + b"x" * LIMIT_BYTES + b'"}',
    ),
    # Not JSON.
    Bad(
        "malformed section JSON", "PUT", SECTION, 400, ("not valid JSON",), content=b'{"who_i_am": '
    ),
    Bad("empty section body", "PUT", SECTION, 400, ("not valid JSON",), content=b""),
    Bad(
        "malformed row JSON",
        "POST",
        OUTCOMES,
        400,
        ("not valid JSON",),
        content=b'{"title": "Swim",}',
    ),
    Bad(
        "malformed patch JSON",
        "PATCH",
        OUTCOME,
        400,
        ("not valid JSON",),
        content=b"{title: 'Swim'}",
    ),
    Bad("malformed plan JSON", "POST", "/api/v1/plans", 400, ("not valid JSON",), content=b"{"),
    # Missing, stale and unreadable versions.
    Bad(
        "section write without a version",
        "PUT",
        SECTION,
        428,
        ("If-Match",),
        json=ABOUT_ME,
        if_match=None,
    ),
    Bad(
        "patch without a version",
        "PATCH",
        OUTCOME,
        428,
        ("If-Match",),
        json={"how": "Bus"},
        if_match=None,
    ),
    Bad("delete without a version", "DELETE", OUTCOME, 428, ("If-Match",), if_match=None),
    Bad(
        "restore without a version",
        "POST",
        SECTION + "/revisions/1/restore",
        428,
        ("If-Match",),
        if_match=None,
    ),
    Bad("stale delete", "DELETE", SUPPORT, 409, ("nothing was saved",), if_match='"0"'),
    Bad(
        "stale patch of an old version",
        "PATCH",
        OUTCOME,
        409,
        ("nothing was saved",),
        json={"how": "Bus"},
        if_match='"0"',
    ),
    Bad(
        "future section version",
        "PUT",
        SECTION,
        412,
        ("version 5",),
        json={**ABOUT_ME, "who_i_am": "Joe"},
        if_match='"5"',
    ),
    Bad("if-match is a word", "PUT", SECTION, 400, ('"3"',), json=ABOUT_ME, if_match="abc"),
    Bad(
        "if-match is negative",
        "PATCH",
        OUTCOME,
        400,
        ('"3"',),
        json={"how": "Bus"},
        if_match='"-1"',
    ),
    Bad("if-match is a fraction", "DELETE", CONTACT, 400, ('"3"',), if_match='"1.0"'),
    Bad(
        "if-match is enormous",
        "POST",
        SECTION + "/revisions/1/restore",
        400,
        ('"3"',),
        if_match='"1' + "0" * 20 + '"',
    ),
    # Plans and rows that are not there.
    Bad("unknown plan", "GET", "/api/v1/plans/" + str(uuid.UUID(int=1)), 404, ("no plan",)),
    Bad(
        "unknown plan write",
        "PUT",
        "/api/v1/plans/" + str(uuid.UUID(int=1)) + "/sections/about_me",
        404,
        ("no plan",),
        json=ABOUT_ME,
    ),
    Bad("malformed plan id", "GET", "/api/v1/plans/not-a-plan", 404, ("address",)),
    Bad(
        "malformed plan id in a row path",
        "POST",
        "/api/v1/plans/12345/outcomes",
        404,
        ("address",),
        json={"title": "Swim"},
    ),
    Bad(
        "unknown outcome",
        "PATCH",
        "/api/v1/plans/{plan}/outcomes/" + str(uuid.UUID(int=2)),
        404,
        ("outcome",),
        json={"how": "Bus"},
    ),
    Bad("unknown revision", "POST", SECTION + "/revisions/9/restore", 404, ("version 9",)),
    # Links to outcomes of other plans.
    Bad(
        "support for the author's other plan",
        "POST",
        SUPPORT_ITEMS,
        422,
        ("outcome",),
        json={**item(1_000), "outcome_id": "{own_other_outcome}"},
    ),
    Bad(
        "support for someone else's outcome",
        "POST",
        SUPPORT_ITEMS,
        422,
        ("outcome",),
        json={**item(1_000), "outcome_id": "{their_outcome}"},
    ),
    Bad(
        "support for an outcome that never was",
        "POST",
        SUPPORT_ITEMS,
        422,
        ("outcome",),
        json={**item(1_000), "outcome_id": str(uuid.UUID(int=3))},
    ),
    Bad(
        "support relinked to another plan",
        "PATCH",
        SUPPORT,
        422,
        ("outcome",),
        json={"outcome_id": "{own_other_outcome}"},
    ),
    Bad(
        "action for someone else's outcome",
        "POST",
        ACTIONS,
        422,
        ("outcome",),
        json={"what": "x", "outcome_id": "{their_outcome}"},
    ),
    Bad(
        "action relinked to another plan",
        "PATCH",
        ACTION,
        422,
        ("outcome",),
        json={"outcome_id": "{own_other_outcome}"},
    ),
]


def fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize("bad", CASES, ids=[case.name for case in CASES])
async def test_a_bad_request_is_refused_clearly_and_changes_nothing(
    author, seeded, bad: Bad
) -> None:
    c: httpx.AsyncClient = author.client
    headers = dict(bad.headers)
    if bad.if_match is not None:
        headers["If-Match"] = bad.if_match
    if bad.content is not None:
        headers["Content-Type"] = "application/json"
    kwargs: dict[str, Any] = {"headers": headers}
    if bad.content is not None:
        kwargs["content"] = bad.content
    elif bad.json is not None:
        kwargs["json"] = fill(bad.json, seeded)
    response = await c.request(bad.method, bad.path.format(**seeded), **kwargs)
    assert_problem(response, bad.status, *bad.phrases)
    assert await snapshot(c, seeded["plan"]) == seeded["baseline"]


async def test_wrong_password_and_unknown_email_get_the_same_answer(client, author) -> None:
    wrong = await client.post(
        "/api/v1/session", json={"email": author.email, "password": "not-the-password"}
    )
    unknown = await client.post(
        "/api/v1/session",
        json={"email": f"nobody-{uuid.uuid4().hex}@example.org", "password": "not-the-password"},
    )
    body = assert_problem(wrong, 401, "email address or password")
    assert assert_problem(unknown, 401) == body
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers
    assert_problem(await client.get("/api/v1/session"), 401)
    # Badly formed sign-in requests are problems too, not errors.
    assert_problem(
        await client.post("/api/v1/session", json={"email": author.email}), 422, "password"
    )
    assert_problem(
        await client.post(
            "/api/v1/session", content=b"{", headers={"Content-Type": "application/json"}
        ),
        400,
        "not valid JSON",
    )


async def test_limits_themselves_are_allowed(author) -> None:
    """The boundaries are inside: 5000 and 200 characters, 50 items, £1,000,000 a week."""
    c = author.client
    plan = await create_plan(c)
    plan_id = plan["id"]
    saved = await change_section(
        c, plan_id, "about_me", who_i_am="x" * 5000, representative_name="y" * 200
    )
    assert len(saved["content"]["who_i_am"]) == 5000
    saved = await change_section(c, plan_id, "working_not_working", working=["z"] * 50)
    assert len(saved["content"]["working"]) == 50
    saved = await change_section(
        c, plan_id, "money", allocation_pence=100_000_000, allocation_frequency="weekly"
    )
    assert saved["content"]["allocation_pence"] == 100_000_000
    outcome = await add_row(c, plan_id, "outcomes", title="t" * 200, how="h" * 5000)
    assert len(outcome["title"]) == 200
    biggest = await add_row(
        c, plan_id, "support-items", description="d", cost_pence=100_000_000, frequency="weekly"
    )
    assert biggest["annual_pence"] == 5_200_000_000
    smallest = await add_row(
        c, plan_id, "support-items", description="d", cost_pence=1, frequency="annual"
    )
    assert smallest["weekly_pence"] == 0  # 1/52 of a penny
    money = (await c.get(plan_url(plan_id))).json()["money"]
    assert money["total_annual_pence"] == 5_200_000_001
