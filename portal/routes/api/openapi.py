"""What the OpenAPI document says about each operation: who may call it, what it can answer.

Litestar documents the success answer from a handler's types; the rest is said here, once per
kind of operation, so the document stays true (Schemathesis checks every answer against it):
- `responses=`: every status the operation can answer, each an RFC 9457 problem
  (`application/problem+json`, the `ProblemDetails` schema), as portal/problems.py writes them;
- `security=`: the session cookie for signed-in operations, the CSRF header for every unsafe
  method (sign-in included);
- `operation_class=`: what Litestar cannot be told with arguments: the request body of handlers
  that read it themselves, the If-Match header's format, headers of problems (Retry-After, ETag),
  true media types (the SSE stream, FHIR, files), no body on a 204, and dropping the 400
  `application/json` answer Litestar adds to every operation with parameters (it never happens:
  our 400s are problems, and only for bodies and headers we cannot read).

Litestar's problem-details plugin (`litestar.plugins.problem_details`) only turns exceptions
into responses and documents nothing, and portal/problems.py already writes the same shape
(pages and the API share it), so it is not used.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

import msgspec
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    RequestBody,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

from portal.core.sections import SECTION_KEYS
from portal.problems import PROBLEM_MEDIA_TYPE, FieldError
from portal.security import CSRF_HEADER_NAME

SESSION_SCHEME = "sessionCookie"
CSRF_SCHEME = "csrfHeader"


API_DESCRIPTION = f"""The plan portal's JSON API.

A script signs in as a person: GET /api/v1/session/csrf for a CSRF token, then POST
/api/v1/session with `email` and `password` and that token in the `{CSRF_HEADER_NAME}` header.
The answer sets the session cookie and holds the session's own `csrf_token`: send the cookie
with every request, and that token in `{CSRF_HEADER_NAME}` with every POST, PUT, PATCH and DELETE.

Changes to a section or a row send the ETag they read in `If-Match`. Every error is an RFC 9457
problem (`application/problem+json`) that says what to do next.
"""


# --- the problem schema ------------------------------------------------------------------------


class UndecidedOutcome(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    title: str


class ProblemDetails(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem: `title` and `detail` say what happened and what to do next;
    `errors` names the fields that were wrong. Some problems carry more members, listed here."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET
    # 409 "Someone else changed this": the saved values, their version and ETag, the fields
    # both changed, and what you sent; choose and save again with If-Match: the new ETag.
    current: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    version: int | msgspec.UnsetType = msgspec.UNSET
    etag: str | msgspec.UnsetType = msgspec.UNSET
    conflicting_fields: list[str] | msgspec.UnsetType = msgspec.UNSET
    yours: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    # 409 on sign-off and sharing: where the plan (or the change request) is now.
    current_state: str | msgspec.UnsetType = msgspec.UNSET
    current_status: str | msgspec.UnsetType = msgspec.UNSET
    current_hash: str | msgspec.UnsetType = msgspec.UNSET
    route: str | msgspec.UnsetType = msgspec.UNSET
    undecided_outcomes: list[UndecidedOutcome] | msgspec.UnsetType = msgspec.UNSET
    # 409 "Already shared with them": the sharing to change instead.
    grant_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    # 403 "Above your spending limit": the figures compared.
    annual_cost_pence: int | msgspec.UnsetType = msgspec.UNSET
    one_off_this_year_pence: int | msgspec.UnsetType = msgspec.UNSET
    this_year_pence: int | msgspec.UnsetType = msgspec.UNSET
    spending_limit_pence: int | msgspec.UnsetType = msgspec.UNSET


# What each status means here, said once for every operation that can answer it.
_MEANINGS: dict[int, str] = {
    400: "The body is not valid JSON (or too deeply nested, or not UTF-8), or a header or "
    "query value could not be read.",
    401: "Not signed in, or the session has ended: sign in (POST /api/v1/session) and try again.",
    403: "Refused: the CSRF token is missing or wrong (send the X-CSRF-Token header), or you "
    "may see this but not do this.",
    404: "Nothing here, or you may not know it exists (a plan not shared with you).",
    409: "Not possible in the state it is in now, or someone else changed it: reload and decide.",
    410: "The invitation has been used, withdrawn or has expired.",
    412: "The If-Match version is not the current one and the change could not be merged: "
    "read it again.",
    413: "The body is too large.",
    415: "The body is not JSON.",
    422: "A value could not be used: `errors` names each field and what to change.",
    428: 'If-Match is missing: send the ETag you read (e.g. "3").',
    429: "Too many attempts to sign in: wait for Retry-After seconds.",
    431: "The request's headers are larger than 16 kB (answered by the server, before the app).",
    503: "Unavailable for a moment (the database, or a service it needs): try again after "
    "Retry-After seconds. After a change, read it again first: the answer may have been lost "
    "after the change was saved.",
}


def problem_responses(statuses: Iterable[int]) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_MEDIA_TYPE,
            description=f"{HTTPStatus(status).phrase}. {_MEANINGS.get(status, '')}".strip(),
            generate_examples=False,
        )
        for status in sorted(set(statuses))
    }


# --- security ------------------------------------------------------------------------------------


def security_components(session_cookie_name: str) -> Components:
    """The two credentials: the session cookie (set by signing in) and the CSRF header."""
    return Components(
        security_schemes={
            SESSION_SCHEME: SecurityScheme(
                type="apiKey",
                name=session_cookie_name,
                security_scheme_in="cookie",
                description="The session, set as an HttpOnly cookie by POST /api/v1/session "
                "and ended by DELETE /api/v1/session.",
            ),
            CSRF_SCHEME: SecurityScheme(
                type="apiKey",
                name=CSRF_HEADER_NAME,
                security_scheme_in="header",
                description="Every POST, PUT, PATCH and DELETE (signing in included) sends the "
                "CSRF token of its session in this header: the `csrf_token` of GET "
                "/api/v1/session/csrf, or of the session POST/GET /api/v1/session returns. "
                "It changes when you sign in. Without it, or with another session's: 403.",
            ),
        }
    )


SIGNED_IN: list[SecurityRequirement] = [{SESSION_SCHEME: []}]
SIGNED_IN_CHANGE: list[SecurityRequirement] = [{SESSION_SCHEME: [], CSRF_SCHEME: []}]
ANONYMOUS_CHANGE: list[SecurityRequirement] = [{CSRF_SCHEME: []}]
# An empty requirement: no credentials needed.
ANONYMOUS: list[SecurityRequirement] = [{}]


# --- what Litestar's generated operation gets wrong -------------------------------------------


@dataclass(frozen=True)
class Corrections:
    """Changes to one generated operation; see the module docstring for why each exists."""

    request_body: RequestBody | None = None
    if_match: bool = False
    # The success answer's media type and schema, when Litestar cannot know it from the type.
    success_media_type: str | None = None
    success_schema: Schema | Mapping[str, Any] | None = None


_IF_MATCH = Parameter(
    name="If-Match",
    param_in="header",
    required=True,
    description='The ETag of the version this change starts from, as read (e.g. "3"). '
    "Missing: 428. A version that is not the current one: the change is merged when nobody "
    "else changed the same fields, otherwise 409 with both versions.",
    schema=Schema(type=OpenAPIType.STRING, pattern=r'^(W/)?"[0-9]{1,12}"$', examples=['"3"']),
)

_RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER), description="Seconds to wait before trying again"
)
_ETAG = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING),
    description="When someone else changed it: the current version's ETag",
)
# Headers a problem carries, by status.
_PROBLEM_HEADERS: dict[str, dict[str, OpenAPIHeader]] = {
    "409": {"ETag": _ETAG},
    "429": {"Retry-After": _RETRY_AFTER},
    "503": {"Retry-After": _RETRY_AFTER},
}


def _correct(operation: Operation, corrections: Corrections) -> None:
    responses = operation.responses or {}
    generated_400 = responses.get("400")
    if isinstance(generated_400, OpenAPIResponse) and PROBLEM_MEDIA_TYPE not in (
        generated_400.content or {}
    ):
        del responses["400"]
    for status, response in responses.items():
        if not isinstance(response, OpenAPIResponse):
            continue
        if status == "204":
            response.content = None
        for name, header in _PROBLEM_HEADERS.get(status, {}).items():
            response.headers = {**(response.headers or {}), name: header}
        if status.startswith("2") and status != "204" and corrections.success_media_type:
            schema = corrections.success_schema or Schema()
            response.content = {
                corrections.success_media_type: OpenAPIMediaType(schema=schema)  # type: ignore[arg-type]
            }
    for parameter in operation.parameters or []:
        # `{key}` in our paths is always a section's key; any other answers 404.
        if (
            isinstance(parameter, Parameter)
            and parameter.param_in == "path"
            and parameter.name == "key"
        ):
            parameter.schema = Schema(type=OpenAPIType.STRING, enum=list(SECTION_KEYS))
    if corrections.request_body is not None:
        operation.request_body = corrections.request_body
    if corrections.if_match:
        kept = [
            p
            for p in operation.parameters or []
            if not (isinstance(p, Parameter) and p.name.lower() == "if-match")
        ]
        operation.parameters = [*kept, _IF_MATCH]


def _operation_class(corrections: Corrections) -> type[Operation]:
    @dataclass
    class CorrectedOperation(Operation):
        def __post_init__(self) -> None:
            _correct(self, corrections)

    return CorrectedOperation


# --- request bodies a handler reads itself ------------------------------------------------------


def _inline(schema: Any, definitions: Mapping[str, Any]) -> Any:
    """The schema with every `$ref` replaced by its definition: a body schema that stands alone
    (the document's components are Litestar's own registry, which only knows handler types)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return _inline(definitions[ref.rsplit("/", 1)[-1]], definitions)
        return {key: _inline(value, definitions) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


def json_body(types: Iterable[type[Any]], description: str) -> RequestBody:
    """A JSON request body that is one of these types (a `anyOf` when there are several)."""
    types = list(types)
    (schemas, definitions) = msgspec.json.schema_components(types)
    inlined = [_inline(schema, definitions) for schema in schemas]
    schema: dict[str, Any] = inlined[0] if len(inlined) == 1 else {"anyOf": inlined}
    schema = {**schema, "description": description}
    return RequestBody(
        content={"application/json": OpenAPIMediaType(schema=schema)},  # type: ignore[arg-type]
        required=True,
        description=description,
    )


# --- the kinds of operation ---------------------------------------------------------------------


def _doc(
    statuses: Iterable[int], security: list[SecurityRequirement], corrections: Corrections
) -> dict[str, Any]:
    return {
        "responses": problem_responses(statuses),
        "security": security,
        "operation_class": _operation_class(corrections),
    }


# Every operation reaches the database; when it cannot, it answers 503 with Retry-After. And
# every request's query string and path are checked (portal/routes/request_guard.py): %-escapes
# that are not UTF-8 are a 400, control characters a 422. Headers over 16 kB are a 431, from the
# server before the app (portal/server.py).
_ALWAYS = (400, 422, 431, 503)
_BODY = (400, 413, 422)
_IF_MATCH_STATUSES = (400, 412, 428)


def signed_in_read(*statuses: int, corrections: Corrections = Corrections()) -> dict[str, Any]:
    """A GET for someone signed in: 401 without a session."""
    return _doc((*_ALWAYS, 401, *statuses), SIGNED_IN, corrections)


def signed_in_change(
    *statuses: int,
    body: bool = True,
    if_match: bool = False,
    corrections: Corrections = Corrections(),
) -> dict[str, Any]:
    """A POST, PUT, PATCH or DELETE for someone signed in: 401 without a session, 403 without
    the CSRF token; with a body, 400/413/422 for one that cannot be used; with If-Match,
    400 (unreadable), 412 and 428 (missing)."""
    all_statuses = [*_ALWAYS, 401, 403, *statuses]
    if body:
        all_statuses += _BODY
    if if_match:
        all_statuses += _IF_MATCH_STATUSES
        corrections = replace(corrections, if_match=True)
    return _doc(all_statuses, SIGNED_IN_CHANGE, corrections)


def anonymous_read(*statuses: int, corrections: Corrections = Corrections()) -> dict[str, Any]:
    """A GET anyone may make, signed in or not."""
    return _doc((*_ALWAYS, *statuses), ANONYMOUS, corrections)


def anonymous_change(
    *statuses: int,
    body: bool = True,
    security: list[SecurityRequirement] = ANONYMOUS_CHANGE,
    corrections: Corrections = Corrections(),
) -> dict[str, Any]:
    """An unsafe method anyone may use (signing in and out): only the CSRF token is needed."""
    return _doc((*_ALWAYS, 403, *statuses, *(_BODY if body else ())), security, corrections)


def sign_out() -> dict[str, Any]:
    """DELETE /api/v1/session: ends the session the cookie names, if any; the CSRF token is
    needed either way (a signed-out client sends its anonymous session's token)."""
    return anonymous_change(body=False, security=[*SIGNED_IN_CHANGE, *ANONYMOUS_CHANGE])


def etag_header() -> list[ResponseHeader]:
    return [
        ResponseHeader(
            name="ETag",
            description='The version\'s ETag (e.g. "3"): send it back in If-Match to change it',
            # Only its type is documented (a string), never sent: the handler sets it.
            value='"1"',
            documentation_only=True,
        )
    ]


def download_headers() -> list[ResponseHeader]:
    return [
        ResponseHeader(
            name="Content-Disposition",
            description="attachment, with a file name made of ids only",
            value='attachment; filename="plan.pdf"',
            documentation_only=True,
        )
    ]


def _file(media_type: str, description: str) -> Corrections:
    return Corrections(
        success_media_type=media_type,
        success_schema={
            "type": "string",
            "format": "binary",
            "contentMediaType": media_type,
            "description": description,
        },
    )


PDF = _file("application/pdf", "A tagged PDF/UA-1 file")
ZIP = _file("application/zip", "A zip of JSON files; index.txt says what each holds")
FHIR_BUNDLE = Corrections(
    success_media_type="application/fhir+json",
    success_schema={
        "type": "object",
        "description": "A FHIR R4 Bundle of type collection (see https://hl7.org/fhir/R4/bundle.html)",
        "required": ["resourceType", "type", "entry"],
        "properties": {
            "resourceType": {"const": "Bundle"},
            "id": {"type": "string"},
            "type": {"const": "collection"},
            "timestamp": {"type": "string"},
            "entry": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "fullUrl": {"type": "string"},
                        "resource": {"type": "object"},
                    },
                },
            },
        },
    },
)
EVENT_STREAM = Corrections(
    success_media_type="text/event-stream",
    # Before OpenAPI 3.2's itemSchema, the schema of an event stream describes one event.
    success_schema={
        "type": "object",
        "description": "One Server-Sent Event: `ready`, then `change` and `presence` events, and "
        "finally `end`; each event's data is a JSON object without plan content.",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string"},
            "data": {"type": "string", "contentMediaType": "application/json"},
            "id": {"type": "string"},
            "retry": {"type": "integer", "minimum": 0},
        },
    },
)


__all__ = [
    "ANONYMOUS",
    "API_DESCRIPTION",
    "CSRF_SCHEME",
    "SESSION_SCHEME",
    "EVENT_STREAM",
    "FHIR_BUNDLE",
    "PDF",
    "ZIP",
    "Corrections",
    "ProblemDetails",
    "anonymous_change",
    "anonymous_read",
    "download_headers",
    "etag_header",
    "json_body",
    "problem_responses",
    "security_components",
    "signed_in_change",
    "sign_out",
    "signed_in_read",
]
