"""Jinja2 set-up for server-rendered pages: NHS.UK frontend components plus our own filters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType

from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    Undefined,
)
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from portal.core.clock import ENGLAND, now

__all__ = [
    "ASSETS_DIR",
    "ASSETS_URL",
    "NHSUK_INLINE_SCRIPT_CSP_SOURCE",
    "STATIC_DIR",
    "STATIC_URL",
    "TEMPLATES_DIR",
    "jinja_environment",
    "pounds",
    "template_config",
    "uk_date",
    "uk_datetime",
]

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
# Built by `npm run build` in frontend/; the app serves STATIC_DIR at STATIC_URL and
# ASSETS_DIR at ASSETS_URL, because NHS.UK's CSS and page template ask for /assets/... .
STATIC_DIR = PACKAGE_DIR / "static"
STATIC_URL = "/static"
ASSETS_DIR = STATIC_DIR / "assets"
ASSETS_URL = "/assets"

# nhsuk/template.jinja (nhsuk-frontend-jinja 0.10.2) writes one inline script at the top of
# <body> that adds the js-enabled classes before first paint. Its text never varies, so the
# Content-Security-Policy allows exactly it: script-src 'self' <this>. tests/test_templating.py
# recomputes the hash from the rendered page, so an upgrade that changes the script fails there.
NHSUK_INLINE_SCRIPT_CSP_SOURCE = "'sha256-tDOvXJi1PXbg0CWjLCCYSNHRXtps26K4JXkE3M6u/c0='"

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def pounds(pence: int | None) -> str:
    """Integer pence as "£1,234.56"; money is never a float here, so refuse one."""
    if pence is None or isinstance(pence, Undefined):
        return ""
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise TypeError(f"pounds expects integer pence, got {type(pence).__name__}")
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{part:02d}"


def _in_london(moment: datetime) -> datetime:
    # Stored times are UTC; a naive one is taken as UTC rather than the server's local zone.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ENGLAND)


def uk_date(value: date | datetime | None) -> str:
    """A date as "22 November 2026"; a datetime is first moved to Europe/London."""
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, datetime):
        value = _in_london(value).date()
    # Month names spelled out here, not %B, so the server's locale can't change them.
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _clock(moment: datetime) -> str:
    # NHS.UK style: 12-hour clock, no ":00", and words for the two ambiguous hours.
    if moment.minute == 0 and moment.hour == 0:
        return "midnight"
    if moment.minute == 0 and moment.hour == 12:
        return "midday"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{suffix}"


def uk_datetime(value: datetime | None) -> str:
    """A moment as "22 November 2026 at 10:05am", in Europe/London time."""
    if value is None or isinstance(value, Undefined):
        return ""
    local = _in_london(value)
    return f"{uk_date(local)} at {_clock(local)}"


def jinja_environment(template_dirs: list[Path] | None = None) -> Environment:
    """The one Jinja environment family for pages (and the PDF exports that reuse them)."""
    search_path = [*(template_dirs or []), TEMPLATES_DIR]
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(search_path),
                # Components by their full path: "nhsuk/components/<name>/macro.jinja".
                PackageLoader("nhsuk_frontend_jinja"),
            ]
        ),
        # The NHS.UK macros read params.a.b.c without checking each step exists.
        undefined=ChainableUndefined,
        # On for every template, not only *.html: the NHS.UK macros live in *.jinja files and
        # print field values (the user's own text) through {{ params.value }}.
        autoescape=True,
    )
    env.filters["pounds"] = pounds
    env.filters["uk_date"] = uk_date
    env.filters["uk_datetime"] = uk_datetime
    # A page rendered without form errors still sees an (empty, read-only) `errors`, so
    # templates can write errors.get("field") unconditionally. A context value overrides it.
    env.globals["errors"] = MappingProxyType({})
    # When a page is made: an offline copy says how old it is.
    env.globals["rendered_at"] = now
    return env


def template_config(
    template_dirs: list[Path] | None = None,
) -> TemplateConfig[JinjaTemplateEngine]:
    """Litestar's template config over jinja_environment(); extra dirs come before ours."""
    engine = JinjaTemplateEngine.from_environment(jinja_environment(template_dirs))
    return TemplateConfig(instance=engine)
