"""The print and check-a-copy pages, over real HTTP: links from every plan page, the PDF served
from the page, a printed copy's code checked by staff, and bad codes told plainly."""

from __future__ import annotations

import re

from tests.exports.pdf_reading import ReadPdf
from tests.exports.test_pdf import share
from tests.factories import write_complete_plan
from tests.pages.signoff.test_sign_off_pages import assert_page, csrf_token, error_summary, words
from tests.signoff.test_sign_off import authorise_budget, authorise_plan, submit


async def test_every_plan_page_links_to_print_and_the_print_page_offers_each_copy(people) -> None:  # type: ignore[no-untyped-def]
    person, planner = people["person"], people["planner"]
    plan_id = await write_complete_plan(person.client)
    grant_id = await share(person, plan_id, planner, ["about_me"])
    for part in ("", "/outcomes", "/money", "/actions", "/contacts", "/sections/about_me"):
        page = assert_page(await person.client.get(f"/plans/{plan_id}{part}"))
        assert f'href="/plans/{plan_id}/print"' in page, part
    page = assert_page(await person.client.get(f"/plans/{plan_id}/print"))
    text = words(page)
    assert "Download your plan (PDF, standard print)" in text
    assert "Download your plan in large print (PDF, 18 point text)" in text
    assert f"/plans/{plan_id}/pdf?audience=grant:{grant_id}" in page
    assert "Download the copy for Planner (PDF)" in text
    assert f"/api/v1/plans/{plan_id}/export/fhir" in page
    # The planner sees their own copy offered, and no one else's.
    theirs = assert_page(await planner.client.get(f"/plans/{plan_id}/print"))
    assert "The copy holds only the parts of Person&#39;s plan that you can see." in theirs or (
        "The copy holds only the parts of Person's plan that you can see." in words(theirs)
    )
    assert "audience=grant:" not in theirs
    # The PDF from the page is the same tagged PDF the API gives.
    response = await planner.client.get(f"/plans/{plan_id}/pdf", params={"variant": "large"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = ReadPdf(response.content)
    assert pdf.lang == "en-GB"
    assert [t for tag, t in pdf.headings() if tag == "H2"][2:] == ["About me"]
    pdf.close()
    # A bad request from a page is a page that says what to do.
    bad = await person.client.get(f"/plans/{plan_id}/pdf", params={"variant": "huge"})
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]
    assert "Choose standard or large" in words(bad.text)
    # Strangers learn nothing.
    assert (await people["stranger"].client.get(f"/plans/{plan_id}/print")).status_code == 404


async def test_staff_check_a_printed_copy_on_the_page(people, council) -> None:  # type: ignore[no-untyped-def]
    person, authoriser = people["person"], people["authoriser"]
    plan_id = await write_complete_plan(person.client)
    await submit(person, plan_id, council)
    await authorise_plan(authoriser, plan_id)
    agreed = await authorise_budget(people["budget"], plan_id)
    code = agreed["versions"][0]["verification_code"]
    form = await authoriser.client.get(f"/plans/{plan_id}/check-copy")
    assert_page(form)
    sent = await authoriser.client.post(
        f"/plans/{plan_id}/check-copy",
        data={"code": code.lower(), "_csrf_token": csrf_token(form.text)},
    )
    page = assert_page(sent)
    assert "The code matches the agreed version" in words(page)
    assert "This copy is version 1, the agreed version of this plan." in words(page)
    miss = await authoriser.client.post(
        f"/plans/{plan_id}/check-copy",
        data={"code": "0000-0000-0000", "_csrf_token": csrf_token(form.text)},
    )
    assert "The code does not match" in words(assert_page(miss))
    bad = await authoriser.client.post(
        f"/plans/{plan_id}/check-copy",
        data={"code": "<b>abc</b>", "_csrf_token": csrf_token(form.text)},
    )
    assert bad.status_code == 422
    assert error_summary(bad.text) == [
        ("#code", "Enter the 12 letters and digits, like 3F2A-91C0-77DE")
    ]
    assert "<b>abc</b>" not in bad.text and "&lt;b&gt;abc&lt;/b&gt;" in bad.text
    assert re.search(r"<title>Error: ", bad.text)
