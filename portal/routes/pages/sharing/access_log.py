"""Who has looked at a plan: the access log, for whoever may choose who sees the plan."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.consent import access as consent_access
from portal.consent.policy import Permission
from portal.core.actor import Actor
from portal.routes.pages.common import plan_page, plan_url
from portal.routes.pages.sharing.common import page
from portal.routes.pages.sharing.words import section_titles


class AccessEventView(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the access log: when, who, what they did, and to which sections."""

    at: dt.datetime
    who: str
    what: str
    sections: list[str]


@get("/plans/{plan_id:uuid}/access-log", name="access-log")
async def access_log(actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID]) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_ACCESS_LOG)
    events = await consent_access.read_access_log(actor, plan.id)
    return page(
        "sharing/access_log.html",
        actor,
        plan,
        events=[
            AccessEventView(
                at=event.at,
                who=event.who,
                what=event.description,
                sections=section_titles(event.sections),
            )
            for event in events
        ],
        back_href=plan_url(plan.id),
        back_text="Plan overview",
    )


ACCESS_LOG_ROUTES = [access_log]
