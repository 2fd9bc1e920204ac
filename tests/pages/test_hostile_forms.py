"""A form with text nobody can type (NUL, escape codes): the page names the field; nothing saved."""

from __future__ import annotations

import re

from tests.pages.test_pages import (
    assert_page,
    hidden,
    open_form,
    post_section,
    read_section,
    start_plan,
)


def summary(page: str) -> str:
    match = re.search(r'class="nhsuk-error-summary".*?</ul>', page, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


async def test_nul_in_a_section_field_is_shown_and_nothing_is_saved(owner) -> None:  # type: ignore[no-untyped-def]
    plan_id = await start_plan(owner)
    before = await read_section(owner, plan_id, "about_me")
    response = await post_section(
        owner, plan_id, "about_me", {"who_i_am": "Jo\x00", "strengths_and_skills": "Singing"}
    )
    page = assert_page(response, 422)
    box = summary(page)
    assert "There is a problem" in box
    assert "control character (U+0000)" in box
    assert "Who" in box  # the field, by its label on the form
    assert "Nothing was saved" in page
    assert await read_section(owner, plan_id, "about_me") == before


async def test_a_page_script_save_with_an_escape_code_gets_the_fields_error(owner) -> None:  # type: ignore[no-untyped-def]
    plan_id = await start_plan(owner)
    before = await read_section(owner, plan_id, "staying_safe")
    form = await open_form(owner, plan_id, "staying_safe")
    response = await owner.client.post(
        f"/plans/{plan_id}/sections/staying_safe",
        data={
            "_csrf_token": hidden(form, "_csrf_token"),
            "version": hidden(form, "version"),
            "risks-count": "1",
            "risks-0-risk": "Falls \x1b[2J",
        },
        headers={"X-Portal-Save": "json"},
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert list(errors) == ["risks-0-risk"]
    assert "control character (U+001B)" in errors["risks-0-risk"]
    assert await read_section(owner, plan_id, "staying_safe") == before


async def test_line_breaks_from_a_browser_form_are_still_text(owner) -> None:  # type: ignore[no-untyped-def]
    plan_id = await start_plan(owner)
    response = await post_section(owner, plan_id, "about_me", {"who_i_am": "One\r\n\tTwo"})
    assert response.status_code == 303, response.text
    assert (await read_section(owner, plan_id, "about_me"))["content"]["who_i_am"] == "One\n\tTwo"


async def test_a_control_character_in_a_page_address_is_a_page_not_an_error(owner) -> None:  # type: ignore[no-untyped-def]
    response = await owner.client.get("/plans", params={"saved": "\x00"})
    page = assert_page(response, 422)
    assert "control character" in summary(page)
    assert "This address cannot be used" in page


async def test_a_form_that_is_not_utf8_is_refused_not_saved_with_replacement_characters(
    owner,
) -> None:  # type: ignore[no-untyped-def]
    plan_id = await start_plan(owner)
    before = await read_section(owner, plan_id, "about_me")
    form = await open_form(owner, plan_id, "about_me")
    fields = f"_csrf_token={hidden(form, '_csrf_token')}&version=0"
    response = await owner.client.post(
        f"/plans/{plan_id}/sections/about_me",
        content=f"{fields}&who_i_am=Jo%FF".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    page = assert_page(response, 400)
    assert "not valid UTF-8" in summary(page)
    assert await read_section(owner, plan_id, "about_me") == before
    # The same form in UTF-8 (é, escaped as a browser does) is saved.
    saved = await owner.client.post(
        f"/plans/{plan_id}/sections/about_me",
        content=f"{fields}&who_i_am=Jos%C3%A9".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert saved.status_code == 303, saved.text
    assert (await read_section(owner, plan_id, "about_me"))["content"]["who_i_am"] == "José"
