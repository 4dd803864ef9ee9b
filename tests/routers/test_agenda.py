"""GET /me/agenda: what a caseworker has to do, each item with why and a link, in their
scope only, paged across kinds."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select, text, update
from sqlmodel import col

from app.core.config import get_settings
from app.models import Worker
from app.pagination import encode_cursor
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    Factory,
    ago,
    claim_body,
    employer_user,
    enrol,
    error_fields,
    file_claim,
    hired,
    move_claim,
    new_policy,
    new_training_session,
    new_vacancy,
    new_visit,
    new_worker,
    on,
    problem,
    refer,
    visit_body,
)

AGENDA = "/api/v1/me/agenda"


async def agenda(
    c: AsyncClient, *, limit: int = 200, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every item of the agenda, page after page."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        r = await c.get(AGENDA, params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def of(
    items: list[dict[str, Any]], kind: str, record_id: int | None = None
) -> list[dict[str, Any]]:
    return [i for i in items if i["kind"] == kind and record_id in (None, i["record_id"])]


async def registered_days_ago(factory: Factory, worker_id: int, days: int) -> None:
    """The worker entered the register ``days`` ago (history an admin would bring in)."""
    async with factory.db.sessionmaker() as session:
        await session.execute(
            update(Worker)
            .where(col(Worker.id) == worker_id)
            .values(registered_on=date.fromisoformat(on(days)))
        )
        await session.commit()


class TestFollowUps:
    async def test_an_overdue_check_is_listed_until_it_is_recorded(self, factory: Factory) -> None:
        job = await hired(factory, days_ago=40)
        [item] = of(await agenda(job.cw), "follow_up")
        assert item["reason_code"] == "follow_up_overdue"
        assert "1-month follow-up" in item["reason"]
        assert item["worker_id"] == job.worker["id"]
        assert item["link"] == f"/api/v1/employments/{job.employment['id']}"
        assert item["due_on"] < on()
        r = await job.cw.post(
            f"/api/v1/follow-ups/{item['record_id']}",
            json={"still_employed": True, "monthly_wage_fen": 350000},
        )
        assert r.status_code == 200, r.text
        assert of(await agenda(job.cw), "follow_up") == []

    async def test_a_check_not_yet_due_is_not_listed(self, factory: Factory) -> None:
        job = await hired(factory, days_ago=10)
        assert of(await agenda(job.cw), "follow_up") == []


class TestReturnedClaims:
    async def test_a_returned_claim_is_listed_until_it_is_submitted_again(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin")
        await new_policy(admin, "on_job_training")
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        await move_claim(job.boss, claim["id"], "submit")
        assert of(await agenda(job.cw), "claim_returned") == []
        await move_claim(admin, claim["id"], "return", reason="缺少考勤表")
        [item] = of(await agenda(job.cw), "claim_returned")
        assert (item["record_id"], item["since"]) == (claim["id"], on())
        assert item["link"] == f"/api/v1/claims/{claim['id']}"
        await move_claim(job.boss, claim["id"], "submit")
        assert of(await agenda(job.cw), "claim_returned") == []

    async def test_a_new_draft_is_not_a_returned_claim(self, factory: Factory) -> None:
        await new_policy(await factory.as_role("admin"), "on_job_training")
        job = await hired(factory)
        await file_claim(job.boss, claim_body(job))
        assert of(await agenda(job.cw), "claim_returned") == []


class TestEnrolmentsEnding:
    async def test_an_enrolment_ending_soon_is_listed_until_completed(
        self, factory: Factory
    ) -> None:
        admin, cw = await factory.as_role("admin"), await factory.as_role("caseworker")
        ending = await new_training_session(admin, end_date=on(-3))
        later = await new_training_session(admin, end_date=on(-30))
        soon, not_yet = await new_worker(cw), await new_worker(cw)
        enrolment = (await enrol(cw, ending["id"], soon["id"])).json()
        assert (await enrol(cw, later["id"], not_yet["id"])).status_code == 201
        [item] = of(await agenda(cw), "enrolment_ending")
        assert (item["record_id"], item["due_on"]) == (enrolment["id"], on(-3))
        assert (item["reason_code"], item["worker_id"]) == ("enrolment_ending", soon["id"])
        assert item["link"] == f"/api/v1/training/enrolments/{enrolment['id']}"
        r = await cw.post(
            f"/api/v1/training/enrolments/{enrolment['id']}/complete",
            json={"certificate_number": "C-1"},
        )
        assert r.status_code == 200, r.text
        assert of(await agenda(cw), "enrolment_ending") == []


class TestNotVisited:
    async def test_a_labourer_never_visited_is_listed_until_visited(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        old, new = await new_worker(cw), await new_worker(cw)
        await registered_days_ago(factory, old["id"], 100)
        await registered_days_ago(factory, new["id"], 10)
        [item] = of(await agenda(cw), "not_visited")
        assert (item["record_id"], item["reason_code"]) == (old["id"], "never_visited")
        assert (item["since"], item["due_on"]) == (on(100), on(10))
        assert item["link"] == f"/api/v1/workers/{old['id']}"
        await new_visit(cw, old["id"])
        assert of(await agenda(cw), "not_visited") == []

    async def test_a_labourer_last_visited_long_ago_is_listed(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        person = await new_worker(cw)
        await registered_days_ago(factory, person["id"], 400)
        await new_visit(cw, person["id"], visited_at=ago(days=120))
        [item] = of(await agenda(cw), "not_visited")
        assert (item["reason_code"], item["since"]) == ("not_visited", on(120))
        assert "Not visited since" in item["reason"]

    async def test_a_visit_to_the_household_counts_for_its_labourers(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        person = await new_worker(cw)
        await registered_days_ago(factory, person["id"], 100)
        r = await cw.post(f"/api/v1/households/{person['household_id']}/visits", json=visit_body())
        assert r.status_code == 201, r.text
        assert of(await agenda(cw), "not_visited") == []

    async def test_an_old_visit_uploaded_late_does_not_undo_a_recent_one(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        person = await new_worker(cw)
        await registered_days_ago(factory, person["id"], 400)
        await new_visit(cw, person["id"])
        await new_visit(cw, person["id"], visited_at=ago(days=200))
        assert of(await agenda(cw), "not_visited") == []

    async def test_the_setting_changes_the_threshold(
        self, factory: Factory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cw = await factory.as_role("caseworker")
        person = await new_worker(cw)
        await registered_days_ago(factory, person["id"], 10)
        assert of(await agenda(cw), "not_visited") == []
        monkeypatch.setattr(get_settings(), "agenda_unvisited_days", 7)
        [item] = of(await agenda(cw), "not_visited")
        assert (item["record_id"], item["due_on"]) == (person["id"], on(3))
        assert "7 days" in item["reason"]


class TestLastVisitBackfill:
    async def test_the_migration_fills_the_last_visit_from_the_visits_so_far(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        alone, first = await new_worker(cw), await new_worker(cw)
        sibling = await new_worker(cw, household_id=first["household_id"])
        await new_visit(cw, alone["id"], visited_at=ago(days=30))
        await new_visit(cw, alone["id"], visited_at=ago(days=20))
        await new_visit(cw, first["id"], visited_at=ago(days=40))
        r = await cw.post(
            f"/api/v1/households/{first['household_id']}/visits",
            json=visit_body(visited_at=ago(days=10)),
        )
        assert r.status_code == 201, r.text
        kept = await last_visits(factory)
        migration = _migration()
        async with factory.db.sessionmaker() as session:
            await session.execute(update(Worker).values(last_visited_at=None))
            await session.execute(text(migration._FROM_OWN_VISITS))
            await session.execute(text(migration._FROM_HOUSEHOLD_VISITS))
            await session.commit()
        assert await last_visits(factory) == kept
        assert kept[alone["id"]] < kept[first["id"]] == kept[sibling["id"]]


def _migration() -> Any:
    path = Path(__file__).parents[2] / "alembic" / "versions" / "2026-12-03_agenda.py"
    spec = importlib.util.spec_from_file_location("agenda_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def last_visits(factory: Factory) -> dict[int, Any]:
    async with factory.db.sessionmaker() as session:
        rows = await session.execute(select(col(Worker.id), col(Worker.last_visited_at)))
        return {worker_id: at for worker_id, at in rows if worker_id is not None}


class TestAbleWithoutWork:
    async def test_listed_until_referred(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        cw = await factory.as_role("caseworker")
        person = await new_worker(cw)
        unable = await new_worker(cw, able_to_work=False, employment_status="unable_to_work")
        [item] = of(await agenda(cw), "able_without_work")
        assert (item["record_id"], item["reason_code"]) == (person["id"], "able_without_work")
        # Registered today: the programme's day, which may already be tomorrow in UTC.
        assert item["due_on"] is None
        assert item["since"] in (on(), on(-1))
        assert not of(await agenda(cw), "able_without_work", unable["id"])
        await refer(cw, person["id"], vacancy["id"])
        assert of(await agenda(cw), "able_without_work") == []


class TestWhoSeesWhat:
    async def test_another_townships_labourers_never_appear(self, factory: Factory) -> None:
        qiji = await factory.as_role("caseworker")
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        mine = await new_worker(qiji)
        theirs = await new_worker(pingwei, region=PINGWEI_VILLAGE)
        for person in (mine, theirs):
            await registered_days_ago(factory, person["id"], 100)
        assert {i["worker_id"] for i in await agenda(qiji)} == {mine["id"]}
        assert {i["worker_id"] for i in await agenda(pingwei)} == {theirs["id"]}

    async def test_an_admin_sees_the_agenda_of_their_scope(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        person = await new_worker(cw)
        admin = await factory.as_role("admin", region=PINGWEI)
        assert await agenda(admin) == []
        district_admin = await factory.as_role("admin")
        assert {i["worker_id"] for i in await agenda(district_admin)} == {person["id"]}

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_have_no_agenda(self, factory: Factory, role: str) -> None:
        problem(await (await factory.as_role(role)).get(AGENDA), 403, "forbidden")

    async def test_the_id_number_is_masked_as_in_lists(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        person = await new_worker(cw)
        [item] = await agenda(cw)
        full = (await cw.get(f"/api/v1/workers/{person['id']}")).json()["id_number"]
        assert item["worker_id_number"] == full[:6] + "********" + full[-4:]
        assert item["worker_name"] == person["full_name"]

    async def test_the_reason_is_in_chinese_for_a_chinese_reader(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        await new_worker(cw)
        [item] = await agenda(cw, headers={"Accept-Language": "zh-CN"})
        assert (item["reason_code"], item["reason"]) == (
            "able_without_work",
            "有劳动能力，未就业，也没有在办的岗位推荐。",
        )


class TestPaging:
    async def test_paging_across_kinds_returns_every_item_once_in_order(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin")
        job = await hired(factory, days_ago=400)  # its 1-, 3-, 6- and 12-month checks are due
        ending = await new_training_session(admin, end_date=on(-2))
        people = [await new_worker(job.cw) for _ in range(4)]
        for n, person in enumerate(people[:2]):
            await registered_days_ago(factory, person["id"], 100 + n)
        assert (await enrol(job.cw, ending["id"], people[3]["id"])).status_code == 201
        everything = await agenda(job.cw)
        kinds = [i["kind"] for i in everything]
        assert (
            kinds
            == ["follow_up"] * 4
            + ["enrolment_ending"]
            + ["not_visited"] * 3
            + ["able_without_work"] * 3
        ), kinds
        for limit in (1, 2, 3):
            assert await agenda(job.cw, limit=limit) == everything
        # The hired labourer was registered before the job began, 400 days ago, and never
        # visited: the longest overdue comes first.
        unvisited = of(everything, "not_visited")
        assert [i["worker_id"] for i in unvisited] == [job.worker["id"], people[1]["id"],
                                                      people[0]["id"]]  # fmt: skip
        due = [i["due_on"] for i in of(everything, "follow_up")]
        assert due == sorted(due)

    @pytest.mark.parametrize(
        ("params", "code", "field"),
        [
            ({"limit": "0"}, "validation_failed", "query.limit"),
            ({"limit": "201"}, "validation_failed", "query.limit"),
            ({"limit": "many"}, "validation_failed", "query.limit"),
            ({"cursor": "not-a-cursor"}, "invalid_cursor", "query.cursor"),
            (
                {"cursor": encode_cursor(["follow_up", "2026-01-01", 1])},
                "invalid_cursor",
                "query.cursor",
            ),
        ],
    )
    async def test_a_bad_limit_or_cursor_is_a_problem(
        self, factory: Factory, params: dict[str, str], code: str, field: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        body = problem(await cw.get(AGENDA, params=params), 422, code)
        assert error_fields(body) == {field}
