"""The async engine, sessions, and the few database-specific switches (SQLite vs PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import from_json
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from app.core.config import Settings

# Something to run inside the transaction, just before it commits, given the unit of work's result.
CommitHook = Callable[[AsyncSession, object], Awaitable[None]]
_HOOKS = "jobpath_commit_hooks"


def _sqlite_setup(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA foreign_keys=ON",
            "PRAGMA journal_mode=WAL",
            "PRAGMA busy_timeout=10000",
            "PRAGMA synchronous=NORMAL",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # a read-only session: each statement on its own, no write lock taken
        # IMMEDIATE takes the write lock up front: a read-then-write transaction (capacity
        # checks, the audit chain) then waits its turn instead of failing with SQLITE_BUSY.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    url = url or settings.database_url
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            hide_parameters=True,
            json_deserializer=from_json,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_seconds,
            connect_args={"timeout": 10},
        )
        _sqlite_setup(engine)
        return engine
    return create_async_engine(
        url,
        # Parameters (password hashes, ID numbers) never go into logged database errors.
        hide_parameters=True,
        # JSON columns (skills, wishes …) parsed by pydantic's Rust parser: a list page
        # decodes three arrays per row.
        json_deserializer=from_json,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # Off by default: a ping is a round trip per request. After the database restarts,
        # the first statement on a dead connection fails (503), which invalidates the pool,
        # and the next request reconnects.
        pool_pre_ping=settings.db_pool_pre_ping,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": settings.db_statement_timeout_ms / 1000 + 5,
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "idle_in_transaction_session_timeout": str(
                    settings.db_idle_in_transaction_timeout_ms
                ),
                "application_name": "jobpath",
                # asyncpg prepares every statement; after five runs PostgreSQL may switch to a
                # generic plan that ignores the parameters' selectivity (a year's date range,
                # a region subtree) and turns a 1 s aggregate into a timeout. Plan each time.
                "plan_cache_mode": "force_custom_plan",
            },
        },
    )


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # Reads: autocommit (no BEGIN/ROLLBACK round trips), on the replica when one is set.
    read_engine: AsyncEngine
    read_sessionmaker: async_sessionmaker[AsyncSession]
    # At most this many requests hold a connection at once, admitted in arrival order.
    capacity: int = 20
    admission_timeout_seconds: float = 3.0
    _gate: asyncio.Semaphore | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        engine = create_engine(settings)
        replica = (
            create_engine(settings, settings.read_database_url)
            if settings.read_database_url else engine
        )  # fmt: skip
        reads = replica.execution_options(isolation_level="AUTOCOMMIT")
        return cls(
            engine,
            async_sessionmaker(engine, expire_on_commit=False),
            replica,
            async_sessionmaker(reads, expire_on_commit=False),
            capacity=settings.db_pool_size + settings.db_max_overflow,
            admission_timeout_seconds=settings.db_pool_timeout_seconds,
        )

    @contextlib.asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """A turn at one of the pool's connections, in arrival order.

        The pool alone is not fair: a connection given back is taken by whichever request asks
        next, even while others have waited for one, and a waiter that lost the race queues
        again at the back — under 256 clients some waited seconds while most waited
        milliseconds. This queue (asyncio's semaphore serves its waiters in order) lets no
        more requests at the pool than it has connections; one that waits longer than the
        pool's own timeout gets the same answer as a pool timeout: 503 with Retry-After.
        """
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.capacity)
        try:
            async with asyncio.timeout(self.admission_timeout_seconds):
                await self._gate.acquire()
        except TimeoutError:
            raise sa_exc.TimeoutError("no database connection became free in time") from None
        try:
            yield
        finally:
            self._gate.release()

    def streaming_session(self) -> AsyncSession:
        """A session for reading a large result through a server-side cursor (exports): on
        the replica, in a transaction on PostgreSQL (a cursor needs one), in autocommit on
        SQLite (where a transaction would hold the write lock for the whole export)."""
        if self.is_postgres:
            return AsyncSession(self.read_engine, expire_on_commit=False)
        return self.read_sessionmaker()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def add_commit_hook(session: AsyncSession, hook: CommitHook) -> None:
    session.info.setdefault(_HOOKS, []).append(hook)


async def commit(session: AsyncSession, *, result: object = None) -> None:
    """Commit the unit of work. ``result`` is what the caller answers with; hooks registered for
    this request (the idempotency record) store it inside the same transaction."""
    for hook in session.info.pop(_HOOKS, []):
        await hook(session, result)
    await session.commit()


async def insert_ignore(session: AsyncSession, table: Any, values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, in the dialect of the session's database."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        await session.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        await session.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())
