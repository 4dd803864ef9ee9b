"""Bulk import: a registry CSV of new labourers through POST /api/v1/workers/import on a real
server process, against raw COPY of the same rows into a table shaped like `workers`; and
how promptly the same server answers /healthz while it imports.

    python -m bench.imports [--tier small] [--rows 10000]
    python -m bench.imports --history [--tier small] [--rows 10000]
    python -m bench.imports --health [--tier small] [--rows 20000]

``--history`` imports the same labourers twice over, side by side: once as plain registry
rows, once with a county's history on every row (建档立卡日期, 识别/脱贫年份 and a past job,
each brought in through the audited backfill), and prints both rates.

``--health`` probes /healthz every 10 ms over its own connection: first with the server
idle, then during the import of the rows as CSV, then as XLSX (the slow one to read), and
prints p50 / p99 / max of each side by side.

The rows use an area code no seeded worker has (349999) and are deleted afterwards, so the
tier stays as seeded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator
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


HISTORY_HEADER = (
    "户编号,姓名,身份证号,联系电话,行政区划代码,就业状态,技能,培训意愿,是否有劳动能力,"
    "建档立卡日期,识别年份,脱贫年份,就业形式,就业开始日期,就业结束日期,月工资（元）\n"
)


def history_csv(numbers: list[str], village: str) -> bytes:
    """The rows of :func:`registry_csv` with a county's history: registered in 2023, a
    household identified in 2014 and lifted out in 2019, a workshop job in 2023–2024."""
    lines = [HISTORY_HEADER]
    for n, number in enumerate(numbers):
        lines.append(f"BENCHIMP{n // 3:07d},王{n}明,{number},138{n:08d},{village},"
                     "未就业,缝纫、家政,面点,是,2023-03-02,2014,2019,扶贫车间,2023/4/1,"
                     "2024/6/30,2600\n")  # fmt: skip
    return "".join(lines).encode()


async def _clean(db: str) -> None:
    conn = await asyncpg.connect(common.libpq_url(db))
    try:
        await conn.execute(
            "DELETE FROM employments WHERE worker_id IN "
            f"(SELECT id FROM workers WHERE id_number LIKE '{AREA}%')"
        )
        await conn.execute(f"DELETE FROM workers WHERE id_number LIKE '{AREA}%'")
        # Dead rows gone first: after 100k rows came and went, the check of each household's
        # workers reads them all, 100k times over (minutes, not seconds).
        await conn.execute("VACUUM ANALYZE workers")
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


@dataclass(frozen=True)
class _Server:
    port: int
    token: str
    village: str

    async def post_import(self, name: str, content: bytes) -> tuple[float, dict[str, int]]:
        """Seconds the import took, and its report."""
        async with httpx.AsyncClient(timeout=None) as client:
            started = time.perf_counter()
            r = await client.post(
                f"http://127.0.0.1:{self.port}/api/v1/workers/import",
                files={"file": (name, io.BytesIO(content), "application/octet-stream")},
                headers={"Authorization": f"Bearer {self.token}"},
            )
            seconds = time.perf_counter() - started
        assert r.status_code == 200, r.text[:500]
        return seconds, r.json()


@contextlib.asynccontextmanager
async def _serving(tier: str) -> AsyncIterator[tuple[str, _Server]]:
    """A real server on the tier's database, a signed-in admin, a village to import into."""
    db = await common.prepare_tier(tier)
    conn = await asyncpg.connect(common.libpq_url(db))
    village = await conn.fetchval("SELECT code FROM regions WHERE level = 'village' LIMIT 1")
    await conn.close()
    app = common.bench_app(db)
    await (await common.signed_in(app, "bench-admin", "admin", region_code="340000")).aclose()
    await app.state.db.dispose()
    await _clean(db)
    server = common.server(db, PORT)
    try:
        await common.wait_until_up(PORT)
        yield db, _Server(PORT, await common.token(PORT, "bench-admin"), village)
    finally:
        server.terminate()
        server.wait()
        await _clean(db)


async def measure(tier: str, rows: int) -> ImportFigures:
    """Import ``rows`` new labourers through a real server, then COPY the same rows raw."""
    numbers = id_numbers(rows)
    async with _serving(tier) as (db, served):
        content = registry_csv(numbers, served.village)
        seconds, report = await served.post_import("registry.csv", content)
    copy_seconds = await _raw_copy(db, numbers, served.village)
    return ImportFigures(rows, len(content) / 1e6, seconds, copy_seconds, report["created"])


async def measure_history(tier: str, rows: int) -> tuple[float, float, dict[str, int]]:
    """Seconds to import ``rows`` plain labourers, and the same rows with history (after a
    clean-up, so both create every labourer)."""
    numbers = id_numbers(rows)
    async with _serving(tier) as (db, served):
        plain, _ = await served.post_import("registry.csv", registry_csv(numbers, served.village))
        await _clean(db)
        content = history_csv(numbers, served.village)
        with_history, report = await served.post_import("history.csv", content)
    return plain, with_history, report


def registry_xlsx(numbers: list[str], village: str) -> bytes:
    """The same rows as :func:`registry_csv`, as a workbook (written as office programs do,
    one shared-string table)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in registry_csv(numbers, village).decode().splitlines():
        sheet.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Probes:
    label: str
    latencies_ms: list[float]
    import_seconds: float | None = None

    @property
    def p50(self) -> float:
        return common.p(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return common.p(self.latencies_ms, 99)

    def line(self) -> str:
        ms = self.latencies_ms
        during = f"  (import {self.import_seconds:.1f} s)" if self.import_seconds else ""
        return (
            f"  {self.label:<28} p50 {self.p50:7.1f} ms   p99 {self.p99:7.1f} ms"
            f"   max {max(ms):7.1f} ms   {len(ms):>5} probes{during}"
        )


async def _probe(port: int, *, until: asyncio.Task[object] | None, count: int = 500) -> list[float]:
    """/healthz latencies, a probe every 10 ms: ``count`` of them, or until ``until`` ends."""
    out: list[float] = []
    async with httpx.AsyncClient(timeout=None) as client:
        while (len(out) < count) if until is None else not until.done():
            started = time.perf_counter()
            r = await client.get(f"http://127.0.0.1:{port}/healthz")
            out.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200, r.text
            await asyncio.sleep(0.01)
    return out


async def measure_health(tier: str, rows: int) -> list[Probes]:
    """/healthz idle, then during the import of ``rows`` labourers as CSV and as XLSX."""
    numbers = id_numbers(rows)
    async with _serving(tier) as (db, served):
        results = [Probes("idle", await _probe(served.port, until=None))]
        files = [("CSV", registry_csv(numbers, served.village))]
        files.append(("XLSX", registry_xlsx(numbers, served.village)))
        for kind, content in files:
            await _clean(db)
            importing = asyncio.create_task(served.post_import(f"registry.{kind.lower()}", content))
            latencies = await _probe(served.port, until=importing)
            seconds, report = await importing
            assert report["created"] == rows, report["created"]
            size = f"{len(content) / 1e6:.1f} MB"
            results.append(Probes(f"during {kind} import ({size})", latencies, seconds))
    return results


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tier", default="small")
    parser.add_argument("--rows", type=int, default=None, help="10,000; 20,000 with --health")
    parser.add_argument("--health", action="store_true", help="/healthz latency during imports")
    parser.add_argument("--history", action="store_true", help="plain rows against history rows")
    args = parser.parse_args()
    if args.history:
        rows = args.rows or 10_000
        plain, with_history, report = await measure_history(args.tier, rows)
        print(f"\nregistry import, tier {args.tier}, {rows:,} new labourers, one process")
        print(f"  plain rows        : {plain:7.1f} s = {rows / plain:>7,.0f} rows/s")
        print(f"  with history      : {with_history:7.1f} s = {rows / with_history:>7,.0f} rows/s "
              f"(created {report['created']}, failed {report['failed']})")  # fmt: skip
        print(f"  history / plain   : {plain / with_history:.2f} of the plain rate")
        return
    if args.health:
        rows = args.rows or 20_000
        print(f"\n/healthz on one server process, tier {args.tier}, {rows:,}-row imports")
        for probes in await measure_health(args.tier, rows):
            print(probes.line())
        return
    f = await measure(args.tier, args.rows or 10_000)
    print(f"\nbulk import, tier {args.tier}: {f.rows:,} rows ({f.megabytes:.1f} MB CSV)")
    print(f"  API import : {f.seconds:6.1f} s = {f.rows / f.seconds:>9,.0f} rows/s "
          f"(created {f.created})")  # fmt: skip
    print(f"  raw COPY   : {f.copy_seconds:6.2f} s = {f.rows / f.copy_seconds:>9,.0f} rows/s")
    print(f"  ratio API / COPY: {f.copy_seconds / f.seconds:.3f}")


if __name__ == "__main__":
    common.run(main)
