"""Offline sync of the rest of what the phone shows: follow-ups, training sessions, recruitment
events and claims. Each list takes the token of the previous pass and hands back, in commit
order, exactly what changed since — within the reader's scope — and a deleted record as a
tombstone. (No route deletes these four today; the tombstones here are written the way a
deletion writes them: `deleted_at` set, the change audited and stamped.)
"""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlmodel import SQLModel

from app.models import Claim, FollowUp, RecruitmentEvent, TrainingSession
from app.models.base import Syncable, utcnow
from app.services import audit
from tests.factories import (
    DISTRICT,
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    Factory,
    claim_body,
    employer_user,
    enrol,
    file_claim,
    hired,
    move_claim,
    new_employment,
    new_policy,
    new_training_session,
    new_vacancy,
    new_worker,
    on,
    problem,
    registered_worker,
)
from tests.routers.test_sync import Phone

FOLLOW_UPS = "/api/v1/follow-ups"
SESSIONS = "/api/v1/training/sessions"
EVENTS = "/api/v1/recruitment-events"
CLAIMS = "/api/v1/claims"


async def tombstone(factory: Factory, model: type[SQLModel], record_id: int) -> None:
    """Delete a record as a deletion route would: soft, audited, stamped."""
    async with factory.db.sessionmaker() as s:
        row = await s.get(model, record_id)
        assert isinstance(row, Syncable)
        row.deleted_at = utcnow()
        await s.flush()
        region = getattr(row, "region_code", None) or getattr(row, "township_code", None)
        await audit.record(
            s,
            actor=None,
            action=f"{model.__tablename__}.delete",
            resource_type=str(model.__tablename__),
            resource_id=record_id,
            region_code=region,
            stamp=row,
        )
        await s.commit()


async def listed(c: AsyncClient, path: str, **params: Any) -> set[int]:
    r = await c.get(path, params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return {item["id"] for item in r.json()["items"]}


def event_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "2026年春风行动专场招聘会",
        "campaign": "spring_breeze",
        "date": on(3),
        "place": "镇政府广场",
        "region_code": QIJI,
        **fields,
    }


async def new_event(c: AsyncClient, **fields: Any) -> dict[str, Any]:
    r = await c.post(EVENTS, json=event_body(**fields))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


class TestFollowUpSync:
    async def test_checks_recorded_and_cancelled_reach_the_phone_in_the_next_pass(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        job = await new_employment(cw, worker["id"])
        phone = Phone(cw, FOLLOW_UPS)
        first = await phone.sync()
        assert len(set(first)) == len(first) == 4
        assert {r["employment_id"] for r in phone.records.values()} == {job["id"]}
        assert await phone.sync() == [], "nothing changed, nothing sent"

        one_month = min(phone.records.values(), key=lambda r: r["months"])["id"]
        r = await cw.post(
            f"{FOLLOW_UPS}/{one_month}", json={"still_employed": True, "monthly_wage_fen": 320000}
        )
        assert r.status_code == 200, r.text
        assert await phone.sync() == [one_month]
        assert phone.records[one_month]["status"] == "done"

        # The job ends: the checks still due are cancelled, and the phone learns it.
        r = await cw.post(
            f"/api/v1/employments/{job['id']}/end",
            json={"end_date": on(), "end_reason": "resigned"},
        )
        assert r.status_code == 200, r.text
        cancelled = await phone.sync()
        assert sorted(cancelled) == sorted(set(first) - {one_month})
        assert {phone.records[i]["status"] for i in cancelled} == {"cancelled"}
        # The plain list (due ones by default) no longer shows them.
        assert await listed(cw, FOLLOW_UPS) == set()

    async def test_a_deleted_follow_up_comes_as_a_tombstone(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        await new_employment(cw, (await new_worker(cw))["id"])
        phone = Phone(cw, FOLLOW_UPS)
        gone = (await phone.sync())[0]
        await tombstone(factory, FollowUp, gone)
        r = await cw.get(FOLLOW_UPS, params={"updated_since": phone.token})
        assert [(i["id"], i["deleted"]) for i in r.json()["items"]] == [(gone, True)]
        await phone.sync()
        assert gone not in phone.records
        assert gone not in await listed(cw, FOLLOW_UPS)

    async def test_another_townships_follow_ups_never_reach_the_phone(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        await new_employment(pingwei, (await new_worker(pingwei, region=PINGWEI_VILLAGE))["id"])
        mine = await new_employment(cw, (await new_worker(cw))["id"])
        phone = Phone(cw, FOLLOW_UPS)
        await phone.sync()
        assert {r["employment_id"] for r in phone.records.values()} == {mine["id"]}
        auditor = Phone(await factory.as_role("auditor", region=PINGWEI), FOLLOW_UPS)
        await auditor.sync()
        assert mine["id"] not in {r["employment_id"] for r in auditor.records.values()}
        assert len(auditor.records) == 4


class TestTrainingSessionSync:
    async def test_new_changed_and_deleted_sessions_in_one_pass_each(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin", region=DISTRICT)
        cw = await factory.as_role("caseworker")
        first = await new_training_session(admin)
        phone = Phone(cw, SESSIONS)
        assert await phone.sync() == [first["id"]]
        assert phone.records[first["id"]]["seats_left"] == 20

        # A worker enrolled: the seats left change, so the session comes again.
        worker = await new_worker(cw)
        assert (await enrol(cw, first["id"], worker["id"])).status_code == 201
        second = await new_training_session(admin, course_id=first["course_id"])
        assert await phone.sync() == [first["id"], second["id"]]
        assert phone.records[first["id"]]["seats_left"] == 19

        # Cancelled (a status, not a deletion: it stays, and says so).
        etag = (await admin.get(f"{SESSIONS}/{second['id']}")).headers["ETag"]
        r = await admin.patch(
            f"{SESSIONS}/{second['id']}", json={"status": "cancelled"}, headers={"If-Match": etag}
        )
        assert r.status_code == 200, r.text
        assert await phone.sync() == [second["id"]]
        assert phone.records[second["id"]]["status"] == "cancelled"

        await tombstone(factory, TrainingSession, first["id"])
        assert await phone.sync() == [first["id"]]
        assert set(phone.records) == {second["id"]}
        assert await listed(cw, SESSIONS) == {second["id"]}
        assert await phone.sync() == []

    async def test_who_receives_which_townships_sessions(self, factory: Factory) -> None:
        admin = await factory.as_role("admin", region=DISTRICT)
        qiji = await new_training_session(admin)
        pingwei = await new_training_session(admin, township_code=PINGWEI)
        # Caseworkers read training everywhere (they mobilise for any township's session) ...
        everywhere = Phone(await factory.as_role("caseworker"), SESSIONS)
        assert sorted(await everywhere.sync()) == sorted([qiji["id"], pingwei["id"]])
        # ... and a phone that carries only its own township's asks for it.
        own = Phone(await factory.as_role("caseworker"), SESSIONS, township=QIJI)
        assert await own.sync() == [qiji["id"]]
        r = await admin.patch(
            f"{SESSIONS}/{pingwei['id']}",
            json={"capacity": 30},
            headers={"If-Match": (await admin.get(f"{SESSIONS}/{pingwei['id']}")).headers["ETag"]},
        )
        assert r.status_code == 200, r.text
        assert await own.sync() == []
        # An auditor of 祁集镇 reads 祁集镇's only.
        auditor = Phone(await factory.as_role("auditor", region=QIJI), SESSIONS)
        assert await auditor.sync() == [qiji["id"]]


class TestRecruitmentEventSync:
    async def test_new_changed_and_deleted_events_in_one_pass_each(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        event = await new_event(cw)
        phone = Phone(cw, EVENTS)
        assert await phone.sync() == [event["id"]]

        employer, _boss = await employer_user(factory)
        r = await cw.post(
            f"{EVENTS}/{event['id']}/participants", json={"employer_ids": [employer.id]}
        )
        assert r.status_code == 200, r.text
        later = await new_event(cw, name="就业援助月专场")
        assert await phone.sync() == [event["id"], later["id"]]
        assert phone.records[event["id"]]["version"] == 2

        await tombstone(factory, RecruitmentEvent, later["id"])
        assert await phone.sync() == [later["id"]]
        assert set(phone.records) == {event["id"]}
        assert await listed(cw, EVENTS) == {event["id"]}
        assert await phone.sync() == []

    async def test_an_employer_receives_an_event_once_it_takes_part(self, factory: Factory) -> None:
        _employer, boss = await employer_user(factory)
        cw = await factory.as_role("caseworker")
        other = await new_event(cw, employer_ids=[(await factory.employer()).id])
        event = await new_event(cw)
        phone = Phone(boss, EVENTS)
        assert await phone.sync() == []
        vacancy = await new_vacancy(boss)
        r = await cw.post(
            f"{EVENTS}/{event['id']}/participants", json={"vacancy_ids": [vacancy["id"]]}
        )
        assert r.status_code == 200, r.text
        assert await phone.sync() == [event["id"]]
        assert other["id"] not in phone.records

    async def test_an_auditor_receives_the_events_of_their_scope_only(
        self, factory: Factory
    ) -> None:
        pingwei_cw = await factory.as_role("caseworker", region=PINGWEI)
        await new_event(pingwei_cw, region_code=PINGWEI)
        mine = await new_event(await factory.as_role("caseworker"))
        auditor = Phone(await factory.as_role("auditor", region=QIJI), EVENTS)
        assert await auditor.sync() == [mine["id"]]


async def policies(factory: Factory) -> AsyncClient:
    admin = await factory.as_role("admin")
    for rule in ("on_job_training", "assistance_post"):
        await new_policy(admin, rule, notice_days=0)
    return admin


async def post_claim(factory: Factory, cw: AsyncClient, **worker: Any) -> dict[str, Any]:
    """A caseworker's claim for a worker of theirs on an assistance post for 250 days."""
    person = await registered_worker(factory, cw, days_ago=250, **worker)
    post = await new_employment(cw, person["id"], kind="assistance_post", start_date=on(250))
    return await file_claim(
        cw,
        {
            "policy_code": "assistance_post",
            "worker_id": person["id"],
            "employment_id": post["id"],
            "period_start": on(90)[:8] + "01",
            "period_end": on(35)[:8] + "01",
        },
    )


class TestClaimSync:
    async def test_filed_moved_flagged_and_deleted_claims_reach_the_phone(
        self, factory: Factory
    ) -> None:
        await policies(factory)
        cw = await factory.as_role("caseworker")
        claim = await post_claim(factory, cw)
        phone = Phone(cw, CLAIMS)
        assert await phone.sync() == [claim["id"]]
        assert phone.records[claim["id"]]["status"] == "draft"

        await move_claim(cw, claim["id"], "submit")
        auditor = await factory.as_role("auditor", region=QIJI)
        r = await auditor.post(
            f"{CLAIMS}/{claim['id']}/findings", json={"severity": "low", "note": "核对银行账户"}
        )
        assert r.status_code == 201, r.text
        other = await post_claim(factory, cw)
        assert await phone.sync() == [claim["id"], other["id"]]
        assert (phone.records[claim["id"]]["status"], phone.records[claim["id"]]["flagged"]) == (
            "submitted",
            True,
        )

        await tombstone(factory, Claim, other["id"])
        assert await phone.sync() == [other["id"]]
        assert set(phone.records) == {claim["id"]}
        assert await listed(cw, CLAIMS) == {claim["id"]}
        assert await phone.sync() == []

    async def test_another_townships_and_another_employers_claims_never_arrive(
        self, factory: Factory
    ) -> None:
        await policies(factory)
        pingwei_cw = await factory.as_role("caseworker", region=PINGWEI)
        pingwei = await post_claim(factory, pingwei_cw, region=PINGWEI_VILLAGE)
        ours, theirs = await hired(factory), await hired(factory)
        our_claim = await file_claim(ours.boss, claim_body(ours))
        their_claim = await file_claim(theirs.boss, claim_body(theirs))

        employer_phone = Phone(ours.boss, CLAIMS)
        assert await employer_phone.sync() == [our_claim["id"]]
        await move_claim(theirs.boss, their_claim["id"], "submit")
        assert await employer_phone.sync() == []

        qiji_phone = Phone(await factory.as_role("caseworker"), CLAIMS)
        assert sorted(await qiji_phone.sync()) == sorted([our_claim["id"], their_claim["id"]])
        assert pingwei["id"] not in qiji_phone.records
        pingwei_phone = Phone(await factory.as_role("auditor", region=PINGWEI), CLAIMS)
        assert await pingwei_phone.sync() == [pingwei["id"]]

    async def test_synced_claims_show_the_bank_account_masked(self, factory: Factory) -> None:
        await policies(factory)
        cw = await factory.as_role("caseworker")
        person = await registered_worker(factory, cw, days_ago=250)
        post = await new_employment(cw, person["id"], kind="assistance_post", start_date=on(250))
        body = {
            "policy_code": "assistance_post",
            "worker_id": person["id"],
            "employment_id": post["id"],
            "period_start": on(90)[:8] + "01",
            "period_end": on(35)[:8] + "01",
            "bank_account": "6222021234567890123",
        }
        claim = await file_claim(cw, body)
        phone = Phone(cw, CLAIMS)
        await phone.sync()
        assert phone.records[claim["id"]]["bank_account"] == "622202*********0123"


@pytest.mark.parametrize("path", [FOLLOW_UPS, SESSIONS, EVENTS, CLAIMS])
async def test_an_unreadable_token_is_refused_and_nothing_is_listed(
    factory: Factory, path: str
) -> None:
    cw = await factory.as_role("caseworker")
    for bad in ("yesterday", "2026-11-25T08:00:00", "c3luYw", "W1sic3luYyIsLTFdXQ", "x" * 513):
        r = await cw.get(path, params={"updated_since": bad})
        body = problem(r, 422, "validation_failed")
        assert {e["field"] for e in body["errors"]} == {"query.updated_since"}, (bad, body)


@pytest.mark.parametrize("path", [FOLLOW_UPS, SESSIONS, EVENTS, CLAIMS])
async def test_a_sync_list_needs_a_signed_in_reader(factory: Factory, path: str) -> None:
    r = await factory.client().get(path, params={"updated_since": "2000-01-01T00:00:00Z"})
    problem(r, 401, "unauthorized")
