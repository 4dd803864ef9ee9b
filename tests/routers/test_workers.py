"""Workers (poor labourers): registration, scope, personal data, finding people, editing with
versions, removal and the timeline."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.identifiers import resident_id_check_char
from app.models import Worker
from tests.conftest import IS_POSTGRES
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    ago,
    audit_entries,
    count_rows,
    error_fields,
    id_number_ending_in,
    new_household,
    new_visit,
    new_worker,
    problem,
    resident_id,
)

WORKERS = "/api/v1/workers"
QIJI_VILLAGE = "340406107202"  # 祁集村, the other village of 祁集镇 used here
FULL_ID_NUMBER = re.compile(r"\d{17}[\dXx]")
FULL_PHONE = re.compile(r"1[3-9]\d{9}")


def with_check(body17: str) -> str:
    return body17 + resident_id_check_char(body17)


def wrong_check(number: str) -> str:
    """The number with any check character but the right one."""
    return number[:17] + ("1" if number[17] != "1" else "2")


def masked_id(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


def worker_body(household_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "household_id": household_id,
        "full_name": "张秀英",
        "id_number": resident_id(401, born="19780615", male=False),
        "phone": "13812345678",
        "region_code": XUGANG,
        **fields,
    }


async def listed_ids(c: AsyncClient, *, limit: int = 50, **params: Any) -> list[int]:
    """Every worker id the list shows, following next_cursor to the end (each page checked
    for full personal data)."""
    ids: list[int] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await c.get(WORKERS, params=query)
        assert r.status_code == 200, r.text
        assert not FULL_ID_NUMBER.search(r.text), r.text
        assert not FULL_PHONE.search(r.text), r.text
        ids += [w["id"] for w in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return ids


async def detail(c: AsyncClient, worker_id: int) -> dict[str, Any]:
    """The worker's detail view (full personal data for a caseworker or admin; audited)."""
    r = await c.get(f"{WORKERS}/{worker_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def etag_of(c: AsyncClient, worker_id: int) -> str:
    r = await c.get(f"{WORKERS}/{worker_id}")
    assert r.status_code == 200, r.text
    return r.headers["ETag"]


@dataclass
class TwoTownships:
    """A caseworker of 祁集镇 with a worker of their own, and a worker of 平圩镇."""

    qiji: AsyncClient
    pingwei: AsyncClient
    own: dict[str, Any]
    other: dict[str, Any]
    own_number: str
    other_number: str


async def two_townships(factory: Factory) -> TwoTownships:
    qiji = await factory.as_role("caseworker", region=QIJI)
    pingwei = await factory.as_role("caseworker", region=PINGWEI)
    own_number, other_number = resident_id(501), resident_id(502, born="19700707")
    own = await new_worker(qiji, full_name="祁明亮", phone="13912340001", id_number=own_number)
    other = await new_worker(
        pingwei,
        region=PINGWEI_VILLAGE,
        full_name="平秀兰",
        phone="13912340002",
        id_number=other_number,
    )
    return TwoTownships(qiji, pingwei, own, other, own_number, other_number)


class TestRegisterWorker:
    async def test_birth_date_and_sex_come_from_the_id_number(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        body = worker_body(household["id"])
        r = await cw.post(WORKERS, json=body)
        assert r.status_code == 201, r.text
        made = r.json()
        # The answer masks personal data; the audited detail view shows it in full.
        assert made["personal_data_masked"] is True
        assert made["id_number"] == masked_id(body["id_number"])
        assert made["sex"] == "female"
        assert made["household_id"] == household["id"]
        assert made["employment_status"] == "unemployed"
        assert made["able_to_work"] is True
        assert made["version"] == 1
        assert r.headers["ETag"] == '"1"'
        seen = await detail(cw, made["id"])
        assert (seen["id_number"], seen["birth_date"], seen["sex"]) == (
            body["id_number"],
            "1978-06-15",
            "female",
        )

    async def test_a_man_is_registered_male(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw, id_number=resident_id(402, born="19600101", male=True))
        seen = await detail(cw, made["id"])
        assert (seen["sex"], seen["birth_date"]) == ("male", "1960-01-01")

    @pytest.mark.parametrize(
        "field", [{"birth_date": "1978-06-15"}, {"sex": "female"}, {"id_suffix": "1234"}]
    )
    async def test_derived_fields_cannot_be_sent(
        self, factory: Factory, session: AsyncSession, field: dict[str, str]
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        r = await cw.post(WORKERS, json=worker_body(household["id"], **field))
        body = problem(r, 422, "validation_failed")
        assert error_fields(body) == {f"body.{next(iter(field))}"}
        assert await count_rows(session, Worker) == 0

    @pytest.mark.parametrize(
        "id_number",
        [
            pytest.param(wrong_check(resident_id(403)), id="bad-check-digit"),
            pytest.param(with_check("34040619990230031"), id="impossible-date"),
            pytest.param(with_check("34040620991231031"), id="future-date"),
            pytest.param(with_check("34040618991231031"), id="before-1900"),
            pytest.param(resident_id(403)[:17], id="17-characters"),
            pytest.param(resident_id(403) + "1", id="19-characters"),
            pytest.param("3404061985O3120314", id="letter-inside"),
        ],
    )
    async def test_a_bad_id_number_is_refused_and_nothing_is_written(
        self, factory: Factory, session: AsyncSession, id_number: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        r = await cw.post(WORKERS, json=worker_body(household["id"], id_number=id_number))
        body = problem(r, 422, "validation_failed")
        assert error_fields(body) == {"body.id_number"}
        assert id_number not in r.text  # the value is not echoed back
        assert await count_rows(session, Worker) == 0
        assert await audit_entries(session, action="worker.create") == []

    async def test_a_lowercase_x_is_accepted_and_stored_upper_case(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        number = id_number_ending_in("X", born="19820405")
        made = await new_worker(cw, id_number=number.lower())
        assert (await detail(cw, made["id"]))["id_number"] == number
        found = await listed_ids(cw, id_suffix=number[-4:].lower())
        assert found == [made["id"]]

    async def test_unknown_fields_are_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        r = await cw.post(WORKERS, json=worker_body(household["id"], salary=3000))
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.salary"}

    async def test_a_household_of_another_township_is_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        household = await new_household(pingwei, region=PINGWEI_VILLAGE)
        r = await cw.post(WORKERS, json=worker_body(household["id"]))
        assert error_fields(problem(r, 422, "unknown_reference")) == {"body.household_id"}

    async def test_a_caseworker_cannot_register_a_worker_in_another_township(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker", region=QIJI)
        household = await new_household(cw)
        r = await cw.post(WORKERS, json=worker_body(household["id"], region_code=PINGWEI_VILLAGE))
        assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.region_code"}
        assert await count_rows(session, Worker) == 0

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_cannot_register_workers(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        other = await factory.as_role(role, **({"region": QIJI} if role == "auditor" else {}))
        problem(await other.post(WORKERS, json=worker_body(household["id"])), 403, "forbidden")
        assert await count_rows(session, Worker) == 0

    async def test_an_anonymous_caller_is_refused(self, factory: Factory) -> None:
        problem(await factory.client().post(WORKERS, json={}), 401, "unauthorized")


class TestDuplicateIdNumber:
    async def test_a_second_registration_names_the_existing_worker(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        number = resident_id(405)
        first = await new_worker(cw, id_number=number)
        household = await new_household(cw)
        r = await cw.post(WORKERS, json=worker_body(household["id"], id_number=number))
        body = problem(r, 409, "duplicate_id_number")
        assert body["existing_worker_id"] == first["id"]
        assert number not in r.text
        assert await count_rows(session, Worker) == 1

    async def test_the_same_number_with_a_lowercase_x_is_a_duplicate(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        number = id_number_ending_in("X", born="19750909")
        first = await new_worker(cw, id_number=number)
        household = await new_household(cw)
        r = await cw.post(WORKERS, json=worker_body(household["id"], id_number=number.lower()))
        assert problem(r, 409, "duplicate_id_number")["existing_worker_id"] == first["id"]

    async def test_a_worker_of_another_township_is_not_named(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        towns = await two_townships(factory)
        household = await new_household(towns.qiji)
        r = await towns.qiji.post(
            WORKERS, json=worker_body(household["id"], id_number=towns.other_number)
        )
        body = problem(r, 409, "duplicate_id_number")
        assert "existing_worker_id" not in body
        assert towns.other["id"] not in body.values()
        assert f"worker {towns.other['id']}" not in body["detail"]
        assert towns.other_number not in r.text
        assert await count_rows(session, Worker) == 2

    async def test_two_concurrent_registrations_make_exactly_one_worker(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        other = await factory.as_role("caseworker")
        household = await new_household(cw)
        body = worker_body(household["id"], id_number=resident_id(404))
        responses = await asyncio.gather(
            cw.post(WORKERS, json=body), other.post(WORKERS, json=body)
        )
        assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        problem(loser, 409, "duplicate_id_number")
        assert await count_rows(session, Worker) == 1
        assert len(await audit_entries(session, action="worker.create")) == 1

    @pytest.mark.parametrize("attempt", range(3 if IS_POSTGRES else 1))
    async def test_two_phones_editing_from_the_same_etag_at_once_get_one_200_and_one_412(
        self, factory: Factory, attempt: int
    ) -> None:
        cw = await factory.as_role("caseworker")
        other = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        url, stale = f"{WORKERS}/{worker['id']}", {"If-Match": '"1"'}
        responses = await asyncio.gather(
            cw.patch(url, json={"full_name": "王一"}, headers=stale),
            other.patch(url, json={"full_name": "王二"}, headers=stale),
        )
        assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
        [won] = [r.json() for r in responses if r.status_code == 200]
        [lost] = [r for r in responses if r.status_code == 412]
        assert problem(lost, 412, "version_mismatch")["differing_fields"] == ["full_name"]
        final = await cw.get(url)
        assert (final.json()["full_name"], final.headers["ETag"]) == (won["full_name"], '"2"')

    async def test_a_bad_body_is_named_before_a_bad_or_missing_etag(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        url = f"{WORKERS}/{(await new_worker(cw))['id']}"
        for headers in ({"If-Match": "garbage"}, {}):
            r = await cw.patch(url, json={"full_name": ""}, headers=headers)
            assert error_fields(problem(r, 422, "validation_failed")) == {"body.full_name"}
        problem(await cw.patch(url, json={"full_name": "王五"}), 428, "if_match_required")
        bad = await cw.patch(url, json={"full_name": "王五"}, headers={"If-Match": "garbage"})
        problem(bad, 412, "malformed_if_match")
        assert (await cw.get(url)).json()["version"] == 1


class TestScope:
    async def test_caseworker_of_qiji_cannot_read_worker_of_pingwei(self, factory: Factory) -> None:
        towns = await two_townships(factory)
        r = await towns.qiji.get(f"{WORKERS}/{towns.other['id']}")
        body = problem(r, 404, "worker_not_found")
        assert towns.other["full_name"] not in r.text
        # A record that does not exist at all answers the same way.
        missing = await towns.qiji.get(f"{WORKERS}/{towns.other['id'] + 1000}")
        assert problem(missing, 404, "worker_not_found")["title"] == body["title"]

    async def test_caseworker_of_qiji_cannot_edit_worker_of_pingwei(self, factory: Factory) -> None:
        towns = await two_townships(factory)
        r = await towns.qiji.patch(
            f"{WORKERS}/{towns.other['id']}",
            json={"employment_status": "employed"},
            headers={"If-Match": '"1"'},
        )
        problem(r, 404, "worker_not_found")
        unchanged = (await towns.pingwei.get(f"{WORKERS}/{towns.other['id']}")).json()
        assert (unchanged["employment_status"], unchanged["version"]) == ("unemployed", 1)

    async def test_caseworker_of_qiji_cannot_move_a_worker_to_pingwei(
        self, factory: Factory
    ) -> None:
        towns = await two_townships(factory)
        r = await towns.qiji.patch(
            f"{WORKERS}/{towns.own['id']}",
            json={"region_code": PINGWEI_VILLAGE},
            headers={"If-Match": '"1"'},
        )
        assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.region_code"}

    async def test_caseworker_of_qiji_does_not_list_workers_of_pingwei(
        self, factory: Factory
    ) -> None:
        towns = await two_townships(factory)
        assert await listed_ids(towns.qiji) == [towns.own["id"]]
        assert await listed_ids(towns.qiji, region=PINGWEI) == []
        assert await listed_ids(towns.pingwei) == [towns.other["id"]]

    async def test_caseworker_of_qiji_cannot_find_worker_of_pingwei(self, factory: Factory) -> None:
        towns = await two_townships(factory)
        number = towns.other_number
        assert await listed_ids(towns.qiji, name="平秀") == []
        assert await listed_ids(towns.qiji, name="平秀兰") == []
        assert await listed_ids(towns.qiji, id_suffix=number[-4:]) == []
        assert await listed_ids(towns.qiji, id_suffix=number[-6:]) == []
        assert await listed_ids(towns.pingwei, name="平秀") == [towns.other["id"]]

    async def test_caseworker_of_qiji_cannot_see_the_timeline_or_visits_of_pingwei(
        self, factory: Factory
    ) -> None:
        towns = await two_townships(factory)
        other = towns.other["id"]
        problem(await towns.qiji.get(f"{WORKERS}/{other}/timeline"), 404, "worker_not_found")
        problem(await towns.qiji.get(f"{WORKERS}/{other}/visits"), 404, "worker_not_found")

    async def test_an_admin_of_the_district_sees_both_townships(self, factory: Factory) -> None:
        towns = await two_townships(factory)
        admin = await factory.as_role("admin")
        listed = await listed_ids(admin)
        assert sorted(listed) == sorted([towns.own["id"], towns.other["id"]])

    async def test_employers_cannot_list_or_read_workers(self, factory: Factory) -> None:
        towns = await two_townships(factory)
        boss = await factory.as_role("employer")
        problem(await boss.get(WORKERS), 403, "forbidden")
        problem(await boss.get(f"{WORKERS}/{towns.own['id']}"), 403, "forbidden")


class TestPersonalData:
    async def test_an_auditor_reads_in_scope_with_personal_data_masked(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        towns = await two_townships(factory)
        auditor = await factory.as_role("auditor", region=QIJI)
        r = await auditor.get(f"{WORKERS}/{towns.own['id']}")
        assert r.status_code == 200, r.text
        seen = r.json()
        assert seen["personal_data_masked"] is True
        assert seen["id_number"] == masked_id(towns.own_number)
        assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", seen["id_number"])
        assert seen["phone"] == "139****0001"
        assert seen["birth_date"] is None
        assert not FULL_ID_NUMBER.search(r.text)
        assert not FULL_PHONE.search(r.text)
        problem(await auditor.get(f"{WORKERS}/{towns.other['id']}"), 404, "worker_not_found")
        assert await audit_entries(session, action="worker.read_personal_data") == []

    async def test_a_caseworker_sees_the_full_record_and_the_read_is_audited(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        number = resident_id(406)
        made = await new_worker(cw, phone="13812345678", id_number=number)
        r = await cw.get(f"{WORKERS}/{made['id']}")
        assert r.status_code == 200, r.text
        seen = r.json()
        assert seen["personal_data_masked"] is False
        assert (seen["id_number"], seen["phone"]) == (number, "13812345678")
        assert seen["birth_date"] == "1985-03-12"

        admin = await factory.as_role("admin")
        log = await admin.get(
            "/api/v1/audit-log",
            params={"action": "worker.read_personal_data", "resource_id": str(made["id"])},
        )
        assert log.status_code == 200, log.text
        entries = log.json()["items"]
        assert len(entries) == 1
        assert entries[0]["resource_type"] == "worker"
        assert entries[0]["actor_role"] == "caseworker"
        assert number not in log.text

    async def test_every_detail_read_is_audited(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        admin = await factory.as_role("admin")
        for reader in (cw, cw, admin):
            assert (await reader.get(f"{WORKERS}/{made['id']}")).status_code == 200
        entries = await audit_entries(
            session, action="worker.read_personal_data", resource_id=made["id"]
        )
        assert [e.actor_role for e in entries] == ["caseworker", "caseworker", "admin"]

    async def test_lists_never_show_a_full_id_number_or_phone(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        numbers = (id_number_ending_in("X"), resident_id(411), resident_id(412))
        phones = ("13812345678", "15900001111", "18955556666")
        for number, phone in zip(numbers, phones, strict=True):
            await new_worker(cw, household_id=household["id"], id_number=number, phone=phone)
        # listed_ids scans every page for full numbers; so do the checks below.
        assert len(await listed_ids(cw)) == 3
        assert len(await listed_ids(cw, limit=1)) == 3
        assert len(await listed_ids(cw, updated_since="2000-01-01T00:00:00Z")) == 3
        assert len(await listed_ids(cw, name="王")) == 3
        detail = await cw.get(f"/api/v1/households/{household['id']}")
        assert detail.status_code == 200, detail.text
        assert len(detail.json()["members"]) == 3
        assert not FULL_ID_NUMBER.search(detail.text)
        assert not FULL_PHONE.search(detail.text)

    async def test_an_edit_does_not_show_personal_data_without_an_audited_read(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        number = resident_id(407)
        made = await new_worker(cw, phone="13812345678", id_number=number)
        r = await cw.patch(
            f"{WORKERS}/{made['id']}", json={"notes": "会缝纫"}, headers={"If-Match": '"1"'}
        )
        assert r.status_code == 200, r.text
        reads = await audit_entries(
            session, action="worker.read_personal_data", resource_id=made["id"]
        )
        shown = number in r.text or "13812345678" in r.text
        assert not shown or reads, "full personal data answered without an audited read"


class TestFindWorkers:
    async def test_filters_narrow_the_list(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        poor = await new_household(cw, poverty_status="in_poverty")
        lifted = await new_household(cw, region=QIJI_VILLAGE, poverty_status="lifted")
        a = await new_worker(
            cw,
            household_id=poor["id"],
            skills=["sewing", "housekeeping"],
            training_wishes=["pastry"],
            job_wishes=["garment"],
        )
        b = await new_worker(
            cw,
            household_id=poor["id"],
            employment_status="employed",
            skills=["welding"],
            job_wishes=["manufacturing", "garment"],
        )
        c = await new_worker(
            cw,
            household_id=lifted["id"],
            region=QIJI_VILLAGE,
            employment_status="unable_to_work",
            able_to_work=False,
            training_wishes=["childcare"],
        )
        cases: list[tuple[dict[str, Any], set[int]]] = [
            ({}, {a["id"], b["id"], c["id"]}),
            ({"region": QIJI}, {a["id"], b["id"], c["id"]}),
            ({"region": XUGANG}, {a["id"], b["id"]}),
            ({"region": QIJI_VILLAGE}, {c["id"]}),
            ({"employment_status": "employed"}, {b["id"]}),
            ({"employment_status": "unemployed"}, {a["id"]}),
            ({"able_to_work": "false"}, {c["id"]}),
            ({"able_to_work": "true"}, {a["id"], b["id"]}),
            ({"skill": "sewing"}, {a["id"]}),
            ({"skill": "pastry"}, set()),
            ({"training_wish": "pastry"}, {a["id"]}),
            ({"training_wish": "childcare"}, {c["id"]}),
            ({"job_wish": "garment"}, {a["id"], b["id"]}),
            ({"job_wish": "manufacturing"}, {b["id"]}),
            ({"poverty_status": "in_poverty"}, {a["id"], b["id"]}),
            ({"poverty_status": "lifted"}, {c["id"]}),
            ({"poverty_status": "monitored"}, set()),
            ({"household_id": poor["id"]}, {a["id"], b["id"]}),
            ({"household_id": lifted["id"]}, {c["id"]}),
            ({"region": XUGANG, "job_wish": "garment", "skill": "welding"}, {b["id"]}),
        ]
        for params, expected in cases:
            assert set(await listed_ids(cw, **params)) == expected, params

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"employment_status": "retired"}, "query.employment_status"),
            ({"skill": "juggling"}, "query.skill"),
            ({"poverty_status": "rich"}, "query.poverty_status"),
            ({"region": "34A406"}, "query.region"),
            ({"limit": 201}, "query.limit"),
            ({"limit": 0}, "query.limit"),
        ],
    )
    async def test_a_bad_filter_is_refused(
        self, factory: Factory, params: dict[str, Any], field: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.get(WORKERS, params=params)
        assert error_fields(problem(r, 422, "validation_failed")) == {field}

    async def test_a_short_name_is_a_prefix_and_a_longer_one_a_substring(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        made = {
            name: (await new_worker(cw, household_id=household["id"], full_name=name))["id"]
            for name in ("欧阳小明", "王小明", "王小红", "李明")
        }
        assert set(await listed_ids(cw, name="王小")) == {made["王小明"], made["王小红"]}
        assert set(await listed_ids(cw, name="欧阳")) == {made["欧阳小明"]}
        assert await listed_ids(cw, name="小明") == []  # two characters: a prefix only
        assert set(await listed_ids(cw, name="阳小明")) == {made["欧阳小明"]}
        assert set(await listed_ids(cw, name="王小明")) == {made["王小明"]}
        assert await listed_ids(cw, name="%") == []  # wildcards are literal
        assert await listed_ids(cw, name="王_明") == []

    async def test_find_by_the_last_digits_of_the_id_number(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        # Two numbers ending in the same four characters, born on different days.
        same_end = [
            with_check(f"34040619850{m}{d:02d}123") for m in range(1, 10) for d in range(1, 29)
        ]
        first = same_end[0]
        second = next(n for n in same_end if n[-4:] == first[-4:] and n[-6:-4] != first[-6:-4])
        a = await new_worker(cw, household_id=household["id"], id_number=first)
        b = await new_worker(cw, household_id=household["id"], id_number=second)
        c = await new_worker(cw, household_id=household["id"], id_number=resident_id(420))
        assert set(await listed_ids(cw, id_suffix=first[-4:])) == {a["id"], b["id"]}
        assert await listed_ids(cw, id_suffix=first[-6:]) == [a["id"]]
        assert await listed_ids(cw, id_suffix=second[-6:]) == [b["id"]]
        assert await listed_ids(cw, id_suffix=c["id_number"][-4:]) == [c["id"]]
        assert await listed_ids(cw, id_suffix=first) == [a["id"]]

    @pytest.mark.parametrize("suffix", ["123", "12", "1", "12a4", "X123", "1234567890123456789"])
    async def test_fewer_than_four_or_malformed_id_digits_are_refused(
        self, factory: Factory, suffix: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.get(WORKERS, params={"id_suffix": suffix})
        assert error_fields(problem(r, 422, "validation_failed")) == {"query.id_suffix"}

    async def test_pages_of_two_walk_every_worker_once(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        made = [(await new_worker(cw, household_id=household["id"]))["id"] for _ in range(7)]
        walked = await listed_ids(cw, limit=2)
        assert walked == sorted(made)  # stable keyset order, each once
        first = await cw.get(WORKERS, params={"limit": 2})
        assert len(first.json()["items"]) == 2
        assert first.json()["next_cursor"]

    async def test_a_forged_cursor_is_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.get(WORKERS, params={"cursor": "not-a-cursor"})
        assert error_fields(problem(r, 422, "invalid_cursor")) == {"query.cursor"}


class TestUpdateWorker:
    async def test_an_edit_without_if_match_is_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        r = await cw.patch(f"{WORKERS}/{made['id']}", json={"employment_status": "employed"})
        problem(r, 428, "if_match_required")
        assert (await cw.get(f"{WORKERS}/{made['id']}")).json()["employment_status"] == (
            "unemployed"
        )

    async def test_a_successful_edit_returns_a_new_etag(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        etag = await etag_of(cw, made["id"])
        r = await cw.patch(
            f"{WORKERS}/{made['id']}",
            json={"employment_status": "employed", "skills": ["sewing"]},
            headers={"If-Match": etag},
        )
        assert r.status_code == 200, r.text
        assert r.headers["ETag"] == '"2"' != etag
        assert (r.json()["employment_status"], r.json()["version"]) == ("employed", 2)
        assert await etag_of(cw, made["id"]) == '"2"'
        entries = await audit_entries(session, action="worker.update", resource_id=made["id"])
        assert len(entries) == 1
        assert set(entries[0].changes) == {"employment_status", "skills"}

    async def test_a_new_id_number_derives_birth_date_and_sex_again(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        corrected = resident_id(430, born="19920817", male=False)
        r = await cw.patch(
            f"{WORKERS}/{made['id']}", json={"id_number": corrected}, headers={"If-Match": '"1"'}
        )
        assert r.status_code == 200, r.text
        seen = (await cw.get(f"{WORKERS}/{made['id']}")).json()
        assert (seen["id_number"], seen["birth_date"], seen["sex"]) == (
            corrected,
            "1992-08-17",
            "female",
        )
        assert await listed_ids(cw, id_suffix=corrected[-4:]) == [made["id"]]

    async def test_an_edit_to_a_registered_id_number_is_a_conflict(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        number = resident_id(408)
        first = await new_worker(cw, id_number=number)
        second = await new_worker(cw)
        r = await cw.patch(
            f"{WORKERS}/{second['id']}",
            json={"id_number": number},
            headers={"If-Match": '"1"'},
        )
        assert problem(r, 409, "duplicate_id_number")["existing_worker_id"] == first["id"]

    async def test_a_stale_edit_gets_the_current_record_and_the_fields_that_differ(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw, phone="13812345678")
        offline_etag = await etag_of(cw, made["id"])
        # Meanwhile at the office the worker finds a job and gets a new phone.
        office = await cw.patch(
            f"{WORKERS}/{made['id']}",
            json={"employment_status": "employed", "phone": "13900001111"},
            headers={"If-Match": offline_etag},
        )
        assert office.status_code == 200, office.text
        # The phone, offline, edits against the version it read.
        r = await cw.patch(
            f"{WORKERS}/{made['id']}",
            json={
                "employment_status": "employed",  # the same as the server's now
                "phone": "13900001111",  # the same as the server's now
                "able_to_work": False,  # differs
                "notes": "腿受伤",  # differs
                "skills": [],  # the same as the server's
            },
            headers={"If-Match": offline_etag},
        )
        body = problem(r, 412, "version_mismatch")
        assert sorted(body["differing_fields"]) == ["able_to_work", "notes"]
        current = body["current"]
        assert current["id"] == made["id"]
        assert current["version"] == 2
        assert current["employment_status"] == "employed"
        assert current["able_to_work"] is True
        assert current["notes"] is None
        assert not FULL_ID_NUMBER.search(r.text)
        # Nothing changed.
        seen = (await cw.get(f"{WORKERS}/{made['id']}")).json()
        assert (seen["version"], seen["able_to_work"], seen["notes"]) == (2, True, None)
        assert len(await audit_entries(session, action="worker.update")) == 1

    @pytest.mark.parametrize(
        ("if_match", "code"),
        [('"99"', "version_mismatch"), ('W/"0"', "version_mismatch"),
         ("3", "malformed_if_match"), ("*", "malformed_if_match"),
         ('"abc"', "malformed_if_match")],
    )  # fmt: skip
    async def test_a_wrong_if_match_changes_nothing(
        self, factory: Factory, if_match: str, code: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        r = await cw.patch(
            f"{WORKERS}/{made['id']}", json={"notes": "x"}, headers={"If-Match": if_match}
        )
        problem(r, 412, code)
        assert (await cw.get(f"{WORKERS}/{made['id']}")).json()["notes"] is None

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"birth_date": "1990-01-01"}, "body.birth_date"),
            ({"sex": "male"}, "body.sex"),
            ({"version": 7}, "body.version"),
            ({"employment_status": "retired"}, "body.employment_status"),
            ({"skills": ["juggling"]}, "body.skills.0"),
            ({"phone": "12345"}, "body.phone"),
            ({"id_number": wrong_check(resident_id(431))}, "body.id_number"),
        ],
    )
    async def test_unknown_or_bad_fields_are_refused(
        self, factory: Factory, change: dict[str, Any], field: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        r = await cw.patch(f"{WORKERS}/{made['id']}", json=change, headers={"If-Match": '"1"'})
        assert error_fields(problem(r, 422, "validation_failed")) == {field}
        assert (await cw.get(f"{WORKERS}/{made['id']}")).json()["version"] == 1

    async def test_an_auditor_cannot_edit(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        auditor = await factory.as_role("auditor", region=QIJI)
        r = await auditor.patch(
            f"{WORKERS}/{made['id']}", json={"notes": "x"}, headers={"If-Match": '"1"'}
        )
        problem(r, 403, "forbidden")


class TestDeleteWorker:
    async def test_only_an_admin_removes_a_worker(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        problem(await cw.delete(f"{WORKERS}/{made['id']}"), 403, "forbidden")
        auditor = await factory.as_role("auditor")
        problem(await auditor.delete(f"{WORKERS}/{made['id']}"), 403, "forbidden")
        assert (await cw.get(f"{WORKERS}/{made['id']}")).status_code == 200

    async def test_a_removed_worker_is_gone_from_reads_and_lists(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        kept = await new_worker(cw, household_id=household["id"])
        gone = await new_worker(cw, household_id=household["id"])
        admin = await factory.as_role("admin")
        r = await admin.delete(f"{WORKERS}/{gone['id']}")
        assert r.status_code == 204, r.text
        for reader in (cw, admin):
            problem(await reader.get(f"{WORKERS}/{gone['id']}"), 404, "worker_not_found")
            assert await listed_ids(reader) == [kept["id"]]
        assert await listed_ids(cw, id_suffix=gone["id_number"][-4:]) == []
        members = (await cw.get(f"/api/v1/households/{household['id']}")).json()["members"]
        assert [m["id"] for m in members] == [kept["id"]]
        problem(await admin.delete(f"{WORKERS}/{gone['id']}"), 404, "worker_not_found")
        r = await cw.patch(
            f"{WORKERS}/{gone['id']}", json={"notes": "x"}, headers={"If-Match": '"1"'}
        )
        problem(r, 404, "worker_not_found")
        assert len(await audit_entries(session, action="worker.delete")) == 1

    async def test_an_admin_of_another_township_cannot_remove_a_worker(
        self, factory: Factory
    ) -> None:
        towns = await two_townships(factory)
        admin = await factory.as_role("admin", region=PINGWEI)
        problem(await admin.delete(f"{WORKERS}/{towns.own['id']}"), 404, "worker_not_found")
        assert (await towns.qiji.get(f"{WORKERS}/{towns.own['id']}")).status_code == 200


class TestTimeline:
    async def test_registration_and_visits_newest_first(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        older = await new_visit(cw, made["id"], visited_at=ago(hours=5), kind="survey")
        newer = await new_visit(
            cw,
            made["id"],
            visited_at=ago(hours=2),
            kind="follow_up",
            status_changes={"employment_status": "employed"},
        )
        r = await cw.get(f"{WORKERS}/{made['id']}/timeline")
        assert r.status_code == 200, r.text
        timeline = r.json()
        assert timeline["worker_id"] == made["id"]
        events = timeline["events"]
        moments = [e["at"] for e in events]
        assert moments == sorted(moments, reverse=True)
        visits = [e for e in events if e["kind"] == "visit"]
        assert [e["resource_id"] for e in visits] == [newer["id"], older["id"]]
        assert visits[0]["details"]["status_changes"] == {
            "employment_status": {"before": "unemployed", "after": "employed"}
        }
        registered = [e for e in events if e["kind"] == "registered"]
        assert [e["resource_id"] for e in registered] == [made["id"]]
        assert {e["kind"] for e in events} == {"registered", "visit"}

    async def test_an_auditor_in_scope_reads_the_timeline(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = await new_worker(cw)
        auditor = await factory.as_role("auditor", region=QIJI)
        r = await auditor.get(f"{WORKERS}/{made['id']}/timeline")
        assert r.status_code == 200, r.text
        assert not FULL_ID_NUMBER.search(r.text)
