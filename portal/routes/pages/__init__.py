"""Server-rendered pages (NHS.UK frontend); every journey works without JavaScript."""

from typing import Any

PAGE_ROUTES: list[Any] = []
