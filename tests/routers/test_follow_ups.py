"""Follow-ups: every placement is checked at 1, 3, 6 and 12 months from the caseworker's to-do
list; what a check finds (still employed, or left) updates the employment."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient, Response

from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    Factory,
    days_since,
    error_fields,
    hire,
    new_employment,
    new_worker,
    on,
    problem,
    referred,
    registered_worker,
    worker_status,
)

FOLLOW_UPS = "/api/v1/follow-ups"


async def to_do(c: AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every follow-up the list shows with these filters, page by page, in order."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        r = await c.get(FOLLOW_UPS, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            assert len({x["id"] for x in items}) == len(items), items
            return items


async def checks_of(c: AsyncClient, employment_id: int, **params: Any) -> list[dict[str, Any]]:
    return [x for x in await to_do(c, **params) if x["employment_id"] == employment_id]


async def record(c: AsyncClient, follow_up_id: int, **body: Any) -> Response:
    return await c.post(f"{FOLLOW_UPS}/{follow_up_id}", json={"still_employed": True, **body})


async def employment(c: AsyncClient, employment_id: int) -> dict[str, Any]:
    r = await c.get(f"/api/v1/employments/{employment_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


class TestEveryPlacementIsFollowedUp:
    async def test_a_hire_schedules_checks_at_1_3_6_and_12_months(self, factory: Factory) -> None:
        job = await referred(factory)
        days = days_since("2026-03-10")
        await factory.backdate(
            worker_id=job.worker["id"], referral_id=job.referral["id"], days=days
        )
        r = await hire(job.boss, job.referral["id"], start_date="2026-03-10")
        assert r.status_code == 200, r.text
        checks = await checks_of(job.cw, r.json()["employment_id"])
        assert [(c["months"], c["due_date"]) for c in checks] == [
            (1, "2026-04-10"),
            (3, "2026-06-10"),
            (6, "2026-09-10"),
            (12, "2027-03-10"),
        ]
        assert {c["status"] for c in checks} == {"due"}
        assert {c["worker_id"] for c in checks} == {job.worker["id"]}

    @pytest.mark.parametrize(
        ("start", "due"),
        [
            ("2026-01-31", ["2026-02-28", "2026-04-30", "2026-07-31", "2027-01-31"]),
            ("2024-01-31", ["2024-02-29", "2024-04-30", "2024-07-31", "2025-01-31"]),
            ("2025-08-31", ["2025-09-30", "2025-11-30", "2026-02-28", "2026-08-31"]),
            ("2025-12-15", ["2026-01-15", "2026-03-15", "2026-06-15", "2026-12-15"]),
        ],
    )
    async def test_a_recorded_job_is_followed_up_and_month_ends_are_clamped(
        self, factory: Factory, start: str, due: list[str]
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=days_since(start))
        made = await new_employment(cw, worker["id"], start_date=start)
        checks = await checks_of(cw, made["id"])
        assert [c["due_date"] for c in checks] == due
        assert [c["months"] for c in checks] == [1, 3, 6, 12]


class TestToDoList:
    async def test_due_before_lists_what_is_due_in_the_caseworkers_scope(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=40)
        made = await new_employment(cw, worker["id"], start_date=on(40))
        due_now = await to_do(cw, due_before=on(-1))
        assert [(c["employment_id"], c["months"]) for c in due_now] == [(made["id"], 1)]
        assert len(await to_do(cw)) == 4

    async def test_the_list_is_in_due_date_order_across_placements(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        recent = await registered_worker(factory, cw, days_ago=10)
        later = await new_employment(cw, recent["id"], start_date=on(10))
        older = await registered_worker(factory, cw, days_ago=60)
        earlier = await new_employment(cw, older["id"], start_date=on(60))
        items = await to_do(cw, limit=1)
        assert [c["due_date"] for c in items] == sorted(c["due_date"] for c in items)
        assert items[0]["employment_id"] == earlier["id"]
        assert {c["employment_id"] for c in items} == {earlier["id"], later["id"]}
        assert len(items) == 8

    async def test_another_townships_caseworker_does_not_see_them(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        await new_employment(cw, (await new_worker(cw))["id"])
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        theirs = await new_employment(
            pingwei, (await new_worker(pingwei, region=PINGWEI_VILLAGE))["id"]
        )
        assert {c["employment_id"] for c in await to_do(pingwei)} == {theirs["id"]}
        admin = await factory.as_role("admin")
        assert len(await to_do(admin)) == 8

    async def test_auditors_read_the_follow_ups_of_their_scope_only(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        mine = await new_employment(cw, (await new_worker(cw))["id"])
        qiji_auditor = await factory.as_role("auditor", region=QIJI)
        assert {c["employment_id"] for c in await to_do(qiji_auditor)} == {mine["id"]}
        pingwei_auditor = await factory.as_role("auditor", region=PINGWEI)
        assert await to_do(pingwei_auditor) == []

    async def test_an_employer_has_no_follow_up_list(self, factory: Factory) -> None:
        job = await referred(factory)
        assert (await hire(job.boss, job.referral["id"])).status_code == 200
        problem(await job.boss.get(FOLLOW_UPS), 403, "forbidden")

    async def test_done_and_cancelled_checks_are_listed_on_request(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=40)
        made = await new_employment(cw, worker["id"], start_date=on(40))
        [first] = await to_do(cw, due_before=on(-1))
        assert (await record(cw, first["id"], still_employed=False)).status_code == 200
        assert [c["id"] for c in await to_do(cw, status="done")] == [first["id"]]
        assert len(await checks_of(cw, made["id"], status="cancelled")) == 3
        assert await to_do(cw) == []

    @pytest.mark.parametrize(
        "params", [{"due_before": "next week"}, {"status": "overdue"}, {"limit": "0"}]
    )
    async def test_bad_filters_are_refused(self, factory: Factory, params: dict[str, str]) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.get(FOLLOW_UPS, params=params)
        assert error_fields(problem(r, 422, "validation_failed")) == {f"query.{next(iter(params))}"}


class TestRecordFollowUp:
    async def test_still_employed_with_a_wage_updates_the_employment(
        self, factory: Factory
    ) -> None:
        job = await referred(factory)
        hired = await hire(job.boss, job.referral["id"], monthly_wage_fen=300000)
        employment_id = hired.json()["employment_id"]
        [first, *_] = await checks_of(job.cw, employment_id)
        r = await record(job.cw, first["id"], monthly_wage_fen=350000, notes="已转正")
        assert r.status_code == 200, r.text
        done = r.json()
        assert (done["status"], done["still_employed"]) == ("done", True)
        assert (done["monthly_wage_fen"], done["notes"]) == (350000, "已转正")
        assert done["checked_at"] is not None
        assert done["checked_by"] is not None
        after = await employment(job.cw, employment_id)
        assert (after["monthly_wage_fen"], after["end_date"]) == (350000, None)
        assert await worker_status(job.cw, job.worker["id"]) == "employed"

    async def test_still_employed_without_a_wage_keeps_the_wage(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"], monthly_wage_fen=200000)
        [first, *_] = await checks_of(cw, made["id"])
        assert (await record(cw, first["id"])).status_code == 200
        assert (await employment(cw, made["id"]))["monthly_wage_fen"] == 200000

    async def test_left_ends_the_employment_and_the_worker_is_unemployed(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=40)
        made = await new_employment(cw, worker["id"], kind="assistance_post", start_date=on(40))
        assert await worker_status(cw, worker["id"]) == "assistance_post"
        [first, *rest] = await checks_of(cw, made["id"])
        r = await record(
            cw, first["id"], still_employed=False, end_reason="illness", checked_on=on(2)
        )
        assert (r.status_code, r.json()["still_employed"]) == (200, False), r.text
        ended = await employment(cw, made["id"])
        assert (ended["end_date"], ended["end_reason"]) == (on(2), "illness")
        assert await worker_status(cw, worker["id"]) == "unemployed"
        cancelled = await checks_of(cw, made["id"], status="cancelled")
        assert {c["id"] for c in cancelled} == {c["id"] for c in rest}

    async def test_left_without_a_reason_ends_it_for_another_reason(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"])
        [first, *_] = await checks_of(cw, made["id"])
        assert (await record(cw, first["id"], still_employed=False)).status_code == 200
        ended = await employment(cw, made["id"])
        assert (ended["end_date"], ended["end_reason"]) == (on(), "other")

    async def test_recording_twice_is_a_conflict(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"], monthly_wage_fen=200000)
        [first, *_] = await checks_of(cw, made["id"])
        assert (await record(cw, first["id"], monthly_wage_fen=210000)).status_code == 200
        problem(await record(cw, first["id"], monthly_wage_fen=990000), 409, "follow_up_not_due")
        assert (await employment(cw, made["id"]))["monthly_wage_fen"] == 210000

    async def test_a_cancelled_check_is_not_recorded(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"])
        assert (
            await cw.post(
                f"/api/v1/employments/{made['id']}/end",
                json={"end_date": on(), "end_reason": "resigned"},
            )
        ).status_code == 200
        [first, *_] = await checks_of(cw, made["id"], status="cancelled")
        problem(await record(cw, first["id"]), 409, "follow_up_not_due")

    async def test_a_follow_up_of_another_scope_is_not_found(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"], monthly_wage_fen=200000)
        [first, *_] = await checks_of(cw, made["id"])
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        problem(await record(pingwei, first["id"], monthly_wage_fen=1), 404, "follow_up_not_found")
        problem(await record(cw, 987654), 404, "follow_up_not_found")
        assert (await checks_of(cw, made["id"]))[0]["status"] == "due"
        assert (await employment(cw, made["id"]))["monthly_wage_fen"] == 200000

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_do_not_record(self, factory: Factory, role: str) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"])
        [first, *_] = await checks_of(cw, made["id"])
        c = await factory.as_role(role)
        problem(await record(c, first["id"]), 403, "forbidden")
        assert (await checks_of(cw, made["id"]))[0]["id"] == first["id"]

    @pytest.mark.parametrize(
        ("body", "field", "code"),
        [
            ({"checked_on": on(-1)}, "body.checked_on", "date_in_future"),
            ({"checked_on": on(1)}, "body.checked_on", "date_before_history"),
            ({"monthly_wage_fen": 3500.5}, "body.monthly_wage_fen", "validation_failed"),
            ({"monthly_wage_fen": -1}, "body.monthly_wage_fen", "validation_failed"),
            ({"end_reason": "bored"}, "body.end_reason", "validation_failed"),
            ({"still_employed": None}, "body.still_employed", "validation_failed"),
            ({"status": "done"}, "body.status", "validation_failed"),
        ],
    )
    async def test_bad_input_is_refused(
        self, factory: Factory, body: dict[str, Any], field: str, code: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"])
        [first, *_] = await checks_of(cw, made["id"])
        r = await record(cw, first["id"], **body)
        assert error_fields(problem(r, 422, code)) == {field}
        assert (await checks_of(cw, made["id"]))[0]["status"] == "due"
