"""Offline sync: a phone that was away catches up in one paginated pass, every row once.

The phone keeps a copy of the workers of its caseworker's scope. While it is offline the
server changes records (many in one instant), deletes one, and — on PostgreSQL — commits one
change late (its row was written before a change that committed first). One sync pass with
the token of the previous pass must bring the phone exactly up to date.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlmodel import col

from app.core.db import Database
from app.models import Role, Worker
from app.scope import Actor
from app.services import audit
from tests.factories import QIJI, Factory, new_household, new_worker

EPOCH = "2000-01-01T00:00:00Z"


class Phone:
    """The app's offline copy: records by id, and the token of its last sync."""

    def __init__(self, client: AsyncClient, path: str, **filters: Any) -> None:
        self.client, self.path, self.filters = client, path, filters
        self.records: dict[int, dict[str, Any]] = {}
        self.token = EPOCH

    async def sync(self, *, limit: int = 2) -> list[int]:
        """One pass, page by page; returns the ids received, in order."""
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {**self.filters, "updated_since": self.token, "limit": limit}
            if cursor:
                params["cursor"] = cursor
            r = await self.client.get(self.path, params=params)
            assert r.status_code == 200, r.text
            page = r.json()
            for item in page["items"]:
                seen.append(item["id"])
                if item["deleted"]:
                    self.records.pop(item["id"], None)
                else:
                    self.records[item["id"]] = item
            cursor = page["next_cursor"]
            if cursor is None:
                self.token = page["sync_token"]
                return seen


async def _server_view(client: AsyncClient, path: str) -> dict[int, int]:
    """id → version of every live record the caseworker may see, by the plain list."""
    out: dict[int, int] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(path, params=params)).json()
        out.update({i["id"]: i["version"] for i in page["items"]})
        if not (cursor := page["next_cursor"]):
            return out


async def _same_instant(db: Database, ids: list[int], moment: datetime) -> None:
    """Give several workers one identical updated_at (ties at a page edge)."""
    async with db.sessionmaker() as s:
        await s.execute(update(Worker).where(col(Worker.id).in_(ids)).values(updated_at=moment))
        await s.commit()


class TestWorkerSync:
    async def test_one_pass_brings_an_offline_phone_exactly_up_to_date(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        admin = await factory.as_role("admin")
        household = await new_household(cw)
        workers = [await new_worker(cw, household_id=household["id"]) for _ in range(7)]
        phone = Phone(cw, "/api/v1/workers")
        first = await phone.sync()
        assert sorted(first) == sorted(w["id"] for w in workers)
        assert len(first) == len(set(first))

        # Offline: four edits stamped with the same instant, one deletion, one new worker.
        edited = [w["id"] for w in workers[:4]]
        for wid in edited:
            etag = (await cw.get(f"/api/v1/workers/{wid}")).headers["ETag"]
            r = await cw.patch(
                f"/api/v1/workers/{wid}",
                json={"employment_status": "employed"},
                headers={"If-Match": etag},
            )
            assert r.status_code == 200, r.text
        await _same_instant(factory.db, edited, datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
        assert (await admin.delete(f"/api/v1/workers/{workers[5]['id']}")).status_code == 204
        newcomer = await new_worker(cw, household_id=household["id"])

        second = await phone.sync()
        assert len(second) == len(set(second)), "a record came twice in one pass"
        assert set(second) == {*edited, workers[5]["id"], newcomer["id"]}
        server = await _server_view(cw, "/api/v1/workers")
        assert {i: r["version"] for i, r in phone.records.items()} == server
        assert all(
            r["employment_status"] == "employed" for i, r in phone.records.items() if i in edited
        )

        assert await phone.sync() == [], "nothing changed, nothing sent"

    async def test_records_outside_the_scope_never_reach_the_phone(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        other = await factory.as_role("caseworker", region="340406100")
        await new_worker(other, region="340406100201")
        mine = await new_worker(cw)
        phone = Phone(cw, "/api/v1/workers")
        assert await phone.sync() == [mine["id"]]

    async def test_an_unreadable_token_is_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        for bad in ("yesterday", "2026-11-25T08:00:00", "c3luYw", "W1sic3luYyIsLTFdXQ"):
            r = await cw.get("/api/v1/workers", params={"updated_since": bad})
            assert r.status_code == 422, (bad, r.text)
            assert r.headers["content-type"] == "application/problem+json"

    @pytest.mark.postgres_only
    async def test_a_change_that_commits_late_is_not_lost(self, factory: Factory) -> None:
        cw_user = await factory.user(Role.caseworker)
        cw = await factory.as_user(cw_user)
        household = await new_household(cw)
        slow = await new_worker(cw, household_id=household["id"])
        quick = await new_worker(cw, household_id=household["id"])
        phone = Phone(cw, "/api/v1/workers")
        await phone.sync()

        async with factory.db.sessionmaker() as late:
            # A slow transaction writes its row first ...
            row = await late.get(Worker, slow["id"])
            assert row is not None
            row.full_name = "迟到的修改"
            await late.flush()
            # ... another change commits meanwhile, and the phone syncs past it ...
            etag = (await cw.get(f"/api/v1/workers/{quick['id']}")).headers["ETag"]
            r = await cw.patch(
                f"/api/v1/workers/{quick['id']}",
                json={"notes": "quick"},
                headers={"If-Match": etag},
            )
            assert r.status_code == 200, r.text
            assert await phone.sync() == [quick["id"]]
            # ... and only then does the slow one commit.
            assert cw_user.id is not None
            actor = Actor(cw_user.id, cw_user.username, Role.caseworker, QIJI, None, None, "-")
            await audit.record(
                late,
                actor=actor,
                action="worker.update",
                resource_type="worker",
                resource_id=row.id,
                region_code=row.region_code,
                stamp=row,
            )
            await late.commit()

        assert await phone.sync() == [slow["id"]]
        assert phone.records[slow["id"]]["full_name"] == "迟到的修改"


class TestHouseholdAndVisitSync:
    async def test_households_and_visits_sync_the_same_way(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        worker = await new_worker(cw, household_id=household["id"])
        households, visits = Phone(cw, "/api/v1/households"), Phone(cw, "/api/v1/visits")
        assert await households.sync() == [household["id"]]
        assert await visits.sync() == []

        visit = await cw.post(
            f"/api/v1/workers/{worker['id']}/visits",
            json={"kind": "follow_up", "visited_at": "2026-11-24T09:30:00Z"},
        )
        assert visit.status_code == 201, visit.text
        etag = (await cw.get(f"/api/v1/households/{household['id']}")).headers["ETag"]
        r = await cw.patch(
            f"/api/v1/households/{household['id']}",
            json={"poverty_status": "lifted"},
            headers={"If-Match": etag},
        )
        assert r.status_code == 200, r.text

        assert await visits.sync() == [visit.json()["id"]]
        assert await households.sync() == [household["id"]]
        assert households.records[household["id"]]["poverty_status"] == "lifted"
