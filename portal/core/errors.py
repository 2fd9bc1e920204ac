"""What can go wrong, in the domain's words: every package raises these, and only the web edge
(`portal.problems.status_of`) says which HTTP status each one is.

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
