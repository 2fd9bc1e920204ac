"""Every integer a request carries is bounded to what the database holds: out of range is a 404
(in a path) or a 422 naming the field (in a query or body), or 400 (in If-Match), never a 500,
and nothing saved changes. In-range edges still reach the service.

The integer path and query parameters are found by walking the app's routes, so a new route is
covered without editing this file; the integer fields of every request body type are found by
walking the msgspec types, so a new field must be bounded too.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.params import ParameterKwarg
from litestar.routes import HTTPRoute

from portal.app import create_app
from portal.bounds import INT4_MAX, INT8_MAX
from portal.plans.content import SECTION_TYPES
from portal.settings import load_settings
from tests.factories import give_role, make_organisation

from .helpers import add_row, assert_problem, change_section, create_plan, plan_url, snapshot

# The values every integer is tried with: the edges of int4 and int8, below zero, and huge.
OUT_OF_INT4 = [2**31, 2**63 - 1, 2**63, -1, 10**30]
IN_RANGE_EDGE = INT4_MAX


@dataclass(frozen=True)
class IntParameter:
    """One integer parameter of one route: where it is, and what it is called."""

    method: str
    path: str  # the route's path template, e.g. /api/v1/plans/{plan_id:uuid}/versions/{number:int}
    name: str  # the name in the request (the query alias, e.g. `with`)
    where: str  # "path" or "query"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.where}:{self.name}"

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    args = getattr(annotation, "__args__", ())
    return int in args and bool not in args


def int_parameters() -> Iterator[tuple[IntParameter, Any]]:
    """Every integer path or query parameter of every HTTP route, with its kwarg definition."""
    app = create_app(load_settings())
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            dependencies = set(handler.resolve_dependencies())
            for name, field in handler.parsed_fn_signature.parameters.items():
                if name in dependencies or not _is_int(field.annotation):
                    continue
                kwarg = field.kwarg_definition
                if name in route.path_parameters:
                    where, public = "path", name
                elif isinstance(kwarg, ParameterKwarg) and kwarg.header:
                    continue  # no integer headers today; If-Match is text, parsed below
                else:
                    where = "query"
                    public = (kwarg.name if isinstance(kwarg, ParameterKwarg) else None) or name
                for method in sorted(handler.http_methods):
                    yield IntParameter(method, route.path, public, where), kwarg


PARAMETERS = sorted({p for p, _ in int_parameters()}, key=lambda p: p.id)


def test_the_walk_finds_the_integer_parameters_we_know_of() -> None:
    found = {p.id for p in PARAMETERS}
    for known in (
        "GET /api/v1/plans/{plan_id:uuid}/sections/{key:str}/revisions/{version:int} path:version",
        "GET /api/v1/plans/{plan_id:uuid}/versions/{number:int}/compare query:with",
        "GET /api/v1/organisations/{organisation_id:uuid}/trays/{tray:str} query:per_page",
        "GET /api/v1/notifications query:limit",
        "GET /organisations/{organisation_id:uuid}/trays/{tray:str} query:page",
        "POST /plans/{plan_id:uuid}/sections/{key:str}/history/{version:int}/restore path:version",
    ):
        assert known in found, sorted(found)


@pytest.mark.parametrize("parameter", [p for p, _ in int_parameters()], ids=lambda p: p.id)
def test_every_integer_parameter_declares_a_range_the_database_holds(
    parameter: IntParameter,
) -> None:
    kwarg = dict((p.id, k) for p, k in int_parameters())[parameter.id]
    assert isinstance(kwarg, ParameterKwarg), f"{parameter.id} has no bounds"
    assert kwarg.ge is not None and kwarg.le is not None, f"{parameter.id} is unbounded"
    assert kwarg.ge >= 0 and kwarg.le <= INT4_MAX, (kwarg.ge, kwarg.le)


# --- the seeded plan ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def seeded(author) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A plan with a written section and one row of each kind, and the author as staff of a
    council (so the trays answer rather than refuse)."""
    c = author.client
    plan = await create_plan(c, title="Bounded plan")
    plan_id = plan["id"]
    await change_section(c, plan_id, "about_me", who_i_am="Jo")
    outcome = await add_row(c, plan_id, "outcomes", title="Swim")
    support = await add_row(
        c, plan_id, "support-items", description="PA", cost_pence=5_000, frequency="weekly"
    )
    action = await add_row(c, plan_id, "actions", what="Book GP")
    contact = await add_row(c, plan_id, "contacts", name="Ana")
    council = await make_organisation(kind="council")
    await give_role(author, council, "coordinator")
    return {
        "plan": plan_id,
        "outcome": outcome["id"],
        "support": support["id"],
        "action": action["id"],
        "contact": contact["id"],
        "council": str(council),
        "baseline": await snapshot(c, plan_id),
    }


_FILL = {"key": "about_me", "tray": "plan_authorisation"}


def url_for(parameter: IntParameter, value: int, seeded: dict[str, Any]) -> str:
    """The route's address with its other parameters filled in, and the value tried."""

    def fill(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if parameter.where == "path" and name == parameter.name:
            return str(value)
        if name == "plan_id":
            return str(seeded["plan"])
        if name == "organisation_id":
            return str(seeded["council"])
        if kind == "int":
            return "1"
        return _FILL.get(name, str(uuid.uuid4()) if kind == "uuid" else "x")

    path = re.sub(r"\{(\w+):(\w+)\}", fill, parameter.path)
    if parameter.where == "query":
        path += f"?{parameter.name}={value}"
    return path


async def call(client: httpx.AsyncClient, parameter: IntParameter, url: str) -> httpx.Response:
    return await client.request(parameter.method, url)


def assert_refused(parameter: IntParameter, response: httpx.Response) -> None:
    """Out of range: 404 in a path, 422 naming the parameter in a query; pages answer pages."""
    assert response.status_code < 500, (parameter.id, response.status_code, response.text[:500])
    expected = 404 if parameter.where == "path" else 422 if parameter.api else 400
    if not parameter.api:
        assert response.status_code == expected, (parameter.id, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        return
    body = assert_problem(response, expected)
    if parameter.where == "query":
        assert body["errors"][0]["field"] == parameter.name, body
        assert re.search(r"from \d+ to \d+", body["detail"]), body["detail"]
    else:
        assert f"from 0 to {INT4_MAX}" in body["detail"], body["detail"]


@pytest.mark.parametrize("parameter", PARAMETERS, ids=lambda p: p.id)
async def test_an_integer_out_of_range_is_refused_and_changes_nothing(
    author, seeded, parameter: IntParameter
) -> None:
    c: httpx.AsyncClient = author.client
    for value in OUT_OF_INT4:
        response = await call(c, parameter, url_for(parameter, value, seeded))
        assert_refused(parameter, response)
    # The largest value the column holds reaches the service, which answers without a 500.
    edge = await call(c, parameter, url_for(parameter, IN_RANGE_EDGE, seeded))
    assert edge.status_code < 500, (parameter.id, edge.text[:500])
    assert await snapshot(c, seeded["plan"]) == seeded["baseline"]


# --- If-Match --------------------------------------------------------------------------------

WRITES = [
    ("PUT", "sections/about_me", {"who_i_am": "Changed"}),
    ("PATCH", "outcomes/{outcome}", {"title": "Changed"}),
    ("PATCH", "support-items/{support}", {"cost_pence": 6_000}),
    ("DELETE", "actions/{action}", None),
    ("DELETE", "contacts/{contact}", None),
    ("POST", "sections/about_me/revisions/1/restore", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
async def test_an_if_match_version_out_of_range_is_refused_and_changes_nothing(
    author, seeded, method: str, path: str, body: dict[str, Any] | None
) -> None:
    c: httpx.AsyncClient = author.client
    url = f"{plan_url(seeded['plan'])}/{path.format(**seeded)}"
    for value in OUT_OF_INT4:
        response = await c.request(method, url, json=body, headers={"If-Match": f'"{value}"'})
        assert_problem(response, 400, "If-Match", f"from 0 to {INT4_MAX}")
    # A version that could be, but is not the current one: a conflict, never a 500.
    edge = await c.request(method, url, json=body, headers={"If-Match": f'"{INT4_MAX}"'})
    assert edge.status_code in (409, 412), edge.text
    assert await snapshot(c, seeded["plan"]) == seeded["baseline"]


# --- bodies ----------------------------------------------------------------------------------


def _input_types() -> Iterator[type[msgspec.Struct]]:
    """Every request body type: the Structs that refuse unknown fields, in every schemas module."""
    names = ["accounts", "comments", "consent", "notifications", "plans", "signoff"]
    seen: set[type[msgspec.Struct]] = set(SECTION_TYPES.values())
    for name in names:
        module = importlib.import_module(f"portal.{name}.schemas")
        for value in vars(module).values():
            is_struct = isinstance(value, type) and issubclass(value, msgspec.Struct)
            if is_struct and value.__struct_config__.forbid_unknown_fields:
                seen.add(value)
    yield from sorted(seen, key=lambda t: t.__qualname__)


def _ints(info: msgspec.inspect.Type, where: str) -> Iterator[tuple[str, msgspec.inspect.IntType]]:
    if isinstance(info, msgspec.inspect.IntType):
        yield where, info
    elif isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            yield from _ints(member, where)
    elif isinstance(info, msgspec.inspect.ListType | msgspec.inspect.SetType):
        yield from _ints(info.item_type, f"{where}[]")
    elif isinstance(info, msgspec.inspect.StructType):
        for field in info.fields:
            yield from _ints(field.type, f"{where}.{field.encode_name}")


INPUT_TYPES = list(_input_types())


@pytest.mark.parametrize("body_type", INPUT_TYPES, ids=lambda t: t.__qualname__)
def test_every_integer_in_a_request_body_is_bounded_to_a_bigint(
    body_type: type[msgspec.Struct],
) -> None:
    for where, info in _ints(msgspec.inspect.type_info(body_type), body_type.__qualname__):
        assert info.ge is not None and info.le is not None, f"{where} is unbounded"
        assert info.ge >= -INT8_MAX - 1 and info.le <= INT8_MAX, (where, info.ge, info.le)


BODY_CASES = [
    # (what, method, path, body with {value}, field, values refused by the type)
    ("support cost", "POST", "support-items", {"description": "PA", "frequency": "weekly"},
     "cost_pence", [2**62 + 1, 2**63 - 1, 2**63, -(2**63), 10**30]),
    ("support minutes", "POST", "support-items",
     {"description": "PA", "frequency": "weekly", "cost_pence": 100},
     "minutes_per_week", [10_081, 2**31, 2**63, -1, 10**30]),
    ("invitation days", "POST", "invitations",
     {"sections": ["about_me"], "access": "view", "purpose": "Help"},
     "valid_days", [61, 2**31, 2**63, 0, -1, 10**30]),
]  # fmt: skip


@pytest.mark.parametrize("case", BODY_CASES, ids=[c[0] for c in BODY_CASES])
async def test_a_body_integer_out_of_range_is_422_naming_the_field(
    author, seeded, case: tuple[str, str, str, dict[str, Any], str, list[int]]
) -> None:
    _, method, path, body, field, values = case
    c: httpx.AsyncClient = author.client
    url = f"{plan_url(seeded['plan'])}/{path}"
    for value in values:
        response = await c.request(method, url, json={**body, field: value})
        problem = assert_problem(response, 422, field)
        assert problem["errors"][0]["field"] == field
        assert re.search(r"from -?[\d]+ to \d+", problem["detail"]), problem["detail"]
    invitations = await c.get(f"{plan_url(seeded['plan'])}/invitations")
    assert invitations.json() == []
    assert await snapshot(c, seeded["plan"]) == seeded["baseline"]


async def test_an_allocation_the_column_could_not_hold_is_422(author, seeded) -> None:
    c: httpx.AsyncClient = author.client
    url = f"{plan_url(seeded['plan'])}/sections/money"
    for value in (2**62 + 1, 2**63, 10**30, -1):
        response = await c.put(url, json={"allocation_pence": value}, headers={"If-Match": '"0"'})
        problem = assert_problem(response, 422, "allocation_pence")
        assert problem["errors"][0]["field"] == "allocation_pence"
    assert await snapshot(c, seeded["plan"]) == seeded["baseline"]


# --- Hypothesis over the whole integer space ----------------------------------------------------


class _Bridge:
    """Runs a request on the session's event loop from Hypothesis's thread, and waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __call__(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)


_ANY_INT = st.integers() | st.integers(min_value=-(2**70), max_value=2**70)
_HYPOTHESIS = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


async def test_any_revision_number_or_if_match_is_answered_without_a_500(author, seeded) -> None:
    c: httpx.AsyncClient = author.client
    run = _Bridge(asyncio.get_running_loop())
    section = f"{plan_url(seeded['plan'])}/sections/about_me"
    current = (await c.get(section)).json()["version"]
    seen: dict[int, int] = {}

    @_HYPOTHESIS
    @given(number=_ANY_INT)
    def revision_read(number: int) -> None:
        response = run(c.get(f"{section}/revisions/{number}"))
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        if 1 <= number <= current:  # the versions the section has
            assert response.status_code == 200, (number, response.text)
        else:
            assert response.status_code == 404, (number, response.text)

    # Never the current version: that write would save, and the plan must stay as it was.
    @_HYPOTHESIS
    @given(number=_ANY_INT.filter(lambda n: n != current))
    def stale_write(number: int) -> None:
        response = run(
            c.put(section, json={"who_i_am": "Not saved"}, headers={"If-Match": f'"{number}"'})
        )
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        if 0 <= number <= INT4_MAX:
            assert response.status_code in (409, 412), (number, response.text)
        else:
            assert response.status_code == 400, (number, response.text)

    await asyncio.to_thread(revision_read)
    await asyncio.to_thread(stale_write)
    assert 500 not in seen, seen
    assert await snapshot(c, seeded["plan"]) == seeded["baseline"]


# --- numbers typed in page forms ---------------------------------------------------------------

HUGE_DIGITS = "9" * 5000  # int() refuses more than 4,300 digits
ODD_DIGITS = "²"  # str.isdigit() says yes, int() says no


@pytest.mark.parametrize(
    "typed",
    [
        {"cost": HUGE_DIGITS},
        {"cost": "1", "hours_a_week[hours]": "1", "hours_a_week[minutes]": HUGE_DIGITS},
        {"cost": "1", "hours_a_week[hours]": ODD_DIGITS},
        {"cost": "1", "hours_a_week[minutes]": ODD_DIGITS},
    ],
    ids=["huge pounds", "huge minutes", "odd hours", "odd minutes"],
)
async def test_a_support_form_with_an_impossible_number_shows_the_error_summary(
    author, seeded, typed: dict[str, str]
) -> None:
    c: httpx.AsyncClient = author.client
    response = await c.post(
        f"/plans/{seeded['plan']}/money",
        data={"description": "PA", "frequency": "weekly", **typed},
    )
    assert response.status_code == 400, response.text[:2000]
    assert "There is a problem" in response.text
    assert await snapshot(c, seeded["plan"]) == seeded["baseline"]


@pytest.mark.parametrize("days", [ODD_DIGITS, HUGE_DIGITS, "61", "0"])
async def test_an_invitation_form_with_impossible_days_shows_the_error_summary(
    author, seeded, days: str
) -> None:
    c: httpx.AsyncClient = author.client
    response = await c.post(
        f"/plans/{seeded['plan']}/sharing/invite",
        data={"sections": ["about_me"], "access": "view", "purpose": "Help", "valid_days": days},
    )
    assert response.status_code == 400, response.text[:2000]
    assert "There is a problem" in response.text and "from 1 to 60" in response.text
    invitations = await c.get(f"{plan_url(seeded['plan'])}/invitations")
    assert invitations.json() == []


@pytest.mark.parametrize("version", [str(2**31), str(2**63), HUGE_DIGITS, ODD_DIGITS, "-1"])
async def test_a_row_form_with_an_impossible_version_changes_nothing(
    author, seeded, version: str
) -> None:
    c: httpx.AsyncClient = author.client
    response = await c.post(
        f"/plans/{seeded['plan']}/outcomes/{seeded['outcome']}",
        data={"title": "Changed", "version": version},
    )
    assert response.status_code == 400, response.text[:2000]
    assert await snapshot(c, seeded["plan"]) == seeded["baseline"]
