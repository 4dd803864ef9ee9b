"""The assigned list (市下达任务, SPEC section 5 "Assigned list"): a city or district admin
records or uploads the labourers assigned to a district for a year; the overview reports how
many of them were assisted and how many were assisted beyond the list, and the breakdowns by
poverty status and by list add up to it. Sending a list again changes nothing; a bad line is
reported and never stops the good ones; a file that cannot be read writes nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient, Response
from openpyxl import Workbook, load_workbook
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Assignment, Region, RegionLevel, Worker
from tests.factories import (
    DISTRICT,
    QIJI,
    XUGANG,
    Factory,
    audit_entries,
    count_rows,
    error_fields,
    new_employment,
    new_household,
    new_worker,
    problem,
    resident_id,
)

API = "/api/v1/assignments"
IMPORT = f"{API}/import"
OVERVIEW = "/api/v1/stats/overview"
BREAKDOWN = "/api/v1/stats/breakdown"
REPORT = "/api/v1/stats/overview.xlsx"
YEAR = datetime.now(UTC).year
ZH = {"Accept-Language": "zh-CN"}
LIST_FIGURES = ("assigned", "assigned_and_assisted", "assisted_beyond_list")

# A second district (凤台县) under no common parent: its labourers are outside 潘集区.
FENGTAI, FENGTAI_TOWN, FENGTAI_VILLAGE = "340421", "340421100", "340421100201"


async def add_fengtai(session: AsyncSession) -> None:
    for code, name, level, parent, path in (
        (FENGTAI, "凤台县", RegionLevel.district, None, "340421/"),
        (FENGTAI_TOWN, "城关镇", RegionLevel.township, FENGTAI, "340421/340421100/"),
        (FENGTAI_VILLAGE, "城北村", RegionLevel.village, FENGTAI_TOWN,
         "340421/340421100/340421100201/"),
    ):  # fmt: skip
        session.add(Region(code=code, name=name, level=level.value, parent_code=parent, path=path))
    await session.commit()


def body(**fields: Any) -> dict[str, Any]:
    return {"region_code": DISTRICT, "year": YEAR, "source": "淮南市下达任务", **fields}


def report_of(r: Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    assert data["total"] == len(data["rows"])
    assert data["total"] == sum(data[k] for k in ("assigned", "already_assigned", "failed"))
    return data


def outcomes(report: dict[str, Any]) -> list[str]:
    return [row["outcome"] for row in report["rows"]]


def csv_file(numbers: list[str], header: str = "身份证号") -> bytes:
    return ("\r\n".join(["姓名," + header, *(f"某人,{n}" for n in numbers)]) + "\r\n").encode()


def xlsx_file(numbers: list[str]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "公民身份号码"])
    for n, number in enumerate(numbers, start=1):
        sheet.append([n, number])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(
    c: AsyncClient,
    content: bytes,
    *,
    name: str = "名单.csv",
    media_type: str = "text/csv",
    region: str = DISTRICT,
    headers: dict[str, str] | None = None,
) -> Response:
    return await c.post(
        IMPORT,
        data={"region_code": region, "year": str(YEAR)},
        files={"file": (name, content, media_type)},
        headers=headers,
    )


def figures(overview: dict[str, Any]) -> dict[str, Any]:
    return {i["key"]: i for i in overview["indicators"]}


async def overview(c: AsyncClient, **params: Any) -> dict[str, Any]:
    r = await c.get(OVERVIEW, params={"year": YEAR, **params})
    assert r.status_code == 200, r.text
    return figures(r.json())


async def district_admin(factory: Factory) -> AsyncClient:
    return await factory.as_role("admin", region=DISTRICT)


class World:
    """Four labourers of 祁集镇: w1-w3 to go on the list (w1 and w2 will be assisted), w4
    assisted without being on it. Households: w1 and w2 in poverty, w3 lifted, w4 monitored."""

    def __init__(self, cw: AsyncClient, workers: list[dict[str, Any]]) -> None:
        self.cw = cw
        self.workers = workers

    @property
    def ids(self) -> list[int]:
        return [w["id"] for w in self.workers]

    @classmethod
    async def build(cls, factory: Factory) -> World:
        cw = await factory.as_role("caseworker")
        people = []
        for status in ("in_poverty", "in_poverty", "lifted", "monitored"):
            home = await new_household(cw, poverty_status=status)
            people.append(await new_worker(cw, household_id=home["id"]))
        return cls(cw, people)

    async def assist(self, *indexes: int) -> None:
        for i in indexes:
            await new_employment(self.cw, self.workers[i]["id"])


async def id_number_of(session: AsyncSession, worker_id: int) -> str:
    worker = await session.get(Worker, worker_id)
    assert worker is not None
    number = worker.id_number
    await session.rollback()
    return number


class TestRecordingAList:
    async def test_the_overview_counts_the_assigned_the_assisted_among_them_and_beyond(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        third = await id_number_of(session, world.ids[2])
        report = report_of(await admin.post(API, json=body(worker_ids=world.ids[:2],
                                                            id_numbers=[third])))  # fmt: skip
        assert outcomes(report) == ["assigned"] * 3
        assert [row["worker_id"] for row in report["rows"]] == world.ids[:3]
        await world.assist(0, 1, 3)

        got = await overview(admin)
        assert {k: got[k]["value"] for k in LIST_FIGURES} == {
            "assigned": 3, "assigned_and_assisted": 2, "assisted_beyond_list": 1,
        }  # fmt: skip
        assert all(type(got[k]["value"]) is int for k in LIST_FIGURES)
        rate = got["assigned_assistance_rate"]
        assert (rate["numerator"], rate["denominator"], rate["value"]) == (2, 3, 0.6667)
        assert got["assisted"]["value"] == 3  # = assigned and assisted + beyond the list
        # A township's overview counts its own labourers; last year's list is empty.
        assert (await overview(admin, region=QIJI))["assigned"]["value"] == 3
        last = await overview(admin, year=YEAR - 1)
        assert last["assigned"]["value"] == 0
        assert last["assigned_assistance_rate"]["value"] is None

    async def test_the_breakdowns_by_poverty_status_and_by_list_add_up_to_the_overview(
        self, factory: Factory
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        report_of(await admin.post(API, json=body(worker_ids=world.ids[:3])))
        await world.assist(0, 1, 3)
        total = await overview(admin)
        for by, keys in (("poverty_status", ["in_poverty", "lifted", "monitored"]),
                         ("assigned", ["on_list", "not_on_list"])):  # fmt: skip
            r = await admin.get(BREAKDOWN, params={"by": by, "year": YEAR})
            assert r.status_code == 200, r.text
            split = r.json()
            assert [row["key"] for row in split["rows"]] == keys
            for column in split["columns"]:
                values = [row["values"][column] for row in split["rows"]]
                assert all(type(v) is int for v in values), (by, column, values)
                assert sum(values) == total[column]["value"], (by, column)
        rows = {row["key"]: row["values"] for row in split["rows"]}
        assert rows["on_list"] == {
            "registered_workers": 3, "willing_and_able": 3, "assisted": 2, "assigned": 3,
            "assigned_and_assisted": 2,
        }  # fmt: skip
        assert (rows["not_on_list"]["assisted"], rows["not_on_list"]["assigned"]) == (1, 0)
        r = await admin.get(BREAKDOWN, params={"by": "poverty_status", "year": YEAR})
        poor = {row["key"]: row["values"] for row in r.json()["rows"]}
        assert poor["in_poverty"]["assigned_and_assisted"] == 2
        assert (poor["lifted"]["assigned"], poor["lifted"]["assisted"]) == (1, 0)
        assert (poor["monitored"]["assigned"], poor["monitored"]["assisted"]) == (0, 1)
        # The spreadsheet report carries both splits, as served.
        r = await admin.get(REPORT, params={"year": YEAR})
        assert r.status_code == 200, r.text
        sheet = load_workbook(io.BytesIO(r.content))["by assigned"]
        lines = [list(line) for line in sheet.iter_rows(values_only=True)]
        assert lines[0] == ["assigned", "label", *split["columns"]]
        assert [line[0] for line in lines[1:]] == ["on_list", "not_on_list"]
        assert lines[1][2:] == [rows["on_list"][c] for c in split["columns"]]

    async def test_sending_the_same_list_again_changes_nothing(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        report_of(await admin.post(API, json=body(worker_ids=world.ids[:2])))
        again = report_of(await admin.post(API, json=body(worker_ids=[*world.ids[:2],
                                                                      world.ids[0]])))  # fmt: skip
        assert outcomes(again) == ["already_assigned"] * 3
        assert (again["assigned"], again["already_assigned"]) == (0, 3)
        assert await count_rows(session, Assignment) == 2
        assert len(await audit_entries(session, action="assignment.create")) == 2

    async def test_a_dry_run_reports_and_writes_nothing(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        r = await admin.post(API, json=body(worker_ids=world.ids), params={"dry_run": "true"})
        assert outcomes(report_of(r)) == ["assigned"] * 4
        assert await count_rows(session, Assignment) == 0

    async def test_unknown_and_other_districts_labourers_are_reported_line_by_line(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        await add_fengtai(session)
        city = await factory.as_role("admin")  # no region: the city
        home = await new_household(city, region=FENGTAI_VILLAGE)
        outsider = await new_worker(city, household_id=home["id"], region=FENGTAI_VILLAGE)
        world = await World.build(factory)
        admin = await district_admin(factory)
        unknown = resident_id(987)
        lines = body(worker_ids=[outsider["id"], world.ids[0], 10**12], id_numbers=[unknown])
        report = report_of(await admin.post(API, json=lines, headers=ZH))
        assert outcomes(report) == ["failed", "assigned", "failed", "failed"]
        assert [r["row"] for r in report["rows"]] == [1, 2, 3, 4]
        # To the admin of 潘集区, a labourer of 凤台县 does not exist: nothing of theirs shows.
        messages = {e["message"] for row in report["rows"] for e in row["errors"]}
        assert messages == {"您的管辖范围内没有登记这名劳动力"}
        assert [e["field"] for row in report["rows"] for e in row["errors"]] == [
            "worker_ids", "worker_ids", "id_numbers",
        ]  # fmt: skip
        # The city sees both districts: the labourer is outside 潘集区, and once on 凤台县's
        # list may not go on 潘集区's.
        report = report_of(await city.post(API, json=body(worker_ids=[outsider["id"]])))
        assert report["rows"][0]["errors"][0]["message"] == (
            "the labourer is registered outside this district"
        )
        report_of(await city.post(API, json=body(region_code=FENGTAI,
                                                 worker_ids=[outsider["id"]])))  # fmt: skip
        moved = body(region_code=FENGTAI, worker_ids=[world.ids[0]])
        report = report_of(await city.post(API, json=moved))
        assert report["rows"][0]["errors"][0]["message"] == (
            "the labourer is registered outside this district"
        )
        assert await count_rows(session, Assignment) == 2

    async def test_a_labourer_who_moved_stays_on_the_first_districts_list_for_the_year(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        await add_fengtai(session)
        city = await factory.as_role("admin")
        home = await new_household(city, region=FENGTAI_VILLAGE)
        mover = await new_worker(city, household_id=home["id"], region=FENGTAI_VILLAGE)
        lines = body(region_code=FENGTAI, worker_ids=[mover["id"]])
        assert outcomes(report_of(await city.post(API, json=lines))) == ["assigned"]
        await session.execute(
            update(Worker).where(col(Worker.id) == mover["id"]).values(region_code=XUGANG)
        )
        await session.commit()
        report = report_of(await city.post(API, json=body(worker_ids=[mover["id"]])))
        assert report["rows"][0]["errors"][0]["message"] == (
            "the labourer is on another district's list for this year"
        )
        assert await count_rows(session, Assignment, col(Assignment.region_code) == DISTRICT) == 0

    async def test_a_list_is_a_districts_and_no_later_than_next_year(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        r = await admin.post(API, json=body(region_code=QIJI, worker_ids=world.ids))
        assert error_fields(problem(r, 422, "wrong_region_level")) == {"body.region_code"}
        r = await admin.post(API, json=body(year=YEAR + 2, worker_ids=world.ids))
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.year"}
        r = await admin.post(API, json=body())
        problem(r, 422, "validation_failed")
        r = await admin.post(API, json=body(id_numbers=["340406198503120000"]))
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.id_numbers.0"}
        r = await admin.post(API, json=body(region_code="999999", worker_ids=world.ids))
        problem(r, 422, "unknown_region")
        assert await count_rows(session, Assignment) == 0


class TestUploadingAList:
    async def test_csv_and_xlsx_lists_are_read_and_a_second_upload_changes_nothing(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        numbers = [await id_number_of(session, w) for w in world.ids]
        report = report_of(await upload(admin, csv_file(numbers[:2])))
        assert outcomes(report) == ["assigned", "assigned"]
        assert [row["row"] for row in report["rows"]] == [2, 3]
        xlsx = xlsx_file(numbers[:3])
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        report = report_of(await upload(admin, xlsx, name="名单.xlsx", media_type=media))
        assert outcomes(report) == ["already_assigned", "already_assigned", "assigned"]
        again = report_of(await upload(admin, xlsx, name="名单.xlsx", media_type=media))
        assert outcomes(again) == ["already_assigned"] * 3
        assert await count_rows(session, Assignment) == 3
        listed = await admin.get(API, params={"year": YEAR})
        assert {item["source"] for item in listed.json()["items"]} == {"名单.csv", "名单.xlsx"}

    async def test_bad_rows_are_reported_in_the_readers_language(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        good = await id_number_of(session, world.ids[0])
        mistyped = good[:-1] + ("0" if good[-1] != "0" else "1")
        content = csv_file([good, mistyped, resident_id(986), ""])
        report = report_of(await upload(admin, content, headers=ZH))
        assert outcomes(report) == ["assigned", "failed", "failed"]
        assert [row["row"] for row in report["rows"]] == [2, 3, 4]
        errors = [row["errors"] for row in report["rows"][1:]]
        assert errors == [
            [{"field": "身份证号", "message": "身份证号校验位不符，可能有一位输错"}],
            [{"field": "身份证号", "message": "您的管辖范围内没有登记这名劳动力"}],
        ]

    async def test_a_file_that_cannot_be_read_writes_nothing(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        number = await id_number_of(session, world.ids[0])
        problem(await upload(admin, b"%PDF-1.4 not a list"), 415, "not_a_spreadsheet")
        r = await upload(admin, csv_file([number], header="编号"))
        assert error_fields(problem(r, 422, "missing_columns")) == {"file.身份证号"}
        problem(await upload(admin, b""), 422, "empty_file")
        broken = b"PK\x03\x04" + b"\x00" * 64
        problem(await upload(admin, broken, name="x.xlsx"), 415, "not_a_spreadsheet")
        r = await upload(admin, csv_file([number]), region=QIJI)
        problem(r, 422, "wrong_region_level")
        assert await count_rows(session, Assignment) == 0
        assert await audit_entries(session, action="assignment.create") == []


class TestWhoMay:
    async def test_township_admins_caseworkers_and_auditors_may_not_change_a_list(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        township = await factory.as_role("admin", region=QIJI)
        r = await township.post(API, json=body(worker_ids=world.ids))
        problem(r, 403, "wider_scope_required")
        problem(await upload(township, csv_file([])), 403, "wider_scope_required")
        for role in ("caseworker", "auditor", "employer"):
            c = await factory.as_role(role)
            problem(await c.post(API, json=body(worker_ids=world.ids)), 403, "forbidden")
        problem(await world.cw.get(API), 403, "forbidden")
        assert await count_rows(session, Assignment) == 0

    async def test_auditors_and_admins_read_the_list_masked_and_paged(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        report_of(await admin.post(API, json=body(worker_ids=world.ids[:3])))
        auditor = await factory.as_role("auditor")
        first = await auditor.get(API, params={"year": YEAR, "limit": 2})
        assert first.status_code == 200, first.text
        page = first.json()
        assert len(page["items"]) == 2
        assert page["next_cursor"]
        rest = await auditor.get(API, params={"year": YEAR, "cursor": page["next_cursor"]})
        items = page["items"] + rest.json()["items"]
        assert [i["worker_id"] for i in items] == world.ids[:3]
        number = await id_number_of(session, world.ids[0])
        assert items[0]["id_number"] == number[:6] + "********" + number[-4:]
        assert (items[0]["region_code"], items[0]["source"]) == (DISTRICT, "淮南市下达任务")
        assert all(i["full_name"] for i in items)
        none = await auditor.get(API, params={"year": YEAR - 1})
        assert none.json()["items"] == []
        township = await factory.as_role("auditor", region="340406100")  # 平圩镇
        assert (await township.get(API, params={"year": YEAR})).json()["items"] == []
        r = await township.get(API, params={"region": QIJI})
        problem(r, 404, "region_not_found")


class TestTakingOneOff:
    async def test_a_district_admin_takes_a_labourer_off_and_it_is_audited(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        world = await World.build(factory)
        admin = await district_admin(factory)
        report_of(await admin.post(API, json=body(worker_ids=world.ids[:2])))
        listed = (await admin.get(API, params={"year": YEAR})).json()["items"]
        first = listed[0]["id"]
        township = await factory.as_role("admin", region=QIJI)
        problem(await township.delete(f"{API}/{first}"), 403, "wider_scope_required")
        await add_fengtai(session)
        other = await factory.as_role("admin", region=FENGTAI)
        problem(await other.delete(f"{API}/{first}"), 404, "assignment_not_found")
        assert await count_rows(session, Assignment) == 2

        r = await admin.delete(f"{API}/{first}")
        assert r.status_code == 204, r.text
        [entry] = await audit_entries(session, action="assignment.delete", resource_id=first)
        assert entry.region_code == DISTRICT
        assert (await overview(admin))["assigned"]["value"] == 1
        problem(await admin.delete(f"{API}/{first}"), 404, "assignment_not_found")
        # Back on the list: recorded again like any other.
        again = report_of(await admin.post(API, json=body(worker_ids=world.ids[:2])))
        assert outcomes(again) == ["assigned", "already_assigned"]
