"""The demo data a fresh `./scripts/start` shows: the district, its users, a few households and
labourers, the workshop's vacancy — each user seeing what their role and scope allow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli import migrate_to_head
from app.main import create_app
from app.services import demo
from tests.conftest import _settings

PASSWORD = "demo password for the test"


@pytest.fixture
async def demo_client(tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """An app on a new, empty SQLite database that the demo seed filled."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    await anyio.to_thread.run_sync(migrate_to_head, url)  # it runs its own event loop
    app = create_app(_settings(url))
    async with app.state.db.sessionmaker() as session:
        result = await demo.seed(session, password=PASSWORD)
        assert result.created
        again = await demo.seed(session, password=PASSWORD)
        assert not again.created  # a second start adds nothing
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://demo") as client:
        yield client
    await app.state.db.dispose()


async def signed_in(client: AsyncClient, username: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_each_demo_user_sees_the_demo_district_as_their_role_allows(
    demo_client: AsyncClient,
) -> None:
    caseworker = await signed_in(demo_client, "caseworker")
    theirs = (await demo_client.get("/api/v1/workers", headers=caseworker)).json()["items"]
    assert {w["full_name"] for w in theirs} == {
        "许桂英", "许大明", "王秀兰", "祁建国", "祁小燕", "郑伟",
    }  # fmt: skip
    assert all(w["region_code"].startswith("340406107") for w in theirs)
    admin = await signed_in(demo_client, "admin")
    everyone = (await demo_client.get("/api/v1/workers", headers=admin)).json()["items"]
    assert len(everyone) == 7  # 马红梅 of 平圩镇 too
    employer = await signed_in(demo_client, "employer")
    posted = (await demo_client.get("/api/v1/vacancies", headers=employer)).json()["items"]
    assert [v["title"] for v in posted] == ["缝纫工"]
    auditor = await signed_in(demo_client, "auditor")
    verified = (await demo_client.get("/api/v1/audit-log/verify", headers=auditor)).json()
    assert verified["valid"] is True


async def test_every_role_finds_work_in_progress(demo_client: AsyncClient) -> None:
    """The auditor sees claims at several points of review, the employer a referral to the
    workshop's vacancy and a hire, the caseworker of 祁集镇 the hire's follow-ups — made
    through the services, so the audit chain records them."""
    auditor = await signed_in(demo_client, "auditor")
    claims = (await demo_client.get("/api/v1/claims", headers=auditor)).json()["items"]
    assert sorted(c["status"] for c in claims) == ["approved", "draft", "submitted"]
    assert {c["policy_code"] for c in claims} == {"skills_training"}
    assert all(c["amount_fen"] == 80_000 for c in claims)
    [approved] = [c for c in claims if c["status"] == "approved"]
    assert approved["notice_ends_on"] is not None  # in public notice
    history = await demo_client.get(f"/api/v1/claims/{approved['id']}/history", headers=auditor)
    assert [e["action"] for e in history.json()][:3] == [
        "claim.create", "claim.submit", "claim.approve",
    ]  # fmt: skip

    employer = await signed_in(demo_client, "employer")
    referred = (await demo_client.get("/api/v1/referrals", headers=employer)).json()["items"]
    assert sorted(r["status"] for r in referred) == ["hired", "referred"]

    caseworker = await signed_in(demo_client, "caseworker")
    follow_ups = (await demo_client.get("/api/v1/follow-ups", headers=caseworker)).json()
    due = [f for f in follow_ups["items"] if f["status"] == "due"]
    assert due
    assert all(f["region_code"].startswith("340406107") for f in due)
    # One is overdue today: 许大明's one-month check of the job he took 40 days ago, recorded
    # after the admin brought in his history (registered last year, a past job).
    today = datetime.now(UTC).date()
    assert any(date.fromisoformat(f["due_date"]) < today for f in due)
    backfilled = (
        await demo_client.get(
            "/api/v1/audit-log", headers=auditor, params={"action": "employment.backfill"}
        )
    ).json()
    assert len(backfilled["items"]) == 1
    returned = (await demo_client.get("/api/v1/claims", headers=caseworker)).json()["items"]
    assert "draft" in {c["status"] for c in returned}  # back for correction

    admin = await signed_in(demo_client, "admin")
    policies = (await demo_client.get("/api/v1/subsidy-policies", headers=admin)).json()
    assert len(policies["items"]) == 5


async def test_a_weak_demo_password_adds_nothing_and_says_why(
    monkeypatch: pytest.MonkeyPatch, database_url: str, session: AsyncSession
) -> None:
    """`jobpath seed-demo` (and `serve`) with JOBPATH_DEMO_PASSWORD=aaaaaaaaaaaa: a sentence
    and exit status 1, not a traceback, and no user written."""
    from pydantic import SecretStr
    from sqlalchemy import func, select
    from typer.testing import CliRunner

    from app import cli as cli_module
    from app.core.config import get_settings
    from app.models import User

    settings = get_settings().model_copy(
        update={"database_url": database_url, "demo_password": SecretStr("aaaaaaaaaaaa")}
    )
    monkeypatch.setattr(cli_module, "get_settings", lambda: settings)
    result = await anyio.to_thread.run_sync(
        lambda: CliRunner().invoke(cli_module.cli, ["seed-demo"])
    )
    assert result.exit_code == 1, result.output
    assert "Demo data not added" in result.stderr
    assert "Traceback" not in result.output
    assert "aaaaaaaaaaaa" not in result.output
    assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_the_production_recipe_adds_a_district_and_its_first_admin(
    monkeypatch: pytest.MonkeyPatch, database_url: str, session: AsyncSession
) -> None:
    """README: `jobpath add-region CODE NAME --level district`, then `jobpath create-user …
    --region CODE` — on a database with no such region yet; a code taken twice is refused."""
    from sqlalchemy import func, select
    from sqlmodel import col
    from typer.testing import CliRunner

    from app import cli as cli_module
    from app.core.config import get_settings
    from app.models import AuditEntry, User

    settings = get_settings().model_copy(update={"database_url": database_url})
    monkeypatch.setattr(cli_module, "get_settings", lambda: settings)

    async def run(*args: str) -> Any:
        return await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli_module.cli, args))

    added = await run("add-region", "340421", "凤台县", "--level", "district")
    assert added.exit_code == 0, added.output
    admin = await run("create-user", "fengtai", "--role", "admin", "--full-name", "县就业局",
                      "--region", "340421", "--password", "Lantern-quarry-harbor-97")  # fmt: skip
    assert admin.exit_code == 0, admin.output
    again = await run("add-region", "340421", "凤台县", "--level", "district")
    assert again.exit_code == 1
    assert "Not added" in again.stderr
    assert await session.scalar(select(func.count()).select_from(User)) == 1
    audited = await session.scalar(
        select(func.count()).where(
            col(AuditEntry.action) == "region.create", col(AuditEntry.resource_id) == "340421"
        )
    )
    assert audited == 1
