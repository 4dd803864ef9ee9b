"""Faults, proven from the outside: a database that goes away mid-burst, a pool exhausted by
slow requests, clients that hang up mid-request, two app processes on one database, and a
failure injected after the audit entry of a write."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.cli import migrate_to_head
from app.core.db import Database
from app.deps import SessionDep
from app.main import create_app
from app.models import AuditEntry, Household, Role
from app.services import users
from tests.conftest import IS_POSTGRES, _settings
from tests.factories import PASSWORD, XUGANG, Factory, seed_regions


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    return versions[-1] if versions else Path("/nonexistent")


PG_BIN = _pg_bin()


def household(n: int | str) -> dict[str, Any]:
    return {"household_number": f"HHF{n}", "region_code": XUGANG, "poverty_status": "in_poverty"}


async def _client(app: FastAPI, username: str, *, raise_errors: bool = True) -> AsyncClient:
    transport = ASGITransport(app=app, raise_app_exceptions=raise_errors)
    client = AsyncClient(transport=transport, base_url="http://jobpath")
    r = await client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return client


# -- a PostgreSQL of our own, to stop and start ---------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A throwaway PostgreSQL cluster (initdb) the test may stop and start at will."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="jobpath-pg-"))
        self.port = _free_port()
        shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "jp")

    def _run(self, tool: str, *args: str) -> None:
        # A fixed tool from PostgreSQL's own bin folder, run as the postgres user.
        command = ["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args]
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/jp"

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.dir / "data"),
            "-w",
            "-l",
            str(self.dir / "log"),
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not IS_POSTGRES or not (PG_BIN / "initdb").exists() or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL's own binaries and root (to run them as postgres)")
    made = Cluster()
    try:
        migrate_to_head(made.url)
        yield made
    finally:
        made.remove()


async def _seed_user(db: Database, username: str, role: Role, **scope: Any) -> None:
    async with db.sessionmaker() as session:
        await users.create(session, actor=None, username=username, full_name="测试",
                           role=role, password=PASSWORD, **scope)  # fmt: skip


@pytest.mark.postgres_only
async def test_postgres_stopped_mid_burst_answers_503_fast_writes_nothing_half_and_recovers(
    cluster: Cluster,
) -> None:
    settings = _settings(cluster.url).model_copy(
        update={"db_connect_timeout_seconds": 1.0, "db_pool_timeout_seconds": 1.0}
    )
    app = create_app(settings)
    db: Database = app.state.db
    async with db.sessionmaker() as session:
        await seed_regions(session)
    await _seed_user(db, "burst", Role.caseworker, region_code="340406107")
    client = await _client(app, "burst")

    async def write(n: int) -> tuple[int, float, str | None]:
        started = time.perf_counter()
        r = await client.post("/api/v1/households", json=household(f"{n}-{uuid.uuid4().hex[:6]}"))
        return r.status_code, time.perf_counter() - started, r.headers.get("Retry-After")

    first = asyncio.gather(*(write(n) for n in range(30)))
    await asyncio.sleep(0.05)
    await asyncio.to_thread(cluster.stop)
    during = await first
    after_stop = await asyncio.gather(*(write(100 + n) for n in range(10)))
    for status, seconds, retry_after in [*during, *after_stop]:
        assert status in (201, 503), status
        if status == 503:
            assert retry_after is not None
            assert seconds < 5, seconds
    assert any(status == 503 for status, _s, _r in after_stop)

    await asyncio.to_thread(cluster.start)
    recovered = [await write(200 + n) for n in range(5)]
    assert recovered[-1][0] == 201, recovered  # no restart of the app needed
    async with db.sessionmaker() as session:
        made = await session.scalar(select(func.count()).select_from(Household))
        audited = await session.scalar(
            select(func.count()).select_from(AuditEntry)
            .where(col(AuditEntry.action) == "household.create")
        )  # fmt: skip
    assert made == audited, "a household without its audit entry (or the reverse)"
    assert made == sum(1 for s, _t, _r in [*during, *after_stop, *recovered] if s == 201)
    await client.aclose()
    await db.dispose()


# -- slow requests, hang-ups --------------------------------------------------------------


@pytest.fixture
async def slow_app(database_url: str) -> AsyncIterator[FastAPI]:
    """The app with a tiny pool and a test-only route that holds its connection."""
    settings = _settings(database_url).model_copy(
        update={"db_pool_size": 2, "db_max_overflow": 0, "db_pool_timeout_seconds": 0.5}
    )
    app = create_app(settings)

    async def hold(session: SessionDep, seconds: float = 1.5) -> dict[str, str]:
        """Write something and sit on the open transaction (test-only)."""
        await session.execute(text("SELECT 1"))
        session.add(Household.model_validate(household(uuid.uuid4().hex[:10])))
        await session.flush()
        await asyncio.sleep(seconds)
        await session.commit()
        return {"held": "yes"}

    app.add_api_route("/test/hold", hold, methods=["POST"])
    await _seed_user(app.state.db, "slow", Role.admin, region_code="340406")
    yield app
    await app.state.db.dispose()


async def test_an_exhausted_pool_answers_503_and_leaks_no_connection(slow_app: FastAPI) -> None:
    client = await _client(slow_app, "slow")
    anon = AsyncClient(transport=ASGITransport(app=slow_app), base_url="http://jobpath")
    holders = asyncio.gather(*(anon.post("/test/hold") for _ in range(2)))
    await asyncio.sleep(0.3)
    started = time.perf_counter()
    busy = await client.get("/api/v1/auth/me")
    waited = time.perf_counter() - started
    assert busy.status_code == 503, busy.text
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["Retry-After"]
    assert waited < 3
    assert [r.status_code for r in await holders] == [200, 200]
    pool = slow_app.state.db.engine.pool
    assert pool.checkedout() == 0, "a connection leaked"
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    await client.aclose()
    await anon.aclose()


async def test_a_client_that_hangs_up_leaves_no_open_transaction(slow_app: FastAPI) -> None:
    anon = AsyncClient(transport=ASGITransport(app=slow_app), base_url="http://jobpath")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anon.post("/test/hold", params={"seconds": 5}), timeout=0.5)
    await asyncio.sleep(0.2)
    pool = slow_app.state.db.engine.pool
    assert pool.checkedout() == 0, "the hung-up request kept its connection"
    db: Database = slow_app.state.db
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Household)) == 0
        if IS_POSTGRES:
            stuck = await session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"))  # fmt: skip
            assert stuck == 0
    await anon.aclose()


# -- two app processes on one database ----------------------------------------------------


async def test_two_app_processes_share_throttling_idempotency_and_revocation(
    database_url: str, factory: Factory
) -> None:
    user = await factory.user(Role.caseworker)
    one, two = create_app(_settings(database_url)), create_app(_settings(database_url))
    try:
        a, b = await _client(one, user.username), await _client(two, user.username)
        key = {"Idempotency-Key": f"two-apps-{uuid.uuid4().hex}"}
        body = household(uuid.uuid4().hex[:8])
        first = await a.post("/api/v1/households", json=body, headers=key)
        again = await b.post("/api/v1/households", json=body, headers=key)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()

        for _ in range(5):
            r = await AsyncClient(transport=ASGITransport(app=one), base_url="http://x").post(
                "/api/v1/auth/token", data={"username": user.username, "password": "wrong"}
            )
            assert r.status_code in (401, 429)
        locked = await AsyncClient(transport=ASGITransport(app=two), base_url="http://x").post(
            "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
        )
        assert locked.status_code == 429, "process two did not see process one's failures"

        assert (await a.post("/api/v1/auth/logout")).status_code == 204
        token = a.headers["Authorization"]
        replay = await AsyncClient(transport=ASGITransport(app=two), base_url="http://x").get(
            "/api/v1/auth/me", headers={"Authorization": token}
        )
        assert replay.status_code == 401, "process two still accepted a revoked sign-in"
    finally:
        await one.state.db.dispose()
        await two.state.db.dispose()


# -- the audit entry and its write share one transaction ----------------------------------


async def test_a_failure_after_the_audit_entry_rolls_back_both(
    factory: Factory, app: FastAPI, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await factory.user(Role.caseworker)
    client = await _client(app, user.username, raise_errors=False)
    before = await session.scalar(select(func.count()).select_from(AuditEntry))
    await session.rollback()

    async def boom(self: AsyncSession) -> None:
        raise RuntimeError("injected after the audit entry was written")

    monkeypatch.setattr(AsyncSession, "commit", boom)
    r = await client.post("/api/v1/households", json=household(uuid.uuid4().hex[:8]))
    monkeypatch.undo()
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "injected" not in r.text
    assert await session.scalar(select(func.count()).select_from(Household)) == 0
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before
    await session.rollback()
    await client.aclose()


async def test_each_write_adds_exactly_one_audit_entry(
    factory: Factory, session: AsyncSession
) -> None:
    cw = await factory.as_role("caseworker")
    before = await session.scalar(select(func.count()).select_from(AuditEntry))
    await session.rollback()
    r = await cw.post("/api/v1/households", json=household(uuid.uuid4().hex[:8]))
    assert r.status_code == 201
    after = await session.scalar(select(func.count()).select_from(AuditEntry))
    await session.rollback()
    assert after == (before or 0) + 1
