"""Bytes on the wire: a township's first sync and a week's catch-up, uncompressed and as
gzip, Brotli and Zstandard.

    python -m bench.wire [--workers 5000] [--changed 0.05] [--reuse]

Builds one township of ``--workers`` labourers on its own PostgreSQL database
(jobpath_bench_wire, made afresh; bench/seed.py's region tree, names, ID numbers and
skills) through the API, the way a county brings them in: the registry imported as a CSV,
a visit to each labourer, jobs for one in five (their follow-ups scheduled by the service),
referrals to vacancies, enrolments in training sessions. Then a caseworker of that township
pulls every list the phone syncs from scratch (``updated_since`` from the epoch, pages of
the largest limit, until no next cursor), once per Accept-Encoding; changes ``--changed`` of
the labourers and their visits (a week's work); and pulls the changes since the first
sync's tokens, again once per encoding (``--reuse``: measure the township an earlier run
built, without building it again). Prints the bytes (bodies as sent; headers counted
apart) and their ratio to identity, and what one 50-row worker page weighs.

In process (ASGI, no sockets): the bytes are the ones the app sends; a proxy adds nothing.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from httpx import AsyncClient

from app.pagination import MAX_LIMIT
from bench import common, seed

DB = "jobpath_bench_wire"
TOWN = "340101100"  # 1县0镇 of bench/seed.py's province
VILLAGES = [f"{TOWN}{201 + v:03d}" for v in range(10)]
ENCODINGS = ("identity", "gzip", "br", "zstd")
# Every list a phone keeps offline, with its sync query.
SYNCED = {
    "workers": "/api/v1/workers",
    "households": "/api/v1/households",
    "visits": "/api/v1/visits",
    "employments": "/api/v1/employments",
    "follow-ups": "/api/v1/follow-ups",
    "referrals": "/api/v1/referrals",
    "enrolments": "/api/v1/training/enrolments",
    "vacancies": "/api/v1/vacancies",
    "training sessions": "/api/v1/training/sessions",
    "recruitment events": "/api/v1/recruitment-events",
    "claims": "/api/v1/claims",
    "photos": "/api/v1/photos",
}
EPOCH = "2000-01-01T00:00:00Z"
STATUSES = ["未就业"] * 5 + ["已就业"] * 6 + ["务工", "自主创业", "公益性岗位", "培训中"]
SKILLS_ZH = ["缝纫", "家政", "面点", "育婴", "厨师", "养老护理", "建筑", "种养殖", "电工", "焊工",
             "驾驶", "电商", "美容美发", "手工"]  # fmt: skip
JOBS_ZH = ["制造业", "服装", "建筑", "食品加工", "餐饮", "家政", "保洁", "保安", "物流", "零售"]


def registry_csv(n: int) -> bytes:
    """The township's registry as the county keeps it: households of about three."""
    rng = random.Random(seed.SEED)
    lines = ["户编号,姓名,身份证号,联系电话,行政区划代码,贫困状态,致贫原因,文化程度,技能,"
             "培训意愿,就业意向工种,务工地点意愿,就业状态,是否有劳动能力\n"]  # fmt: skip
    for i in range(n):
        village = VILLAGES[(i // 3) % len(VILLAGES)]
        number, _born, _sex = seed.id_number(i, village)
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" if rng.random() < 0.8 else ""
        skills = "、".join(rng.sample(SKILLS_ZH, rng.choice((0, 1, 1, 2))))
        wishes = "、".join(rng.sample(SKILLS_ZH, rng.choice((0, 1))))
        jobs = "、".join(rng.sample(JOBS_ZH, rng.choice((1, 2))))
        lines.append(
            f"W{TOWN}{i // 3:05d},{seed.person_name(rng)},{number},{phone},{village},"
            f"{rng.choice(('未脱贫', '已脱贫', '已脱贫', '监测户'))},"
            f"{rng.choice(('因病', '缺技术', '缺劳力', '因残'))},"
            f"{rng.choice(('小学', '初中', '初中', '高中'))},{skills},{wishes},{jobs},"
            f"{rng.choice(('乡镇内', '县内', '省内', '省外'))},{rng.choice(STATUSES)},"
            f"{'否' if rng.random() < 0.06 else '是'}\n"
        )
    return "".join(lines).encode()


async def _fresh_database() -> None:
    from app.cli import migrate_to_head

    admin = await asyncpg.connect(common.libpq_url("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await admin.close()
    import anyio.to_thread

    await anyio.to_thread.run_sync(migrate_to_head, common.app_url(DB))
    conn = await asyncpg.connect(common.libpq_url(DB))
    try:
        tree = [r for r in seed.regions() if r[0][:4] == "3401" or r[0] == seed.PROVINCE]
        await seed._copy_rows(conn, "regions", ("code", "name", "level", "parent_code", "path"),
                              iter(tree))  # fmt: skip
    finally:
        await conn.close()


def _ok(r: Any, *status: int) -> Any:
    assert r.status_code in (status or (200, 201)), r.text
    return r.json()


async def build(app: Any, workers: int) -> AsyncClient:
    """The township through the API; returns its caseworker's client."""
    started = time.perf_counter()
    admin = await common.signed_in(app, "wire-admin", "admin", region_code=seed.PROVINCE)
    cw = await common.signed_in(app, "wire-caseworker", "caseworker", region_code=TOWN)
    report = _ok(await admin.post("/api/v1/workers/import",
                                  files={"file": ("registry.csv", registry_csv(workers),
                                                  "text/csv")}))  # fmt: skip
    assert not [r for r in report.get("rows", []) if r.get("status") == "error"][:1], report
    ids = await _all_ids(cw, "/api/v1/workers")
    print(f"  {len(ids):,} labourers imported in {time.perf_counter() - started:.0f} s")
    rng = random.Random(seed.SEED + 7)
    now = datetime.now(UTC)
    for n, worker_id in enumerate(ids):
        _ok(await cw.post(f"/api/v1/workers/{worker_id}/visits", json={
            "kind": rng.choice(("survey", "follow_up", "policy_briefing")),
            "visited_at": (now - timedelta(hours=1 + n % 48)).isoformat(),
            "latitude": 32.79 + rng.random() / 100, "longitude": 116.86 + rng.random() / 100,
            "notes": rng.choice(("入户走访，了解就业意愿", "宣传务工补贴政策", "家中无人，电话联系",
                                 "已在本村扶贫车间务工", None)),
        }))  # fmt: skip
    from app.models.base import programme_today

    today = programme_today().isoformat()
    for worker_id in ids[::5]:
        _ok(await cw.post("/api/v1/employments", json={
            "worker_id": worker_id, "kind": rng.choice(("migrant", "self_employed")),
            "title": rng.choice(("建筑工", "电商运营", "养殖", "外出务工")), "start_date": today,
            "monthly_wage_fen": rng.randrange(250_000, 600_000, 1_000),
        }))  # fmt: skip
    employer = _ok(await admin.post("/api/v1/employers", json={
        "name": "潘集服装扶贫车间", "credit_code": _credit_code(), "kind": "workshop",
        "region_code": VILLAGES[0],
    }))  # fmt: skip
    _ok(await admin.post(f"/api/v1/employers/{employer['id']}/verify"))
    boss = await common.signed_in(app, "wire-employer", "employer", employer_id=employer["id"])
    vacancies = [
        _ok(await boss.post("/api/v1/vacancies", json={
            "title": title, "job_type": job, "required_skills": skills, "openings": 50,
            "wage_min_fen": 300_000, "work_region_code": VILLAGES[v % 10],
            "description": "包午餐，就近务工，可照顾家庭。",
        }))["id"]
        for v, (title, job, skills) in enumerate((("缝纫工", "garment", ["sewing"]),
                                                  ("面点师", "catering", ["pastry"]),
                                                  ("保洁员", "cleaning", [])))
    ]  # fmt: skip
    for n, worker_id in enumerate(ids[1::10]):
        _ok(
            await cw.post(
                "/api/v1/referrals",
                json={
                    "worker_id": worker_id,
                    "vacancy_id": vacancies[n % 3],
                    "notes": "有意向，推荐面试",
                },
            )
        )
    course = _ok(
        await admin.post(
            "/api/v1/training/courses", json={"type": "sewing", "name": "缝纫工培训", "hours": 80}
        )
    )
    start = programme_today() + timedelta(days=7)
    enrol = ids[2::10]
    for s in range(0, len(enrol), 500):
        session_id = _ok(await admin.post("/api/v1/training/sessions", json={
            "course_id": course["id"], "provider": "潘集区职业培训学校", "township_code": TOWN,
            "start_date": start.isoformat(), "end_date": (start + timedelta(days=20)).isoformat(),
            "capacity": 500,
        }))["id"]  # fmt: skip
        for worker_id in enrol[s : s + 500]:
            _ok(await cw.post(f"/api/v1/training/sessions/{session_id}/enrolments",
                              json={"worker_id": worker_id}))  # fmt: skip
    await admin.aclose()
    await boss.aclose()
    print(f"  township built in {time.perf_counter() - started:.0f} s")
    return cw


def _credit_code() -> str:
    from app.identifiers import CREDIT_ALPHABET, credit_code_check_char

    body = "9134040" + "".join(CREDIT_ALPHABET[i % 31] for i in range(10))
    return body + credit_code_check_char(body)


async def _all_ids(c: AsyncClient, path: str) -> list[int]:
    ids, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": MAX_LIMIT, **({"cursor": cursor} if cursor else {})}
        page = _ok(await c.get(path, params=params))
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids


@dataclass
class Pull:
    """What one sync of every list put on the wire."""

    body: int = 0
    headers: int = 0
    requests: int = 0
    rows: int = 0
    tokens: dict[str, str] = field(default_factory=dict)


async def sync(c: AsyncClient, encoding: str, since: dict[str, str] | None = None) -> Pull:
    """Every synced list, page after page at the largest limit, as a phone pulls it."""
    pull = Pull()
    for name, path in SYNCED.items():
        cursor = None
        while True:
            params: dict[str, Any] = {
                "limit": MAX_LIMIT,
                "updated_since": (since or {}).get(name, EPOCH),
            }
            if cursor:
                params["cursor"] = cursor
            r = await c.get(path, params=params, headers={"Accept-Encoding": encoding})
            page = _ok(r)
            pull.body += r.num_bytes_downloaded
            pull.headers += sum(len(k) + len(v) + 4 for k, v in r.headers.raw) + 17
            pull.requests += 1
            pull.rows += len(page["items"])
            assert r.headers.get("content-encoding", "identity") == encoding or (
                encoding != "identity" and len(r.content) < 500
            ), (encoding, r.headers)
            cursor = page["next_cursor"]
            if not cursor:
                pull.tokens[name] = page["sync_token"]
                break
    return pull


async def week_of_changes(c: AsyncClient, share: float) -> int:
    """Edits to ``share`` of the labourers and a new visit to each: what a week brings."""
    ids = await _all_ids(c, "/api/v1/workers")
    rng = random.Random(seed.SEED + 9)
    changed = rng.sample(ids, max(1, int(len(ids) * share)))
    stamp = int(time.time())  # a new number on every run, so a reused township changes too
    for worker_id in changed:
        read = await c.get(f"/api/v1/workers/{worker_id}")
        _ok(await c.patch(f"/api/v1/workers/{worker_id}",
                          json={"phone": f"139{(rng.randrange(10**8) + stamp) % 10**8:08d}"},
                          headers={"If-Match": read.headers["ETag"]}))  # fmt: skip
        _ok(await c.post(f"/api/v1/workers/{worker_id}/visits", json={
            "kind": "follow_up", "visited_at": datetime.now(UTC).isoformat(),
            "notes": "回访：电话已更新"}))  # fmt: skip
    return len(changed)


def _table(title: str, pulls: dict[str, Pull]) -> Iterator[str]:
    base = pulls["identity"]
    yield f"\n{title}: {base.rows:,} rows in {base.requests} requests"
    yield f"{'encoding':<10} {'body bytes':>12} {'of identity':>12} {'+ headers':>12} {'of identity':>12}"
    for name, pull in pulls.items():
        total, base_total = pull.body + pull.headers, base.body + base.headers
        yield (f"{name:<10} {pull.body:>12,} {pull.body / base.body:>11.1%} {total:>12,}"
               f" {total / base_total:>11.1%}")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=5000)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the township an earlier run left"
    )
    args = parser.parse_args()
    if args.reuse:
        app = common.bench_app(DB)
        cw = await common.signed_in(app, "wire-caseworker", "caseworker", region_code=TOWN)
    else:
        print(f"building a township of {args.workers:,} labourers on {DB}")
        await _fresh_database()
        app = common.bench_app(DB)
        cw = await build(app, args.workers)
    first = {e: await sync(cw, e) for e in ENCODINGS}
    tokens = first["identity"].tokens
    changed = await week_of_changes(cw, args.changed)
    catch_up = {e: await sync(cw, e, since=tokens) for e in ENCODINGS}
    page = {}
    for e in ENCODINGS:
        r = await cw.get("/api/v1/workers", params={"limit": 50}, headers={"Accept-Encoding": e})
        page[e] = r.num_bytes_downloaded
    for line in _table("first sync of the township", first):
        print(line)
    for line in _table(f"a week's catch-up ({changed:,} labourers edited and visited)", catch_up):
        print(line)
    print("\none 50-row worker page: " + ", ".join(
        f"{e} {n:,} B ({n / page['identity']:.1%})" for e, n in page.items()))  # fmt: skip
    await cw.aclose()
    await app.state.db.engine.dispose()


if __name__ == "__main__":
    common.run(main)
