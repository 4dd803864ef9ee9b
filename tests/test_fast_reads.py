"""The hot read path: on PostgreSQL a list page and the token check run on the driver itself
and the database renders the page; what a phone receives is the same either way, a dead
connection still answers 503 and then recovers, a remembered token still expires, and the
connection queue serves requests in the order they came."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from fastapi import Response
from httpx import AsyncClient
from sqlalchemy import event, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import tokens
from app.core.config import get_settings
from app.core.db import Database
from app.models import Worker
from app.pagination import Page, SyncPage, answer
from app.schemas.workers import WorkerSummary
from app.services import auth
from tests.conftest import IS_POSTGRES
from tests.factories import Factory, new_worker


@contextmanager
def cursor_events(db: Database) -> Iterator[dict[str, list[str]]]:
    """The statements SQLAlchemy announced, and those it then ran through its own cursor."""
    seen: dict[str, list[str]] = {"announced": [], "through_sqlalchemy": []}

    def before(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        seen["announced"].append(statement)

    def after(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        seen["through_sqlalchemy"].append(statement)

    engine = db.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


async def test_a_worker_page_and_its_token_check_run_on_the_driver_on_postgresql(
    factory: Factory, db: Database
) -> None:
    cw = await factory.as_role("caseworker")
    for _ in range(3):
        await new_worker(cw)
    with cursor_events(db) as seen:
        r = await cw.get("/api/v1/workers", params={"limit": 2})
    assert r.status_code == 200
    assert len(r.json()["items"]) == 2
    assert len(seen["announced"]) == 2  # the token's user, then the page
    # SQLite has no driver path: SQLAlchemy runs both there.
    assert len(seen["through_sqlalchemy"]) == (0 if IS_POSTGRES else 2)


async def test_a_listed_worker_is_the_detail_views_summary_masked(
    factory: Factory, session: AsyncSession
) -> None:
    cw = await factory.as_role("caseworker")
    made = [await new_worker(cw, phone=f"1380013{n:04d}", skills=["sewing"]) for n in range(3)]
    await new_worker(cw)  # no phone
    deleted = await new_worker(cw)
    admin = await factory.as_role("admin")
    assert (await admin.delete(f"/api/v1/workers/{deleted['id']}")).status_code == 204
    modes: list[dict[str, Any]] = [{"limit": 2}, {"updated_since": "2020-01-01T00:00:00Z"}]
    for params in modes:
        listed, cursor = [], None
        while True:
            r = await cw.get(
                "/api/v1/workers", params={**params, "cursor": cursor} if cursor else params
            )
            assert r.status_code == 200, r.text
            listed += r.json()["items"]
            if (cursor := r.json()["next_cursor"]) is None:
                break
        rows = (await session.scalars(select(Worker).order_by(col(Worker.id)))).all()
        expected = {
            w.id: WorkerSummary.from_record(w).model_dump(mode="json")
            for w in rows
            if "updated_since" in params or w.deleted_at is None
        }
        assert {item["id"]: item for item in listed} == expected
        assert len(listed) == len(expected)
    first = next(item for item in listed if item["id"] == made[0]["id"])
    assert first["id_number"].count("*") == 8
    assert first["phone"] == "138****0000"
    assert first["birth_date"] is None


@pytest.mark.postgres_only
async def test_connections_killed_under_the_pool_answer_503_then_recover(
    factory: Factory, db: Database
) -> None:
    cw = await factory.as_role("caseworker")
    await new_worker(cw)
    assert (await cw.get("/api/v1/workers")).status_code == 200
    async with db.sessionmaker() as admin_session:
        await admin_session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    answers = [(await cw.get("/api/v1/workers")).status_code for _ in range(3)]
    assert set(answers) <= {200, 503}, answers
    assert answers[-1] == 200, answers


async def test_a_remembered_token_is_refused_once_it_expires(factory: Factory) -> None:
    cw = await factory.as_role("caseworker")
    settings, ring = get_settings(), auth.key_ring()
    signed: dict[str, Any] = {
        "keys": ring,
        "issuer": settings.jwt_issuer,
        "audience": settings.jwt_audience,
    }
    claims = tokens.decode(cw.headers["Authorization"][7:], expected="access", **signed)
    # The same sign-in, in a token that lives two seconds.
    brief = tokens.encode(replace(claims, expires_at=int(time.time()) + 2), **signed)
    cw.headers["Authorization"] = f"Bearer {brief}"
    assert (await cw.get("/api/v1/auth/me")).status_code == 200  # verified, now remembered
    await asyncio.sleep(max(0.0, claims_end(brief, signed) - time.time()) + 0.2)
    assert (await cw.get("/api/v1/auth/me")).status_code == 401


def claims_end(token: str, signed: dict[str, Any]) -> float:
    return float(tokens.decode(token, expected="access", **signed).expires_at)


def one_connection(db: Database, *, timeout: float) -> Database:
    """The test's database behind a queue that admits one request at a time."""
    return replace(db, capacity=1, admission_timeout_seconds=timeout)


async def test_requests_waiting_for_a_connection_are_admitted_in_arrival_order(
    db: Database,
) -> None:
    gate = one_connection(db, timeout=2.0)
    order: list[int] = []
    release = asyncio.Event()

    async def first() -> None:
        async with gate.admitted():
            await release.wait()

    async def waiter(n: int) -> None:
        async with gate.admitted():
            order.append(n)

    holder = asyncio.create_task(first())
    await asyncio.sleep(0)
    waiters = []
    for n in range(5):
        waiters.append(asyncio.create_task(waiter(n)))
        await asyncio.sleep(0)  # each is queued before the next arrives
    release.set()
    # A newcomer while the queue drains waits its turn behind them.
    late = asyncio.create_task(waiter(99))
    await asyncio.gather(holder, *waiters, late)
    assert order == [0, 1, 2, 3, 4, 99]


async def test_a_request_that_waits_too_long_for_a_connection_gets_a_pool_timeout(
    db: Database,
) -> None:
    gate = one_connection(db, timeout=0.05)
    async with gate.admitted():
        with pytest.raises(sa_exc.TimeoutError):
            async with gate.admitted():
                pass
    async with gate.admitted():  # the turn that timed out is not kept
        pass


async def test_the_client_sees_a_503_problem_when_no_connection_frees_up(
    factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    cw: AsyncClient = await factory.as_role("caseworker")
    db = factory.db
    monkeypatch.setattr(db, "admission_timeout_seconds", 0.05)
    monkeypatch.setattr(db, "_gate", asyncio.Semaphore(0))
    r = await cw.get("/api/v1/workers")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "database_unavailable"
    assert r.headers["Retry-After"]


def test_a_page_the_database_rendered_goes_out_whole_however_it_is_serialised() -> None:
    page = Page[int](items=[], next_cursor="abc")
    page._rendered_items = "[1,2,3]"
    synced = page.to(SyncPage[int])
    synced.sync_token = "tok"
    response = answer(synced)
    assert isinstance(response, Response)
    assert json.loads(bytes(response.body)) == {
        "items": [1, 2, 3],
        "next_cursor": "abc",
        "sync_token": "tok",
    }
    # A route that forgot `answer` still sends the items, through its response model.
    assert json.loads(synced.model_dump_json())["items"] == [1, 2, 3]
    plain = Page[int](items=[4])
    assert answer(plain) is plain
