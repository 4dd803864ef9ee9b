"""Referrals: a caseworker sends a worker to an open vacancy; the employer interviews, hires or
declines. Hiring takes an opening, creates the employment and moves the worker to employed,
in one transaction, and two hires never take the same last opening."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import EmployerKind, Employment, FollowUp, Referral
from tests.conftest import IS_POSTGRES
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    Factory,
    Referred,
    audit_entries,
    count_rows,
    employer_user,
    error_fields,
    hire,
    new_vacancy,
    new_worker,
    on,
    problem,
    refer,
    referred,
    signed_in,
    worker_status,
)

REFERRALS = "/api/v1/referrals"
FULL_ID_NUMBER = re.compile(r"\d{17}[\dXx]")
FULL_PHONE = re.compile(r"1[3-9]\d{9}")


async def read(c: AsyncClient, referral_id: int) -> dict[str, Any]:
    r = await c.get(f"{REFERRALS}/{referral_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def vacancy(c: AsyncClient, vacancy_id: int) -> dict[str, Any]:
    r = await c.get(f"/api/v1/vacancies/{vacancy_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def listed_ids(c: AsyncClient, **params: Any) -> set[int]:
    ids: list[int] = []
    cursor: str | None = None
    while True:
        r = await c.get(REFERRALS, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        ids += [x["id"] for x in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            assert len(ids) == len(set(ids)), ids
            return set(ids)


async def employments_of(session: AsyncSession, worker_id: int) -> int:
    return await count_rows(session, Employment, col(Employment.worker_id) == worker_id)


async def move(c: AsyncClient, referral_id: int, action: str, **body: Any) -> Response:
    """interview / decline / withdraw / hire a referral (hire starts today unless told)."""
    if action == "hire":
        return await hire(c, referral_id, **body)
    if action in ("decline", "withdraw"):
        body = {"reason": "不合适", **body}
    return await c.post(f"{REFERRALS}/{referral_id}/{action}", json=body or None)


def assert_no_full_personal_data(text: str) -> None:
    assert not FULL_ID_NUMBER.search(text), text
    assert not FULL_PHONE.search(text), text


async def second_referral(job: Referred) -> dict[str, Any]:
    """Another worker of the same caseworker referred to the same vacancy."""
    worker = await new_worker(job.cw)
    return await refer(job.cw, worker["id"], job.vacancy["id"])


class TestCreateReferral:
    async def test_a_caseworker_refers_a_worker_of_its_scope(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        posted = await new_vacancy(boss)
        user, cw = await signed_in(factory, "caseworker")
        worker = await new_worker(cw)
        r = await cw.post(
            REFERRALS,
            json={"worker_id": worker["id"], "vacancy_id": posted["id"], "notes": "会踩缝纫机"},
        )
        assert r.status_code == 201, r.text
        made = r.json()
        assert (made["worker_id"], made["vacancy_id"]) == (worker["id"], posted["id"])
        assert (made["employer_id"], made["caseworker_id"]) == (employer.id, user.id)
        assert (made["status"], made["notes"], made["employment_id"]) == (
            "referred",
            "会踩缝纫机",
            None,
        )
        assert made["worker"]["full_name"] == worker["full_name"]

    async def test_the_same_worker_and_vacancy_twice_is_a_conflict(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        job = await referred(factory)
        r = await job.cw.post(
            REFERRALS, json={"worker_id": job.worker["id"], "vacancy_id": job.vacancy["id"]}
        )
        problem(r, 409, "duplicate_referral")
        where = col(Referral.worker_id) == job.worker["id"]
        assert await count_rows(session, Referral, where) == 1

    async def test_a_closed_vacancy_takes_no_referrals(self, factory: Factory) -> None:
        job = await referred(factory)
        assert (await job.boss.post(f"/api/v1/vacancies/{job.vacancy['id']}/close")).is_success
        worker = await new_worker(job.cw)
        r = await job.cw.post(
            REFERRALS, json={"worker_id": worker["id"], "vacancy_id": job.vacancy["id"]}
        )
        problem(r, 409, "vacancy_not_open")

    async def test_a_filled_vacancy_takes_no_referrals(self, factory: Factory) -> None:
        job = await referred(factory, openings=1)
        assert (await hire(job.boss, job.referral["id"])).status_code == 200
        worker = await new_worker(job.cw)
        r = await job.cw.post(
            REFERRALS, json={"worker_id": worker["id"], "vacancy_id": job.vacancy["id"]}
        )
        problem(r, 409, "vacancy_not_open")

    async def test_a_worker_outside_the_caseworkers_scope_is_not_found(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        _, boss = await employer_user(factory)
        posted = await new_vacancy(boss)
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        stranger = await new_worker(pingwei, region=PINGWEI_VILLAGE)
        cw = await factory.as_role("caseworker")
        r = await cw.post(REFERRALS, json={"worker_id": stranger["id"], "vacancy_id": posted["id"]})
        problem(r, 404, "worker_not_found")
        assert await count_rows(session, Referral, col(Referral.worker_id) == stranger["id"]) == 0

    async def test_an_unknown_vacancy_is_not_found(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        r = await cw.post(REFERRALS, json={"worker_id": worker["id"], "vacancy_id": 987654})
        problem(r, 404, "vacancy_not_found")

    async def test_an_unknown_event_is_refused(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        posted = await new_vacancy(boss)
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        r = await cw.post(
            REFERRALS,
            json={"worker_id": worker["id"], "vacancy_id": posted["id"], "event_id": 987654},
        )
        assert error_fields(problem(r, 422, "unknown_reference")) == {"body.event_id"}

    @pytest.mark.parametrize(
        ("field", "value"), [("status", "hired"), ("caseworker_id", 1), ("employer_id", 1)]
    )
    async def test_unknown_fields_are_refused(
        self, factory: Factory, field: str, value: Any
    ) -> None:
        _, boss = await employer_user(factory)
        posted = await new_vacancy(boss)
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        body = {"worker_id": worker["id"], "vacancy_id": posted["id"], field: value}
        r = await cw.post(REFERRALS, json=body)
        assert error_fields(problem(r, 422, "validation_failed")) == {f"body.{field}"}

    @pytest.mark.parametrize("role", ["employer", "auditor", "admin"])
    async def test_only_caseworkers_refer(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        employer, boss = await employer_user(factory)
        posted = await new_vacancy(boss)
        worker = await new_worker(await factory.as_role("caseworker"))
        kw: dict[str, Any] = {"employer_id": employer.id} if role == "employer" else {}
        c = await factory.as_role(role, **kw)
        r = await c.post(REFERRALS, json={"worker_id": worker["id"], "vacancy_id": posted["id"]})
        problem(r, 403, "forbidden")
        assert await count_rows(session, Referral, col(Referral.worker_id) == worker["id"]) == 0


class TestWhoSeesReferrals:
    async def test_the_employer_sees_its_referrals_with_personal_data_masked(
        self, factory: Factory
    ) -> None:
        job = await referred(factory)
        listed = await job.boss.get(REFERRALS)
        assert listed.status_code == 200, listed.text
        [item] = listed.json()["items"]
        assert item["id"] == job.referral["id"]
        assert item["worker"]["id_number"].count("*") == 8
        assert item["worker"]["id_number"][-4:] == job.worker["id_number"][-4:]
        assert item["worker"]["phone"] == "138****5678"
        assert_no_full_personal_data(listed.text)
        one = await job.boss.get(f"{REFERRALS}/{job.referral['id']}")
        assert one.status_code == 200, one.text
        assert one.json()["worker"]["id_number"].count("*") == 8
        assert_no_full_personal_data(one.text)

    async def test_nobody_gets_the_full_id_number_from_a_referral(self, factory: Factory) -> None:
        job = await referred(factory)
        assert_no_full_personal_data((await job.cw.get(REFERRALS)).text)
        assert_no_full_personal_data(json.dumps(job.referral))

    async def test_an_employer_never_sees_another_employers_referrals(
        self, factory: Factory
    ) -> None:
        job = await referred(factory)
        _, other = await employer_user(factory)
        assert await listed_ids(other) == set()
        r = await other.get(f"{REFERRALS}/{job.referral['id']}")
        problem(r, 404, "referral_not_found")

    async def test_a_caseworker_of_another_township_does_not_see_it(self, factory: Factory) -> None:
        job = await referred(factory)
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        assert await listed_ids(pingwei) == set()
        problem(await pingwei.get(f"{REFERRALS}/{job.referral['id']}"), 404, "referral_not_found")

    async def test_filters_by_status_vacancy_and_worker(self, factory: Factory) -> None:
        job = await referred(factory)
        other = await second_referral(job)
        assert (await move(job.boss, other["id"], "decline")).status_code == 200
        both = {job.referral["id"], other["id"]}
        assert await listed_ids(job.cw, vacancy_id=job.vacancy["id"]) == both
        assert await listed_ids(job.cw, status="declined") == {other["id"]}
        assert await listed_ids(job.cw, worker_id=job.worker["id"]) == {job.referral["id"]}

    @pytest.mark.parametrize("role", ["boss", "cw"])
    async def test_a_long_list_walks_page_by_page_and_syncs_every_referral_once(
        self, factory: Factory, role: str
    ) -> None:
        job = await referred(factory)
        made = {job.referral["id"]} | {(await second_referral(job))["id"] for _ in range(4)}
        reader: AsyncClient = getattr(job, role)
        seen: list[int] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = await reader.get(REFERRALS, params=params)
            assert page.status_code == 200, page.text
            seen += [item["id"] for item in page.json()["items"]]
            if not (cursor := page.json()["next_cursor"]):
                break
        assert sorted(seen) == sorted(made)
        synced: list[int] = []
        params = {"limit": 2, "updated_since": "2020-01-01T00:00:00Z"}
        while True:
            page = await reader.get(REFERRALS, params=params)
            assert page.status_code == 200, page.text
            synced += [item["id"] for item in page.json()["items"]]
            if not page.json()["next_cursor"]:
                break
            params = {**params, "cursor": page.json()["next_cursor"]}
        assert sorted(synced) == sorted(made)
        again = await reader.get(REFERRALS, params={"updated_since": page.json()["sync_token"]})
        assert again.json()["items"] == []


class TestInterview:
    async def test_the_employer_records_the_interview(self, factory: Factory) -> None:
        job = await referred(factory)
        r = await move(job.boss, job.referral["id"], "interview")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["decided_at"]) == ("interviewed", None)

    async def test_interviewing_twice_is_an_invalid_transition(self, factory: Factory) -> None:
        job = await referred(factory)
        assert (await move(job.boss, job.referral["id"], "interview")).status_code == 200
        problem(await move(job.boss, job.referral["id"], "interview"), 409, "invalid_transition")

    @pytest.mark.parametrize("role", ["caseworker", "auditor", "admin"])
    async def test_only_the_employer_interviews(self, factory: Factory, role: str) -> None:
        job = await referred(factory)
        c = await factory.as_role(role)
        problem(await move(c, job.referral["id"], "interview"), 403, "forbidden")
        assert (await read(job.cw, job.referral["id"]))["status"] == "referred"


class TestHire:
    async def test_hiring_creates_the_confirmed_employment_and_moves_the_worker(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        job = await referred(factory, openings=2, title="缝纫工")
        assert await worker_status(job.cw, job.worker["id"]) == "unemployed"
        r = await hire(job.boss, job.referral["id"], monthly_wage_fen=380000)
        assert r.status_code == 200, r.text
        hired = r.json()
        assert (hired["status"], hired["decided_at"] is not None) == ("hired", True)
        employment = (await job.cw.get(f"/api/v1/employments/{hired['employment_id']}")).json()
        assert employment["confirmed_by_employer"] is True
        assert employment["confirmed_at"] is not None
        assert (employment["employer_id"], employment["vacancy_id"]) == (
            job.employer.id,
            job.vacancy["id"],
        )
        assert (employment["referral_id"], employment["worker_id"]) == (
            job.referral["id"],
            job.worker["id"],
        )
        assert (employment["kind"], employment["title"]) == ("workshop", "缝纫工")
        assert (employment["start_date"], employment["monthly_wage_fen"]) == (on(), 380000)
        assert employment["work_region_code"] == job.vacancy["work_region_code"]
        assert await worker_status(job.cw, job.worker["id"]) == "employed"
        after = await vacancy(job.boss, job.vacancy["id"])
        assert (after["filled"], after["status"]) == (1, "open")
        where = col(FollowUp.employment_id) == hired["employment_id"]
        assert await count_rows(session, FollowUp, where) == 4
        audited = {
            "referral.hired": ("referral", job.referral["id"]),
            "employment.create": ("employment", hired["employment_id"]),
            "vacancy.opening_taken": ("vacancy", job.vacancy["id"]),
            "worker.status_changed_by_employment": ("worker", job.worker["id"]),
        }
        for action, (resource_type, resource_id) in audited.items():
            entries = await audit_entries(
                session, action=action, resource_type=resource_type, resource_id=resource_id
            )
            assert len(entries) == 1, action

    async def test_an_enterprise_hire_is_a_job(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory, kind=EmployerKind.enterprise)
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        referral = await refer(cw, worker["id"], (await new_vacancy(boss))["id"])
        r = await hire(boss, referral["id"])
        assert r.status_code == 200, r.text
        got = await cw.get(f"/api/v1/employments/{r.json()['employment_id']}")
        assert (got.json()["kind"], got.json()["employer_id"]) == ("job", employer.id)

    async def test_an_interviewed_worker_is_hired(self, factory: Factory) -> None:
        job = await referred(factory)
        await factory.backdate(worker_id=job.worker["id"], referral_id=job.referral["id"], days=3)
        assert (await move(job.boss, job.referral["id"], "interview")).status_code == 200
        r = await hire(job.boss, job.referral["id"], start_date=on(3))
        assert (r.status_code, r.json()["status"]) == (200, "hired"), r.text

    async def test_a_hire_starting_more_than_30_days_ahead_is_refused(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        job = await referred(factory)
        r = await hire(job.boss, job.referral["id"], start_date=on(-31))
        assert error_fields(problem(r, 422, "date_in_future")) == {"body.start_date"}
        assert (await read(job.cw, job.referral["id"]))["status"] == "referred"
        assert await employments_of(session, job.worker["id"]) == 0

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"start_date": "soon"},
            {"start_date": on(), "monthly_wage_fen": 3800.5},
            {"start_date": on(), "confirmed_by_employer": False},
        ],
    )
    async def test_a_bad_hire_body_is_refused(self, factory: Factory, body: dict[str, Any]) -> None:
        job = await referred(factory)
        r = await job.boss.post(f"{REFERRALS}/{job.referral['id']}/hire", json=body)
        assert problem(r, 422, "validation_failed")["errors"]

    async def test_employer_a_cannot_hire_on_employer_b_referral(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        job = await referred(factory)
        _, intruder = await employer_user(factory)
        before = await read(job.boss, job.referral["id"])
        problem(await hire(intruder, job.referral["id"]), 404, "referral_not_found")
        for action in ("interview", "decline"):
            problem(await move(intruder, job.referral["id"], action), 404, "referral_not_found")
        assert await read(job.boss, job.referral["id"]) == before
        assert (await vacancy(job.boss, job.vacancy["id"]))["filled"] == 0
        assert await employments_of(session, job.worker["id"]) == 0
        assert await worker_status(job.cw, job.worker["id"]) == "unemployed"

    @pytest.mark.parametrize("role", ["caseworker", "auditor", "admin"])
    async def test_only_the_employer_hires(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        job = await referred(factory)
        c = await factory.as_role(role)
        problem(await hire(c, job.referral["id"]), 403, "forbidden")
        assert await employments_of(session, job.worker["id"]) == 0

    async def test_a_hire_past_the_openings_is_refused_and_writes_nothing(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        job = await referred(factory, openings=1)
        late = await second_referral(job)
        assert (await hire(job.boss, job.referral["id"])).status_code == 200
        problem(await hire(job.boss, late["id"]), 409, "vacancy_not_open")
        assert await employments_of(session, late["worker_id"]) == 0
        assert await worker_status(job.cw, late["worker_id"]) == "unemployed"
        assert (await read(job.boss, late["id"]))["status"] == "referred"
        after = await vacancy(job.boss, job.vacancy["id"])
        assert (after["filled"], after["status"]) == (1, "filled")
        where = col(Employment.vacancy_id) == job.vacancy["id"]
        assert await count_rows(session, Employment, where) == 1

    async def test_a_closed_vacancy_hires_nobody(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        job = await referred(factory, openings=3)
        assert (await job.boss.post(f"/api/v1/vacancies/{job.vacancy['id']}/close")).is_success
        problem(await hire(job.boss, job.referral["id"]), 409, "vacancy_not_open")
        assert await employments_of(session, job.worker["id"]) == 0


class TestDeclineAndWithdraw:
    async def test_the_employer_declines_with_a_reason(self, factory: Factory) -> None:
        job = await referred(factory)
        r = await move(job.boss, job.referral["id"], "decline", reason="暂不招聘夜班")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["decision_reason"]) == ("declined", "暂不招聘夜班")
        assert r.json()["decided_at"] is not None

    @pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
    async def test_declining_needs_a_reason(self, factory: Factory, body: dict[str, Any]) -> None:
        job = await referred(factory)
        r = await job.boss.post(f"{REFERRALS}/{job.referral['id']}/decline", json=body)
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.reason"}
        assert (await read(job.cw, job.referral["id"]))["status"] == "referred"

    async def test_the_caseworker_withdraws_with_a_reason(self, factory: Factory) -> None:
        job = await referred(factory)
        r = await move(job.cw, job.referral["id"], "withdraw", reason="已外出务工")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["decision_reason"]) == ("withdrawn", "已外出务工")

    @pytest.mark.parametrize("role", ["employer", "auditor", "admin"])
    async def test_only_a_caseworker_withdraws(self, factory: Factory, role: str) -> None:
        job = await referred(factory)
        kw: dict[str, Any] = {"employer_id": job.employer.id} if role == "employer" else {}
        c = await factory.as_role(role, **kw)
        problem(await move(c, job.referral["id"], "withdraw"), 403, "forbidden")
        assert (await read(job.cw, job.referral["id"]))["status"] == "referred"

    async def test_a_caseworker_of_another_township_cannot_withdraw(self, factory: Factory) -> None:
        job = await referred(factory)
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        problem(await move(pingwei, job.referral["id"], "withdraw"), 404, "referral_not_found")
        assert (await read(job.cw, job.referral["id"]))["status"] == "referred"


class TestInvalidTransitions:
    @pytest.mark.parametrize(
        ("first", "then"),
        [
            ("decline", "hire"),
            ("decline", "interview"),
            ("withdraw", "hire"),
            ("withdraw", "decline"),
            ("hire", "interview"),
            ("hire", "decline"),
            ("hire", "hire"),
            ("hire", "withdraw"),
            ("decline", "withdraw"),
        ],
    )
    async def test_a_decided_referral_does_not_move_again(
        self, factory: Factory, session: AsyncSession, first: str, then: str
    ) -> None:
        job = await referred(factory, openings=3)
        by = {"withdraw": job.cw}
        assert (await move(by.get(first, job.boss), job.referral["id"], first)).status_code == 200
        before = await read(job.boss, job.referral["id"])
        problem(
            await move(by.get(then, job.boss), job.referral["id"], then), 409, "invalid_transition"
        )
        assert await read(job.boss, job.referral["id"]) == before
        expected = 1 if first == "hire" else 0
        assert await employments_of(session, job.worker["id"]) == expected
        assert (await vacancy(job.boss, job.vacancy["id"]))["filled"] == expected


class TestConcurrentHires:
    async def test_two_hires_for_the_last_opening_exactly_one_succeeds(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        for _ in range(5 if IS_POSTGRES else 1):
            job = await referred(factory, openings=1)
            rival = await second_referral(job)
            results = await asyncio.gather(
                hire(job.boss, job.referral["id"]), hire(job.boss, rival["id"])
            )
            assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
            [won] = [r.json() for r in results if r.status_code == 200]
            [lost] = [r for r in results if r.status_code == 409]
            problem(lost, 409, "vacancy_not_open")
            after = await vacancy(job.boss, job.vacancy["id"])
            assert (after["filled"], after["openings"], after["status"]) == (1, 1, "filled")
            where = col(Employment.vacancy_id) == job.vacancy["id"]
            assert await count_rows(session, Employment, where) == 1
            loser = rival if won["id"] == job.referral["id"] else job.referral
            assert await employments_of(session, loser["worker_id"]) == 0
            assert await worker_status(job.cw, loser["worker_id"]) == "unemployed"
            assert (await read(job.boss, loser["id"]))["status"] == "referred"

    async def test_two_hires_of_one_opening_from_different_employers_vacancies_both_succeed(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        a, b = await referred(factory), await referred(factory)
        results = await asyncio.gather(
            hire(a.boss, a.referral["id"]), hire(b.boss, b.referral["id"])
        )
        assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
        for job in (a, b):
            assert (await vacancy(job.boss, job.vacancy["id"]))["status"] == "filled"
