"""The export's database-side masking and formatting, and COPY out: the database masks
exactly as the service does, and on PostgreSQL the COPY stream is byte for byte the file the
row-by-row writer makes from the same query."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import copy
from app.core.db import Database
from app.core.sql import date_text, masked, masked_phone, utc_text
from app.masking import mask_id_number, mask_phone
from app.models.base import UTCDateTime

SAMPLES = ["", "1", "1234567", "12345678", "1234567890", "12345678901", "34040619850312001X",
           "张三丰李四王五赵六孙七周八吴九郑十", "6222 0212 3456 7890 123", "a" * 64]  # fmt: skip


@pytest.mark.parametrize("value", [*SAMPLES, None])
async def test_the_database_masks_exactly_as_the_service_does(
    session: AsyncSession, value: str | None
) -> None:
    found = await session.scalar(select(masked(literal(value))))
    assert found == mask_id_number(value)


@pytest.mark.parametrize("value", [*SAMPLES, "13812345678", None])
async def test_the_database_masks_phones_exactly_as_the_service_does(
    session: AsyncSession, value: str | None
) -> None:
    found = await session.scalar(select(masked_phone(literal(value))))
    assert found == mask_phone(value)


async def test_times_and_dates_are_iso_8601_text(session: AsyncSession) -> None:
    moment = datetime(2026, 11, 25, 8, 30, 5, 123456, tzinfo=UTC)

    row = (
        await session.execute(
            select(
                utc_text(literal(moment, UTCDateTime())),
                date_text(literal(moment.date())),
                case((literal(True), "true"), else_="false"),
            )
        )
    ).one()
    assert tuple(row) == ("2026-11-25T08:30:05Z", "2026-11-25", "true")


@pytest.mark.postgres_only
async def test_copy_streams_the_same_csv_as_the_row_writer(db: Database) -> None:
    # Enough rows for many COPY chunks; commas, quotes, NULLs and Chinese text in the values.
    n = func.generate_series(1, 20_000).column_valued("n")
    stmt = select(
        n,
        (literal("名字,") + cast(n, String)).label("name"),
        masked(literal("34040619850312001X")).label("id_number"),
        (literal('引号"') + cast(n, String)).label("quoted"),
        case((n % 3 == 0, None), else_="x").label("maybe"),
        case((n % 2 == 0, "true"), else_="false").label("even"),
    ).order_by(n)
    copied = b"".join([chunk async for chunk in copy._copy_out(db, stmt)])
    written = b"".join([chunk async for chunk in copy._batches(db, stmt)])
    assert copied == written
    assert copied.count(b"\n") == 20_000
    assert db.read_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.postgres_only
async def test_a_client_that_leaves_mid_export_leaves_no_connection_behind(db: Database) -> None:
    n = func.generate_series(1, 2_000_000).column_valued("n")
    stream = copy._copy_out(db, select(n))
    first = await anext(stream)
    assert first
    await stream.aclose()  # what the server does when the client hangs up
    assert db.read_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
