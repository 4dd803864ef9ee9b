"""Skills training: courses, sessions run township by township, enrolment within the capacity
(also when fifty phones enrol at the same instant), attendance, completion with a certificate,
dropping out, whom to mobilise, and training in the timeline, offline sync and matching."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import AuditEntry, Enrolment, Worker
from tests.conftest import IS_POSTGRES
from tests.factories import (
    DISTRICT,
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    count_rows,
    employer_user,
    enrol,
    error_fields,
    new_course,
    new_household,
    new_training_session,
    new_vacancy,
    new_worker,
    on,
    problem,
    worker_status,
)

COURSES = "/api/v1/training/courses"
SESSIONS = "/api/v1/training/sessions"
ENROLMENTS = "/api/v1/training/enrolments"
QIJI_VILLAGE = "340406107202"  # 祁集村, the other village of 祁集镇
EPOCH = "2000-01-01T00:00:00Z"


@dataclass
class Classroom:
    """An admin, a 祁集镇 caseworker and a session of 祁集镇 under way (pastry, 20 seats, from
    10 days ago to 10 days ahead, status planned, unless told)."""

    admin: AsyncClient
    cw: AsyncClient
    session: dict[str, Any]

    @property
    def id(self) -> int:
        sid: int = self.session["id"]
        return sid

    async def enrolled(self, **worker: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new worker of 祁集镇 (``worker`` fields) enrolled here: the worker and enrolment."""
        person = await new_worker(self.cw, **worker)
        r = await enrol(self.cw, self.id, person["id"])
        assert r.status_code == 201, r.text
        enrolment: dict[str, Any] = r.json()
        return person, enrolment

    async def read(self) -> dict[str, Any]:
        r = await self.cw.get(f"{SESSIONS}/{self.id}")
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found


async def classroom(factory: Factory, **session: Any) -> Classroom:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker")
    return Classroom(admin, cw, await new_training_session(admin, **session))


@pytest.fixture
async def room(factory: Factory) -> Classroom:
    return await classroom(factory)


async def edit(admin: AsyncClient, url: str, **changes: Any) -> Response:
    """PATCH ``url`` with the ETag just read, as an admin does."""
    etag = (await admin.get(url)).headers["ETag"]
    return await admin.patch(url, json=changes, headers={"If-Match": etag})


async def attend(cw: AsyncClient, enrolment_id: int, day: str) -> Response:
    return await cw.post(f"{ENROLMENTS}/{enrolment_id}/attendance", json={"day": day})


async def complete(cw: AsyncClient, enrolment_id: int, certificate: str) -> Response:
    return await cw.post(
        f"{ENROLMENTS}/{enrolment_id}/complete", json={"certificate_number": certificate}
    )


async def drop(cw: AsyncClient, enrolment_id: int, reason: str = "家中老人生病") -> Response:
    return await cw.post(f"{ENROLMENTS}/{enrolment_id}/drop", json={"reason": reason})


async def read_enrolment(c: AsyncClient, enrolment_id: int) -> dict[str, Any]:
    r = await c.get(f"{ENROLMENTS}/{enrolment_id}")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


async def skills(cw: AsyncClient, worker_id: int) -> list[str]:
    r = await cw.get(f"/api/v1/workers/{worker_id}")
    assert r.status_code == 200, r.text
    found: list[str] = r.json()["skills"]
    return found


def ids(r: Response) -> list[int]:
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def session_body(course_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "course_id": course_id,
        "provider": "淮南市家政培训学校",
        "township_code": QIJI,
        "start_date": on(-5),
        "end_date": on(-20),
        "capacity": 30,
        **fields,
    }


# -- courses -------------------------------------------------------------------------------


class TestAddingCourses:
    async def test_an_admin_adds_a_course_and_everyone_on_staff_reads_it(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin, type="childcare", name="育婴员", hours=120)
        assert (course["type"], course["name"], course["hours"]) == ("childcare", "育婴员", 120)
        assert course["version"] == 1
        for role in ("caseworker", "auditor", "admin"):
            reader = await factory.as_role(role)
            r = await reader.get(f"{COURSES}/{course['id']}")
            assert r.status_code == 200, r.text
            assert r.headers["ETag"] == '"1"'
            assert r.json()["name"] == "育婴员"

    async def test_the_list_filters_by_type(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        pastry = await new_course(admin, type="pastry")
        sewing = await new_course(admin, type="sewing", name="服装缝纫")
        assert ids(await admin.get(COURSES)) == [pastry["id"], sewing["id"]]
        assert ids(await admin.get(COURSES, params={"type": "sewing"})) == [sewing["id"]]

    @pytest.mark.parametrize("role", ["caseworker", "auditor", "employer"])
    async def test_only_admins_add_courses(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        c = await factory.as_role(role)
        r = await c.post(COURSES, json={"type": "pastry", "name": "中式面点", "hours": 80})
        problem(r, 403, "forbidden")
        assert await count_rows(session, AuditEntry, col(AuditEntry.action) == "course.create") == 0

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"type": "juggling"}, "body.type"),
            ({"hours": 0}, "body.hours"),
            ({"name": ""}, "body.name"),
            ({"colour": "red"}, "body.colour"),
        ],
    )
    async def test_a_bad_course_is_refused_naming_the_field(
        self, factory: Factory, change: dict[str, Any], field: str
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(
            COURSES, json={"type": "pastry", "name": "中式面点", "hours": 80, **change}
        )
        assert field in error_fields(problem(r, 422, "validation_failed"))
        assert ids(await admin.get(COURSES)) == []


class TestEditingCourses:
    async def test_an_admin_renames_a_course_with_the_etag_it_read(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        r = await edit(admin, f"{COURSES}/{course['id']}", name="中式面点师（初级）", hours=96)
        assert r.status_code == 200, r.text
        assert (r.json()["name"], r.json()["hours"], r.json()["version"]) == (
            "中式面点师（初级）",
            96,
            2,
        )
        assert (await admin.get(f"{COURSES}/{course['id']}")).headers["ETag"] == '"2"'

    async def test_without_if_match_it_is_428(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        r = await admin.patch(f"{COURSES}/{course['id']}", json={"hours": 90})
        problem(r, 428, "if_match_required")

    async def test_a_stale_etag_is_412_and_changes_nothing(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        url = f"{COURSES}/{course['id']}"
        assert (await edit(admin, url, hours=90)).status_code == 200
        r = await admin.patch(url, json={"hours": 100}, headers={"If-Match": '"1"'})
        problem(r, 412, "version_mismatch")
        assert (await admin.get(url)).json()["hours"] == 90

    async def test_the_type_of_a_course_cannot_be_changed(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        r = await edit(admin, f"{COURSES}/{course['id']}", type="sewing")
        assert "body.type" in error_fields(problem(r, 422, "validation_failed"))

    @pytest.mark.parametrize("role", ["caseworker", "auditor"])
    async def test_only_admins_edit_courses(self, factory: Factory, role: str) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        c = await factory.as_role(role)
        r = await c.patch(
            f"{COURSES}/{course['id']}", json={"hours": 90}, headers={"If-Match": '"1"'}
        )
        problem(r, 403, "forbidden")


# -- sessions ------------------------------------------------------------------------------


class TestSchedulingSessions:
    async def test_an_admin_schedules_a_session_in_a_township(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin, type="housekeeping", name="家政服务员")
        r = await admin.post(SESSIONS, json=session_body(course["id"]))
        assert r.status_code == 201, r.text
        found = r.json()
        assert found["township_code"] == QIJI
        assert (found["course_type"], found["course_name"]) == ("housekeeping", "家政服务员")
        assert (found["capacity"], found["enrolled"], found["seats_left"]) == (30, 0, 30)
        assert found["status"] == "planned"

    @pytest.mark.parametrize("where", [XUGANG, DISTRICT])
    async def test_a_village_or_the_district_is_not_a_township(
        self, factory: Factory, where: str
    ) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        r = await admin.post(SESSIONS, json=session_body(course["id"], township_code=where))
        assert error_fields(problem(r, 422, "wrong_region_level")) == {"body.township_code"}
        assert ids(await admin.get(SESSIONS)) == []

    async def test_an_unknown_course_is_404(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        problem(await admin.post(SESSIONS, json=session_body(987654)), 404, "course_not_found")

    async def test_ending_before_it_starts_is_422(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        body = session_body(course["id"], start_date=on(-20), end_date=on(-5))
        problem(await admin.post(SESSIONS, json=body), 422, "validation_failed")

    @pytest.mark.parametrize("capacity", [0, -1])
    async def test_a_session_needs_a_seat(self, factory: Factory, capacity: int) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        r = await admin.post(SESSIONS, json=session_body(course["id"], capacity=capacity))
        assert "body.capacity" in error_fields(problem(r, 422, "validation_failed"))

    @pytest.mark.parametrize("role", ["caseworker", "auditor"])
    async def test_only_admins_schedule_sessions(self, factory: Factory, role: str) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        c = await factory.as_role(role)
        problem(await c.post(SESSIONS, json=session_body(course["id"])), 403, "forbidden")


class TestEditingSessions:
    async def test_an_admin_moves_the_dates_with_the_etag_it_read(self, room: Classroom) -> None:
        r = await edit(room.admin, f"{SESSIONS}/{room.id}", end_date=on(-30), provider="新学校")
        assert r.status_code == 200, r.text
        assert (r.json()["end_date"], r.json()["provider"]) == (on(-30), "新学校")

    async def test_without_if_match_it_is_428(self, room: Classroom) -> None:
        r = await room.admin.patch(f"{SESSIONS}/{room.id}", json={"capacity": 5})
        problem(r, 428, "if_match_required")

    async def test_a_stale_etag_is_412(self, room: Classroom) -> None:
        assert (await edit(room.admin, f"{SESSIONS}/{room.id}", capacity=25)).status_code == 200
        r = await room.admin.patch(
            f"{SESSIONS}/{room.id}", json={"capacity": 5}, headers={"If-Match": '"1"'}
        )
        problem(r, 412, "version_mismatch")
        assert (await room.read())["capacity"] == 25

    async def test_the_capacity_cannot_go_below_the_seats_taken(self, room: Classroom) -> None:
        await room.enrolled()
        await room.enrolled()
        problem(
            await edit(room.admin, f"{SESSIONS}/{room.id}", capacity=1),
            409,
            "capacity_below_enrolled",
        )
        assert (await room.read())["capacity"] == 20


class TestListingSessions:
    async def _three(self, admin: AsyncClient) -> tuple[int, int, int]:
        """祁集镇 pastry starting in a week, 平圩镇 sewing running, 祁集镇 sewing cancelled."""
        pastry = await new_training_session(admin, start_date=on(-7), end_date=on(-21))
        sewing = await new_training_session(admin, course_type="sewing", township_code=PINGWEI)
        gone = await new_training_session(admin, course_type="sewing", start_date=on(30),
                                          end_date=on(25))  # fmt: skip
        assert (await edit(admin, f"{SESSIONS}/{gone['id']}", status="cancelled")).is_success
        return pastry["id"], sewing["id"], gone["id"]

    async def test_filters_by_township_subtree_course_type_status_and_start(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin")
        pastry, sewing, gone = await self._three(admin)
        cases: list[tuple[dict[str, str], list[int]]] = [
            ({}, [pastry, sewing, gone]),
            ({"township": DISTRICT}, [pastry, sewing, gone]),
            ({"township": QIJI}, [pastry, gone]),
            ({"township": PINGWEI}, [sewing]),
            ({"course_type": "sewing"}, [sewing, gone]),
            ({"status": "cancelled"}, [gone]),
            ({"status": "planned", "course_type": "sewing"}, [sewing]),
            ({"starts_from": on(0)}, [pastry]),
            ({"starts_until": on(0)}, [sewing, gone]),
            ({"starts_from": on(12), "starts_until": on(8)}, [sewing]),
        ]
        for params, expected in cases:
            assert ids(await admin.get(SESSIONS, params=params)) == expected, params

    async def test_caseworkers_of_any_township_see_every_session(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        pastry, sewing, gone = await self._three(admin)
        for township in (QIJI, PINGWEI):
            cw = await factory.as_role("caseworker", region=township)
            assert ids(await cw.get(SESSIONS)) == [pastry, sewing, gone]
            for sid in (pastry, sewing):
                assert (await cw.get(f"{SESSIONS}/{sid}")).status_code == 200

    async def test_an_auditor_of_qiji_sees_only_qiji_sessions(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        pastry, sewing, gone = await self._three(admin)
        auditor = await factory.as_role("auditor", region=QIJI)
        assert ids(await auditor.get(SESSIONS)) == [pastry, gone]
        assert ids(await auditor.get(SESSIONS, params={"township": PINGWEI})) == []
        assert (await auditor.get(f"{SESSIONS}/{pastry}")).status_code == 200
        problem(await auditor.get(f"{SESSIONS}/{sewing}"), 404, "session_not_found")
        r = await auditor.get(f"{SESSIONS}/{sewing}/enrolments")
        problem(r, 404, "session_not_found")


class TestEmployersAreKeptOutOfTraining:
    async def test_every_training_route_answers_an_employer_403_and_changes_nothing(
        self, app: FastAPI, factory: Factory, room: Classroom
    ) -> None:
        _, enrolment = await room.enrolled()
        other = await new_worker(room.cw)
        cid, sid, eid = room.session["course_id"], room.id, enrolment["id"]
        calls: dict[tuple[str, str], dict[str, Any] | None] = {
            ("GET", "/courses"): None,
            ("POST", "/courses"): {"type": "sewing", "name": "缝纫", "hours": 40},
            ("GET", "/courses/{course_id}"): None,
            ("PATCH", "/courses/{course_id}"): {"hours": 1},
            ("GET", "/sessions"): None,
            ("POST", "/sessions"): session_body(cid),
            ("GET", "/sessions/{session_id}"): None,
            ("PATCH", "/sessions/{session_id}"): {"status": "cancelled"},
            ("GET", "/sessions/{session_id}/suggested-workers"): None,
            ("GET", "/sessions/{session_id}/enrolments"): None,
            ("POST", "/sessions/{session_id}/enrolments"): {"worker_id": other["id"]},
            ("GET", "/enrolments"): None,
            ("GET", "/enrolments/{enrolment_id}"): None,
            ("POST", "/enrolments/{enrolment_id}/attendance"): {"day": on()},
            ("POST", "/enrolments/{enrolment_id}/complete"): {"certificate_number": "C-1"},
            ("POST", "/enrolments/{enrolment_id}/drop"): {"reason": "不想学了"},
        }
        served = {
            (method.upper(), path.removeprefix("/api/v1/training"))
            for path, operations in app.openapi()["paths"].items()
            if path.startswith("/api/v1/training/")
            for method in operations
        }
        assert served == set(calls), "a training route is missing from this test"

        boss = await factory.as_role("employer")
        for (method, path), body in calls.items():
            url = "/api/v1/training" + path.format(course_id=cid, session_id=sid, enrolment_id=eid)
            r = await boss.request(method, url, json=body, headers={"If-Match": '"1"'})
            problem(r, 403, "forbidden")
        after = await room.read()
        assert (after["status"], after["enrolled"]) == ("planned", 1)
        assert (await read_enrolment(room.cw, eid))["status"] == "enrolled"
        assert await worker_status(room.cw, other["id"]) == "unemployed"


# -- enrolment -----------------------------------------------------------------------------


class TestEnrolling:
    async def test_a_caseworker_enrols_a_worker_of_their_scope(
        self, room: Classroom, session: AsyncSession
    ) -> None:
        person, enrolment = await room.enrolled()
        assert enrolment["session_id"] == room.id
        assert enrolment["worker_id"] == person["id"]
        assert (enrolment["status"], enrolment["course_type"]) == ("enrolled", "pastry")
        assert enrolment["attendance_days"] == 0
        assert await worker_status(room.cw, person["id"]) == "in_training"
        seats = await room.read()
        assert (seats["enrolled"], seats["seats_left"]) == (1, 19)

        entries = (await session.scalars(
            select(AuditEntry).where(
                col(AuditEntry.action) == "worker.status_changed_by_training",
                col(AuditEntry.resource_id) == str(person["id"]))
        )).all()  # fmt: skip
        await session.commit()
        assert [e.changes for e in entries] == [
            {"employment_status": {"before": "unemployed", "after": "in_training"}}
        ]

    async def test_a_worker_of_another_township_is_404_and_nothing_is_written(
        self, factory: Factory, room: Classroom, session: AsyncSession
    ) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        stranger = await new_worker(pingwei, region=PINGWEI_VILLAGE)
        entries = await count_rows(session, AuditEntry)
        problem(await enrol(room.cw, room.id, stranger["id"]), 404, "worker_not_found")
        assert await count_rows(session, AuditEntry) == entries
        assert await count_rows(session, Enrolment) == 0
        assert (await room.read())["enrolled"] == 0
        assert await worker_status(pingwei, stranger["id"]) == "unemployed"

    async def test_an_unknown_session_or_worker_is_404(self, room: Classroom) -> None:
        person = await new_worker(room.cw)
        problem(await enrol(room.cw, 987654, person["id"]), 404, "session_not_found")
        problem(await enrol(room.cw, room.id, 987654), 404, "worker_not_found")

    async def test_enrolling_past_the_capacity_is_409_session_full(self, factory: Factory) -> None:
        room = await classroom(factory, capacity=2)
        await room.enrolled()
        await room.enrolled()
        late = await new_worker(room.cw)
        problem(await enrol(room.cw, room.id, late["id"]), 409, "session_full")
        assert (await room.read())["enrolled"] == 2
        assert await worker_status(room.cw, late["id"]) == "unemployed"

    async def test_a_worker_already_in_another_live_session_is_409(self, room: Classroom) -> None:
        person, _ = await room.enrolled()
        sewing = await new_training_session(room.admin, course_type="sewing")
        r = await enrol(room.cw, sewing["id"], person["id"])
        problem(r, 409, "already_in_training")
        assert (await room.cw.get(f"{SESSIONS}/{sewing['id']}")).json()["enrolled"] == 0

    async def test_a_running_session_still_takes_workers(self, room: Classroom) -> None:
        assert (await edit(room.admin, f"{SESSIONS}/{room.id}", status="running")).is_success
        _, enrolment = await room.enrolled()
        assert enrolment["status"] == "enrolled"

    @pytest.mark.parametrize("status", ["finished", "cancelled"])
    async def test_a_finished_or_cancelled_session_takes_nobody(
        self, room: Classroom, status: str
    ) -> None:
        if status == "finished":
            assert (await edit(room.admin, f"{SESSIONS}/{room.id}", status="running")).is_success
        assert (await edit(room.admin, f"{SESSIONS}/{room.id}", status=status)).is_success
        person = await new_worker(room.cw)
        problem(await enrol(room.cw, room.id, person["id"]), 409, "session_closed")
        problem(await room.cw.get(f"{SESSIONS}/{room.id}/suggested-workers"), 409, "session_closed")
        assert await worker_status(room.cw, person["id"]) == "unemployed"

    async def test_finished_and_cancelled_are_final(self, room: Classroom) -> None:
        assert (await edit(room.admin, f"{SESSIONS}/{room.id}", status="cancelled")).is_success
        for status in ("planned", "running", "finished"):
            problem(
                await edit(room.admin, f"{SESSIONS}/{room.id}", status=status),
                409,
                "invalid_session_transition",
            )

    async def test_a_planned_session_cannot_jump_to_finished(self, room: Classroom) -> None:
        problem(
            await edit(room.admin, f"{SESSIONS}/{room.id}", status="finished"),
            409,
            "invalid_session_transition",
        )

    async def test_a_retried_enrolment_replays_and_takes_one_seat(self, room: Classroom) -> None:
        person = await new_worker(room.cw)
        url, key = f"{SESSIONS}/{room.id}/enrolments", {"Idempotency-Key": "enrol-7f3a"}
        first = await room.cw.post(url, json={"worker_id": person["id"]}, headers=key)
        again = await room.cw.post(url, json={"worker_id": person["id"]}, headers=key)
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert (await room.read())["enrolled"] == 1
        other = await new_worker(room.cw)
        r = await room.cw.post(url, json={"worker_id": other["id"]}, headers=key)
        problem(r, 422, "idempotency_key_reused")

    async def test_auditors_do_not_enrol(self, factory: Factory, room: Classroom) -> None:
        person = await new_worker(room.cw)
        auditor = await factory.as_role("auditor", region=QIJI)
        problem(await enrol(auditor, room.id, person["id"]), 403, "forbidden")


class TestEnrollingAtTheSameInstant:
    async def test_fifty_phones_into_twenty_seats_get_exactly_twenty(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        phones = [await factory.as_role("caseworker") for _ in range(10)]
        for _ in range(3 if IS_POSTGRES else 1):
            training = await new_training_session(admin, capacity=20)
            household = await new_household(phones[0])
            people = [await new_worker(phones[0], household_id=household["id"]) for _ in range(50)]
            responses = await asyncio.gather(
                *(enrol(phones[n % 10], training["id"], p["id"]) for n, p in enumerate(people))
            )
            assert sorted(r.status_code for r in responses) == [201] * 20 + [409] * 30
            for r in responses:
                if r.status_code == 409:
                    problem(r, 409, "session_full")
            seats = (await admin.get(f"{SESSIONS}/{training['id']}")).json()
            assert (seats["enrolled"], seats["seats_left"]) == (20, 0)
            sid = col(Enrolment.session_id) == training["id"]
            assert await count_rows(session, Enrolment, sid) == 20
            in_training = col(Worker.employment_status) == "in_training"
            mine = col(Worker.id).in_([p["id"] for p in people])
            assert await count_rows(session, Worker, mine, in_training) == 20

    async def test_one_worker_into_two_sessions_at_once_gets_one_seat(
        self, room: Classroom, session: AsyncSession
    ) -> None:
        other = await new_training_session(room.admin, course_type="sewing")
        for _ in range(3):
            person = await new_worker(room.cw)
            responses = await asyncio.gather(
                enrol(room.cw, room.id, person["id"]), enrol(room.cw, other["id"], person["id"])
            )
            assert sorted(r.status_code for r in responses) == [201, 409]
            problem(next(r for r in responses if r.status_code == 409), 409, "already_in_training")
            mine = col(Enrolment.worker_id) == person["id"]
            assert await count_rows(session, Enrolment, mine) == 1
        taken = [
            (await room.cw.get(f"{SESSIONS}/{s}")).json()["enrolled"]
            for s in (room.id, other["id"])
        ]
        assert sum(taken) == 3


class TestCancellingASession:
    async def test_cancelling_drops_the_active_enrolments_and_restores_the_workers(
        self, room: Classroom
    ) -> None:
        idle, first = await room.enrolled()
        busy, second = await room.enrolled(employment_status="employed")
        trained, third = await room.enrolled()
        assert (await complete(room.cw, third["id"], "PX-0001")).status_code == 200

        r = await edit(room.admin, f"{SESSIONS}/{room.id}", status="cancelled")
        assert r.status_code == 200, r.text
        # The completed enrolment keeps its seat; the dropped ones free theirs.
        assert (r.json()["status"], r.json()["enrolled"]) == ("cancelled", 1)
        for enrolment in (first, second):
            found = await read_enrolment(room.cw, enrolment["id"])
            assert (found["status"], found["drop_reason"]) == ("dropped", "session cancelled")
            assert found["dropped_on"] == on()
        assert (await read_enrolment(room.cw, third["id"]))["status"] == "completed"
        assert await worker_status(room.cw, idle["id"]) == "unemployed"
        assert await worker_status(room.cw, busy["id"]) == "employed"
        assert await worker_status(room.cw, trained["id"]) == "unemployed"

        elsewhere = await new_training_session(room.admin, course_type="sewing")
        assert (await enrol(room.cw, elsewhere["id"], idle["id"])).status_code == 201


# -- attendance, completion, dropping out --------------------------------------------------


class TestAttendance:
    async def test_each_day_within_the_dates_counts_once(
        self, factory: Factory, room: Classroom
    ) -> None:
        _, enrolment = await room.enrolled()
        eid = enrolment["id"]
        await factory.backdate(enrolment_id=eid, days=10)  # enrolled on the session's first day
        for day, expected in ((on(3), 1), (on(2), 2), (on(3), 2), (on(), 3), (on(10), 4)):
            r = await attend(room.cw, eid, day)
            assert r.status_code == 200, r.text
            assert r.json()["attendance_days"] == expected, day
        assert (await read_enrolment(room.cw, eid))["attendance_days"] == 4

    async def test_a_day_outside_the_dates_is_422(self, factory: Factory) -> None:
        room = await classroom(factory, start_date=on(20), end_date=on(15))
        _, enrolment = await room.enrolled()
        for day in (on(21), on(14)):
            r = await attend(room.cw, enrolment["id"], day)
            assert error_fields(problem(r, 422, "date_outside_session")) == {"body.day"}, day
        assert (await read_enrolment(room.cw, enrolment["id"]))["attendance_days"] == 0

    async def test_a_day_still_to_come_is_422(self, room: Classroom) -> None:
        _, enrolment = await room.enrolled()
        r = await attend(room.cw, enrolment["id"], on(-1))
        assert error_fields(problem(r, 422, "date_in_future")) == {"body.day"}
        assert (await read_enrolment(room.cw, enrolment["id"]))["attendance_days"] == 0

    async def test_a_day_that_is_no_date_is_422(self, room: Classroom) -> None:
        _, enrolment = await room.enrolled()
        r = await attend(room.cw, enrolment["id"], "2026-02-30")
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.day"}

    @pytest.mark.parametrize("ended", ["completed", "dropped"])
    async def test_an_enrolment_that_ended_takes_no_attendance(
        self, room: Classroom, ended: str
    ) -> None:
        _, enrolment = await room.enrolled()
        eid = enrolment["id"]
        done = (
            await complete(room.cw, eid, "PX-1")
            if ended == "completed"
            else await drop(room.cw, eid)
        )
        assert done.status_code == 200, done.text
        problem(await attend(room.cw, eid, on(1)), 409, "enrolment_not_active")
        assert (await read_enrolment(room.cw, eid))["attendance_days"] == 0

    async def test_a_caseworker_of_another_township_gets_404(
        self, factory: Factory, room: Classroom
    ) -> None:
        _, enrolment = await room.enrolled()
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        problem(await attend(pingwei, enrolment["id"], on(1)), 404, "enrolment_not_found")
        problem(await pingwei.get(f"{ENROLMENTS}/{enrolment['id']}"), 404, "enrolment_not_found")


class TestCompletion:
    async def test_completion_records_the_certificate_and_keeps_the_seat(
        self, room: Classroom
    ) -> None:
        _, enrolment = await room.enrolled()
        r = await complete(room.cw, enrolment["id"], "AH-2026-0001")
        assert r.status_code == 200, r.text
        done = r.json()
        assert (done["status"], done["certificate_number"]) == ("completed", "AH-2026-0001")
        assert done["completed_on"] == on()
        seats = await room.read()
        assert (seats["enrolled"], seats["seats_left"]) == (1, 19)

    async def test_without_a_certificate_number_it_is_422(self, room: Classroom) -> None:
        person, enrolment = await room.enrolled()
        for body in ({}, {"certificate_number": ""}, {"certificate_number": "证书 1"}):
            r = await room.cw.post(f"{ENROLMENTS}/{enrolment['id']}/complete", json=body)
            assert error_fields(problem(r, 422, "validation_failed")) == {
                "body.certificate_number"
            }, body
        assert (await read_enrolment(room.cw, enrolment["id"]))["status"] == "enrolled"
        assert await worker_status(room.cw, person["id"]) == "in_training"

    async def test_a_certificate_number_used_in_the_session_is_409(self, room: Classroom) -> None:
        _, first = await room.enrolled()
        second_worker, second = await room.enrolled()
        assert (await complete(room.cw, first["id"], "PX-0007")).status_code == 200
        problem(await complete(room.cw, second["id"], "PX-0007"), 409, "duplicate_certificate")
        found = await read_enrolment(room.cw, second["id"])
        assert (found["status"], found["certificate_number"]) == ("enrolled", None)
        assert await worker_status(room.cw, second_worker["id"]) == "in_training"
        assert "pastry" not in await skills(room.cw, second_worker["id"])

    async def test_the_same_number_in_another_session_is_fine(self, room: Classroom) -> None:
        _, here = await room.enrolled()
        other = Classroom(room.admin, room.cw, await new_training_session(room.admin))
        _, there = await other.enrolled()
        assert (await complete(room.cw, here["id"], "PX-0007")).status_code == 200
        assert (await complete(room.cw, there["id"], "PX-0007")).status_code == 200

    async def test_two_completions_with_one_number_at_once_get_one_certificate(
        self, room: Classroom
    ) -> None:
        for n in range(3):
            pair = [(await room.enrolled())[1]["id"] for _ in range(2)]
            responses = await asyncio.gather(*(complete(room.cw, e, f"DUP-{n}") for e in pair))
            assert sorted(r.status_code for r in responses) == [200, 409]
            problem(
                next(r for r in responses if r.status_code == 409), 409, "duplicate_certificate"
            )
            statuses = sorted([(await read_enrolment(room.cw, e))["status"] for e in pair])
            assert statuses == ["completed", "enrolled"]

    async def test_the_worker_gains_the_course_type_once(self, room: Classroom) -> None:
        person, enrolment = await room.enrolled(skills=["sewing"])
        assert (await complete(room.cw, enrolment["id"], "PX-1")).status_code == 200
        assert await skills(room.cw, person["id"]) == ["sewing", "pastry"]
        again = Classroom(room.admin, room.cw, await new_training_session(room.admin))
        r = await enrol(room.cw, again.id, person["id"])
        assert r.status_code == 201, r.text
        assert (await complete(room.cw, r.json()["id"], "PX-2")).status_code == 200
        assert await skills(room.cw, person["id"]) == ["sewing", "pastry"]

    @pytest.mark.parametrize("before", ["unemployed", "employed", "self_employed"])
    async def test_the_worker_gets_back_the_status_they_had_before(
        self, room: Classroom, before: str
    ) -> None:
        person, enrolment = await room.enrolled(employment_status=before)
        assert await worker_status(room.cw, person["id"]) == "in_training"
        assert (await complete(room.cw, enrolment["id"], "PX-1")).status_code == 200
        assert await worker_status(room.cw, person["id"]) == before

    async def test_completing_twice_is_409(self, room: Classroom) -> None:
        _, enrolment = await room.enrolled()
        assert (await complete(room.cw, enrolment["id"], "PX-1")).status_code == 200
        problem(await complete(room.cw, enrolment["id"], "PX-2"), 409, "enrolment_not_active")
        assert (await read_enrolment(room.cw, enrolment["id"]))["certificate_number"] == "PX-1"


class TestDroppingOut:
    async def test_dropping_out_frees_the_seat_and_restores_the_status(
        self, room: Classroom
    ) -> None:
        person, enrolment = await room.enrolled(employment_status="employed")
        r = await drop(room.cw, enrolment["id"], "外出务工")
        assert r.status_code == 200, r.text
        done = r.json()
        assert (done["status"], done["drop_reason"], done["dropped_on"]) == (
            "dropped",
            "外出务工",
            on(),
        )
        seats = await room.read()
        assert (seats["enrolled"], seats["seats_left"]) == (0, 20)
        assert await worker_status(room.cw, person["id"]) == "employed"
        assert "pastry" not in await skills(room.cw, person["id"])

    async def test_the_freed_seat_takes_the_next_worker(self, factory: Factory) -> None:
        room = await classroom(factory, capacity=1)
        _, first = await room.enrolled()
        waiting = await new_worker(room.cw)
        problem(await enrol(room.cw, room.id, waiting["id"]), 409, "session_full")
        assert (await drop(room.cw, first["id"])).status_code == 200
        assert (await enrol(room.cw, room.id, waiting["id"])).status_code == 201

    async def test_dropping_out_twice_is_409(self, room: Classroom) -> None:
        _, enrolment = await room.enrolled()
        assert (await drop(room.cw, enrolment["id"])).status_code == 200
        problem(await drop(room.cw, enrolment["id"]), 409, "enrolment_not_active")
        assert (await room.read())["enrolled"] == 0

    @pytest.mark.parametrize("body", [{}, {"reason": ""}])
    async def test_a_reason_is_required(self, room: Classroom, body: dict[str, Any]) -> None:
        person, enrolment = await room.enrolled()
        r = await room.cw.post(f"{ENROLMENTS}/{enrolment['id']}/drop", json=body)
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.reason"}
        assert (await room.read())["enrolled"] == 1
        assert await worker_status(room.cw, person["id"]) == "in_training"


# -- mobilisation --------------------------------------------------------------------------


class TestSuggestedWorkers:
    async def test_willing_able_and_free_workers_of_the_township_who_wish_for_the_course(
        self, factory: Factory, room: Classroom
    ) -> None:
        wish: dict[str, Any] = {"training_wishes": ["pastry"]}
        xugang = await new_worker(room.cw, **wish)
        qiji = await new_worker(room.cw, region=QIJI_VILLAGE, training_wishes=["sewing", "pastry"])
        await new_worker(room.cw, training_wishes=["sewing"])
        await new_worker(room.cw, able_to_work=False, employment_status="unable_to_work", **wish)
        await room.enrolled(**wish)
        _, dropped = await room.enrolled(**wish)
        assert (await drop(room.cw, dropped["id"])).status_code == 200
        sewing = await new_training_session(room.admin, course_type="sewing")
        busy = await new_worker(room.cw, **wish)
        assert (await enrol(room.cw, sewing["id"], busy["id"])).status_code == 201
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        await new_worker(pingwei, region=PINGWEI_VILLAGE, **wish)

        url = f"{SESSIONS}/{room.id}/suggested-workers"
        assert ids(await room.cw.get(url)) == [xugang["id"], qiji["id"]]
        assert ids(await room.admin.get(url)) == [xugang["id"], qiji["id"]]
        assert ids(await pingwei.get(url)) == []

    async def test_suggestions_show_masked_personal_data(self, room: Classroom) -> None:
        await new_worker(room.cw, phone="13812345678", training_wishes=["pastry"])
        [item] = (await room.cw.get(f"{SESSIONS}/{room.id}/suggested-workers")).json()["items"]
        assert "*" in item["id_number"]
        assert "12345678" not in item["phone"]

    async def test_auditors_get_403(self, factory: Factory, room: Classroom) -> None:
        auditor = await factory.as_role("auditor")
        r = await auditor.get(f"{SESSIONS}/{room.id}/suggested-workers")
        problem(r, 403, "forbidden")


# -- training elsewhere in the product -----------------------------------------------------


class TestTrainingInTheTimeline:
    async def test_the_timeline_shows_the_enrolment_and_its_completion(
        self, room: Classroom
    ) -> None:
        person, enrolment = await room.enrolled()
        assert (await complete(room.cw, enrolment["id"], "PX-0042")).status_code == 200
        r = await room.cw.get(f"/api/v1/workers/{person['id']}/timeline")
        assert r.status_code == 200, r.text
        events = {e["kind"]: e for e in r.json()["events"] if e["resource_type"] == "enrolment"}
        assert set(events) == {"enrolment", "training_completed"}
        assert events["enrolment"]["resource_id"] == enrolment["id"]
        assert events["enrolment"]["details"]["session_id"] == room.id
        assert events["enrolment"]["details"]["course_type"] == "pastry"
        assert events["training_completed"]["details"]["certificate_number"] == "PX-0042"

    async def test_a_dropout_shows_its_reason(self, room: Classroom) -> None:
        person, enrolment = await room.enrolled()
        assert (await drop(room.cw, enrolment["id"], "照顾孩子")).status_code == 200
        events = (await room.cw.get(f"/api/v1/workers/{person['id']}/timeline")).json()["events"]
        [ended] = [e for e in events if e["kind"] == "training_dropped"]
        assert ended["details"]["drop_reason"] == "照顾孩子"


async def every_page(c: AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, two per page, following next_cursor to the end."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        r = await c.get(
            url, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert r.status_code == 200, r.text
        found += r.json()["items"]
        if not (cursor := r.json()["next_cursor"]):
            return found


class TestListingEnrolments:
    async def test_a_sessions_enrolments_page_by_page(self, room: Classroom) -> None:
        made = [(await room.enrolled())[1]["id"] for _ in range(5)]
        found = await every_page(room.cw, f"{SESSIONS}/{room.id}/enrolments")
        assert [e["id"] for e in found] == made
        assert [e["id"] for e in await every_page(room.cw, ENROLMENTS)] == made

    async def test_filters_by_worker_and_status(self, room: Classroom) -> None:
        person, first = await room.enrolled()
        _, second = await room.enrolled()
        assert (await drop(room.cw, second["id"])).status_code == 200
        by_worker = await room.cw.get(ENROLMENTS, params={"worker_id": person["id"]})
        assert ids(by_worker) == [first["id"]]
        assert ids(await room.cw.get(ENROLMENTS, params={"status": "dropped"})) == [second["id"]]

    async def test_an_auditor_of_another_township_sees_none(
        self, factory: Factory, room: Classroom
    ) -> None:
        await room.enrolled()
        auditor = await factory.as_role("auditor", region=PINGWEI)
        assert ids(await auditor.get(ENROLMENTS)) == []
        qiji = await factory.as_role("auditor", region=QIJI)
        assert len(ids(await qiji.get(ENROLMENTS))) == 1


class TestEnrolmentSync:
    async def _sync(self, c: AsyncClient, token: str) -> tuple[list[dict[str, Any]], str]:
        r = await c.get(ENROLMENTS, params={"updated_since": token})
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["next_cursor"] is None
        assert page["sync_token"], page
        return page["items"], page["sync_token"]

    async def test_a_phone_gets_each_change_once_with_a_sync_token(
        self, factory: Factory, room: Classroom
    ) -> None:
        _, first = await room.enrolled()
        _, second = await room.enrolled()
        await factory.backdate(enrolment_id=first["id"], days=1)
        items, token = await self._sync(room.cw, EPOCH)
        assert [i["id"] for i in items] == [first["id"], second["id"]]
        assert all(i["deleted"] is False for i in items)

        assert (await attend(room.cw, first["id"], on(1))).status_code == 200
        assert (await complete(room.cw, first["id"], "PX-9")).status_code == 200
        items, token = await self._sync(room.cw, token)
        assert [(i["id"], i["status"], i["attendance_days"]) for i in items] == [
            (first["id"], "completed", 1)
        ]
        assert (await self._sync(room.cw, token))[0] == []

    async def test_a_long_absence_is_caught_up_page_by_page(self, room: Classroom) -> None:
        made = [(await room.enrolled())[1]["id"] for _ in range(5)]
        found = await every_page(room.cw, ENROLMENTS, updated_since=EPOCH)
        assert [e["id"] for e in found] == made

    async def test_enrolments_outside_the_scope_never_reach_the_phone(
        self, factory: Factory, room: Classroom
    ) -> None:
        await room.enrolled()
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        assert (await self._sync(pingwei, EPOCH))[0] == []
        assert ids(await pingwei.get(f"{SESSIONS}/{room.id}/enrolments")) == []


class TestTrainingInMatching:
    async def test_training_in_a_required_skill_ranks_a_vacancy_higher(
        self, factory: Factory
    ) -> None:
        room = await classroom(factory, course_type="sewing")
        _, boss = await employer_user(factory)
        vacancy = await new_vacancy(boss, required_skills=["sewing"])
        person = await new_worker(room.cw)
        url = f"/api/v1/workers/{person['id']}/matches"

        [before] = (await room.cw.get(url)).json()["items"]
        assert before["vacancy"]["id"] == vacancy["id"]
        assert not any(reason.startswith("in training") for reason in before["reasons"])
        assert (await enrol(room.cw, room.id, person["id"])).status_code == 201
        r = await room.cw.get(url)
        assert r.status_code == 200, r.text
        [after] = r.json()["items"]
        assert "in training for: sewing" in after["reasons"]
        assert after["score"] == before["score"] + 1
