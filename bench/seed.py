"""Deterministic benchmark data, written through COPY on PostgreSQL.

    python -m bench.seed --tier small|large --url postgresql://postgres@127.0.0.1/jobpath_bench_small

A province-sized region tree (16 cities × 6 counties × 10 townships × 10 villages), households
of about three, and workers with realistic Chinese names (skewed surnames, so name search has
real selectivity), valid resident ID numbers, skills and wishes with skewed popularity, and two
years of ``updated_at`` with the change sequence in the same order. Prints the rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from app.identifiers import resident_id_check_char
from app.services.claim_rules import month_end
from app.services.employments import add_months

SEED = 20261125
PROVINCE = "340000"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
TWO_YEARS = timedelta(days=730)

# Surnames by rough frequency: 王 and 李 alone are ~15 % of people.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉力志红玉兰春梅海燕玲小云飞鹏斌宇浩凯俊峰亮成欣怡佳慧婷雪琳晨晓"
SKILLS = ["sewing", "housekeeping", "pastry", "childcare", "cooking", "elderly_care",
          "construction", "agriculture", "electrician", "welding", "driving", "e_commerce",
          "beauty", "handicraft"]  # fmt: skip
JOBS = ["manufacturing", "garment", "construction", "food_processing", "catering",
        "housekeeping", "cleaning", "security", "logistics", "agriculture", "retail",
        "elderly_care", "childcare", "driving", "e_commerce", "public_welfare"]  # fmt: skip
STATUSES = (
    ["unemployed"] * 5
    + ["employed"] * 8
    + ["self_employed", "assistance_post", "in_training", "unable_to_work"]
)
LOCATIONS = ["local", "in_county", "in_province", "out_of_province"]


@dataclass(frozen=True)
class Tier:
    name: str
    workers: int
    employers: int
    employments: int
    claims: int


TIERS = {
    "1k": Tier("1k", 1_000, 100, 1_000, 100),
    "small": Tier("small", 10_000, 1_000, 10_000, 1_000),
    "large": Tier("large", 1_000_000, 100_000, 2_000_000, 1_000_000),
}


def regions() -> list[tuple[str, str, str, str | None, str]]:
    """(code, name, level, parent, path) for the province tree, root first."""
    rows: list[tuple[str, str, str, str | None, str]] = [
        (PROVINCE, "安徽省(基准)", "province", None, f"{PROVINCE}/")
    ]
    for c in range(1, 17):
        city = f"34{c:02d}00"
        city_path = f"{PROVINCE}/{city}/"
        rows.append((city, f"第{c}市", "city", PROVINCE, city_path))
        for k in range(1, 7):
            county = f"34{c:02d}{k:02d}"
            county_path = f"{city_path}{county}/"
            rows.append((county, f"第{c}市{k}县", "district", city, county_path))
            for t in range(10):
                town = f"{county}{100 + t:03d}"
                town_path = f"{county_path}{town}/"
                rows.append((town, f"{k}县{t}镇", "township", county, town_path))
                for v in range(10):
                    village = f"{town}{201 + v:03d}"
                    rows.append((village, f"{t}镇{v}村", "village", town, f"{town_path}{village}/"))
    return rows


def villages(tree: Sequence[tuple[str, str, str, str | None, str]]) -> list[str]:
    return [code for code, _n, level, _p, _path in tree if level == "village"]


def _skewed(rng: random.Random, items: Sequence[str], k: int) -> list[str]:
    """k distinct items, the first ones far more popular (Zipf-like)."""
    weights = [1 / (i + 1) for i in range(len(items))]
    out: list[str] = []
    while len(out) < k:
        pick = rng.choices(items, weights)[0]
        if pick not in out:
            out.append(pick)
    return out


def person_name(rng: random.Random) -> str:
    surname = rng.choices(SURNAMES, [1 / (i + 1) ** 0.9 for i in range(len(SURNAMES))])[0]
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def id_number(i: int, village: str) -> tuple[str, date, str]:
    """A unique valid resident ID for row i: the county's code, a birth date, a sequence."""
    born = date(1962, 1, 1) + timedelta(days=i % 15_000)
    male = (i // 15_000) % 2 == 0
    seq = ((i // 30_000) * 2 + (1 if male else 0)) % 1000
    body = f"{village[:6]}{born:%Y%m%d}{seq:03d}"
    return body + resident_id_check_char(body), born, "male" if male else "female"


def worker_rows(tier: Tier, places: Sequence[str]) -> Iterator[tuple[object, ...]]:
    rng = random.Random(SEED)
    step = TWO_YEARS / tier.workers
    for i in range(tier.workers):
        village = places[(i // 3) % len(places)]
        number, born, sex = id_number(i, village)
        updated = NOW - TWO_YEARS + step * i
        skills = _skewed(rng, SKILLS, rng.choice((0, 1, 1, 2)))
        yield (
            i + 1, 1, None, i + 1,  # id, version, deleted_at, change_seq
            i // 3 + 1, person_name(rng), number, number[-4:], born, sex,
            f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" if rng.random() < 0.8 else None,
            village, "none" if rng.random() > 0.05 else "level_4", "junior_secondary",
            json.dumps(skills), json.dumps(_skewed(rng, SKILLS, rng.choice((0, 1)))),
            json.dumps(_skewed(rng, JOBS, rng.choice((1, 2)))), rng.choice(LOCATIONS),
            rng.choice(STATUSES), rng.random() > 0.06, None, updated, updated, updated.date(),
        )  # fmt: skip


WORKER_COLUMNS = (
    "id", "version", "deleted_at", "change_seq", "household_id", "full_name", "id_number",
    "id_suffix", "birth_date", "sex", "phone", "region_code", "disability_level", "education",
    "skills", "training_wishes", "job_wishes", "work_location_wish", "employment_status",
    "able_to_work", "notes", "created_at", "updated_at", "registered_on",
)  # fmt: skip


def household_rows(tier: Tier, places: Sequence[str]) -> Iterator[tuple[object, ...]]:
    for h in range((tier.workers + 2) // 3):
        stamp = NOW - TWO_YEARS + (TWO_YEARS / max(1, tier.workers // 3)) * h
        yield (
            h + 1, 1, None, None, f"HH{h + 1:010d}", places[h % len(places)],
            "in_poverty" if h % 4 else "lifted", json.dumps(["lack_of_skills"]), None, None,
            stamp, stamp,
        )  # fmt: skip


def employer_rows(tier: Tier, places: Sequence[str]) -> Iterator[tuple[object, ...]]:
    from app.identifiers import credit_code_check_char

    kinds = ["enterprise"] * 6 + ["cooperative", "workshop", "workshop", "base"]
    for e in range(tier.employers):
        body = f"913400{e:09d}00"[:17]
        body = body[:8] + "".join("0123456789ABCDEFGH"[int(c) % 18] for c in body[8:])
        yield (
            e + 1, 1, f"基准企业{e + 1}", body + credit_code_check_char(body), kinds[e % 10],
            places[(e * 7) % len(places)], None, None, None, True, NOW, NOW, NOW,
        )  # fmt: skip


EMPLOYER_COLUMNS = (
    "id", "version", "name", "credit_code", "kind", "region_code", "contact_name",
    "contact_phone", "address", "verified", "verified_at", "created_at", "updated_at",
)  # fmt: skip


def vacancy_rows(tier: Tier, places: Sequence[str]) -> Iterator[tuple[object, ...]]:
    """Open vacancies: one for every 100 workers (10,000 at a million)."""
    rng = random.Random(SEED + 1)
    for v in range(max(10, tier.workers // 100)):
        low = rng.randrange(200_000, 500_000, 10_000)
        stamp = NOW - timedelta(days=rng.randrange(60))
        yield (
            v + 1, 1, None, None, v % tier.employers + 1, f"岗位{v + 1}",
            rng.choice(JOBS), json.dumps(_skewed(rng, SKILLS, rng.choice((1, 1, 2)))), None,
            rng.randrange(1, 20), 0, low, low + 100_000, places[(v * 13) % len(places)],
            rng.random() < 0.3, rng.random() < 0.2, "open", 1, stamp, stamp,
        )  # fmt: skip


VACANCY_COLUMNS = (
    "id", "version", "deleted_at", "change_seq", "employer_id", "title", "job_type",
    "required_skills", "description", "openings", "filled", "wage_min_fen", "wage_max_fen",
    "work_region_code", "housing_offered", "disability_friendly", "status", "posted_by",
    "created_at", "updated_at",
)  # fmt: skip


def employment_rows(tier: Tier, places: Sequence[str]) -> Iterator[tuple[object, ...]]:
    """Jobs spread over two years: for every worker an earlier job (mostly ended) and, for
    some, a later one; a third of them are stable."""
    rng = random.Random(SEED + 2)
    kinds = ["job"] * 6 + ["workshop", "workshop", "migrant", "self_employed", "assistance_post"]
    first_day = (NOW - TWO_YEARS).date()
    for e in range(tier.employments):
        worker = e % tier.workers
        start = first_day + timedelta(days=rng.randrange(720))
        kind = rng.choice(kinds)
        ended = rng.random() < 0.45
        end = start + timedelta(days=rng.randrange(30, 400)) if ended else None
        end = end if end is None or end < NOW.date() else None
        employer = (
            None if kind in ("self_employed", "migrant") else rng.randrange(tier.employers) + 1
        )
        stamp = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        yield (
            e + 1, 1, None, None, worker + 1, employer, None, None,
            places[(worker // 3) % len(places)], kind, None, start, end,
            "resigned" if end else None, rng.randrange(250_000, 600_000, 1_000), None, None,
            kind == "migrant" and rng.random() < 0.5, employer is not None, stamp, 1, stamp,
            stamp,
        )  # fmt: skip


EMPLOYMENT_COLUMNS = (
    "id", "version", "deleted_at", "change_seq", "worker_id", "employer_id", "vacancy_id",
    "referral_id", "region_code", "kind", "title", "start_date", "end_date", "end_reason",
    "monthly_wage_fen", "work_region_code", "work_place", "organised_export",
    "confirmed_by_employer", "confirmed_at", "recorded_by", "created_at", "updated_at",
)  # fmt: skip


def claim_rows(tier: Tier, places: Sequence[str]) -> Iterator[tuple[object, ...]]:
    """Claims of the on-the-job training policy (policy 1) against the first jobs."""
    rng = random.Random(SEED + 3)
    statuses = ["paid"] * 5 + ["approved"] * 2 + ["submitted"] * 2 + ["draft", "rejected"]
    for c in range(tier.claims):
        employment = c % tier.employments
        worker = employment % tier.workers
        start = (NOW - TWO_YEARS).date() + timedelta(days=rng.randrange(600))
        start = start.replace(day=1)
        units = rng.randrange(1, 7)
        end = month_end(add_months(start, units - 1))
        status = rng.choice(statuses)
        amount = 50_000 * units
        approved = amount if status in ("approved", "paid") else None
        stamp = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(days=40)
        yield (
            c + 1, 1, 1, "on_job_training", "on_job_training", "employer", worker + 1,
            places[(worker // 3) % len(places)], rng.randrange(tier.employers) + 1,
            employment + 1, None, start, end, units, 50_000, amount, None, None, status,
            0, 1, stamp, stamp if approved else None, approved,
            end + timedelta(days=5) if approved else None, stamp if status == "paid" else None,
            amount if status == "paid" else None,
            f"PAY{c:09d}" if status == "paid" else None, None, False, stamp, stamp,
        )  # fmt: skip


CLAIM_COLUMNS = (
    "id", "version", "policy_id", "policy_code", "rule", "payee", "worker_id", "region_code",
    "employer_id", "employment_id", "enrolment_id", "period_start", "period_end", "units",
    "unit_amount_fen", "amount_fen", "bank_account", "notes", "status", "stage", "filed_by",
    "submitted_at", "approved_at", "approved_amount_fen", "notice_ends_on", "paid_at",
    "paid_amount_fen", "payment_reference", "decision_reason", "flagged", "created_at",
    "updated_at",
)  # fmt: skip


HOUSEHOLD_COLUMNS = (
    "id", "version", "deleted_at", "change_seq", "household_number", "region_code",
    "poverty_status", "poverty_causes", "address", "notes", "created_at", "updated_at",
)  # fmt: skip


async def _copy(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: Iterator[tuple[object, ...]]
) -> int:
    """COPY the rows in, with the table's plain indexes dropped and rebuilt after (the way a
    bulk load is done); prints the load rate and the index build time."""
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = $1 AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        table,
    )
    for index in indexes:
        await conn.execute(f'DROP INDEX "{index["indexname"]}"')
    total = await _copy_rows(conn, table, columns, rows)
    started = time.perf_counter()
    for index in indexes:
        await conn.execute(index["indexdef"])
    if indexes:
        print(
            f"  {'':<12} {len(indexes):>10} indexes rebuilt in {time.perf_counter() - started:.1f} s"
        )
    return total


async def _copy_rows(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: Iterator[tuple[object, ...]]
) -> int:
    started, total, batch = time.perf_counter(), 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            await conn.copy_records_to_table(table, records=batch, columns=list(columns))
            total, batch = total + len(batch), []
    if batch:
        await conn.copy_records_to_table(table, records=batch, columns=list(columns))
        total += len(batch)
    elapsed = time.perf_counter() - started
    print(f"  {table:<12} {total:>10,} rows in {elapsed:6.1f} s = {total / elapsed:>9,.0f} rows/s")
    return total


async def seed(url: str, tier: Tier) -> None:
    """Empty the tables and fill them for ``tier`` (the schema must be migrated)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.set_type_codec(
            "jsonb",
            encoder=lambda text: b"\x01" + text.encode(),
            decoder=lambda raw: json.loads(raw[1:]),
            schema="pg_catalog",
            format="binary",
        )
        await conn.execute(
            "TRUNCATE regions, households, workers, visits, users, employers, vacancies,"
            " referrals, employments, follow_ups, recruitment_events, audit_entries,"
            " audit_checkpoints, claims,"
            " claim_periods, claim_reviews, subsidy_policies, enrolments, training_sessions,"
            " training_courses, targets, service_stations,"
            " idempotency_records, auth_sessions, refresh_tokens, login_throttle CASCADE"
        )
        tree = regions()
        places = villages(tree)
        print(f"seeding tier {tier.name} ({tier.workers:,} workers)")
        await _copy(conn, "regions", ("code", "name", "level", "parent_code", "path"), iter(tree))
        await _copy(conn, "households", HOUSEHOLD_COLUMNS, household_rows(tier, places))
        await _copy(conn, "workers", WORKER_COLUMNS, worker_rows(tier, places))
        await _copy(conn, "employers", EMPLOYER_COLUMNS, employer_rows(tier, places))
        await conn.execute(
            "INSERT INTO users (id, version, username, full_name, role, password_hash, is_active,"
            " token_version, password_changed_at, created_at, updated_at)"
            " VALUES (1, 1, 'bench-poster', '基准', 'admin', '!', false, 1, now(), now(), now())"
        )
        await _copy(conn, "vacancies", VACANCY_COLUMNS, vacancy_rows(tier, places))
        await _copy(conn, "employments", EMPLOYMENT_COLUMNS, employment_rows(tier, places))
        await conn.execute(
            "INSERT INTO subsidy_policies (id, version, code, name, rule, payee, amount_fen, unit,"
            " max_units, conditions, review_stages, notice_days, valid_from, region_code,"
            " created_at, updated_at) VALUES (1, 1, 'on_job_training', '以工代训补贴',"
            " 'on_job_training', 'employer', 50000, 'per_month', 6, '{}',"
            " '[\"district_approval\"]', 5, '2024-01-01', $1, now(), now())",
            PROVINCE,
        )
        await _copy(conn, "claims", CLAIM_COLUMNS, claim_rows(tier, places))
        for table in (
            "households",
            "workers",
            "employers",
            "vacancies",
            "users",
            "employments",
            "claims",
            "subsidy_policies",
        ):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        # Future audit ids (the change sequence) must continue above the seeded ones.
        await conn.execute(f"SELECT setval('audit_entries_id_seq', {tier.workers + 1})")
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze in {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=sorted(TIERS), required=True)
    parser.add_argument("--url", required=True, help="postgresql://… (plain libpq URL)")
    args = parser.parse_args()
    asyncio.run(seed(args.url, TIERS[args.tier]))


if __name__ == "__main__":
    main()
