"""Server-rendered pages (NHS.UK frontend); every journey works without JavaScript."""

from typing import Any

from litestar import Router
from litestar.di import Provide

from portal.routes.error_pages import redirect_to_sign_in
from portal.routes.pages.app_shell import APP_SHELL_ROUTES
from portal.routes.pages.auth import AUTH_ROUTES
from portal.routes.pages.common import SignInRedirect, page_actor
from portal.routes.pages.exports import EXPORT_ROUTES
from portal.routes.pages.invitations import INVITATION_ROUTES
from portal.routes.pages.notifications import NOTIFICATION_ROUTES
from portal.routes.pages.oidc import OIDC_ROUTES
from portal.routes.pages.organisations import ORGANISATION_ROUTES
from portal.routes.pages.plans import PLAN_ROUTES
from portal.routes.pages.rows import ROW_ROUTES
from portal.routes.pages.sections import SECTION_ROUTES
from portal.routes.pages.sharing import SHARING_ROUTES
from portal.routes.pages.signoff import SIGNOFF_ROUTES

# Pages that need someone signed in get the actor from `page_actor`, which sends anyone
# else to the sign-in page (and back here afterwards).
_signed_in = Router(
    path="/",
    route_handlers=[
        *PLAN_ROUTES,
        *SECTION_ROUTES,
        *ROW_ROUTES,
        *ORGANISATION_ROUTES,
        *SHARING_ROUTES,
        *SIGNOFF_ROUTES,
        *NOTIFICATION_ROUTES,
        *EXPORT_ROUTES,
    ],
    dependencies={"actor": Provide(page_actor)},
    exception_handlers={SignInRedirect: redirect_to_sign_in},
    include_in_schema=False,
)
# An invitation link is its own credential: its pages work signed in or not. The app shell
# (service worker, manifest, offline page) is fetched by the browser for nobody in particular.
_public = Router(
    path="/",
    route_handlers=[*AUTH_ROUTES, *OIDC_ROUTES, *INVITATION_ROUTES, *APP_SHELL_ROUTES],
    include_in_schema=False,
)

PAGE_ROUTES: list[Any] = [_public, _signed_in]
