"""A client generated from the live OpenAPI document works: the document is true enough for
another system to build on it without reading our code.

`openapi-python-client` generates a package from `portal serve`'s own document; the test then
signs in, starts a plan, reads it, saves a section and signs out with generated calls only.
Hand-written: the base URL, the credentials (the session cookie the client keeps, the CSRF
header) and `use_csrf_token` below, which says where the token comes from.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from portal.security import CSRF_HEADER_NAME
from tests.conftest import PASSWORD, serving

PACKAGE = "portal_client"
# No formatter run over the generated code (ruff may not be on PATH), and the file downloads
# typed as bytes: the generator only knows application/octet-stream as a file.
GENERATOR_CONFIG = f"""\
package_name_override: {PACKAGE}
post_hooks: []
content_type_overrides:
  application/pdf: application/octet-stream
  application/zip: application/octet-stream
"""


@pytest.fixture(scope="module")
def server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A real `portal serve` on the test database (`app` has migrated it and opened our pool)."""
    with serving() as url:
        yield url


@pytest.fixture(scope="module")
def generated(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from the running server's document, importable."""
    where = tmp_path_factory.mktemp("generated-client")
    config = where / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--url",
            f"{server}/api/v1/schema/openapi.json",
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Every operation made it into the client: a warning means part of the document was not
    # understood (a media type, a schema) and would be missing for other systems too.
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def operation(tag: str, operation_id: str) -> Any:
    """A generated operation's module, e.g. `session`, `sign_in`: named by the tag and the
    operation id Litestar gives it (its path and handler)."""
    module = "".join(f"_{c.lower()}" if c.isupper() else c for c in operation_id).lstrip("_")
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{module}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


async def use_csrf_token(client: Any) -> None:
    """Send the session's CSRF token with every change this client makes: the `csrf_token` of
    the generated GET /api/v1/session/csrf. It changes at sign-in, so the test calls this again
    after signing in."""
    csrf = operation("session", "ApiV1SessionCsrfCsrfToken")
    token = await csrf.asyncio(client=client)
    client.get_async_httpx_client().headers[CSRF_HEADER_NAME] = token.csrf_token


async def test_a_generated_client_signs_in_reads_a_plan_and_saves_a_section(
    server: str, generated: ModuleType
) -> None:
    from portal.accounts.service import create_user

    email = f"script-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, "Script User")

    # Credentials: the session cookie is kept by the client's cookie jar once signed in; the
    # CSRF token goes in its header. An undocumented status would raise (UnexpectedStatus).
    client = generated.AuthenticatedClient(
        base_url=server,
        token="",
        prefix="",
        auth_header_name=CSRF_HEADER_NAME,
        raise_on_unexpected_status=True,
    )
    async with client:
        await use_csrf_token(client)
        signed_in = await operation("session", "ApiV1SessionSignIn").asyncio_detailed(
            client=client, body=model("SessionCreate")(email=email, password=PASSWORD)
        )
        assert signed_in.status_code == 201, signed_in.content
        assert signed_in.parsed.display_name == "Script User"
        await use_csrf_token(client)

        me = await operation("session", "ApiV1SessionWhoAmI").asyncio(client=client)
        assert me.email == email

        created = await operation("plans", "ApiV1PlansCreatePlan").asyncio_detailed(
            client=client, body=model("PlanCreate")(kind=model("PlanKind")("care_and_support"))
        )
        assert created.status_code == 201, created.content
        plan_id = created.parsed.id

        plan = await operation("plans", "ApiV1PlansPlanIdReadPlan").asyncio(
            client=client, plan_id=plan_id
        )
        assert plan.id == plan_id

        read_section = operation("plans", "ApiV1PlansPlanIdSectionsKeyReadSection")
        section = await read_section.asyncio(client=client, plan_id=plan_id, key="about_me")
        assert section.version == 0

        about_me = model("ApiV1PlansPlanIdSectionsKeyWriteSectionAboutMe")
        saved = await operation(
            "plans", "ApiV1PlansPlanIdSectionsKeyWriteSection"
        ).asyncio_detailed(
            client=client,
            plan_id=plan_id,
            key="about_me",
            body=about_me(who_i_am="I like swimming and my dog, Biscuit."),
            if_match=section.etag,
        )
        assert saved.status_code == 200, saved.content
        assert saved.parsed.version == 1
        assert saved.headers["etag"] == '"1"'

        again = await read_section.asyncio(client=client, plan_id=plan_id, key="about_me")
        assert again.content["who_i_am"] == "I like swimming and my dog, Biscuit."

        # A problem is parsed as the document says: a plan nobody has is a 404 problem.
        missing = await operation("plans", "ApiV1PlansPlanIdReadPlan").asyncio_detailed(
            client=client, plan_id=uuid.uuid4()
        )
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.parsed.status == 404

        signed_out = await operation("session", "ApiV1SessionSignOut").asyncio_detailed(
            client=client
        )
        assert signed_out.status_code == 204
        after = await operation("session", "ApiV1SessionWhoAmI").asyncio_detailed(client=client)
        assert after.status_code == 401
