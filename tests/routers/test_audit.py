"""The audit log: every write leaves one entry, oversight reads it in scope, the chain tells."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import AuditEntry, User
from tests.factories import (
    PASSWORD,
    PINGWEI,
    QIJI,
    XUGANG,
    Factory,
    error_fields,
    pick,
    problem,
    signed_in,
)

AUDIT = "/api/v1/audit-log"
VERIFY = "/api/v1/audit-log/verify"


async def entries_about(session: AsyncSession, user_id: int) -> list[AuditEntry]:
    found = await session.scalars(
        select(AuditEntry)
        .where(col(AuditEntry.resource_type) == "user", col(AuditEntry.resource_id) == str(user_id))
        .order_by(col(AuditEntry.id))
    )
    rows = list(found.all())
    # End the read (an open SQLite transaction holds the write lock the app needs next); a
    # commit, unlike a rollback, leaves the loaded rows readable.
    await session.commit()
    return rows


async def all_entries(c: AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every entry the log shows with these filters, following next_cursor to the end."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        r = await c.get(AUDIT, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        found += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return found


def caseworker_body(username: str, region: str = QIJI) -> dict[str, Any]:
    return {
        "username": username,
        "full_name": "祁集专干",
        "role": "caseworker",
        "region_code": region,
        "password": PASSWORD,
    }


class TestWritesAreAudited:
    async def test_creating_a_user_writes_one_entry_with_the_actor_and_the_new_values(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        me, admin = await signed_in(factory, "admin")
        r = await admin.post("/api/v1/users", json=caseworker_body("new.worker"))
        assert r.status_code == 201, r.text
        [entry] = await entries_about(session, r.json()["id"])
        assert (entry.action, entry.actor_id, entry.actor_role) == ("user.create", me.id, "admin")
        assert entry.region_code == QIJI
        assert entry.request_id == r.headers["X-Request-ID"]
        assert entry.changes == {
            "full_name": {"after": "祁集专干"},
            "is_active": {"after": True},
            "region_code": {"after": QIJI},
            "role": {"after": "caseworker"},
            "username": {"after": "new.worker"},
        }

    async def test_updating_a_user_writes_one_entry_with_before_and_after_of_what_changed(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        me, admin = await signed_in(factory, "admin")
        user = await factory.user("caseworker", region=QIJI, full_name="旧名")
        assert user.id is not None
        r = await admin.patch(
            f"/api/v1/users/{user.id}",
            json={"full_name": "新名", "region_code": XUGANG, "role": "caseworker"},
            headers={"If-Match": '"1"'},
        )
        assert r.status_code == 200, r.text
        create, update = await entries_about(session, user.id)
        assert (create.action, create.actor_id) == ("user.create", None)
        assert (update.action, update.actor_id, update.actor_role) == (
            "user.update",
            me.id,
            "admin",
        )
        assert update.region_code == XUGANG
        assert update.changes == {
            "full_name": {"before": "旧名", "after": "新名"},
            "region_code": {"before": QIJI, "after": XUGANG},
        }

    async def test_a_refused_update_writes_nothing(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        user = await factory.user("caseworker")
        assert user.id is not None
        url = f"/api/v1/users/{user.id}"
        stale = await admin.patch(url, json={"full_name": "x"}, headers={"If-Match": '"7"'})
        problem(stale, 412, "version_mismatch")
        misfit = await admin.patch(url, json={"role": "employer"}, headers={"If-Match": '"1"'})
        problem(misfit, 422, "invalid_user_scope")
        assert [e.action for e in await entries_about(session, user.id)] == ["user.create"]

    async def test_password_hashes_and_passwords_never_reach_the_log(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post("/api/v1/users", json=caseworker_body("secret.keeper"))
        user_id = r.json()["id"]
        new_password = "a brand new long passphrase"
        reset = await admin.post(
            f"/api/v1/users/{user_id}/password", json={"password": new_password}
        )
        assert reset.status_code == 204, reset.text
        entries = await entries_about(session, user_id)
        assert [e.action for e in entries] == ["user.create", "user.password_changed"]
        hashes = await session.scalars(select(col(User.password_hash)))
        secrets = [*hashes.all(), PASSWORD, new_password, "password_hash", "argon2"]
        await session.commit()
        logged = (await admin.get(AUDIT, params={"resource_id": str(user_id)})).text
        for secret in secrets:
            assert secret not in logged
            assert all(secret not in str(e.changes) for e in entries)


class TestReadingTheLog:
    @pytest.mark.parametrize("role", ["auditor", "admin"])
    async def test_oversight_reads_the_log_newest_first(self, factory: Factory, role: str) -> None:
        for n in range(3):
            await factory.user("caseworker", username=f"cw.{n}")
        c = await factory.as_role(role)
        items = await all_entries(c)
        ids = [e["id"] for e in items]
        assert ids == sorted(ids, reverse=True)
        assert len(ids) >= 4
        first = items[-1]
        assert set(first) >= {"id", "at", "actor_id", "action", "resource_type", "changes"}
        assert first["prev_hash"] == "0" * 64

    @pytest.mark.parametrize("role", ["caseworker", "employer"])
    async def test_caseworkers_and_employers_get_403(self, factory: Factory, role: str) -> None:
        c = await factory.as_role(role)
        problem(await c.get(AUDIT), 403, "forbidden")
        problem(await c.get(VERIFY), 403, "forbidden")

    async def test_anonymous_callers_get_401(self, factory: Factory) -> None:
        problem(await factory.client().get(AUDIT), 401, "unauthorized")
        problem(await factory.client().get(VERIFY), 401, "unauthorized")

    async def test_filters_by_action_resource_and_actor(self, factory: Factory) -> None:
        me, admin = await signed_in(factory, "admin")
        target = await factory.user("caseworker")
        r = await admin.patch(
            f"/api/v1/users/{target.id}", json={"full_name": "改"}, headers={"If-Match": '"1"'}
        )
        assert r.status_code == 200
        region = {"code": "340406107204", "name": "新村", "level": "village", "parent_code": QIJI}
        assert (await admin.post("/api/v1/regions", json=region)).status_code == 201

        updates = await all_entries(admin, action="user.update")
        assert [(e["resource_id"], e["actor_id"]) for e in updates] == [(str(target.id), me.id)]
        regions = await all_entries(admin, resource_type="region")
        assert [e["resource_id"] for e in regions] == ["340406107204"]
        about = await all_entries(admin, resource_type="user", resource_id=str(target.id))
        assert [e["action"] for e in about] == ["user.update", "user.create"]
        mine = await all_entries(admin, actor_id=me.id)
        assert {e["action"] for e in mine} == {"auth.sign_in", "user.update", "region.create"}
        assert await all_entries(admin, action="no.such.action") == []

    async def test_filters_by_time_with_timezone_aware_bounds(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        for n in range(3):
            await factory.user("caseworker", username=f"timed.{n}")
        items = list(reversed(await all_entries(admin)))  # oldest first
        middle = datetime.fromisoformat(items[len(items) // 2]["at"])
        # The same instant written in Beijing time (+08:00) means the same thing.
        beijing = middle.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo)
        since = await all_entries(admin, since=beijing.isoformat())
        until = await all_entries(admin, until=middle.isoformat())
        assert {e["id"] for e in since} | {e["id"] for e in until} == {e["id"] for e in items}
        assert not {e["id"] for e in since} & {e["id"] for e in until}
        assert all(datetime.fromisoformat(e["at"]) >= middle for e in since)
        later = (middle + timedelta(days=1)).isoformat()
        assert await all_entries(admin, since=later) == []

    @pytest.mark.parametrize("param", ["since", "until"])
    @pytest.mark.parametrize(
        "value",
        [
            "2026-11-25T08:00:00",
            "yesterday",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
        ],
    )
    async def test_a_naive_malformed_or_unrepresentable_time_is_a_422(
        self, factory: Factory, param: str, value: str
    ) -> None:
        admin = await factory.as_role("admin")
        body = problem(await admin.get(AUDIT, params={param: value}), 422, "validation_failed")
        assert error_fields(body) == {f"query.{param}"}

    @pytest.mark.parametrize(
        ("param", "value"), [("actor_id", "0"), ("actor_id", str(10**20)), ("action", "x" * 61)]
    )
    async def test_an_impossible_filter_is_a_422(
        self, factory: Factory, param: str, value: str
    ) -> None:
        admin = await factory.as_role("admin")
        body = problem(await admin.get(AUDIT, params={param: value}), 422, "validation_failed")
        assert error_fields(body) == {f"query.{param}"}


class TestARegionScopedAuditor:
    async def test_sees_only_entries_of_their_township(self, factory: Factory) -> None:
        inside = [
            await factory.user("caseworker", region=QIJI),
            await factory.user("caseworker", region=XUGANG),
        ]
        outside = [
            await factory.user("caseworker", region=PINGWEI),
            await factory.user("admin"),  # no region: a district-wide record
        ]
        auditor = await factory.as_role("auditor", region=QIJI)
        seen = await all_entries(auditor)
        assert {e["region_code"] for e in seen} <= {QIJI, XUGANG}
        ids = {e["resource_id"] for e in seen if e["resource_type"] == "user"}
        assert {str(u.id) for u in inside} <= ids
        assert not {str(u.id) for u in outside} & ids
        by_id = await all_entries(auditor, resource_type="user", resource_id=str(outside[0].id))
        assert by_id == []


class TestVerifyingTheChain:
    async def _history(self, factory: Factory) -> AsyncClient:
        auditor = await factory.as_role("auditor")
        for n in range(4):
            await factory.user("caseworker", username=f"chain.{n}")
        return auditor

    async def _ids(self, session: AsyncSession) -> list[int]:
        ids = await session.scalars(select(col(AuditEntry.id)).order_by(col(AuditEntry.id)))
        found = [i for i in ids.all() if i is not None]
        await session.rollback()
        return found

    async def test_an_untouched_chain_is_valid_and_every_entry_is_checked(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        auditor = await self._history(factory)
        r = await auditor.get(VERIFY)
        assert r.status_code == 200, r.text
        total = await session.scalar(select(func.count()).select_from(AuditEntry))
        newest = await session.scalar(
            select(col(AuditEntry.hash)).order_by(col(AuditEntry.id).desc()).limit(1)
        )
        await session.rollback()
        assert pick(r.json(), "valid", "entries_checked", "first_broken_id", "reason") == (
            True,
            total,
            None,
            None,
        )
        assert r.json()["last_hash"] == newest
        assert r.json()["keys"] == [
            {"kid": "audit-2026", "entries": total, "first_entry_id": 1, "last_entry_id": total}
        ]

    async def test_an_edited_entry_is_reported_as_a_hash_mismatch(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        auditor = await self._history(factory)
        ids = await self._ids(session)
        victim = ids[2]
        forged = '{"role": {"after": "admin"}}'
        tamper = text("UPDATE audit_entries SET changes = :c WHERE id = :id")
        await _bypassing_the_guard(session, tamper, {"c": forged, "id": victim})
        report = (await auditor.get(VERIFY)).json()
        assert pick(report, "valid", "entries_checked", "first_broken_id", "reason") == (
            False,
            2,
            victim,
            "hash_mismatch",
        )

    async def test_a_deleted_entry_breaks_the_link_of_the_next_one(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        auditor = await self._history(factory)
        ids = await self._ids(session)
        delete = text("DELETE FROM audit_entries WHERE id = :id")
        await _bypassing_the_guard(session, delete, {"id": ids[2]})
        report = (await auditor.get(VERIFY)).json()
        assert report["valid"] is False
        assert (report["first_broken_id"], report["reason"]) == (ids[3], "broken_link")
        assert report["entries_checked"] == 2


async def _bypassing_the_guard(session: AsyncSession, stmt: Any, params: dict[str, Any]) -> None:
    """Run a tampering statement as an intruder with database access would.

    On PostgreSQL the append-only trigger refuses it first; only a table owner who disables
    the trigger gets through (and the hash chain is what then tells).
    """
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(stmt, params)
        await session.commit()
        return
    with pytest.raises(DBAPIError, match="append-only"):
        await session.execute(stmt, params)
    await session.rollback()
    await session.execute(
        text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only")
    )
    try:
        await session.execute(stmt, params)
    finally:
        await session.execute(
            text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only")
        )
        await session.commit()
