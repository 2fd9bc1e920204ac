"""The API describes itself, so other systems and the PWA's scripts can rely on it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from portal.plans.content import SECTION_TYPES

from .helpers import PROBLEM_TYPE


async def test_the_openapi_document_lists_the_plan_api(client) -> None:
    response = await client.get("/api/v1/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Plan portal API"
    paths = document["paths"]
    for path in (
        "/api/v1/session",
        "/api/v1/plans",
        "/api/v1/plans/{plan_id}",
        "/api/v1/plans/{plan_id}/criteria",
        "/api/v1/plans/{plan_id}/sections/{key}",
        "/api/v1/plans/{plan_id}/sections/{key}/revisions",
        "/api/v1/plans/{plan_id}/outcomes",
        "/api/v1/plans/{plan_id}/support-items/{row_id}",
    ):
        assert path in paths, path
    put = paths["/api/v1/plans/{plan_id}/sections/{key}"]["put"]
    headers = {p["name"] for p in put.get("parameters", []) if p["in"] == "header"}
    assert "If-Match" in headers
    schemas = document["components"]["schemas"]
    assert {"PlanRead", "SectionRead", "SupportItemCreate", "OutcomeRead"} <= set(schemas)
    assert "proposed_by" in schemas["OutcomeRead"]["properties"]


async def test_an_outcome_says_who_proposed_it(owner) -> None:
    c = owner.client
    plan = (await c.post("/api/v1/plans", json={"kind": "care_and_support"})).json()
    created = await c.post(f"/api/v1/plans/{plan['id']}/outcomes", json={"title": "Swim weekly"})
    assert created.status_code == 201
    assert created.json()["proposed_by"] == "Owner"
    listed = (await c.get(f"/api/v1/plans/{plan['id']}")).json()["outcomes"]
    assert [o["proposed_by"] for o in listed] == ["Owner"]


# --- the document is the truth ------------------------------------------------------------------

SAFE = {"get", "head", "options"}
METHODS = {"get", "post", "put", "patch", "delete"}
SESSION, CSRF = "sessionCookie", "csrfHeader"
# Operations anyone may call, signed in or not.
ANONYMOUS = {
    ("get", "/api/v1/invitations/{token}"),
    ("get", "/api/v1/session/csrf"),
    ("post", "/api/v1/session"),
    ("delete", "/api/v1/session"),
}
# A value for each path parameter that the route accepts (and that names nothing).
PLACEHOLDERS = {"key": "about_me", "tray": "review_requests", "token": "no-such-invitation"}


async def _document(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def _conforms(document: dict[str, Any], schema: dict[str, Any], body: Any) -> None:
    """The body is valid against the documented schema (its $refs resolved in the document)."""
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors


async def test_the_document_is_valid_openapi_3_1(client) -> None:  # type: ignore[no-untyped-def]
    document = await _document(client)
    assert document["openapi"].startswith("3.1")
    validate(document)


async def test_the_session_cookie_and_the_csrf_header_are_security_schemes(app, client) -> None:  # type: ignore[no-untyped-def]
    schemes = (await _document(client))["components"]["securitySchemes"]
    assert schemes[SESSION] == {
        **schemes[SESSION],
        "type": "apiKey",
        "in": "cookie",
        "name": app.state.settings.session_cookie_name,
    }
    assert schemes[CSRF] == {
        **schemes[CSRF],
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
    }


async def test_each_operation_says_which_credentials_it_needs(client) -> None:  # type: ignore[no-untyped-def]
    for method, path, operation in _operations(await _document(client)):
        alternatives = operation.get("security")
        assert alternatives, (method, path)
        if method not in SAFE:
            # Every change needs the CSRF header, sign-in and sign-out included.
            assert all(CSRF in option for option in alternatives), (method, path)
        needs_session = all(SESSION in option for option in alternatives)
        assert needs_session == ((method, path) not in ANONYMOUS), (method, path)
        statuses = set(operation["responses"])
        assert ("401" in statuses) == needs_session or (method, path) == (
            "post",
            "/api/v1/session",
        ), (method, path)
        if method not in SAFE:
            assert "403" in statuses, (method, path)


async def test_every_error_is_documented_as_a_problem(client) -> None:  # type: ignore[no-untyped-def]
    document = await _document(client)
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"]) | {"type"}
    # The members problems carry besides the standard ones (portal/problems.py's **extra).
    assert {
        "errors",
        "current",
        "version",
        "etag",
        "conflicting_fields",
        "yours",
        "current_state",
        "current_status",
        "current_hash",
        "route",
        "undecided_outcomes",
        "grant_id",
        "spending_limit_pence",
    } <= set(problem["properties"])
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            assert set(response["content"]) == {PROBLEM_TYPE}, (method, path, status)
            schema = response["content"][PROBLEM_TYPE]["schema"]
            assert schema == {"$ref": "#/components/schemas/ProblemDetails"}, (method, path)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            # A path value the route cannot read (not a UUID, not a number) is a 404.
            assert "404" in operation["responses"], (method, path)
        if any(p["name"] == "If-Match" for p in operation.get("parameters", [])):
            assert {"400", "409", "412", "428"} <= set(operation["responses"]), (method, path)


async def test_each_operation_answers_the_credential_problems_it_documents(app, client) -> None:  # type: ignore[no-untyped-def]
    """Called for real without a session (and changes without the CSRF header): each answer is
    a status the operation documents, 401 where it says it needs the session, 403 without the
    token. Nothing is named by the placeholders, so nothing changes."""
    document = await _document(client)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as tokenless:
        for method, path, operation in _operations(document):
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    name = parameter["name"]
                    value = (
                        str(uuid.uuid4())
                        if parameter["schema"].get("format") == "uuid"
                        else PLACEHOLDERS.get(name, "1")
                    )
                    url = url.replace("{" + name + "}", value)
            headers = {"If-Match": '"0"'}
            body = {"json": {}} if "requestBody" in operation else {}
            answer = await client.request(method, url, headers=headers, **body)
            assert str(answer.status_code) in operation["responses"], (method, path, answer.text)
            if int(answer.status_code) >= 400:
                assert answer.headers["content-type"].startswith(PROBLEM_TYPE), (method, path)
                status = str(answer.status_code)
                schema = operation["responses"][status]["content"][PROBLEM_TYPE]["schema"]
                _conforms(document, schema, answer.json())
            if all(SESSION in option for option in operation["security"]):
                assert answer.status_code == 401, (method, path, answer.text)
            if method not in SAFE:
                refused = await tokenless.request(method, url, headers=headers, **body)
                assert refused.status_code == 403, (method, path, refused.text)


async def test_a_section_write_documents_its_body_and_the_if_match_it_needs(owner) -> None:  # type: ignore[no-untyped-def]
    c = owner.client
    document = await _document(c)
    put = document["paths"]["/api/v1/plans/{plan_id}/sections/{key}"]["put"]
    body = put["requestBody"]["content"]["application/json"]["schema"]
    assert put["requestBody"]["required"] is True
    assert [option["title"] for option in body["anyOf"]] == [
        cls.__name__ for cls in SECTION_TYPES.values()
    ]
    about_me = next(option for option in body["anyOf"] if option["title"] == "AboutMe")
    assert about_me["additionalProperties"] is False
    assert about_me["properties"]["who_i_am"]["maxLength"] == 5000
    (key,) = [p for p in put["parameters"] if p["name"] == "key"]
    assert key["schema"]["enum"] == list(SECTION_TYPES)
    (if_match,) = [p for p in put["parameters"] if p["name"] == "If-Match"]
    assert if_match["in"] == "header" and if_match["required"] is True

    plan = (await c.post("/api/v1/plans", json={"kind": "care_and_support"})).json()
    url = f"/api/v1/plans/{plan['id']}/sections/about_me"
    read = await c.get(url)
    assert re.fullmatch(if_match["schema"]["pattern"], read.headers["ETag"])
    _conforms(
        document, put["responses"]["200"]["content"]["application/json"]["schema"], read.json()
    )

    # A body the documented schema allows is saved; the answers to stale and missing versions
    # and to the same field changed twice are the documented problems, with their members.
    mine = {"who_i_am": "Sam, who likes trains"}
    _conforms(document, body, mine)
    saved = await c.put(url, json=mine, headers={"If-Match": read.headers["ETag"]})
    assert saved.status_code == 200, saved.text
    problem = put["responses"]["409"]["content"][PROBLEM_TYPE]["schema"]
    for answer, status in (
        (await c.put(url, json=mine), 428),
        (await c.put(url, json=mine, headers={"If-Match": '"7"'}), 412),
        (await c.put(url, json={"who_i_am": "Sam"}, headers={"If-Match": '"0"'}), 409),
        (await c.put(url, content=b"{", headers={"If-Match": '"1"'}), 400),
        (await c.put(url, json={"who_i_am": 3}, headers={"If-Match": '"1"'}), 422),
    ):
        assert answer.status_code == status, answer.text
        assert str(status) in put["responses"]
        assert answer.headers["content-type"].startswith(PROBLEM_TYPE)
        _conforms(document, problem, answer.json())
    conflict = (await c.put(url, json={"who_i_am": "Sam"}, headers={"If-Match": '"0"'})).json()
    assert conflict["conflicting_fields"] == ["who_i_am"] and conflict["etag"] == '"1"'


async def test_media_types_are_the_ones_sent(client) -> None:  # type: ignore[no-untyped-def]
    paths = (await _document(client))["paths"]
    sign_out = paths["/api/v1/session"]["delete"]["responses"]
    assert "204" in sign_out and "200" not in sign_out
    assert "content" not in sign_out["204"]
    events = paths["/api/v1/plans/{plan_id}/events"]["get"]["responses"]["200"]["content"]
    assert list(events) == ["text/event-stream"]
    fhir = paths["/api/v1/plans/{plan_id}/export/fhir"]["get"]["responses"]["200"]["content"]
    assert list(fhir) == ["application/fhir+json"]
    assert fhir["application/fhir+json"]["schema"]["type"] == "object"
    for path, media_type in (
        ("/api/v1/plans/{plan_id}/export/pdf", "application/pdf"),
        ("/api/v1/me/data", "application/zip"),
    ):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert list(content) == [media_type]
        assert content[media_type]["schema"]["format"] == "binary"
    comments = paths["/api/v1/plans/{plan_id}/sections/{key}/comments"]["post"]
    assert (
        "comment" in comments["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )


async def test_what_sign_out_and_exports_send_is_what_the_document_says(owner) -> None:  # type: ignore[no-untyped-def]
    c = owner.client
    plan = (await c.post("/api/v1/plans", json={"kind": "care_and_support"})).json()
    document = await _document(c)
    fhir = await c.get(f"/api/v1/plans/{plan['id']}/export/fhir")
    assert fhir.status_code == 200
    assert fhir.headers["content-type"].startswith("application/fhir+json")
    operation = document["paths"]["/api/v1/plans/{plan_id}/export/fhir"]["get"]
    _conforms(
        document,
        operation["responses"]["200"]["content"]["application/fhir+json"]["schema"],
        fhir.json(),
    )
    signed_out = await c.delete("/api/v1/session")
    assert signed_out.status_code == 204 and signed_out.content == b""
