"""Subject access: the person downloads everything the portal holds about them, as JSON in a zip.

Real HTTP to the app and a real database. One plan is taken through a realistic life once for
the module (written, changed, shared, invited to, read by someone else, returned with a staff
comment, agreed, an outcome decided, a review asked for); each test downloads afresh.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from portal.accounts.tables import UserAccount
from tests.api.helpers import assert_problem, change_section, create_plan, plan_url
from tests.conftest import Persona, make_persona
from tests.factories import (
    decide_outcomes,
    give_role,
    make_organisation,
    set_allocation,
    write_complete_plan,
)

DOWNLOAD = "/api/v1/me/data"
SESSION_COOKIE = "portal_sid"
HIGH_LIMIT = 5_000_000
# The realistic plan (bench/plan_content.py) costs £11,264.00 a year.
PLAN_ANNUAL_PENCE = 1_126_400
OWNER_WORDS = "I am Maggie. My daughter Claire helps me every day."
STAFF_COMMENT = "Say who helps you with shopping, please."
# Written by the carer in a plan of her own, shared with the owner: never in the owner's zip.
CARER_WORDS = "Carer's own private words 7f3c"
CARER_TITLE = "Claire's carer plan 7f3c"
CARER_PURPOSE = "So Mum can see my support 7f3c"
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_WITH_ZONE = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


# --- the story --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    names = ["owner", "carer", "authoriser", "budget", "coordinator", "newcomer"]
    made = {name: await make_persona(app, name) for name in names}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", HIGH_LIMIT)
    await give_role(made["coordinator"], council, "coordinator")
    yield made
    for persona in made.values():
        await persona.client.aclose()


def url(plan_id: str, path: str) -> str:
    return f"{plan_url(plan_id)}/{path}"


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    response = await response
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def submitted_hash(who: Persona, plan_id: str) -> str:
    digest: str = (await ok(who.client.get(url(plan_id, "sign-off"))))["submitted_hash"]
    return digest


async def submit(who: Persona, plan_id: str, council: uuid.UUID) -> None:
    await ok(
        who.client.post(
            url(plan_id, "submit"),
            json={"organisation_id": str(council), "share_with_organisation": True},
        )
    )


@pytest.fixture(scope="module")
async def story(people, council) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    owner, carer = people["owner"], people["carer"]
    authoriser, budget = people["authoriser"], people["budget"]
    plan_id = await write_complete_plan(owner.client)
    # A change of the person's own: a second revision of "About me".
    await change_section(owner.client, plan_id, "about_me", who_i_am=OWNER_WORDS)

    grant = await ok(
        owner.client.post(
            url(plan_id, "grants"),
            json={
                "grantee_email": carer.email,
                "sections": ["about_me", "outcomes"],
                "access": "edit",
                "purpose": "To help me write my plan",
            },
        ),
        201,
    )
    invitation = await ok(
        owner.client.post(
            url(plan_id, "invitations"),
            json={"sections": ["contacts"], "access": "view", "purpose": "For my GP"},
        ),
        201,
    )
    # Someone else reads the plan: a line in "who has looked at my plan".
    await ok(carer.client.get(plan_url(plan_id)))

    # Sign-off: returned once with a staff comment, then agreed.
    await submit(owner, plan_id, council)
    await ok(
        authoriser.client.post(
            url(plan_id, "return"),
            json={
                "version_hash": await submitted_hash(authoriser, plan_id),
                "reason": "A little more is needed",
                "comments": [{"section": "about_me", "comment": STAFF_COMMENT}],
            },
        )
    )
    await change_section(owner.client, plan_id, "about_me", who_i_am=OWNER_WORDS + " And shops.")
    await submit(owner, plan_id, council)
    await decide_outcomes(authoriser.client, plan_id)
    await ok(
        authoriser.client.post(
            url(plan_id, "authorise-plan"),
            json={"version_hash": await submitted_hash(authoriser, plan_id)},
        )
    )
    await set_allocation(budget.client, plan_id, 1_850_000)
    agreed = await ok(
        budget.client.post(
            url(plan_id, "authorise-budget"),
            json={
                "version_hash": await submitted_hash(budget, plan_id),
                "variation_reason": "Day centre costs fall in year two",
            },
        )
    )
    assert agreed["state"] == "agreed"
    outcomes = await ok(owner.client.get(url(plan_id, "outcomes")))
    await ok(
        people["coordinator"].client.post(
            url(plan_id, f"outcome-decisions/{outcomes[0]['id']}"), json={"decision": "agreed"}
        )
    )
    await ok(
        owner.client.post(url(plan_id, "review-requests"), json={"reason": "My needs changed"}),
        201,
    )

    # The carer's own plan, shared with the owner: the owner holds a grant, nothing more.
    carer_plan = await create_plan(carer.client, title=CARER_TITLE)
    await change_section(carer.client, carer_plan["id"], "about_me", who_i_am=CARER_WORDS)
    carer_grant = await ok(
        carer.client.post(
            url(carer_plan["id"], "grants"),
            json={
                "grantee_email": owner.email,
                "sections": ["about_me"],
                "access": "view",
                "purpose": CARER_PURPOSE,
            },
        ),
        201,
    )
    seen = await ok(owner.client.get(plan_url(carer_plan["id"])))
    assert CARER_WORDS in json.dumps(seen)
    return {
        "plan_id": plan_id,
        "grant": grant,
        "invitation": invitation,
        "carer_plan_id": carer_plan["id"],
        "carer_grant": carer_grant,
    }


# --- reading the download ---------------------------------------------------------------------


class Download:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.raw = response.content
        self.zip = zipfile.ZipFile(io.BytesIO(self.raw))
        assert self.zip.testzip() is None
        self.names = self.zip.namelist()
        self.files = {name: self.zip.read(name) for name in self.names}
        self.index = self.files[self.names[0]].decode("utf-8")

    def json(self, name: str) -> Any:
        return json.loads(self.files[name].decode("utf-8"))

    def everything(self) -> bytes:
        """The zip as stored and every file in it unpacked: what a search must look through."""
        return self.raw + b"".join(self.files.values())


async def download(who: Persona) -> Download:
    response = await who.client.get(DOWNLOAD)
    assert response.status_code == 200, response.text
    return Download(response)


def walk(value: Any) -> Any:
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
    else:
        yield value


# --- tests ------------------------------------------------------------------------------------


async def test_the_download_is_a_zip_named_by_date_that_is_never_cached(people, story) -> None:
    got = await download(people["owner"])
    headers = got.response.headers
    assert headers["content-type"] == "application/zip"
    assert re.fullmatch(
        r'attachment; filename="plan-portal-data-\d{4}-\d{2}-\d{2}\.zip"',
        headers["content-disposition"],
    )
    assert headers["cache-control"] == "no-store"


async def test_the_index_comes_first_and_lists_every_file_in_the_zip(people, story) -> None:
    owner = people["owner"]
    got = await download(owner)
    assert got.names[0] == "index.txt"
    plan = f"plans/{story['plan_id']}"
    assert set(got.names) == {
        "index.txt",
        "account.json",
        "notifications.json",
        "shared-with-me.json",
        *(
            f"{plan}/{name}"
            for name in (
                "plan.json",
                "versions.json",
                "revisions.json",
                "comments.json",
                "sharing.json",
                "access-log.json",
                "reviews.json",
            )
        ),
    }
    for name in got.names:
        assert f"\n{name}\n" in got.index, name
    # Who it is for, when it was made, and where to ask for anything else.
    assert owner.email in got.index and "Owner" in got.index
    assert "Made on:" in got.index and "(UK time)" in got.index
    assert "subject access request" in got.index
    assert "Information Commissioner" in got.index
    assert "Your plans were sent for sign-off to: Test council" in got.index


async def test_every_file_is_indented_utf8_json_with_zoned_times(people, story) -> None:
    got = await download(people["owner"])
    for name in got.names[1:]:
        text = got.files[name].decode("utf-8")
        assert text.startswith("{\n  "), name
        for value in walk(json.loads(text)):
            if isinstance(value, str) and ISO_DATETIME.match(value):
                assert ISO_WITH_ZONE.search(value), (name, value)


async def test_the_account_has_sign_in_methods_but_no_secrets(people, story) -> None:
    owner = people["owner"]
    got = await download(owner)
    account = got.json("account.json")
    assert account["email"] == owner.email
    assert account["person"]["name"] == "Owner"
    assert account["sign_in_methods"] == ["password"]
    assert account["sign_in_sessions"] and set(account["sign_in_sessions"][0]) == {
        "started_at",
        "expires_at",
    }
    assert account["plan_ids"] == [story["plan_id"]]

    user = await UserAccount.objects().where(UserAccount.email == owner.email).first()
    assert user is not None and user.password_hash
    token = owner.client.cookies[SESSION_COOKIE]
    invitation_token = story["invitation"]["token"]
    secrets = {
        "password hash": user.password_hash,
        "session token": token,
        "session token hash": hashlib.sha256(token.encode()).hexdigest(),
        "invitation token": invitation_token,
        "invitation token hash": hashlib.sha256(invitation_token.encode()).hexdigest(),
    }
    everything = got.everything()
    for what, secret in secrets.items():
        assert secret.encode() not in everything, what
    assert b"$argon2" not in everything
    assert b"token_hash" not in everything and b"password_hash" not in everything


async def test_the_plan_shows_its_versions_revisions_comment_grant_and_log(people, story) -> None:
    got = await download(people["owner"])
    plan_id = story["plan_id"]
    base = f"plans/{plan_id}"

    current = got.json(f"{base}/plan.json")
    assert current["plan"]["id"] == plan_id and current["plan"]["state"] == "agreed"
    assert current["plan"]["agreed_version"] == 2
    assert current["plan"]["signing_off_organisation"]["name"].startswith("Test council")
    assert current["content"]["sections"]["about_me"]["who_i_am"].startswith(OWNER_WORDS)
    assert current["content"]["money"]["total_annual_pence"] == PLAN_ANNUAL_PENCE
    for item in current["content"]["support_items"]:
        assert isinstance(item["cost_pence"], int)

    versions = got.json(f"{base}/versions.json")["versions"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "returned"), (2, "agreed")]
    agreed = versions[1]
    assert agreed["annual_cost_pence"] == PLAN_ANNUAL_PENCE
    assert re.fullmatch(r"[0-9a-f]{64}", agreed["content_hash"])
    assert agreed["verification_code"] == "-".join(
        agreed["content_hash"][i : i + 4].upper() for i in (0, 4, 8)
    )
    assert agreed["submitted_by"] == "Owner" and agreed["plan_authorised_by"] == "Authoriser"
    assert agreed["agreed_by"] == "Budget" and agreed["agreed_at"]
    assert agreed["content"]["sections"]["about_me"]["who_i_am"].endswith("And shops.")
    assert versions[0]["returned_by"] == "Authoriser"

    revisions = got.json(f"{base}/revisions.json")["revisions"]
    about_me = [r for r in revisions if r["subject"] == "section:about_me"]
    assert [r["version"] for r in about_me] == [1, 2, 3]
    assert about_me[1]["content"]["who_i_am"] == OWNER_WORDS and about_me[1]["by"] == "Owner"
    assert "who_i_am" in about_me[1]["changed_fields"]
    # The staff decision on an outcome is a revision too, by whoever made it.
    assert any(r["subject"].startswith("outcome:") and r["by"] == "Coordinator" for r in revisions)
    assert [r["at"] for r in revisions] == sorted(r["at"] for r in revisions)

    comments = got.json(f"{base}/comments.json")["comments"]
    assert [(c["section"], c["comment"], c["by"], c["role"]) for c in comments] == [
        ("about_me", STAFF_COMMENT, "Authoriser", "plan_authoriser")
    ]

    sharing = got.json(f"{base}/sharing.json")
    grant = story["grant"]
    assert [
        (g["grant_id"], g["grantee"]["name"], g["sections"], g["access"]) for g in sharing["grants"]
    ] == [(grant["id"], "Carer", ["about_me", "outcomes"], "edit")]
    assert [(i["id"], i["status"], i["sections"]) for i in sharing["invitations"]] == [
        (story["invitation"]["invitation"]["id"], "open", ["contacts"])
    ]

    log = got.json(f"{base}/access-log.json")["events"]
    assert any(e["who"] == "Carer" and e["event"] == "read" for e in log)
    assert any(e["event"] == "grant_given" and e["subject"] == grant["id"] for e in log)
    assert log[-1]["event"] == "export" and log[-1]["by_you"] is True

    reviews = got.json(f"{base}/reviews.json")
    assert [r["reason"] for r in reviews["review_requests"]] == ["My needs changed"]
    actions = [d["action"] for d in reviews["decisions"]]
    assert actions[:3] == ["submit", "return", "submit"]
    assert [a for a in actions if a not in ("outcome_agreed", "set_allocation")][3:5] == [
        "authorise_plan",
        "authorise_budget",
    ]
    assert "outcome_agreed" in actions and "request_review" in actions
    # The organisation's allocation is the person's data too: its figure and who set it.
    assert [(a["annual_pence"], a["set_by"]) for a in reviews["allocations"]] == [
        (1_850_000, people["budget"].name.title())
    ]


async def test_the_download_is_in_the_plans_access_log_as_an_export(people, story) -> None:
    owner = people["owner"]
    await download(owner)
    log = await ok(owner.client.get(url(story["plan_id"], "access-log")))
    assert log[0]["event"] == "export" and log[0]["who"] == "Owner"
    assert log[0]["sections"][0] == "starting_point" and "money" in log[0]["sections"]


async def test_shared_plans_give_only_the_grant_never_their_content(people, story) -> None:
    got = await download(people["owner"])
    shared = got.json("shared-with-me.json")
    assert [
        (g["plan_id"], g["grant_id"], g["sections"], g["access"], g["status"])
        for g in shared["grants"]
    ] == [
        (
            story["carer_plan_id"],
            story["carer_grant"]["id"],
            ["about_me"],
            "view",
            "active",
        )
    ]
    # What the owner did there is about them, and only ids and sections are listed.
    assert {a["plan_id"] for a in shared["activity"]} == {story["carer_plan_id"]}
    everything = got.everything()
    for words in (CARER_WORDS, CARER_TITLE, CARER_PURPOSE):
        assert words.encode() not in everything, words
    assert not any(name.startswith(f"plans/{story['carer_plan_id']}") for name in got.names)


async def test_a_grantee_gets_nothing_of_the_plan_shared_with_them(people, story) -> None:
    got = await download(people["carer"])
    shared = got.json("shared-with-me.json")
    assert [(g["plan_id"], g["sections"]) for g in shared["grants"]] == [
        (story["plan_id"], ["about_me", "outcomes"])
    ]
    everything = got.everything()
    assert OWNER_WORDS.encode() not in everything
    assert b"To help me write my plan" not in everything
    assert f"plans/{story['carer_plan_id']}/plan.json" in got.names
    assert not any(name.startswith(f"plans/{story['plan_id']}") for name in got.names)


async def test_messages_addressed_to_the_person_are_in_it(people, story) -> None:
    got = await download(people["owner"])
    notifications = got.json("notifications.json")["notifications"]
    kinds = [n["kind"] for n in notifications]
    assert {"return", "authorise_plan", "authorise_budget"} <= set(kinds)
    assert all(n["plan_id"] == story["plan_id"] for n in notifications)


async def test_the_same_data_gives_the_same_files(people, story) -> None:
    first, second = await download(people["owner"]), await download(people["owner"])
    base = f"plans/{story['plan_id']}"
    assert first.names == second.names
    for name in ("versions.json", "revisions.json", "comments.json", "sharing.json"):
        assert first.files[f"{base}/{name}"] == second.files[f"{base}/{name}"], name


async def test_someone_with_no_plan_gets_their_account_and_is_told_so(people) -> None:
    newcomer = people["newcomer"]
    got = await download(newcomer)
    assert got.names == ["index.txt", "account.json", "notifications.json", "shared-with-me.json"]
    assert "You have no plans in the portal" in got.index
    assert got.json("account.json")["email"] == newcomer.email
    assert got.json("account.json")["plan_ids"] == []


async def test_anonymous_gets_401(client) -> None:
    assert_problem(await client.get(DOWNLOAD), 401, "sign in")


async def test_the_page_explains_the_download_and_links_to_it(people, client) -> None:
    owner = people["owner"]
    page = await owner.client.get("/my-data")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Your data</h1>" in page.text and page.text.count("<h1") == 1
    assert " style=" not in page.text
    assert f'href="{DOWNLOAD}"' in page.text
    assert "index.txt" in page.text and "subject access request" in page.text
    plans = await owner.client.get("/plans")
    assert 'href="/my-data"' in plans.text
    # The page, like every signed-in page, sends visitors to sign in first.
    refused = await client.get("/my-data")
    assert refused.status_code in (302, 303) and "/sign-in" in refused.headers["location"]
