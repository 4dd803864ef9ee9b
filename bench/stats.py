"""Overview and breakdown latency at 1,000,000 workers and 2,000,000 employments (and the
small tier beside it).

    python -m bench.stats [--runs 30]
"""

from __future__ import annotations

import argparse
from typing import Any

from bench import common

CASES = {
    "overview, province": ("/api/v1/stats/overview", {"region": "340000", "year": 2026}),
    "overview, one county": ("/api/v1/stats/overview", {"region": "340101", "year": 2026}),
    "breakdown by township, county": (
        "/api/v1/stats/breakdown", {"region": "340101", "year": 2026, "by": "township"}),
    "breakdown by month, province": (
        "/api/v1/stats/breakdown", {"region": "340000", "year": 2026, "by": "month"}),
    "breakdown by employer kind, province": (
        "/api/v1/stats/breakdown", {"region": "340000", "year": 2026, "by": "employer_kind"}),
}  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    rows = []
    for tier in ("small", "large"):
        db = await common.prepare_tier(tier)
        app = common.bench_app(db)
        admin = await common.signed_in(app, "bench-stats", "admin", region_code="340000")
        for label, (path, params) in CASES.items():

            async def call(
                path: str = path, params: dict[str, object] = params, c: Any = admin
            ) -> None:
                r = await c.get(path, params=params)
                assert r.status_code == 200, r.text

            times = await common.timed(call, runs=args.runs, warmup=3)
            rows.append((tier, label, common.p(times, 50), common.p(times, 99)))
        await admin.aclose()
        await app.state.db.engine.dispose()
    print(f"\n{'tier':<6} {'request':<40} {'p50 ms':>9} {'p99 ms':>9}")
    for tier, label, p50, p99 in rows:
        print(f"{tier:<6} {label:<40} {p50:9.1f} {p99:9.1f}")


if __name__ == "__main__":
    common.run(main)
