"""What an XLSX package must keep to before openpyxl may read it.

openpyxl builds a Python object per XML element it reads, a whole ``<row>`` (and a whole
shared-string table) at a time, and fills the gaps between row numbers with blank rows: a
few KiB of zip can hold a row of millions of cells, a sheet of a million blank rows, or a
dimension of 16,384 columns, and cost seconds to minutes of CPU and gigabytes of memory.

So the package is checked twice before openpyxl touches it, both passes at constant memory:
1. the central directory (no member inflated): member count, declared unzipped sizes (in
   total, and so per member), compression ratio, compression method, encryption. ``zipfile``
   stops inflating a member at its declared size (and then fails its CRC), so a directory
   that understates a member cannot smuggle more past this check;
2. every member streamed through expat with handlers on element starts only (no tree, no
   text kept): a DTD is refused (no workbook declares one; entity expansion is the classic
   XML bomb), nesting is bounded, every element's children are counted — cells per row,
   rows per sheet, strings in the shared-string table, anything else — and each row number,
   cell reference and declared ``<dimension>`` is held to the row and column limits. Every
   sheet is checked, not only the first one read: which part is "first" is openpyxl's
   reading of the package, and this check must not depend on agreeing with it.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from typing import TYPE_CHECKING
from xml.parsers import expat

from app.services.spreadsheets import (
    MiB,
    NotASpreadsheet,
    SpreadsheetTooLarge,
    TooManyColumns,
    TooManyRows,
)

if TYPE_CHECKING:
    from app.services.spreadsheets import Limits

_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what office programs write
_MAX_DEPTH = 64  # SpreadsheetML nests a dozen deep at most
_XML_PARTS = (".xml", ".rels")
_UNITS = {("row", "sheetData"), ("si", "sst")}  # (element, parent) openpyxl reads one at a time
_CELL_REF = re.compile(r"\$?([A-Za-z]+)\$?(\d+)")


def check(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse the package (413/422/415) unless it keeps to ``limits``; reads it once."""
    _check_directory(archive, limits)
    for member in archive.infolist():
        _Scan(limits, member.filename).read(archive, member)


def _check_directory(archive: zipfile.ZipFile, limits: Limits) -> None:
    members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise SpreadsheetTooLarge(
            f"The workbook holds more than {limits.max_zip_members:,} files.",
            max_zip_members=limits.max_zip_members,
        )
    if sum(m.file_size for m in members) > limits.max_unzipped_bytes:
        raise SpreadsheetTooLarge(
            f"The workbook unpacks to more than {limits.max_unzipped_bytes // MiB} MiB.",
            max_unzipped_bytes=limits.max_unzipped_bytes,
        )
    for m in members:
        # Below 1 MiB no ratio can make a bomb; above it, spreadsheets deflate ~5-20 times.
        if m.file_size >= MiB and m.file_size > limits.max_zip_ratio * max(m.compress_size, 1):
            raise SpreadsheetTooLarge(
                f"{m.filename} is compressed more than {limits.max_zip_ratio}:1.",
                max_ratio=limits.max_zip_ratio,
            )
        if m.compress_type not in _METHODS or m.flag_bits & 0x1:  # 0x1: encrypted
            raise NotASpreadsheet()


class _Scan:
    """One member, streamed through expat; counts kept for the open elements only."""

    def __init__(self, limits: Limits, name: str) -> None:
        self.limits = limits
        self.name = name
        # Children allowed under one element, where the count is a limit of its own.
        self.fan_out = {
            "row": limits.max_columns,
            "sheetData": limits.max_rows + 1,
            "sst": (limits.max_rows + 1) * limits.max_columns,
        }
        # Elements openpyxl holds at once: one row (or one shared string) while it streams a
        # sheet (or the string table); anything else in a part it may keep whole. Four per
        # row of the largest legal sheet is room for merged cells, styles, column widths or
        # the calculation chain of four formula columns, and bounds a part built whole to
        # ~0.3 GB (a million merged ranges took 0.65 GB and a minute). The check cannot tell
        # which parts openpyxl will read as what, so it holds every part to this.
        self.unit_limits = {"row": 64 * limits.max_columns, "si": 4_096}
        self.elsewhere_limit = max(65_536, 4 * (limits.max_rows + 1))
        # The open elements, innermost last: local name, children so far, children allowed.
        self.names = [""]
        self.children = [0]
        self.allowed = [self.elsewhere_limit]
        self.unit, self.unit_depth = "", 0  # the row or string being read, its depth (0: none)
        self.in_unit = 0
        self.elsewhere = 0
        self.row = 0  # the sheet's current row number, counted as openpyxl counts it

    def read(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.StartDoctypeDeclHandler = self._doctype
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(MiB):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except expat.ExpatError as exc:
            if member.filename.lower().endswith(_XML_PARTS):
                raise NotASpreadsheet() from exc
            # Not XML at all (an image, printer settings, legacy VML): openpyxl never
            # parses it in read-only mode.
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise NotASpreadsheet() from exc

    def _doctype(self, *_: object) -> None:
        raise NotASpreadsheet()

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        parent = self.names[-1]
        self.children[-1] += 1
        if self.children[-1] > self.allowed[-1]:
            self._too_many(parent)
        if len(self.names) > _MAX_DEPTH:
            raise SpreadsheetTooLarge(f"{self.name} nests deeper than any workbook.")
        local = name.rpartition(":")[2]
        self._count(local, parent)
        if local == "c" and parent == "row":
            self._cell(attrs.get("r"))
        elif local == "row":
            self._row(attrs.get("r"))
        elif local == "dimension":
            self._dimension(attrs.get("ref", ""))
        self.names.append(local)
        self.children.append(0)
        self.allowed.append(self.fan_out.get(local, self.elsewhere_limit))

    def _end(self, _name: str) -> None:
        if len(self.names) == self.unit_depth:
            self.unit_depth = 0
        self.names.pop()
        self.children.pop()
        self.allowed.pop()

    def _count(self, local: str, parent: str) -> None:
        if not self.unit_depth and (local, parent) in _UNITS:
            self.unit, self.unit_depth, self.in_unit = local, len(self.names) + 1, 0
        if self.unit_depth:
            self.in_unit += 1
            if self.in_unit > self.unit_limits[self.unit]:
                raise SpreadsheetTooLarge(f"A <{self.unit}> of {self.name} holds too much.")
            return
        self.elsewhere += 1
        if self.elsewhere > self.elsewhere_limit:
            raise SpreadsheetTooLarge(f"{self.name} holds more elements than the limits allow.")

    def _too_many(self, parent: str) -> None:
        if parent == "row":
            raise TooManyColumns(self.limits, f"Row {self.row}")
        if parent == "sheetData":
            raise TooManyRows(self.limits)
        raise SpreadsheetTooLarge(f"{self.name} has more <{parent}> entries than the limits allow.")

    def _row(self, number: str | None) -> None:
        self.row = _integer(number) or self.row + 1
        if self.row > self.limits.max_rows + 1:
            raise TooManyRows(self.limits)

    def _cell(self, ref: str | None) -> None:
        found = _CELL_REF.fullmatch(ref or "")
        if found and _column(found[1]) > self.limits.max_columns:
            raise TooManyColumns(self.limits, f"Cell {ref}")

    def _dimension(self, ref: str) -> None:
        found = _CELL_REF.fullmatch(ref.rpartition(":")[2])
        if found is None:
            return
        if int(found[2]) > self.limits.max_rows + 1:
            raise TooManyRows(self.limits)
        if _column(found[1]) > self.limits.max_columns:
            raise TooManyColumns(self.limits, f"The sheet's declared range {ref}")


def _column(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _integer(text: str | None) -> int | None:
    try:
        return int(float(text)) if text else None
    except (ValueError, OverflowError):
        return None
