"""The overview as a spreadsheet a bureau would file, with a chart of the monthly assisted and
trained counts; who pulled it is audited. Region names and policy codes are user text: the
cells go through :mod:`app.core.cells` like every spreadsheet the service writes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import anyio.to_thread
from openpyxl.chart import BarChart
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cells import Book
from app.core.db import commit
from app.schemas.stats import Breakdown, Overview
from app.scope import Actor
from app.services import audit, stats


@dataclass(frozen=True)
class Report:
    filename: str
    content: bytes


async def report(
    session: AsyncSession, *, actor: Actor, region: str | None, year: int, as_of: date | None = None
) -> Report:
    """The overview of ``region`` (default: the actor's scope) and ``year`` as XLSX, its
    audit entry committed before the file is handed over."""
    overview = await stats.overview(session, actor=actor, region=region, year=year, as_of=as_of)
    monthly = await stats.breakdown(
        session, actor=actor, region=region, year=year, by="month", as_of=as_of
    )
    splits = [
        await stats.breakdown(session, actor=actor, region=region, year=year, by=by, as_of=as_of)
        for by in SPLIT_SHEETS
    ]
    await audit.record(
        session,
        actor=actor,
        action="stats.report",
        resource_type="region",
        resource_id=overview.region_code,
        region_code=overview.region_code,
        note={"format": "xlsx", "year": year, "as_of": overview.as_of.isoformat()},
    )
    await commit(session)
    content = await anyio.to_thread.run_sync(workbook, overview, monthly, *splits)
    return Report(f"jobpath-{overview.region_code}-{year}.xlsx", content)


# The breakdowns that get a sheet of their own, after the monthly one.
SPLIT_SHEETS = ("poverty_status", "assigned")


def workbook(overview: Overview, monthly: Breakdown, *splits: Breakdown) -> bytes:
    book = Book()
    sheet = book.sheet("overview")
    sheet.width("B", 40)
    sheet.append([f"{overview.region_name} ({overview.region_code}) — {overview.year}"])
    state = (
        f"provisional until {overview.final_on.isoformat()}" if overview.provisional else "final"
    )
    sheet.append([f"as of {overview.as_of.isoformat()} ({state})"])
    sheet.append([])
    sheet.append(["indicator", "label", "numerator", "denominator", "value"])
    for item in overview.indicators:
        sheet.append([item.key, item.label, item.numerator, item.denominator, item.value])
    sheet.append([])
    sheet.append(["organisations", "count"])
    for key, value in overview.organisations.items():
        sheet.append([key, value])
    sheet.append([])
    sheet.append(["policy", "status", "claims", "claimed (fen)", "approved (fen)", "paid (fen)"])
    for c in overview.claims:
        sheet.append([c.policy_code, c.status, c.claims, c.claimed_fen, c.approved_fen,
                      c.paid_fen])  # fmt: skip

    months = book.sheet("monthly")
    months.append(["month", "assisted", "trained"])
    for row in monthly.rows:
        months.append([row.label, row.values["assisted"], row.values["trained"]])
    chart = BarChart()
    chart.title = f"Assisted and trained by month, {overview.year}"
    chart.y_axis.title = "people"
    data = months.reference(min_col=2, max_col=3, min_row=1, max_row=len(monthly.rows) + 1)
    labels = months.reference(min_col=1, min_row=2, max_row=len(monthly.rows) + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    months.add_chart(chart, "E2")
    for split in splits:
        _split_sheet(book, split)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _split_sheet(book: Book, split: Breakdown) -> None:
    sheet = book.sheet(f"by {split.by}")
    sheet.width("B", 40)
    sheet.append([split.by, "label", *split.columns])
    for row in split.rows:
        sheet.append([row.key, row.label, *(row.values.get(c) for c in split.columns)])
