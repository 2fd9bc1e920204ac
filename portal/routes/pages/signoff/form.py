"""The one way a sign-off page handles a form.

A handler checks access first (404 for a plan the reader may not know, 403 for a decision that
is not theirs), so nobody learns anything from how their form is judged; then it parses the
form into values (as typed, to show again) and field errors; then `send_form` calls the service
unless a field is wrong. What the reader can act on from the form (`Invalid`, `Conflict`, and on
some forms `Forbidden`) comes back as the form again with an NHS.UK error summary and the
error's status; any other error goes on to the error pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar import Response

from portal.core.errors import Conflict, DomainError, Invalid
from portal.problems import status_of
from portal.routes.pages.forms import FieldProblem, check_length, text
from portal.signoff import limits

T = TypeVar("T")

# The longest reason, note or comment a sign-off form takes (as the service allows).
REASON_LIMIT = limits.REASON_MAX_LENGTH
# A form with a field wrong answers 400; a refusal by the service, the refusal's own status.
FORM_WRONG = 400


def read_reason(form: Any, name: str, label: str, errors: dict[str, str], key: str = "") -> str:
    """A reason box, stripped; too long is an error under `key` (the box's own name if none)."""
    value = text(form, name).strip()
    try:
        check_length(label, value, REASON_LIMIT)
    except FieldProblem as exc:
        errors[key or name] = str(exc)
    return value


def problem_errors(problem: DomainError, fields: dict[str, str], whole: str) -> dict[str, str]:
    """A refusal's field errors as this form's fields, each in its own short words; one about
    the whole decision (no field on this form) as `whole`, with the service's full sentence."""
    errors: dict[str, str] = {}
    for error in problem.errors:
        field = fields.get(error.field)
        if field is None:
            errors.setdefault(whole, problem.detail)
        else:
            errors.setdefault(field, error.message)
    return errors or {whole: problem.detail}


async def send_form(
    errors: dict[str, str],
    call: Callable[[], Awaitable[T]],
    *,
    done: Callable[[T], Response[Any]],
    again: Callable[[dict[str, str], int], Awaitable[Response[Any]]],
    refused: Callable[[DomainError], dict[str, str]],
    refusals: tuple[type[DomainError], ...] = (Conflict, Invalid),
    acts_on: Callable[[DomainError], bool] = lambda _problem: True,
) -> Response[Any]:
    """Call the service unless the form is wrong: `done` with what it answers, or the form
    `again` with the errors and the status. A refusal is one of `refusals` that `acts_on`
    accepts (what the reader can put right from the form); `refused` says it as form errors."""
    status = FORM_WRONG
    if not errors:
        try:
            result = await call()
        except refusals as problem:
            if not acts_on(problem):
                raise
            status = status_of(problem)
            errors = refused(problem)
        else:
            return done(result)
    return await again(errors, status)
