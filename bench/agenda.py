"""The caseworker's agenda on a city of labourers: plans and latency by scope.

    python -m bench.agenda [--workers 300000] [--runs 30]

Seeds its own database (jobpath_bench_agenda): the workers of bench.seed, packed into one
city's 600 villages (5,000 labourers a township at 300,000, as dense as a real township gets
whatever the province's size), about 30 % never visited and the rest last visited within two
years, a self-employment for every fifth labourer with its 1-, 3-, 6- and 12-month checks.
Prints the plan of a township caseworker's first page (EXPLAIN ANALYZE) and the p50/p99 of
the first and a later page for a township caseworker, a county admin and the city's admin.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio.to_thread
import asyncpg
from sqlalchemy import event

from bench import common, seed

DB = "jobpath_bench_agenda"
CITY = "3401"
TOWNSHIP, COUNTY = "340101100", "340101"
TODAY = datetime.now(UTC).date()


def _workers(tier: seed.Tier, places: list[str]) -> Iterator[tuple[object, ...]]:
    rng = random.Random(seed.SEED + 14)
    for row in seed.worker_rows(tier, places):
        registered = TODAY - timedelta(days=rng.randrange(30, 1500))
        visited = (
            None
            if rng.random() < 0.3
            else datetime.now(UTC)
            - timedelta(days=rng.randrange(1, 730), minutes=rng.randrange(1440))
        )
        yield (*row, registered, visited)


def _employments(workers: int, places: list[str]) -> Iterator[tuple[object, ...]]:
    rng = random.Random(seed.SEED + 15)
    for e, w in enumerate(range(0, workers, 5)):
        start = TODAY - timedelta(days=rng.randrange(1, 400))
        stamp = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        yield (e + 1, 1, w + 1, places[(w // 3) % len(places)], "self_employed", start, 1,
               stamp, stamp, False, False)  # fmt: skip


def _follow_ups(workers: int, places: list[str]) -> Iterator[tuple[object, ...]]:
    from app.services.employments import add_months

    rng = random.Random(seed.SEED + 15)
    n = 0
    for e, w in enumerate(range(0, workers, 5)):
        start = TODAY - timedelta(days=rng.randrange(1, 400))
        stamp = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        for months in (1, 3, 6, 12):
            n += 1
            due = add_months(start, months)
            status = "done" if due < TODAY - timedelta(days=60) else "due"
            yield (n, 1, e + 1, w + 1, places[(w // 3) % len(places)], months, due, status,
                   stamp, stamp)  # fmt: skip


async def _seed(workers: int) -> None:
    tree = [r for r in seed.regions() if r[0] == seed.PROVINCE or r[0].startswith(CITY)]
    places = seed.villages(tree)
    tier = seed.Tier("agenda", workers, 0, 0, 0)
    conn = await asyncpg.connect(common.libpq_url(DB))
    try:
        await conn.set_type_codec("jsonb", encoder=lambda t: b"\x01" + t.encode(),
                                  decoder=lambda raw: raw[1:], schema="pg_catalog",
                                  format="binary")  # fmt: skip
        await conn.execute(
            "TRUNCATE regions, households, workers, visits, users, employments, follow_ups,"
            " referrals, claims, enrolments, audit_entries, auth_sessions, refresh_tokens CASCADE"
        )
        print(f"seeding {workers:,} workers in {len(places)} villages of one city")
        await seed._copy(conn, "regions", ("code", "name", "level", "parent_code", "path"),
                         iter(tree))  # fmt: skip
        await seed._copy(conn, "households", seed.HOUSEHOLD_COLUMNS,
                         seed.household_rows(tier, places))  # fmt: skip
        await seed._copy(conn, "workers", (*seed.WORKER_COLUMNS, "registered_on",
                         "last_visited_at"), _workers(tier, places))  # fmt: skip
        await conn.execute(
            "INSERT INTO users (id, version, username, full_name, role, password_hash, is_active,"
            " token_version, password_changed_at, created_at, updated_at)"
            " VALUES (1, 1, 'bench-poster', '基准', 'admin', '!', false, 1, now(), now(), now())"
        )
        await seed._copy(conn, "employments", ("id", "version", "worker_id", "region_code", "kind",
                         "start_date", "recorded_by", "created_at", "updated_at",
                         "organised_export", "confirmed_by_employer"),
                         _employments(workers, places))  # fmt: skip
        await seed._copy(conn, "follow_ups", ("id", "version", "employment_id", "worker_id",
                         "region_code", "months", "due_date", "status", "created_at",
                         "updated_at"), _follow_ups(workers, places))  # fmt: skip
        for table in ("households", "workers", "users", "employments", "follow_ups"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        await conn.execute(f"SELECT setval('audit_entries_id_seq', {workers + 1})")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _plan(app: Any, client: Any) -> list[str]:
    """EXPLAIN ANALYZE of the agenda's statement as the route sends it."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "agenda" in statement:
            seen.append((statement, parameters))

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert (await client.get("/api/v1/me/agenda")).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    async with app.state.db.engine.connect() as conn:
        result = await conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters
        )
        return [row[0] for row in result]


async def _latency(client: Any, runs: int) -> tuple[float, float, float, float]:
    first = await client.get("/api/v1/me/agenda")
    cursor = first.json()["next_cursor"]
    for _ in range(3):  # a page further on: past the follow-ups, into the unvisited
        cursor = (await client.get("/api/v1/me/agenda", params={"cursor": cursor})).json()[
            "next_cursor"
        ] or cursor

    async def page(params: dict[str, str]) -> None:
        r = await client.get("/api/v1/me/agenda", params=params)
        assert r.status_code == 200, r.text

    one = await common.timed(lambda: page({}), runs=runs, warmup=3)
    later = await common.timed(lambda: page({"cursor": cursor}), runs=runs, warmup=3)
    return common.p(one, 50), common.p(one, 99), common.p(later, 50), common.p(later, 99)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    from app.cli import migrate_to_head

    await common.ensure_database(DB)
    await anyio.to_thread.run_sync(migrate_to_head, common.app_url(DB))
    if await common.count(DB, "workers") != args.workers:
        started = time.perf_counter()
        await _seed(args.workers)
        print(f"seeded in {time.perf_counter() - started:.1f} s")
    app = common.bench_app(DB)
    scopes = {
        "caseworker, township": ("bench-agenda-cw", "caseworker", TOWNSHIP),
        "admin, county": ("bench-agenda-county", "admin", COUNTY),
        "admin, city": ("bench-agenda-city", "admin", f"{CITY}00"),
    }
    rows = []
    for label, (username, role, region) in scopes.items():
        client = await common.signed_in(app, username, role, region_code=region)
        if label.startswith("caseworker"):
            print("\nplan, township caseworker's first page:")
            print("\n".join(await _plan(app, client)))
        rows.append((label, *await _latency(client, args.runs)))
        await client.aclose()
    await app.state.db.engine.dispose()
    counts = await _counts()
    print(f"\n{args.workers:,} workers; in township {TOWNSHIP}: {counts}")
    print(f"\n{'scope':<24} {'first p50':>10} {'p99':>8} {'later p50':>10} {'p99':>8}  (ms)")
    for label, p50, p99, l50, l99 in rows:
        print(f"{label:<24} {p50:10.1f} {p99:8.1f} {l50:10.1f} {l99:8.1f}")


async def _counts() -> dict[str, int]:
    conn = await asyncpg.connect(common.libpq_url(DB))
    try:
        like = f"{TOWNSHIP}%"
        return {
            "workers": await conn.fetchval(
                "SELECT count(*) FROM workers WHERE region_code LIKE $1", like
            ),
            "follow-ups due": await conn.fetchval(
                "SELECT count(*) FROM follow_ups WHERE region_code LIKE $1 AND status = 'due'"
                " AND due_date <= $2",
                like,
                date.today(),
            ),
        }
    finally:
        await conn.close()


if __name__ == "__main__":
    common.run(main)
