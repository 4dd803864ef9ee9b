"""Worker list, name search and sync-page latency at 1,000 and at 1,000,000 workers.

    python -m bench.worker_latency [--runs 300]

Seeds (or reuses) one PostgreSQL database per tier with bench/seed.py, signs in a caseworker
scoped to one city (1/16 of the province), and times sequential requests through the real app
in process (ASGI, no network). Prints p50 and p99 per endpoint side by side, and the ratio of
the 1M figure to the 1k one (the aim: within 1.5×).
"""

from __future__ import annotations

import argparse
from typing import Any

from httpx import AsyncClient

from bench import common

TIERS = ("1k", "large")
CITY = "340100"


CASES: dict[str, dict[str, Any]] = {
    "worker list (50)": {"limit": 50},
    "name search, 3 chars": {"name": "王建国", "limit": 50},
    "name search, 2-char prefix": {"name": "王伟", "limit": 50},
    "ID suffix search": {"id_suffix": "0011", "limit": 50},
    "sync page (changes of the last 7 days)": {
        "updated_since": "2026-11-18T00:00:00Z",
        "limit": 50,
    },
}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {}
    for name in TIERS:
        app = common.bench_app(await common.prepare_tier(name))
        client = await common.signed_in(app, "bench-caseworker", "caseworker", region_code=CITY)
        for case, params in CASES.items():

            async def call(params: dict[str, Any] = params, c: AsyncClient = client) -> None:
                r = await c.get("/api/v1/workers", params=params)
                assert r.status_code == 200, r.text

            results.setdefault(case, {})[name] = await common.timed(call, runs=args.runs)
        await client.aclose()
        await app.state.db.engine.dispose()
    print(
        f"\n{'endpoint':<42} {'1k p50':>8} {'1k p99':>8} {'1M p50':>8} {'1M p99':>8} {'p50 ×':>6} {'p99 ×':>6}"
    )
    for case, by_tier in results.items():
        a, b = by_tier["1k"], by_tier["large"]
        print(
            f"{case:<42} {common.p(a, 50):8.2f} {common.p(a, 99):8.2f} {common.p(b, 50):8.2f}"
            f" {common.p(b, 99):8.2f} {common.p(b, 50) / common.p(a, 50):6.2f}"
            f" {common.p(b, 99) / common.p(a, 99):6.2f}"
        )
    print(
        f"(ms; {args.runs} sequential requests each after 20 warm-up; caseworker scoped to city {CITY})"
    )


if __name__ == "__main__":
    common.run(main)
