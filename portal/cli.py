"""The `portal` command: serve, migrate, demo and user accounts, from any directory."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Coroutine, Sequence
from typing import Any


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
    from portal.migrations import migrate
    from portal.problems import Problem

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
    except Problem as problem:
        print(f"{problem.title}: {problem.detail}", file=sys.stderr)
        return 2
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from portal.migrations import migrate

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
        # In-flight requests get this long to finish at a stop; then connections are closed.
        timeout_graceful_shutdown=10,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="The plan portal.")
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
        "demo", help="add a demo person with a half-finished plan (safe to repeat)"
    ).set_defaults(func=_demo)

    users = commands.add_parser("users", help="manage sign-in accounts")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    create = user_commands.add_parser("create", help="create a local account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="prompted for when not given")
    create.add_argument("--name", help="the name shown in the portal")
    create.set_defaults(func=_users_create)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
