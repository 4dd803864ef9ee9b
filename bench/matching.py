"""Matching latency at 1,000 and 1,000,000 workers (10,000 open vacancies at a million), and
hire throughput under concurrent employers.

    python -m bench.matching [--runs 200] [--employers 16] [--hires 20]

Through the real app in process (ASGI) on PostgreSQL; prints p50/p99 per tier and hires/s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import date
from typing import Any

import asyncpg
from httpx import AsyncClient

from bench import common

TOWNSHIP = "340101100"  # a township of the first city: what a caseworker's phone sees
CITY = "340100"


async def _ids(db: str, sql: str) -> list[int]:
    conn = await asyncpg.connect(common.libpq_url(db))
    try:
        return [r[0] for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def _latency(client: AsyncClient, paths: list[str], runs: int) -> list[float]:
    rng = random.Random(7)

    async def call() -> None:
        r = await client.get(rng.choice(paths), params={"limit": 20})
        assert r.status_code == 200, r.text

    return await common.timed(call, runs=runs)


async def _hire_throughput(app: Any, db: str, employers: int, hires: int) -> tuple[int, float, int]:
    """Each employer posts a vacancy with ``hires`` openings; a caseworker refers that many
    workers to it; then all employers hire at once. Returns (hires, seconds, conflicts)."""
    caseworker = await common.signed_in(app, "bench-referrer", "caseworker", region_code=CITY)
    workers = await _ids(
        db,
        "SELECT id FROM workers WHERE region_code LIKE '3401%' AND employment_status = "
        f"'unemployed' AND able_to_work ORDER BY id LIMIT {employers * hires}",
    )
    bosses, referral_ids = [], []
    for e in range(employers):
        boss = await common.signed_in(app, f"bench-boss-{e}", "employer", employer_id=e + 1)
        vacancy = await boss.post("/api/v1/vacancies", json={
            "title": "基准岗位", "job_type": "manufacturing", "openings": hires,
            "wage_min_fen": 300_000, "work_region_code": "340101100201"})  # fmt: skip
        assert vacancy.status_code == 201, vacancy.text
        mine = []
        for worker_id in workers[e * hires : (e + 1) * hires]:
            r = await caseworker.post("/api/v1/referrals", json={
                "worker_id": worker_id, "vacancy_id": vacancy.json()["id"]})  # fmt: skip
            assert r.status_code == 201, r.text
            mine.append(r.json()["id"])
        bosses.append(boss)
        referral_ids.append(mine)

    async def employer(boss: AsyncClient, ids: list[int]) -> int:
        conflicts = 0
        for rid in ids:
            r = await boss.post(
                f"/api/v1/referrals/{rid}/hire", json={"start_date": date.today().isoformat()}
            )
            conflicts += r.status_code == 409
            assert r.status_code in (200, 409), r.text
        return conflicts

    started = time.perf_counter()
    conflicts = await asyncio.gather(
        *(employer(b, ids) for b, ids in zip(bosses, referral_ids, strict=True))
    )
    elapsed = time.perf_counter() - started
    return employers * hires, elapsed, sum(conflicts)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--employers", type=int, default=16)
    parser.add_argument("--hires", type=int, default=20)
    args = parser.parse_args()
    rows = []
    for tier in ("1k", "large"):
        db = await common.prepare_tier(tier)
        app = common.bench_app(db)
        caseworker = await common.signed_in(app, "bench-matcher", "caseworker",
                                            region_code=TOWNSHIP)  # fmt: skip
        admin = await common.signed_in(app, "bench-city-admin", "admin", region_code=CITY)
        worker_ids = await _ids(db, f"SELECT id FROM workers WHERE region_code LIKE "
                                    f"'{TOWNSHIP}%' ORDER BY id LIMIT 200")  # fmt: skip
        vacancy_ids = await _ids(db, "SELECT id FROM vacancies WHERE status = 'open' "
                                     "ORDER BY id LIMIT 200")  # fmt: skip
        open_count = await common.count(db, "vacancies")
        for label, client, paths in (
            (f"matches for a worker ({open_count:,} open vacancies)", caseworker,
             [f"/api/v1/workers/{i}/matches" for i in worker_ids]),
            ("candidates for a vacancy, township caseworker", caseworker,
             [f"/api/v1/vacancies/{i}/candidates" for i in vacancy_ids]),
            ("candidates for a vacancy, city-wide admin", admin,
             [f"/api/v1/vacancies/{i}/candidates" for i in vacancy_ids]),
        ):  # fmt: skip
            times = await _latency(client, paths, args.runs)
            rows.append((tier, label, common.p(times, 50), common.p(times, 99)))
        if tier == "large":
            hires, seconds, conflicts = await _hire_throughput(app, db, args.employers, args.hires)
        await app.state.db.engine.dispose()
    print(f"\n{'tier':<6} {'endpoint':<52} {'p50 ms':>8} {'p99 ms':>8}")
    for tier, label, p50, p99 in rows:
        print(f"{tier:<6} {label:<52} {p50:8.2f} {p99:8.2f}")
    print(
        f"\nhires: {hires} by {args.employers} concurrent employers in {seconds:.2f} s = "
        f"{hires / seconds:.0f} hires/s ({conflicts} conflicts)"
    )


if __name__ == "__main__":
    common.run(main)
