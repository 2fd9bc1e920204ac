"""The review pages, used over HTTP as a browser without JavaScript would.

The person asks for a review of their agreed plan (before the review date, saying why); a care
coordinator finds it in the review requests tray and starts the review, or declines it with a
reason. A care provider proposes a change to a support line's hours and cost: within tolerance
the coordinator confirms it, outside it only a team manager decides, and anyone who sees it can
turn it into a full review. Staff agree or decline outcomes and the person sees who decided. An
organisation's admin changes its tolerance figures. Every form is sent with the `_csrf_token`
read from the page it is on, as a browser sends it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from portal.plans.tables import Plan
from tests.conftest import Persona, make_persona
from tests.factories import decide_outcomes, give_role, make_organisation, write_complete_plan
from tests.pages.signoff.test_sign_off_pages import (
    api_status,
    assert_page,
    csrf_token,
    error_summary,
    follow,
    row_with,
    send,
    submit_through_pages,
    table_rows,
    words,
)
from tests.signoff.test_reviews_and_changes import PA_MORNINGS, H, agreed_plan, pa_line, propose
from tests.signoff.test_sign_off import authorise_budget

# --- personas -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def council(app) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return await make_organisation(kind="council")


@pytest.fixture(scope="module")
async def people(app, council) -> AsyncIterator[dict[str, Persona]]:  # type: ignore[no-untyped-def]
    names = [
        "owner",
        "authoriser",
        "budget",
        "coordinator",
        "manager",
        "admin",
        "provider",
        "stranger",
    ]
    made = {name: await make_persona(app, name) for name in names}
    await give_role(made["authoriser"], council, "plan_authoriser")
    await give_role(made["budget"], council, "budget_authoriser", 10_000_000)
    await give_role(made["coordinator"], council, "coordinator")
    await give_role(made["manager"], council, "team_manager")
    await give_role(made["admin"], council, "admin")
    provider_org = await make_organisation(kind="provider")
    await give_role(made["provider"], provider_org, "coordinator")
    yield made
    for persona in made.values():
        await persona.client.aclose()


# --- helpers --------------------------------------------------------------------------------


def page_url(plan_id: str, *parts: str) -> str:
    return "/".join([f"/plans/{plan_id}", *parts])


async def send_form(
    client: httpx.AsyncClient, form_url: str, action: str, data: dict[str, Any]
) -> httpx.Response:
    """As `send`, with the form's hidden fields too, as a browser sends them."""
    page = await client.get(form_url)
    assert page.status_code == 200, page.text[:2000]
    form = re.search(
        rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page.text, re.S
    )
    assert form, "the form posts without JS"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    return await client.post(action, data={**fields, **data})


def tag_text(page: str, element_id: str) -> str:
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>(.*?)</(dd|div|p)>', page, re.S)
    assert match, f"no element {element_id}"
    return words(match.group(1))


async def request_review_through_api(who: Persona, plan_id: str, reason: str) -> dict[str, Any]:
    asked = await who.client.post(
        f"/api/v1/plans/{plan_id}/review-requests", json={"reason": reason}
    )
    assert asked.status_code == 201, asked.text
    body: dict[str, Any] = asked.json()
    return body


async def open_requests(who: Persona, plan_id: str) -> list[dict[str, Any]]:
    found = await who.client.get(f"/api/v1/plans/{plan_id}/review-requests")
    assert found.status_code == 200, found.text
    body: list[dict[str, Any]] = found.json()
    return body


# --- the person asks for a review ------------------------------------------------------------


async def test_the_person_asks_for_a_review_before_the_review_date_saying_why(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner = people["owner"]
    review_on = dt.date.today() + dt.timedelta(days=90)
    plan_id = await agreed_plan(people, council, review_date=review_on.isoformat())
    due = f"{review_on.day} {review_on:%B} {review_on.year}"

    # The sign-off page offers a review of the agreed plan, and nobody has asked yet.
    sign_off_html = assert_page(await owner.client.get(page_url(plan_id, "sign-off")))
    sign_off = words(sign_off_html)
    assert f'href="/plans/{plan_id}/review-request"' in sign_off_html
    assert f"is due to be reviewed by {due}" in sign_off
    assert "Nobody has asked for a review yet." in sign_off

    # The form says the review date, and that before it a reason is needed.
    form = words(assert_page(await owner.client.get(page_url(plan_id, "review-request"))))
    assert f"Review due {due}" in form
    assert f"The review is due on {due}. Before then, say why a review is needed now" in form
    assert "What has changed (optional)" not in form

    refused = await send(
        owner.client,
        page_url(plan_id, "review-request"),
        page_url(plan_id, "review-request"),
        {"reason": "   "},
    )
    [(href, message)] = error_summary(assert_page(refused, 422))
    assert href == "#reason" and "before the review date" in message
    assert await open_requests(owner, plan_id) == []

    asked = await send(
        owner.client,
        page_url(plan_id, "review-request"),
        page_url(plan_id, "review-request"),
        {"reason": "My breathing is worse this winter"},
    )
    page = await follow(
        owner.client, asked, page_url(plan_id, "sign-off") + "?done=review_requested"
    )
    assert "You asked for a review: staff will answer your request" in words(page)
    cells = row_with(page, "My breathing is worse this winter")
    assert cells[1] == "You" and cells[3].startswith("Waiting for an answer")
    [request] = await open_requests(owner, plan_id)
    assert request["early"] is True and request["status"] == "open"


async def test_after_the_review_date_no_reason_is_needed_and_a_draft_has_nothing_to_review(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner = people["owner"]
    plan_id = await agreed_plan(people, council)
    passed = dt.date.today() - dt.timedelta(days=3)
    # Time passes: the plan's review date is now behind us.
    await Plan.update({Plan.review_date: passed}).where(Plan.id == uuid.UUID(plan_id))
    form = words(assert_page(await owner.client.get(page_url(plan_id, "review-request"))))
    assert "What has changed (optional)" in form and "so you do not have to say why" in form
    asked = await send(
        owner.client,
        page_url(plan_id, "review-request"),
        page_url(plan_id, "review-request"),
        {"reason": ""},
    )
    await follow(owner.client, asked, page_url(plan_id, "sign-off") + "?done=review_requested")
    assert [r["early"] for r in await open_requests(owner, plan_id)] == [False]

    draft = await write_complete_plan(owner.client)
    assert "Ask for a review" not in assert_page(
        await owner.client.get(page_url(draft, "sign-off"))
    )
    nothing = words(assert_page(await owner.client.get(page_url(draft, "review-request"))))
    assert "has not been agreed yet, so there is nothing to review" in nothing
    assert_page(await people["stranger"].client.get(page_url(plan_id, "review-request")), 404)
    assert_page(await people["stranger"].client.get(page_url(plan_id, "review")), 404)


# --- staff answer review requests ------------------------------------------------------------


async def test_a_coordinator_starts_the_review_from_the_review_requests_tray(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner, coordinator = people["owner"], people["coordinator"]
    plan_id = await agreed_plan(people, council)
    await request_review_through_api(owner, plan_id, "I have moved in with my daughter")

    # The tray leads to the plan's review page, not the overview.
    trays = words(assert_page(await coordinator.client.get(f"/organisations/{council}/trays")))
    assert "Review requests" in trays
    tray = assert_page(
        await coordinator.client.get(f"/organisations/{council}/trays/review_requests?page=1")
    )
    assert f'href="/plans/{plan_id}/review"' in tray
    sign_off = assert_page(await coordinator.client.get(page_url(plan_id, "sign-off")))
    assert "Start a review, or answer review requests and package changes" in sign_off

    review = words(assert_page(await coordinator.client.get(page_url(plan_id, "review"))))
    assert "Review of Owner's plan" in review
    assert "Asked by Owner (the person)" in review and "I have moved in with my daughter" in review
    assert "1 request is waiting for an answer." in review
    assert "Start the review" in review

    started = await send(
        coordinator.client,
        page_url(plan_id, "review"),
        page_url(plan_id, "review", "start"),
        {"note": "Visit booked for Tuesday"},
    )
    page = words(
        await follow(coordinator.client, started, page_url(plan_id, "review") + "?done=started")
    )
    assert "Review started: the plan is a draft again" in page
    assert "No review requests are waiting for an answer." in page
    assert "a review cannot be started now" in page
    status = await api_status(owner, plan_id)
    assert status["state"] == "draft" and status["agreed_version"] == 1

    # The person sees their plan is a draft again, and the answer to their request.
    mine = assert_page(await owner.client.get(page_url(plan_id, "sign-off")))
    assert tag_text(mine, "sign-off-state") == "Draft"
    cells = row_with(mine, "I have moved in with my daughter")
    assert cells[3].startswith("Review started") and "Visit booked for Tuesday" in cells[3]
    assert f'href="/plans/{plan_id}/review-request"' not in mine, "a review is under way"

    # Nobody but staff who decide works on the review page; the person is told so.
    refused = words(assert_page(await owner.client.get(page_url(plan_id, "review")), 403))
    assert "No review for you to work on" in refused
    # Started once, it cannot be started again: the page says why.
    stale = assert_page(await coordinator.client.get(page_url(plan_id, "review")))
    again = await coordinator.client.post(
        page_url(plan_id, "review", "start"),
        data={"note": "", "_csrf_token": csrf_token(stale)},
    )
    [(href, message)] = error_summary(assert_page(again, 409))
    assert href == "#start-review" and "draft" in message


async def test_a_coordinator_declines_a_review_request_with_a_reason(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, coordinator = people["owner"], people["coordinator"]
    plan_id = await agreed_plan(people, council)
    request = await request_review_through_api(people["provider"], plan_id, "Needs have changed")
    action = page_url(plan_id, "review", "requests", request["id"], "decline")

    review = assert_page(await coordinator.client.get(page_url(plan_id, "review")))
    assert "Asked by Provider (someone who helps with the plan)" in words(review)
    empty = await send(coordinator.client, page_url(plan_id, "review"), action, {"reason": ""})
    [(href, message)] = error_summary(assert_page(empty, 422))
    assert href == f"#request-{request['id']}-reason" and "Say why" in message

    declined = await send(
        coordinator.client,
        page_url(plan_id, "review"),
        action,
        {"reason": "The review is in three weeks; we will look at it then"},
    )
    page = await follow(
        coordinator.client, declined, page_url(plan_id, "review") + "?done=request_declined"
    )
    assert "Review request answered: a review is not needed now" in words(page)
    cells = row_with(page, "Needs have changed")
    assert cells[3].startswith("Not needed now") and "in three weeks" in cells[3]
    assert (await api_status(owner, plan_id))["state"] == "agreed"
    mine = assert_page(await owner.client.get(page_url(plan_id, "sign-off")))
    assert "we will look at it then" in row_with(mine, "Needs have changed")[3]


# --- package changes -----------------------------------------------------------------------


async def test_a_provider_proposes_a_change_within_tolerance_and_the_coordinator_confirms_it(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner, provider, coordinator = people["owner"], people["provider"], people["coordinator"]
    plan_id = await agreed_plan(people, council)
    line = await pa_line(provider, plan_id)
    new = page_url(plan_id, "package-changes", "new")

    # The money page shows the line's hours, and offers the provider a change to it.
    money = assert_page(await provider.client.get(page_url(plan_id, "money")))
    assert tag_text(money, f"hours-{line['id']}") == "9 hours a week"
    assert f'href="{new}?item={line["id"]}"' in money
    # A provider may comment on the money, not edit it: no change or remove links for them.
    item_page = f'href="/plans/{plan_id}/money/items/{line["id"]}"'
    assert item_page not in money
    assert item_page in assert_page(await owner.client.get(page_url(plan_id, "money")))
    # Without a line chosen, the page lists the lines to choose from.
    choose = assert_page(await provider.client.get(new))
    assert "Choose the support you want to change" in words(choose)
    assert f'href="{new}?item={line["id"]}"' in choose
    gone = assert_page(await provider.client.get(f"{new}?item={uuid.uuid4()}"), 404)
    assert "That support is not part of the plan now" in words(gone)

    form = words(assert_page(await provider.client.get(f"{new}?item={line['id']}")))
    assert PA_MORNINGS in form
    assert "Hours a week now 9 hours a week" in form and "Weekly cost now £148.50 a week" in form

    # Nothing filled in: each box is pointed at.
    empty = await send_form(provider.client, f"{new}?item={line['id']}", new, {})
    summary = error_summary(assert_page(empty, 400))
    assert [href for href, _ in summary] == ["#after-hours", "#cost_after", "#reason"]
    # More hours for less money do not add up: the cost box says so.
    odd = await send_form(
        provider.client,
        f"{new}?item={line['id']}",
        new,
        {"after[hours]": "10", "after[minutes]": "0", "cost_after": "140", "reason": "More"},
    )
    [(href, message)] = error_summary(assert_page(odd, 422))
    assert href == "#cost_after" and "the other" in message
    assert "140" in odd.text, "what was typed is kept"

    proposed = await send_form(
        provider.client,
        f"{new}?item={line['id']}",
        new,
        {
            "after[hours]": "10",
            "after[minutes]": "0",
            "cost_after": "165.00",
            "reason": "Mornings take longer now",
        },
    )
    assert proposed.status_code == 303, proposed.text[:2000]
    change_url = proposed.headers["location"].removesuffix("?done=proposed")
    change = words(await follow(provider.client, proposed, f"{change_url}?done=proposed"))
    assert "Change proposed" in change and "Your coordinator will confirm this change" in change
    assert "9 hours a week now 10 hours a week after the change" in change
    assert "£148.50 now £165.00 after the change" in change

    # The person sees it by the line on their money page.
    mine = words(assert_page(await owner.client.get(page_url(plan_id, "money"))))
    assert "proposed a change on" in mine and "9 hours to 10 hours a week" in mine

    # The coordinator's tray leads to the review page, which shows the change and decides it.
    tray = assert_page(
        await coordinator.client.get(f"/organisations/{council}/trays/changes_to_confirm")
    )
    assert f'href="/plans/{plan_id}/review"' in tray
    review = words(assert_page(await coordinator.client.get(page_url(plan_id, "review"))))
    assert f"Change to {PA_MORNINGS}" in review
    assert "Within tolerance: a care coordinator confirms it" in review
    change_id = change_url.rsplit("/", 1)[1]
    confirmed = await send(
        coordinator.client,
        page_url(plan_id, "review"),
        page_url(plan_id, "package-changes", change_id, "decision"),
        {"decision": "confirm", "reason": "Agreed with the provider"},
    )
    done = words(
        await follow(
            coordinator.client, confirmed, page_url(plan_id, "review") + "?done=change_for_budget"
        )
    )
    assert "Change confirmed" in done and "No changes to the package are waiting" in done
    # It costs more than the agreed budget: the new version waits for budget authorisation.
    assert "waits for budget authorisation" in done
    await authorise_budget(people["budget"], plan_id)

    # The plan now holds the new line, as a new agreed version, made by the change.
    money_now = assert_page(await owner.client.get(page_url(plan_id, "money")))
    now = await pa_line(owner, plan_id)
    assert tag_text(money_now, f"hours-{now['id']}") == "10 hours a week"
    assert "£165.00 every week" in money_now
    status = await api_status(owner, plan_id)
    assert status["state"] == "agreed" and status["agreed_version"] == 2
    version = words(assert_page(await owner.client.get(page_url(plan_id, "versions", "2"))))
    assert "£165.00, every week, 10 hours a week" in version
    assert "confirmed by Coordinator, change proposed by Provider of Test provider" in version


async def test_a_change_outside_tolerance_is_for_a_team_manager(people, council) -> None:  # type: ignore[no-untyped-def]
    provider, coordinator, manager = people["provider"], people["coordinator"], people["manager"]
    plan_id = await agreed_plan(people, council)
    line = await pa_line(provider, plan_id)
    # 9 → 15 hours: six hours from the order, more than the five a provider may change.
    proposed = await send_form(
        provider.client,
        page_url(plan_id, "package-changes", "new") + f"?item={line['id']}",
        page_url(plan_id, "package-changes", "new"),
        {
            "after[hours]": "15",
            "after[minutes]": "0",
            "cost_after": "247.50",
            "reason": "Evenings too now",
        },
    )
    location = proposed.headers["location"]
    change = words(await follow(provider.client, proposed, location))
    assert "A team manager needs to decide, because:" in change
    assert "6 hours from the hours first ordered" in change
    change_id = location.split("/")[-1].split("?")[0]
    decision = page_url(plan_id, "package-changes", change_id, "decision")

    # The coordinator is told a team manager decides; a decision sent anyway is refused there.
    review = assert_page(await coordinator.client.get(page_url(plan_id, "review")))
    assert "outside tolerance, so a team manager decides on it" in words(review)
    assert f'action="{decision}"' not in review
    refused = await coordinator.client.post(
        decision, data={"decision": "confirm", "reason": "", "_csrf_token": csrf_token(review)}
    )
    [(href, message)] = error_summary(assert_page(refused, 403))
    assert href == f"#change-{change_id}-reason" and "team manager" in message

    # The team manager sees it in their tray, and declines it with a reason.
    tray = assert_page(
        await manager.client.get(f"/organisations/{council}/trays/changes_for_team_manager")
    )
    assert f'href="/plans/{plan_id}/review"' in tray
    empty = await send(
        manager.client, page_url(plan_id, "review"), decision, {"decision": "decline"}
    )
    [(href, message)] = error_summary(assert_page(empty, 422))
    assert href == f"#change-{change_id}-reason" and "Say why" in message
    declined = await send(
        manager.client,
        page_url(plan_id, "review"),
        decision,
        {"decision": "decline", "reason": "A full review is due next month"},
    )
    await follow(manager.client, declined, page_url(plan_id, "review") + "?done=change_declined")
    after = words(
        assert_page(await provider.client.get(page_url(plan_id, "package-changes", change_id)))
    )
    assert "Declined" in after and "A full review is due next month" in after
    assert (await pa_line(provider, plan_id))["id"] == line["id"], "the line is unchanged"


async def test_the_change_form_keeps_to_the_plans_hours_and_the_providers_own_lines(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    provider = people["provider"]
    plan_id = await agreed_plan(people, council)
    items = (await provider.client.get(f"/api/v1/plans/{plan_id}/support-items")).json()
    thursdays = next(
        i for i in items if i["minutes_per_week"] is None and i["frequency"] == "weekly"
    )
    new = page_url(plan_id, "package-changes", "new")
    # No hours in the plan: no boxes to type them, and a sentence saying what to do instead.
    page = assert_page(await provider.client.get(f"{new}?item={thursdays['id']}"))
    assert "records no hours a week for this support" in words(page)
    assert f'<form method="post" action="{new}"' not in page
    # The provider's own line asks only for the figures after the change.
    line = await pa_line(provider, plan_id)
    form = assert_page(await provider.client.get(f"{new}?item={line['id']}"))
    assert 'name="minutes_before"' not in form and 'name="weekly_cost_before_pence"' not in form
    assert 'name="before[hours]"' not in form
    # Posted anyway, a change to a line another provider gives is refused on the form.
    refused = await provider.client.post(
        new,
        data={
            "support_item": thursdays["id"],
            "after[hours]": "2",
            "after[minutes]": "0",
            "cost_after": "33.00",
            "reason": "Shorter sessions",
            "_csrf_token": csrf_token(page),
        },
    )
    [(href, message)] = error_summary(assert_page(refused, 403))
    assert href == "#propose" and "cannot change it" in message
    assert (await provider.client.get(f"/api/v1/plans/{plan_id}/package-changes")).json() == []


async def test_the_person_turns_a_change_into_a_full_review(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, provider = people["owner"], people["provider"]
    plan_id = await agreed_plan(people, council)
    made = await propose(provider, plan_id, await pa_line(provider, plan_id), 10 * H, 16_500)
    change_id = made.json()["id"]
    change_url = page_url(plan_id, "package-changes", change_id)

    money = assert_page(await owner.client.get(page_url(plan_id, "money")))
    assert f'href="{change_url}"' in money
    turned = await send(
        owner.client,
        change_url,
        f"{change_url}/review",
        {"reason": "I would rather talk about all of my support"},
    )
    page = words(await follow(owner.client, turned, f"{change_url}?done=review"))
    assert "You asked for a full review instead of this change" in page
    assert "Turned into a review" in page
    sign_off = assert_page(await owner.client.get(page_url(plan_id, "sign-off")))
    cells = row_with(sign_off, "I would rather talk about all of my support")
    assert "From a proposed change to the support" in cells[2]
    assert_page(await people["stranger"].client.get(change_url), 404)

    # Staff can do the same from the review page, for another change.
    other = await propose(provider, plan_id, await pa_line(provider, plan_id), 10 * H, 16_500)
    other_id = other.json()["id"]
    coordinator = people["coordinator"]
    turned = await send_form(
        coordinator.client,
        page_url(plan_id, "review"),
        page_url(plan_id, "package-changes", other_id, "review"),
        {},
    )
    review = words(
        await follow(
            coordinator.client, turned, page_url(plan_id, "review") + "?done=change_review"
        )
    )
    assert "The change was turned into a request for a full review" in review
    assert "This request came from a proposed change to the support." in review
    assert "A package change needs a full review" in review


# --- outcomes -------------------------------------------------------------------------------


async def test_staff_agree_and_decline_outcomes_and_the_person_sees_who_decided(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    owner, coordinator = people["owner"], people["coordinator"]
    plan_id = await agreed_plan(people, council)
    outcomes = (await owner.client.get(f"/api/v1/plans/{plan_id}/outcomes")).json()
    first, second = outcomes[0], outcomes[1]
    first_action = page_url(plan_id, "outcome-decisions", first["id"])
    second_action = page_url(plan_id, "outcome-decisions", second["id"])

    agreed = await send(
        coordinator.client,
        page_url(plan_id, "review"),
        first_action,
        {"back": "review", "decision": "agreed", "reason": ""},
    )
    await follow(coordinator.client, agreed, page_url(plan_id, "review") + "?done=outcome_agreed")
    no_reason = await send(
        coordinator.client,
        page_url(plan_id, "review"),
        second_action,
        {"back": "review", "decision": "declined", "reason": ""},
    )
    [(href, message)] = error_summary(assert_page(no_reason, 422))
    assert href == f"#outcome-{second['id']}-reason" and "Say why" in message
    declined = await send(
        coordinator.client,
        page_url(plan_id, "review"),
        second_action,
        {"back": "review", "decision": "declined", "reason": "The shower is funded elsewhere"},
    )
    await follow(
        coordinator.client, declined, page_url(plan_id, "review") + "?done=outcome_declined"
    )

    page = assert_page(await owner.client.get(page_url(plan_id, "outcomes")))
    today = dt.date.today()
    first_status = tag_text(page, f"status-{first['id']}")
    assert first_status.startswith("Agreed") and "Agreed by Coordinator on" in first_status
    assert f"{today.year}" in first_status
    second_status = tag_text(page, f"status-{second['id']}")
    assert second_status == "Declined Declined by Coordinator: The shower is funded elsewhere"
    assert (await api_status(owner, plan_id))["state"] == "agreed"
    # The person makes no decision on their own outcomes.
    forged = await owner.client.post(
        first_action, data={"decision": "agreed", "_csrf_token": csrf_token(page)}
    )
    assert_page(forged, 403)


async def test_a_plan_authoriser_agrees_an_outcome_on_the_decide_page(people, council) -> None:  # type: ignore[no-untyped-def]
    owner, authoriser = people["owner"], people["authoriser"]
    plan_id = await write_complete_plan(owner.client)
    await submit_through_pages(owner, plan_id, council)
    outcome = (await owner.client.get(f"/api/v1/plans/{plan_id}/outcomes")).json()[0]
    action = page_url(plan_id, "outcome-decisions", outcome["id"])

    decide = assert_page(await authoriser.client.get(page_url(plan_id, "decide")))
    assert "Agree or decline outcomes" in words(decide)
    assert f'<form method="post" action="{action}"' in decide
    no_reason = await send_form(
        authoriser.client, page_url(plan_id, "decide"), action, {"decision": "declined"}
    )
    [(href, message)] = error_summary(assert_page(no_reason, 422))
    assert href == f"#outcome-{outcome['id']}-reason" and "Say why" in message
    assert "Authorise the plan" in words(no_reason.text), "still the decide page"
    agreed = await send_form(
        authoriser.client, page_url(plan_id, "decide"), action, {"decision": "agreed"}
    )
    page = words(
        await follow(
            authoriser.client, agreed, page_url(plan_id, "decide") + "?done=outcome_agreed"
        )
    )
    assert "Outcome agreed" in page and "Agreed by Authoriser on" in page
    # A budget authoriser does not decide outcomes: no such form for them.
    await authorise_plan_through_api(authoriser, plan_id)
    budget_page = assert_page(await people["budget"].client.get(page_url(plan_id, "decide")))
    assert f'action="{action}"' not in budget_page


async def authorise_plan_through_api(who: Persona, plan_id: str) -> None:
    await decide_outcomes(who.client, plan_id)
    digest = (await api_status(who, plan_id))["submitted_hash"]
    done = await who.client.post(
        f"/api/v1/plans/{plan_id}/authorise-plan", json={"version_hash": digest}
    )
    assert done.status_code == 200, done.text


# --- hours on the support form ----------------------------------------------------------------


async def test_the_person_records_hours_a_week_on_a_support_item(people) -> None:  # type: ignore[no-untyped-def]
    owner = people["owner"]
    created = await owner.client.post("/api/v1/plans", json={"kind": "care_and_support"})
    plan_id = created.json()["id"]
    money_url = page_url(plan_id, "money")
    base = {"description": "Home care", "cost": "120.00", "frequency": "weekly"}

    wrong = await send(
        owner.client,
        money_url,
        money_url,
        {**base, "hours_a_week[hours]": "9", "hours_a_week[minutes]": "75"},
    )
    [(href, message)] = error_summary(assert_page(wrong, 400))
    assert href == "#hours_a_week-hours" and "0 to 59" in message
    assert 'value="75"' in wrong.text, "what was typed is kept"

    added = await send(
        owner.client,
        money_url,
        money_url,
        {**base, "hours_a_week[hours]": "9", "hours_a_week[minutes]": "30"},
    )
    page = await follow(owner.client, added, f"{money_url}?added=support")
    [item] = (await owner.client.get(f"/api/v1/plans/{plan_id}/support-items")).json()
    assert item["minutes_per_week"] == 570
    assert tag_text(page, f"hours-{item['id']}") == "9 hours 30 minutes a week"
    # A draft plan has no agreed package to change yet.
    assert "Propose a change" not in page

    edit_url = page_url(plan_id, "money", "items", item["id"])
    edit = assert_page(await owner.client.get(edit_url))
    assert 'name="hours_a_week[hours]" type="text" value="9"' in edit
    cleared = await send(
        owner.client,
        edit_url,
        edit_url,
        {**base, "version": "1", "hours_a_week[hours]": "", "hours_a_week[minutes]": ""},
    )
    after = await follow(owner.client, cleared, f"{money_url}?changed=support")
    assert f'id="hours-{item["id"]}"' not in after
    [item] = (await owner.client.get(f"/api/v1/plans/{plan_id}/support-items")).json()
    assert item["minutes_per_week"] is None


# --- the organisation's tolerance ------------------------------------------------------------


async def test_an_admin_changes_the_tolerance_and_staff_can_read_it(app) -> None:  # type: ignore[no-untyped-def]
    organisation = await make_organisation(kind="council")
    admin = await make_persona(app, "tolerant")
    coordinator = await make_persona(app, "reader")
    outsider = await make_persona(app, "outsider")
    try:
        await give_role(admin, organisation, "admin")
        await give_role(coordinator, organisation, "coordinator")
        url = f"/organisations/{organisation}/tolerance"
        staff = assert_page(await admin.client.get(f"/organisations/{organisation}"))
        assert f'href="{url}"' in staff
        assert f'href="{url}"' not in assert_page(
            await coordinator.client.get(f"/organisations/{organisation}")
        )

        # Staff read the rule; only an admin has the form.
        read = assert_page(await coordinator.client.get(url))
        text = words(read)
        assert "up to 5 hours a week from the hours first ordered" in text
        assert "more than 20%" in text
        assert table_rows(read) == [
            ["Band 1", "£0.00 to £75.00"],
            ["Band 2", "£75.01 to £150.00"],
            ["Band 3", "£150.01 to £225.00"],
            ["Band 4", "£225.01 to £300.00"],
        ]
        assert f'action="{url}"' not in read and "Change the tolerance" not in read
        forbidden = await coordinator.client.post(
            url, data={"percent": "1", "_csrf_token": csrf_token(staff)}
        )
        assert_page(forbidden, 403)
        assert_page(await outsider.client.get(url), 404)

        form = assert_page(await admin.client.get(url))
        assert re.search(r'name="band-4" type="text" spellcheck="false" value="300.00"', form)
        assert 'name="band-6"' in form and 'name="band-7"' not in form
        unordered = await send(
            admin.client,
            url,
            url,
            {
                "flex[hours]": "3",
                "flex[minutes]": "0",
                "percent": "10",
                "band-1": "200",
                "band-2": "100",
            },
        )
        [(href, message)] = error_summary(assert_page(unordered, 422))
        assert href == "#band-1" and "lowest first" in message
        bad = await send(admin.client, url, url, {"flex[hours]": "3", "percent": "ten"})
        assert ("#percent", "Enter the percentage as a whole number from 0 to 1,000, like 20") in (
            error_summary(assert_page(bad, 400))
        )
        saved = await send(
            admin.client,
            url,
            url,
            {
                "flex[hours]": "3",
                "flex[minutes]": "30",
                "percent": "10",
                "band-1": "100",
                "band-2": "£200.00",
            },
        )
        changed = await follow(admin.client, saved, f"{url}?done=changed")
        page = words(changed)
        assert "Tolerance changed" in page
        assert "up to 3 hours 30 minutes a week" in page and "more than 10%" in page
        assert table_rows(changed) == [
            ["Band 1", "£0.00 to £100.00"],
            ["Band 2", "£100.01 to £200.00"],
        ]
        api = (await admin.client.get(f"/api/v1/organisations/{organisation}/tolerance")).json()
        assert api["minutes"] == 210 and api["bands_pence"] == [10_000, 20_000]
    finally:
        for persona in (admin, coordinator, outsider):
            await persona.client.aclose()


async def test_pages_for_a_plan_under_review_refuse_people_without_access(people, council) -> None:  # type: ignore[no-untyped-def]
    plan_id = await agreed_plan(people, council)
    stranger, authoriser = people["stranger"], people["authoriser"]
    for path in ("review", "review-request", "package-changes/new"):
        assert_page(await stranger.client.get(page_url(plan_id, path)), 404)
    # A plan authoriser may open the review page (for outcomes), but not start a review.
    page = assert_page(await authoriser.client.get(page_url(plan_id, "review")))
    assert f'action="/plans/{plan_id}/review/start"' not in page
    refused = await authoriser.client.post(
        page_url(plan_id, "review", "start"), data={"_csrf_token": csrf_token(page)}
    )
    assert "Only a coordinator or team manager" in words(assert_page(refused, 403))
    # Someone who may only read the money may not propose a change to it.
    viewer = await people["owner"].client.post(
        f"/api/v1/plans/{plan_id}/grants",
        json={
            "grantee_email": stranger.email,
            "sections": ["money"],
            "access": "view",
            "purpose": "Reading only",
        },
    )
    assert viewer.status_code == 201, viewer.text
    money = assert_page(await stranger.client.get(page_url(plan_id, "money")))
    assert "Propose a change" not in money
    assert_page(await stranger.client.get(page_url(plan_id, "package-changes", "new")), 403)


async def test_the_reviews_due_tray_shows_review_dates_and_leads_to_the_review_page(  # type: ignore[no-untyped-def]
    people, council
) -> None:
    soon = dt.date.today() + dt.timedelta(days=10)
    plan_id = await agreed_plan(people, council, review_date=soon.isoformat())
    tray = assert_page(
        await people["coordinator"].client.get(f"/organisations/{council}/trays/reviews_due?page=1")
    )
    cells = row_with(tray, f'href="/plans/{plan_id}/review"')
    assert cells[0] == "Owner" and cells[3] == f"{soon.day} {soon:%B} {soon.year}"
    assert "<th" in tray and "Review due" in tray and "Waiting since" not in tray
