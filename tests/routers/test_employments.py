"""Employments: jobs caseworkers record without a referral, employers' confirmations, the end
of a job (the worker's status follows), and when a job counts as stable."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Employment, FollowUp
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    Factory,
    count_rows,
    employer_user,
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

EMPLOYMENTS = "/api/v1/employments"


async def read(c: AsyncClient, employment_id: int) -> dict[str, Any]:
    r = await c.get(f"{EMPLOYMENTS}/{employment_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def end(c: AsyncClient, employment_id: int, **body: Any) -> Any:
    return await c.post(
        f"{EMPLOYMENTS}/{employment_id}/end",
        json={"end_date": on(), "end_reason": "resigned", **body},
    )


async def listed_ids(c: AsyncClient, **params: Any) -> set[int]:
    ids: list[int] = []
    cursor: str | None = None
    while True:
        r = await c.get(EMPLOYMENTS, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        ids += [x["id"] for x in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            assert len(ids) == len(set(ids)), ids
            return set(ids)


async def follow_ups(session: AsyncSession, employment_id: int, status: str) -> int:
    where = (col(FollowUp.employment_id) == employment_id, col(FollowUp.status) == status)
    return await count_rows(session, FollowUp, *where)


class TestRecordEmployment:
    @pytest.mark.parametrize(
        ("kind", "status"),
        [
            ("self_employed", "self_employed"),
            ("assistance_post", "assistance_post"),
            ("job", "employed"),
            ("workshop", "employed"),
        ],
    )
    async def test_a_caseworker_records_a_job_found_without_a_referral(
        self, factory: Factory, kind: str, status: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=10)
        r = await cw.post(
            EMPLOYMENTS,
            json={
                "worker_id": worker["id"],
                "kind": kind,
                "start_date": on(10),
                "title": "养殖",
                "monthly_wage_fen": 200000,
            },
        )
        assert r.status_code == 201, r.text
        made = r.json()
        assert (made["kind"], made["start_date"], made["title"]) == (kind, on(10), "养殖")
        assert (made["monthly_wage_fen"], made["currency"]) == (200000, "CNY")
        assert (made["confirmed_by_employer"], made["referral_id"], made["end_date"]) == (
            False,
            None,
            None,
        )
        assert made["region_code"] == worker["region_code"]
        assert await worker_status(cw, worker["id"]) == status

    async def test_migrant_work_by_organised_labour_export(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        made = await new_employment(
            cw,
            worker["id"],
            kind="migrant",
            organised_export=True,
            work_place="江苏省苏州市",
            work_region_code=PINGWEI_VILLAGE,
        )
        assert (made["kind"], made["organised_export"]) == ("migrant", True)
        assert (made["employer_id"], made["work_place"]) == (None, "江苏省苏州市")
        assert made["work_region_code"] == PINGWEI_VILLAGE
        assert await worker_status(cw, worker["id"]) == "employed"

    async def test_a_job_at_a_registered_employer_awaits_its_confirmation(
        self, factory: Factory
    ) -> None:
        employer = await factory.employer()
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        made = await new_employment(cw, worker["id"], kind="job", employer_id=employer.id)
        assert (made["employer_id"], made["confirmed_by_employer"]) == (employer.id, False)

    async def test_a_worker_outside_the_caseworkers_scope_is_not_found(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        stranger = await new_worker(pingwei, region=PINGWEI_VILLAGE)
        cw = await factory.as_role("caseworker")
        r = await cw.post(
            EMPLOYMENTS,
            json={"worker_id": stranger["id"], "kind": "self_employed", "start_date": on()},
        )
        problem(r, 404, "worker_not_found")
        assert (
            await count_rows(session, Employment, col(Employment.worker_id) == stranger["id"]) == 0
        )
        assert await worker_status(pingwei, stranger["id"]) == "unemployed"

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_do_not_record_jobs(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        worker = await new_worker(await factory.as_role("caseworker"))
        c = await factory.as_role(role)
        r = await c.post(
            EMPLOYMENTS, json={"worker_id": worker["id"], "kind": "job", "start_date": on()}
        )
        problem(r, 403, "forbidden")
        assert await count_rows(session, Employment, col(Employment.worker_id) == worker["id"]) == 0

    async def test_a_job_starting_more_than_30_days_ahead_is_refused(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        r = await cw.post(
            EMPLOYMENTS, json={"worker_id": worker["id"], "kind": "job", "start_date": on(-31)}
        )
        assert error_fields(problem(r, 422, "date_in_future")) == {"body.start_date"}
        assert await worker_status(cw, worker["id"]) == "unemployed"

    @pytest.mark.parametrize(
        ("field", "value", "code"),
        [
            ("employer_id", 987654, "unknown_reference"),
            ("employer_id", 2**63, "validation_failed"),
            ("work_region_code", "340406199", "unknown_region"),
            ("kind", "gig", "validation_failed"),
            ("monthly_wage_fen", 2000.5, "validation_failed"),
            ("confirmed_by_employer", True, "validation_failed"),
            ("end_date", "2026-01-01", "validation_failed"),
        ],
    )
    async def test_bad_input_is_refused(
        self, factory: Factory, session: AsyncSession, field: str, value: Any, code: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        body = {"worker_id": worker["id"], "kind": "job", "start_date": on(), field: value}
        r = await cw.post(EMPLOYMENTS, json=body)
        assert error_fields(problem(r, 422, code)) == {f"body.{field}"}
        assert await count_rows(session, Employment, col(Employment.worker_id) == worker["id"]) == 0


class TestConfirmEmployment:
    async def test_the_employer_confirms_an_employment_at_its_firm(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        cw = await factory.as_role("caseworker")
        made = await new_employment(
            cw, (await new_worker(cw))["id"], kind="job", employer_id=employer.id
        )
        r = await boss.post(f"{EMPLOYMENTS}/{made['id']}/confirm")
        assert r.status_code == 200, r.text
        assert r.json()["confirmed_by_employer"] is True
        assert r.json()["confirmed_at"] is not None
        assert (await read(cw, made["id"]))["confirmed_by_employer"] is True

    async def test_an_employer_cannot_confirm_another_firms_employment(
        self, factory: Factory
    ) -> None:
        employer = await factory.employer()
        _, intruder = await employer_user(factory)
        cw = await factory.as_role("caseworker")
        made = await new_employment(
            cw, (await new_worker(cw))["id"], kind="job", employer_id=employer.id
        )
        problem(
            await intruder.post(f"{EMPLOYMENTS}/{made['id']}/confirm"), 404, "employment_not_found"
        )
        assert await read(cw, made["id"]) == made

    async def test_an_employer_cannot_confirm_a_self_employment(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"])
        problem(await boss.post(f"{EMPLOYMENTS}/{made['id']}/confirm"), 404, "employment_not_found")
        assert (await read(cw, made["id"]))["confirmed_by_employer"] is False

    @pytest.mark.parametrize("role", ["caseworker", "auditor", "admin"])
    async def test_only_the_employer_confirms(self, factory: Factory, role: str) -> None:
        employer = await factory.employer()
        cw = await factory.as_role("caseworker")
        made = await new_employment(
            cw, (await new_worker(cw))["id"], kind="job", employer_id=employer.id
        )
        c = await factory.as_role(role)
        problem(await c.post(f"{EMPLOYMENTS}/{made['id']}/confirm"), 403, "forbidden")
        assert (await read(cw, made["id"]))["confirmed_by_employer"] is False


class TestEndEmployment:
    async def test_a_caseworker_ends_a_job_and_the_worker_is_unemployed_again(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=40)
        made = await new_employment(cw, worker["id"], kind="assistance_post", start_date=on(40))
        assert await follow_ups(session, made["id"], "due") == 4
        r = await end(cw, made["id"], end_date=on(5), end_reason="contract_ended")
        assert r.status_code == 200, r.text
        assert (r.json()["end_date"], r.json()["end_reason"]) == (on(5), "contract_ended")
        assert await worker_status(cw, worker["id"]) == "unemployed"
        # The one-month check fell inside the job and stays on the list; the rest are moot.
        assert await follow_ups(session, made["id"], "due") == 1
        assert await follow_ups(session, made["id"], "cancelled") == 3

    async def test_the_employer_reports_the_end_of_a_hire(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        job = await referred(factory)
        employment_id = (await hire(job.boss, job.referral["id"])).json()["employment_id"]
        r = await end(job.boss, employment_id, end_reason="dismissed")
        assert r.status_code == 200, r.text
        assert r.json()["end_reason"] == "dismissed"
        assert await worker_status(job.cw, job.worker["id"]) == "unemployed"
        assert await follow_ups(session, employment_id, "cancelled") == 4

    async def test_the_status_follows_the_job_still_held(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=30)
        await new_employment(cw, worker["id"], kind="self_employed", start_date=on(30))
        job = await new_employment(cw, worker["id"], kind="job", start_date=on(10))
        assert await worker_status(cw, worker["id"]) == "employed"
        assert (await end(cw, job["id"])).status_code == 200
        assert await worker_status(cw, worker["id"]) == "self_employed"

    async def test_ending_twice_is_a_conflict(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=20)
        made = await new_employment(cw, worker["id"], start_date=on(20))
        first = await end(cw, made["id"], end_date=on(2))
        assert first.status_code == 200, first.text
        problem(await end(cw, made["id"]), 409, "employment_ended")
        assert (await read(cw, made["id"]))["end_date"] == on(2)

    @pytest.mark.parametrize(
        ("end_date", "code"), [(on(11), "date_before_history"), (on(-1), "date_in_future")]
    )
    async def test_an_end_outside_the_job_is_refused(
        self, factory: Factory, end_date: str, code: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=10)
        made = await new_employment(cw, worker["id"], start_date=on(10))
        r = await end(cw, made["id"], end_date=end_date)
        assert error_fields(problem(r, 422, code)) == {"body.end_date"}
        assert (await read(cw, made["id"]))["end_date"] is None
        assert await worker_status(cw, worker["id"]) == "self_employed"

    @pytest.mark.parametrize("body", [{"end_reason": "bored"}, {"end_reason": None}, {"note": "x"}])
    async def test_a_bad_end_is_refused(self, factory: Factory, body: dict[str, Any]) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"])
        r = await end(cw, made["id"], **body)
        assert error_fields(problem(r, 422, "validation_failed")) == {f"body.{next(iter(body))}"}

    async def test_an_employer_cannot_end_another_firms_job(self, factory: Factory) -> None:
        job = await referred(factory)
        employment_id = (await hire(job.boss, job.referral["id"])).json()["employment_id"]
        _, intruder = await employer_user(factory)
        problem(await end(intruder, employment_id), 404, "employment_not_found")
        assert (await read(job.cw, employment_id))["end_date"] is None
        assert await worker_status(job.cw, job.worker["id"]) == "employed"

    async def test_a_caseworker_of_another_township_cannot_end_it(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"])
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        problem(await end(pingwei, made["id"]), 404, "employment_not_found")
        assert (await read(cw, made["id"]))["end_date"] is None

    async def test_an_auditor_writes_nothing(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        made = await new_employment(cw, worker["id"])
        auditor = await factory.as_role("auditor", region=QIJI)
        problem(await end(auditor, made["id"]), 403, "forbidden")
        assert (await read(cw, made["id"]))["end_date"] is None
        assert await worker_status(cw, worker["id"]) == "self_employed"


class TestStableEmployment:
    async def test_a_job_started_today_is_not_stable(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"])
        assert (made["stable"], made["stable_since"]) == (False, None)

    @pytest.mark.parametrize(("days", "stable"), [(179, False), (180, True), (181, True)])
    async def test_a_job_held_180_days_is_stable(
        self, factory: Factory, days: int, stable: bool
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=days)
        made = await new_employment(cw, worker["id"], start_date=on(days))
        got = await read(cw, made["id"])
        assert got["stable"] is stable
        since = (date.fromisoformat(on(days)) + timedelta(days=180)).isoformat()
        assert got["stable_since"] == (since if stable else None)

    async def test_a_job_that_ended_after_100_days_is_not_stable(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=300)
        made = await new_employment(cw, worker["id"], start_date=on(300))
        r = await end(cw, made["id"], end_date=on(200))
        assert r.status_code == 200, r.text
        assert (r.json()["stable"], r.json()["stable_since"]) == (False, None)

    async def test_a_job_that_ended_after_becoming_stable_stays_stable(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=300)
        made = await new_employment(cw, worker["id"], start_date=on(300))
        r = await end(cw, made["id"], end_date=on(50))
        assert (r.json()["stable"], r.json()["stable_since"]) == (True, on(120))


class TestListEmployments:
    async def test_a_caseworker_sees_the_employments_of_its_scope(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        mine = await new_employment(cw, (await new_worker(cw))["id"])
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        theirs = await new_employment(
            pingwei, (await new_worker(pingwei, region=PINGWEI_VILLAGE))["id"]
        )
        assert await listed_ids(cw) == {mine["id"]}
        assert await listed_ids(pingwei) == {theirs["id"]}
        problem(await pingwei.get(f"{EMPLOYMENTS}/{mine['id']}"), 404, "employment_not_found")
        auditor = await factory.as_role("auditor", region=QIJI)
        assert await listed_ids(auditor) == {mine["id"]}
        admin = await factory.as_role("admin")
        assert await listed_ids(admin, limit=1) == {mine["id"], theirs["id"]}

    async def test_an_employer_sees_the_employments_at_its_firm_only(
        self, factory: Factory
    ) -> None:
        job = await referred(factory)
        employment_id = (await hire(job.boss, job.referral["id"])).json()["employment_id"]
        other = await referred(factory)
        assert (await hire(other.boss, other.referral["id"])).status_code == 200
        await new_employment(job.cw, (await new_worker(job.cw))["id"])
        assert await listed_ids(job.boss) == {employment_id}
        problem(await other.boss.get(f"{EMPLOYMENTS}/{employment_id}"), 404, "employment_not_found")

    async def test_filters_by_worker_kind_and_whether_active(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await registered_worker(factory, cw, days_ago=30)
        ended = await new_employment(cw, worker["id"], kind="job", start_date=on(30))
        assert (await end(cw, ended["id"])).status_code == 200
        post = await new_employment(cw, worker["id"], kind="assistance_post")
        other = await new_employment(cw, (await new_worker(cw))["id"])
        assert await listed_ids(cw, worker_id=worker["id"]) == {ended["id"], post["id"]}
        assert await listed_ids(cw, kind="assistance_post") == {post["id"]}
        assert await listed_ids(cw, active="true") == {post["id"], other["id"]}
        assert await listed_ids(cw, active="false") == {ended["id"]}

    async def test_a_phone_syncs_employments(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_employment(cw, (await new_worker(cw))["id"])
        r = await cw.get(EMPLOYMENTS, params={"updated_since": "2000-01-01T00:00:00Z"})
        assert r.status_code == 200, r.text
        assert [x["id"] for x in r.json()["items"]] == [made["id"]]
        token = r.json()["sync_token"]
        assert (await end(cw, made["id"])).status_code == 200
        again = (await cw.get(EMPLOYMENTS, params={"updated_since": token})).json()
        assert [(x["id"], x["end_reason"]) for x in again["items"]] == [(made["id"], "resigned")]
