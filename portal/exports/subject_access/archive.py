"""The download itself: its files in order, the plain-English index that comes first, and the
zip they are written into.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import textwrap
import zipfile
from typing import Any

import msgspec

from portal.consent import access as consent_access
from portal.consent import access_log
from portal.consent import tables as consent_tables
from portal.consent.policy import PlanAccessFacts
from portal.core.actor import Actor
from portal.core.clock import ENGLAND
from portal.core.clock import now as utc_now
from portal.core.values import as_uuid
from portal.db import write_transaction
from portal.exports.subject_access import person, plans
from portal.exports.subject_access.records import (
    AccessLogFile,
    CommentsFile,
    PlanFile,
    PlanMetadata,
    ReviewsFile,
    RevisionsFile,
    SharingFile,
    VersionsFile,
)
from portal.plans.reading import snapshot_plan
from portal.templating import uk_datetime

INDEX_NAME = "index.txt"
_ZIP_MODE = 0o644 << 16
_ICO = "the Information Commissioner's Office (ico.org.uk, telephone 0303 123 1113)"


async def _record_exports(
    actor: Actor, exported: list[tuple[dict[str, Any], PlanAccessFacts]]
) -> None:
    """Every export is in the plan's access log, the person's own included."""
    if not exported:
        return
    async with write_transaction(consent_tables.AccessEvent._meta.db):
        for _, facts in exported:
            await access_log.record(
                actor, facts, "export", consent_access.sections_seen_by(actor, facts), always=True
            )


def _json(value: Any) -> bytes:
    """Indented for people to read; the same data always gives the same bytes."""
    encoded = msgspec.json.encode(value, order="deterministic")
    return msgspec.json.format(encoded, indent=2) + b"\n"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _when(moment: dt.datetime) -> str:
    return f"{uk_datetime(moment)} (UK time)"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _wrapped(text: str) -> str:
    return textwrap.fill(text, width=88, initial_indent="  ", subsequent_indent="  ")


def _index(
    actor: Actor,
    made_at: dt.datetime,
    files: list[tuple[str, str, bytes]],
    listed: list[tuple[PlanMetadata, list[tuple[str, str, bytes]]]],
    organisations: list[str],
) -> bytes:
    """The plain-English page that comes first: what each file holds, when, for whom, and how
    to ask for anything else."""
    lines = [
        "YOUR DATA FROM THE PLAN PORTAL",
        "",
        f"Made for: {_one_line(actor.display_name)} ({actor.email})",
        f"Made on: {_when(made_at)}",
        "",
        "This download holds the information the plan portal keeps about you: your account,",
        "the plans that are about you and all their history, who can see them and who has",
        "looked at them, and the messages the portal sent you.",
        "",
        "The files are JSON, a plain-text format that many programs can open; a text editor",
        "will show them. Times are in UTC with the time zone written at the end (Z means UTC;",
        "UK time is the same in winter and one hour ahead in summer). Money is in pence:",
        "12500 means £125.00.",
        "",
        "WHAT EACH FILE HOLDS",
        "",
    ]
    for name, about, _ in [(INDEX_NAME, "This page.", b""), *files]:
        lines += [name, _wrapped(about), ""]
    if listed:
        for plan, plan_files in listed:
            lines += [f'Your plan "{_one_line(plan.title)}" (id {plan.id}):', ""]
            for name, about, _ in plan_files:
                lines += [name, _wrapped(about), ""]
    else:
        lines += [
            "You have no plans in the portal, so there is no plans folder in this download.",
            "",
        ]
    lines += [
        "WHAT IS NOT IN THIS DOWNLOAD, AND WHY",
        "",
        "- Your password and the codes that keep you signed in. The portal keeps only",
        "  scrambled forms of them that cannot be turned back. Leaving them out keeps your",
        "  account safe if this download is lost or shared.",
        "- The links in invitations you sent. Only a scrambled form is kept, for the same",
        "  reason. Who you invited, and what for, is in the plan's sharing.json.",
        "- What is written in other people's plans, even those shared with you. That is",
        "  their information. shared-with-me.json says which plans (by id), which sections",
        "  and what you may do, and when you looked.",
        "- What you wrote in other people's plans (for example comments as a member of",
        "  staff). It is part of the record of the person the plan is about.",
        "- Plans shared with an organisation you work for, rather than with you. They are",
        "  the organisation's to answer for.",
        "- Failed attempts to sign in to your account. They are kept only to slow down",
        "  anyone guessing passwords, and are cleared when you sign in.",
        "",
        "ASKING FOR ANYTHING ELSE",
        "",
        "The council or NHS organisation that signs off your plan may hold other information",
        "about you outside this portal, such as assessments, case notes or letters. You have",
        "the right to a copy of it: ask that organisation for a subject access request. Its",
        "data protection officer handles these, and its website says how to contact them.",
        "It must usually answer within one month.",
    ]
    if organisations:
        lines += ["", "Your plans were sent for sign-off to: " + ", ".join(organisations) + "."]
    lines += [
        "",
        "If you are not happy with how your information is handled, you can complain to",
        f"{_ICO}.",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def _zip(entries: list[tuple[str, bytes]], made_at: dt.datetime) -> bytes:
    """A zip whose entries keep the given order (the index first) and the moment it was made."""
    stamp = made_at.astimezone(ENGLAND)
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = _ZIP_MODE
            archive.writestr(info, data)
    return buffer.getvalue()


def archive_name(made_at: dt.datetime) -> str:
    return f"plan-portal-data-{made_at.astimezone(ENGLAND).date().isoformat()}.zip"


def _plan_files(
    plan: PlanMetadata,
    current: PlanFile,
    versions: VersionsFile,
    revisions: RevisionsFile,
    comments: CommentsFile,
    sharing: SharingFile,
    log: AccessLogFile,
    reviews: ReviewsFile,
) -> list[tuple[str, str, bytes]]:
    """A plan's files: (name in the zip, what it holds in words, the JSON)."""
    base = f"plans/{plan.id}"
    return [
        (
            f"{base}/plan.json",
            "The plan as it is now: every section, outcome, item of support with its cost, "
            "action and contact, and where it is in sign-off.",
            _json(current),
        ),
        (
            f"{base}/versions.json",
            f"{_count(len(versions.versions), 'version')} sent for sign-off: what each said, "
            "its verification code, and who submitted, authorised, agreed or returned it, "
            "and when.",
            _json(versions),
        ),
        (
            f"{base}/revisions.json",
            f"{_count(len(revisions.revisions), 'change')} saved to the plan, oldest first: "
            "what each section or row said after the change, who made it and when.",
            _json(revisions),
        ),
        (
            f"{base}/comments.json",
            f"{_count(len(comments.comments), 'comment')} on the plan, such as why it was "
            "returned, with who wrote each and when.",
            _json(comments),
        ),
        (
            f"{base}/sharing.json",
            f"{_count(len(sharing.grants), 'record')} of who the plan is shared with (each "
            f"change is one), {_count(len(sharing.invitations), 'invitation')} sent, and who is "
            "recorded as speaking for you (on all your plans).",
            _json(sharing),
        ),
        (
            f"{base}/access-log.json",
            f"{_count(len(log.events), 'entry', 'entries')} of who has looked at, changed, "
            "downloaded or shared the plan, and when, oldest first. This download is listed too.",
            _json(log),
        ),
        (
            f"{base}/reviews.json",
            f"{_count(len(reviews.review_requests), 'request')} for a review, "
            f"{_count(len(reviews.package_changes), 'proposed change')} to your support, and "
            f"{_count(len(reviews.decisions), 'sign-off decision')} (decisions on your "
            "outcomes among them).",
            _json(reviews),
        ),
    ]


async def subject_access_archive(actor: Actor) -> tuple[str, bytes]:
    """Everything the portal holds about the signed-in person: the archive's name and bytes."""
    made_at = utc_now()
    own = await plans.own_plans(actor)
    plan_ids = [as_uuid(row["id"]) for row, _ in own]
    account = await person.account(actor, plan_ids)
    contents = {plan_id: await snapshot_plan(plan_id) for plan_id in plan_ids}
    sections = await plans.sections(plan_ids)
    versions = await plans.versions(plan_ids)
    revisions = await plans.revisions(plan_ids)
    comments = await plans.comments(plan_ids)
    grants = await plans.grants(plan_ids, made_at)
    invitations = await plans.invitations(plan_ids, made_at)
    representatives = await plans.representatives(actor.person_id)
    reviews = await plans.reviews(plan_ids)
    notifications = await person.notifications_file(actor)
    shared = await person.shared_with_me(actor, made_at)
    # Written before the log is read, so the download finds itself in it.
    await _record_exports(actor, own)
    logs = await plans.access_logs(actor, plan_ids)

    files: list[tuple[str, str, bytes]] = [
        (
            "account.json",
            "Your account: email address, name, when it was made, how you sign in (password, "
            "or another service you linked), when you last signed in, your sign-in sessions "
            "(times only), any staff roles you hold, and the ids of your plans.",
            _json(account),
        ),
        (
            "notifications.json",
            f"The {_count(len(notifications.notifications), 'message')} the portal sent you, "
            "and when you read each.",
            _json(notifications),
        ),
        (
            "shared-with-me.json",
            f"Plans of other people shared with you ({len(shared.grants)}) and records of you "
            f"speaking for someone ({len(shared.representing)}): which plans (by id), which "
            "sections and what you may do. Also when you looked at or changed those plans. "
            "Nothing of what is written in them.",
            _json(shared),
        ),
    ]
    listed_plans: list[tuple[PlanMetadata, list[tuple[str, str, bytes]]]] = []
    organisations: set[str] = set()
    for row, _ in own:
        plan_id = as_uuid(row["id"])
        metadata = plans.plan_metadata(row)
        listed_plans.append(
            (
                metadata,
                _plan_files(
                    metadata,
                    PlanFile(
                        plan=metadata, sections=sections.get(plan_id, []), content=contents[plan_id]
                    ),
                    VersionsFile(plan_id=plan_id, versions=versions.get(plan_id, [])),
                    RevisionsFile(plan_id=plan_id, revisions=revisions.get(plan_id, [])),
                    CommentsFile(plan_id=plan_id, comments=comments.get(plan_id, [])),
                    SharingFile(
                        plan_id=plan_id,
                        grants=grants.get(plan_id, []),
                        invitations=invitations.get(plan_id, []),
                        representatives=representatives,
                    ),
                    AccessLogFile(plan_id=plan_id, events=logs.get(plan_id, [])),
                    reviews[plan_id],
                ),
            )
        )
        organisations.update(v.organisation.name for v in versions.get(plan_id, []))
    index = _index(actor, made_at, files, listed_plans, sorted(organisations))
    entries = [(INDEX_NAME, index)] + [(name, data) for name, _, data in files]
    for _, plan_files in listed_plans:
        entries += [(name, data) for name, _, data in plan_files]
    archive = await asyncio.to_thread(_zip, entries, made_at)
    return archive_name(made_at), archive
