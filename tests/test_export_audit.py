"""Every export is audited: who pulled which claims (format, filters, how many matched and
the highest claim id, which bounds the file) and who pulled the statistics report — committed
before the first byte, and readable by the auditors of the region it covers."""

from __future__ import annotations

import csv
import io
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database
from app.models import AuditEntry
from app.models.base import programme_today
from app.services import auth, claims, claims_export
from tests.factories import (
    PINGWEI,
    QIJI,
    XUGANG,
    Factory,
    audit_entries,
    claim_body,
    file_claim,
    hired,
    new_policy,
    signed_in,
)

CLAIMS = "/api/v1/claims"
AUDIT = "/api/v1/audit-log"
REPORT = "/api/v1/stats/overview.xlsx"


async def _drafts(factory: Factory, n: int, *, first: bool = True) -> list[int]:
    """``n`` draft claims of workers of 许岗村 (祁集镇), the policy added ``first``; their
    ids, oldest first."""
    if first:
        await new_policy(await factory.as_role("admin"), "on_job_training")
    ids = []
    for _ in range(n):
        job = await hired(factory)
        ids.append((await file_claim(job.boss, claim_body(job)))["id"])
    return ids


async def _entries(c: AsyncClient, action: str) -> list[dict[str, Any]]:
    r = await c.get(AUDIT, params={"action": action})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_an_auditor_of_a_township_reads_who_exported_its_claims(factory: Factory) -> None:
    ids = await _drafts(factory, 2)
    user, auditor = await signed_in(factory, "auditor", region=QIJI)
    for fmt in ("csv", "xlsx"):
        r = await auditor.get(f"{CLAIMS}/export", params={"format": fmt, "status": "draft"})
        assert r.status_code == 200, r.text
    r = await auditor.get(f"{CLAIMS}/export", params={"region": XUGANG, "policy_code": "none"})
    assert r.status_code == 200, r.text
    empty, xlsx, csv_ = await _entries(auditor, "claim.export")  # newest first
    assert (csv_["actor_id"], csv_["actor_role"], csv_["region_code"]) == (
        user.id, "auditor", QIJI
    )  # fmt: skip
    assert csv_["changes"]["_note"] == {
        "format": "csv", "filters": {"status": "draft"}, "claims": 2, "highest_claim_id": ids[1],
    }  # fmt: skip
    assert xlsx["changes"]["_note"]["format"] == "xlsx"
    assert empty["region_code"] == XUGANG
    assert empty["changes"]["_note"] == {
        "format": "csv", "filters": {"region": XUGANG, "policy_code": "none"}, "claims": 0,
        "highest_claim_id": None,
    }  # fmt: skip
    # Another township's auditor does not read them; the district's admin does.
    elsewhere = await factory.as_role("auditor", region=PINGWEI)
    assert await _entries(elsewhere, "claim.export") == []
    assert len(await _entries(await factory.as_role("admin"), "claim.export")) == 3


async def test_the_entry_is_committed_before_the_first_byte_and_bounds_the_file(
    factory: Factory, db: Database, session: AsyncSession
) -> None:
    ids = await _drafts(factory, 2)
    user, _ = await signed_in(factory, "auditor")
    actor = await auth.actor_for_token(
        session, (await factory.login(user.username))["access_token"]
    )
    await session.rollback()
    async with db.sessionmaker() as own:
        download = await claims_export.export(
            own, db=db, actor=actor, filters=claims.ClaimFilters(), format="csv"
        )
    [entry] = await audit_entries(session, action="claim.export")
    assert isinstance(entry, AuditEntry)
    assert entry.actor_id == user.id
    later = (await _drafts(factory, 1, first=False))[0]  # filed while the file is about to stream
    body = b"".join([chunk async for chunk in download.chunks]).decode("utf-8-sig")
    listed = [int(row["claim_id"]) for row in csv.DictReader(io.StringIO(body))]
    assert listed == ids
    assert later not in listed
    assert entry.changes == {"_note": {"format": "csv", "filters": {}, "claims": 2,
                                       "highest_claim_id": ids[1]}}  # fmt: skip


async def test_the_stats_report_is_audited(factory: Factory) -> None:
    user, auditor = await signed_in(factory, "auditor", region=QIJI)
    r = await auditor.get(REPORT, params={"year": 2026})
    assert r.status_code == 200, r.text
    cw = await factory.as_role("caseworker", region=QIJI)
    assert (await cw.get(REPORT, params={"year": 2025})).status_code == 200
    by_cw, mine = await _entries(auditor, "stats.report")
    assert (mine["actor_id"], mine["resource_type"], mine["resource_id"]) == (
        user.id, "region", QIJI
    )  # fmt: skip
    assert mine["region_code"] == QIJI
    assert mine["changes"]["_note"] == {"format": "xlsx", "year": 2026,
                                        "as_of": programme_today().isoformat()}  # fmt: skip
    assert (by_cw["actor_role"], by_cw["changes"]["_note"]["year"]) == ("caseworker", 2025)


async def test_an_export_filtered_by_dates_is_audited_with_them(factory: Factory) -> None:
    """The period filters are dates: they reach the audit entry as ISO text (this once
    answered 500, the chain's JSON refusing a date)."""
    await _drafts(factory, 1)
    auditor = await factory.as_role("auditor", region=QIJI)
    window = {"period_from": "2020-01-01", "period_to": "2099-12-31"}
    r = await auditor.get(f"{CLAIMS}/export", params={"format": "csv", **window})
    assert r.status_code == 200, r.text
    [entry] = await _entries(auditor, "claim.export")
    assert entry["changes"]["_note"]["filters"] == window
