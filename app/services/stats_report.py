"""The overview as a spreadsheet a bureau would file, with a chart of the monthly assisted and
trained counts."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from app.schemas.stats import Breakdown, Overview


def workbook(overview: Overview, monthly: Breakdown) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "overview"
    sheet.append([f"{overview.region_name} ({overview.region_code}) — {overview.year}"])
    sheet.append([f"as of {overview.as_of.isoformat()}"])
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
    sheet.column_dimensions["B"].width = 40

    months = book.create_sheet("monthly")
    months.append(["month", "assisted", "trained"])
    for row in monthly.rows:
        months.append([row.label, row.values["assisted"], row.values["trained"]])
    chart = BarChart()
    chart.title = f"Assisted and trained by month, {overview.year}"
    chart.y_axis.title = "people"
    data = Reference(months, min_col=2, max_col=3, min_row=1, max_row=len(monthly.rows) + 1)
    labels = Reference(months, min_col=1, min_row=2, max_row=len(monthly.rows) + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    months.add_chart(chart, "E2")

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
