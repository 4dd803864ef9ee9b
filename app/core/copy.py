"""COPY out: a query's rows as CSV straight from PostgreSQL, for exports of a million rows.

The rows never become Python objects: PostgreSQL formats them and the driver hands over
chunks of CSV, which go out as they come. Personal data must therefore be masked (and values
formatted, and text cells neutralised against formula injection) in the query itself — see
:mod:`app.core.sql` and :mod:`app.core.cells`, whose :func:`~app.core.cells.require_neutral`
refuses a query with a text column left raw. Elsewhere (SQLite) the same query is read in
batches and written by :func:`app.core.cells.csv_text`, so both give the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any

from app.core import cells, reads
from app.core.db import Database
from app.core.reads import AnySelect

BATCH = 2000
_QUEUED_CHUNKS = 8  # back-pressure: COPY waits while a slow client has this much unsent


async def _copy_out(db: Database, stmt: AnySelect) -> AsyncGenerator[bytes, None]:
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=_QUEUED_CHUNKS)
    async with db.admitted(), db.read_engine.connect() as conn:
        sql, arguments = reads.driver_statement(stmt, conn.dialect)
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None

        async def sink(data: bytes | bytearray | memoryview) -> None:
            await chunks.put(bytes(data))  # the driver hands over its own buffer

        async def produce() -> None:
            try:
                await driver.copy_from_query(sql, *arguments, output=sink, format="csv")
            finally:
                await chunks.put(None)

        task = asyncio.create_task(produce())
        try:
            while (chunk := await chunks.get()) is not None:
                yield chunk
            await task  # a failed COPY raises here
        finally:
            if not task.done():
                # The client went away mid-stream: stop the COPY and drop the connection,
                # whose protocol state is no longer known.
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                await conn.invalidate()


async def row_batches(db: Database, stmt: AnySelect) -> AsyncGenerator[Sequence[Any], None]:
    """The rows of ``stmt`` in batches, through a server-side cursor (constant memory)."""
    async with db.admitted(), db.streaming_session() as session:
        result = await session.stream(stmt.execution_options(yield_per=BATCH))
        async for partition in result.partitions(BATCH):
            yield partition


async def _batches(db: Database, stmt: AnySelect) -> AsyncGenerator[bytes, None]:
    async for partition in row_batches(db, stmt):
        yield cells.csv_text(partition).encode()


def csv_rows(db: Database, stmt: AnySelect) -> AsyncIterator[bytes]:
    """The rows of ``stmt`` as CSV (no header), streamed: COPY on PostgreSQL, batches of
    :func:`app.core.cells.csv_text` elsewhere. Every column must be a number or a text
    neutralised in the query (:class:`app.core.cells.neutral_text`): COPY leaves Python no
    chance to do it."""
    cells.require_neutral(stmt)
    return _copy_out(db, stmt) if db.is_postgres else _batches(db, stmt)
