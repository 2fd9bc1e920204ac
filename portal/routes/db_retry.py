"""A lost database connection is not a 500: reads are made once more, writes answer 503.

PostgreSQL ends every connection at a failover, a restart or `pg_terminate_backend`; asyncpg
then raises on the next use of each pooled connection. Litestar turns an exception into a
response inside the route (an exception handler runs between the handler and the app's
middleware), so the two halves meet through a response header only we set and always remove:

- the exception handlers below answer a lost connection with a 503 problem carrying
  `Retry-After`, marked with that header;
- the middleware, seeing the mark, tells asyncpg's pool to replace every connection it holds
  (a failover ends them all), and for GET and HEAD throws the marked answer away (nothing has
  reached the client yet) and runs the request once more, on a fresh connection. Anything
  else, and a read that fails twice, gets the 503 without the mark.

A write never half-applies: the services make every multi-statement write in one transaction,
which PostgreSQL rolls back when its connection ends before COMMIT.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asyncpg.exceptions import (
    AdminShutdownError,
    CannotConnectNowError,
    InterfaceError,
    InternalClientError,
    PostgresConnectionError,
)
from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.enums import ScopeType
from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send
from litestar.utils.scope.state import CONNECTION_STATE_KEY

from portal.core.errors import Unavailable
from portal.logs import redact_path
from portal.problems import handle_problem, handle_server_error
from portal.routes.error_pages import pages_or

__all__ = ["LOST_CONNECTION_ERRORS", "RetryReadsOnLostConnection"]

logger = logging.getLogger("portal.db")

# 08xxx (connection exceptions, asyncpg's "connection was closed in the middle of operation"
# among them), 57P01 admin shutdown (pg_terminate_backend, a fast shutdown), 57P03 cannot
# connect now (a server starting or in recovery), and the socket's own errors. Seen here too:
# a connection ended while idle in the pool reads the server's FATAL message and is left
# mid-error, so its next use (the pool's own reset at release, as often as not) raises
# InternalClientError "cannot switch to state 15; another operation (2) is in progress".
LOST_CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    PostgresConnectionError,
    AdminShutdownError,
    CannotConnectNowError,
    InterfaceError,
    InternalClientError,
    ConnectionError,
)
_MARK = b"x-portal-lost-database"
_RETRY_AFTER_SECONDS = "2"
_SAFE = {"GET", "HEAD"}


def _is_lost_connection(exc: BaseException) -> bool:
    if isinstance(exc, InterfaceError):
        # Its other meanings (a connection used by two tasks at once) are our bugs, not an outage.
        return "closed" in str(exc)
    if isinstance(exc, InternalClientError):
        return "another operation" in str(exc)
    return isinstance(exc, LOST_CONNECTION_ERRORS)


async def _replace_pooled_connections() -> None:
    from portal.db import replace_pooled_connections
    from portal.piccolo_conf import DB

    await replace_pooled_connections(DB)


def _answer_lost_connection(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if not _is_lost_connection(exc):
        return pages_or(handle_server_error)(request, exc)
    logger.warning(
        "database connection lost on %s %s: %s",
        request.method,
        redact_path(request.url.path),
        type(exc).__name__,
    )
    if request.method in _SAFE:
        detail = (
            f"The connection to the database was lost. Try again in {_RETRY_AFTER_SECONDS} seconds."
        )
    else:
        # Almost always nothing was saved (the transaction ended with the connection), but an
        # answer lost just after COMMIT cannot be told apart: the client should look.
        detail = (
            "The connection to the database was lost while saving. Reload to see whether your "
            f"change was saved, and if not, try again in {_RETRY_AFTER_SECONDS} seconds."
        )
    problem = Unavailable(
        "Service briefly unavailable",
        detail,
        headers={"Retry-After": _RETRY_AFTER_SECONDS},
    )
    response = pages_or(handle_problem)(request, problem)
    response.headers[_MARK.decode()] = "1"
    return response


def _retry_reads(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        if scope["method"] not in _SAFE:
            await app(scope, receive, _unmarked(send, _replace_pooled_connections))
            return
        # The retry starts from the request as it came: Litestar caches what it parsed, and the
        # dependencies it resolved, in the scope's state.
        fresh_state = {
            key: value
            for key, value in dict(scope.get("state", {})).items()
            if key != CONNECTION_STATE_KEY
        }
        retry_scope: Any = {**scope, "state": fresh_state}
        received: list[ReceiveMessage] = []

        async def recording_receive() -> Any:
            message = await receive()
            received.append(message)
            return message

        lost = False

        async def first_send(message: Message) -> None:
            nonlocal lost
            if message["type"] == "http.response.start" and _marked(message):
                lost = True
            if not lost:
                await send(message)

        await app(scope, recording_receive, first_send)
        if not lost:
            return
        await _replace_pooled_connections()
        replay = list(received)

        async def replaying_receive() -> Any:
            return replay.pop(0) if replay else await receive()

        await app(retry_scope, replaying_receive, _unmarked(send, _replace_pooled_connections))

    return middleware


def _marked(message: Message) -> bool:
    headers: Any = message.get("headers", ())
    return any(name == _MARK for name, _ in headers)


def _unmarked(send: Send, on_mark: Callable[[], Awaitable[None]]) -> Send:
    async def send_unmarked(message: Message) -> None:
        if message["type"] == "http.response.start" and _marked(message):
            await on_mark()
            message = {
                **message,
                "headers": [(n, v) for n, v in message["headers"] if n != _MARK],
            }
        await send(message)

    return send_unmarked


class RetryReadsOnLostConnection(InitPluginProtocol):
    """Registers the handlers and the middleware together, so neither runs without the other."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        for error in LOST_CONNECTION_ERRORS:
            app_config.exception_handlers[error] = _answer_lost_connection
        app_config.middleware.append(_retry_reads)
        return app_config
