"""Claims export for auditors: CSV (UTF-8 with a byte-order mark, so Chinese Excel opens it
with its characters intact) or XLSX, streamed with constant memory whatever the row count,
personal data masked."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio.to_thread
from sqlalchemy import Select, case, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import copy
from app.core.db import Database
from app.core.sql import date_text, masked, utc_text
from app.models import Claim, Worker
from app.scope import Actor
from app.services import claims

HEADER = (
    "claim_id", "policy_code", "status", "worker_id", "worker_name", "id_number",
    "region_code", "employer_id", "period_start", "period_end", "units", "unit_amount_fen",
    "claimed_fen", "approved_fen", "paid_fen", "currency", "payment_reference", "bank_account",
    "submitted_at", "approved_at", "paid_at", "flagged",
)  # fmt: skip
# The export's columns, masked and formatted by the database: the same text on PostgreSQL
# (where COPY streams it without a row passing through Python) and on SQLite.
_COLUMNS = (
    col(Claim.id), col(Claim.policy_code), col(Claim.status), col(Claim.worker_id),
    col(Worker.full_name), masked(col(Worker.id_number)), col(Claim.region_code),
    col(Claim.employer_id), date_text(col(Claim.period_start)),
    date_text(col(Claim.period_end)), col(Claim.units), col(Claim.unit_amount_fen),
    col(Claim.amount_fen), col(Claim.approved_amount_fen), col(Claim.paid_amount_fen),
    literal("CNY"), col(Claim.payment_reference), masked(col(Claim.bank_account)),
    utc_text(col(Claim.submitted_at)), utc_text(col(Claim.approved_at)),
    utc_text(col(Claim.paid_at)), case((col(Claim.flagged), "true"), else_="false"),
)  # fmt: skip
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def _query(db: Database, actor: Actor, filters: claims.ClaimFilters) -> Select[Any]:
    async with db.admitted(), db.read_sessionmaker() as session:
        base = select(*_COLUMNS).join(Worker, col(Worker.id) == col(Claim.worker_id))
        stmt: Select[Any] = await claims.scoped_query(
            session, actor=actor, filters=filters, base=base
        )
    return stmt.order_by(col(Claim.id))


async def check_filters(
    session: AsyncSession, *, actor: Actor, filters: claims.ClaimFilters
) -> None:
    """Refuse bad filters (an unknown region) before the first byte goes out: once a stream
    has begun, an error can no longer be answered with a problem document."""
    await claims.scoped_query(session, actor=actor, filters=filters)


async def csv_stream(
    db: Database, actor: Actor, filters: claims.ClaimFilters
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(HEADER)
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    async for chunk in copy.csv_rows(db, await _query(db, actor, filters)):
        yield chunk


async def xlsx_stream(
    db: Database, actor: Actor, filters: claims.ClaimFilters
) -> AsyncIterator[bytes]:
    """Rows go into a write-only workbook (kept on disk, not in memory), then the file is
    streamed out."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("claims")
    sheet.append(list(HEADER))

    def append(rows: Sequence[Any]) -> None:
        for row in rows:
            sheet.append(list(row))

    async for partition in copy.row_batches(db, await _query(db, actor, filters)):
        await anyio.to_thread.run_sync(append, partition)
    with tempfile.TemporaryFile() as spool:
        await anyio.to_thread.run_sync(book.save, spool)
        spool.seek(0)
        while chunk := await anyio.to_thread.run_sync(spool.read, 1 << 20):
            yield chunk
