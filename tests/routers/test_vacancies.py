"""Vacancies: verified employers post, edit and close their own; the programme finds them."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Vacancy
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    count_rows,
    employer_user,
    error_fields,
    hire,
    new_vacancy,
    new_worker,
    problem,
    refer,
)

VACANCIES = "/api/v1/vacancies"
EPOCH = "2000-01-01T00:00:00Z"


def vacancy_body(**fields: Any) -> dict[str, Any]:
    return {
        "title": "缝纫工",
        "job_type": "garment",
        "required_skills": ["sewing"],
        "openings": 3,
        "wage_min_fen": 300000,
        "wage_max_fen": 450000,
        "work_region_code": XUGANG,
        **fields,
    }


async def listed_ids(c: AsyncClient, **params: Any) -> set[int]:
    """Every vacancy id the list shows with these filters, following next_cursor."""
    ids: list[int] = []
    cursor: str | None = None
    while True:
        r = await c.get(VACANCIES, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        ids += [v["id"] for v in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            assert len(ids) == len(set(ids)), ids
            return set(ids)


async def read(c: AsyncClient, vacancy_id: int) -> dict[str, Any]:
    r = await c.get(f"{VACANCIES}/{vacancy_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def fill(factory: Factory, boss: AsyncClient, vacancy_id: int, hires: int) -> None:
    """Refer ``hires`` new workers of 许岗村 to the vacancy and hire them all."""
    cw = await factory.as_role("caseworker")
    for _ in range(hires):
        worker = await new_worker(cw)
        referral = await refer(cw, worker["id"], vacancy_id)
        r = await hire(boss, referral["id"])
        assert r.status_code == 200, r.text


class TestPostVacancy:
    async def test_a_verified_employer_posts_a_vacancy(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        r = await boss.post(VACANCIES, json=vacancy_body(housing_offered=True))
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["employer_id"] == employer.id
        assert (made["status"], made["filled"], made["openings"]) == ("open", 0, 3)
        assert (made["wage_min_fen"], made["wage_max_fen"]) == (300000, 450000)
        assert made["currency"] == "CNY"
        assert made["housing_offered"] is True
        assert r.headers["ETag"] == f'"{made["version"]}"'

    async def test_an_unverified_employer_cannot_post(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        employer, boss = await employer_user(factory, verified=False)
        problem(await boss.post(VACANCIES, json=vacancy_body()), 403, "employer_not_verified")
        assert await count_rows(session, Vacancy, col(Vacancy.employer_id) == employer.id) == 0

    async def test_once_verified_it_can_post(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory, verified=False)
        admin = await factory.as_role("admin")
        assert (await admin.post(f"/api/v1/employers/{employer.id}/verify")).status_code == 200
        assert (await boss.post(VACANCIES, json=vacancy_body())).status_code == 201

    @pytest.mark.parametrize("role", ["caseworker", "auditor", "admin"])
    async def test_only_employer_users_post(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        c = await factory.as_role(role)
        problem(await c.post(VACANCIES, json=vacancy_body(title="不该有")), 403, "forbidden")
        assert await count_rows(session, Vacancy, col(Vacancy.title) == "不该有") == 0

    async def test_an_upside_down_wage_range_is_refused(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        r = await boss.post(VACANCIES, json=vacancy_body(wage_min_fen=500000, wage_max_fen=300000))
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.wage_max_fen"}

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("openings", 0),
            ("openings", -1),
            ("wage_min_fen", 3000.5),
            ("wage_min_fen", "3000元"),
            ("wage_max_fen", 4500.25),
            ("wage_min_fen", -1),
            ("job_type", "astronaut"),
            ("required_skills", ["juggling"]),
            ("title", ""),
        ],
    )
    async def test_bad_values_are_refused(self, factory: Factory, field: str, value: Any) -> None:
        _, boss = await employer_user(factory)
        r = await boss.post(VACANCIES, json=vacancy_body(**{field: value}))
        fields = error_fields(problem(r, 422, "validation_failed"))
        assert fields, r.text
        assert all(f.startswith(f"body.{field}") for f in fields), fields

    async def test_an_unknown_work_region_is_refused(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        r = await boss.post(VACANCIES, json=vacancy_body(work_region_code="340406199"))
        assert error_fields(problem(r, 422, "unknown_region")) == {"body.work_region_code"}

    @pytest.mark.parametrize("field", ["employer_id", "status", "filled", "posted_by"])
    async def test_unknown_fields_are_refused(self, factory: Factory, field: str) -> None:
        other = await factory.employer()
        _, boss = await employer_user(factory)
        r = await boss.post(VACANCIES, json=vacancy_body(**{field: other.id}))
        assert error_fields(problem(r, 422, "validation_failed")) == {f"body.{field}"}


class TestListVacancies:
    async def test_the_list_shows_open_vacancies_unless_asked(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        still_open = await new_vacancy(boss)
        closed = await new_vacancy(boss)
        assert (await boss.post(f"{VACANCIES}/{closed['id']}/close")).status_code == 200
        filled = await new_vacancy(boss, openings=1)
        await fill(factory, boss, filled["id"], 1)
        cw = await factory.as_role("caseworker")
        assert await listed_ids(cw) == {still_open["id"]}
        assert await listed_ids(cw, status="closed") == {closed["id"]}
        assert await listed_ids(cw, status="filled") == {filled["id"]}

    async def test_filters(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        sewing = await new_vacancy(boss, wage_min_fen=250000, wage_max_fen=None)
        cooking = await new_vacancy(
            boss,
            job_type="catering",
            required_skills=["cooking", "pastry"],
            work_region_code=PINGWEI_VILLAGE,
            wage_min_fen=400000,
            wage_max_fen=500000,
            housing_offered=True,
        )
        cw = await factory.as_role("caseworker")
        assert await listed_ids(cw, job_type="catering") == {cooking["id"]}
        assert await listed_ids(cw, job_type="garment") == {sewing["id"]}
        assert await listed_ids(cw, region=PINGWEI) == {cooking["id"]}
        assert await listed_ids(cw, region=QIJI) == {sewing["id"]}
        assert await listed_ids(cw, skill="pastry") == {cooking["id"]}
        assert await listed_ids(cw, skill="welding") == set()
        assert await listed_ids(cw, min_wage_fen=300000) == {cooking["id"]}
        assert await listed_ids(cw, min_wage_fen=250000) == {sewing["id"], cooking["id"]}
        assert await listed_ids(cw, housing_offered="true") == {cooking["id"]}
        assert await listed_ids(cw, housing_offered="false") == {sewing["id"]}
        assert await listed_ids(cw, job_type="catering", region=QIJI) == set()

    @pytest.mark.parametrize(
        "params",
        [
            {"job_type": "astronaut"},
            {"skill": "x"},
            {"min_wage_fen": "-1"},
            {"region": "abc"},
            {"status": "gone"},
        ],
    )
    async def test_bad_filters_are_refused(self, factory: Factory, params: dict[str, str]) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.get(VACANCIES, params=params)
        assert error_fields(problem(r, 422, "validation_failed")) == {f"query.{next(iter(params))}"}

    async def test_an_employer_lists_its_own_vacancies_only(self, factory: Factory) -> None:
        _, a = await employer_user(factory)
        _, b = await employer_user(factory)
        mine = await new_vacancy(a)
        theirs = await new_vacancy(b)
        assert await listed_ids(a) == {mine["id"]}
        assert await listed_ids(a, employer_id=theirs["employer_id"]) == set()

    @pytest.mark.parametrize("role", ["caseworker", "admin"])
    async def test_caseworkers_and_admins_see_every_vacancy(
        self, factory: Factory, role: str
    ) -> None:
        _, boss = await employer_user(factory)
        far = await new_vacancy(boss, work_region_code=PINGWEI_VILLAGE)
        c = await factory.as_role(role)
        assert far["id"] in await listed_ids(c, limit=1)
        assert (await read(c, far["id"]))["id"] == far["id"]

    async def test_an_auditor_sees_vacancies_working_in_its_region(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        here = await new_vacancy(boss, work_region_code=XUGANG)
        there = await new_vacancy(boss, work_region_code=PINGWEI_VILLAGE)
        auditor = await factory.as_role("auditor", region=QIJI)
        assert await listed_ids(auditor) == {here["id"]}
        problem(await auditor.get(f"{VACANCIES}/{there['id']}"), 404, "vacancy_not_found")


class TestEmployerBoundaries:
    async def test_employer_a_cannot_read_employer_b_vacancy(self, factory: Factory) -> None:
        _, a = await employer_user(factory)
        _, b = await employer_user(factory)
        theirs = await new_vacancy(b)
        problem(await a.get(f"{VACANCIES}/{theirs['id']}"), 404, "vacancy_not_found")

    async def test_employer_a_cannot_edit_employer_b_vacancy(self, factory: Factory) -> None:
        _, a = await employer_user(factory)
        _, b = await employer_user(factory)
        theirs = await new_vacancy(b)
        r = await a.patch(
            f"{VACANCIES}/{theirs['id']}",
            json={"title": "改了"},
            headers={"If-Match": f'"{theirs["version"]}"'},
        )
        problem(r, 404, "vacancy_not_found")
        assert await read(b, theirs["id"]) == theirs

    async def test_employer_a_cannot_close_employer_b_vacancy(self, factory: Factory) -> None:
        _, a = await employer_user(factory)
        _, b = await employer_user(factory)
        theirs = await new_vacancy(b)
        problem(await a.post(f"{VACANCIES}/{theirs['id']}/close"), 404, "vacancy_not_found")
        assert (await read(b, theirs["id"]))["status"] == "open"

    @pytest.mark.parametrize("role", ["caseworker", "auditor", "admin"])
    async def test_only_the_employer_edits_or_closes(self, factory: Factory, role: str) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        c = await factory.as_role(role)
        r = await c.patch(
            f"{VACANCIES}/{vacancy['id']}",
            json={"title": "改了"},
            headers={"If-Match": f'"{vacancy["version"]}"'},
        )
        problem(r, 403, "forbidden")
        problem(await c.post(f"{VACANCIES}/{vacancy['id']}/close"), 403, "forbidden")
        assert await read(boss, vacancy["id"]) == vacancy


class TestEditVacancy:
    async def test_an_employer_edits_its_vacancy(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        r = await boss.patch(
            f"{VACANCIES}/{vacancy['id']}",
            json={"title": "熟练缝纫工", "wage_max_fen": 500000, "housing_offered": True},
            headers={"If-Match": f'"{vacancy["version"]}"'},
        )
        assert r.status_code == 200, r.text
        assert (r.json()["title"], r.json()["wage_max_fen"]) == ("熟练缝纫工", 500000)
        assert r.json()["version"] > vacancy["version"]

    async def test_without_if_match_it_is_refused(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        r = await boss.patch(f"{VACANCIES}/{vacancy['id']}", json={"title": "x"})
        problem(r, 428, "if_match_required")
        assert await read(boss, vacancy["id"]) == vacancy

    async def test_a_stale_version_changes_nothing(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        stale = {"If-Match": f'"{vacancy["version"]}"'}
        path = f"{VACANCIES}/{vacancy['id']}"
        assert (await boss.patch(path, json={"title": "一"}, headers=stale)).status_code == 200
        problem(
            await boss.patch(path, json={"title": "二"}, headers=stale), 412, "version_mismatch"
        )
        assert (await read(boss, vacancy["id"]))["title"] == "一"

    async def test_a_wage_range_turned_upside_down_is_refused(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss, wage_min_fen=300000, wage_max_fen=450000)
        r = await boss.patch(
            f"{VACANCIES}/{vacancy['id']}",
            json={"wage_max_fen": 200000},
            headers={"If-Match": f'"{vacancy["version"]}"'},
        )
        assert error_fields(problem(r, 422, "range_reversed")) == {"body.wage_max_fen"}
        assert await read(boss, vacancy["id"]) == vacancy

    async def test_unknown_fields_are_refused(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        r = await boss.patch(
            f"{VACANCIES}/{vacancy['id']}",
            json={"filled": 0, "status": "open"},
            headers={"If-Match": f'"{vacancy["version"]}"'},
        )
        fields = error_fields(problem(r, 422, "validation_failed"))
        assert fields == {"body.filled", "body.status"}


class TestCloseVacancy:
    async def test_an_employer_closes_its_vacancy(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        r = await boss.post(f"{VACANCIES}/{vacancy['id']}/close")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "closed"
        again = await boss.post(f"{VACANCIES}/{vacancy['id']}/close")
        assert (again.status_code, again.json()["status"]) == (200, "closed")
        cw = await factory.as_role("caseworker")
        assert vacancy["id"] not in await listed_ids(cw)

    async def test_a_closed_vacancy_stays_closed_when_openings_change(
        self, factory: Factory
    ) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        closed = (await boss.post(f"{VACANCIES}/{vacancy['id']}/close")).json()
        r = await boss.patch(
            f"{VACANCIES}/{vacancy['id']}",
            json={"openings": 5},
            headers={"If-Match": f'"{closed["version"]}"'},
        )
        assert (r.status_code, r.json()["status"]) == (200, "closed")


class TestFilledVacancy:
    async def test_a_vacancy_is_filled_when_its_openings_are_taken(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss, openings=2)
        await fill(factory, boss, vacancy["id"], 1)
        half = await read(boss, vacancy["id"])
        assert (half["filled"], half["status"]) == (1, "open")
        await fill(factory, boss, vacancy["id"], 1)
        full = await read(boss, vacancy["id"])
        assert (full["filled"], full["status"]) == (2, "filled")

    async def test_openings_cannot_go_below_those_taken(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss, openings=3)
        await fill(factory, boss, vacancy["id"], 2)
        before = await read(boss, vacancy["id"])
        r = await boss.patch(
            f"{VACANCIES}/{vacancy['id']}",
            json={"openings": 1},
            headers={"If-Match": f'"{before["version"]}"'},
        )
        problem(r, 409, "openings_below_filled")
        assert await read(boss, vacancy["id"]) == before

    async def test_lowering_openings_to_those_taken_fills_it_and_raising_reopens(
        self, factory: Factory
    ) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss, openings=3)
        await fill(factory, boss, vacancy["id"], 2)
        path = f"{VACANCIES}/{vacancy['id']}"
        current = await read(boss, vacancy["id"])
        r = await boss.patch(
            path, json={"openings": 2}, headers={"If-Match": f'"{current["version"]}"'}
        )
        assert (r.status_code, r.json()["status"]) == (200, "filled"), r.text
        r = await boss.patch(
            path, json={"openings": 4}, headers={"If-Match": f'"{r.json()["version"]}"'}
        )
        assert (r.status_code, r.json()["status"], r.json()["filled"]) == (200, "open", 2)


class TestVacancySync:
    async def sync(self, c: AsyncClient, since: str) -> tuple[dict[int, dict[str, Any]], str]:
        """One sync pass from ``since``, page by page: the records received and the token."""
        got: dict[int, dict[str, Any]] = {}
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"updated_since": since, "limit": 1}
            r = await c.get(VACANCIES, params={**params, **({"cursor": cursor} if cursor else {})})
            assert r.status_code == 200, r.text
            got.update({v["id"]: v for v in r.json()["items"]})
            cursor = r.json()["next_cursor"]
            if cursor is None:
                token: str = r.json()["sync_token"]
                assert token
                return got, token

    async def test_a_phone_catches_up_with_new_edited_and_closed_vacancies(
        self, factory: Factory
    ) -> None:
        _, boss = await employer_user(factory)
        edited = await new_vacancy(boss)
        closed = await new_vacancy(boss)
        untouched = await new_vacancy(boss)
        cw = await factory.as_role("caseworker")
        first, token = await self.sync(cw, EPOCH)
        assert set(first) == {edited["id"], closed["id"], untouched["id"]}
        r = await boss.patch(
            f"{VACANCIES}/{edited['id']}",
            json={"title": "改过的"},
            headers={"If-Match": f'"{edited["version"]}"'},
        )
        assert r.status_code == 200, r.text
        assert (await boss.post(f"{VACANCIES}/{closed['id']}/close")).status_code == 200
        added = await new_vacancy(boss)
        changes, next_token = await self.sync(cw, token)
        assert set(changes) == {edited["id"], closed["id"], added["id"]}
        assert changes[edited["id"]]["title"] == "改过的"
        assert changes[closed["id"]]["status"] == "closed"
        assert next_token != token
        nothing, _ = await self.sync(cw, next_token)
        assert nothing == {}

    async def test_an_employer_syncs_its_own_vacancies_only(self, factory: Factory) -> None:
        _, a = await employer_user(factory)
        _, b = await employer_user(factory)
        mine = await new_vacancy(a)
        await new_vacancy(b)
        got, _ = await self.sync(a, EPOCH)
        assert set(got) == {mine["id"]}

    async def test_a_bad_sync_token_is_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.get(VACANCIES, params={"updated_since": "last tuesday"})
        assert error_fields(problem(r, 422, "validation_failed")) == {"query.updated_since"}
