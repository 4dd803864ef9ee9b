"""Visits: a caseworker records a visit to a worker or a household, with an optional GPS point
and the status changes decided there, which update the subject in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Visit
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    Factory,
    ago,
    audit_entries,
    count_rows,
    error_fields,
    new_household,
    new_visit,
    new_worker,
    problem,
    visit_body,
)

WORKERS = "/api/v1/workers"
HOUSEHOLDS = "/api/v1/households"
VISITS = "/api/v1/visits"


async def visit_ids(c: AsyncClient, path: str, *, limit: int = 50) -> list[int]:
    """Every visit id a visit list shows, in its order, following next_cursor to the end."""
    ids: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await c.get(path, params=params)
        assert r.status_code == 200, r.text
        ids += [v["id"] for v in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return ids


async def read(c: AsyncClient, path: str) -> dict[str, Any]:
    r = await c.get(path)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


class TestWorkerVisit:
    async def test_a_visit_with_a_gps_point_is_recorded(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        body = visit_body(kind="policy_briefing", latitude=32.7912, longitude=116.8651)
        r = await cw.post(f"{WORKERS}/{worker['id']}/visits", json=body)
        assert r.status_code == 201, r.text
        visit = r.json()
        assert visit["worker_id"] == worker["id"]
        assert visit["household_id"] == worker["household_id"]
        assert visit["region_code"] == worker["region_code"]
        assert visit["kind"] == "policy_briefing"
        assert (visit["latitude"], visit["longitude"]) == (32.7912, 116.8651)
        assert visit["notes"] == body["notes"]
        assert visit["status_changes"] is None
        assert datetime.fromisoformat(visit["visited_at"]) == datetime.fromisoformat(
            body["visited_at"]
        )
        entries = await audit_entries(session, action="visit.create", resource_id=visit["id"])
        assert len(entries) == 1
        assert await audit_entries(session, action="worker.status_changed_at_visit") == []

    async def test_a_visit_without_a_gps_point_is_recorded(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        visit = await new_visit(cw, worker["id"], latitude=None, longitude=None)
        assert (visit["latitude"], visit["longitude"]) == (None, None)

    @pytest.mark.parametrize(
        "kind", ["survey", "follow_up", "policy_briefing", "training_mobilisation"]
    )
    async def test_every_kind_of_visit_is_accepted(self, factory: Factory, kind: str) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        assert (await new_visit(cw, worker["id"], kind=kind))["kind"] == kind

    async def test_the_time_is_stored_in_utc(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        beijing = datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0)
        sent = beijing - timedelta(hours=2)
        visit = await new_visit(cw, worker["id"], visited_at=sent.isoformat())
        stored = datetime.fromisoformat(visit["visited_at"])
        assert stored == sent
        assert stored.utcoffset() == timedelta(0)
        listed = (await read(cw, f"{WORKERS}/{worker['id']}/visits"))["items"][0]
        assert listed["visited_at"] == visit["visited_at"]

    async def test_a_clock_a_few_minutes_ahead_is_tolerated(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        await new_visit(cw, worker["id"], visited_at=ago(minutes=-5))

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"latitude": 91}, "body.latitude"),
            ({"latitude": -90.0001}, "body.latitude"),
            ({"longitude": -181}, "body.longitude"),
            ({"longitude": 180.5}, "body.longitude"),
            ({"latitude": "north"}, "body.latitude"),
            ({"kind": "party"}, "body.kind"),
            ({"visited_at": "2026-11-20T08:00:00"}, "body.visited_at"),
            ({"visited_at": "yesterday"}, "body.visited_at"),
            ({"visited_at": "0001-01-01T00:00:00+01:00"}, "body.visited_at"),
            ({"notes": "记" * 4001}, "body.notes"),
            ({"caseworker_id": 1}, "body.caseworker_id"),
            ({"worker_id": 1}, "body.worker_id"),
            ({"status_changes": {"employment_status": "retired"}}, None),
            ({"status_changes": {"poverty_status": "lifted"}}, None),
        ],
    )
    async def test_a_bad_visit_is_refused_and_writes_nothing(
        self, factory: Factory, session: AsyncSession, fields: dict[str, Any], field: str | None
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        r = await cw.post(f"{WORKERS}/{worker['id']}/visits", json=visit_body(**fields))
        fields_named = error_fields(problem(r, 422, "validation_failed"))
        if field is not None:
            assert fields_named == {field}
        else:
            assert all(f.startswith("body.status_changes.") for f in fields_named), fields_named
        assert await count_rows(session, Visit) == 0
        unchanged = await read(cw, f"{WORKERS}/{worker['id']}")
        assert (unchanged["employment_status"], unchanged["version"]) == ("unemployed", 1)

    @pytest.mark.parametrize("only", [{"latitude": None}, {"longitude": None}])
    async def test_half_a_gps_point_is_refused(
        self, factory: Factory, session: AsyncSession, only: dict[str, None]
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        r = await cw.post(f"{WORKERS}/{worker['id']}/visits", json=visit_body(**only))
        body = problem(r, 422, "validation_failed")
        assert "latitude and longitude" in str(body["errors"])
        assert await count_rows(session, Visit) == 0

    async def test_a_visit_in_the_future_is_refused(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        r = await cw.post(
            f"{WORKERS}/{worker['id']}/visits", json=visit_body(visited_at=ago(minutes=-15))
        )
        assert error_fields(problem(r, 422, "date_in_future")) == {"body.visited_at"}
        assert await count_rows(session, Visit) == 0

    async def test_status_changes_update_the_worker_and_are_audited(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        visit = await new_visit(
            cw,
            worker["id"],
            kind="follow_up",
            status_changes={"employment_status": "employed", "able_to_work": True},
        )
        # able_to_work was already true: only the real change is recorded.
        assert visit["status_changes"] == {
            "employment_status": {"before": "unemployed", "after": "employed"}
        }
        r = await cw.get(f"{WORKERS}/{worker['id']}")
        assert (r.json()["employment_status"], r.json()["version"]) == ("employed", 2)
        assert r.headers["ETag"] == '"2"'
        changed = await audit_entries(
            session, action="worker.status_changed_at_visit", resource_id=worker["id"]
        )
        assert len(changed) == 1
        assert changed[0].changes["employment_status"] == {
            "before": "unemployed",
            "after": "employed",
        }
        assert changed[0].changes["_note"] == {"visit_id": visit["id"]}
        assert len(await audit_entries(session, action="visit.create")) == 1

    async def test_a_worker_found_unable_to_work_is_marked_so(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        await new_visit(
            cw,
            worker["id"],
            status_changes={"employment_status": "unable_to_work", "able_to_work": False},
        )
        seen = await read(cw, f"{WORKERS}/{worker['id']}")
        assert (seen["employment_status"], seen["able_to_work"]) == ("unable_to_work", False)
        listed = await cw.get(WORKERS, params={"able_to_work": "false"})
        assert [w["id"] for w in listed.json()["items"]] == [worker["id"]]

    async def test_a_visit_without_changes_leaves_the_worker_alone(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        await new_visit(cw, worker["id"], status_changes={"employment_status": "unemployed"})
        assert (await read(cw, f"{WORKERS}/{worker['id']}"))["version"] == 1
        assert await audit_entries(session, action="worker.status_changed_at_visit") == []

    async def test_a_visit_to_a_worker_of_another_township_is_404(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        worker = await new_worker(pingwei, region=PINGWEI_VILLAGE)
        cw = await factory.as_role("caseworker", region=QIJI)
        r = await cw.post(
            f"{WORKERS}/{worker['id']}/visits",
            json=visit_body(status_changes={"employment_status": "employed"}),
        )
        problem(r, 404, "worker_not_found")
        problem(await cw.get(f"{WORKERS}/{worker['id']}/visits"), 404, "worker_not_found")
        assert await count_rows(session, Visit) == 0
        assert (await read(pingwei, f"{WORKERS}/{worker['id']}"))["version"] == 1

    async def test_a_removed_worker_cannot_be_visited(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        admin = await factory.as_role("admin")
        assert (await admin.delete(f"{WORKERS}/{worker['id']}")).status_code == 204
        r = await cw.post(f"{WORKERS}/{worker['id']}/visits", json=visit_body())
        problem(r, 404, "worker_not_found")

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_cannot_record_visits(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        other = await factory.as_role(role)
        r = await other.post(f"{WORKERS}/{worker['id']}/visits", json=visit_body())
        problem(r, 403, "forbidden")
        assert await count_rows(session, Visit) == 0

    async def test_a_retried_visit_is_recorded_once(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        body = visit_body(status_changes={"employment_status": "employed"})
        headers = {"Idempotency-Key": "visit-2026-11-25-0001"}
        first = await cw.post(f"{WORKERS}/{worker['id']}/visits", json=body, headers=headers)
        again = await cw.post(f"{WORKERS}/{worker['id']}/visits", json=body, headers=headers)
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json()["id"] == first.json()["id"]
        assert await count_rows(session, Visit) == 1
        assert (await read(cw, f"{WORKERS}/{worker['id']}"))["version"] == 2


class TestHouseholdVisit:
    async def test_a_poverty_status_change_at_a_visit_updates_the_household(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw, poverty_status="in_poverty")
        r = await cw.post(
            f"{HOUSEHOLDS}/{household['id']}/visits",
            json=visit_body(status_changes={"poverty_status": "lifted"}),
        )
        assert r.status_code == 201, r.text
        visit = r.json()
        assert (visit["household_id"], visit["worker_id"]) == (household["id"], None)
        assert visit["status_changes"] == {
            "poverty_status": {"before": "in_poverty", "after": "lifted"}
        }
        seen = await cw.get(f"{HOUSEHOLDS}/{household['id']}")
        assert (seen.json()["poverty_status"], seen.json()["version"]) == ("lifted", 2)
        changed = await audit_entries(
            session, action="household.status_changed_at_visit", resource_id=household["id"]
        )
        assert len(changed) == 1
        assert len(await audit_entries(session, action="visit.create")) == 1

    @pytest.mark.parametrize(
        "changes", [{"poverty_status": "rich"}, {"employment_status": "employed"}]
    )
    async def test_a_bad_household_status_change_writes_nothing(
        self, factory: Factory, session: AsyncSession, changes: dict[str, str]
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        r = await cw.post(
            f"{HOUSEHOLDS}/{household['id']}/visits", json=visit_body(status_changes=changes)
        )
        problem(r, 422, "validation_failed")
        assert await count_rows(session, Visit) == 0
        assert (await read(cw, f"{HOUSEHOLDS}/{household['id']}"))["version"] == 1

    async def test_a_household_of_another_township_is_404(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        household = await new_household(pingwei, region=PINGWEI_VILLAGE)
        cw = await factory.as_role("caseworker", region=QIJI)
        r = await cw.post(f"{HOUSEHOLDS}/{household['id']}/visits", json=visit_body())
        problem(r, 404, "household_not_found")
        r = await cw.get(f"{HOUSEHOLDS}/{household['id']}/visits")
        problem(r, 404, "household_not_found")
        assert await count_rows(session, Visit) == 0

    async def test_gps_out_of_range_is_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        r = await cw.post(f"{HOUSEHOLDS}/{household['id']}/visits", json=visit_body(latitude=91))
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.latitude"}


class TestListVisits:
    async def test_a_workers_visits_are_listed_newest_first(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        other = await new_worker(cw)
        middle = await new_visit(cw, worker["id"], visited_at=ago(hours=3))
        newest = await new_visit(cw, worker["id"], visited_at=ago(hours=1))
        # Recorded last, but made first: a phone that was offline uploads it late.
        oldest = await new_visit(cw, worker["id"], visited_at=ago(days=3))
        await new_visit(cw, other["id"])
        expected = [newest["id"], middle["id"], oldest["id"]]
        assert await visit_ids(cw, f"{WORKERS}/{worker['id']}/visits") == expected
        assert await visit_ids(cw, f"{WORKERS}/{worker['id']}/visits", limit=1) == expected

    async def test_a_households_visits_are_listed_newest_first(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        member = await new_worker(cw, household_id=household["id"])
        path = f"{HOUSEHOLDS}/{household['id']}/visits"
        first = await cw.post(path, json=visit_body(visited_at=ago(hours=6)))
        second = await cw.post(path, json=visit_body(visited_at=ago(hours=2)))
        late = await cw.post(path, json=visit_body(visited_at=ago(days=2)))
        at_member = await new_visit(cw, member["id"], visited_at=ago(hours=4))
        ids = await visit_ids(cw, path, limit=2)
        # A visit to a member is a visit to the household too.
        assert ids == [
            second.json()["id"],
            at_member["id"],
            first.json()["id"],
            late.json()["id"],
        ]

    async def test_all_visits_lists_only_those_in_scope(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker", region=QIJI)
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        own_worker = await new_worker(cw)
        other_worker = await new_worker(pingwei, region=PINGWEI_VILLAGE)
        own = [(await new_visit(cw, own_worker["id"]))["id"] for _ in range(2)]
        other = [(await new_visit(pingwei, other_worker["id"]))["id"] for _ in range(2)]
        assert sorted(await visit_ids(cw, VISITS)) == sorted(own)
        assert sorted(await visit_ids(pingwei, VISITS)) == sorted(other)
        auditor = await factory.as_role("auditor", region=PINGWEI)
        assert sorted(await visit_ids(auditor, VISITS)) == sorted(other)
        admin = await factory.as_role("admin")
        assert sorted(await visit_ids(admin, VISITS, limit=1)) == sorted(own + other)

    async def test_an_auditor_in_scope_reads_a_workers_visits(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        visit = await new_visit(cw, worker["id"])
        auditor = await factory.as_role("auditor", region=QIJI)
        assert await visit_ids(auditor, f"{WORKERS}/{worker['id']}/visits") == [visit["id"]]

    async def test_employers_cannot_list_visits(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        household = await new_household(cw)
        boss = await factory.as_role("employer")
        for path in (
            VISITS,
            f"{WORKERS}/{worker['id']}/visits",
            f"{HOUSEHOLDS}/{household['id']}/visits",
        ):
            problem(await boss.get(path), 403, "forbidden")
