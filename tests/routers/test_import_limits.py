"""A registry file built to take the server down is refused before it is parsed: a zip bomb,
a million blank rows, a declared sheet size past the limits, a row of endless cells, a CSV
field of megabytes. Nothing is written, and the server keeps answering while a large file
is read."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.models import Worker
from tests.factories import Factory, count_rows, problem
from tests.routers.test_import import HEADER, csv_file, outcomes, person, report_of, upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MiB = 1024 * 1024
_PACKAGE = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas'
    '.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
    'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas'
    '.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/'
    'workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas'
    '.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="建档立卡劳动力" sheetId="1" '
    'r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
    '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>',
}
SHEET = "xl/worksheets/sheet1.xml"


def workbook(
    sheet: Iterable[bytes], *, compression: int = zipfile.ZIP_DEFLATED, extra_members: int = 0
) -> bytes:
    """An XLSX package written by hand (no office program writes these). The sheet's XML is
    streamed into the zip piece by piece, so a bomb is never held in memory whole."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in _PACKAGE.items():
            z.writestr(name, text)
        member = zipfile.ZipInfo(SHEET)
        member.compress_type = compression
        with z.open(member, "w") as f:
            for piece in sheet:
                f.write(piece)
        for n in range(extra_members):
            z.writestr(f"customXml/item{n}.xml", "<a/>")
    return out.getvalue()


def sheet(
    *rows: bytes | Iterable[bytes], dimension: str | None = None, after: Iterable[bytes] = ()
) -> Iterator[bytes]:
    yield b'<?xml version="1.0" encoding="UTF-8"?>'
    yield b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    for row in rows:
        if isinstance(row, bytes):
            yield row
        else:
            yield from row
    yield b"</sheetData>"
    yield from after
    yield b"</worksheet>"


def row(values: Sequence[object], number: int | None = None) -> bytes:
    """A row of inline-string cells."""
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    r = f' r="{number}"' if number else ""
    return f"<row{r}>{cells}</row>".encode()


def registry(
    *rows: bytes | Iterable[bytes], dimension: str | None = None, after: Iterable[bytes] = ()
) -> Iterator[bytes]:
    """The registry's header, one good labourer, then ``rows``: a file the server would import
    (and write a worker from) if it did not refuse it."""
    return sheet(row(HEADER, 1), row(person(1), 2), *rows, dimension=dimension, after=after)


def bomb_cell(mib: int) -> Iterator[bytes]:
    """Row 3: one cell of ``mib`` MiB of the same letter, a thousand times smaller deflated."""
    yield b'<row r="3"><c t="inlineStr"><is><t>'
    chunk = b"A" * MiB
    for _ in range(mib):
        yield chunk
    yield b"</t></is></c></row>"


async def send(cw: AsyncClient, content: bytes, *, xlsx: bool) -> Response:
    if xlsx:
        return await upload(cw, content, name="registry.xlsx", media_type=XLSX)
    return await upload(cw, content)


async def refused(
    cw: AsyncClient,
    session: AsyncSession,
    content: bytes,
    status: int,
    code: str,
    *,
    xlsx: bool = True,
) -> dict[str, Any]:
    """The problem document of refusing ``content``; not one worker was written."""
    body = problem(await send(cw, content, xlsx=xlsx), status, code)
    assert await count_rows(session, Worker) == 0
    return body


class TestZipBombs:
    async def test_the_hand_built_workbook_itself_imports(self, factory: Factory) -> None:
        # The control: every refusal below is the limit speaking, not a malformed package.
        cw = await factory.as_role("caseworker")
        report = report_of(await upload(cw, workbook(registry())))
        assert outcomes(report) == {2: "created"}

    @pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
    async def test_a_zip_bomb_is_refused_before_it_is_unzipped(
        self, factory: Factory, session: AsyncSession, compression: int
    ) -> None:
        cw = await factory.as_role("caseworker")
        bomb = workbook(registry(bomb_cell(300)), compression=compression)
        declared = sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
        assert len(bomb) < 400 * 1024
        assert declared > 300 * MiB
        body = await refused(cw, session, bomb, 413, "spreadsheet_too_large")
        assert body["max_unzipped_bytes"] == get_settings().import_max_unzipped_bytes

    async def test_a_member_compressed_past_the_ratio_is_refused(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        # 4 MiB, far below the size limit, but compressed like no spreadsheet ever is.
        cw = await factory.as_role("caseworker")
        bomb = workbook(registry(bomb_cell(4)))
        body = await refused(cw, session, bomb, 413, "spreadsheet_too_large")
        assert body["max_ratio"] == get_settings().import_max_zip_ratio

    async def test_a_package_of_thousands_of_members_is_refused(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = workbook(registry(), extra_members=1_000)  # 1,005 in all; the limit: 1,000
        body = await refused(cw, session, content, 413, "spreadsheet_too_large")
        assert body["max_zip_members"] == 1_000

    @pytest.mark.parametrize(
        ("rows", "after"),
        [
            pytest.param(
                [
                    b'<row r="3"><c t="inlineStr"><is>'
                    + b"<r><t>a</t></r>" * 60_000
                    + b"</is></c></row>"
                ],
                [],
                id="one cell of sixty thousand rich-text runs",
            ),
            pytest.param(
                [],
                [b'<mergeCell ref="A%d:B%d"/>' % (n, n) for n in range(3, 500_003)],
                id="half a million merged ranges",
            ),
        ],
    )
    async def test_a_workbook_more_intricate_than_any_registry_is_refused(
        self, factory: Factory, session: AsyncSession, rows: list[bytes], after: list[bytes]
    ) -> None:
        # Under every size and ratio limit, but openpyxl would hold a Python object for each
        # of these elements at once.
        cw = await factory.as_role("caseworker")
        merges = [b"<mergeCells>", *after, b"</mergeCells>"] if after else []
        content = workbook(registry(*rows, after=merges))
        await refused(cw, session, content, 413, "spreadsheet_too_large")

    async def test_an_entity_expansion_bomb_is_not_a_spreadsheet(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 12))
        doctype = f'<!DOCTYPE worksheet [<!ENTITY l0 "ha">{laughs}]>'.encode()
        pieces = list(registry(row(["&l11;"], 3)))
        content = workbook([pieces[0], doctype, *pieces[1:]])
        await refused(cw, session, content, 415, "not_a_spreadsheet")

    async def test_a_sheet_that_is_not_well_formed_is_not_a_spreadsheet(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = workbook(registry(b"<row><c><v>1</c></row>"))
        await refused(cw, session, content, 415, "not_a_spreadsheet")


class TestRows:
    async def test_a_million_blank_rows_stop_at_the_cap(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        blanks = (b'<row r="%d"/>' % n for n in range(3, 1_000_003))
        content = workbook(registry(blanks))
        assert len(content) < get_settings().import_max_bytes
        body = await refused(cw, session, content, 422, "too_many_rows")
        assert body["max_rows"] == get_settings().import_max_rows

    async def test_a_row_numbered_past_the_cap_is_refused(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = workbook(registry(row(["备注"], 1_048_576)))
        await refused(cw, session, content, 422, "too_many_rows")

    @pytest.mark.parametrize(
        ("dimension", "code"), [("A1:P1048576", "too_many_rows"), ("A1:XFD2", "too_many_columns")]
    )
    async def test_a_declared_dimension_past_the_limits_is_refused(
        self, factory: Factory, session: AsyncSession, dimension: str, code: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = workbook(registry(dimension=dimension))
        await refused(cw, session, content, 422, code)

    async def test_blank_csv_lines_count_towards_the_cap(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = csv_file([person(1)]) + b"\r\n" * 1_000_000
        body = await refused(cw, session, content, 422, "too_many_rows", xlsx=False)
        assert body["max_rows"] == get_settings().import_max_rows

    async def test_the_row_limit_is_a_setting_and_blank_lines_count(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "import_max_rows", 3)
        cw = await factory.as_role("caseworker")
        content = csv_file([person(1), person(2)]) + b"\r\n\r\n"
        await refused(cw, session, content, 422, "too_many_rows", xlsx=False)
        assert outcomes(report_of(await upload(cw, csv_file([person(1), person(2)])))) == {
            2: "created",
            3: "created",
        }


class TestCells:
    @pytest.mark.parametrize(
        "cells",
        [
            pytest.param(b"<c/>" * 100_000, id="a hundred thousand cells"),
            pytest.param(b'<c r="XFD3" t="inlineStr"><is><t>x</t></is></c>', id="column XFD"),
        ],
    )
    async def test_a_row_of_too_many_cells_is_refused(
        self, factory: Factory, session: AsyncSession, cells: bytes
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = workbook(registry(b'<row r="3">' + cells + b"</row>"))
        await refused(cw, session, content, 422, "too_many_columns")

    async def test_a_csv_line_of_too_many_fields_is_refused(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = csv_file([person(1), ["x"] * 100_000])
        await refused(cw, session, content, 422, "too_many_columns", xlsx=False)

    async def test_a_csv_line_longer_than_any_legal_row_is_refused_unparsed(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = csv_file([person(1), ["," * (5 * MiB)]])
        body = await refused(cw, session, content, 422, "row_too_large", xlsx=False)
        assert body["max_row_chars"] > 64 * 32_767

    async def test_an_xlsx_cell_longer_than_excel_allows_is_refused(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        long_note = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(40_000))
        content = workbook(registry(row(["3404061072010003", long_note], 3)))
        body = await refused(cw, session, content, 422, "cell_too_large")
        assert body["max_cell_chars"] == get_settings().import_max_cell_chars

    @pytest.mark.parametrize(
        "field",
        [
            pytest.param("备" * 40_000, id="past Excel's cell limit"),
            pytest.param("备" * (2 * MiB), id="two million characters on one line"),
            pytest.param('"' + "备\n" * (MiB // 2) + '"', id="a quoted field of a million lines"),
        ],
    )
    async def test_a_gigantic_csv_field_is_refused(
        self, factory: Factory, session: AsyncSession, field: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        content = csv_file([person(1), person(2, 是否有劳动能力=field)])
        assert len(content) < get_settings().import_max_bytes
        await refused(cw, session, content, 422, "cell_too_large", xlsx=False)


class _Upload(io.BytesIO):
    """The uploaded file, noting when the server has read the last of it."""

    read_whole = False

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.read_whole = self.read_whole or not data
        return data


class TestServerKeepsAnswering:
    async def test_healthz_answers_while_a_large_workbook_is_being_read(
        self, factory: Factory, client: AsyncClient
    ) -> None:
        # A legal, slow-to-read workbook: 20,000 rows of blank text cells under the header.
        cw = await factory.as_role("caseworker")
        blank = b'<c t="inlineStr"><is><t> </t></is></c>' * 8
        rows = (b'<row r="%d">%s</row>' % (n, blank) for n in range(2, 20_002))
        file = _Upload(workbook(sheet(row(HEADER, 1), rows)))
        importing = asyncio.create_task(
            cw.post("/api/v1/workers/import", files={"file": ("registry.xlsx", file, XLSX)})
        )
        answered = 0
        while not importing.done():
            assert (await client.get("/healthz")).status_code == 200
            answered += file.read_whole
            await asyncio.sleep(0)
        # Once the server held the whole file, the import's only work was reading it (no row
        # has data, so nothing is written): the probes answered meanwhile were answered while
        # it read, hundreds to thousands of them. Before, the read held the event loop: only
        # the 13 to 37 probes that fit in the import's own database round trips got in,
        # however long the file took to read.
        assert answered >= 100, answered
        assert report_of(importing.result())["total"] == 0
