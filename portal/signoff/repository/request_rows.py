"""Requests for a review, and how they are answered."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec

from portal.core.values import as_uuid, aware
from portal.plans.tables import Plan
from portal.signoff import schemas as signoff_schemas
from portal.signoff.repository.columns import uuid_or_none
from portal.signoff.tables import ReviewRequest


def _request(row: dict[str, Any]) -> signoff_schemas.ReviewRequestRead:
    return signoff_schemas.ReviewRequestRead(
        id=as_uuid(row["id"]),
        plan_id=as_uuid(row["plan"]),
        requested_by=row["requester_name"],
        role=row["requester_role"],
        reason=row["reason"],
        early=bool(row["early"]),
        requested_at=aware(row["requested_at"]),
        status=row["status"],
        decided_at=aware(row["decided_at"]),
        decision_reason=row["decision_reason"],
        package_change_id=uuid_or_none(row["package_change"]),
    )


class NewRequest(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    plan: uuid.UUID
    requested_by: uuid.UUID
    requester_name: str
    requester_role: str
    reason: str
    early: bool
    requested_at: dt.datetime
    package_change: uuid.UUID | None


async def insert_request(request: NewRequest) -> None:
    await ReviewRequest.insert(ReviewRequest(**msgspec.structs.asdict(request), status="open"))


async def get_request(request_id: uuid.UUID) -> signoff_schemas.ReviewRequestRead:
    rows = await ReviewRequest.raw('SELECT * FROM "review_request" WHERE "id" = {}', request_id)
    return _request(dict(rows[0]))


async def list_requests(plan_id: uuid.UUID) -> list[signoff_schemas.ReviewRequestRead]:
    rows = await ReviewRequest.raw(
        'SELECT * FROM "review_request" WHERE "plan" = {} ORDER BY "requested_at" DESC', plan_id
    )
    return [_request(dict(row)) for row in rows]


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """How an open request or change was closed: its new status, by whom, when and why."""

    status: str
    by: uuid.UUID
    at: dt.datetime
    reason: str


async def close_all_open(
    table: Literal["review_request", "package_change"], plan_id: uuid.UUID, answer: Answer
) -> list[uuid.UUID]:
    """Close every open review request (or package change) of the plan; the ones closed."""
    closed = await Plan.raw(
        f'UPDATE "{table}" SET "status" = {{}}, "decided_by" = {{}}, "decided_at" = {{}},'  # noqa: S608
        ' "decision_reason" = {} WHERE "plan" = {} AND "status" = {} RETURNING "id"',
        answer.status,
        answer.by,
        answer.at,
        answer.reason,
        plan_id,
        "open",
    )
    return [as_uuid(row["id"]) for row in closed]


async def answer_open_requests(plan_id: uuid.UUID, answer: Answer) -> list[uuid.UUID]:
    """Close every open review request of the plan; the ones closed."""
    return await close_all_open("review_request", plan_id, answer)


async def answer_request(plan_id: uuid.UUID, request_id: uuid.UUID, answer: Answer) -> bool:
    """Compare-and-set: close the request if it is still open."""
    closed = await ReviewRequest.raw(
        'UPDATE "review_request" SET "status" = {}, "decided_by" = {}, "decided_at" = {},'
        ' "decision_reason" = {} WHERE "id" = {} AND "plan" = {} AND "status" = {}'
        ' RETURNING "id"',
        answer.status,
        answer.by,
        answer.at,
        answer.reason,
        request_id,
        plan_id,
        "open",
    )
    return bool(closed)
