"""Bulk import of the provincial registry (CSV in UTF-8 or GB18030, or XLSX): upsert by ID
number, a row-by-row report, bad rows never half-written, re-imports changing nothing."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Sequence
from typing import Any

import pytest
from httpx import AsyncClient, Response
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.models import AuditEntry, Household, Worker
from app.services import imports
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    count_rows,
    error_fields,
    new_worker,
    problem,
    resident_id,
)

IMPORT = "/api/v1/workers/import"
HEADER = [
    "户编号", "姓名", "身份证号", "联系电话", "行政区划代码", "贫困状态", "就业状态", "技能",
    "是否有劳动能力",
]  # fmt: skip
Row = Sequence[object]


def person(n: int, household: str = "3404061072010001", **changes: object) -> list[object]:
    """A registry row of 许岗村 (column order as HEADER); ``changes`` by header name."""
    row: dict[str, object] = {
        "户编号": household,
        "姓名": f"张{n}英",
        "身份证号": resident_id(n, born="19800101", male=False),
        "联系电话": f"1381234{n:04d}",
        "行政区划代码": XUGANG,
        "贫困状态": "未脱贫",
        "就业状态": "未就业",
        "技能": "缝纫、家政",
        "是否有劳动能力": "是",
        **changes,
    }
    return [row[h] for h in HEADER]


def csv_file(rows: Sequence[Row], *, encoding: str = "utf-8", sep: str = ",") -> bytes:
    lines = [sep.join(str(c) for c in row) for row in [HEADER, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_file(rows: Sequence[Row], *, header: Row = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "建档立卡劳动力"
    for row in [header, *rows]:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(
    c: AsyncClient,
    content: bytes,
    *,
    name: str = "registry.csv",
    media_type: str = "text/csv",
    dry_run: bool | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    params = {} if dry_run is None else {"dry_run": str(dry_run).lower()}
    return await c.post(
        IMPORT, params=params, files={"file": (name, content, media_type)}, headers=headers
    )


def report_of(r: Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    assert data["total"] == len(data["rows"])
    assert data["total"] == sum(data[k] for k in ("created", "updated", "unchanged", "failed"))
    return data


def outcomes(report: dict[str, Any]) -> dict[int, str]:
    return {row["row"]: row["outcome"] for row in report["rows"]}


def row_errors(report: dict[str, Any], row: int) -> set[str]:
    found = next(r for r in report["rows"] if r["row"] == row)
    return {e["field"] for e in found["errors"]}


async def workers_by_number(session: AsyncSession) -> dict[str, Worker]:
    from sqlalchemy import select

    found = {w.id_number: w for w in (await session.scalars(select(Worker))).all()}
    for w in found.values():
        session.expunge(w)
    await session.rollback()
    return found


class TestImportFormats:
    async def test_a_utf8_csv_creates_workers_and_their_household(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        report = report_of(await upload(cw, csv_file([person(1), person(2, 技能="面点")])))
        assert report["dry_run"] is False
        assert (report["created"], report["failed"]) == (2, 0)
        assert outcomes(report) == {2: "created", 3: "created"}
        assert all(isinstance(r["worker_id"], int) for r in report["rows"])
        made = await workers_by_number(session)
        first = made[str(person(1)[2])]
        assert (first.full_name, first.region_code, first.phone) == ("张1英", XUGANG, "13812340001")
        assert (first.employment_status, first.able_to_work) == ("unemployed", True)
        assert first.skills == ["sewing", "housekeeping"]
        assert (first.sex, first.birth_date.isoformat()) == ("female", "1980-01-01")
        assert made[str(person(2)[2])].skills == ["pastry"]
        assert await count_rows(session, Household) == 1
        households = await cw.get("/api/v1/households", params={"number": "3404061072010001"})
        assert households.json()["items"][0]["poverty_status"] == "in_poverty"

    async def test_a_utf8_csv_with_a_byte_order_mark(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        content = b"\xef\xbb\xbf" + csv_file([person(3)])
        assert outcomes(report_of(await upload(cw, content))) == {2: "created"}

    @pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
    async def test_a_csv_saved_by_chinese_excel(
        self, factory: Factory, session: AsyncSession, encoding: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = csv_file([person(4, 就业状态="已就业"), person(5)], encoding=encoding)
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
        report = report_of(await upload(cw, content))
        assert outcomes(report) == {2: "created", 3: "created"}
        made = await workers_by_number(session)
        assert made[str(person(4)[2])].employment_status == "employed"
        assert made[str(person(4)[2])].full_name == "张4英"
        assert made[str(person(5)[2])].skills == ["sewing", "housekeeping"]

    async def test_a_tab_separated_file(self, factory: Factory, session: AsyncSession) -> None:
        cw = await factory.as_role("caseworker")
        content = csv_file([person(6), person(7)], sep="\t")
        report = report_of(await upload(cw, content, name="registry.txt"))
        assert outcomes(report) == {2: "created", 3: "created"}
        assert (await workers_by_number(session))[str(person(6)[2])].skills == [
            "sewing",
            "housekeeping",
        ]

    async def test_an_xlsx_workbook(self, factory: Factory, session: AsyncSession) -> None:
        cw = await factory.as_role("caseworker")
        # Excel keeps codes and phones typed as numbers; they are read back as digits.
        rows = [person(8, 联系电话=13812340008, 行政区划代码=int(XUGANG)), person(9)]
        content = xlsx_file(rows)
        report = report_of(
            await upload(
                cw,
                content,
                name="registry.xlsx",
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        )
        assert outcomes(report) == {2: "created", 3: "created"}
        made = (await workers_by_number(session))[str(person(8)[2])]
        assert (made.phone, made.region_code) == ("13812340008", XUGANG)

    async def test_english_headers_and_api_values_are_accepted(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        number = resident_id(10, born="19800101", male=False)
        content = (
            "household_number,full_name,id_number,region_code,employment_status,skills\r\n"
            f"3404061072010002,李华,{number},{XUGANG},self_employed,pastry\r\n"
        ).encode()
        assert outcomes(report_of(await upload(cw, content))) == {2: "created"}


class TestBrokenRows:
    async def test_bad_rows_are_reported_and_the_good_ones_go_in(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker", region=QIJI)
        good_id = str(person(11)[2])
        rows = [
            person(11),
            person(12, 身份证号=good_id[:17] + ("1" if good_id[17] != "1" else "2")),
            person(13, household="3404061072010009", 行政区划代码="340406107999"),
            person(14, 就业状态="退休"),
            person(15, household="3404061002010001", 行政区划代码=PINGWEI_VILLAGE),
            person(16),
        ]
        report = report_of(await upload(cw, csv_file(rows)))
        assert outcomes(report) == {
            2: "created",
            3: "failed",
            4: "failed",
            5: "failed",
            6: "failed",
            7: "created",
        }
        assert (report["created"], report["failed"]) == (2, 4)
        assert row_errors(report, 3) == {"身份证号"}
        assert row_errors(report, 4) == {"行政区划代码"}
        assert row_errors(report, 5) == {"就业状态"}
        assert row_errors(report, 6) == {"行政区划代码"}
        for row in report["rows"]:
            if row["outcome"] == "failed":
                assert row["worker_id"] is None
                assert all(e["message"] for e in row["errors"])
        made = await workers_by_number(session)
        assert set(made) == {good_id, str(person(16)[2])}
        # The failed rows' households were not half-written either.
        assert await count_rows(session, Household) == 1
        assert await count_rows(session, AuditEntry, col(AuditEntry.action) == "worker.create") == 2

    async def test_row_numbers_are_spreadsheet_lines(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        lines = csv_file([person(17)]).decode() + "\r\n" + ",".join(str(c) for c in person(18))
        report = report_of(await upload(cw, lines.encode()))
        assert outcomes(report) == {2: "created", 4: "created"}

    async def test_a_worker_of_another_township_fails_and_the_others_succeed(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        number = resident_id(700, born="19700707")
        theirs = await new_worker(
            pingwei, region=PINGWEI_VILLAGE, full_name="平秀兰", id_number=number
        )
        cw = await factory.as_role("caseworker", region=QIJI)
        rows = [person(19), person(20, 身份证号=number, 姓名="冒名"), person(21)]
        r = await upload(cw, csv_file(rows))
        report = report_of(r)
        assert outcomes(report) == {2: "created", 3: "failed", 4: "created"}
        failed = report["rows"][1]
        assert failed["worker_id"] is None
        assert failed["errors"]
        # The other township's record is neither named nor changed.
        assert {e["field"] for e in failed["errors"]} == {"身份证号"}, failed
        assert not re.search(rf"\b{theirs['id']}\b", str(failed["errors"])), failed
        assert number not in r.text
        seen = (await pingwei.get(f"/api/v1/workers/{theirs['id']}")).json()
        assert (seen["full_name"], seen["version"]) == ("平秀兰", 1)
        assert await count_rows(session, Worker) == 3


class TestTheReportSpeaksTheReadersLanguage:
    """A caseworker's phone asks for Chinese: every row message of the report is Chinese (the
    column names always are); without it, English. Nothing typed is repeated."""

    def rows(self, taken: str) -> list[list[object]]:
        good = str(person(31)[2])
        return [
            person(31),
            person(32, 身份证号=good[:17] + ("1" if good[17] != "1" else "2")),  # check digit
            person(33, 身份证号=good[:16]),  # too short
            person(34, household="3404061072010009", 行政区划代码="340406107999"),  # no region
            person(35, 就业状态="退休"),  # not a status
            person(36, household="3404061002010001", 行政区划代码=PINGWEI_VILLAGE),  # scope
            person(37, 身份证号=taken, 姓名="冒名"),  # registered in another township
        ]

    async def failures(self, factory: Factory, language: str) -> list[dict[str, Any]]:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        taken = resident_id(710 + len(language), born="19700707")
        await new_worker(pingwei, region=PINGWEI_VILLAGE, full_name="平秀兰", id_number=taken)
        cw = await factory.as_role("caseworker", region=QIJI)
        headers = {"Accept-Language": language}
        r = await upload(cw, csv_file(self.rows(taken)), dry_run=True, headers=headers)
        report = report_of(r)
        assert report["failed"] == 6, report
        assert taken not in r.text
        return [e for row in report["rows"] for e in row["errors"]]

    async def test_a_chinese_reader_gets_every_row_message_in_chinese(
        self, factory: Factory
    ) -> None:
        errors = await self.failures(factory, "zh-CN,zh;q=0.9")
        for error in errors:
            assert re.search(r"[\u4e00-\u9fff]", error["message"]), error
            assert not re.search(r"[A-Za-z]{2,}(?:\s+[A-Za-z]{2,}){2,}", error["message"]), error

    async def test_anyone_else_gets_english(self, factory: Factory) -> None:
        errors = await self.failures(factory, "en-GB")
        for error in errors:
            assert not re.search(r"[\u4e00-\u9fff]", error["message"]), error


class TestReimport:
    async def test_importing_the_same_file_again_changes_nothing(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = csv_file(
            [person(22), person(23, 就业状态="退休"), person(24)], encoding="gb18030"
        )
        first = report_of(await upload(cw, content))
        assert (first["created"], first["failed"]) == (2, 1)
        entries = await count_rows(session, AuditEntry)
        again = report_of(await upload(cw, content))
        assert outcomes(again) == {2: "unchanged", 3: "failed", 4: "unchanged"}
        assert [r["worker_id"] for r in again["rows"]] == [r["worker_id"] for r in first["rows"]]
        assert await count_rows(session, AuditEntry) == entries
        assert {w.version for w in (await workers_by_number(session)).values()} == {1}

    async def test_a_changed_row_is_updated(self, factory: Factory, session: AsyncSession) -> None:
        cw = await factory.as_role("caseworker")
        report_of(await upload(cw, csv_file([person(25), person(26)])))
        changed = csv_file([person(25), person(26, 就业状态="已就业", 技能="面点")])
        report = report_of(await upload(cw, changed))
        assert outcomes(report) == {2: "unchanged", 3: "updated"}
        assert (report["updated"], report["unchanged"]) == (1, 1)
        updated = (await workers_by_number(session))[str(person(26)[2])]
        assert (updated.employment_status, updated.skills, updated.version) == (
            "employed",
            ["pastry"],
            2,
        )
        entries = await count_rows(session, AuditEntry, col(AuditEntry.action) == "worker.update")
        assert entries == 1

    async def test_a_dry_run_reports_but_writes_nothing(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        entries = await count_rows(session, AuditEntry)
        content = csv_file([person(27), person(28, 身份证号="340406"), person(29)])
        report = report_of(await upload(cw, content, dry_run=True))
        assert report["dry_run"] is True
        assert outcomes(report) == {2: "created", 3: "failed", 4: "created"}
        assert await count_rows(session, Worker) == 0
        assert await count_rows(session, Household) == 0
        assert await count_rows(session, AuditEntry) == entries
        real = report_of(await upload(cw, content))
        assert outcomes(real) == outcomes(report)
        assert await count_rows(session, Worker) == 2


def _zip_without_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("photos/visit.txt", "这不是表格")
    return out.getvalue()


_PDF = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


class TestRefusedFiles:
    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + b"\x00" * 64),
            ("contract.pdf", _PDF),
            ("random.bin", random.Random(11643).randbytes(4096)),
            ("archive.zip", _zip_without_a_workbook()),
            ("registry.xlsx", b"PK\x03\x04" + b"\x14\x00" * 40),
            ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\xff" * 64),
            ("registry.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x3e\x00\x03" * 100),
            ("scan.gif", b"GIF89a\x10\x00\x10\x00\x80\xff\xff" + "扫描件".encode("gb18030")),
        ],
    )
    async def test_a_file_that_is_not_a_spreadsheet_is_415(
        self, factory: Factory, session: AsyncSession, name: str, content: bytes
    ) -> None:
        cw = await factory.as_role("caseworker")
        r = await upload(cw, content, name=name, media_type="application/octet-stream")
        problem(r, 415, "not_a_spreadsheet")
        assert await count_rows(session, Worker) == 0

    async def test_a_header_without_the_required_columns_is_422(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        content = "姓名,联系电话,备注\r\n张三,13812345678,无\r\n".encode()
        body = problem(await upload(cw, content), 422, "missing_columns")
        assert error_fields(body) == {"file.户编号", "file.身份证号", "file.行政区划代码"}

    async def test_an_xlsx_without_the_required_columns_is_422(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        content = xlsx_file([["张三", "13812345678"]], header=["姓名", "联系电话"])
        r = await upload(cw, content, name="registry.xlsx")
        assert "file.身份证号" in error_fields(problem(r, 422, "missing_columns"))

    @pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n"])
    async def test_an_empty_file_is_422(self, factory: Factory, content: bytes) -> None:
        cw = await factory.as_role("caseworker")
        problem(await upload(cw, content), 422, "empty_file")

    async def test_a_file_over_the_size_limit_is_413(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "import_max_bytes", 2048)
        cw = await factory.as_role("caseworker")
        small = csv_file([person(30)])
        assert len(small) < 2048
        assert outcomes(report_of(await upload(cw, small))) == {2: "created"}
        big = csv_file([person(31 + n, household=f"34040610720100{n:02d}") for n in range(40)])
        assert len(big) > 2048
        problem(await upload(cw, big), 413, "payload_too_large")
        assert await count_rows(session, Worker) == 1

    async def test_a_file_with_too_many_rows_is_422(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "import_max_rows", 2)
        cw = await factory.as_role("caseworker")
        problem(
            await upload(cw, csv_file([person(80), person(81), person(82)])),
            422,
            "too_many_rows",
        )
        assert await count_rows(session, Worker) == 0

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_cannot_import(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        other = await factory.as_role(role)
        problem(await upload(other, csv_file([person(90)])), 403, "forbidden")
        assert await count_rows(session, Worker) == 0

    async def test_an_upload_without_a_file_is_422(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(IMPORT)
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.file"}


class TestLargeFiles:
    """Rows are written a batch at a time: plain registrations together, everything else row
    by row — the outcome is the same as one row at a time."""

    async def test_a_file_of_several_batches_registers_every_row_once_and_audits_each(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "BATCH", 7)
        cw = await factory.as_role("caseworker")
        # Households of three members each, straddling batch edges.
        rows = [person(400 + n, household=f"34040610720199{n // 3:02d}") for n in range(30)]
        report = report_of(await upload(cw, csv_file(rows)))
        assert (report["created"], report["failed"]) == (30, 0)
        assert await count_rows(session, Household) == 10
        ids = [r["worker_id"] for r in report["rows"]]
        assert len(set(ids)) == 30
        created = await count_rows(session, AuditEntry, col(AuditEntry.action) == "worker.create")
        homes = await count_rows(session, AuditEntry, col(AuditEntry.action) == "household.create")
        assert (created, homes) == (30, 10)
        admin = await factory.as_role("admin")
        assert (await admin.get("/api/v1/audit-log/verify")).json()["valid"] is True
        # Offline sync sees each of them once (change_seq stamped from the audit entries).
        synced = (await cw.get("/api/v1/workers", params={"updated_since": "2020-01-01T00:00:00Z",
                                                          "limit": 200})).json()  # fmt: skip
        assert sorted(w["id"] for w in synced["items"]) == sorted(ids)
        again = report_of(await upload(cw, csv_file(rows)))
        assert again["unchanged"] == 30

    async def test_the_same_id_number_twice_registers_then_updates(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = csv_file([person(440), person(441), person(440, 就业状态="已就业")])
        report = report_of(await upload(cw, content))
        assert outcomes(report) == {2: "created", 3: "created", 4: "updated"}
        assert report["rows"][0]["worker_id"] == report["rows"][2]["worker_id"]
        worker = (await workers_by_number(session))[str(person(440)[2])]
        assert (worker.employment_status, worker.version) == ("employed", 2)

    async def test_a_household_of_another_township_is_not_joined(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        other = await factory.as_role("caseworker", region=PINGWEI)
        theirs = person(450, household="3404061002010450", 行政区划代码=PINGWEI_VILLAGE)
        assert report_of(await upload(other, csv_file([theirs])))["created"] == 1
        cw = await factory.as_role("caseworker")
        report = report_of(
            await upload(cw, csv_file([person(451, household="3404061002010450"), person(452)]))
        )
        assert outcomes(report) == {2: "failed", 3: "created"}
        assert await count_rows(session, Worker) == 2

    async def test_a_number_registered_at_the_same_moment_falls_back_to_row_by_row(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cw = await factory.as_role("caseworker")
        report_of(await upload(cw, csv_file([person(460)])))
        load = imports._Known.load

        async def unaware(*args: Any) -> imports._Known:
            # As if the first row's worker were registered between the batch's read and write.
            known = await load(*args)
            known.workers.clear()
            return known

        monkeypatch.setattr(imports._Known, "load", unaware)
        report = report_of(await upload(cw, csv_file([person(460), person(461)])))
        assert outcomes(report) == {2: "unchanged", 3: "created"}
        assert await count_rows(session, Worker) == 2
        admin = await factory.as_role("admin")
        assert (await admin.get("/api/v1/audit-log/verify")).json()["valid"] is True
