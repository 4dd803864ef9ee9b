"""One command for the provincial-scale benchmark.

    python -m bench.run [--tiers small,large] [--workers 1] [--pool 10] [--connections 16]
                        [--duration 10] [--import-rows 100000] [--no-bulk]

Seeds (or reuses) both tiers on the local PostgreSQL, starts the real app and the bare
baseline (bench/baseline.py) with the same worker processes and pool size, drives each
endpoint with wrk (installed with apt-get when missing) at a fixed concurrency, counts the
database round trips per request from the server's statement log, and prints one table;
then, on the last tier, the claims export, the bulk import and concurrent hires beside their
raw counterparts (`psql \\copy`, raw COPY), and /healthz while 20,000 rows are imported.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from app.pagination import encode_cursor, sync_token
from bench import common

APP_PORT, BASE_PORT = 8801, 8802
CITY = "340100"
LOG = Path("/var/log/postgresql")


@dataclass
class Result:
    tier: str
    endpoint: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    round_trips: float | None = None
    note: str = ""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, token: str | None, connections: int, duration: int,
        script: str | None = None) -> tuple[float, float, float, int]:  # fmt: skip
    """(requests/s, p50 ms, p99 ms, errors) of one wrk run."""
    args = [ensure_wrk(), "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
            "--timeout", "10s"]  # fmt: skip
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    if script:
        handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        handle.write(script)
        handle.close()
        args += ["-s", handle.name]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {m[0]: _ms(m[1], m[2]) for m in _LATENCY.findall(out)}
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(found.group(1))
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                          out):  # fmt: skip
        errors += sum(int(x) for x in found.groups())
    return rps, latency.get("50", 0.0), latency.get("99", 0.0), errors


def _lua_paths(paths: list[str], method: str = "GET", body: str | None = None) -> str:
    listed = ",".join(f'"{p}"' for p in paths)
    send = f'wrk.format("{method}", p, nil, {body!r})' if body else f'wrk.format("{method}", p)'
    return f"""
local paths = {{{listed}}}
local i = 0
request = function()
  i = i + 1
  local p = paths[(i % #paths) + 1]
  return {send}
end
"""


async def _ids(db: str, sql: str) -> list[int]:
    conn = await asyncpg.connect(common.libpq_url(db))
    try:
        return [r[0] for r in await conn.fetch(sql)]
    finally:
        await conn.close()


_CREATE_LUA = """
-- tid is a global: setup() (in wrk's main state) gives each thread its own; a local here
-- would shadow it and every thread would make the same numbers.
tid, counter = 0, 0
local next_tid = 0
local weights = {7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2}
local checks = {"1","0","X","9","8","7","6","5","4","3","2"}
setup = function(thread) thread:set("tid", next_tid); next_tid = next_tid + 1 end
request = function()
  counter = counter + 1
  local n = tid * 10000000 + counter
  local d = math.floor(n / 1000)
  local body = string.format("%s%04d%02d%02d%03d", "AREA", 1950 + math.floor(d / 336) % 50,
                             math.floor(d / 28) % 12 + 1, d % 28 + 1, n % 1000)
  local s = 0
  for i = 1, 17 do s = s + tonumber(body:sub(i, i)) * weights[i] end
  local json = string.format('{"household_id": HOUSEHOLD, "full_name": "李测试", ' ..
    '"id_number": "%s", "region_code": "REGION"}', body .. checks[s % 11 + 1])
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end  -- keep -H Authorization and Host
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/workers", headers, json)
end
"""
CREATE_AREA = "348888"  # no seeded worker has it: created workers are deleted afterwards


async def _execute(db: str, sql: str) -> None:
    conn = await asyncpg.connect(common.libpq_url(db))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _texts(db: str, sql: str) -> list[str]:
    conn = await asyncpg.connect(common.libpq_url(db))
    try:
        return [str(r[0]) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def round_trips(db: str, url: str, token: str, requests: int = 20) -> float:
    """Statements the database received per request, from its statement log: the database is
    told to log every statement of new sessions, a fresh app process makes requests one by
    one, and the log lines of that database are counted."""
    conn = await asyncpg.connect(common.libpq_url(db))
    log = sorted(LOG.glob("postgresql-*-main.log"))[-1]
    await conn.execute(f"ALTER DATABASE \"{db}\" SET log_statement = 'all'")
    try:
        server = common.server(db, APP_PORT + 10, pool=2)
        try:
            await common.wait_until_up(APP_PORT + 10)
            async with httpx.AsyncClient() as client:
                probe = url.replace(str(APP_PORT), str(APP_PORT + 10))
                await client.get(probe, headers={"Authorization": f"Bearer {token}"})
                start = log.stat().st_size
                for _ in range(requests):
                    r = await client.get(probe, headers={"Authorization": f"Bearer {token}"})
                    assert r.status_code == 200, r.text
                await asyncio.sleep(0.5)
        finally:
            server.terminate()
            server.wait()
        with log.open("rb") as fh:
            fh.seek(start)
            text = fh.read().decode(errors="replace")
        counted = [
            line
            for line in text.splitlines()
            if f"@{db} " in line and re.search(r"LOG:\s+(statement|execute)", line)
        ]
        return len(counted) / requests
    finally:
        await conn.execute(f'ALTER DATABASE "{db}" RESET log_statement')
        await conn.close()


async def bench_tier(tier: str, args: argparse.Namespace) -> list[Result]:
    db = await common.prepare_tier(tier)
    app = common.bench_app(db)
    for name, role, scope in (("bench-caseworker", "caseworker", {"region_code": CITY}),
                              ("bench-auditor", "auditor", {"region_code": "340000"}),
                              ("bench-admin", "admin", {"region_code": "340000"})):  # fmt: skip
        await (await common.signed_in(app, name, role, **scope)).aclose()
    await app.state.db.engine.dispose()
    city_workers = await _ids(db, "SELECT id FROM workers WHERE region_code LIKE '3401%' "
                                  "ORDER BY id LIMIT 500")  # fmt: skip
    total = await _ids(db, "SELECT count(*) FROM workers")
    [deep_id] = await _ids(db, f"SELECT id FROM workers ORDER BY id OFFSET {total[0] * 9 // 10} "
                               "LIMIT 1")  # fmt: skip
    [home] = await _ids(db, "SELECT id FROM households WHERE region_code LIKE '3401%' "
                            "ORDER BY id LIMIT 1")  # fmt: skip
    [village] = await _texts(db, f"SELECT region_code FROM households WHERE id = {home}")
    create_lua = (_CREATE_LUA.replace("AREA", CREATE_AREA).replace("HOUSEHOLD", str(home))
                  .replace("REGION", village))  # fmt: skip
    deep = encode_cursor([deep_id])
    # A phone a thousand of the city's changes behind: its sync token, as its last pass left it.
    [behind_seq] = await _ids(db, "SELECT change_seq FROM workers WHERE region_code LIKE '3401%' "
                                  "ORDER BY change_seq DESC OFFSET 1000 LIMIT 1")  # fmt: skip
    behind = sync_token(behind_seq)
    results: list[Result] = []
    cw = ""
    real = common.server(db, APP_PORT, workers=args.workers, pool=args.pool)
    base = common.server(db, BASE_PORT, module="bench.baseline:app", workers=args.workers,
                         pool=args.pool, factory=False)  # fmt: skip
    try:
        await common.wait_until_up(APP_PORT)
        await common.wait_until_up(BASE_PORT, "/api/v1/workers")
        cw = await common.token(APP_PORT, "bench-caseworker")
        admin = await common.token(APP_PORT, "bench-admin")
        api = f"http://127.0.0.1:{APP_PORT}/api/v1"
        cases: list[tuple[str, str, str | None, str | None]] = [
            ("baseline: worker list (bare asyncpg)", f"http://127.0.0.1:{BASE_PORT}/api/v1/workers",
             None, None),
            ("worker list", f"{api}/workers?limit=50", cw, None),
            ("worker by id (audited read)", f"{api}/workers/{city_workers[0]}", cw,
             _lua_paths([f"/api/v1/workers/{i}" for i in city_workers])),
            ("name search (3 chars)", f"{api}/workers?name=%E7%8E%8B%E5%BB%BA%E5%9B%BD", cw,
             None),
            ("sync page", f"{api}/workers?updated_since={behind}&limit=50", cw, None),
            ("matching", f"{api}/workers/{city_workers[0]}/matches?limit=20", cw,
             _lua_paths([f"/api/v1/workers/{i}/matches?limit=20" for i in city_workers])),
            ("worker list, first page (province)", f"{api}/workers?limit=50", admin, None),
            ("worker list, page 90% deep (province)", f"{api}/workers?limit=50&cursor={deep}",
             admin, None),
            ("worker create", f"{api}/workers", cw, create_lua),
            # Last: a slow aggregate keeps PostgreSQL busy after wrk stops.
            ("stats overview (one county)", f"{api}/stats/overview?region=340101&year=2026",
             admin, None),
        ]  # fmt: skip
        for label, url, token, script in cases:
            rps, p50, p99, errors = wrk(url, token=token, connections=args.connections,
                                        duration=args.duration, script=script)  # fmt: skip
            results.append(Result(tier, label, rps, p50, p99, errors))
            if label == "worker list":
                # Past capacity: 256 clients at once get answers (or 503 + Retry-After).
                rps, p50, p99, errors = wrk(url, token=token, connections=256,
                                            duration=args.duration)  # fmt: skip
                results.append(Result(tier, "worker list, 256 connections", rps, p50, p99,
                                      errors))  # fmt: skip
    finally:
        for proc in (real, base):
            proc.terminate()
            proc.wait()
        await _execute(db, f"DELETE FROM workers WHERE id_number LIKE '{CREATE_AREA}%'")
    # The same list with twice the processes (same pool size each).
    two = common.server(db, APP_PORT, workers=args.workers * 2, pool=args.pool)
    try:
        await common.wait_until_up(APP_PORT)
        rps, p50, p99, errors = wrk(f"http://127.0.0.1:{APP_PORT}/api/v1/workers?limit=50",
                                    token=cw, connections=args.connections,
                                    duration=args.duration)  # fmt: skip
        results.append(Result(tier, f"worker list, {args.workers * 2} processes", rps, p50,
                              p99, errors))  # fmt: skip
    finally:
        two.terminate()
        two.wait()
    named = {r.endpoint: r for r in results}
    for label, url, token, _script in cases:
        if label in ("worker list", "name search (3 chars)", "sync page"):
            named[label].round_trips = await round_trips(db, url, token or cw)
    return results


def print_table(results: list[Result]) -> None:
    head = (f"{'tier':<6} {'endpoint':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
            f" {'errors':>7} {'db trips':>9}")  # fmt: skip
    print("\n" + head + "\n" + "-" * len(head))
    for r in results:
        trips = f"{r.round_trips:.1f}" if r.round_trips is not None else "-"
        print(f"{r.tier:<6} {r.endpoint:<40} {r.rps:8.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f}"
              f" {r.errors:7d} {trips:>9}")  # fmt: skip
    tiers = sorted({r.tier for r in results}, key=["small", "large"].index)
    by = {(r.tier, r.endpoint): r for r in results}
    for tier in tiers:
        base, real = by[tier, "baseline: worker list (bare asyncpg)"], by[tier, "worker list"]
        print(f"{tier}: worker list at {real.rps / base.rps:.0%} of the bare baseline")
        first = by[tier, "worker list, first page (province)"]
        deep = by[tier, "worker list, page 90% deep (province)"]
        print(f"{tier}: page 90% deep p99 = {deep.p99_ms / first.p99_ms:.2f}x the first page's")
        doubled = next(r for (t, e), r in by.items() if t == tier and e.endswith("processes"))
        print(f"{tier}: {doubled.endpoint} = {doubled.rps / real.rps:.2f}x the throughput of one")
        print(
            f"{tier}: p99/p50 of the worker list at {real.rps:.0f} req/s = "
            f"{real.p99_ms / real.p50_ms:.1f}"
        )
    if tiers == ["small", "large"]:
        for endpoint in ("worker list", "name search (3 chars)", "sync page", "matching"):
            small, large = by["small", endpoint], by["large", endpoint]
            print(f"p99 large/small, {endpoint}: {large.p99_ms / small.p99_ms:.2f}")


async def bulk_figures(args: argparse.Namespace) -> list[str]:
    """Claims export and bulk import through a real server, and concurrent hires, against
    their raw counterparts: the lines of the second table."""
    from bench import export, imports, matching

    tier = args.tiers.split(",")[-1]
    lines = []
    e = await export.measure(tier)
    lines.append(
        f"{tier:<6} {f'claims export, CSV ({e.rows:,} rows)':<40} {e.rows / e.seconds:>9,.0f} rows/s"
        f"  {e.psql_seconds / e.seconds:5.2f}x psql \\copy  first byte "
        f"{e.first_byte_seconds * 1000:.0f} ms  memory +{e.memory_growth_mib:.1f} MB"
    )
    i = await imports.measure(tier, args.import_rows)
    lines.append(
        f"{tier:<6} {f'bulk import ({i.rows:,} rows)':<40} {i.rows / i.seconds:>9,.0f} rows/s"
        f"  {i.copy_seconds / i.seconds:5.3f}x raw COPY  ({i.seconds:.0f} s)"
    )
    idle, *during = await imports.measure_health(tier, 20_000)
    for probes in during:
        lines.append(
            f"{tier:<6} {f'/healthz {probes.label}':<40} p50 {probes.p50:6.1f} ms  p99 "
            f"{probes.p99:6.1f} ms  (idle: {idle.p50:.1f} / {idle.p99:.1f} ms)"
        )
    db = await common.prepare_tier(tier)
    app = common.bench_app(db)
    hires, seconds, conflicts = await matching._hire_throughput(app, db, 16, 20)
    await app.state.db.dispose()
    lines.append(
        f"{tier:<6} {'hire (16 employers at once, in process)':<40} {hires / seconds:>9,.0f} hires/s"
        f"  {conflicts} conflicts, 0 double hires allowed"
    )
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].strip())
    parser.add_argument("--tiers", default="small,large")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--no-bulk", action="store_true", help="skip export, import and hires")
    args = parser.parse_args()
    started = time.perf_counter()
    results: list[Result] = []
    for tier in args.tiers.split(","):
        results += await bench_tier(tier, args)
    bulk = [] if args.no_bulk else await bulk_figures(args)
    print_table(results)
    if bulk:
        print("\n" + "\n".join(bulk))
    print(f"({args.connections} connections, {args.duration} s per endpoint, "
          f"{args.workers} worker process(es), pool {args.pool}; "
          f"{time.perf_counter() - started:.0f} s in all)")  # fmt: skip


if __name__ == "__main__":
    common.run(main)
