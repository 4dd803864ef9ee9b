"""Claims export for auditors: CSV (UTF-8 with a byte-order mark, so Chinese Excel opens it
with its characters intact) or XLSX, streamed with constant memory whatever the row count,
personal data masked, every text cell neutralised against formula injection
(:mod:`app.core.cells`), and every export audited before its first byte: who pulled which
claims (the filters, how many matched and the highest claim id, which also bounds the file)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Literal

import anyio.to_thread
from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import cells, copy
from app.core.cells import neutral_text
from app.core.db import Database, commit
from app.core.sql import date_text, masked, utc_text
from app.models import Claim, Worker
from app.scope import Actor, path_in_scope
from app.services import audit, claims, regions

HEADER = (
    "claim_id", "policy_code", "status", "worker_id", "worker_name", "id_number",
    "region_code", "employer_id", "period_start", "period_end", "units", "unit_amount_fen",
    "claimed_fen", "approved_fen", "paid_fen", "currency", "payment_reference", "bank_account",
    "submitted_at", "approved_at", "paid_at", "flagged",
)  # fmt: skip
# The export's columns, masked, formatted and neutralised by the database: the same text on
# PostgreSQL (where COPY streams it without a row passing through Python) and on SQLite.
_COLUMNS = (
    col(Claim.id), neutral_text(col(Claim.policy_code)), neutral_text(col(Claim.status)),
    col(Claim.worker_id), neutral_text(col(Worker.full_name)),
    neutral_text(masked(col(Worker.id_number))), neutral_text(col(Claim.region_code)),
    col(Claim.employer_id), date_text(col(Claim.period_start)),
    date_text(col(Claim.period_end)), col(Claim.units), col(Claim.unit_amount_fen),
    col(Claim.amount_fen), col(Claim.approved_amount_fen), col(Claim.paid_amount_fen),
    literal("CNY"), neutral_text(col(Claim.payment_reference)),
    neutral_text(masked(col(Claim.bank_account))), utc_text(col(Claim.submitted_at)),
    utc_text(col(Claim.approved_at)), utc_text(col(Claim.paid_at)),
    case((col(Claim.flagged), "true"), else_="false"),
)  # fmt: skip
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


Format = Literal["csv", "xlsx"]


@dataclass(frozen=True)
class Download:
    media_type: str
    filename: str
    chunks: AsyncIterator[bytes]


async def export(
    session: AsyncSession,
    *,
    db: Database,
    actor: Actor,
    filters: claims.ClaimFilters,
    format: Format,
) -> Download:
    """The claims of ``actor``'s scope passing ``filters``, as a file to stream. Bad filters
    (an unknown region) are refused first: once a stream has begun, an error can no longer be
    answered with a problem document. The audit entry is committed before the first byte."""
    matched, highest = (
        await session.execute(
            await claims.scoped_query(
                session, actor=actor, filters=filters,
                base=select(func.count(), func.max(col(Claim.id))),
            )
        )
    ).one()  # fmt: skip
    await audit.record(
        session,
        actor=actor,
        action="claim.export",
        resource_type="claim",
        resource_id="*",
        region_code=await _audit_region(session, actor, filters),
        note={"format": format, "filters": _given(filters), "claims": matched,
              "highest_claim_id": highest},
    )  # fmt: skip
    await commit(session)
    stmt = await _query(db, actor, filters, highest=highest or 0)
    chunks = _csv(db, stmt) if format == "csv" else _xlsx(db, stmt)
    return Download(CONTENT_TYPES[format], f"claims.{format}", chunks)


def _given(filters: claims.ClaimFilters) -> dict[str, Any]:
    return {
        key: value.value if isinstance(value, Enum) else value
        for key, value in asdict(filters).items()
        if value is not None
    }


async def _audit_region(
    session: AsyncSession, actor: Actor, filters: claims.ClaimFilters
) -> str | None:
    """The region an export covers, so that auditors of it read the entry: the filtered
    region when it lies in the actor's scope, else the scope itself."""
    if filters.region is None:
        return actor.region_code
    region = await regions.get(session, code=filters.region)
    return filters.region if path_in_scope(actor, region.path) else actor.region_code


async def _query(
    db: Database, actor: Actor, filters: claims.ClaimFilters, *, highest: int | None = None
) -> Select[Any]:
    """The export's query; ``highest`` bounds it to the claims that existed when the export
    was audited."""
    async with db.admitted(), db.read_sessionmaker() as session:
        base = select(*_COLUMNS).join(Worker, col(Worker.id) == col(Claim.worker_id))
        stmt: Select[Any] = await claims.scoped_query(
            session, actor=actor, filters=filters, base=base
        )
    if highest is not None:
        stmt = stmt.where(col(Claim.id) <= highest)
    return stmt.order_by(col(Claim.id))


async def _csv(db: Database, stmt: Select[Any]) -> AsyncIterator[bytes]:
    yield b"\xef\xbb\xbf" + cells.csv_text([HEADER]).encode()
    async for chunk in copy.csv_rows(db, stmt):
        yield chunk


async def _xlsx(db: Database, stmt: Select[Any]) -> AsyncIterator[bytes]:
    """Rows go into a write-only workbook (kept on disk, not in memory), then the file is
    streamed out."""
    book = cells.Book()
    sheet = book.sheet("claims")
    sheet.append(HEADER)

    def append(rows: Sequence[Any]) -> None:
        for row in rows:
            sheet.append(row)

    async for partition in copy.row_batches(db, stmt):
        await anyio.to_thread.run_sync(append, partition)
    with tempfile.TemporaryFile() as spool:
        await anyio.to_thread.run_sync(book.save, spool)
        spool.seek(0)
        while chunk := await anyio.to_thread.run_sync(spool.read, 1 << 20):
            yield chunk
