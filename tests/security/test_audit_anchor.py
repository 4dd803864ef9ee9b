"""The audit chain against someone with database access: what they change, delete or rewrite is
found — by the keyed hashes without trusting anything in the database, and by the signed
checkpoints (stored, logged, and kept by auditors as tokens) when they cut the chain short.

Every attack here is plain SQL on the test database, as an intruder with a database account
would run it (on PostgreSQL switching off the append-only triggers first, as a table owner
can); the verdict comes from the API."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from httpx import AsyncClient
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import Settings, get_settings
from app.models import AuditEntry
from tests.conftest import TEST_URL
from tests.factories import QIJI, Factory, audit_entries, pick, problem

VERIFY = "/api/v1/audit-log/verify"
CHECKPOINTS = "/api/v1/audit-log/checkpoints"
GENESIS = "0" * 64
AUDIT_TABLES = ("audit_entries", "audit_checkpoints")
# What the intruder forges into an entry: a caseworker made admin.
FORGED = {"role": {"before": "caseworker", "after": "admin"}}

REHASH = (
    "UPDATE audit_entries SET changes = :changes, prev_hash = :prev, hash = :hash WHERE id = :id"
)
REHASH_AND_KID = REHASH.replace(" WHERE", ", kid = :kid WHERE")

Sealer = Callable[[AuditEntry, str], None]


async def as_intruder(session: AsyncSession, *statements: tuple[str, dict[str, Any]]) -> None:
    """Run ``statements`` as someone with direct access to the database."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for table in AUDIT_TABLES if postgres else ():
        await session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    for sql, params in statements:
        await session.execute(text(sql), params)
    for table in AUDIT_TABLES if postgres else ():
        await session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    await session.commit()


def plain_sha256(*, keep_kid: bool = True) -> Sealer:
    """The intruder's rehash without any secret: SHA-256 of the entry's fields and link, as
    the chain was hashed before audit keys (optionally posing as such an unkeyed entry)."""
    names = "actor_id actor_role action resource_type resource_id region_code changes request_id"

    def seal(entry: AuditEntry, prev: str) -> None:
        fields = {name: getattr(entry, name) for name in names.split()}
        fields |= {"prev": prev, "at": entry.at.isoformat()}
        canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        entry.prev_hash, entry.hash = prev, hashlib.sha256(canonical.encode()).hexdigest()
        entry.kid = entry.kid if keep_kid else None

    return seal


def keyed(secret: str, kid: str = "audit-2026") -> Sealer:
    """The intruder's rehash with the app's own code and a key: a guess, or the real one."""

    def seal(entry: AuditEntry, prev: str) -> None:
        from app.core.keys import KeyRing
        from app.services.audit.chain import AuditKeys
        from app.services.audit.chain import seal as app_seal

        ring = KeyRing(active_kid=kid, keys={kid: secret.encode()})
        app_seal(entry, prev=prev, audit_keys=AuditKeys.from_ring(ring))

    return seal


async def rewrite(
    session: AsyncSession, *, start: int, sealer: Sealer, forge: bool = True
) -> list[int]:
    """Forge the ``start``-th entry (0-based) and relink and rehash it and every entry after
    it with ``sealer``; the ids rewritten, oldest first."""
    entries = (await audit_entries(session))[start:]
    if forge:
        entries[0].changes = FORGED
    prev, statements = entries[0].prev_hash, []
    for entry in entries:
        kid = entry.kid
        sealer(entry, prev)
        prev = entry.hash
        statements.append(
            (
                REHASH_AND_KID if entry.kid != kid else REHASH,
                {
                    "changes": json.dumps(entry.changes) if entry.changes else None,
                    "prev": entry.prev_hash,
                    "hash": entry.hash,
                    "kid": entry.kid,
                    "id": entry.id,
                },
            )
        )
    await as_intruder(session, *statements)
    return [e.id for e in entries if e.id is not None]


async def delete_newest(session: AsyncSession, count: int, *, checkpoints: bool = False) -> None:
    """Delete the newest ``count`` entries (and every stored checkpoint, if told)."""
    ids = [e.id for e in await audit_entries(session)][-count:]
    doomed = [("DELETE FROM audit_entries WHERE id = :id", {"id": i}) for i in ids]
    if checkpoints:
        doomed.append(("DELETE FROM audit_checkpoints", {}))
    await as_intruder(session, *doomed)


async def history(factory: Factory, users: int = 4) -> AsyncClient:
    """A signed-in auditor of the whole district, and a few more entries in the chain."""
    auditor = await factory.as_role("auditor")
    for n in range(users):
        await factory.user("caseworker", username=f"anchor.{n}")
    return auditor


async def checkpoint(c: AsyncClient) -> dict[str, Any]:
    r = await c.post(CHECKPOINTS)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def verify(c: AsyncClient, *tokens: str) -> dict[str, Any]:
    r = await c.get(VERIFY, params={"checkpoint": list(tokens)} if tokens else None)
    assert r.status_code == 200, r.text
    report: dict[str, Any] = r.json()
    return report


def verdict(report: dict[str, Any]) -> tuple[Any, ...]:
    return pick(report, "valid", "reason", "first_broken_id")


class TestDeletingTheNewestEntries:
    async def test_is_reported_against_the_stored_checkpoint(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        auditor = await history(factory)
        made = await checkpoint(auditor)
        await delete_newest(session, 2)
        report = await verify(auditor)
        assert verdict(report) == (False, "truncated", None)
        assert pick(report["broken_checkpoint"], "source", "id", "entries") == (
            "stored",
            made["id"],
            made["entries"],
        )
        assert report["entries_checked"] == made["entries"] - 2

    async def test_an_auditors_token_tells_even_when_the_checkpoints_are_deleted_too(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        auditor = await history(factory)
        kept = (await checkpoint(auditor))["token"]
        await delete_newest(session, 2, checkpoints=True)
        # The database alone no longer shows it: that is what the token outside it is for.
        assert verdict(await verify(auditor)) == (True, None, None)
        report = await verify(auditor, kept)
        assert verdict(report) == (False, "truncated", None)
        assert report["broken_checkpoint"]["source"] == "token"

    async def test_and_writing_on_past_the_cut_does_not_hide_it(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        auditor = await history(factory)
        kept = (await checkpoint(auditor))["token"]
        await delete_newest(session, 3, checkpoints=True)
        for n in range(4):
            await factory.user("caseworker", username=f"after.cut.{n}")
        report = await verify(auditor, kept)
        assert pick(report, "valid", "reason") == (False, "checkpoint_mismatch")
        assert report["first_broken_id"] is not None

    async def test_automatic_checkpoints_catch_it_without_anyone_asking(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JOBPATH_AUDIT_CHECKPOINT_EVERY", "3")
        get_settings.cache_clear()
        auditor = await history(factory, users=7)
        await delete_newest(session, 4)
        report = await verify(auditor)
        assert verdict(report) == (False, "truncated", None)
        assert report["checkpoints_checked"] >= 1


class TestRewritingAnEntry:
    @pytest.mark.parametrize(
        "sealer",
        [
            pytest.param(plain_sha256(), id="rehashed with plain SHA-256"),
            pytest.param(plain_sha256(keep_kid=False), id="posing as an unkeyed entry"),
            pytest.param(keyed("t" * 48), id="rehashed with a guessed key (the JWT key)"),
            pytest.param(keyed("a" * 47), id="rehashed with a near-miss key"),
        ],
    )
    async def test_and_rehashing_everything_after_it_is_found_at_that_entry(
        self, factory: Factory, session: AsyncSession, sealer: Sealer
    ) -> None:
        auditor = await history(factory)
        victim = (await rewrite(session, start=2, sealer=sealer))[0]
        report = await verify(auditor)
        assert report["valid"] is False
        assert report["first_broken_id"] == victim
        assert report["reason"] in {"hash_mismatch", "unsealed"}
        assert report["entries_checked"] == 2

    async def test_with_the_apps_own_key_the_links_hold_but_an_auditors_token_does_not(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        """The residual risk: someone holding the database and the key re-seals a rewrite
        undetectably by the database alone; a head published before it still tells."""
        auditor = await history(factory)
        kept = (await checkpoint(auditor))["token"]
        await rewrite(session, start=2, sealer=keyed("a" * 48))
        await as_intruder(session, ("DELETE FROM audit_checkpoints", {}))
        assert verdict(await verify(auditor)) == (True, None, None)
        report = await verify(auditor, kept)
        assert pick(report, "valid", "reason") == (False, "checkpoint_mismatch")


def _tamper(token: str, **claims: Any) -> str:
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = json.dumps(decoded | claims, sort_keys=True, separators=(",", ":")).encode()
    return f"{header}.{base64.urlsafe_b64encode(changed).rstrip(b'=').decode()}.{signature}"


def _resigned(token: str, secret: bytes, **header: Any) -> str:
    import hmac

    old_header, payload, _ = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(old_header + "=" * (-len(old_header) % 4)))
    encoded = base64.urlsafe_b64encode(json.dumps(decoded | header).encode()).rstrip(b"=")
    signing_input = f"{encoded.decode()}.{payload}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


class TestCheckpointTokens:
    @pytest.mark.parametrize(
        "forge",
        [
            pytest.param(lambda t: _tamper(t, entries=1), id="a smaller count, same signature"),
            pytest.param(lambda t: _tamper(t, last_hash="f" * 64), id="another head hash"),
            pytest.param(lambda t: _resigned(t, b"a" * 48), id="signed with a guessed key"),
            pytest.param(lambda t: _resigned(t, b"", alg="none"), id="alg none"),
            pytest.param(lambda t: _resigned(t, b"x", kid="nobody"), id="an unknown key id"),
            pytest.param(lambda t: t.rsplit(".", 1)[0] + ".", id="no signature"),
            pytest.param(lambda t: "not-a-token", id="garbage"),
        ],
    )
    async def test_a_forged_or_altered_token_is_refused_with_a_problem(
        self, factory: Factory, forge: Callable[[str], str]
    ) -> None:
        auditor = await history(factory, users=1)
        token = (await checkpoint(auditor))["token"]
        refused = await auditor.get(VERIFY, params={"checkpoint": forge(token)})
        body = problem(refused, 422, "invalid_checkpoint")
        assert token.split(".")[2] not in body["detail"]

    async def test_a_stored_checkpoint_altered_in_the_database_is_reported(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        auditor = await history(factory)
        made = await checkpoint(auditor)
        shrink = "UPDATE audit_checkpoints SET entries = entries - 1 WHERE id = :id"
        await as_intruder(session, (shrink, {"id": made["id"]}))
        report = await verify(auditor)
        assert pick(report, "valid", "reason") == (False, "checkpoint_forged")
        assert report["broken_checkpoint"]["id"] == made["id"]

    async def test_a_kept_token_still_verifies_after_more_is_written(
        self, factory: Factory
    ) -> None:
        auditor = await history(factory)
        first = await checkpoint(auditor)
        await factory.user("caseworker", username="later.one")
        second = await checkpoint(auditor)
        assert second["entries"] > first["entries"]
        report = await verify(auditor, first["token"], second["token"])
        assert verdict(report) == (True, None, None)
        assert report["checkpoints_checked"] == 4  # two stored, two tokens
        assert report["latest_checkpoint"]["entries"] == second["entries"]


class TestMakingCheckpoints:
    @pytest.mark.parametrize("role", ["caseworker", "employer"])
    async def test_only_auditors_and_admins_may(self, factory: Factory, role: str) -> None:
        problem(await (await factory.as_role(role)).post(CHECKPOINTS), 403, "forbidden")
        problem(await factory.client().post(CHECKPOINTS), 401, "unauthorized")

    async def test_a_township_auditor_gets_the_whole_chains_head_and_it_is_audited(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        await history(factory)
        auditor = await factory.as_role("auditor", region=QIJI)
        made = await checkpoint(auditor)
        entries = await audit_entries(session)
        assert pick(made, "entries", "last_entry_id", "last_hash") == (
            len(entries),
            entries[-1].id,
            entries[-1].hash,
        )
        assert (entries[-1].action, entries[-1].actor_role) == ("audit_log.checkpoint", "auditor")
        again = await checkpoint(await factory.as_role("admin"))
        # Since: the admin's creation and sign-in, and this checkpoint's own entry.
        assert again["entries"] == made["entries"] + 3
        assert verdict(await verify(auditor, made["token"], again["token"])) == (True, None, None)

    async def test_nothing_new_since_hands_back_the_same_checkpoint(self, factory: Factory) -> None:
        auditor = await history(factory, users=1)
        first, second = await checkpoint(auditor), await checkpoint(auditor)
        assert second == first

    async def test_each_is_published_on_the_audit_logger_with_its_token(
        self, factory: Factory
    ) -> None:
        auditor = await history(factory, users=1)
        with captured("jobpath.audit") as lines:
            made = await checkpoint(auditor)
        [line] = [r for r in lines if r.getMessage() == "audit checkpoint"]
        assert pick(vars(line), "checkpoint_id", "entries", "token") == pick(
            made, "id", "entries", "token"
        )

    async def test_cron_makes_one_with_jobpath_audit_checkpoint(
        self, factory: Factory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        auditor = await history(factory, users=1)
        result = await jobpath(monkeypatch, "audit-checkpoint")
        assert result.exit_code == 0, result.output
        made = json.loads(result.output)
        assert verdict(await verify(auditor, made["token"])) == (True, None, None)
        again = json.loads((await jobpath(monkeypatch, "audit-checkpoint")).output)
        assert again == made


class TestTheKeySettings:
    def test_production_refuses_to_start_without_audit_keys(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("JOBPATH_AUDIT_KEYS")
        with pytest.raises(ValidationError, match="JOBPATH_AUDIT_KEYS must be set in production"):
            Settings(environment="production", audit_active_kid=None)

    @pytest.mark.parametrize(
        ("ring", "refusal"),
        [
            ({"audit-2026": "too short"}, "shorter than 32 characters"),
            ({"a kid with spaces": "k" * 48}, "is not 1-32 letters"),
        ],
    )
    def test_production_refuses_short_or_misnamed_audit_keys(
        self, ring: dict[str, str], refusal: str
    ) -> None:
        with pytest.raises(ValidationError, match=refusal):
            Settings(environment="production", audit_keys=ring)

    def test_the_active_kid_must_name_a_key(self) -> None:
        with pytest.raises(ValidationError, match="JOBPATH_AUDIT_ACTIVE_KID names no key"):
            Settings(audit_active_kid="audit-1999")


class TestKeyRotation:
    async def test_old_entries_still_verify_and_the_report_says_which_key_sealed_what(
        self, factory: Factory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        auditor = await history(factory, users=2)
        before = await checkpoint(auditor)
        rotate(monkeypatch, {"audit-2026": "a" * 48, "audit-2027": "c" * 48}, "audit-2027")
        for n in range(2):
            await factory.user("caseworker", username=f"rotated.{n}")
        report = await verify(auditor, before["token"])
        assert verdict(report) == (True, None, None)
        old, new = report["keys"]
        assert (old["kid"], old["last_entry_id"]) == ("audit-2026", before["last_entry_id"])
        assert (new["kid"], new["first_entry_id"]) == ("audit-2027", old["last_entry_id"] + 1)
        assert (await checkpoint(auditor))["kid"] == "audit-2027"

    async def test_a_key_dropped_from_the_ring_leaves_its_entries_unverifiable(
        self, factory: Factory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        auditor = await history(factory, users=1)
        rotate(monkeypatch, {"audit-2027": "c" * 48}, "audit-2027")
        report = await verify(auditor)
        assert verdict(report) == (False, "unknown_key", 1)


class TestTheUpgrade:
    async def test_migrate_seals_a_chain_written_before_audit_keys_once(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        auditor = await history(factory)
        await as_before_audit_keys(session)
        # Until the upgrade seals it, no unkeyed entry is accepted.
        assert verdict(await verify(auditor)) == (False, "unsealed", 1)
        with captured("jobpath.audit") as lines:
            result = await jobpath(monkeypatch, "migrate")
        assert result.exit_code == 0, result.output
        assert "Sealed" in result.output
        assert "legacy audit chain sealed" in [r.getMessage() for r in lines]
        report = await verify(auditor)
        assert verdict(report) == (True, None, None)
        assert [k["kid"] for k in report["keys"]] == ["audit-2026"]
        assert report["checkpoints_checked"] == 1
        again = await jobpath(monkeypatch, "migrate")
        assert (again.exit_code, "Sealed" in again.output) == (0, False)

    async def test_an_unkeyed_entry_after_the_upgrade_is_refused_and_never_resealed(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        auditor = await history(factory)
        victim = (await rewrite(session, start=2, sealer=plain_sha256(keep_kid=False)))[0]
        assert verdict(await verify(auditor)) == (False, "unsealed", victim)
        assert (await jobpath(monkeypatch, "migrate")).exit_code == 0
        assert verdict(await verify(auditor)) == (False, "unsealed", victim)

    async def test_a_broken_chain_from_before_is_not_sealed_and_migrate_says_where(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        auditor = await history(factory)
        await as_before_audit_keys(session)
        await rewrite(session, start=3, sealer=lambda entry, prev: None)  # content only
        result = await jobpath(monkeypatch, "migrate")
        assert result.exit_code == 1
        assert "broken at entry 4" in result.output
        assert verdict(await verify(auditor)) == (False, "unsealed", 1)

    async def test_a_chain_made_to_look_unsealed_and_resealed_fails_a_token_kept_before(
        self, factory: Factory, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An intruder rewrites the chain as if written before audit keys and waits for the
        next `jobpath migrate` to seal it: the log says so, and a token kept before says no."""
        auditor = await history(factory)
        kept = (await checkpoint(auditor))["token"]
        await rewrite(session, start=2, sealer=plain_sha256(keep_kid=False))
        await as_before_audit_keys(session)
        assert (await jobpath(monkeypatch, "migrate")).exit_code == 0
        assert verdict(await verify(auditor)) == (True, None, None)
        assert pick(await verify(auditor, kept), "valid", "reason") == (
            False,
            "checkpoint_mismatch",
        )


@pytest.mark.postgres_only
class TestTheTriggers:
    async def test_refuse_every_change_but_sealing_an_unkeyed_entry_as_it_is(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        auditor = await history(factory, users=1)
        await checkpoint(auditor)
        unkeyed = await session.scalar(
            text(
                "INSERT INTO audit_entries (at, action, resource_type, resource_id, prev_hash, "
                "hash) VALUES (now(), 'x', 'y', '1', 'p', 'h') RETURNING id"
            )
        )
        await session.commit()
        for statement in (
            "UPDATE audit_checkpoints SET entries = entries - 1",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_entries SET kid = 'audit-2026', action = 'z' WHERE id = :id",
            "UPDATE audit_entries SET kid = NULL WHERE id <> :id",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement), {"id": unkeyed})
            await session.rollback()
        seal = "UPDATE audit_entries SET kid = 'audit-2026', hash = 'sealed' WHERE id = :id"
        await session.execute(text(seal), {"id": unkeyed})
        await session.commit()


async def as_before_audit_keys(session: AsyncSession) -> None:
    """Turn the whole chain into one as written before audit keys: unkeyed SHA-256 links and
    no checkpoints (the state of a database that has not been upgraded)."""
    await rewrite(session, start=0, sealer=plain_sha256(keep_kid=False), forge=False)
    await as_intruder(session, ("DELETE FROM audit_checkpoints", {}))


async def jobpath(monkeypatch: pytest.MonkeyPatch, command: str) -> Result:
    """`jobpath <command>` against the test database, as an operator (or cron) runs it."""
    monkeypatch.setenv("JOBPATH_DATABASE_URL", TEST_URL)
    get_settings.cache_clear()
    return await asyncio.to_thread(CliRunner().invoke, cli, [command])


def rotate(monkeypatch: pytest.MonkeyPatch, ring: dict[str, str], active: str) -> None:
    monkeypatch.setenv("JOBPATH_AUDIT_KEYS", json.dumps(ring))
    monkeypatch.setenv("JOBPATH_AUDIT_ACTIVE_KID", active)
    get_settings.cache_clear()


@contextlib.contextmanager
def captured(name: str) -> Iterator[list[logging.LogRecord]]:
    """The log records of logger ``name`` inside the block."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign,assignment]
    logging.getLogger(name).addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger(name).removeHandler(handler)
