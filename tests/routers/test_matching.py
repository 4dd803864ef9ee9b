"""Matching: open vacancies ranked for a worker, and available workers of the caller's scope
ranked for a vacancy, each result saying why it ranked."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    XUGANG,
    Factory,
    employer_user,
    enrol,
    new_training_session,
    new_vacancy,
    new_worker,
    problem,
)

JIANGSU_DISTRICT = "320505"  # 苏州市虎丘区, another province
HEFEI_DISTRICT = "340104"  # 合肥市蜀山区, the same province, another county


async def add_region(
    admin: AsyncClient, code: str, name: str, level: str, parent: str | None
) -> None:
    r = await admin.post(
        "/api/v1/regions", json={"code": code, "name": name, "level": level, "parent_code": parent}
    )
    assert r.status_code == 201, r.text


async def far_regions(factory: Factory) -> None:
    """江苏省 → 苏州市 → 虎丘区, and 合肥市蜀山区 (a root of its own), made by an admin."""
    admin = await factory.as_role("admin")
    await add_region(admin, "320000", "江苏省", "province", None)
    await add_region(admin, "320500", "苏州市", "city", "320000")
    await add_region(admin, JIANGSU_DISTRICT, "虎丘区", "district", "320500")
    await add_region(admin, HEFEI_DISTRICT, "蜀山区", "district", None)


async def walk(c: AsyncClient, path: str, *, limit: int = 1) -> list[dict[str, Any]]:
    """Every item of a ranked list, ``limit`` at a time, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await c.get(path, params=params)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


async def matches(c: AsyncClient, worker_id: int, **kw: Any) -> list[dict[str, Any]]:
    return await walk(c, f"/api/v1/workers/{worker_id}/matches", **kw)


async def candidates(c: AsyncClient, vacancy_id: int, **kw: Any) -> list[dict[str, Any]]:
    return await walk(c, f"/api/v1/vacancies/{vacancy_id}/candidates", **kw)


def ranked(items: list[dict[str, Any]], key: str) -> list[int]:
    return [item[key]["id"] for item in items]


def assert_ranked_by_score(items: list[dict[str, Any]]) -> None:
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True), scores


def seamstress(**fields: Any) -> dict[str, Any]:
    """A 许岗村 worker who sews, wishes for garment work and will work within the county."""
    return {
        "skills": ["sewing"],
        "job_wishes": ["garment"],
        "work_location_wish": "in_county",
        **fields,
    }


class TestMatchesForAWorker:
    async def test_skill_wish_and_reach_rank_a_vacancy_first_and_say_why(
        self, factory: Factory
    ) -> None:
        await far_regions(factory)
        _, boss = await employer_user(factory)
        best = await new_vacancy(boss, work_region_code=XUGANG)
        other_trade = await new_vacancy(
            boss,
            job_type="catering",
            required_skills=["cooking"],
            work_region_code=PINGWEI_VILLAGE,
        )
        far_away = await new_vacancy(boss, work_region_code=JIANGSU_DISTRICT)
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw, **seamstress())
        items = await matches(cw, worker["id"], limit=50)
        assert ranked(items, "vacancy") == [best["id"], far_away["id"], other_trade["id"]]
        assert_ranked_by_score(items)
        first = items[0]
        assert first["score"] > items[1]["score"]
        reasons = " | ".join(first["reasons"])
        assert "sewing" in reasons
        assert "wish" in reasons
        assert "within reach (local)" in reasons
        assert any("beyond reach" in r for r in items[1]["reasons"])
        assert any("out_of_province" in r for r in items[1]["reasons"])
        assert any("within reach (in_county)" in r for r in items[2]["reasons"])
        assert not any("sewing" in r for r in items[2]["reasons"])
        assert all(item["reasons"] for item in items)

    async def test_a_vacancy_beyond_the_workers_reach_scores_lower(self, factory: Factory) -> None:
        await far_regions(factory)
        _, boss = await employer_user(factory)
        near = await new_vacancy(boss, work_region_code=PINGWEI_VILLAGE)
        province = await new_vacancy(boss, work_region_code=HEFEI_DISTRICT)
        beyond = await new_vacancy(boss, work_region_code=JIANGSU_DISTRICT)
        cw = await factory.as_role("caseworker")
        stays_near = await new_worker(cw, **seamstress())
        score = {m["vacancy"]["id"]: m["score"] for m in await matches(cw, stays_near["id"])}
        assert score[near["id"]] > score[province["id"]]
        assert score[province["id"]] == score[beyond["id"]]
        goes_anywhere = await new_worker(cw, **seamstress(work_location_wish="out_of_province"))
        anywhere = {m["vacancy"]["id"]: m["score"] for m in await matches(cw, goes_anywhere["id"])}
        assert anywhere[near["id"]] == anywhere[province["id"]] == anywhere[beyond["id"]]

    @pytest.mark.parametrize(
        ("wish", "within"), [("local", False), ("in_county", True), (None, True)]
    )
    async def test_reach_follows_where_the_worker_will_work(
        self, factory: Factory, wish: str | None, within: bool
    ) -> None:
        _, boss = await employer_user(factory)
        await new_vacancy(boss, work_region_code=PINGWEI_VILLAGE)
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw, **seamstress(work_location_wish=wish))
        [match] = await matches(cw, worker["id"])
        assert any(
            ("within" if within else "beyond") + " reach (in_county)" in r for r in match["reasons"]
        ), match

    async def test_a_disability_friendly_post_ranks_higher_for_a_worker_with_a_disability(
        self, factory: Factory
    ) -> None:
        _, boss = await employer_user(factory)
        plain = await new_vacancy(boss)
        friendly = await new_vacancy(boss, disability_friendly=True)
        cw = await factory.as_role("caseworker")
        disabled = await new_worker(cw, **seamstress(disability_level="level_3"))
        items = await matches(cw, disabled["id"])
        assert ranked(items, "vacancy") == [friendly["id"], plain["id"]]
        assert items[0]["score"] > items[1]["score"]
        assert "disability-friendly post" in items[0]["reasons"]
        able = await new_worker(cw, **seamstress())
        scores = {m["score"] for m in await matches(cw, able["id"])}
        assert len(scores) == 1
        assert not any(
            "disability" in r for m in await matches(cw, able["id"]) for r in m["reasons"]
        )

    async def test_training_in_a_required_skill_counts(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        pastry = await new_vacancy(boss, job_type="food_processing", required_skills=["pastry"])
        other = await new_vacancy(boss, job_type="food_processing", required_skills=["cooking"])
        admin = await factory.as_role("admin")
        session = await new_training_session(admin, course_type="pastry")
        cw = await factory.as_role("caseworker")
        trainee = await new_worker(cw)
        assert (await enrol(cw, session["id"], trainee["id"])).status_code == 201
        items = await matches(cw, trainee["id"])
        assert ranked(items, "vacancy") == [pastry["id"], other["id"]]
        assert "in training for: pastry" in items[0]["reasons"]

    async def test_closed_and_filled_vacancies_never_appear(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        closed = await new_vacancy(boss)
        assert (await boss.post(f"/api/v1/vacancies/{closed['id']}/close")).status_code == 200
        still_open = await new_vacancy(boss)
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw, **seamstress())
        assert ranked(await matches(cw, worker["id"]), "vacancy") == [still_open["id"]]

    async def test_limit_1_walks_every_match_once(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        posted = [
            await new_vacancy(boss, job_type=job, required_skills=skills)
            for job, skills in [
                ("garment", ["sewing"]),
                ("garment", []),
                ("cleaning", []),
                ("catering", ["sewing"]),
                ("cleaning", []),
            ]
        ]
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw, **seamstress())
        walked = await matches(cw, worker["id"], limit=1)
        assert sorted(ranked(walked, "vacancy")) == sorted(v["id"] for v in posted)
        assert_ranked_by_score(walked)
        assert ranked(walked, "vacancy") == ranked(
            await matches(cw, worker["id"], limit=50), "vacancy"
        )

    async def test_a_worker_outside_the_callers_scope_is_not_found(self, factory: Factory) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        stranger = await new_worker(pingwei, region=PINGWEI_VILLAGE)
        cw = await factory.as_role("caseworker")
        r = await cw.get(f"/api/v1/workers/{stranger['id']}/matches")
        problem(r, 404, "worker_not_found")

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_do_not_match(self, factory: Factory, role: str) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw, **seamstress())
        c = await factory.as_role(role)
        problem(await c.get(f"/api/v1/workers/{worker['id']}/matches"), 403, "forbidden")

    async def test_a_forged_cursor_is_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        r = await cw.get(f"/api/v1/workers/{worker['id']}/matches", params={"cursor": "bm9wZQ"})
        problem(r, 422, "invalid_cursor")


class TestCandidatesForAVacancy:
    async def test_available_workers_of_the_callers_scope_are_ranked(
        self, factory: Factory
    ) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        cw = await factory.as_role("caseworker")
        best = await new_worker(cw, **seamstress())
        training = await new_worker(
            cw, **seamstress(job_wishes=[], employment_status="in_training")
        )
        wish_only = await new_worker(cw, **seamstress(skills=[]))
        for excluded in (
            seamstress(employment_status="employed"),
            seamstress(employment_status="self_employed"),
            seamstress(employment_status="unable_to_work"),
            seamstress(able_to_work=False),
            seamstress(skills=["cooking"], job_wishes=["catering"]),
        ):
            await new_worker(cw, **excluded)
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        elsewhere = await new_worker(pingwei, region=PINGWEI_VILLAGE, **seamstress())
        items = await candidates(cw, vacancy["id"], limit=50)
        assert ranked(items, "worker") == [best["id"], training["id"], wish_only["id"]]
        assert_ranked_by_score(items)
        assert items[0]["score"] > items[1]["score"] > items[2]["score"]
        reasons = " | ".join(items[0]["reasons"])
        assert "skills: sewing" in reasons
        assert "wish" in reasons
        assert "within reach (local)" in reasons
        assert items[0]["worker"]["id_number"].count("*") == 8
        theirs = await candidates(pingwei, vacancy["id"])
        assert ranked(theirs, "worker") == [elsewhere["id"]]
        admin = await factory.as_role("admin")
        assert elsewhere["id"] in ranked(await candidates(admin, vacancy["id"]), "worker")

    async def test_a_worker_with_a_disability_ranks_higher_for_a_friendly_post(
        self, factory: Factory
    ) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss, disability_friendly=True)
        cw = await factory.as_role("caseworker")
        able = await new_worker(cw, **seamstress())
        disabled = await new_worker(cw, **seamstress(disability_level="level_2"))
        items = await candidates(cw, vacancy["id"])
        assert ranked(items, "worker") == [disabled["id"], able["id"]]
        assert "disability-friendly post" in items[0]["reasons"]

    async def test_limit_1_walks_every_candidate_once(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        cw = await factory.as_role("caseworker")
        made = [
            await new_worker(cw, **seamstress(skills=s, job_wishes=w))
            for s, w in [
                (["sewing"], []),
                ([], ["garment"]),
                (["sewing"], ["garment"]),
                ([], ["garment"]),
                (["sewing"], []),
            ]
        ]
        walked = await candidates(cw, vacancy["id"], limit=1)
        assert sorted(ranked(walked, "worker")) == sorted(w["id"] for w in made)
        assert_ranked_by_score(walked)

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_do_not_see_candidates(
        self, factory: Factory, role: str
    ) -> None:
        employer, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        kw: dict[str, Any] = {"employer_id": employer.id} if role == "employer" else {}
        c = await factory.as_role(role, **kw)
        r = await c.get(f"/api/v1/vacancies/{vacancy['id']}/candidates")
        problem(r, 403, "forbidden")

    async def test_an_unknown_vacancy_is_not_found(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        problem(await cw.get("/api/v1/vacancies/987654/candidates"), 404, "vacancy_not_found")
