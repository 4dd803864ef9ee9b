"""Recruitment events (就业援助月, 春风行动, job fairs, park recruitment): who took part, which
workers came, and what the referrals made there came to."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import RecruitmentEvent
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
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

EVENTS = "/api/v1/recruitment-events"


def event_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "2026年春风行动祁集镇专场招聘会",
        "campaign": "spring_breeze",
        "date": "2026-03-01",
        "place": "祁集镇政府广场",
        "region_code": QIJI,
        **fields,
    }


async def new_event(c: AsyncClient, **fields: Any) -> dict[str, Any]:
    r = await c.post(EVENTS, json=event_body(**fields))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def detail(c: AsyncClient, event_id: int) -> dict[str, Any]:
    r = await c.get(f"{EVENTS}/{event_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def listed_ids(c: AsyncClient, **params: Any) -> list[int]:
    ids: list[int] = []
    cursor: str | None = None
    while True:
        r = await c.get(EVENTS, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        ids += [x["id"] for x in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            assert len(ids) == len(set(ids)), ids
            return ids


async def attend(c: AsyncClient, event_id: int, worker_id: int) -> Any:
    return await c.post(f"{EVENTS}/{event_id}/attendees", json={"worker_id": worker_id})


class TestCreateEvent:
    async def test_a_caseworker_announces_a_job_fair_with_who_takes_part(
        self, factory: Factory
    ) -> None:
        employer = await factory.employer()
        other, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        cw = await factory.as_role("caseworker")
        r = await cw.post(
            EVENTS, json=event_body(employer_ids=[employer.id], vacancy_ids=[vacancy["id"]])
        )
        assert r.status_code == 201, r.text
        made = r.json()
        assert (made["campaign"], made["date"], made["place"]) == (
            "spring_breeze",
            "2026-03-01",
            "祁集镇政府广场",
        )
        assert made["region_code"] == QIJI
        # The employer of a vacancy taking part takes part too.
        assert set(made["employer_ids"]) == {employer.id, other.id}
        assert made["employer_ids"] == sorted(made["employer_ids"])
        assert made["vacancy_ids"] == [vacancy["id"]]
        assert made["outcomes"] == {
            "attendees": 0,
            "referred": 0,
            "interviewed": 0,
            "hired": 0,
            "declined": 0,
            "withdrawn": 0,
        }

    @pytest.mark.parametrize(
        "campaign", ["assistance_month", "spring_breeze", "job_fair", "park_recruitment"]
    )
    async def test_every_campaign(self, factory: Factory, campaign: str) -> None:
        admin = await factory.as_role("admin")
        assert (await new_event(admin, campaign=campaign))["campaign"] == campaign

    @pytest.mark.parametrize(
        ("fields", "field", "code"),
        [
            ({"campaign": "summer_fun"}, "body.campaign", "validation_failed"),
            ({"date": "March 1st"}, "body.date", "validation_failed"),
            ({"place": ""}, "body.place", "validation_failed"),
            ({"region_code": "340406199"}, "body.region_code", "unknown_region"),
            ({"employer_ids": [987654]}, "body.employer_ids", "unknown_reference"),
            ({"vacancy_ids": [987654]}, "body.vacancy_ids", "unknown_reference"),
            ({"employer_ids": [2**63]}, "body.employer_ids.0", "validation_failed"),
            ({"vacancy_ids": [0]}, "body.vacancy_ids.0", "validation_failed"),
            ({"attendees": []}, "body.attendees", "validation_failed"),
        ],
    )
    async def test_bad_input_is_refused_and_nothing_is_written(
        self, factory: Factory, session: AsyncSession, fields: dict[str, Any], field: str, code: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(EVENTS, json=event_body(**fields))
        assert error_fields(problem(r, 422, code)) == {field}
        assert await count_rows(session, RecruitmentEvent) == 0

    async def test_unknown_ids_are_refused_even_beside_known_ones(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        employer = await factory.employer()
        cw = await factory.as_role("caseworker")
        r = await cw.post(EVENTS, json=event_body(employer_ids=[employer.id, 987654]))
        body = problem(r, 422, "unknown_reference")
        assert error_fields(body) == {"body.employer_ids"}
        assert "987654" in body["detail"]
        assert await count_rows(session, RecruitmentEvent) == 0

    async def test_a_caseworker_announces_events_only_in_their_own_township(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(EVENTS, json=event_body(region_code=PINGWEI))
        assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.region_code"}
        assert await count_rows(session, RecruitmentEvent) == 0
        admin = await factory.as_role("admin")
        assert (await admin.post(EVENTS, json=event_body(region_code=PINGWEI))).status_code == 201

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_do_not_announce_events(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        c = await factory.as_role(role)
        problem(await c.post(EVENTS, json=event_body()), 403, "forbidden")
        assert await count_rows(session, RecruitmentEvent) == 0


class TestParticipants:
    async def test_employers_and_vacancies_join_later(self, factory: Factory) -> None:
        employer = await factory.employer()
        other, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss)
        cw = await factory.as_role("caseworker")
        event = await new_event(cw)
        body = {"employer_ids": [employer.id], "vacancy_ids": [vacancy["id"]]}
        r = await cw.post(f"{EVENTS}/{event['id']}/participants", json=body)
        assert r.status_code == 200, r.text
        assert set(r.json()["employer_ids"]) == {employer.id, other.id}
        assert r.json()["version"] == event["version"] + 1
        assert r.headers["ETag"] == f'"{event["version"] + 1}"'
        again = await cw.post(f"{EVENTS}/{event['id']}/participants", json=body)
        assert again.json()["employer_ids"] == r.json()["employer_ids"]
        assert again.json()["vacancy_ids"] == [vacancy["id"]]

    async def test_unknown_participants_are_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        event = await new_event(cw)
        r = await cw.post(f"{EVENTS}/{event['id']}/participants", json={"vacancy_ids": [987654]})
        assert error_fields(problem(r, 422, "unknown_reference")) == {"body.vacancy_ids"}
        assert (await detail(cw, event["id"]))["vacancy_ids"] == []

    async def test_an_employer_does_not_add_participants(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        cw = await factory.as_role("caseworker")
        event = await new_event(cw, employer_ids=[employer.id])
        r = await boss.post(f"{EVENTS}/{event['id']}/participants", json={"employer_ids": []})
        problem(r, 403, "forbidden")

    async def test_an_unknown_event_is_not_found(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(f"{EVENTS}/987654/participants", json={"employer_ids": []})
        problem(r, 404, "event_not_found")


class TestAttendees:
    async def test_a_caseworker_records_workers_who_came(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        event = await new_event(cw)
        first, second = await new_worker(cw), await new_worker(cw)
        for worker in (first, second, first):
            r = await attend(cw, event["id"], worker["id"])
            assert r.status_code == 200, r.text
        assert r.json()["outcomes"]["attendees"] == 2

    async def test_a_worker_outside_the_caseworkers_scope_is_not_found(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        event = await new_event(cw)
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        stranger = await new_worker(pingwei, region=PINGWEI_VILLAGE)
        problem(await attend(cw, event["id"], stranger["id"]), 404, "worker_not_found")
        assert (await detail(cw, event["id"]))["outcomes"]["attendees"] == 0

    async def test_attendees_are_counted_within_the_readers_scope(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        event = await new_event(cw)
        assert (await attend(cw, event["id"], (await new_worker(cw))["id"])).status_code == 200
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        stranger = await new_worker(pingwei, region=PINGWEI_VILLAGE)
        assert (await attend(pingwei, event["id"], stranger["id"])).status_code == 200
        assert (await detail(cw, event["id"]))["outcomes"]["attendees"] == 1
        assert (await detail(pingwei, event["id"]))["outcomes"]["attendees"] == 1
        admin = await factory.as_role("admin")
        assert (await detail(admin, event["id"]))["outcomes"]["attendees"] == 2

    async def test_an_employer_does_not_record_attendees(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        cw = await factory.as_role("caseworker")
        event = await new_event(cw, employer_ids=[employer.id])
        worker = await new_worker(cw)
        problem(await attend(boss, event["id"], worker["id"]), 403, "forbidden")


class TestOutcomes:
    async def test_referrals_made_at_the_event_show_in_its_outcomes(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss, openings=5)
        cw = await factory.as_role("caseworker")
        event = await new_event(cw, vacancy_ids=[vacancy["id"]])
        made = []
        for _ in range(5):
            worker = await new_worker(cw)
            made.append(await refer(cw, worker["id"], vacancy["id"], event_id=event["id"]))
        outside = await new_worker(cw)
        await refer(cw, outside["id"], vacancy["id"])  # not at the event
        stay, interviewed, hired, declined, withdrawn = (m["id"] for m in made)
        referrals = "/api/v1/referrals"
        assert (await boss.post(f"{referrals}/{interviewed}/interview")).status_code == 200
        assert (await hire(boss, hired)).status_code == 200
        assert (
            await boss.post(f"{referrals}/{declined}/decline", json={"reason": "不合适"})
        ).status_code == 200
        assert (
            await cw.post(f"{referrals}/{withdrawn}/withdraw", json={"reason": "外出"})
        ).status_code == 200
        # A funnel: the five were referred; the interviewed one and the hired one reached an
        # interview; declined and withdrawn say where the others stopped.
        expected = {"referred": 5, "interviewed": 2, "hired": 1, "declined": 1, "withdrawn": 1}
        outcomes = (await detail(cw, event["id"]))["outcomes"]
        assert {k: outcomes[k] for k in expected} == expected
        by_event = await cw.get(referrals, params={"event_id": event["id"]})
        assert {x["id"] for x in by_event.json()["items"]} == {m["id"] for m in made}
        assert stay in {x["id"] for x in by_event.json()["items"]}
        # The employer takes part, and sees the outcomes of its own referrals.
        assert employer.id in (await detail(boss, event["id"]))["employer_ids"]
        assert (await detail(boss, event["id"]))["outcomes"]["hired"] == 1

    async def test_the_outcome_is_a_funnel_counting_how_far_each_referral_got(
        self, factory: Factory
    ) -> None:
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss, openings=5)
        cw = await factory.as_role("caseworker")
        event = await new_event(cw, vacancy_ids=[vacancy["id"]])
        workers = [await new_worker(cw) for _ in range(7)]
        for worker in workers[:6]:
            r = await attend(cw, event["id"], worker["id"])
            assert r.status_code == 200, r.text
        made = [
            (await refer(cw, w["id"], vacancy["id"], event_id=event["id"]))["id"]
            for w in workers[:6]
        ]
        waiting, hired_after_interview, hired_at_once, declined_after, declined_before, gone = made
        referrals = "/api/v1/referrals"
        for interviewed in (hired_after_interview, declined_after, gone):
            assert (await boss.post(f"{referrals}/{interviewed}/interview")).status_code == 200
        for taken in (hired_after_interview, hired_at_once):
            assert (await hire(boss, taken)).status_code == 200
        for declined in (declined_after, declined_before):
            r = await boss.post(f"{referrals}/{declined}/decline", json={"reason": "不合适"})
            assert r.status_code == 200, r.text
        r = await cw.post(f"{referrals}/{gone}/withdraw", json={"reason": "外出务工"})
        assert r.status_code == 200, r.text

        outcomes = (await detail(cw, event["id"]))["outcomes"]
        # attended 6 → referred 6 → interviewed 4 (waiting and declined-before never were;
        # a hire counts as interviewed) → hired 2.
        assert outcomes == {
            "attendees": 6,
            "referred": 6,
            "interviewed": 4,
            "hired": 2,
            "declined": 2,
            "withdrawn": 1,
        }
        assert outcomes["attendees"] >= outcomes["referred"] >= outcomes["interviewed"]
        assert outcomes["interviewed"] >= outcomes["hired"]
        # The interview is remembered on the referral after the decision that followed it.
        r = await cw.get(f"{referrals}/{declined_after}")
        assert (r.json()["status"], r.json()["interviewed_at"] is not None) == ("declined", True)
        r = await cw.get(f"{referrals}/{declined_before}")
        assert r.json()["interviewed_at"] is None
        assert waiting in made

    async def test_an_employer_counts_only_its_own_referrals(self, factory: Factory) -> None:
        _, a_boss = await employer_user(factory)
        _, b_boss = await employer_user(factory)
        va, vb = await new_vacancy(a_boss), await new_vacancy(b_boss)
        cw = await factory.as_role("caseworker")
        event = await new_event(cw, vacancy_ids=[va["id"], vb["id"]])
        for vacancy in (va, vb, vb):
            worker = await new_worker(cw)
            await refer(cw, worker["id"], vacancy["id"], event_id=event["id"])
        assert (await detail(a_boss, event["id"]))["outcomes"]["referred"] == 1
        assert (await detail(b_boss, event["id"]))["outcomes"]["referred"] == 2
        assert (await detail(cw, event["id"]))["outcomes"]["referred"] == 3


class TestWhoSeesEvents:
    async def test_an_employer_sees_the_events_it_takes_part_in_only(
        self, factory: Factory
    ) -> None:
        employer, boss = await employer_user(factory)
        other = await factory.employer()
        cw = await factory.as_role("caseworker")
        mine = await new_event(cw, employer_ids=[employer.id])
        theirs = await new_event(cw, employer_ids=[other.id])
        bare = await new_event(cw)
        assert await listed_ids(boss) == [mine["id"]]
        problem(await boss.get(f"{EVENTS}/{theirs['id']}"), 404, "event_not_found")
        problem(await boss.get(f"{EVENTS}/{bare['id']}"), 404, "event_not_found")

    async def test_caseworkers_see_every_event_newest_first(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        here = await new_event(cw)
        admin = await factory.as_role("admin")
        there = await new_event(admin, region_code=PINGWEI, campaign="job_fair")
        assert await listed_ids(cw, limit=1) == [there["id"], here["id"]]
        assert await listed_ids(cw, campaign="job_fair") == [there["id"]]

    async def test_filters_by_date(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        march = await new_event(cw, date="2026-03-01")
        may = await new_event(cw, date="2026-05-20")
        assert await listed_ids(cw, from_date="2026-04-01") == [may["id"]]
        assert await listed_ids(cw, to_date="2026-04-01") == [march["id"]]

    async def test_an_auditor_sees_the_events_of_its_region(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        here = await new_event(cw)
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        there = await new_event(pingwei, region_code=PINGWEI)
        auditor = await factory.as_role("auditor", region=QIJI)
        assert await listed_ids(auditor) == [here["id"]]
        problem(await auditor.get(f"{EVENTS}/{there['id']}"), 404, "event_not_found")
