"""A county brings its history in one registry file (issue 14 §1): an admin's import carries
registration days (建档立卡日期), poverty years (识别年份, 脱贫年份) and past jobs, one row per
job; each year's overview then reproduces the county's known figures, and importing the same
file again changes nothing."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from httpx import AsyncClient
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import programme_today
from tests.factories import QIJI, XUGANG, Factory, audit_entries, problem, resident_id
from tests.routers.test_import import outcomes, report_of, row_errors, upload

Y = programme_today().year
HEADER = [
    "户编号", "姓名", "身份证号", "行政区划代码", "贫困状态", "是否有劳动能力", "建档立卡日期",
    "识别年份", "脱贫年份", "就业形式", "就业开始日期", "就业结束日期", "离岗原因", "月工资（元）",
]  # fmt: skip


def row(n: int, registered: str, *, job: tuple[str, str, str] | None = None,
        lifted: int | str = "", able: str = "是", wage: str = "3200") -> list[object]:  # fmt: skip
    """Labourer ``n`` of 许岗村, registered on ``registered``; ``job`` = (kind, start, end)."""
    kind, start, end = job or ("", "", "")
    return [
        f"34040610720{n:05d}", f"李{n}芳", resident_id(9000 + n, born="19790101", male=False),
        XUGANG, "已脱贫" if lifted else "未脱贫", able, registered, Y - 4, lifted, kind, start,
        end, "合同到期" if end else "", wage if start else "",
    ]  # fmt: skip


def csv_file(rows: Sequence[Sequence[object]]) -> bytes:
    lines = [",".join(str(c) for c in r) for r in [HEADER, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def county_file() -> bytes:
    """Six labourers over three years, the years Y-3 … Y-1, written as registries write days:

    1  registered 2 Mar Y-3; 扶贫车间 1 Apr Y-3 – 30 Jun Y-3, then 企业务工 1 Aug Y-3 – (on it)
    2  registered 2 Mar Y-3; 外出务工 1 Mar Y-2 – 31 May Y-2 (not stable)
    3  registered 15 Jun Y-2 (lifted out in Y-1); 公益性岗位 1 Jul Y-2 – (on it)
    4  registered 1 Jan Y-1; 自主创业 1 Feb Y-1 – (on it)
    5  registered 1 Jan Y-1; no work yet
    6  registered 1 Sep Y-3; no ability to work
    """
    return csv_file([
        row(1, f"{Y - 3}-03-02", job=("扶贫车间", f"{Y - 3}/4/1", f"{Y - 3}/6/30")),
        row(1, f"{Y - 3}-03-02", job=("企业务工", f"{Y - 3}年8月1日", "")),
        row(2, f"{Y - 3}.3.2", job=("外出务工", f"{Y - 2}-03-01", f"{Y - 2}-05-31")),
        row(3, f"{Y - 2}-06-15", job=("公益性岗位", f"{Y - 2}-07-01", ""), lifted=Y - 1),
        row(4, f"{Y - 1}-01-01", job=("自主创业", f"{Y - 1}-02-01", "")),
        row(5, f"{Y - 1}-01-01"),
        row(6, f"{Y - 3}-09-01", able="否"),
    ])  # fmt: skip


async def figures(c: AsyncClient, year: int) -> tuple[int, int, int, int]:
    """(registered, willing and able, assisted, stable) of 祁集镇 in ``year``."""
    r = await c.get("/api/v1/stats/overview", params={"region": QIJI, "year": year})
    assert r.status_code == 200, r.text
    by_key = {i["key"]: i["numerator"] for i in r.json()["indicators"]}
    return (by_key["registered_workers"], by_key["willing_and_able"], by_key["assisted"],
            by_key["stable_employment_rate"])  # fmt: skip


KNOWN = {
    Y - 3: (3, 2, 1, 1),  # 1, 2, 6 registered; 6 unable; 1 assisted (twice), stable
    Y - 2: (4, 3, 2, 1),  # + 3; 2's migrant job (92 days) not stable, 3's post stable
    Y - 1: (6, 5, 1, 1),  # + 4, 5; 4's own business stable by now
}


async def test_three_years_of_history_in_one_file_give_each_years_figures(
    factory: Factory, session: AsyncSession
) -> None:
    admin = await factory.as_role("admin")
    report = report_of(await upload(admin, county_file()))
    assert (report["created"], report["failed"]) == (6, 0), report
    for year, known in KNOWN.items():
        assert await figures(admin, year) == known, year
    # Each piece of history is audited as a backfill from the import.
    backfills = [e for e in await audit_entries(session) if e.action.endswith(".backfill")]
    assert {e.changes["_note"]["source"] for e in backfills} == {
        "registry import (POST /workers/import)"
    }
    assert len([e for e in backfills if e.action == "employment.backfill"]) == 5


async def test_importing_the_same_history_again_changes_nothing(
    factory: Factory, session: AsyncSession
) -> None:
    admin = await factory.as_role("admin")
    report_of(await upload(admin, county_file()))
    entries = len(await audit_entries(session))
    again = report_of(await upload(admin, county_file()))
    assert set(outcomes(again).values()) == {"unchanged"}, again
    assert len(await audit_entries(session)) == entries
    for year, known in KNOWN.items():
        assert await figures(admin, year) == known


async def test_an_xlsx_with_date_cells_and_decimal_wages(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    first = row(1, "", job=("企业务工", "", ""))
    first[6] = datetime(Y - 2, 3, 2)  # Excel date cells
    first[10] = datetime(Y - 2, 4, 1)
    first[13] = 3500.5  # a number cell, in yuan
    sheet.append(first)
    out = io.BytesIO()
    book.save(out)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    report = report_of(await upload(admin, out.getvalue(), name="history.xlsx", media_type=xlsx))
    assert outcomes(report) == {2: "created"}, report
    jobs = (await admin.get("/api/v1/employments")).json()["items"]
    assert [(j["start_date"], j["monthly_wage_fen"]) for j in jobs] == [
        (date(Y - 2, 4, 1).isoformat(), 350_050)
    ]
    assert await figures(admin, Y - 2) == (1, 1, 1, 1)


async def test_a_caseworker_cannot_bring_history_in(factory: Factory) -> None:
    cw = await factory.as_role("caseworker", region=QIJI)
    problem(await upload(cw, county_file()), 403, "history_needs_admin")
    assert (await cw.get("/api/v1/workers")).json()["items"] == []


async def test_bad_history_fails_its_row_and_names_the_column(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    tomorrow = (programme_today() + timedelta(days=1)).isoformat()
    report = report_of(await upload(admin, csv_file([
        row(1, "2024-02-30"),
        row(2, tomorrow),
        row(3, f"{Y - 2}-01-01", job=("企业务工", f"{Y - 2}-05-01", f"{Y - 2}-04-01")),
        row(4, f"{Y - 2}-01-01", job=("", "", ""), wage="abc", lifted=""),
        row(5, f"{Y - 2}-01-01", job=("企业务工", f"{Y - 2}-05-01", ""), wage="12.345"),
        row(6, f"{Y - 2}-01-01"),
        row(7, f"{Y - 2}-01-01", job=("企业务工", "", "")),
    ])))  # fmt: skip
    assert outcomes(report) == {2: "failed", 3: "failed", 4: "failed", 5: "created",
                                6: "failed", 7: "created", 8: "failed"}, report  # fmt: skip
    assert row_errors(report, 2) == {"建档立卡日期"}
    assert row_errors(report, 3) == {"建档立卡日期"}
    assert row_errors(report, 4) == {"就业结束日期"}
    assert row_errors(report, 6) == {"月工资（元）"}
    assert row_errors(report, 8) == {"就业开始日期"}
    # A failed row wrote nothing: only rows 5 and 7 are registered.
    items = (await admin.get("/api/v1/workers")).json()["items"]
    assert len(items) == 2
