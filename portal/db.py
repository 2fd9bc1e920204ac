"""Database engines: SQLite with reused connections for the embedded default, PostgreSQL by URL."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote, urlparse

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from portal.settings import Settings

__all__ = [
    "TransactionType",
    "close_database",
    "make_engine",
    "open_database",
    "replace_pooled_connections",
]


class _PooledConnection:
    """An aiosqlite connection whose close() hands it back to the pool instead of closing it."""

    def __init__(self, engine: PooledSQLiteEngine, connection: aiosqlite.Connection) -> None:
        object.__setattr__(self, "_engine", engine)
        object.__setattr__(self, "_connection", connection)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._connection, name, value)

    async def close(self) -> None:
        await self._engine.release(self._connection)


class _QueuedTransaction(SQLiteTransaction):
    """A write transaction that waits its turn in Python before taking a connection.

    SQLite has one writer at a time. Without the queue, a waiting writer holds a pooled
    connection while it sleeps in SQLite's busy handler (up to 100 ms a nap), and readers
    queue behind it for connections: that was the long tail of section writes.
    """

    _holds_turn = False

    async def __aenter__(self) -> SQLiteTransaction:
        engine = self.engine
        if self._parent is None and isinstance(engine, PooledSQLiteEngine):
            await engine.writer_turn().acquire()
            self._holds_turn = True
        try:
            return await super().__aenter__()
        except BaseException:
            self._release_turn()
            raise

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        try:
            return await super().__aexit__(exception_type, exception, traceback)
        finally:
            self._release_turn()

    def _release_turn(self) -> None:
        if self._holds_turn:
            self._holds_turn = False
            engine = self.engine
            assert isinstance(engine, PooledSQLiteEngine)
            engine.writer_turn().release()


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine opens a connection (and a thread) per query; this keeps a few open.

    Measured on a 12-section read it is the difference between hundreds and thousands of
    requests a second (CONVENTIONS pitfall 11).
    """

    def __init__(self, path: str, pool_size: int = 4, **kwargs: Any) -> None:
        super().__init__(path=path, timeout=30.0, **kwargs)
        self._pool_size = pool_size
        self._idle: list[aiosqlite.Connection] = []
        self._open = 0
        self._available: asyncio.Semaphore | None = None
        self._writer_turn: asyncio.Lock | None = None

    def writer_turn(self) -> asyncio.Lock:
        if self._writer_turn is None:
            self._writer_turn = asyncio.Lock()
        return self._writer_turn

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        if transaction_type is TransactionType.immediate:
            return _QueuedTransaction(
                engine=self, transaction_type=transaction_type, allow_nested=allow_nested
            )
        return super().transaction(transaction_type=transaction_type, allow_nested=allow_nested)

    def _semaphore(self) -> asyncio.Semaphore:
        if self._available is None:
            self._available = asyncio.Semaphore(self._pool_size)
        return self._available

    async def _connect(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        # WAL lets readers go on while one writer writes; it persists in the file, so on every
        # connection after the first this only reads the mode back.
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA synchronous = NORMAL")
        await connection.execute("PRAGMA busy_timeout = 30000")
        return connection

    async def acquire(self) -> aiosqlite.Connection:
        await self._semaphore().acquire()
        try:
            if self._idle:
                return self._idle.pop()
            self._open += 1
            return await self._connect()
        except BaseException:
            self._semaphore().release()
            raise

    async def release(self, connection: aiosqlite.Connection) -> None:
        if connection.in_transaction:
            # A connection left mid-transaction must never be handed to someone else.
            await connection.rollback()
        self._idle.append(connection)
        self._semaphore().release()

    async def get_connection(self) -> Any:
        return _PooledConnection(self, await self.acquire())

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        connection = await self.acquire()
        try:
            async with connection.execute(query, args or []) as cursor:
                return await cursor.fetchall()
        finally:
            await self.release(connection)

    async def close_pool(self) -> None:
        while self._idle:
            await self._idle.pop().close()
        self._open = 0
        self._available = None
        self._writer_turn = None


def make_engine(settings: Settings) -> Engine[Any]:
    """The engine the settings ask for; Piccolo binds tables to it when they are imported."""
    if settings.uses_postgres:
        url = urlparse(settings.database_url)
        config: dict[str, Any] = {
            "host": url.hostname or "127.0.0.1",
            "port": url.port or 5432,
            "database": (url.path or "/portal").lstrip("/") or "portal",
            "user": unquote(url.username) if url.username else "postgres",
        }
        if url.password:
            config["password"] = unquote(url.password)
        # Seconds to open a connection (asyncpg's own default is 60): an unreachable server is
        # reported in reasonable time, by the CLI and by a starting app alike.
        config["timeout"] = 10
        return PostgresEngine(config=config)
    # Nothing is made here: importing the tables must not leave an empty database behind.
    # `portal migrate`, `demo` and `serve` make the folder; SQLite makes the file at first use.
    return PooledSQLiteEngine(path=settings.sqlite_path, pool_size=settings.sqlite_pool_size)


async def open_database(engine: Engine[Any], settings: Settings) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(max_size=settings.postgres_pool_max)


async def close_database(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        if engine.pool is not None:
            await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


async def replace_pooled_connections(engine: Engine[Any]) -> None:
    """After a lost connection: asyncpg replaces every pooled connection at its next acquire.

    A failover or a restart ends them all, and a dead one is noticed only when used; those in
    use are replaced when they come back to the pool.
    """
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.pool.expire_connections()


def write_transaction(engine: Engine[Any]) -> Any:
    """A write transaction; on SQLite IMMEDIATE, so writers queue instead of failing mid-way."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()
