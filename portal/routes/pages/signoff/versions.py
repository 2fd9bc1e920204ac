"""A plan's versions: one version as it was submitted, and what changed since another."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from portal.bounds import INT4_MAX, VersionInPath
from portal.consent.policy import Permission
from portal.core.actor import Actor
from portal.exports.document import content_view, money_of
from portal.plans.wording import field_label
from portal.routes.pages.common import plan_page, plan_url
from portal.routes.pages.signoff.views import person_page, version_view
from portal.signoff import version_history

CompareWith = Annotated[int | None, QueryParameter(name="with", ge=0, le=INT4_MAX)]
# The plan's lists, as the comparison names them, in words.
_LIST_WORDS = {
    "outcomes": "Outcomes",
    "support_items": "Support and what it costs",
    "actions": "Actions",
    "contacts": "Contacts",
}


class SectionChange(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a section changed between two versions, and which of its fields."""

    key: str
    title: str
    changed: bool
    fields: list[str]


@get("/plans/{plan_id:uuid}/versions/{number:int}", name="version")
async def version_page(
    actor: NamedDependency[Actor], plan_id: FromPath[uuid.UUID], number: VersionInPath
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    read = await version_history.read_version(actor, plan_id, number)
    return person_page(
        "signoff/version.html",
        actor,
        plan,
        version=version_view(read.version, plan.id),
        sections=content_view(read.content),
        money=money_of(read.content),
        back_href=plan_url(plan.id, "sign-off"),
        back_text="Sign-off",
    )


@get("/plans/{plan_id:uuid}/versions/{number:int}/compare", name="version-compare")
async def compare_page(
    actor: NamedDependency[Actor],
    plan_id: FromPath[uuid.UUID],
    number: VersionInPath,
    compare_with: CompareWith = None,
) -> Response[Any]:
    plan = await plan_page(actor, plan_id, Permission.PLAN_VIEW)
    comparison = await version_history.compare_version(actor, plan_id, number, compare_with)
    return person_page(
        "signoff/compare.html",
        actor,
        plan,
        comparison=comparison,
        against=(
            "the plan as it is now"
            if comparison.compared_with == "current"
            else f"version {comparison.compared_with}"
        ),
        sections=[
            SectionChange(
                key=s.section,
                title=s.title,
                changed=s.changed,
                fields=[field_label(s.section, name) for name in s.changed_fields],
            )
            for s in comparison.sections
        ],
        lists_changed=[_LIST_WORDS.get(name, name) for name in comparison.lists_changed],
        version_url=plan_url(plan.id, "versions", str(number)),
        back_href=plan_url(plan.id, "sign-off"),
        back_text="Sign-off",
    )


VERSION_ROUTES = [version_page, compare_page]
