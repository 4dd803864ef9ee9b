"""Shared by the benchmarks: databases per tier, a signed-in client, latency percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import asyncpg
import httpx
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

PG = os.environ.get("JOBPATH_BENCH_PG", "postgres@127.0.0.1:5432")


def libpq_url(db: str) -> str:
    return f"postgresql://{PG}/{db}"


def app_url(db: str) -> str:
    return f"postgresql+asyncpg://{PG}/{db}"


async def ensure_database(db: str) -> None:
    admin = create_async_engine(app_url("postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": db})
        if not exists:
            await conn.execute(text(f'CREATE DATABASE "{db}"'))
    await admin.dispose()


async def count(db: str, table: str) -> int:
    conn = await asyncpg.connect(libpq_url(db))
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    except asyncpg.UndefinedTableError:
        return -1
    finally:
        await conn.close()


async def timed(call: Callable[[], Awaitable[Any]], *, runs: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        await call()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


async def prepare_tier(tier_name: str) -> str:
    """The tier's database, migrated and seeded (reused when it already holds the tier)."""
    import anyio.to_thread

    from app.cli import migrate_to_head
    from bench import seed

    tier = seed.TIERS[tier_name]
    db = f"jobpath_bench_{tier.name}"
    await ensure_database(db)
    await anyio.to_thread.run_sync(migrate_to_head, app_url(db))
    if await count(db, "workers") != tier.workers or await count(db, "claims") != tier.claims:
        await seed.seed(libpq_url(db), tier)
    return db


def bench_app(db: str) -> Any:
    """The real app on ``db``, cheap password hashing (sign-in is not what is measured)."""
    os.environ["JOBPATH_ARGON2_MEMORY_KIB"] = "1024"
    os.environ["JOBPATH_ARGON2_TIME_COST"] = "1"
    os.environ["JOBPATH_LOG_LEVEL"] = "WARNING"
    from app.core.config import get_settings
    from app.main import create_app

    get_settings.cache_clear()
    return create_app(get_settings().model_copy(update={"database_url": app_url(db)}))


async def signed_in(app: Any, username: str, role: str, **scope: Any) -> AsyncClient:
    """A client of a bench user (made on first use, reused after — with the scope it was
    made with, so each scope needs a name of its own)."""
    from app.models import Role
    from app.services import users

    password = BENCH_PASSWORD
    async with app.state.db.sessionmaker() as session:
        # A user made by an earlier run keeps its password and scope.
        with contextlib.suppress(users.UsernameTaken):
            await users.create(
                session,
                actor=None,
                username=username,
                full_name="基准",
                role=Role(role),
                password=password,
                **scope,
            )
    client = AsyncClient(transport=ASGITransport(app=app), base_url="http://bench")
    r = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return client


# -- real servers beside the benchmark -----------------------------------------------------

BENCH_PASSWORD = "bench-password-2026"


def server(
    db: str, port: int, *, module: str = "app.main:create_app", workers: int = 1,
    pool: int = 10, factory: bool = True,
) -> subprocess.Popen[bytes]:  # fmt: skip
    """uvicorn serving ``module`` on ``db`` (cheap password hashing; sign-in is not measured)."""
    env = {
        **os.environ, "DATABASE_URL": app_url(db), "JOBPATH_LOG_LEVEL": "WARNING",
        "JOBPATH_DB_POOL_SIZE": str(pool), "JOBPATH_DB_MAX_OVERFLOW": "0",
        "JOBPATH_DB_POOL_TIMEOUT_SECONDS": "10", "BASELINE_POOL_SIZE": str(pool),
        "JOBPATH_ARGON2_MEMORY_KIB": "1024", "JOBPATH_ARGON2_TIME_COST": "1",
    }  # fmt: skip
    args = [sys.executable, "-m", "uvicorn", module, "--port", str(port), "--workers",
            str(workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    if factory:
        args.append("--factory")
    return subprocess.Popen(args, env=env)


async def wait_until_up(port: int, path: str = "/readyz") -> None:
    async with AsyncClient() as client:
        for _ in range(150):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"http://127.0.0.1:{port}{path}")).status_code < 500:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


async def token(port: int, username: str) -> str:
    """An access token of a bench user from the server on ``port``."""
    async with AsyncClient() as client:
        r = await client.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            data={"username": username, "password": BENCH_PASSWORD},
        )
        return str(r.json()["access_token"])
