"""The portal as a Litestar application; nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, MediaType, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.static_files import create_static_files_router

from portal.logs import redact_access_log
from portal.problems import (
    DomainError,
    handle_http,
    handle_problem,
    handle_server_error,
    handle_validation,
)
from portal.routes.api.openapi import API_DESCRIPTION, security_components
from portal.security import (
    CsrfProtection,
    security_headers_middleware,
    static_files_middleware,
)
from portal.settings import Settings, load_settings
from portal.templating import ASSETS_DIR, STATIC_DIR, template_config


@get("/health", media_type=MediaType.JSON, include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for these settings; the database engine comes from the same settings."""
    settings = settings or load_settings()
    from portal.db import close_database, open_database
    from portal.exports.pdf import PdfRenderer
    from portal.live import events as live
    from portal.notifications.service import deliver_after_response
    from portal.piccolo_conf import DB
    from portal.routes.api.comments import COMMENT_CONTROLLERS
    from portal.routes.api.exports import EXPORT_CONTROLLERS
    from portal.routes.api.live import LiveController
    from portal.routes.api.notifications import NotificationController
    from portal.routes.api.organisations import OrganisationController
    from portal.routes.api.plans import API_CONTROLLERS
    from portal.routes.api.session import SessionController
    from portal.routes.api.sharing import SHARING_CONTROLLERS
    from portal.routes.api.signoff import SIGNOFF_CONTROLLERS
    from portal.routes.db_retry import RetryReadsOnLostConnection
    from portal.routes.pages import PAGE_ROUTES

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redact_access_log()
        await open_database(DB, settings)
        live.use(channels)
        try:
            yield
        finally:
            live.use(None)
            app.state.pdf_renderer.close()
            await close_database(DB)

    from portal.routes.error_pages import pages_or
    from portal.routes.refused_input import logs_refused_input
    from portal.routes.request_guard import RequestGuard

    # Under /api/ problems are problem+json; on pages the same problems are HTML pages.
    exception_handlers: dict[Any, Any] = {
        DomainError: pages_or(handle_problem),
        ValidationException: logs_refused_input(pages_or(handle_validation)),
        HTTPException: pages_or(handle_http),
        # A refused CSRF token (403) is explained like any other (problems.py, error_pages.py).
        PermissionDeniedException: pages_or(handle_http),
    }
    if not settings.debug:
        exception_handlers[Exception] = pages_or(handle_server_error)

    channels = live.channels_plugin(settings)
    csrf = CsrfProtection(settings)
    route_handlers: list[Any] = [
        health,
        SessionController,
        OrganisationController,
        NotificationController,
        *API_CONTROLLERS,
        *SHARING_CONTROLLERS,
        *SIGNOFF_CONTROLLERS,
        *COMMENT_CONTROLLERS,
        *EXPORT_CONTROLLERS,
        LiveController,
        *PAGE_ROUTES,
        # Kept by browsers but asked about on each use (ETag, Last-Modified: a 304 most
        # times), so a new build is seen at once; text goes gzipped (see security.py).
        create_static_files_router(
            path="/static",
            directories=[STATIC_DIR],
            name="static",
            cache_control=CacheControlHeader(no_cache=True),
            middleware=[static_files_middleware],
        ),
        create_static_files_router(
            path="/assets",
            directories=[ASSETS_DIR],
            name="assets",
            cache_control=CacheControlHeader(no_cache=True),
            middleware=[static_files_middleware],
        ),
    ]
    app = Litestar(
        route_handlers=route_handlers,
        lifespan=[lifespan],
        # Bad text, JSON that is too deep, not UTF-8 or repeats a key, and wrong types: refused.
        # A lost database connection: reads are made once more, writes answer 503.
        plugins=[channels, RequestGuard(), RetryReadsOnLostConnection()],
        exception_handlers=exception_handlers,
        # Every POST, PUT, PATCH and DELETE needs the token bound to the session, the API
        # sign-in included (no login CSRF): a client GETs /api/v1/session/csrf first.
        middleware=[security_headers_middleware, csrf.middleware],
        guards=[csrf.guard],
        # Emails about decisions go once the response that made them has been sent.
        after_response=deliver_after_response,
        template_config=template_config(),
        openapi_config=OpenAPIConfig(
            title="Plan portal API",
            version="1",
            path="/api/v1/schema",
            render_plugins=[ScalarRenderPlugin()],
            description=API_DESCRIPTION,
            # The session cookie and the CSRF header; each operation says which it needs
            # (portal/routes/api/openapi.py).
            components=security_components(settings.session_cookie_name),
            # A handler's docstring is its description: what it does, and when it refuses.
            use_handler_docstrings=True,
        ),
        request_max_body_size=settings.max_body_bytes,
        debug=settings.debug,
    )
    app.state.settings = settings
    app.state.csrf = csrf
    # PDF exports are made in worker processes, started when the first one is asked for.
    app.state.pdf_renderer = PdfRenderer(settings.pdf_workers, settings.pdf_timeout_seconds)
    return app
