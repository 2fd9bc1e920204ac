"""Hostile bodies and text: a clear 4xx problem naming what to fix, never a 500, and nothing saved.

Control characters in any text (JSON values and keys, query strings, path segments), JSON nested
thousands deep, bodies that are not UTF-8, keys given twice, and strings where a number or a
yes/no is required. Hypothesis writes control characters into every text field of every section,
and valid text (tabs, new lines, emoji, right-to-left scripts) that must read back exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.plans.content import SECTION_TYPES
from portal.routes.request_guard import MAX_DEPTH

from .helpers import (
    add_row,
    assert_problem,
    change_section,
    create_plan,
    if_match,
    plan_url,
    read_section,
    snapshot,
)

# Every class of control character that is refused: C0 but tab, line feed and carriage return;
# DEL; C1.
REFUSED = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))]
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
async def seeded(author) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A plan with some content and an outcome, to compare with after each refusal."""
    c = author.client
    plan = await create_plan(c, title="Hostile plan")
    plan_id = plan["id"]
    await change_section(c, plan_id, "about_me", who_i_am="Jo")
    await change_section(
        c, plan_id, "staying_safe", risks=[{"risk": "Falls", "mitigation": "Rail"}]
    )
    outcome = await add_row(c, plan_id, "outcomes", title="Swim")
    return {"plan": plan_id, "outcome": outcome["id"], "baseline": await snapshot(c, plan_id)}


async def unchanged(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    assert await snapshot(client, seeded["plan"]) == seeded["baseline"]


def field_of(body: dict[str, Any]) -> str:
    errors = body.get("errors") or []
    assert errors, body
    field: str = errors[0]["field"]
    return field


# --- control characters -----------------------------------------------------------------


@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
async def test_every_control_character_in_section_text_is_refused(author, seeded, char) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    url = f"{plan_url(seeded['plan'])}/sections/about_me"
    response = await c.put(url, json={"who_i_am": f"Jo{char}"}, headers=if_match(1))
    body = assert_problem(response, 422, "who_i_am", f"U+{ord(char):04X}", "remove it")
    assert field_of(body) == "who_i_am"
    await unchanged(c, seeded)


@pytest.mark.parametrize(
    ("where", "method", "path", "body", "field"),
    [
        (
            "a risk",
            "PUT",
            "sections/staying_safe",
            {"risks": [{"risk": "Falls", "mitigation": "R\x00ail"}]},
            "risks[0].mitigation",
        ),
        (
            "a list item",
            "PUT",
            "sections/working_not_working",
            {"working": ["ok", "\x00"]},
            "working[1]",
        ),
        ("a new outcome", "POST", "outcomes", {"title": "Sw\x00im"}, "title"),
        ("an outcome change", "PATCH", "outcomes/{outcome}", {"how": "\x1b[31m"}, "how"),
        (
            "a support item",
            "POST",
            "support-items",
            {"description": "PA\x00", "cost_pence": 100, "frequency": "weekly"},
            "description",
        ),
        ("a contact", "POST", "contacts", {"name": "Ana\x7f"}, "name"),
        ("a comment", "POST", "sections/about_me/comments", {"comment": "Hi\x00"}, "comment"),
        (
            "an invitation's email",
            "POST",
            "invitations",
            {
                "sections": ["about_me"],
                "access": "view",
                "purpose": "Help me plan",
                "email": "ana\x00@example.org",
            },
            "email",
        ),
        (
            "an invitation's purpose",
            "POST",
            "invitations",
            {"sections": ["about_me"], "access": "view", "purpose": "Help\x85"},
            "purpose",
        ),
        (
            "a grant's reason",
            "POST",
            "grants",
            {
                "sections": ["about_me"],
                "access": "view",
                "purpose": "Help me plan",
                "grantee_email": "nobody@example.org",
                "reason": "\x00",
            },
            "reason",
        ),
        ("a key", "PUT", "sections/about_me", {"who_i_am": "Jo", "who\x00": "x"}, "who\\x00"),
    ],
)
async def test_a_control_character_anywhere_in_a_plan_change_is_refused_naming_the_field(  # type: ignore[no-untyped-def]
    author, seeded, where, method, path, body, field
) -> None:
    c = author.client
    url = f"{plan_url(seeded['plan'])}/{path.format(**seeded)}"
    before_invitations = (await c.get(f"{plan_url(seeded['plan'])}/invitations")).json()
    before_grants = (await c.get(f"{plan_url(seeded['plan'])}/grants")).json()
    response = await c.request(method, url, json=body, headers=if_match(1))
    problem = assert_problem(response, 422, "control character")
    assert field_of(problem) == field, where
    await unchanged(c, seeded)
    assert (await c.get(f"{plan_url(seeded['plan'])}/invitations")).json() == before_invitations
    assert (await c.get(f"{plan_url(seeded['plan'])}/grants")).json() == before_grants


async def test_nul_in_the_sign_in_email_is_a_problem_not_a_server_error(client, author) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/v1/session", json={"email": author.email + "\x00", "password": "whatever-it-is"}
    )
    problem = assert_problem(response, 422, "email", "control character")
    assert field_of(problem) == "email"
    assert "set-cookie" not in response.headers
    # Escaped or raw in the JSON text, the same character.
    raw = b'{"email": "a\\u0000@example.org", "password": "x"}'
    assert_problem(await client.post("/api/v1/session", content=raw, headers=JSON), 422, "email")


async def test_tab_new_line_and_carriage_return_are_text(author) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    plan = await create_plan(c)
    text = "Line one\r\nLine two\n\tindented"
    saved = await change_section(c, plan["id"], "about_me", who_i_am=text)
    assert saved["content"]["who_i_am"] == text


async def test_control_characters_in_query_strings_and_paths_are_refused(author, seeded) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    listed = await c.get("/api/v1/plans", params={"page": "1\x00"})
    assert field_of(assert_problem(listed, 422, "control character")) == "page"
    section = await c.get(f"{plan_url(seeded['plan'])}/sections/about%00me")
    assert field_of(assert_problem(section, 422, "control character")) == "key"
    written = await c.put(
        f"{plan_url(seeded['plan'])}/sections/about_me%01", json={}, headers=if_match(1)
    )
    assert_problem(written, 422, "key")
    # Not UTF-8 once unescaped: refused, not read with replacement characters.
    assert_problem(await c.get("/api/v1/plans?page=%FF"), 400, "UTF-8")
    assert_problem(await c.get("/api/v1/plans?page=%ED%A0%80"), 400, "UTF-8")
    assert (await c.get("/api/v1/plans?page=%C3%A9")).status_code == 200
    await unchanged(c, seeded)


# --- bodies that cannot be read -------------------------------------------------------------


def nested(levels: int) -> bytes:
    return b'{"who_i_am": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize("levels", [MAX_DEPTH, 1_000, 10_000])
@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "sections/about_me"), ("POST", "outcomes"), ("POST", "grants")],
)
async def test_json_nested_too_deep_is_refused(author, seeded, levels, method, path) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    url = f"{plan_url(seeded['plan'])}/{path}"
    response = await c.request(method, url, content=nested(levels), headers=JSON | if_match(1))
    assert_problem(response, 400, f"more than {MAX_DEPTH} levels")
    await unchanged(c, seeded)


async def test_json_nested_deep_is_refused_at_sign_in_too(client) -> None:  # type: ignore[no-untyped-def]
    body = b'{"email": ' + b"[" * 10_000 + b"]" * 10_000 + b', "password": "x"}'
    response = await client.post("/api/v1/session", content=body, headers=JSON)
    assert_problem(response, 400, "nested")


async def test_a_body_at_the_depth_limit_is_judged_on_its_fields(author, seeded) -> None:  # type: ignore[no-untyped-def]
    # One level under the limit is read, and refused only for being the wrong type.
    response = await author.client.put(
        f"{plan_url(seeded['plan'])}/sections/about_me",
        content=nested(MAX_DEPTH - 1),
        headers=JSON | if_match(1),
    )
    assert_problem(response, 422, "who_i_am")


@pytest.mark.parametrize(
    "raw",
    [b'{"who_i_am": "\xff"}', b'{"who_i_am": "\xc0\x80"}', b'{"who_i_am": "\xed\xa0\x80"}'],
    ids=["0xff", "overlong NUL", "encoded surrogate"],
)
async def test_a_body_that_is_not_utf8_is_refused(author, seeded, raw) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    for path, method in (("sections/about_me", "PUT"), ("outcomes", "POST"), ("grants", "POST")):
        url = f"{plan_url(seeded['plan'])}/{path}"
        response = await c.request(method, url, content=raw, headers=JSON | if_match(1))
        assert_problem(response, 400, "UTF-8")
    await unchanged(c, seeded)


async def test_a_lone_surrogate_escape_is_refused(author, seeded) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    raw = b'{"who_i_am": "\\ud800"}'
    response = await c.put(
        f"{plan_url(seeded['plan'])}/sections/about_me", content=raw, headers=JSON | if_match(1)
    )
    assert_problem(response, 400)
    await unchanged(c, seeded)


@pytest.mark.parametrize(
    ("path", "method", "raw", "field"),
    [
        ("sections/about_me", "PUT", b'{"who_i_am": "Jo", "who_i_am": "Al"}', "who_i_am"),
        (
            "sections/staying_safe",
            "PUT",
            b'{"risks": [{"risk": "Falls"}, {"risk": "A", "risk": "B"}]}',
            "risks[1].risk",
        ),
        ("outcomes", "POST", b'{"title": "Swim", "title": "Run"}', "title"),
        (
            "grants",
            "POST",
            b'{"sections": ["about_me"], "access": "view", "access": "edit",'
            b' "purpose": "Help", "grantee_email": "nobody@example.org"}',
            "access",
        ),
    ],
)
async def test_a_key_given_twice_is_refused_naming_it(
    author, seeded, path, method, raw, field
) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    url = f"{plan_url(seeded['plan'])}/{path}"
    response = await c.request(method, url, content=raw, headers=JSON | if_match(1))
    problem = assert_problem(response, 422, "more than once")
    assert field_of(problem) == field
    await unchanged(c, seeded)


@pytest.mark.parametrize(
    ("raw", "repeated"),
    [
        (b'{"a": 1, "a": 2}', "a"),
        (b'{"a" : 1, "a":2}', "a"),  # spaces before a colon
        (b'{"a":1, "a":2, "t":"x\\":"}', "a"),  # a quote and colon inside a value as well
        (b'{"o": {"k": [{"x": 1}, {"x": 1, "y": 2, "x": 3}]}}', "o.k[1].x"),
        (b'{"\\":\\"": 1, "\\":\\"": 2}', '":"'),  # the key is ":"
        (b'{"a": 1, "b": {"a": 2}}', None),
        (b'{"a": "\\"a\\": 1", "b": "\\" : "}', None),
        (b'{"\\":": 1, "x": ":"}', None),
        (b'[{"a": 1}, {"a": 1}]', None),
    ],
)
def test_keys_given_twice_are_told_from_the_same_words_in_strings(
    raw: bytes, repeated: str | None
) -> None:
    from portal.routes.request_guard import RefusedInput, checked_json

    if repeated is None:
        checked_json(raw)
        return
    with pytest.raises(RefusedInput) as refused:
        checked_json(raw)
    assert [e.field for e in refused.value.problem.errors] == [repeated]


async def test_repeated_words_in_values_are_not_mistaken_for_repeated_keys(author) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    plan = await create_plan(c)
    tricky = 'who_i_am": "x", "who_i_am": \\"y\\" :'
    saved = await change_section(
        c, plan["id"], "about_me", who_i_am=tricky, strengths_and_skills=":"
    )
    assert saved["content"]["who_i_am"] == tricky


# --- strict types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field", "phrase"),
    [
        (
            "invitations",
            {"sections": ["about_me"], "access": "view", "purpose": "Help", "valid_days": "14"},
            "valid_days",
            "whole number",
        ),
        (
            "invitations",
            {"sections": ["about_me"], "access": "view", "purpose": "Help", "valid_days": 14.0},
            "valid_days",
            "whole number",
        ),
        ("submit", {"share_with_organisation": "true"}, "share_with_organisation", "true or false"),
        ("submit", {"share_with_organisation": 1}, "share_with_organisation", "true or false"),
        (
            "support-items",
            {"description": "PA", "cost_pence": "18500", "frequency": "weekly"},
            "cost_pence",
            "whole number",
        ),
    ],
)
async def test_strings_are_not_numbers_or_yes_and_no(
    author, seeded, path, body, field, phrase
) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    response = await c.post(f"{plan_url(seeded['plan'])}/{path}", json=body)
    problem = assert_problem(response, 422, field, phrase)
    assert field_of(problem) == field
    await unchanged(c, seeded)


async def test_a_signed_out_client_with_a_wrong_type_still_gets_sign_in_first(
    client, seeded
) -> None:  # type: ignore[no-untyped-def]
    body = {"sections": ["about_me"], "access": "view", "purpose": "Help", "valid_days": "14"}
    response = await client.post(f"{plan_url(seeded['plan'])}/invitations", json=body)
    assert_problem(response, 401)


async def test_a_strictly_valid_body_is_still_accepted(author) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    plan = await create_plan(c)
    body = {"sections": ["about_me"], "access": "view", "purpose": "Help", "valid_days": 3}
    made = await c.post(f"{plan_url(plan['id'])}/invitations", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["invitation"]["sections"] == ["about_me"]


# --- generated text in every section field --------------------------------------------------


def _text_fields() -> list[tuple[str, str, Callable[[str], dict[str, Any]]]]:
    """(section, field path, body with the text there) for every text field of every section."""
    found: list[tuple[str, str, Callable[[str], dict[str, Any]]]] = []
    for key, section_type in SECTION_TYPES.items():
        for f in msgspec.inspect.type_info(section_type).fields:  # type: ignore[attr-defined]
            kind = f.type
            if isinstance(kind, msgspec.inspect.StrType):
                found.append((key, f.name, lambda t, n=f.name: {n: t}))
            elif isinstance(kind, msgspec.inspect.ListType) and isinstance(
                kind.item_type, msgspec.inspect.StrType
            ):
                found.append((key, f"{f.name}[0]", lambda t, n=f.name: {n: [t]}))
            elif isinstance(kind, msgspec.inspect.ListType) and isinstance(
                kind.item_type, msgspec.inspect.StructType
            ):
                for sub in kind.item_type.fields:
                    base = {s.name: "x" for s in kind.item_type.fields if s.required}
                    found.append(
                        (
                            key,
                            f"{f.name}[0].{sub.name}",
                            lambda t, n=f.name, s=sub.name, b=base: {n: [{**b, s: t}]},
                        )
                    )
    return found


TEXT_FIELDS = _text_fields()


def at_path(content: dict[str, Any], path: str) -> Any:
    """The value at a path such as `risks[0].risk` or `working[0]`."""
    value: Any = content
    for part in path.replace("[", ".[").split("."):
        value = value[int(part[1:-1])] if part.startswith("[") else value[part]
    return value


# Short enough for the 200-character fields, so only the characters can be wrong.
_PLAIN = st.characters(blacklist_categories=("Cc", "Cs"))
_HOSTILE = st.sampled_from(REFUSED)
BAD_TEXT = st.tuples(st.text(_PLAIN, max_size=40), _HOSTILE, st.text(max_size=40)).map("".join)
GOOD_TEXT = st.lists(
    st.one_of(
        _PLAIN,
        st.sampled_from(
            ["\t", "\n", "😀", "👩🏽‍🦽", "🏳️‍🌈", "עברית", "العربية", "\u200f", "\u202e"]
        ),
    ),
    min_size=1,
    # The longest piece is 7 code points: never beyond a 200-character field.
    max_size=25,
).map("".join)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

Call = Callable[[Coroutine[Any, Any, Any]], Any]


async def run_in_thread(test: Callable[[Call], None]) -> None:
    """Hypothesis runs its examples in a thread; each request runs on the session's loop."""
    loop = asyncio.get_running_loop()

    def call(coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    await asyncio.to_thread(test, call)


async def test_generated_control_characters_in_any_section_field_are_refused(
    author, seeded
) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    tried: set[str] = set()

    @SETTINGS
    @given(where=st.sampled_from(TEXT_FIELDS), text=BAD_TEXT)
    def refused(call: Call, where: tuple[str, str, Any], text: str) -> None:
        key, field, body = where
        tried.add(f"{key}.{field}")
        url = f"{plan_url(seeded['plan'])}/sections/{key}"
        response = call(c.put(url, json=body(text), headers=if_match(1)))
        problem = assert_problem(response, 422, "control character")
        assert field_of(problem) == field

    await run_in_thread(refused)
    await unchanged(c, seeded)
    assert len(tried) > len(TEXT_FIELDS) // 2, tried


async def test_generated_valid_text_in_any_section_field_saves_and_reads_back_exactly(
    author,
) -> None:  # type: ignore[no-untyped-def]
    c = author.client
    plan = await create_plan(c)

    @SETTINGS
    @given(where=st.sampled_from(TEXT_FIELDS), text=GOOD_TEXT)
    def kept(call: Call, where: tuple[str, str, Any], text: str) -> None:
        key, field, body = where
        current = call(read_section(c, plan["id"], key))
        url = f"{plan_url(plan['id'])}/sections/{key}"
        content = {**current["content"], **body(text)}
        saved = call(c.put(url, json=content, headers=if_match(current["version"])))
        assert saved.status_code == 200, saved.text
        # The field reads back exactly as sent, character for character.
        read = call(read_section(c, plan["id"], key))["content"]
        assert read == saved.json()["content"]
        assert at_path(read, field) == text

    await run_in_thread(kept)


# --- refused text is an attempt the person can see ------------------------------------------


async def test_a_grantees_refused_text_is_in_the_plans_access_log(app, author) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_persona
    from tests.consent.test_sharing_api import share

    planner = await make_persona(app, "planner")
    try:
        plan = await create_plan(author.client)
        await share(author, plan["id"], planner, ["about_me"])
        before = await snapshot(author.client, plan["id"])
        refused = await planner.client.put(
            f"{plan_url(plan['id'])}/sections/about_me",
            json={"who_i_am": "secret\x00words"},
            headers=if_match(0),
        )
        assert_problem(refused, 422, "control character")
        log = (await author.client.get(f"{plan_url(plan['id'])}/access-log")).json()
        attempts = [e for e in log if e["event"] == "input_refused"]
        assert [e["who"] for e in attempts] == ["Planner"], log
        assert "secret" not in str(log)
        assert await snapshot(author.client, plan["id"]) == before
    finally:
        await planner.client.aclose()
