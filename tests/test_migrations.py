"""The migrations build exactly the tables the models declare, and unwind cleanly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from alembic import command
from app.cli import ROOT
from app.core.config import get_settings
from app.core.db import create_engine
from app.models import metadata
from tests.conftest import IS_POSTGRES, POSTGRES_URL


@pytest.fixture
async def scratch_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An empty database of the kind under test."""
    if not IS_POSTGRES:
        engine = create_engine(get_settings(), f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
        yield engine
        await engine.dispose()
        return
    base, name = POSTGRES_URL.rsplit("/", 1)
    scratch = f"{name}_migrations"
    admin = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        await conn.execute(text(f'CREATE DATABASE "{scratch}"'))
    engine = create_engine(get_settings(), f"{base}/{scratch}")
    yield engine
    await engine.dispose()
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
    await admin.dispose()


def _alembic(connection: Connection, action: str, revision: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["connection"] = connection
    config.attributes["configure_logger"] = False
    getattr(command, action)(config, revision)


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


class TestMigrations:
    async def test_upgrade_head_builds_exactly_the_declared_tables(
        self, scratch_engine: AsyncEngine
    ) -> None:
        async with scratch_engine.begin() as conn:
            await conn.run_sync(_alembic, "upgrade", "head")
        async with scratch_engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            tables = await conn.run_sync(_tables)
        assert tables == set(metadata.tables) | {"alembic_version"}

    async def test_downgrade_to_base_removes_everything_and_upgrade_restores_it(
        self, scratch_engine: AsyncEngine
    ) -> None:
        async with scratch_engine.begin() as conn:
            await conn.run_sync(_alembic, "upgrade", "head")
        async with scratch_engine.begin() as conn:
            await conn.run_sync(_alembic, "downgrade", "base")
        async with scratch_engine.connect() as conn:
            assert await conn.run_sync(_tables) <= {"alembic_version"}
        async with scratch_engine.begin() as conn:
            await conn.run_sync(_alembic, "upgrade", "head")
        async with scratch_engine.connect() as conn:
            assert await conn.run_sync(_diff) == []

    @pytest.mark.postgres_only
    async def test_audit_log_refuses_updates_and_deletes_on_postgres(
        self, scratch_engine: AsyncEngine
    ) -> None:
        async with scratch_engine.begin() as conn:
            await conn.run_sync(_alembic, "upgrade", "head")
        async with scratch_engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audit_entries (at, action, resource_type, resource_id, "
                    "prev_hash, hash) VALUES (now(), 'x', 'y', '1', 'p', 'h')"
                )
            )
        for statement in ("UPDATE audit_entries SET action = 'z'", "DELETE FROM audit_entries"):
            with pytest.raises(Exception, match="append-only"):
                async with scratch_engine.begin() as conn:
                    await conn.execute(text(statement))
