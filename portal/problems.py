"""RFC 9457 problem details: every error a person or a client sees says what to do next."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from portal import bounds
from portal.core.errors import (
    DomainError,
    FieldError,
    Invalid,
    Malformed,
    NotFound,
    status_of,
)
from portal.security import CSRF_HEADER_NAME, is_csrf_refusal

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(DomainError):
    """An error the web edge raises itself, with its status (a refused body, a lost database).

    The domain raises the types of `portal.core.errors`, whose `status_of` says what each one is."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(title, detail, errors=errors, headers=headers, **extra)
        self.status = status


_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_TYPE_WORDS = {
    "str": "text",
    "int": "a whole number",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "nothing (null)",
    "float": "a number with a decimal point",
}


def _plain_type(match: re.Match[str]) -> str:
    # msgspec names optional values as unions, e.g. `bool | null`: say each part in words.
    parts = [part.strip() for part in match.group(1).split("|")]
    return " or ".join(_TYPE_WORDS.get(part, part) for part in parts)


def _int_range(bound: re.Match[str], body_type: Any, path: str) -> str:
    side, value = bound.group(1), int(bound.group(2))
    whole = bounds.int_range_at(body_type, path) if body_type is not None else None
    if whole:
        return bounds.range_words(*whole)
    return bounds.range_words(None, value) if side == "<=" else bounds.range_words(value, None)


def explain_validation(
    exc: msgspec.ValidationError | msgspec.DecodeError, body_type: Any = None
) -> FieldError:
    """Turn msgspec's message into a field and a sentence a person can act on (with the body's
    type, a number out of range is told its whole range)."""
    if isinstance(exc, msgspec.DecodeError) and not isinstance(exc, msgspec.ValidationError):
        return FieldError(field="", message="The request body is not valid JSON. Check its syntax.")
    match = _AT_PATH.match(str(exc))
    message = match.group("message") if match else str(exc)
    path = (match.group("path") or "") if match else ""
    field = path.lstrip(".")
    unknown = re.match(r"Object contains unknown field `([^`]+)`", message)
    if unknown:
        name = unknown.group(1)
        field = f"{field}.{name}" if field else name
        return FieldError(field=field, message=f"'{name}' is not a field here. Remove it.")
    missing = re.match(r"Object missing required field `([^`]+)`", message)
    if missing:
        name = missing.group(1)
        field = f"{field}.{name}" if field else name
        return FieldError(field=field, message=f"'{name}' is required. Add it.")
    length = re.match(r"Expected `(?:str|array)` of length <= (\d+)", message)
    if length:
        return FieldError(
            field=field, message=f"This is too long: the most allowed is {length.group(1)}."
        )
    minimum = re.match(r"Expected `(?:str|array)` of length >= (\d+)", message)
    if minimum:
        return FieldError(field=field, message="This cannot be empty. Fill it in.")
    window = re.match(r"Field `([^`]+)`: (.*)$", message, re.S)
    if window:
        # A date outside its window (portal.bounds.OutOfWindow) names its own field.
        name = window.group(1)
        return FieldError(field=f"{field}.{name}" if field else name, message=f"{window.group(2)}.")
    bound = re.match(r"Expected `int` (<=|>=) (-?\d+)$", message)
    if bound:
        return FieldError(
            field=field, message=f"This must be {_int_range(bound, body_type, path)}."
        )
    message = re.sub(r"`(\w+(?: \| \w+)*)`", _plain_type, message)
    return FieldError(field=field, message=f"{message}.")


def validation_problem(
    exc: msgspec.ValidationError | msgspec.DecodeError,
    *,
    what: str = "request",
    body_type: Any = None,
) -> Invalid | Malformed:
    error = explain_validation(exc, body_type)
    where = f" ({error.field})" if error.field else ""
    kind = Invalid if isinstance(exc, msgspec.ValidationError) else Malformed
    return kind(
        "The request could not be used",
        f"Check the {what}{where}: {error.message}",
        errors=[error],
    )


# --- input refused before any handler reads it (see portal/routes/request_guard.py) ---------


def control_character_error(field: str, character: str) -> FieldError:
    """A text with a character nobody types (NUL, escape, ...): say which, and what is fine."""
    return FieldError(
        field=field,
        message=(
            f"This text contains a control character (U+{ord(character):04X}) that cannot be "
            "saved. Remove it and send it again: tabs and line breaks are fine."
        ),
    )


def duplicate_key_error(field: str, key: str) -> FieldError:
    return FieldError(
        field=field, message=f"'{key}' is given more than once. Send each field only once."
    )


def refused_fields_problem(errors: list[FieldError]) -> Problem:
    """A 422 naming the first field in its detail and every field in `errors`."""
    first = errors[0]
    where = f" ({first.field})" if first.field else ""
    return Problem(
        422,
        "The request could not be used",
        f"Check the request{where}: {first.message}",
        errors=errors,
    )


def unreadable_body_problem(reason: str) -> Problem:
    """A 400 for a body that cannot be read at all; `reason` is a sentence saying what to fix."""
    return Problem(400, "The request could not be read", reason)


NOT_JSON = "The request body is not valid JSON. Check its syntax and send it again."


def not_utf8_reason(what: str) -> str:
    return f"The {what} is not valid UTF-8 text. Send it encoded as UTF-8 and try again."


NOT_UTF8 = not_utf8_reason("request body")


def too_deep_reason(limit: int) -> str:
    return (
        f"The request body is nested more than {limit} levels deep. No request here needs "
        "more than a few levels: send the fields as the API documents them."
    )


def problem_response(problem: DomainError) -> Response[Any]:
    status = status_of(problem)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": problem.title,
        "status": status,
        "detail": problem.detail,
    }
    if problem.errors:
        body["errors"] = msgspec.to_builtins(problem.errors)
    body.update(problem.extra)
    return Response(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def handle_problem(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return problem_response(exc)


def _items(exc: ValidationException) -> list[dict[str, Any]]:
    return [
        item
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]


def is_path_refusal(exc: ValidationException) -> bool:
    """Only path parameters were wrong (a number no row can have): the address leads nowhere."""
    items = _items(exc)
    return bool(items) and all(
        str(item.get("source")) in {"path", "ParamType.PATH"} for item in items
    )


def _parameter(request: Request[Any, Any, Any], key: str) -> tuple[str, int | None, int | None]:
    """A parameter's public name (`with`, not `compare_with`) and the range it declares."""
    try:
        field = request.route_handler.parsed_fn_signature.parameters[key]
    except (AttributeError, KeyError):
        return key, None, None
    kwarg = field.kwarg_definition
    name = getattr(kwarg, "name", None) or getattr(kwarg, "query", None) or key
    low, high = getattr(kwarg, "ge", None), getattr(kwarg, "le", None)
    return str(name), (None if low is None else int(low)), (None if high is None else int(high))


def _body_type(request: Request[Any, Any, Any]) -> Any:
    try:
        return request.route_handler.parsed_fn_signature.parameters["data"].annotation
    except (AttributeError, KeyError):
        return None


def _parameter_error(request: Request[Any, Any, Any], item: dict[str, Any]) -> FieldError:
    key = str(item.get("key") or "")
    message = str(item.get("message") or "")
    if item.get("source") in (None, "body"):
        # Litestar keeps only the message: say where it was, and give the body's type.
        # A rule of the whole body (a date window) is reported at `data`: the body itself.
        key = "" if key == "data" else key
        located = msgspec.ValidationError(f"{message} - at `$.{key}`" if key else message)
        explained = explain_validation(located, _body_type(request))
        return FieldError(field=explained.field or key, message=explained.message)
    explained = explain_validation(msgspec.ValidationError(message))
    name, low, high = _parameter(request, key)
    if re.match(r"Expected `int` (<=|>=)", message) and (low is not None or high is not None):
        return FieldError(field=name, message=f"This must be {bounds.range_words(low, high)}.")
    return FieldError(field=name, message=explained.message)


def path_not_found(request: Request[Any, Any, Any], exc: ValidationException) -> NotFound:
    first = _parameter_error(request, _items(exc)[0])
    return NotFound(
        "Not found",
        f"There is nothing at this address: the {first.field} in it must be "
        f"{first.message.removeprefix('This must be ').rstrip('.')}. Check the address.",
    )


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    if is_path_refusal(exc):
        return problem_response(path_not_found(request, exc))
    errors = [_parameter_error(request, item) for item in _items(exc)]
    detail = (exc.detail or "").strip()
    if "JSON is malformed" in detail or "malformed" in detail.lower():
        return problem_response(
            Problem(400, "Malformed JSON", "The request body is not valid JSON. Check its syntax.")
        )
    if errors:
        first = errors[0]
        where = f" ({first.field})" if first.field else ""
        detail = f"Check the request{where}: {first.message}"
    return problem_response(Problem(422, "The request could not be used", detail, errors=errors))


_STATUS_TITLES = {
    401: ("Sign in needed", "Sign in first, then try again."),
    403: ("Not allowed", "You are not allowed to do this."),
    404: ("Not found", "There is nothing at this address. Check it."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    413: ("Request too large", "The request is too large. Send less text at once."),
    415: ("Unsupported media type", "Send the request body as JSON."),
    429: ("Too many requests", "Wait a minute, then try again."),
}


# A change without the CSRF token: nothing was done. Said for a page's script and an API client.
CSRF_DETAIL = (
    "The request's security token is missing or wrong, so nothing was changed. Reload the page "
    "and try again. An API client gets the token from GET /api/v1/session/csrf, or from the "
    f"answer to signing in, and sends it in the {CSRF_HEADER_NAME} header; it changes when the "
    "client signs in or out."
)


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    title, detail = _STATUS_TITLES.get(status, ("Something went wrong", exc.detail))
    if is_csrf_refusal(exc):
        title, detail = "Security token missing or wrong", CSRF_DETAIL
    if status == 400:
        title = "The request could not be read"
        detail = "The request body is not valid JSON. Check its syntax and send it again."
    if status >= 500:
        detail = "Something went wrong on our side. Nothing you sent was lost; try again."
    return problem_response(Problem(status, title, detail, headers=dict(exc.headers or {})))


def handle_server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request.logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        Problem(500, "Something went wrong", "Something went wrong on our side. Try again.")
    )


__all__ = [
    "NOT_JSON",
    "NOT_UTF8",
    "DomainError",
    "FieldError",
    "MediaType",
    "NotFound",
    "Problem",
    "control_character_error",
    "duplicate_key_error",
    "handle_http",
    "handle_problem",
    "handle_server_error",
    "handle_validation",
    "is_path_refusal",
    "not_utf8_reason",
    "path_not_found",
    "problem_response",
    "refused_fields_problem",
    "status_of",
    "too_deep_reason",
    "unreadable_body_problem",
    "validation_problem",
]
