"""Claims export of 1,000,000 claims as CSV through a real server process: rows/s, time to
first byte, and the server's peak memory — against `psql \\copy` of the same rows.

    python -m bench.export [--tier large]

Starts uvicorn (one worker) on the tier's PostgreSQL database, signs in an auditor of the
whole province, streams GET /api/v1/claims/export?format=csv to nowhere while sampling the
server's resident memory from /proc, then times `psql \\copy` of the same join.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import common

PORT = 8765


async def export_sql(db: str) -> str:
    """The very query the API streams for a province-wide auditor (masking and formatting
    included), with its parameters written in, for psql."""
    from sqlalchemy.dialects import postgresql

    from app.models import Role
    from app.scope import Actor
    from app.services import claims, claims_export

    app = common.bench_app(db)
    actor = Actor(id=0, username="bench", role=Role.auditor, region_code=None,
                  region_path=None, employer_id=None, session_id="bench")  # fmt: skip
    stmt = await claims_export._query(app.state.db, actor, claims.ClaimFilters())
    await app.state.db.dispose()
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))  # type: ignore[no-untyped-call]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _auditor(db: str) -> None:
    app = common.bench_app(db)
    client = await common.signed_in(app, "bench-auditor", "auditor", region_code="340000")
    await client.aclose()
    await app.state.db.engine.dispose()


async def _stream(token: str, pid: int) -> tuple[float, float, int, int, int]:
    peak = base = rss_kib(pid)
    started = time.perf_counter()
    first = 0.0
    size = lines = 0
    async with httpx.AsyncClient(timeout=None) as client, client.stream(
        "GET", f"http://127.0.0.1:{PORT}/api/v1/claims/export", params={"format": "csv"},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:  # fmt: skip
        assert response.status_code == 200, await response.aread()
        async for chunk in response.aiter_bytes():
            if not first:
                first = time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
            peak = max(peak, rss_kib(pid))
    return first, time.perf_counter() - started, size, lines - 1, peak - base


@dataclass(frozen=True)
class ExportFigures:
    rows: int
    megabytes: float
    seconds: float
    first_byte_seconds: float
    memory_growth_mib: float
    psql_seconds: float


async def measure(tier: str) -> ExportFigures:
    """Stream the province's claims as CSV from a real server, then psql \\copy the same."""
    db = await common.prepare_tier(tier)
    await _auditor(db)
    server = common.server(db, PORT)
    try:
        await common.wait_until_up(PORT)
        token = await common.token(PORT, "bench-auditor")
        first, seconds, size, rows, growth = await _stream(token, server.pid)
    finally:
        server.terminate()
        server.wait()
    sql = " ".join((await export_sql(db)).split())
    started = time.perf_counter()
    subprocess.run(
        ["psql", common.libpq_url(db), "-qc", f"\\copy ({sql}) TO '/dev/null' CSV"],
        check=True,
    )
    psql = time.perf_counter() - started
    return ExportFigures(rows, size / 1e6, seconds, first, growth / 1024, psql)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tier", default="large")
    args = parser.parse_args()
    f = await measure(args.tier)
    print(f"\nclaims export, tier {args.tier}: {f.rows:,} rows, {f.megabytes:.1f} MB")
    print(
        f"  API CSV stream : {f.seconds:6.1f} s = {f.rows / f.seconds:>9,.0f} rows/s, "
        f"first byte {f.first_byte_seconds * 1000:.0f} ms, "
        f"server memory growth {f.memory_growth_mib:.1f} MB"
    )
    print(f"  psql \\copy     : {f.psql_seconds:6.1f} s = {f.rows / f.psql_seconds:>9,.0f} rows/s")
    print(f"  ratio API / psql: {f.psql_seconds / f.seconds:.2f}")


if __name__ == "__main__":
    common.run(main)
