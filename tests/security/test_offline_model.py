"""Three phones against one server, as a hypothesis state machine.

Phones edit workers while offline, come back, upload their queued edits (in order or not,
sometimes twice because an answer was lost), record visits with an Idempotency-Key and retry
them, and sync with their token. Whatever the interleaving:

* every edit made against an old version is refused with 412 — never silently applied;
* no acknowledged write is lost: the versions acknowledged with 200 form an unbroken chain
  1, 2, …, and the server's final record is the one acknowledged last;
* nothing is duplicated: one visit per Idempotency-Key;
* after a final upload and sync, every phone equals the server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from app.main import create_app
from tests.conftest import _TEMPLATE, IS_POSTGRES, _reset_postgres, _settings
from tests.factories import PASSWORD, resident_id

PHONES = 3
WORKERS = 3
FIELDS: dict[str, list[Any]] = {
    "employment_status": ["unemployed", "employed", "self_employed", "in_training"],
    "work_location_wish": ["local", "in_county", "in_province", "out_of_province"],
    "able_to_work": [True, False],
}


def _unique_id() -> str:
    n = uuid.uuid4().int
    born = f"19{60 + n % 40:02d}{1 + (n >> 8) % 12:02d}{1 + (n >> 16) % 28:02d}"
    return resident_id(n >> 24, born=born)


@dataclass
class Edit:
    worker_id: int
    base_version: int
    changes: dict[str, Any]


@dataclass
class Phone:
    client: AsyncClient
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    outbox: list[Edit] = field(default_factory=list)
    visits: list[tuple[str, int]] = field(default_factory=list)  # (key, worker) not yet acked
    token: str = "2000-01-01T00:00:00Z"
    online: bool = True


class Server:
    """One app on a fresh database, driven on a loop of its own."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.app = create_app(_settings(url))
        self.run(self._prepare())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def _prepare(self) -> None:
        if IS_POSTGRES:
            await _reset_postgres(self.app.state.db)
        from app.models import Role
        from app.services import users

        async with self.app.state.db.sessionmaker() as session:
            await users.create(
                session,
                actor=None,
                username="phone-owner",
                full_name="专干",
                role=Role.caseworker,
                password=PASSWORD,
                region_code="340406107",
            )

    async def client(self) -> AsyncClient:
        client = AsyncClient(transport=ASGITransport(app=self.app), base_url="http://jobpath")
        r = await client.post(
            "/api/v1/auth/token", data={"username": "phone-owner", "password": PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        return client

    def close(self) -> None:
        self.run(self.app.state.db.engine.dispose())
        self.loop.close()


def make_machine(server: Server) -> type[RuleBasedStateMachine]:
    class Phones(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.server = server
            self.phones = [Phone(server.run(server.client())) for _ in range(PHONES)]
            office = self.phones[0].client
            household = server.run(office.post("/api/v1/households", json={
                "household_number": f"HH{uuid.uuid4().hex[:10]}", "region_code": "340406107201",
                "poverty_status": "in_poverty"})).json()  # fmt: skip
            self.worker_ids = []
            # version → record acknowledged with that version, per worker
            self.acked: dict[int, dict[int, dict[str, Any]]] = {}
            for _ in range(WORKERS):
                w = server.run(office.post("/api/v1/workers", json={
                    "household_id": household["id"], "full_name": "测试",
                    "id_number": _unique_id(),
                    "region_code": "340406107201"})).json()  # fmt: skip
                self.worker_ids.append(w["id"])
                self.acked[w["id"]] = {w["version"]: w}
            self.visit_keys: set[str] = set()
            self.conflicts = 0
            for phone in self.phones:
                self._sync(phone)

        # -- what phones do --------------------------------------------------------------

        @rule(p=st.integers(0, PHONES - 1), w=st.integers(0, WORKERS - 1),
              name=st.sampled_from(sorted(FIELDS)), pick=st.integers(0, 3))  # fmt: skip
        def edit(self, p: int, w: int, name: str, pick: int) -> None:
            phone, worker_id = self.phones[p], self.worker_ids[w]
            local = phone.records[worker_id]
            value = FIELDS[name][pick % len(FIELDS[name])]
            local[name] = value
            phone.outbox.append(Edit(worker_id, local["version"], {name: value}))

        @rule(p=st.integers(0, PHONES - 1))
        def go_offline(self, p: int) -> None:
            self.phones[p].online = False

        @rule(p=st.integers(0, PHONES - 1), shuffled=st.booleans(), lose=st.booleans())
        def come_back_and_upload(self, p: int, shuffled: bool, lose: bool) -> None:
            phone = self.phones[p]
            phone.online = True
            queue = list(reversed(phone.outbox)) if shuffled else list(phone.outbox)
            phone.outbox = []
            for edit in queue:
                self._upload(phone, edit, answer_lost=lose)
            self._retry_visits(phone)

        @rule(p=st.integers(0, PHONES - 1), w=st.integers(0, WORKERS - 1), lose=st.booleans())
        def record_visit(self, p: int, w: int, lose: bool) -> None:
            phone = self.phones[p]
            key = uuid.uuid4().hex
            phone.visits.append((key, self.worker_ids[w]))
            if phone.online:
                self._retry_visits(phone, answer_lost=lose)

        @rule(p=st.integers(0, PHONES - 1))
        def sync(self, p: int) -> None:
            if self.phones[p].online:
                self._sync(self.phones[p])

        # -- the wire --------------------------------------------------------------------

        def _upload(self, phone: Phone, edit: Edit, *, answer_lost: bool) -> None:
            url = f"/api/v1/workers/{edit.worker_id}"
            for attempt in range(2 if answer_lost else 1):
                r = self.server.run(
                    phone.client.patch(
                        url, json=edit.changes, headers={"If-Match": f'"{edit.base_version}"'}
                    )
                )
                if r.status_code == 200:
                    record, known = r.json(), self.acked[edit.worker_id]
                    if record["version"] in known:  # a no-op edit: nothing new was written
                        assert {k: record[k] for k in FIELDS} == {
                            k: known[record["version"]][k] for k in FIELDS
                        }, "a version number was reused for a different record"
                    known[record["version"]] = record
                    continue
                assert r.status_code == 412, r.text
                body = r.json()
                self.conflicts += 1
                # A conflict is surfaced with the server's record and the differing fields;
                # the phone keeps the server's values (the caseworker would choose here).
                assert body["current"]["id"] == edit.worker_id
                assert set(body["differing_fields"]) <= set(edit.changes)
                if attempt == 1:  # the lost answer's retry: the server holds the change
                    assert body["current"]["version"] > edit.base_version

        def _retry_visits(self, phone: Phone, *, answer_lost: bool = False) -> None:
            pending, phone.visits = phone.visits, []
            for key, worker_id in pending:
                body = {"kind": "follow_up", "visited_at": "2026-11-20T08:00:00Z"}
                for _ in range(2 if answer_lost else 1):
                    r = self.server.run(phone.client.post(
                        f"/api/v1/workers/{worker_id}/visits", json=body,
                        headers={"Idempotency-Key": key}))  # fmt: skip
                    assert r.status_code == 201, r.text
                self.visit_keys.add(key)

        def _sync(self, phone: Phone) -> None:
            cursor, seen = None, []
            while True:
                params: dict[str, Any] = {"updated_since": phone.token, "limit": 2}
                if cursor:
                    params["cursor"] = cursor
                page = self.server.run(phone.client.get("/api/v1/workers", params=params)).json()
                for item in page["items"]:
                    seen.append(item["id"])
                    phone.records[item["id"]] = item
                if not (cursor := page["next_cursor"]):
                    phone.token = page["sync_token"]
                    break
            assert len(seen) == len(set(seen)), "a record came twice in one pass"

        # -- what must always hold -------------------------------------------------------

        @invariant()
        def acknowledged_versions_form_an_unbroken_chain(self) -> None:
            for versions in self.acked.values():
                assert sorted(versions) == list(range(1, max(versions) + 1))

        def teardown(self) -> None:
            for phone in self.phones:
                phone.online = True
                for edit in phone.outbox:
                    self._upload(phone, edit, answer_lost=False)
                phone.outbox = []
                self._retry_visits(phone)
            for phone in self.phones:
                self._sync(phone)
            office = self.phones[0].client
            for worker_id, versions in self.acked.items():
                server_record = self.server.run(office.get(f"/api/v1/workers/{worker_id}"))
                latest = versions[max(versions)]
                assert server_record.json()["version"] == latest["version"]
                for name in FIELDS:
                    assert server_record.json()[name] == latest[name], (worker_id, name)
                for phone in self.phones:
                    mine = phone.records[worker_id]
                    assert mine["version"] == latest["version"]
                    assert {k: mine[k] for k in FIELDS} == {k: latest[k] for k in FIELDS}
            recorded = sum(
                len(self.server.run(office.get(f"/api/v1/workers/{w}/visits",
                                               params={"limit": 200})).json()["items"])
                for w in self.worker_ids
            )  # fmt: skip
            assert recorded == len(self.visit_keys), "a visit was duplicated or lost"
            for phone in self.phones:
                self.server.run(phone.client.aclose())

    return Phones


# CI runs 15 histories of up to 25 steps; the long run (docs/reliability.md) sets e.g.
# JOBPATH_OFFLINE_EXAMPLES=300.
OFFLINE_EXAMPLES = int(os.environ.get("JOBPATH_OFFLINE_EXAMPLES", "15"))


@pytest.mark.slow
def test_three_phones_offline_and_online_converge(migrated_url: str, tmp_path: Path) -> None:
    url = migrated_url
    if not IS_POSTGRES:
        shutil.copyfile(_TEMPLATE, tmp_path / "phones.db")
        url = f"sqlite+aiosqlite:///{tmp_path / 'phones.db'}"
    server = Server(url)
    try:
        run_state_machine_as_test(
            make_machine(server),
            settings=settings(max_examples=OFFLINE_EXAMPLES, stateful_step_count=25, deadline=None,
                              suppress_health_check=list(HealthCheck)),
        )  # fmt: skip
    finally:
        server.close()
