import base64
import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from jinja2 import ChainableUndefined, Environment
from litestar.plugins.jinja import JinjaTemplateEngine

from portal.templating import (
    NHSUK_INLINE_SCRIPT_CSP_SOURCE,
    pounds,
    template_config,
    uk_date,
    uk_datetime,
)

PAGE = """\
{% extends "base.html" %}
{% from "nhsuk/components/textarea/macro.jinja" import textarea %}
{% from "macros/forms.html" import errorSummaryFor %}
{% block title %}What I want to achieve{% endblock %}
{% block content %}
  {{ errorSummaryFor(errors) }}
  <p id="allocation">{{ allocation | pounds }}</p>
  <p id="review">{{ review_on | uk_date }}</p>
  <p id="updated">{{ updated_at | uk_datetime }}</p>
  <form method="post" novalidate>
    {{ textarea({
      "name": "achieve",
      "label": {"text": "What I want to achieve"},
      "value": achieve,
      "errorMessage": errors.get("achieve")
    }) }}
  </form>
{% endblock %}
"""


@pytest.fixture(scope="module")
def env() -> Environment:
    engine = template_config().engine_instance
    assert isinstance(engine, JinjaTemplateEngine)
    return engine.engine


def render(env: Environment, source: str = PAGE, **context: object) -> str:
    defaults: dict[str, object] = {
        "allocation": 123456,
        "review_on": date(2026, 11, 22),
        "updated_at": datetime(2026, 11, 22, 10, 5, tzinfo=UTC),
        "achieve": "Go swimming <script>alert(1)</script>",
    }
    return env.from_string(source).render({**defaults, **context})


def csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def test_environment_is_set_up_for_nhsuk_macros(env: Environment) -> None:
    assert env.undefined is ChainableUndefined
    assert env.autoescape is True
    assert {"pounds", "uk_date", "uk_datetime"} <= set(env.filters)


def test_page_is_an_nhsuk_page_in_british_english(env: Environment) -> None:
    html = render(env)

    assert '<html lang="en-GB"' in html
    assert "<title>What I want to achieve – Plan portal</title>" in html
    assert '<link rel="stylesheet" href="/static/nhsuk-frontend.min.css">' in html
    assert '<link rel="stylesheet" href="/static/app.css">' in html
    assert '<script type="module" src="/static/init.js"></script>' in html
    assert 'href="#maincontent"' in html
    assert '<main class="nhsuk-main-wrapper" id="maincontent">' in html
    assert 'class="nhsuk-header__service-name">Plan portal</span>' in html
    assert '<a class="nhsuk-header__service-logo" href="/"' in html
    assert '<footer class="nhsuk-footer"' in html


def test_user_text_is_escaped_inside_nhsuk_macros(env: Environment) -> None:
    html = render(env)

    assert ">Go swimming &lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html
    assert "<script>alert(1)" not in html


def test_page_has_no_inline_event_handlers(env: Environment) -> None:
    html = render(env, current_user={"display_name": "Sam"}, errors={"achieve": "Enter x"})

    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.IGNORECASE)
    assert "javascript:" not in html


def test_only_inline_script_is_the_one_the_csp_hash_allows(env: Environment) -> None:
    html = render(env)

    inline = [
        body
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL)
        if "src=" not in attrs
    ]
    assert len(inline) == 1
    assert csp_hash(inline[0]) == NHSUK_INLINE_SCRIPT_CSP_SOURCE


def test_errors_show_a_summary_linked_to_the_field_and_a_message_by_it(
    env: Environment,
) -> None:
    html = render(env, errors={"achieve": "Enter what you want to achieve"})

    assert "<title>Error: What I want to achieve – Plan portal</title>" in html
    assert 'class="nhsuk-error-summary"' in html
    assert "There is a problem" in html
    assert re.search(r'<a href="#achieve"\s*>\s*Enter what you want to achieve\s*</a>', html)
    assert 'id="achieve-error"' in html
    assert 'aria-describedby="achieve-error"' in html
    assert "nhsuk-textarea--error" in html


def test_page_without_errors_has_no_error_summary(env: Environment) -> None:
    html = render(env)

    assert "nhsuk-error-summary" not in html
    assert "nhsuk-error-message" not in html
    assert "<title>What I want" in html


def test_filters_format_money_and_dates_on_the_page(env: Environment) -> None:
    html = render(env)

    assert '<p id="allocation">£1,234.56</p>' in html
    assert '<p id="review">22 November 2026</p>' in html
    assert '<p id="updated">22 November 2026 at 10:05am</p>' in html


def test_signed_in_person_sees_a_sign_out_form_that_works_without_javascript(
    env: Environment,
) -> None:
    html = render(
        env,
        current_user={"display_name": "Sam <Owner>"},
        csrf_input='<input type="hidden" name="_csrf_token" value="tok" />',
    )

    form = re.search(r"<form[^>]*action=\"/sign-out\"[^>]*>(.*?)</form>", html, flags=re.DOTALL)
    assert form is not None
    assert 'method="post"' in form.group(0)
    assert '<input type="hidden" name="_csrf_token" value="tok" />' in form.group(1)
    assert "Sign out" in form.group(1)
    assert "Sam &lt;Owner&gt;" in html


def test_signed_out_page_has_no_sign_out(env: Environment) -> None:
    assert "Sign out" not in render(env)


def test_back_link_from_back_href(env: Environment) -> None:
    html = render(env, back_href="/plans/1")

    assert re.search(r'class="nhsuk-back-link"\s+href="/plans/1"', html)


def test_extra_template_dirs_come_first(tmp_path: Path) -> None:
    (tmp_path / "hello.html").write_text("{{ 250 | pounds }}")
    engine = template_config([tmp_path]).engine_instance

    assert engine.get_template("hello.html").render() == "£2.50"
    assert engine.get_template("base.html") is not None


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (0, "£0.00"),
        (5, "£0.05"),
        (100, "£1.00"),
        (123456, "£1,234.56"),
        (100_000_000, "£1,000,000.00"),
        (-250, "-£2.50"),
        (None, ""),
    ],
)
def test_pounds(pence: int | None, shown: str) -> None:
    assert pounds(pence) == shown


@pytest.mark.parametrize("not_pence", [12.5, "100", True])
def test_pounds_refuses_anything_but_integer_pence(not_pence: object) -> None:
    with pytest.raises(TypeError):
        pounds(not_pence)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (date(2026, 11, 22), "22 November 2026"),
        (date(2027, 1, 1), "1 January 2027"),
        # 23:30 UTC in summer is already the next day in London.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "31 December 2026"),
        (None, ""),
    ],
)
def test_uk_date(value: date | None, shown: str) -> None:
    assert uk_date(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2026, 11, 22, 10, 5, tzinfo=UTC), "22 November 2026 at 10:05am"),
        (datetime(2026, 11, 22, 14, 30, tzinfo=UTC), "22 November 2026 at 2:30pm"),
        (datetime(2026, 11, 22, 9, 0, tzinfo=UTC), "22 November 2026 at 9am"),
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), "22 November 2026 at midday"),
        (datetime(2026, 11, 22, 0, 0, tzinfo=UTC), "22 November 2026 at midnight"),
        (datetime(2026, 11, 22, 0, 15, tzinfo=UTC), "22 November 2026 at 12:15am"),
        # British Summer Time: 09:05 UTC is 10:05 in London.
        (datetime(2026, 7, 1, 9, 5, tzinfo=UTC), "1 July 2026 at 10:05am"),
        # A naive time is taken as UTC, not the server's zone.
        (datetime(2026, 7, 1, 9, 5), "1 July 2026 at 10:05am"),  # noqa: DTZ001
        (None, ""),
    ],
)
def test_uk_datetime(value: datetime | None, shown: str) -> None:
    assert uk_datetime(value) == shown
