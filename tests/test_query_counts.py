"""No N+1 anywhere: every list endpoint sends the database as many statements for a page of
100 as for a page of 10, and the worker list, search and sync page take one statement for the
page plus one for the caller's token.

The statements are counted where they leave SQLAlchemy for the driver, on a district with
more than ten of each record the lists show. A list route added later joins the check by
itself (it is found by its response model); one whose path needs an id must say where to take
it from in ``PATH_IDS``, or the guard test fails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import event

from app.core.db import Database
from app.pagination import Page, SyncPage
from tests.factories import (
    QIJI,
    Factory,
    employer_user,
    enrol,
    file_claim,
    hire,
    month,
    new_household,
    new_policy,
    new_training_session,
    new_vacancy,
    new_visit,
    new_worker,
    on,
    refer,
    visit_body,
)
from tests.routes import api_routes

MANY = 12  # more than the small page, so a per-row query would show


def list_routes() -> list[tuple[str, bool]]:
    """(path under /api/v1, takes updated_since) of every GET route that answers a page."""
    return sorted(
        (route.path, issubclass(route.response_model, SyncPage))
        for route in api_routes()
        if "GET" in (route.methods or set())
        and isinstance(route.response_model, type)
        and issubclass(route.response_model, Page)
    )


# Where each path's id comes from in the district built below.
PATH_IDS = {
    "household_id": "household",
    "session_id": "training",
    "vacancy_id": "vacancy",
    "visit_id": "visit",
    "worker_id": "worker",
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@dataclass
class District:
    clients: dict[str, AsyncClient]
    ids: dict[str, int]


async def build_district(factory: Factory) -> District:
    """祁集镇 with MANY of everything a list shows: households and workers, visits to one
    worker and one household, referrals and hires, follow-ups, enrolments, claims."""
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker")
    _employer, boss = await employer_user(factory)
    auditor = await factory.as_role("auditor")
    await new_policy(admin, "on_job_training")
    vacancy = await new_vacancy(boss, openings=MANY * 2)
    training = await new_training_session(admin, capacity=MANY * 2)
    hired_workers = [await new_worker(cw, skills=["sewing"]) for _ in range(MANY)]
    trainees = [await new_worker(cw, training_wishes=["pastry"]) for _ in range(MANY)]
    worker, household_id = hired_workers[0], hired_workers[0]["household_id"]
    visits = [await new_visit(cw, worker["id"]) for _ in range(MANY)]
    for _ in range(MANY):
        r = await cw.post(f"/api/v1/households/{household_id}/visits", json=visit_body())
        assert r.status_code == 201, r.text
    for owner in (
        f"visits/{visits[0]['id']}",
        f"households/{household_id}",
        f"workers/{worker['id']}",
    ):
        for n in range(MANY // 3):
            photo = {"file": (f"{n}.png", PNG, "image/png")}
            assert (await cw.post(f"/api/v1/{owner}/photos", files=photo)).status_code == 201
    for person in hired_workers:
        referral = await refer(cw, person["id"], vacancy["id"])
        await factory.backdate(worker_id=person["id"], referral_id=referral["id"], days=250)
        r = await hire(boss, referral["id"], start_date=on(250))
        assert r.status_code == 200, r.text
        claim = {"policy_code": "on_job_training", "worker_id": person["id"],
                 "employment_id": r.json()["employment_id"], "period_start": month(6),
                 "period_end": month(1)}  # fmt: skip
        await file_claim(boss, claim)
    for person in trainees:
        assert (await enrol(cw, training["id"], person["id"])).status_code == 201
    await new_household(cw)
    return District(
        clients={"admin": admin, "caseworker": cw, "employer": boss, "auditor": auditor},
        ids={
            "household": household_id,
            "training": training["id"],
            "vacancy": vacancy["id"],
            "visit": visits[0]["id"],
            "worker": worker["id"],
        },
    )


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs, on either engine."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    engines = {db.engine.sync_engine, db.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


async def statements(
    db: Database, client: AsyncClient, path: str, params: dict[str, Any]
) -> tuple[int, int, list[str]]:
    """(status, items, statements sent) of one GET."""
    with counting(db) as sent:
        r = await client.get(path, params=params)
    items = len(r.json().get("items", [])) if r.status_code == 200 else 0
    return r.status_code, items, list(sent)


ROLES = ("admin", "caseworker", "employer", "auditor")


def test_every_path_id_of_a_list_route_has_a_source() -> None:
    names = {n for path, _ in list_routes() for n in re.findall(r"{(\w+)}", path)}
    assert names <= set(PATH_IDS), names - set(PATH_IDS)


async def test_no_list_endpoint_sends_more_statements_for_a_bigger_page(
    factory: Factory, db: Database
) -> None:
    district = await build_district(factory)
    checked, growing = [], []
    for route, syncs in list_routes():
        path = "/api/v1" + re.sub(
            r"{(\w+)}", lambda m: str(district.ids[PATH_IDS[m.group(1)]]), route
        )
        for mode in ({}, {"updated_since": "2020-01-01T00:00:00Z"}) if syncs else ({},):
            for role in ROLES:
                client = district.clients[role]
                small = await statements(db, client, path, {**mode, "limit": 10})
                if small[0] == 403:
                    continue
                big = await statements(db, client, path, {**mode, "limit": 100})
                assert small[0] == big[0] == 200, (route, role, small[0], big[0])
                label = f"{route}{' (sync)' if mode else ''} as {role}"
                checked.append((label, small[1], big[1], len(small[2])))
                if len(big[2]) != len(small[2]):
                    growing.append(f"{label}: {len(small[2])} → {len(big[2])} statements")
                break
            else:
                pytest.fail(f"no role may read {route}")
    assert not growing, growing
    # Every route was exercised, and the main lists with more than a small page of rows.
    assert len(checked) >= len(list_routes())
    full = {label: (n10, n100) for label, n10, n100, _ in checked if n100 > 10}
    for name in ("/workers as", "/visits as", "/referrals as", "/employments as",
                 "/follow-ups as", "/claims as", "/audit-log as"):  # fmt: skip
        assert any(label.startswith(name) for label in full), (name, sorted(full))


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 50},
        {"limit": 50, "name": "王"},
        {"limit": 50, "id_suffix": "1234"},
        {"limit": 50, "updated_since": "2020-01-01T00:00:00Z"},
    ],
    ids=["list", "name search", "ID suffix search", "sync page"],
)
async def test_a_worker_page_is_one_statement_plus_one_for_the_token(
    factory: Factory, db: Database, params: dict[str, Any]
) -> None:
    cw = await factory.as_role("caseworker", region=QIJI)
    for _ in range(3):
        await new_worker(cw)
    status, _items, sent = await statements(db, cw, "/api/v1/workers", params)
    assert status == 200
    assert len(sent) == 2, sent


async def test_a_sync_that_finds_nothing_new_is_one_statement_and_keeps_its_token(
    factory: Factory, db: Database
) -> None:
    cw = await factory.as_role("caseworker", region=QIJI)
    await new_worker(cw)
    first = await cw.get("/api/v1/workers", params={"updated_since": "2020-01-01T00:00:00Z"})
    token = first.json()["sync_token"]
    status, items, sent = await statements(db, cw, "/api/v1/workers", {"updated_since": token})
    assert (status, items) == (200, 0)
    assert len(sent) == 2, sent  # the caller's token, the page
    again = await cw.get("/api/v1/workers", params={"updated_since": token})
    assert again.json()["sync_token"] == token
