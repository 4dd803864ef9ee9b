"""Test harness: a real database per run (SQLite by default, PostgreSQL when
``JOBPATH_TEST_DATABASE_URL`` names one), migrated once, reset before every test; the app is
driven over ASGI by httpx."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

_TMP = Path(tempfile.mkdtemp(prefix="jobpath-tests-"))
os.environ.update(
    {
        "JOBPATH_ENVIRONMENT": "test",
        "JOBPATH_DATA_DIR": str(_TMP),
        # Cheap hashing keeps the suite fast; the production defaults are in Settings.
        "JOBPATH_ARGON2_TIME_COST": "1",
        "JOBPATH_ARGON2_MEMORY_KIB": "64",
        # The factories count days in UTC (tests.factories.on): so does the test service, at
        # any hour CI runs; the programme's +8 is tested on its own (test_date_bounds).
        "JOBPATH_UTC_OFFSET_HOURS": "0",
        "JOBPATH_JWT_KEYS": json.dumps({"test-2026": "t" * 48, "test-old": "o" * 48}),
        "JOBPATH_JWT_ACTIVE_KID": "test-2026",
        "JOBPATH_AUDIT_KEYS": json.dumps({"audit-2026": "a" * 48, "audit-old": "b" * 48}),
        "JOBPATH_AUDIT_ACTIVE_KID": "audit-2026",
        "JOBPATH_LOG_LEVEL": "INFO",
    }
)
os.environ.pop("DATABASE_URL", None)
os.environ.pop("JOBPATH_DATABASE_URL", None)

import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from httpx import ASGITransport, AsyncClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from app.cli import migrate_to_head  # noqa: E402
from app.core.config import Settings, get_settings  # noqa: E402
from app.core.db import Database  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import metadata  # noqa: E402
from app.services import auth as auth_service  # noqa: E402
from tests import problem_codes  # noqa: E402
from tests.factories import BASE_REGIONS, IDENTITY, Factory, seed_regions  # noqa: E402
from tests.pii import SCAN, LogScan  # noqa: E402

POSTGRES_URL = os.environ.get("JOBPATH_TEST_DATABASE_URL", "")
IS_POSTGRES = POSTGRES_URL.startswith("postgresql")
_TEMPLATE = _TMP / "template.db"
_TEST_DB = _TMP / "test.db"
_SIDE_FILES = ("-wal", "-shm", "-journal")
TEST_URL = POSTGRES_URL if IS_POSTGRES else f"sqlite+aiosqlite:///{_TEST_DB}"


LOG_SCAN = LogScan(SCAN)


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger().addHandler(LOG_SCAN)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when any response or log line carried a full ID number or mobile."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"personal-data scan: {SCAN.responses} responses and {SCAN.log_lines} log lines, "
            f"{len(SCAN.findings)} full ID or mobile numbers outside the audited detail view"
        )
        for finding in SCAN.findings[:20]:
            reporter.write_line(f"  {finding}")
    if SCAN.findings and exitstatus == 0:
        session.exitstatus = 1
    _check_problem_codes(session, reporter)


def _check_problem_codes(session: pytest.Session, reporter: Any) -> None:
    """Fail the run when an answer carried a problem code the catalogue lacks."""
    missing = problem_codes.uncatalogued()
    if reporter is not None:
        reporter.write_line(
            f"problem codes: {len(problem_codes.SEEN)} distinct codes in "
            f"{sum(problem_codes.SEEN.values())} problem answers, {len(missing)} not catalogued"
            + (f": {', '.join(missing)}" if missing else "")
        )
    if missing and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_report_header() -> str:
    return f"jobpath database: {'PostgreSQL ' + POSTGRES_URL if IS_POSTGRES else 'SQLite'}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="PostgreSQL only (set JOBPATH_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _settings(url: str) -> Settings:
    get_settings.cache_clear()
    auth_service.reset_key_ring()
    return get_settings().model_copy(update={"database_url": url})


@pytest.fixture(scope="session")
def migrated_url() -> Iterator[str]:
    """The database every test uses, migrated once and holding the demo region tree."""
    import asyncio

    url = POSTGRES_URL if IS_POSTGRES else f"sqlite+aiosqlite:///{_TEMPLATE}"
    if IS_POSTGRES:
        asyncio.run(_drop_everything(url))
    migrate_to_head(url)
    asyncio.run(_seed_base(url))
    yield url
    shutil.rmtree(_TMP, ignore_errors=True)


async def _drop_everything(url: str) -> None:
    db = Database.from_settings(_settings(url))
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await db.engine.dispose()


async def _seed_base(url: str) -> None:
    db = Database.from_settings(_settings(url))
    async with db.sessionmaker() as session:
        await seed_regions(session)
    await db.engine.dispose()


_KEEP = {"alembic_version", "regions"}


async def _reset_postgres(db: Database) -> None:
    tables = ", ".join(t for t in metadata.tables if t not in _KEEP)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await conn.execute(
            text("DELETE FROM regions WHERE NOT (code = ANY(:codes))"),
            {"codes": list(BASE_REGIONS)},
        )


@pytest.fixture(scope="session")
def shared_app(migrated_url: str) -> FastAPI:
    """One application, and one engine, for the whole run. FastAPI builds an app's routes on
    its first request to each router (about half a second an app) and SQLAlchemy caches
    compiled statements per engine; both are the same in every test, so they are built once,
    and each test gets a clean database at the same place instead (below)."""
    application = create_app(_settings(TEST_URL))
    application.add_middleware(problem_codes.RecordProblemCodes)
    # create_app configures logging afresh: the scan listens to the app's own logger again.
    logging.getLogger("jobpath").addHandler(LOG_SCAN)
    return application


@pytest.fixture
async def database_url(shared_app: FastAPI) -> str:
    """A clean database for this test: the PostgreSQL one emptied, or a fresh copy of the
    migrated SQLite template."""
    db: Database = shared_app.state.db
    await db.dispose()  # the previous test's connections are closed before its data goes
    _settings(TEST_URL)
    if IS_POSTGRES:
        await _reset_postgres(db)
        return TEST_URL
    for leftover in (_TEST_DB, *(_TEST_DB.with_name(_TEST_DB.name + s) for s in _SIDE_FILES)):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(_TEMPLATE, _TEST_DB)
    return TEST_URL


@pytest.fixture
async def app(shared_app: FastAPI, database_url: str) -> AsyncIterator[FastAPI]:
    """The application on this test's clean database."""
    yield shared_app
    await shared_app.state.db.dispose()


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    """A session of the test's own, for arranging data and checking what was written."""
    async with db.sessionmaker() as s:
        yield s


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with AsyncClient(
        transport=transport,
        base_url="http://jobpath.test",
        headers=IDENTITY,  # uncompressed unless a test asks (tests/test_compression.py)
        event_hooks={"response": [SCAN.response]},
    ) as c:
        yield c


@pytest.fixture
async def factory(app: FastAPI, db: Database) -> AsyncIterator[Factory]:
    f = Factory(app=app, db=db)
    yield f
    await f.close()
