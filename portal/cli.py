"""The `portal` command: serve, migrate, demo, accounts, organisations, staff roles, audit."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sqlite3
import sys
import traceback
import uuid
import warnings
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:
    from portal.settings import Settings

# These make the database when there is none (SQLite: the file and its folder); every other
# command needs one that is there, and says so in one line when it is not.
CREATES_DATABASE = frozenset({"serve", "migrate", "demo"})
# Exit status when the command could not run at all (bad settings, no database to use).
CANNOT_RUN = 2


def _run(work: Coroutine[Any, Any, None]) -> None:
    """Run async work, then close the database so no pooled connection keeps the process alive."""
    from portal.db import close_database
    from portal.piccolo_conf import DB

    async def run() -> None:
        try:
            await work
        finally:
            await close_database(DB)

    asyncio.run(run())


async def _database_answers() -> None:
    from portal.piccolo_conf import DB

    await DB.run_ddl("SELECT 1")


def _migrate(args: argparse.Namespace) -> int:
    from portal.migrations import migrate

    print("Bringing the database up to date…", flush=True)
    _run(migrate(quiet=False))
    print("Database is up to date.", flush=True)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from portal.demo import load_demo
    from portal.migrations import migrate

    async def run() -> None:
        await migrate(quiet=True)
        await load_demo(progress=lambda message: print(message, flush=True))

    _run(run())
    return 0


def _users_create(args: argparse.Namespace) -> int:
    from portal.accounts.service import create_user
    from portal.core.errors import DomainError
    from portal.migrations import migrate

    password = args.password
    if password is None:
        password = getpass.getpass("Password (at least 10 characters): ")
        if password != getpass.getpass("Password again: "):
            print("The passwords are not the same. Nothing was created.", file=sys.stderr)
            return 2
    name = args.name or args.email.split("@")[0]

    async def run() -> None:
        await migrate(quiet=True)
        user = await create_user(args.email, password, name)
        print(f"Created account {user.email} ({user.id}).")

    try:
        _run(run())
    except DomainError as problem:
        print(f"{problem.title}: {problem.detail}", file=sys.stderr)
        return 2
    return 0


def _organisation_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not an organisation id; use the id printed by "
            "'portal organisations create'"
        ) from None


def _organisations_create(args: argparse.Namespace) -> int:
    from portal.accounts.organisations import create_organisation
    from portal.core.errors import DomainError
    from portal.migrations import migrate

    async def run() -> None:
        await migrate(quiet=True)
        organisation_id = await create_organisation(args.name, args.kind, args.admin_email)
        # Only the id on standard output, so a script can keep it: ORG=$(portal organisations …)
        print(organisation_id)
        admin = f", with {args.admin_email} as its admin" if args.admin_email else ""
        print(f"Created organisation {args.name.strip()} ({args.kind}){admin}.", file=sys.stderr)

    try:
        _run(run())
    except DomainError as problem:
        print(f"{problem.title}: {problem.detail}", file=sys.stderr)
        return 2
    return 0


def _staff_add(args: argparse.Namespace) -> int:
    from portal.accounts.organisations import add_role_as_operator
    from portal.core.errors import DomainError
    from portal.core.money import format_pounds
    from portal.migrations import migrate

    async def run() -> None:
        await migrate(quiet=True)
        role = await add_role_as_operator(
            args.organisation, args.email, args.role, args.spending_limit_pence
        )
        limit = ""
        if role.spending_limit_pence is not None:
            limit = f", spending limit {format_pounds(role.spending_limit_pence)} a year"
        print(f"{role.name} ({role.email}) is now {role.role_label.lower()}{limit} ({role.id}).")

    try:
        _run(run())
    except DomainError as problem:
        print(f"{problem.title}: {problem.detail}", file=sys.stderr)
        return 2
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    """Check the whole audit trail; non-zero, naming the first bad entry, when it is broken."""
    from portal.audit.trail import ChainReport, verify

    found: list[ChainReport] = []

    async def run() -> None:
        found.append(await verify())

    _run(run())
    report = found[0]
    if report.ok:
        print(f"Audit trail intact: {report.entries} entries checked.")
        return 0
    print(
        f"Audit trail broken at entry {report.first_bad_seq} (id {report.first_bad_id}): "
        f"{report.problem}. The {report.entries} entries before it are intact.",
        file=sys.stderr,
    )
    return 1


def _notifications_send(args: argparse.Namespace) -> int:
    """Send the emails that could not be sent when they were made (run it from cron)."""
    from portal.notifications.service import deliver_pending
    from portal.settings import load_settings

    settings = load_settings()
    # First whether there is a database to send from, with or without an SMTP server.
    _run(_database_answers())
    if not settings.sends_email:
        print("No SMTP server is configured (PORTAL_SMTP_HOST): nothing to send.")
        return 0
    sent: list[int] = []

    async def run() -> None:
        sent.append(await deliver_pending(settings, limit=args.limit))

    _run(run())
    print(f"Sent {sent[0]} email{'s' if sent[0] != 1 else ''}.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from portal.migrations import migrate
    from portal.settings import SettingsError, load_settings, secret_key_for

    try:
        # Now, once: with SQLite this makes var/secret_key before any worker needs it.
        settings = load_settings()
        secret_key_for(settings)
    except SettingsError as exc:
        print(f"The portal cannot start: {exc}", file=sys.stderr)
        return 2
    if args.workers > 1 and not settings.redis_url:
        print(
            "Note: without PORTAL_REDIS_URL, live updates reach only the readers served by the "
            "same worker as the change; set it to share them between workers.",
            file=sys.stderr,
        )
    _run(migrate(quiet=True))
    print(f"Plan portal: open http://{args.host}:{args.port}/ (Ctrl+C stops it)", flush=True)
    uvicorn.run(
        "portal.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        # Access logs hold URLs only, which carry ids and never plan content.
        access_log=True,
        proxy_headers=False,
        # uvicorn's httptools protocol plus a header size limit (431) and a header read timeout
        # (slow senders are dropped); see portal/server.py and the README's design notes.
        http="portal.server:GuardedHttpToolsProtocol",
        # In-flight requests get this long to finish at a stop; then connections are closed.
        timeout_graceful_shutdown=10,
        # Idle keep-alive connections stay open longer than a proxy's or a client's own idle
        # timeout (60 s is usual for load balancers, 5 s for httpx and browsers keep theirs
        # shorter still). With uvicorn's 5 s a client could send a request on a connection the
        # server was closing at that instant, and get "disconnected without a response".
        timeout_keep_alive=75,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portal",
        description="The plan portal.",
        epilog=(
            "serve, migrate and demo make the database when there is none (SQLite: the file and "
            "its folder; PostgreSQL: the tables, in a database that must exist). Every other "
            "command needs a database that is there, and exits 2 with one line saying so when "
            "it is missing or cannot be reached."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_serve)

    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=_migrate
    )
    commands.add_parser(
        "demo", help="add the demo people, organisations and plans (safe to repeat)"
    ).set_defaults(func=_demo)

    users = commands.add_parser("users", help="manage sign-in accounts")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    create = user_commands.add_parser("create", help="create a local account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="prompted for when not given")
    create.add_argument("--name", help="the name shown in the portal")
    create.set_defaults(func=_users_create)

    from portal.accounts.schemas import OrganisationKind
    from portal.core.actor import Role

    organisations = commands.add_parser("organisations", help="manage organisations")
    organisation_commands = organisations.add_subparsers(
        dest="organisations_command", required=True
    )
    org_create = organisation_commands.add_parser(
        "create", help="create an organisation and print its id"
    )
    org_create.add_argument("--name", required=True)
    org_create.add_argument("--kind", required=True, choices=[k.value for k in OrganisationKind])
    org_create.add_argument("--admin-email", help="an existing account to make its first admin")
    org_create.set_defaults(func=_organisations_create)

    staff = commands.add_parser("staff", help="manage the roles staff hold in organisations")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    staff_add = staff_commands.add_parser("add", help="give a role to an existing account")
    staff_add.add_argument("--organisation", required=True, type=_organisation_id)
    staff_add.add_argument("--email", required=True)
    staff_add.add_argument("--role", required=True, choices=[r.value for r in Role])
    staff_add.add_argument(
        "--spending-limit-pence",
        type=int,
        help="for a budget authoriser: the largest annual cost they may approve, in pence",
    )
    staff_add.set_defaults(func=_staff_add)
    _add_audit(commands)
    _add_notifications(commands)
    return parser


def _add_notifications(commands: Any) -> None:
    notifications = commands.add_parser("notifications", help="what people are told")
    notification_commands = notifications.add_subparsers(
        dest="notifications_command", required=True
    )
    send = notification_commands.add_parser(
        "send", help="send the emails not sent yet (unread, at most 3 days old)"
    )
    send.add_argument("--limit", type=int, default=100)
    send.set_defaults(func=_notifications_send)


def _add_audit(commands: Any) -> None:
    audit = commands.add_parser("audit", help="the audit trail of sign-off decisions")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser(
        "verify", help="check that no entry was changed, removed or slipped in"
    ).set_defaults(func=_audit_verify)


def _where(settings: Settings) -> str:
    """The database as a person would name it, without a password."""
    if not settings.uses_postgres:
        return str(Path(settings.sqlite_path).resolve())
    url = urlparse(settings.database_url)
    user = f"{url.username}@" if url.username else ""
    return f"postgresql://{user}{url.hostname or '127.0.0.1'}:{url.port or 5432}{url.path}"


def _no_database(settings: Settings, command: str) -> str | None:
    """Why this command cannot run here, checked before anything opens (or makes) a database."""
    if settings.uses_postgres:
        return None  # a server: whether it answers is known only by asking (see _database_failure)
    path = Path(settings.sqlite_path)
    if command in CREATES_DATABASE:
        path.parent.mkdir(parents=True, exist_ok=True)
        return None
    if path.is_file():
        return None
    return (
        f"No database at {_where(settings)}: run 'portal migrate' to make one there, "
        "or set PORTAL_SQLITE_PATH or PORTAL_DATABASE_URL to the one to use."
    )


def _from_asyncpg(exc: BaseException) -> bool:
    return any(
        "asyncpg" in frame.f_code.co_filename for frame, _ in traceback.walk_tb(exc.__traceback__)
    )


def _database_failure(exc: BaseException, settings: Settings) -> str | None:
    """One line for a database that cannot be reached or is not set up; None for anything else."""
    import asyncpg

    where = _where(settings)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, asyncpg.InvalidCatalogNameError | asyncpg.InvalidPasswordError):
            return f"Cannot use the database at {where}: {current}."
        if isinstance(current, asyncpg.InvalidAuthorizationSpecificationError):
            return f"Cannot use the database at {where}: {current}."
        if isinstance(current, asyncpg.CannotConnectNowError | asyncpg.PostgresConnectionError):
            return f"Cannot reach the database at {where}: {current}."
        if isinstance(current, OSError) and _from_asyncpg(current):
            reason = current.strerror or str(current) or type(current).__name__
            return f"Cannot reach the database at {where}: {reason}."
        if isinstance(current, asyncpg.UndefinedTableError) or (
            isinstance(current, sqlite3.OperationalError) and "no such table" in str(current)
        ):
            return f"The database at {where} is not set up: run 'portal migrate' first."
        if isinstance(current, sqlite3.OperationalError):
            return f"Cannot use the database at {where}: {current}."
        current = current.__cause__ or current.__context__
    return None


def main(argv: Sequence[str] | None = None) -> int:
    from portal.settings import SettingsError, load_settings

    args = build_parser().parse_args(argv)
    # Piccolo warns in colour before the error reaches us; the one line below says it instead.
    warnings.filterwarnings(
        "ignore", message=r".*Unable to (connect to database|fetch server version)"
    )
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"The portal cannot start: {exc}", file=sys.stderr)
        return CANNOT_RUN
    missing = _no_database(settings, args.command)
    if missing:
        print(missing, file=sys.stderr)
        return CANNOT_RUN
    try:
        result: int = args.func(args)
    except Exception as exc:
        failure = _database_failure(exc, settings)
        if failure is None:
            raise
        print(failure, file=sys.stderr)
        return CANNOT_RUN
    return result


if __name__ == "__main__":
    raise SystemExit(main())
