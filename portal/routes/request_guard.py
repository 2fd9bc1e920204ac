"""Hostile or careless input is refused in one place, before any handler or the database sees it.

Every request that reaches a route passes here (a Litestar `before_request` hook, installed by
`RequestGuard`, a plugin): its query string and path parameters, its form fields, and its JSON
body. What is refused, with a problem that names the field, and nothing saved changes:

- control characters other than tab, line feed and carriage return (the newline of forms and of
  Windows clients) in any text: NUL reached PostgreSQL (a 500) or was stored in a section;
- JSON nested more than MAX_DEPTH levels (msgspec recursed into a RecursionError, a 500), not
  UTF-8 (a UnicodeDecodeError, a 500), or with a key given twice in one object (silently the
  last won);
- wrong types in a JSON body: Litestar converts the decoded body to the handler's `data` type
  with `strict=False` (hard-coded in litestar/_signature/model.py), so "18500" passed as a
  number and "true" as a boolean. Litestar has no setting for this, and a DTO would rename the
  body's schema in the OpenAPI document, so the body is converted here, strictly, and handed to
  Litestar through the request's connection state, which `Request.json()` reads first; Litestar
  passes a Struct of the right type through unchanged. A valid body is decoded once and converted
  once, as before. A wrong type is answered after the handler's dependencies have run (so a
  signed-out client still gets 401 first, as before): the conversion leaves a value Litestar
  refuses, and the validation handler answers with the problem kept here.

Query and path parameters are text on the wire and still convert loosely (`?page=2`).
Refused changes to a plan are logged as portal/routes/refused_input.py logs them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import MediaType, Request, Response
from litestar.config.app import AppConfig
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import BodyKwarg
from litestar.plugins import InitPlugin
from litestar.serialization import default_deserializer
from litestar.utils.scope.state import ScopeState

from portal.problems import (
    NOT_JSON,
    NOT_UTF8,
    DomainError,
    FieldError,
    control_character_error,
    duplicate_key_error,
    not_utf8_reason,
    problem_response,
    refused_fields_problem,
    status_of,
    too_deep_reason,
    unreadable_body_problem,
    validation_problem,
)
from portal.routes.error_pages import is_api_path
from portal.routes.refused_input import logs_refused_input
from portal.routes.rendering import render

# The deepest body the API documents is three levels (a section's list of risks, each an
# object); 32 leaves room for any future body and refuses what only an attacker sends.
MAX_DEPTH = 32

# Unicode's control characters (Cc) but tab, line feed and carriage return, and lone surrogates
# (which PostgreSQL cannot store as UTF-8); format characters such as right-to-left marks are
# text people write and stay allowed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The end of each key (see _check_duplicates); and each JSON string of a valid body, with
# whether a colon follows it (then it is a key): after a string ends, the next quote in valid
# JSON always opens another string.
_KEY_END = re.compile(rb'"[ \t\n\r]*:')
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"([ \t\n\r]*:)?', re.S)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = frozenset({RequestEncodingType.URL_ENCODED.value, RequestEncodingType.MULTI_PART})
# Where a wrong type found before the dependencies ran waits for the validation handler.
_DEFERRED = "portal_refused_body"


class RefusedInput(Exception):
    """Input refused before any handler ran; carries the problem to answer with."""

    def __init__(self, problem: DomainError) -> None:
        super().__init__(problem.detail)
        self.problem = problem


class _WrongType:
    """Put where Litestar expects the body: no Struct accepts it, so Litestar refuses it."""


# --- text anywhere -----------------------------------------------------------------------


def _refuse_text(field: str, match: re.Match[str]) -> RefusedInput:
    return RefusedInput(refused_fields_problem([control_character_error(field, match.group())]))


def _printable(key: str) -> str:
    # A key with a control character is named with it escaped, so the answer can show it.
    return key.encode("unicode_escape").decode("ascii")


def _check_utf8(raw: bytes, what: str) -> None:
    """A query string or form body whose %-escapes are not UTF-8, which Litestar would read
    with replacement characters: the text saved would not be the text sent."""
    if raw.isascii() and b"%" not in raw:
        return
    try:
        # Splitting UTF-8 at & and = (ASCII) keeps it UTF-8, so the whole tells for each part.
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise RefusedInput(unreadable_body_problem(not_utf8_reason(what))) from None


def _check_pairs(items: Any, *, where: str = "") -> None:
    """Names and values of query parameters, path parameters or form fields."""
    for name, value in items:
        name = str(name)
        if bad := _CONTROL.search(name):
            raise _refuse_text(f"{where}{_printable(name)}", bad)
        if isinstance(value, str) and (bad := _CONTROL.search(value)):
            raise _refuse_text(f"{where}{name}", bad)


# --- JSON bodies -------------------------------------------------------------------------
# Each check is one pass in C over the body or its text where it can be (issue 17 measures
# this); Python walks the decoded body's containers once, and walks it again, keeping paths,
# only for a body that is refused.


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _too_deep() -> RefusedInput:
    return RefusedInput(unreadable_body_problem(too_deep_reason(MAX_DEPTH)))


def _shape(value: dict[str, Any] | list[Any], depth: int, texts: list[str]) -> int:
    """Refuse nesting beyond MAX_DEPTH; gather every key and string; count the keys."""
    if depth >= MAX_DEPTH:
        raise _too_deep()
    keys = 0
    items: Any = value
    if type(value) is dict:
        keys = len(value)
        texts.extend(value)
        items = value.values()
    for item in items:
        kind = type(item)
        if kind is str:
            texts.append(item)
        elif kind is dict or kind is list:
            keys += _shape(item, depth + 1, texts)
    return keys


def _has_control(text: str) -> bool:
    # isprintable() is one pass in C, twice as fast as the search, and false for every control
    # character (and for some text that is fine, such as a no-break space: the search decides).
    if text.replace("\n", " ").replace("\t", " ").replace("\r", " ").isprintable():
        return False
    return _CONTROL.search(text) is not None


def _find_text(value: Any, path: str) -> None:
    """Raise for the first key or string with a control character, naming where it is."""
    if isinstance(value, str):
        if bad := _CONTROL.search(value):
            raise _refuse_text(path, bad)
    elif isinstance(value, dict):
        for key, item in value.items():
            if bad := _CONTROL.search(key):
                raise _refuse_text(_at(path, _printable(key)), bad)
            _find_text(item, _at(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _find_text(item, f"{path}[{index}]")


class _Pairs(dict[str, Any]):
    duplicate: str | None = None


def _pairs(pairs: list[tuple[str, Any]]) -> _Pairs:
    found = _Pairs(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                found.duplicate = key
                break
            seen.add(key)
    return found


def _duplicate(value: Any, path: str) -> FieldError | None:
    if isinstance(value, _Pairs):
        if value.duplicate is not None:
            return duplicate_key_error(_at(path, value.duplicate), value.duplicate)
        items = [(_at(path, key), item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    for where, item in items:
        if error := _duplicate(item, where):
            return error
    return None


def _check_duplicates(body: bytes, keys: int) -> None:
    """msgspec keeps the last of a key given twice, so count the keys as written to notice.

    A quote, spaces and a colon end every key; inside a string they can only add to the count
    (an escaped quote before a colon), so the same count as the decoded keys means no key
    repeats. Otherwise the strings are told apart from the keys exactly, and only a body that
    does repeat a key is read again, keeping every pair, to say which.
    """
    if len(_KEY_END.findall(body)) == keys:
        return
    found = _JSON_STRING.findall(body)
    if len(found) - found.count(b"") == keys:
        return
    # Numbers are not needed to find the key, and Python's int() refuses 4,300 digits or more.
    pairs = json.loads(body, object_pairs_hook=_pairs, parse_int=len, parse_float=len)
    error = _duplicate(pairs, "") or duplicate_key_error("", "A field")
    raise RefusedInput(refused_fields_problem([error]))


_OUT_OF_RANGE = FieldError(
    field="", message="A number in the body is too large to be read. Send a smaller number."
)


def checked_json(body: bytes) -> Any:
    """The body decoded (builtins), or RefusedInput saying what is wrong with it."""
    try:
        decoded = msgspec.json.decode(body)
    except UnicodeDecodeError:
        raise RefusedInput(unreadable_body_problem(NOT_UTF8)) from None
    except RecursionError:
        raise _too_deep() from None
    except msgspec.ValidationError:  # a number beyond what msgspec reads
        raise RefusedInput(refused_fields_problem([_OUT_OF_RANGE])) from None
    except msgspec.DecodeError:
        raise RefusedInput(unreadable_body_problem(NOT_JSON)) from None
    texts: list[str] = []
    keys = 0
    if type(decoded) is dict or type(decoded) is list:
        keys = _shape(decoded, 0, texts)
    elif type(decoded) is str:
        texts.append(decoded)
    if texts and _has_control(" ".join(texts)):
        _find_text(decoded, "")
    if keys:
        _check_duplicates(body, keys)
    return decoded


def _json_data_type(request: Request[Any, Any, Any]) -> Any:
    """The type of the handler's JSON `data` parameter, if it has one."""
    handler = request.route_handler
    field = handler.parsed_data_field
    if field is None or handler.resolve_data_dto() is not None:
        return None
    kwarg = field.kwarg_definition
    if isinstance(kwarg, BodyKwarg) and kwarg.media_type != RequestEncodingType.JSON:
        return None
    return field.annotation


def _is_form(request: Request[Any, Any, Any]) -> bool:
    media_type, _ = request.content_type
    return media_type in _FORM_TYPES


async def _check_body(request: Request[Any, Any, Any]) -> None:
    data_type = _json_data_type(request)
    if data_type is None and not is_api_path(request.url.path):
        return
    body = await request.body()
    if not body:
        return
    decoded = checked_json(body)
    state = ScopeState.from_scope(request.scope)
    if data_type is None:
        # A handler that reads the body itself decodes it again, by its own type, strictly.
        state.json = decoded
        return
    try:
        typed = msgspec.convert(
            decoded,
            data_type,
            strict=True,
            str_keys=True,
            dec_hook=partial(
                default_deserializer, type_decoders=request.route_handler.resolve_type_decoders()
            ),
        )
    except msgspec.ValidationError as exc:
        setattr(request.state, _DEFERRED, validation_problem(exc, body_type=data_type))
        state.json = _WrongType()
    except TypeError:  # a type msgspec cannot convert to: Litestar decides, as before
        state.json = decoded
    else:
        state.json = typed


async def guard_request(request: Request[Any, Any, Any]) -> None:
    """Refuse the request if any text in it, or its JSON body, cannot be used."""
    _check_utf8(request.scope["query_string"], "web address")
    _check_pairs(request.query_params.multi_items())
    _check_pairs(request.path_params.items())
    if request.method in _SAFE_METHODS:
        return
    if _is_form(request):
        if request.content_type[0] == RequestEncodingType.URL_ENCODED.value:
            _check_utf8(await request.body(), "form")
        _check_pairs((await request.form()).multi_items())
        return
    await _check_body(request)


# --- answers -----------------------------------------------------------------------------


def _field_label(request: Request[Any, Any, Any], name: str) -> str:
    from portal.plans.wording import field_label

    key = request.path_params.get("key")
    return field_label(key if isinstance(key, str) else "", name)


def _refused_page(request: Request[Any, Any, Any], problem: DomainError) -> Response[Any]:
    """A page's form with text that cannot be saved: say which field, and that nothing was."""
    if request.headers.get("x-portal-save", "").strip().lower() == "json":
        # A page script saving the form: the same errors it gets from the page's own checks.
        errors = {e.field: e.message for e in problem.errors} or {"": problem.detail}
        return Response(
            {"errors": errors}, status_code=status_of(problem), media_type=MediaType.JSON
        )
    items = [
        {"text": f"{_field_label(request, e.field)}: {e.message}"} for e in problem.errors
    ] or [{"text": problem.detail}]
    return render(
        "errors/refused_input.html",
        request.scope.get("portal_actor") or None,  # type: ignore[arg-type]
        status=status_of(problem),
        error_items=items,
        sent_form=request.method not in _SAFE_METHODS,
    )


def _answer(request: Request[Any, Any, Any], problem: DomainError) -> Response[Any]:
    if is_api_path(request.url.path):
        return problem_response(problem)
    return _refused_page(request, problem)


def _handle_refused(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    problem = exc.problem if isinstance(exc, RefusedInput) else exc
    assert isinstance(problem, DomainError)
    return _answer(request, problem)


_handle_refused_logged = logs_refused_input(_handle_refused)
Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def _deferred_first(handler: Handler) -> Handler:
    """The wrong type found before the dependencies ran, once Litestar refuses the body."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        problem = getattr(request.state, _DEFERRED, None)
        if isinstance(problem, DomainError):
            return _handle_refused_logged(request, problem)
        return handler(request, exc)

    handle.__name__ = f"deferred_first_{getattr(handler, '__name__', 'handler')}"
    return handle


class RequestGuard(InitPlugin):
    """Installs the guard as the app's `before_request` hook, and the answers it gives."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        earlier = app_config.before_request
        if earlier is None:
            app_config.before_request = guard_request
        else:
            hook: Callable[[Request[Any, Any, Any]], Awaitable[Any] | Any] = earlier

            async def guarded(request: Request[Any, Any, Any]) -> Any:
                await guard_request(request)
                answer = hook(request)
                return await answer if isinstance(answer, Awaitable) else answer

            app_config.before_request = guarded
        handlers = app_config.exception_handlers
        handlers[RefusedInput] = _handle_refused_logged
        # The app's own handler (already logging refused changes) answers everything else.
        validation = handlers.get(ValidationException)
        if validation is not None:
            handlers[ValidationException] = _deferred_first(validation)
        return app_config


__all__ = ["MAX_DEPTH", "RefusedInput", "RequestGuard", "checked_json", "guard_request"]
