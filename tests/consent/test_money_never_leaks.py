"""Money never reaches someone without the money section, by any path.

Every GET route the app registers (read from the app, as the authorisation matrix does) is
walked with real ids of one plan that has everything: distinctive figures, a version returned
with comments, an agreed version with a reason for its budget variation, one waiting in review,
package changes (open, declined, turned into a review), a review request, grants, a
representative and an invitation. It is walked as people who may not see the money (a grantee
of every other section, a grantee of "About me" only, a representative whose sections leave
money out, and staff of another organisation), and no figure of the plan's money, in any of the
ways the portal writes one, may appear in any answer: JSON, pages, the PDF's text, the FHIR
bundle, the subject-access archive, the live stream. The same walk as the person finds the
figures, so the test can fail; and the readers are shown to reach the routes (200), so it
cannot pass on 404s.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import re
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute

from portal.consent.policy import SECTION_KEYS, Tray
from tests.api.helpers import change_section, plan_url
from tests.conftest import Persona, make_persona
from tests.exports.pdf_reading import ReadPdf
from tests.factories import give_role, make_organisation, write_complete_plan
from tests.signoff.test_sign_off import (
    authorise_budget,
    authorise_plan,
    status,
    submit,
    write_about_me,
)

WELFARE = [key for key in SECTION_KEYS if key != "money"]

# Odd figures, none of them a round number or a number with fewer than five digits, so that a
# hit is a leak and not a coincidence (a uuid never holds a five-digit run between non-digits).
MORNINGS = "Capybara morning support"
GARDEN = "Axolotl garden club"
MORNINGS_WEEKLY = 24_613  # £246.13 a week, 9 hours 30 minutes
MORNINGS_MINUTES = 570
GARDEN_MONTHLY = 61_379  # £613.79 a month
ALLOCATION = 1_897_331  # £18,973.31 a year: less than the cost, so a variation is needed
HOLDING_NOTES = "Okapi: the payroll service holds the direct payment"
VARIATION = "Narwhal budget variation: the extra mornings were agreed at the visit"
MONEY_COMMENT = "Dugong: check the £246.13 line against the agency's rate"
CHANGES = {
    # name: (minutes after, weekly pence after, the proposer's reason)
    "open": (630, 27_191, "Capybara mornings take longer since the winter"),
    "declined": (615, 25_931, "Tapir: a little more time on Mondays"),
    "review": (675, 29_753, "Pangolin: the mornings need rethinking"),
}
DECLINE_REASON = "Quokka: not while the review is due"
REVIEW_REASON = "Wombat: talk it through at a full review"
TEXTS = [
    MORNINGS,
    GARDEN,
    HOLDING_NOTES,
    VARIATION,
    MONEY_COMMENT,
    DECLINE_REASON,
    REVIEW_REASON,
    *(reason for _, _, reason in CHANGES.values()),
    # Hours of support are package-change figures too: 9 hours 30 minutes, 10 hours 30 minutes…
    *(
        f"{minutes // 60} hours {minutes % 60} minutes"
        for minutes in (MORNINGS_MINUTES, *(after for after, _, _ in CHANGES.values()))
    ),
]

OWNER = "the person"
STAFF = "coordinator of the signing-off council"
NO_MONEY = "grantee of every section but money (edit)"
ABOUT_ME = "grantee of About me only (view)"
REPRESENTATIVE = "representative (welfare LPA: all but money, may share)"
OTHER_STAFF = "coordinator of another council"
WITHOUT_MONEY = (NO_MONEY, ABOUT_ME, REPRESENTATIVE, OTHER_STAFF)
# Those who may see the money: they show the walk finds the figures when they are there.
WITH_MONEY = (OWNER, STAFF)


# --- the figures, as the portal writes them ------------------------------------------------


def pence_patterns(pence: int) -> list[str]:
    """A sum of pence in each way the portal prints or sends it: £12,794.00, £12,794,
    12794.00, 12,794.00 and 1279400 (the last three only for five digits and more)."""
    pounds, part = divmod(abs(pence), 100)
    found = [rf"£{pounds:,}\.{part:02d}", rf"£{round(abs(pence) / 100):,}(?![0-9,.])"]
    if abs(pence) >= 10_000:
        found += [
            rf"(?<![0-9,.]){pounds}\.{part:02d}(?![0-9])",
            rf"(?<![0-9,.]){pounds:,}\.{part:02d}(?![0-9])",
            rf"(?<![0-9A-Za-z.,]){abs(pence)}(?![0-9A-Za-z])",
        ]
    return found


def figures_of(owner_view: dict[str, Any]) -> dict[int, str]:
    """Every figure of the plan's money, as its person is shown them, and what each is."""
    found: dict[int, str] = {}
    plan, versions, changes = owner_view["plan"], owner_view["versions"], owner_view["changes"]
    for name, value in (plan["money"] or {}).items():
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            found.setdefault(value, f"money.{name}")
        if name == "difference_annual_pence" and isinstance(value, int):
            found.setdefault(abs(value), "money.difference")
    for item in plan["support_items"]:
        for name in ("cost_pence", "weekly_pence", "annual_pence"):
            found.setdefault(item[name], f"{item['description']}.{name}")
    for version in versions:
        for name in ("annual_cost_pence", "allocation_annual_pence"):
            if version[name]:
                found.setdefault(version[name], f"version {version['number']}.{name}")
    for change in changes:
        for name in ("weekly_cost_before_pence", "weekly_cost_after_pence"):
            found.setdefault(change[name], f"change.{name}")
            found.setdefault(change[name] * 52, f"change.{name} a year")
        found.setdefault(
            abs(change["weekly_cost_after_pence"] - change["weekly_cost_before_pence"]),
            "change.difference",
        )
    # Only sums that are the plan's own: not the number of items, nor a fallback of 1.
    return {pence: what for pence, what in found.items() if pence >= 1_000}


def compile_figures(figures: dict[int, str]) -> list[tuple[str, re.Pattern[str]]]:
    compiled = [
        (f"{what} ({pence} pence)", re.compile(pattern))
        for pence, what in figures.items()
        for pattern in pence_patterns(pence)
    ]
    compiled += [(f"text {text!r}", re.compile(re.escape(text))) for text in TEXTS]
    # Texts as pages write them: an apostrophe or ampersand escaped.
    compiled += [
        (f"text {text!r} (escaped)", re.compile(re.escape(text.replace("'", "&#39;"))))
        for text in TEXTS
        if "'" in text
    ]
    return compiled


# --- the world ----------------------------------------------------------------------------


@dataclass
class World:
    plan_id: str
    council: uuid.UUID
    other_council: uuid.UUID
    people: dict[str, Persona]
    provider: Persona
    values: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, str] = field(default_factory=dict)
    provider_grant: str = ""
    items: dict[str, dict[str, Any]] = field(default_factory=dict)


def url(plan_id: str, path: str) -> str:
    return f"{plan_url(plan_id)}/{path}"


async def ok(response: httpx.Response, status_code: int = 200) -> Any:
    assert response.status_code == status_code, f"{response.request.url}: {response.text}"
    return response.json() if response.content else None


async def propose(provider: Persona, plan_id: str, line: dict[str, Any], name: str) -> str:
    minutes_after, weekly_after, reason = CHANGES[name]
    body = {
        "support_item_id": line["id"],
        "minutes_before": line["minutes_per_week"],
        "minutes_after": minutes_after,
        "weekly_cost_before_pence": line["weekly_pence"],
        "weekly_cost_after_pence": weekly_after,
        "reason": reason,
    }
    response = await provider.client.post(url(plan_id, "package-changes"), json=body)
    if response.status_code in (400, 422) and "before" in response.text:
        # A proposal may no longer carry its own baseline (the plan's figures are the baseline):
        # the same change without it.
        body = {k: v for k, v in body.items() if not k.endswith("_before_pence")}
        body.pop("minutes_before")
        response = await provider.client.post(url(plan_id, "package-changes"), json=body)
    return str((await ok(response, 201))["id"])


async def replace_support(
    owner: Persona, plan_id: str, provider_name: str
) -> dict[str, dict[str, Any]]:
    """The complete plan's support lines swapped for two with distinctive figures; the
    provider's organisation provides the mornings, so it may propose changes to them."""
    plan = (await owner.client.get(plan_url(plan_id))).json()
    outcomes = [o["id"] for o in plan["outcomes"]]
    for item in plan["support_items"]:
        await ok(
            await owner.client.delete(
                url(plan_id, f"support-items/{item['id']}"), headers={"If-Match": item["etag"]}
            ),
            204,
        )
    made = {}
    for description, cost, frequency, minutes, outcome, by in (
        (MORNINGS, MORNINGS_WEEKLY, "weekly", MORNINGS_MINUTES, outcomes[0], provider_name),
        (GARDEN, GARDEN_MONTHLY, "monthly", None, outcomes[-1], "Employed directly"),
    ):
        made[description] = await ok(
            await owner.client.post(
                url(plan_id, "support-items"),
                json={
                    "description": description,
                    "provider": by,
                    "cost_pence": cost,
                    "frequency": frequency,
                    "outcome_id": outcome,
                    "minutes_per_week": minutes,
                },
            ),
            201,
        )
    await change_section(
        owner.client,
        plan_id,
        "money",
        allocation_pence=ALLOCATION,
        allocation_frequency="annual",
        holding_notes=HOLDING_NOTES,
    )
    return made


async def grant(
    owner: Persona, plan_id: str, who: Persona, sections: list[str], access: str
) -> str:
    made = await ok(
        await owner.client.post(
            url(plan_id, "grants"),
            json={
                "grantee_email": who.email,
                "sections": sections,
                "access": access,
                "purpose": "Helping with the plan",
            },
        ),
        201,
    )
    return str(made["id"])


@pytest.fixture(scope="module")
async def world(app) -> Any:  # type: ignore[no-untyped-def]
    council = await make_organisation(kind="council")
    other_council = await make_organisation(kind="council")
    names = {
        OWNER: "owner",
        STAFF: "coordinator",
        NO_MONEY: "helper",
        ABOUT_ME: "reader",
        REPRESENTATIVE: "claire",
        OTHER_STAFF: "elsewhere",
    }
    people = {actor: await make_persona(app, name) for actor, name in names.items()}
    authoriser = await make_persona(app, "authoriser")
    budget = await make_persona(app, "budget")
    provider = await make_persona(app, "provider")
    await give_role(people[STAFF], council, "coordinator")
    staff_role = await give_role(people[STAFF], council, "team_manager")
    await give_role(authoriser, council, "plan_authoriser")
    await give_role(budget, council, "budget_authoriser", 9_000_000)
    await give_role(people[OTHER_STAFF], other_council, "coordinator")
    await give_role(people[OTHER_STAFF], other_council, "team_manager")
    owner = people[OWNER]

    plan_id = await write_complete_plan(owner.client)
    provider_name = f"Mornings care {uuid.uuid4().hex[:8]}"
    await give_role(provider, await make_organisation(provider_name, "provider"), "coordinator")
    items = await replace_support(owner, plan_id, provider_name)
    provider_grant = await grant(owner, plan_id, provider, ["money", "outcomes"], "comment")
    helper_grant = await grant(owner, plan_id, people[NO_MONEY], WELFARE, "edit")
    await grant(owner, plan_id, people[ABOUT_ME], ["about_me"], "view")
    rep = await ok(
        await owner.client.post(
            url(plan_id, "representatives"),
            json={
                "email": people[REPRESENTATIVE].email,
                "authority": "lpa_health_welfare",
                "sections": WELFARE,
                "powers": ["view", "edit", "share"],
                "relationship": "Daughter",
            },
        ),
        201,
    )
    invitation = await ok(
        await owner.client.post(
            url(plan_id, "invitations"),
            json={"sections": ["about_me"], "access": "view", "purpose": "My neighbour"},
        ),
        201,
    )

    # Version 1: returned, with a comment on About me and one on the money.
    await submit(owner, plan_id, council)
    digest = (await status(authoriser, plan_id))["submitted_hash"]
    await ok(
        await authoriser.client.post(
            url(plan_id, "return"),
            json={
                "version_hash": digest,
                "reason": "A little more, please",
                "comments": [
                    {"section": "about_me", "comment": "Say more about the singing group"},
                    {"section": "money", "comment": MONEY_COMMENT},
                ],
            },
        )
    )
    # Version 2: agreed, its cost above the allocation, with the reason for the variation.
    await write_about_me(owner, plan_id, "Maggie, who sings on Thursdays")
    await submit(owner, plan_id, council)
    await authorise_plan(authoriser, plan_id)
    await authorise_budget(budget, plan_id, variation_reason=VARIATION)

    # Package changes on the mornings line: one open, one declined, one turned into a review.
    lines = (await owner.client.get(url(plan_id, "support-items"))).json()
    line = next(i for i in lines if i["description"] == MORNINGS)
    change_ids = {name: await propose(provider, plan_id, line, name) for name in CHANGES}
    await ok(
        await people[STAFF].client.post(
            url(plan_id, f"package-changes/{change_ids['declined']}/decision"),
            json={"decision": "decline", "reason": DECLINE_REASON},
        )
    )
    await ok(
        await provider.client.post(
            url(plan_id, f"package-changes/{change_ids['review']}/review"),
            json={"reason": REVIEW_REASON},
        )
    )
    requests = (await owner.client.get(url(plan_id, "review-requests"))).json()
    # Version 3: the review under way, submitted again and waiting for plan authorisation.
    await ok(
        await people[STAFF].client.post(
            url(plan_id, "start-review"), json={"note": "Review started after the request"}
        )
    )
    await write_about_me(owner, plan_id, "Maggie, who sings on Thursdays and Sundays")
    await submit(owner, plan_id, council)

    plan = (await owner.client.get(plan_url(plan_id))).json()
    made = World(
        plan_id=plan_id,
        council=council,
        other_council=other_council,
        people=people,
        provider=provider,
        provider_grant=provider_grant,
        items=items,
        rows={
            "outcomes": plan["outcomes"][0]["id"],
            "support-items": items[MORNINGS]["id"],
            "money/items": items[MORNINGS]["id"],
            "actions": plan["actions"][0]["id"],
            "contacts": plan["contacts"][0]["id"],
        },
    )
    made.values = {
        "plan_id": [plan_id],
        "key": list(SECTION_KEYS),
        "version": ["1"],
        "number": ["1", "2", "3"],
        "grant_id": [provider_grant, helper_grant],
        "invitation_id": [str(invitation["invitation"]["id"])],
        "record_id": [str(rep["id"])],
        "token": [invitation["token"]],
        "organisation_id": [str(council), str(other_council)],
        "role_id": [str(staff_role.id)],
        "tray": [tray.value for tray in Tray],
        "change_id": list(change_ids.values()),
        "request_id": [str(r["id"]) for r in requests],
        "provider_name": ["nhs"],
        "path": ["openapi.json"],
    }
    yield made
    for persona in [*people.values(), authoriser, budget, provider]:
        await persona.client.aclose()


# --- the walk ------------------------------------------------------------------------------

_PARAM = re.compile(r"\{(?P<name>[a-z_]+)(?::[a-z]+)?\}")
_ROWS = re.compile(r"/(outcomes|support-items|actions|contacts|money/items)/\{row_id")
P = "/api/v1/plans/{plan_id:uuid}"
W = "/plans/{plan_id:uuid}"

# Ways of asking for the same route that show something else.
QUERIES: dict[str, list[str]] = {
    f"{W}/pdf": ["", "?variant=large", "?version=2", "?version=3", "?audience=grant:{grant}"],
    f"{P}/export/pdf": ["", "?variant=large", "?version=2", "?audience=grant:{grant}"],
    f"{P}/export/fhir": ["", "?version=2", "?version=3", "?audience=grant:{grant}"],
    f"{W}/print": ["", "?print=large"],
    f"{P}/versions/{{number:int}}/compare": ["", "?with=2"],
    f"{W}/versions/{{number:int}}/compare": ["", "?with=2"],
    f"{W}/package-changes/new": ["", "?item={item}"],
    f"{W}/sign-off": ["", "?done=submitted"],
    "/organisations/{organisation_id:uuid}/trays/{tray:str}": ["", "?page=1"],
}


def app_get_routes(app: Any) -> list[str]:
    return sorted(
        {
            route.path
            for route in app.routes
            if isinstance(route, HTTPRoute) and "GET" in route.methods
        }
    )


def urls_for(template: str, world: World) -> list[str]:
    """Every address of one route for this plan: each id it can name, and each query."""
    names = _PARAM.findall(template)
    rows = _ROWS.search(template)
    choices: list[list[str]] = []
    for name in names:
        if name == "row_id":
            assert rows is not None, template
            choices.append([world.rows[rows.group(1)]])
        elif name == "file_path":
            choices.append(["init.js"] if template.startswith("/static") else ["manifest.json"])
        else:
            choices.append(world.values[name])
    found = []
    for combo in itertools.product(*choices):
        path = _fill(template, iter(combo))
        for query in QUERIES.get(template, [""]):
            found.append(
                path + query.format(grant=world.provider_grant, item=world.items[MORNINGS]["id"])
            )
    return found


def _fill(template: str, values: Any) -> str:
    return _PARAM.sub(lambda _: str(next(values)), template)


def body_text(response: httpx.Response) -> str:
    """What a reader gets, as text: a PDF's text, every file of an archive, or the body."""
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/pdf"):
        pdf = ReadPdf(response.content)
        try:
            return pdf.text()
        finally:
            pdf.close()
    if kind.startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return "\n".join(archive.read(name).decode() for name in archive.namelist())
    return response.text


@dataclass
class Walk:
    statuses: dict[tuple[str, str], int] = field(default_factory=dict)
    # (actor, template) → the figures found in what they were sent.
    hits: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    leaks: list[str] = field(default_factory=list)


async def walk(app: Any, world: World, figures: list[tuple[str, re.Pattern[str]]]) -> Walk:
    done = Walk()
    for template in app_get_routes(app):
        for address in urls_for(template, world):
            for actor in (*WITH_MONEY, *WITHOUT_MONEY):
                response = await world.people[actor].client.get(address)
                done.statuses[(actor, address)] = response.status_code
                text = body_text(response) if response.status_code == 200 else response.text
                shown = []
                for what, pattern in figures:
                    found = pattern.search(text)
                    if found is None:
                        continue
                    done.hits[(actor, template)].add(what)
                    around = " ".join(text[max(0, found.start() - 60) : found.end() + 20].split())
                    shown.append(f"{what} (…{around})")
                if shown and actor in WITHOUT_MONEY:
                    done.leaks.append(
                        f"{actor}: GET {address} shows {len(shown)}: " + "; ".join(shown[:2])
                    )
    return done


def address(template: str, world: World, query: str = "", **values: str) -> str:
    filled = {"plan_id": world.plan_id, "number": "2", "key": "about_me", **values}
    return _PARAM.sub(lambda m: filled[m.group("name")], template) + query


async def test_no_money_figure_reaches_anyone_without_the_money_section(app, world) -> None:  # type: ignore[no-untyped-def]
    owner = world.people[OWNER]
    owner_view = {
        "plan": (await owner.client.get(plan_url(world.plan_id))).json(),
        "versions": (await owner.client.get(url(world.plan_id, "versions"))).json(),
        "changes": (await owner.client.get(url(world.plan_id, "package-changes"))).json(),
    }
    assert owner_view["plan"]["money"]["allocation_annual_pence"] == ALLOCATION
    assert len(owner_view["changes"]) == len(CHANGES)
    figures = compile_figures(figures_of(owner_view))

    done = await walk(app, world, figures)
    walked = {address for _, address in done.statuses}
    print(f"\nmoney walk: {len(walked)} addresses × {len(WITH_MONEY + WITHOUT_MONEY)} readers")

    # The person finds the money on the paths that carry it, so the walk would see a leak.
    for template in (
        f"{P}",
        f"{P}/versions",
        f"{P}/versions/{{number:int}}",
        f"{P}/sign-off",
        f"{P}/export/pdf",
        f"{P}/export/fhir",
        f"{W}",
        f"{W}/sign-off",
        f"{W}/versions/{{number:int}}",
        f"{W}/pdf",
        "/api/v1/me/data",
    ):
        assert done.hits[(OWNER, template)], f"the person sees no money figure at {template}"
    assert any("Narwhal" in what for what in done.hits[(OWNER, f"{W}/sign-off")])
    assert done.hits[(STAFF, "/api/v1/organisations/{organisation_id:uuid}/trays/{tray:str}")]
    assert done.hits[(STAFF, f"{W}/review")]

    # Those without the money reach the plan's pages (not 404s), and see no figure on any.
    reached = [
        f"{P}",
        f"{P}/criteria",
        f"{P}/sections/{{key:str}}",
        f"{P}/comments",
        f"{P}/versions",
        f"{P}/versions/{{number:int}}",
        f"{P}/versions/{{number:int}}/compare",
        f"{P}/sign-off",
        f"{P}/review-requests",
        f"{P}/export/fhir",
        f"{P}/export/pdf",
        f"{P}/events",
        f"{W}",
        f"{W}/sections/{{key:str}}",
        f"{W}/sign-off",
        f"{W}/versions/{{number:int}}",
        f"{W}/versions/{{number:int}}/compare",
        f"{W}/print",
        f"{W}/pdf",
        f"{W}/review-request",
    ]
    everyone = ["/plans", "/notifications", "/api/v1/notifications", "/my-data", "/api/v1/me/data"]
    sharing = [
        f"{W}/sharing",
        f"{W}/access-log",
        f"{P}/grants",
        f"{P}/access-log",
        f"{W}/submit",
    ]
    expected: dict[str, list[str]] = {
        NO_MONEY: reached + everyone,
        ABOUT_ME: reached + everyone,
        REPRESENTATIVE: reached + everyone + sharing,
        OTHER_STAFF: everyone,
    }
    unreached = [
        f"{actor}: {template} → {done.statuses.get((actor, address(template, world)))}"
        for actor, templates in expected.items()
        for template in templates
        if done.statuses.get((actor, address(template, world))) != 200
    ]
    assert not unreached, "\n".join(unreached)
    # Through a grant that holds the money, a representative without it sees none of it.
    for template, query in (
        (f"{W}/sharing/grants/{{grant_id:uuid}}/preview", ""),
        (f"{P}/grants/{{grant_id:uuid}}/preview", ""),
        (f"{W}/pdf", f"?audience=grant:{world.provider_grant}"),
    ):
        filled = address(template, world, query, grant_id=world.provider_grant)
        assert done.statuses[(REPRESENTATIVE, filled)] == 200, filled
        assert done.statuses[(OWNER, filled)] == 200, filled
    # Staff of another organisation learn nothing of the plan.
    for template in (f"{P}", f"{P}/versions", f"{P}/sign-off", f"{W}/sign-off", f"{P}/events"):
        assert done.statuses[(OTHER_STAFF, address(template, world))] == 404, template

    assert not done.leaks, f"{len(done.leaks)} money leaks:\n" + "\n".join(done.leaks)


async def test_live_money_events_reach_only_those_who_see_the_money(world) -> None:  # type: ignore[no-untyped-def]
    """A change to a support line and someone at the money page are events of the money
    section: those without it are sent neither (nor any figure), the person both."""
    owner = world.people[OWNER]
    readers = (OWNER, NO_MONEY, ABOUT_ME, REPRESENTATIVE)

    async def listen(actor: str) -> str:
        response = await world.people[actor].client.get(url(world.plan_id, "events"))
        assert response.status_code == 200, response.text
        return response.text

    streams = [asyncio.create_task(listen(actor)) for actor in readers]
    await asyncio.sleep(0.3)
    line = next(
        i
        for i in (await owner.client.get(url(world.plan_id, "support-items"))).json()
        if i["description"] == GARDEN
    )
    await ok(
        await owner.client.patch(
            url(world.plan_id, f"support-items/{line['id']}"),
            json={"provider": "Hillsborough allotments"},
            headers={"If-Match": line["etag"]},
        )
    )
    await owner.client.post(url(world.plan_id, "presence"), json={"section": "money"})
    await owner.client.post(url(world.plan_id, "presence"), json={"section": "about_me"})
    seen = dict(zip(readers, await asyncio.gather(*streams), strict=True))
    assert '"section":"money"' in seen[OWNER], seen[OWNER]
    for actor in readers[1:]:
        assert '"section":"about_me"' in seen[actor], (actor, seen[actor])
        assert '"section":"money"' not in seen[actor], (actor, seen[actor])
        assert line["id"] not in seen[actor], (actor, seen[actor])
        assert "Hillsborough allotments" not in seen[actor]


async def test_news_of_a_package_change_goes_only_to_those_who_see_the_money(world) -> None:  # type: ignore[no-untyped-def]
    for actor, told in ((OWNER, True), (NO_MONEY, False), (REPRESENTATIVE, False)):
        listed = (await world.people[actor].client.get("/api/v1/notifications")).json()
        kinds = {item["kind"] for item in listed["items"]}
        assert ("package_change_proposed" in kinds) is told, (actor, kinds)
        assert "submit" in kinds or "resubmit" in kinds or actor == OWNER, (actor, kinds)
    # A helper who may see the money is told: the provider, of the decision on their change.
    listed = (await world.provider.client.get("/api/v1/notifications")).json()
    assert "package_change_decided" in {item["kind"] for item in listed["items"]}


async def test_what_stops_submitting_names_no_cost_to_someone_without_the_money(app) -> None:  # type: ignore[no-untyped-def]
    """The money criterion's missing items name each line's cost: a representative who may
    submit but not see the money is told the section is unfinished, not what it holds."""
    owner = await make_persona(app, "owner")
    claire = await make_persona(app, "claire")
    council = await make_organisation(kind="council")
    try:
        made = await ok(
            await owner.client.post("/api/v1/plans", json={"kind": "care_and_support"}), 201
        )
        plan_id = str(made["id"])
        await ok(
            await owner.client.post(
                url(plan_id, "support-items"),
                json={"description": MORNINGS, "cost_pence": 33_317, "frequency": "weekly"},
            ),
            201,
        )
        await ok(
            await owner.client.post(
                url(plan_id, "representatives"),
                json={
                    "email": claire.email,
                    "authority": "lpa_health_welfare",
                    "sections": WELFARE,
                    "powers": ["view", "edit", "share"],
                },
            ),
            201,
        )
        cost = re.compile("|".join(pence_patterns(33_317)))
        mine = (await owner.client.get(url(plan_id, "sign-off"))).json()
        assert any(cost.search(m) for m in mine["missing"]), mine["missing"]
        theirs = (await claire.client.get(url(plan_id, "sign-off"))).json()
        money = [m for m in theirs["missing"] if m.startswith("Money")]
        assert money and not any(cost.search(m) for m in theirs["missing"]), theirs["missing"]
        assert theirs["annual_cost_pence"] is None and theirs["allocation_annual_pence"] is None
        for page in (f"/plans/{plan_id}/sign-off", f"/plans/{plan_id}/submit"):
            response = await claire.client.get(page)
            assert response.status_code == 200, page
            assert not cost.search(response.text) and MORNINGS not in response.text, page
        refused = await claire.client.post(
            url(plan_id, "submit"),
            json={"organisation_id": str(council), "share_with_organisation": True},
        )
        assert refused.status_code == 422
        assert not cost.search(refused.text) and MORNINGS not in refused.text
    finally:
        await owner.client.aclose()
        await claire.client.aclose()
