"""Bulk import: a registry CSV of new labourers through POST /api/v1/workers/import on a real
server process, against raw COPY of the same rows into a table shaped like `workers`.

    python -m bench.imports [--tier small] [--rows 10000]

The rows use an area code no seeded worker has (349999) and are deleted afterwards, so the
tier stays as seeded.
"""

from __future__ import annotations

import argparse
import io
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx

from app.identifiers import resident_id_check_char
from bench import common

PORT = 8766
AREA = "349999"
HEADER = "户编号,姓名,身份证号,联系电话,行政区划代码,就业状态,技能,培训意愿,是否有劳动能力\n"


def id_numbers(n: int) -> list[str]:
    """``n`` distinct valid resident ID numbers of the bench's own area code."""
    out: list[str] = []
    day = date(1970, 1, 1)
    while len(out) < n:
        for seq in range(1000):
            body = f"{AREA}{day:%Y%m%d}{seq:03d}"
            out.append(body + resident_id_check_char(body))
        day += timedelta(days=1)
    return out[:n]


def registry_csv(numbers: list[str], village: str) -> bytes:
    lines = [HEADER]
    for n, number in enumerate(numbers):
        lines.append(f"BENCHIMP{n // 3:07d},王{n}明,{number},138{n:08d},{village},"
                     "未就业,缝纫、家政,面点,是\n")  # fmt: skip
    return "".join(lines).encode()


async def _raw_copy(db: str, numbers: list[str], village: str) -> float:
    conn = await asyncpg.connect(common.libpq_url(db))
    try:
        await conn.execute("CREATE TEMP TABLE import_copy (LIKE workers INCLUDING DEFAULTS)")
        columns = ["household_id", "full_name", "id_number", "id_suffix", "sex", "birth_date", "phone",
                   "region_code", "employment_status", "able_to_work", "skills",
                   "training_wishes", "job_wishes", "disability_level", "version",
                   "created_at", "updated_at"]  # fmt: skip
        now = datetime.now(UTC)
        records = [
            (1, f"王{n}明", number, number[-4:], "male", date(1970, 1, 1), f"138{n:08d}", village,
             "unemployed", True, '["sewing"]', '["pastry"]', "[]", "none", 1, now, now)
            for n, number in enumerate(numbers)
        ]  # fmt: skip
        started = time.perf_counter()
        await conn.copy_records_to_table("import_copy", records=records, columns=columns)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _clean(db: str) -> None:
    conn = await asyncpg.connect(common.libpq_url(db))
    try:
        await conn.execute(f"DELETE FROM workers WHERE id_number LIKE '{AREA}%'")
        await conn.execute("DELETE FROM households WHERE household_number LIKE 'BENCHIMP%'")
    finally:
        await conn.close()


@dataclass(frozen=True)
class ImportFigures:
    rows: int
    megabytes: float
    seconds: float
    copy_seconds: float
    created: int


async def measure(tier: str, rows: int) -> ImportFigures:
    """Import ``rows`` new labourers through a real server, then COPY the same rows raw."""
    db = await common.prepare_tier(tier)
    conn = await asyncpg.connect(common.libpq_url(db))
    village = await conn.fetchval("SELECT code FROM regions WHERE level = 'village' LIMIT 1")
    await conn.close()
    app = common.bench_app(db)
    await (await common.signed_in(app, "bench-admin", "admin", region_code="340000")).aclose()
    await app.state.db.dispose()
    await _clean(db)
    numbers = id_numbers(rows)
    content = registry_csv(numbers, village)
    server = common.server(db, PORT)
    try:
        await common.wait_until_up(PORT)
        token = await common.token(PORT, "bench-admin")
        async with httpx.AsyncClient(timeout=None) as client:
            started = time.perf_counter()
            r = await client.post(
                f"http://127.0.0.1:{PORT}/api/v1/workers/import",
                files={"file": ("registry.csv", io.BytesIO(content), "text/csv")},
                headers={"Authorization": f"Bearer {token}"},
            )
            seconds = time.perf_counter() - started
            assert r.status_code == 200, r.text[:500]
            report = r.json()
    finally:
        server.terminate()
        server.wait()
    copy_seconds = await _raw_copy(db, numbers, village)
    await _clean(db)
    return ImportFigures(rows, len(content) / 1e6, seconds, copy_seconds, report["created"])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tier", default="small")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    f = await measure(args.tier, args.rows)
    print(f"\nbulk import, tier {args.tier}: {f.rows:,} rows ({f.megabytes:.1f} MB CSV)")
    print(f"  API import : {f.seconds:6.1f} s = {f.rows / f.seconds:>9,.0f} rows/s "
          f"(created {f.created})")  # fmt: skip
    print(f"  raw COPY   : {f.copy_seconds:6.2f} s = {f.rows / f.copy_seconds:>9,.0f} rows/s")
    print(f"  ratio API / COPY: {f.copy_seconds / f.seconds:.3f}")


if __name__ == "__main__":
    common.run(main)
