"""What can go wrong, in the domain's words: every package raises these, and `STATUS` below is
the one place that says which status code each kind is (the web edge answers with it, and the
audit trail records a refused attempt with it).

Each error carries a short title, a sentence saying what to do next, and, for input, the field
errors a form shows beside its fields. `extra` holds facts a client may act on (the current
state, the version now saved); `headers` what a client needs to retry (`ETag`, `Retry-After`).
"""

from __future__ import annotations

from typing import Any

import msgspec


class FieldError(msgspec.Struct):
    field: str
    message: str


class DomainError(Exception):
    """An error the portal expected and can explain."""

    def __init__(
        self,
        title: str,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra


class Malformed(DomainError):
    """The request cannot be read as asked (an id that is not an id, an unknown choice)."""


class Invalid(DomainError):
    """The input breaks a rule; `errors` names the fields to fix."""


class Forbidden(DomainError):
    """This person may not do this."""


class NotFound(DomainError):
    """There is nothing here, or nothing this person may know is here."""


class Conflict(DomainError):
    """Not possible in the state things are in now."""


class Gone(DomainError):
    """It was here and has ended (a used or withdrawn invitation)."""


class Stale(DomainError):
    """The change was based on a version that is no longer the latest."""


class VersionNeeded(DomainError):
    """A change must say which version it is based on."""


class Throttled(DomainError):
    """Too many attempts: wait, then try again."""


class Unavailable(DomainError):
    """Something the portal depends on is not answering just now; nothing was lost."""


class UpstreamFailed(DomainError):
    """A service outside the portal (the sign-in provider) answered badly."""


def not_found(what: str = "page") -> NotFound:
    return NotFound(
        "Not found",
        f"There is no {what} here, or you do not have access to it. Check the address.",
    )


def invalid_field(field: str, title: str, detail: str) -> Invalid:
    """Input refused for one field, the detail shown beside it too."""
    return Invalid(title, detail, errors=[FieldError(field, detail)])


# The one place a kind of domain error becomes a status code.
STATUS: dict[type[DomainError], int] = {
    Malformed: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    Stale: 412,
    Invalid: 422,
    VersionNeeded: 428,
    Throttled: 429,
    UpstreamFailed: 502,
    Unavailable: 503,
}


def status_of(error: DomainError) -> int:
    """The status code of an error: its own where the web edge gave one, else its kind's."""
    explicit = getattr(error, "status", None)
    if isinstance(explicit, int):
        return explicit
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500
