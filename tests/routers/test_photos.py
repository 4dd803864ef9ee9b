"""Photos caseworkers take in the field: kept on a visit, a household or a worker, checked and
stored like claim evidence, uploaded late with an Idempotency-Key, listed, synced, removed."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.models import Photo
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    XUGANG,
    Factory,
    audit_entries,
    count_rows,
    employer_user,
    new_household,
    new_visit,
    new_worker,
    problem,
    signed_in,
)

API = "/api/v1"
EPOCH = "2000-01-01T00:00:00Z"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(200)
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


def _file(name: str = "走访.jpg", content: bytes = JPEG, mime: str = "image/jpeg") -> Any:
    return {"file": (name, content, mime)}


async def _upload(c: AsyncClient, url: str, **form: Any) -> Response:
    files = form.pop("files", None) or _file()
    return await c.post(url, files=files, data=form)


async def _visit_url(cw: AsyncClient, *, region: str = XUGANG) -> str:
    worker = await new_worker(cw, region=region)
    visit = await new_visit(cw, worker["id"])
    return f"{API}/visits/{visit['id']}/photos"


async def _owner_urls(cw: AsyncClient) -> dict[str, str]:
    """The photos URL of a new visit, of a new worker and of the worker's household."""
    worker = await new_worker(cw)
    visit = await new_visit(cw, worker["id"])
    return {
        "visit": f"{API}/visits/{visit['id']}/photos",
        "household": f"{API}/households/{worker['household_id']}/photos",
        "worker": f"{API}/workers/{worker['id']}/photos",
    }


def _stored(content: bytes) -> bytes:
    digest = hashlib.sha256(content).hexdigest()
    return (get_settings().attachments_path / digest[:2] / digest).read_bytes()


class TestUploadAndReadBack:
    @pytest.mark.parametrize(
        ("owner", "name", "content", "mime"),
        [
            ("visit", "入户照片.jpg", JPEG, "image/jpeg"),
            ("visit", "厨房.webp", WEBP, "image/webp"),
            ("household", "户口本.png", PNG, "image/png"),
            ("household", "低保证明.pdf", PDF, "application/pdf"),
            ("worker", "残疾证.pdf", PDF, "application/pdf"),
        ],
    )
    async def test_the_bytes_come_back_identical_with_their_digest(
        self, factory: Factory, owner: str, name: str, content: bytes, mime: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        urls = await _owner_urls(cw)
        r = await _upload(cw, urls[owner], files=_file(name, content, mime), caption="门口")
        assert r.status_code == 201, r.text
        made, digest = r.json(), hashlib.sha256(content).hexdigest()
        assert (made["filename"], made["content_type"], made["caption"]) == (name, mime, "门口")
        assert (made["size"], made["sha256"], made["deleted"]) == (len(content), digest, False)
        assert _stored(content) == content
        for c in (cw, await factory.as_role("auditor"), await factory.as_role("admin")):
            got = await c.get(f"{API}/photos/{made['id']}/content")
            assert got.status_code == 200, got.text
            assert got.content == content
            assert hashlib.sha256(got.content).hexdigest() == got.headers["x-content-sha256"]
            assert got.headers["content-type"] == mime
            assert got.headers["content-disposition"].startswith("attachment;")
            assert got.headers["x-content-type-options"] == "nosniff"
            assert got.headers["cache-control"] == "no-store"
            listed = (await c.get(urls[owner])).json()["items"]
            assert [p["id"] for p in listed] == [made["id"]]

    async def test_reading_a_workers_photo_is_audited_on_the_worker(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        user, cw = await signed_in(factory, "caseworker")
        worker = await new_worker(cw)
        made = (await _upload(cw, f"{API}/workers/{worker['id']}/photos")).json()
        assert await audit_entries(session, action="worker.read_photo") == []
        assert (await cw.get(f"{API}/photos/{made['id']}/content")).status_code == 200
        [entry] = await audit_entries(session, action="worker.read_photo")
        assert (entry.resource_type, entry.resource_id) == ("worker", str(worker["id"]))
        assert entry.actor_id == user.id
        assert entry.changes["_note"] == {"photo_id": made["id"]}

    async def test_when_it_was_taken_is_kept_and_may_not_be_in_the_future(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        url = await _visit_url(cw)
        week_ago = (datetime.now(UTC) - timedelta(days=7)).replace(microsecond=0)
        r = await _upload(cw, url, taken_at=week_ago.isoformat())
        assert r.status_code == 201, r.text
        assert datetime.fromisoformat(r.json()["taken_at"]) == week_ago
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        body = problem(await _upload(cw, url, taken_at=tomorrow.isoformat()), 422, "date_in_future")
        assert [e["field"] for e in body["errors"]] == ["body.taken_at"]
        no_zone = problem(
            await _upload(cw, url, taken_at="2026-11-30T08:00:00"), 422, "validation_failed"
        )
        assert [e["field"] for e in no_zone["errors"]] == ["body.taken_at"]
        assert await count_rows(session, Photo) == 1

    @pytest.mark.parametrize(
        "name", ["照片\u202egpj.exe", "走访\u200b照片\u2028\u2066.jpg", "../../etc/走访照片.jpg"]
    )
    async def test_names_with_control_or_reordering_characters_are_cleaned(
        self, factory: Factory, name: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        r = await _upload(cw, await _visit_url(cw), files=_file(name))
        assert r.status_code == 201, r.text
        kept = r.json()["filename"]
        assert kept in {"照片gpj.exe", "走访照片.jpg"}
        got = await cw.get(f"{API}/photos/{r.json()['id']}/content")
        assert "\u202e" not in got.headers["content-disposition"]
        assert "/" not in kept


class TestBadForms:
    @pytest.mark.parametrize(
        ("files", "form", "field"),
        [
            (None, {"caption": "\x00院子"}, "body.caption"),
            (None, {"caption": "长" * 501}, "body.caption"),
            (None, {"owner": "worker"}, "body.owner"),
            ({"image": ("a.jpg", JPEG, "image/jpeg")}, {}, "body.file"),
        ],
        ids=["control character", "caption too long", "unknown field", "no file"],
    )
    async def test_a_bad_form_is_refused_and_nothing_is_kept(
        self,
        factory: Factory,
        session: AsyncSession,
        files: Any,
        form: dict[str, Any],
        field: str,
    ) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(await _visit_url(cw), files=files or _file(), data=form)
        body = problem(r, 422, "validation_failed")
        assert field in {e["field"] for e in body["errors"]}, body
        assert await count_rows(session, Photo) == 0

    async def test_an_upload_is_audited_with_its_digest(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        user, cw = await signed_in(factory, "caseworker")
        made = (await _upload(cw, await _visit_url(cw))).json()
        [entry] = await audit_entries(session, action="photo.create", resource_id=made["id"])
        assert entry.actor_id == user.id
        assert entry.changes["sha256"]["after"] == hashlib.sha256(JPEG).hexdigest()


class TestRetries:
    async def test_the_same_key_and_photo_replays_the_first_answer(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        url = await _visit_url(cw)
        key = {"Idempotency-Key": f"photo-{uuid.uuid4()}"}
        first = await cw.post(url, files=_file(), data={"caption": "院子"}, headers=key)
        assert first.status_code == 201, first.text
        # A retry is a new multipart body (a new boundary) carrying the same photo.
        again = await cw.post(url, files=_file(), data={"caption": "院子"}, headers=key)
        assert again.status_code == 201, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert await count_rows(session, Photo) == 1

    @pytest.mark.parametrize(
        "other", [{"files": _file(content=JPEG + b"x")}, {"caption": "另一张"}]
    )
    async def test_the_same_key_with_another_photo_is_refused(
        self, factory: Factory, session: AsyncSession, other: dict[str, Any]
    ) -> None:
        cw = await factory.as_role("caseworker")
        url = await _visit_url(cw)
        key = {"Idempotency-Key": f"photo-{uuid.uuid4()}"}
        first = await cw.post(url, files=_file(), data={"caption": "院子"}, headers=key)
        assert first.status_code == 201, first.text
        form = {"caption": "院子", **other}
        files = form.pop("files", _file())
        r = await cw.post(url, files=files, data=form, headers=key)
        problem(r, 422, "idempotency_key_reused")
        assert await count_rows(session, Photo) == 1


class TestWhatIsKept:
    @pytest.mark.parametrize(
        ("owner", "name", "content", "mime"),
        [
            ("visit", "照片.jpg", PDF, "image/jpeg"),  # a PDF renamed .jpg
            ("visit", "照片.jpg", PDF, "application/octet-stream"),
            ("visit", "扫描件.pdf", PDF, "application/pdf"),  # a visit keeps images only
            ("visit", "照片.png", HTML, "image/png"),
            ("visit", "page.html", HTML, "text/html"),
            ("worker", "照片.jpg", PDF, "image/jpeg"),  # a PDF saying it is a JPEG
            ("worker", "照片.gif", b"GIF89a" + bytes(100), "image/gif"),
            ("household", "说明.txt", "低保户说明".encode(), "text/plain"),
        ],
    )
    async def test_files_that_are_not_what_is_kept_by_content_get_415(
        self,
        factory: Factory,
        session: AsyncSession,
        owner: str,
        name: str,
        content: bytes,
        mime: str,
    ) -> None:
        cw = await factory.as_role("caseworker")
        urls = await _owner_urls(cw)
        problem(
            await _upload(cw, urls[owner], files=_file(name, content, mime)),
            415,
            "unsupported_photo",
        )
        assert await count_rows(session, Photo) == 0

    async def test_a_file_over_the_size_limit_gets_413_and_is_not_kept(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "attachment_max_bytes", 2048)
        cw = await factory.as_role("caseworker")
        big = JPEG + bytes(2048)
        problem(
            await _upload(cw, await _visit_url(cw), files=_file(content=big)),
            413,
            "payload_too_large",
        )
        assert await count_rows(session, Photo) == 0
        digest = hashlib.sha256(big).hexdigest()
        assert not (get_settings().attachments_path / digest[:2] / digest).exists()


class TestWhoMay:
    async def test_a_caseworker_of_another_township_neither_adds_nor_reads(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        url = await _visit_url(pingwei, region=PINGWEI_VILLAGE)
        made = (await _upload(pingwei, url)).json()
        qiji = await factory.as_role("caseworker")  # 祁集镇
        problem(await _upload(qiji, url), 404, "visit_not_found")
        problem(await qiji.get(url), 404, "visit_not_found")
        problem(await qiji.get(f"{API}/photos/{made['id']}/content"), 404, "photo_not_found")
        problem(await qiji.delete(f"{API}/photos/{made['id']}"), 404, "photo_not_found")
        synced = (await qiji.get(f"{API}/photos", params={"updated_since": EPOCH})).json()
        assert synced["items"] == []
        assert await count_rows(session, Photo) == 1

    async def test_an_employer_may_not_touch_photos(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        url = f"{API}/workers/{worker['id']}/photos"
        made = (await _upload(cw, url)).json()
        _, boss = await employer_user(factory)
        problem(await _upload(boss, url), 403, "forbidden")
        problem(await boss.get(url), 403, "forbidden")
        problem(await boss.get(f"{API}/photos"), 403, "forbidden")
        problem(await boss.get(f"{API}/photos/{made['id']}/content"), 403, "forbidden")
        problem(await boss.delete(f"{API}/photos/{made['id']}"), 403, "forbidden")

    async def test_an_auditor_reads_but_does_not_add_and_an_admin_adds_in_scope(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        url = f"{API}/households/{household['id']}/photos"
        auditor = await factory.as_role("auditor")
        problem(await _upload(auditor, url), 403, "forbidden")
        admin = await factory.as_role("admin")
        assert (await _upload(admin, url)).status_code == 201
        assert len((await auditor.get(url)).json()["items"]) == 1
        township_admin = await factory.as_role("admin", region=PINGWEI)
        problem(await _upload(township_admin, url), 404, "household_not_found")

    async def test_only_the_uploader_or_an_admin_removes_a_photo(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        url = await _visit_url(cw)
        mine, theirs = (await _upload(cw, url)).json(), (await _upload(cw, url)).json()
        colleague = await factory.as_role("caseworker")
        problem(await colleague.delete(f"{API}/photos/{mine['id']}"), 403, "forbidden")
        assert (await cw.delete(f"{API}/photos/{mine['id']}")).status_code == 204
        admin = await factory.as_role("admin")
        assert (await admin.delete(f"{API}/photos/{theirs['id']}")).status_code == 204
        problem(await cw.get(f"{API}/photos/{mine['id']}/content"), 404, "photo_not_found")
        problem(await cw.delete(f"{API}/photos/{mine['id']}"), 404, "photo_not_found")
        assert (await cw.get(url)).json()["items"] == []
        assert len(await audit_entries(session, action="photo.delete")) == 2


class TestSync:
    async def test_a_phone_receives_new_photos_then_their_tombstones(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        url = await _visit_url(cw)
        first = (await _upload(cw, url)).json()
        worker = await new_worker(cw)
        second = (await _upload(cw, f"{API}/workers/{worker['id']}/photos")).json()

        async def sync(token: str) -> tuple[list[dict[str, Any]], str]:
            r = await cw.get(f"{API}/photos", params={"updated_since": token, "limit": 1})
            items, page = [], r.json()
            items += page["items"]
            while page["next_cursor"]:
                params = {"updated_since": token, "limit": 1, "cursor": page["next_cursor"]}
                page = (await cw.get(f"{API}/photos", params=params)).json()
                items += page["items"]
            return items, page["sync_token"]

        items, token = await sync(EPOCH)
        assert [p["id"] for p in items] == [first["id"], second["id"]]
        assert items[0]["sha256"] == first["sha256"]
        assert (await sync(token))[0] == []
        assert (await cw.delete(f"{API}/photos/{first['id']}")).status_code == 204
        third = (await _upload(cw, url, files=_file(content=PNG, mime="image/png"))).json()
        items, _ = await sync(token)
        assert [(p["id"], p["deleted"]) for p in items] == [
            (first["id"], True),
            (third["id"], False),
        ]
