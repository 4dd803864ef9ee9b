"""An evidence file's name is the uploader's text, shown to reviewers and offered as the
download's name. A right-to-left override makes ``合同<U+202E>gnp.exe`` read as
``合同exe.png``; a line separator or a control character breaks the lists it is shown in; a
path or a leading dot asks to be saved elsewhere or hidden. Names are cleaned in one place
(app/uploads.py ``safe_filename``) before they are stored, and a name with nothing left is
refused. The file is still a download (``Content-Disposition: attachment``), never sniffed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ClaimAttachment
from tests.factories import Factory, count_rows, draft_claim_attachments, problem

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
BOUNDARY = "jobpath-names"


@dataclass
class Claim:
    boss: AsyncClient
    url: str


@pytest.fixture
async def claim(factory: Factory) -> Claim:
    """A draft claim of an employer, ready for evidence."""
    return Claim(*await draft_claim_attachments(factory))


async def upload(c: Claim, name: str) -> Response:
    """Send a PNG named ``name`` exactly as written (a browser or httpx would escape some
    characters; an attacker's own client need not)."""
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + PNG
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return await c.boss.post(
        c.url,
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def download_name(r: Response) -> str:
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;"), disposition
    encoded = disposition.split("filename*=utf-8''", 1)[-1] if "filename*=" in disposition else ""
    return unquote(encoded) if encoded else disposition.split('filename="', 1)[1].rstrip('"')


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("合同\u202egnp.exe", "合同gnp.exe"),  # right-to-left override
        ("\u2066考勤\u2069表\u200f.png", "考勤表.png"),  # isolates, a right-to-left mark
        ("工资\u200b条\ufeff.png", "工资条.png"),  # zero-width space, byte-order mark
        ("第一页\u2028第二页\u2029.png", "第一页第二页.png"),  # line, paragraph separators
        ("扫描\x07\x1b[31m件.png", "扫描[31m件.png"),  # bell, escape
        ("../../etc/cron.d/.合同.png", "合同.png"),
        ("..\\..\\Windows\\合同.png", "合同.png"),
        (".htaccess.png", "htaccess.png"),
        ("C:合同?.png", "C_合同_.png"),
    ],
)
async def test_a_name_is_stored_and_downloaded_clean(claim: Claim, sent: str, kept: str) -> None:
    r = await upload(claim, sent)
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    assert made["filename"] == kept
    listed = (await claim.boss.get(claim.url)).json()
    assert [a["filename"] for a in listed] == [kept]
    got = await claim.boss.get(f"{claim.url}/{made['id']}")
    assert got.status_code == 200, got.text
    assert download_name(got) == kept
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.content == PNG


@pytest.mark.parametrize("sent", ["\u202e", "\u200b\u200f", "..", "../.."])
async def test_a_name_with_nothing_usable_is_refused(
    claim: Claim, session: AsyncSession, sent: str
) -> None:
    problem(await upload(claim, sent), 422, "filename_unusable")
    assert await count_rows(session, ClaimAttachment) == 0


async def test_a_long_name_keeps_its_extension(claim: Claim) -> None:
    r = await upload(claim, "扫" * 300 + ".png")
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "扫" * 196 + ".png"
