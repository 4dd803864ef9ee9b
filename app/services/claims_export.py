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
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import Database
from app.masking import mask_id_number
from app.models import Claim, Worker
from app.scope import Actor
from app.services import claims

BATCH = 2000
HEADER = (
    "claim_id", "policy_code", "status", "worker_id", "worker_name", "id_number",
    "region_code", "employer_id", "period_start", "period_end", "units", "unit_amount_fen",
    "claimed_fen", "approved_fen", "paid_fen", "currency", "payment_reference", "bank_account",
    "submitted_at", "approved_at", "paid_at", "flagged",
)  # fmt: skip
_COLUMNS = (
    col(Claim.id), col(Claim.policy_code), col(Claim.status), col(Claim.worker_id),
    col(Worker.full_name), col(Worker.id_number), col(Claim.region_code),
    col(Claim.employer_id), col(Claim.period_start), col(Claim.period_end), col(Claim.units),
    col(Claim.unit_amount_fen), col(Claim.amount_fen), col(Claim.approved_amount_fen),
    col(Claim.paid_amount_fen), col(Claim.payment_reference), col(Claim.bank_account),
    col(Claim.submitted_at), col(Claim.approved_at), col(Claim.paid_at), col(Claim.flagged),
)  # fmt: skip
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _line(row: Sequence[Any]) -> list[Any]:
    (cid, code, status, wid, name, id_number, region, employer, start, end, units, unit,
     claimed, approved, paid, reference, account, submitted, approved_at, paid_at,
     flagged) = row  # fmt: skip
    return [
        cid, code, status, wid, name, mask_id_number(id_number), region, employer,
        start.isoformat(), end.isoformat(), units, unit, claimed, approved, paid, "CNY",
        reference, mask_id_number(account),
        *(t.isoformat() if t else None for t in (submitted, approved_at, paid_at)), flagged,
    ]  # fmt: skip


async def _rows(
    db: Database, actor: Actor, filters: claims.ClaimFilters
) -> AsyncIterator[list[list[Any]]]:
    """Batches of export lines, read through a server-side cursor."""
    async with db.sessionmaker() as session:
        base = select(*_COLUMNS).join(Worker, col(Worker.id) == col(Claim.worker_id))
        stmt = await claims.scoped_query(session, actor=actor, filters=filters, base=base)
        result = await session.stream(
            stmt.order_by(col(Claim.id)).execution_options(yield_per=BATCH)
        )
        async for partition in result.partitions(BATCH):
            yield [_line(row) for row in partition]


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
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    async for batch in _rows(db, actor, filters):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode()


async def xlsx_stream(
    db: Database, actor: Actor, filters: claims.ClaimFilters
) -> AsyncIterator[bytes]:
    """Rows go into a write-only workbook (kept on disk, not in memory), then the file is
    streamed out."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("claims")
    sheet.append(list(HEADER))

    def append(lines: list[list[Any]]) -> None:
        for line in lines:
            sheet.append(line)

    async for batch in _rows(db, actor, filters):
        await anyio.to_thread.run_sync(append, batch)
    with tempfile.TemporaryFile() as spool:
        await anyio.to_thread.run_sync(book.save, spool)
        spool.seek(0)
        while chunk := await anyio.to_thread.run_sync(spool.read, 1 << 20):
            yield chunk
