"""A database that is down or a pool that is exhausted answers 503 with Retry-After, fast."""

from __future__ import annotations

import time

from httpx import ASGITransport, AsyncClient

from app.core.config import get_settings
from app.main import create_app
from tests.factories import Factory


async def test_an_unreachable_database_answers_503_with_retry_after_quickly() -> None:
    settings = get_settings().model_copy(
        update={
            "database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
            "db_connect_timeout_seconds": 1.0,
        }
    )
    app = create_app(settings)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as c:
        started = time.perf_counter()
        ready = await c.get("/readyz")
        me = await c.get("/api/v1/auth/me", headers={"Authorization": "Bearer x.y.z"})
        login = await c.post("/api/v1/auth/token", data={"username": "a", "password": "b"})
        elapsed = time.perf_counter() - started
    await app.state.db.engine.dispose()
    for response in (ready, login):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "database_unavailable"
        assert int(response.headers["Retry-After"]) >= 1
    # A malformed token is refused before the database is needed.
    assert me.status_code == 401
    assert elapsed < 10


async def test_an_exhausted_pool_answers_503_not_500_and_recovers(factory: Factory) -> None:
    caseworker = await factory.as_role("caseworker")
    db = factory.db
    pool = db.engine.pool
    default_timeout, pool._timeout = pool._timeout, 0.3  # type: ignore[attr-defined]
    capacity = get_settings().db_pool_size + get_settings().db_max_overflow
    held = [await db.engine.connect() for _ in range(capacity)]
    try:
        busy = await caseworker.get("/api/v1/auth/me")
    finally:
        for conn in held:
            await conn.close()
        pool._timeout = default_timeout  # type: ignore[attr-defined]
    assert busy.status_code == 503, busy.text
    assert busy.headers["content-type"] == "application/problem+json"
    assert "Retry-After" in busy.headers
    again = await caseworker.get("/api/v1/auth/me")
    assert again.status_code == 200
