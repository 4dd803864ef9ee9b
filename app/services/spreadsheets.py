"""Uploaded spreadsheets (CSV, XLSX) read as rows of cells, within limits checked before the
work they bound: a file built to exhaust the server is refused, not parsed.

- CSV: every line counts towards the row limit, blank ones too; a row may hold at most
  ``max_columns`` cells of ``max_cell_chars`` characters, and reading stops at the first
  line past either.
- XLSX: the zip's central directory is read first (member count, declared unzipped sizes,
  compression ratio) — ``zipfile`` never inflates a member past its declared size, so those
  sizes bound what follows. Then every XML part is streamed once through expat with no tree
  built (:mod:`app.services.xlsx_guard`): declared dimensions, row numbers (blank rows
  count), cells per row, children per element, nesting, DTDs. Only then does openpyxl read
  the first sheet, and each cell it returns is held to ``max_cell_chars``.

These functions block: run them off the event loop (see ``imports.run``).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from app.core.config import Settings
from app.errors import PayloadTooLarge, Problem, Unprocessable, UnsupportedMediaType
from app.errors.extensions import ImportLimitProblem

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_rows: int  # rows under the header, blank ones included
    max_columns: int  # cells in one row
    max_cell_chars: int  # characters in one cell
    max_unzipped_bytes: int  # all members of an XLSX, as their directory declares
    max_zip_ratio: int  # unzipped / zipped size of any member of 1 MiB or more
    max_zip_members: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_rows=settings.import_max_rows,
            max_columns=settings.import_max_columns,
            max_cell_chars=settings.import_max_cell_chars,
            max_unzipped_bytes=settings.import_max_unzipped_bytes,
            max_zip_ratio=settings.import_max_zip_ratio,
            max_zip_members=settings.import_max_zip_members,
        )

    @property
    def max_row_chars(self) -> int:
        """The longest a CSV row can be while within the limits (every cell quoted, every
        character a doubled quote)."""
        return self.max_columns * (2 * self.max_cell_chars + 3) + 2


class NotASpreadsheet(UnsupportedMediaType):
    code = "not_a_spreadsheet"
    title = "The file is not a CSV or XLSX spreadsheet"

    def __init__(self) -> None:
        super().__init__(
            "Upload the registry as CSV (UTF-8 or GB18030) or XLSX; this file is neither."
        )


class SpreadsheetTooLarge(PayloadTooLarge):
    code = "spreadsheet_too_large"
    title = "The workbook unpacks to more than the limits allow"
    problem = Problem  # a limit of the unpacked parts, not max_bytes of the upload


class _PastLimit(Unprocessable):
    """A file past one of ``Limits``: the answer names the limit and its value."""

    problem = ImportLimitProblem
    limit: ClassVar[str]  # the field of Limits
    message: ClassVar[str]  # formatted with ``where`` and the limits

    def __init__(self, limits: Limits, where: str = "") -> None:
        value = getattr(limits, self.limit)
        detail = self.message.format(where=where, limits=limits)
        super().__init__(detail, **{self.limit: value})


class TooManyRows(_PastLimit):
    code, title = "too_many_rows", "The file has more rows than one import takes"
    limit = "max_rows"
    message = (
        "The file has more than {limits.max_rows:,} rows under its header (blank rows count); "
        "split it, or delete the empty rows below the data."
    )


class TooManyColumns(_PastLimit):
    code, title = "too_many_columns", "A row has more cells than the limit"
    limit = "max_columns"
    message = "{where} reaches past column {limits.max_columns}; delete the extra columns."


class CellTooLarge(_PastLimit):
    code, title = "cell_too_large", "A cell holds more text than the limit"
    limit = "max_cell_chars"
    message = "{where} holds more than {limits.max_cell_chars:,} characters."


class RowTooLarge(_PastLimit):
    code, title = "row_too_large", "A line is longer than any row within the limits"
    limit = "max_row_chars"
    message = (
        "{where} is longer than {limits.max_columns} cells of {limits.max_cell_chars:,} "
        "characters could be."
    )


def rows(content: bytes, *, limits: Limits) -> Iterator[list[object]]:
    """The first sheet's (or the CSV's) rows, the header first, each within the limits."""
    source = (
        _xlsx_rows(content, limits)
        if content.startswith(b"PK\x03\x04")
        else _csv_rows(content, limits)
    )
    for index, cells in enumerate(source):
        if index > limits.max_rows:
            raise TooManyRows(limits)
        if len(cells) > limits.max_columns:
            raise TooManyColumns(limits, f"Row {index + 1}")
        for cell in cells:
            if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
                raise CellTooLarge(limits, f"A cell of row {index + 1}")
        yield cells


# Files uploaded by mistake that GB18030 would happily decode as text: PDFs, images, old
# binary .xls, archives.
_OTHER_FORMATS = (
    b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\xd0\xcf\x11\xe0", b"\x1f\x8b",
    b"Rar!", b"7z\xbc\xaf",
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode(content: bytes) -> str:
    if content.startswith(_OTHER_FORMATS) or b"\x00" in content:
        raise NotASpreadsheet()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            break  # binary that happens to decode: no spreadsheet holds control characters
        return text
    raise NotASpreadsheet()


class _Lines:
    """The text's lines as csv.reader pulls them, refusing a row (quoted line breaks
    included) longer than any row within the limits before the reader buffers it."""

    def __init__(self, text: str, limits: Limits) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
        self._limits = limits
        self.line = 0
        self.row_chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.line += 1
        self.row_chars += len(line)
        if self.row_chars > self._limits.max_row_chars:
            raise RowTooLarge(self._limits, f"Line {self.line}")
        return line


def _csv_rows(content: bytes, limits: Limits) -> Iterator[list[object]]:
    text = _decode(content)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",\t;")
    except csv.Error:
        dialect = csv.excel
    lines = _Lines(text, limits)
    reader = csv.reader(lines, dialect)
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            # The csv module's own bound on one field (128 KiB unless changed) came first.
            raise CellTooLarge(limits, f"A cell ending on line {lines.line}") from exc
        if cells is None:
            return
        lines.row_chars = 0
        yield list(cells)


# What openpyxl raises on a package it cannot read (a SyntaxError is expat's ParseError).
_UNREADABLE = (
    zipfile.BadZipFile, zlib.error, KeyError, IndexError, OSError, ValueError, TypeError,
    SyntaxError, EOFError, RuntimeError, NotImplementedError,
)  # fmt: skip


def _xlsx_rows(content: bytes, limits: Limits) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    from app.services import xlsx_guard

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise NotASpreadsheet() from exc
    with archive:
        xlsx_guard.check(archive, limits)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except _UNREADABLE as exc:
        raise NotASpreadsheet() from exc
    try:
        for cells in book.worksheets[0].iter_rows(values_only=True):
            yield list(cells)
    except _UNREADABLE as exc:
        raise NotASpreadsheet() from exc
    finally:
        book.close()
