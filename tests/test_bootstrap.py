"""Day one of a county, from the README's production recipe: `jobpath migrate` then `jobpath
init` on an empty database loads the district's divisions from a sourced file, installs the
five default subsidy policies and creates the first admin — once, however often it is run; a
malformed file is refused whole; `jobpath migrate` alone installs the policies once the
district exists."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlmodel import col
from typer.testing import CliRunner, Result

from app import cli as cli_module
from app.cli import migrate_to_head
from app.core.config import get_settings
from app.core.db import Database
from app.main import create_app
from app.models import AuditEntry, Region, SubsidyPolicy, User
from app.services import divisions
from tests.conftest import IS_POSTGRES, POSTGRES_URL, _settings

PASSWORD = "Lantern-quarry-harbor-97"
BUNDLED = divisions.parse(divisions.bundled_text(), source="bundled")
# A district's file in the documented format, with villages (codes made up for the test).
FENGTAI = """\
# 凤台县 — a test file in the format of docs/divisions.md
code,name,level,parent_code
340421000000,凤台县,district,
340421100000,城关镇,township,340421000000
340421100201,东门村,village,340421100000
340421100202,西门村,village,340421100
340421101000,岳张集镇,township,340421000000
340421101201,岳张集村,village,340421101000
"""


# An empty, migrated database of the kind under test for each test: a copy of one migrated
# per module (a file for SQLite, a template database for PostgreSQL).


@pytest.fixture(scope="module")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not IS_POSTGRES:
        path = tmp_path_factory.mktemp("bootstrap") / "template.db"
        migrate_to_head(f"sqlite+aiosqlite:///{path}")
        yield str(path)
        return
    name = POSTGRES_URL.rsplit("/", 1)[1] + "_bootstrap_template"
    anyio.run(_recreate, name, None)
    migrate_to_head(f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}")
    yield name
    anyio.run(_drop, name)


async def _admin_sql(*statements: str) -> None:
    admin = create_async_engine(
        f"{POSTGRES_URL.rsplit('/', 1)[0]}/postgres", isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await admin.dispose()


async def _recreate(name: str, template: str | None) -> None:
    copy = f' TEMPLATE "{template}"' if template else ""
    await _admin_sql(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"{copy}')


async def _drop(name: str) -> None:
    await _admin_sql(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture
async def empty_url(empty_template: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty migrated database; `jobpath` commands run against it (its
    environment names it) while the test lasts."""
    if IS_POSTGRES:
        name = POSTGRES_URL.rsplit("/", 1)[1] + "_bootstrap"
        await _recreate(name, empty_template)
        url = f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    else:
        shutil.copyfile(empty_template, tmp_path / "empty.db")
        url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    with _environment(url):
        yield url
    if IS_POSTGRES:
        await _drop(name)


class _environment:
    """JOBPATH_DATABASE_URL set to ``url`` (and no admin password) for the block."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for key, value in (("JOBPATH_DATABASE_URL", self.url), ("JOBPATH_ADMIN_PASSWORD", None)):
            self.saved[key] = os.environ.get(key)
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()

    def __exit__(self, *_: object) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


async def jobpath(*args: str, input: str | None = None) -> Result:
    """Run `jobpath ARGS` as the README does (in a thread: it runs its own event loop)."""
    return await anyio.to_thread.run_sync(
        lambda: CliRunner().invoke(cli_module.cli, list(args), input=input)
    )


async def counts(url: str) -> dict[str, int]:
    db = Database.from_settings(_settings(url))
    async with db.sessionmaker() as session:
        found = {
            name: await session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (("regions", Region), ("policies", SubsidyPolicy),
                                ("users", User), ("audit", AuditEntry))
        }  # fmt: skip
    await db.engine.dispose()
    return found


async def on_database(url: str) -> tuple[Database, AsyncSession]:
    db = Database.from_settings(_settings(url))
    return db, db.sessionmaker()


def password_file(tmp_path: Path, secret: str = PASSWORD) -> str:
    path = tmp_path / "admin-password"
    path.write_text(secret + "\n", encoding="utf-8")
    return str(path)


async def signed_in_client(url: str, username: str) -> tuple[AsyncClient, dict[str, str], Any]:
    app = create_app(_settings(url))
    client = AsyncClient(transport=ASGITransport(app=app), base_url="http://init")
    r = await client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client, {"Authorization": f"Bearer {r.json()['access_token']}"}, app


class TestInitOnAnEmptyDatabase:
    async def test_loads_the_district_installs_the_policies_and_creates_the_admin(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        result = await jobpath("init", "--full-name", "区就业局",
                               "--password-file", password_file(tmp_path))  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "12 added (1 district, 11 township)" in result.output
        assert PASSWORD not in result.output
        db, session = await on_database(empty_url)
        async with session:
            tree = {r.code: r for r in await session.scalars(select(Region))}
        await db.engine.dispose()
        assert set(tree) == {row.code for row in BUNDLED.rows}
        district = tree["340406"]
        assert (district.name, district.level, district.parent_code) == ("潘集区", "district", None)
        townships = {c: r for c, r in tree.items() if r.level == "township"}
        assert {r.name for r in townships.values()} == {
            "田集街道", "高皇镇", "平圩镇", "泥河镇", "潘集镇", "芦集镇", "架河镇", "夹沟镇",
            "祁集镇", "贺疃镇", "古沟回族乡",
        }  # fmt: skip
        assert all(r.parent_code == "340406" and r.path == f"340406/{c}/"
                   for c, r in townships.items())  # fmt: skip
        assert (tree["340406107"].name, tree["340406202"].name) == ("祁集镇", "古沟回族乡")

        client, admin, app = await signed_in_client(empty_url, "admin")
        me = (await client.get("/api/v1/auth/me", headers=admin)).json()
        assert (me["role"], me["region_code"], me["full_name"]) == ("admin", "340406", "区就业局")
        policies = (await client.get("/api/v1/subsidy-policies", headers=admin)).json()["items"]
        await client.aclose()
        await app.state.db.dispose()
        by_code = {p["code"]: p for p in policies}
        assert set(by_code) == {"on_job_training", "job_seeking_once", "skills_training",
                                "assistance_post", "workshop_absorption"}  # fmt: skip
        # SPEC §2: 500 yuan a month for up to 6 months; 200–600 yuan once by distance;
        # 1,000 yuan for a labourer kept 6 months by a workshop.
        training = by_code["on_job_training"]
        assert (training["payee"], training["amount_fen"], training["unit"],
                training["max_units"]) == ("employer", 50_000, "per_month", 6)  # fmt: skip
        seeking = by_code["job_seeking_once"]
        assert (seeking["payee"], seeking["unit"]) == ("worker", "once")
        assert seeking["conditions"]["amounts_by_distance"] == {
            "in_province": 20_000, "out_of_province": 60_000,
        }  # fmt: skip
        workshop = by_code["workshop_absorption"]
        assert (workshop["payee"], workshop["amount_fen"], workshop["unit"]) == (
            "employer", 100_000, "once",
        )  # fmt: skip
        assert workshop["conditions"]["employer_kinds"] == ["workshop"]
        assert workshop["conditions"]["min_employment_days"] == 180
        assert by_code["assistance_post"]["unit"] == "per_month"
        assert by_code["skills_training"]["unit"] == "once"
        assert {p["region_code"] for p in policies} == {"340406"}

    async def test_is_audited_as_a_system_action(self, empty_url: str, tmp_path: Path) -> None:
        result = await jobpath("init", "--password-file", password_file(tmp_path))
        assert result.exit_code == 0, result.output
        db, session = await on_database(empty_url)
        async with session:
            rows = (await session.execute(
                select(col(AuditEntry.action), func.count())
                .where(col(AuditEntry.actor_id).is_(None))
                .group_by(col(AuditEntry.action))
            )).all()  # fmt: skip
        await db.engine.dispose()
        assert dict(rows) == {"region.create": 12, "policy.create": 5, "user.create": 1}

    async def test_running_it_again_changes_nothing_and_says_so(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        first = await jobpath("init", "--password-file", password_file(tmp_path))
        assert first.exit_code == 0, first.output
        before = await counts(empty_url)
        # No password is asked for: the admin exists.
        again = await jobpath("init")
        assert again.exit_code == 0, again.output
        assert "Nothing changed" in again.output
        assert "none added" in again.output
        assert "already there; left as they are" in again.output
        assert "admin exists" in again.output.lower()
        assert await counts(empty_url) == before

    async def test_never_overwrites_an_admins_change_to_a_policy(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        assert (await jobpath("init", "--password-file", password_file(tmp_path))).exit_code == 0
        client, admin, app = await signed_in_client(empty_url, "admin")
        policies = (await client.get("/api/v1/subsidy-policies", headers=admin)).json()["items"]
        [post] = [p for p in policies if p["code"] == "assistance_post"]
        r = await client.patch(
            f"/api/v1/subsidy-policies/{post['id']}",
            json={"amount_fen": 70_000},
            headers={**admin, "If-Match": f'"{post["version"]}"'},
        )
        assert r.status_code == 200, r.text
        assert (await jobpath("migrate")).exit_code == 0
        assert (await jobpath("init")).exit_code == 0
        after = (await client.get(f"/api/v1/subsidy-policies/{post['id']}", headers=admin)).json()
        await client.aclose()
        await app.state.db.dispose()
        assert after["amount_fen"] == 70_000
        assert (await counts(empty_url))["policies"] == 5

    async def test_loads_any_districts_file_townships_and_villages(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "340421.csv"
        path.write_text(FENGTAI, encoding="utf-8")
        result = await jobpath("init", "--divisions", str(path), "--admin", "fengtai",
                               "--full-name", "县就业局", "--password-file",
                               password_file(tmp_path))  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "6 added (1 district, 2 township, 3 village)" in result.output
        db, session = await on_database(empty_url)
        async with session:
            tree = {r.code: (r.name, r.level, r.parent_code, r.path)
                    for r in await session.scalars(select(Region))}  # fmt: skip
            fengtai = await session.scalar(select(User).where(col(User.username) == "fengtai"))
        await db.engine.dispose()
        assert tree == {
            "340421": ("凤台县", "district", None, "340421/"),
            "340421100": ("城关镇", "township", "340421", "340421/340421100/"),
            "340421100201": ("东门村", "village", "340421100", "340421/340421100/340421100201/"),
            "340421100202": ("西门村", "village", "340421100", "340421/340421100/340421100202/"),
            "340421101": ("岳张集镇", "township", "340421", "340421/340421101/"),
            "340421101201": ("岳张集村", "village", "340421101",
                             "340421/340421101/340421101201/"),
        }  # fmt: skip
        assert fengtai is not None
        assert (fengtai.role, fengtai.region_code) == ("admin", "340421")

    async def test_a_file_grown_by_villages_adds_only_them(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "340421.csv"
        lines = FENGTAI.splitlines(keepends=True)
        path.write_text("".join(line for line in lines if "西门村" not in line), encoding="utf-8")
        pw = password_file(tmp_path)
        first = await jobpath("init", "--divisions", str(path), "--password-file", pw)
        assert first.exit_code == 0, first.output
        path.write_text(FENGTAI.replace("城关镇", "城关"), encoding="utf-8")
        grown = await jobpath("init", "--divisions", str(path))
        assert grown.exit_code == 0, grown.output
        assert "1 added (1 village), 5 already there" in grown.output
        assert "340421100: the database calls it '城关镇', the file '城关'; kept '城关镇'" in (
            grown.output
        )
        assert (await counts(empty_url))["regions"] == 6

    async def test_asks_for_the_password_when_no_file_or_variable_gives_it(
        self, empty_url: str
    ) -> None:
        result = await jobpath("init", input=f"{PASSWORD}\n{PASSWORD}\n")
        assert result.exit_code == 0, result.output
        assert PASSWORD not in result.output
        client, _, app = await signed_in_client(empty_url, "admin")
        await client.aclose()
        await app.state.db.dispose()

    async def test_takes_the_password_from_the_environment(
        self, empty_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JOBPATH_ADMIN_PASSWORD", PASSWORD)
        result = await jobpath("init")
        assert result.exit_code == 0, result.output
        client, _, app = await signed_in_client(empty_url, "admin")
        await client.aclose()
        await app.state.db.dispose()


class TestInitRefuses:
    @pytest.mark.parametrize(
        ("content", "says"),
        [
            ("", "no header"),
            ("code;name;level;parent_code\n340406000000;潘集区;district;\n", "header must be"),
            ("code,name,level,parent_code\n", "no rows"),
            ("code,name,level,parent_code\n340406000000,潘集区,county,\n", "level 'county'"),
            ("code,name,level,parent_code\n34040X000000,潘集区,district,\n", "not a 6-digit"),
            (
                "code,name,level,parent_code\n340406107000,祁集镇,township,\n",
                "first row must be the district",
            ),
            (
                "code,name,level,parent_code\n340406000000,潘集区,district,\n"
                "340406107000,祁集镇,township,340406000000\n"
                "340406107201,许岗村,village,340406108000\n",
                "line 4: parent '340406108000'",
            ),
            (
                "code,name,level,parent_code\n340406000000,潘集区,district,\n"
                "340407107000,祁集镇,township,340406000000\n",
                "does not begin with",
            ),
            (
                "code,name,level,parent_code\n340406000000,潘集区,district,\n"
                "340406107000,祁集镇,township,340406000000\n"
                "340406107000,祁集镇,township,340406000000\n",
                "appears twice",
            ),
            (
                "code,name,level,parent_code\n340406000000,潘集区,district,\n"
                "340406107000,,township,340406000000\n",
                "1 to 100 characters",
            ),
            ("code,name,level,parent_code\n340406000000,潘集区,district\n", "3 columns"),
        ],
        ids=[
            "empty",
            "semicolons",
            "no-rows",
            "level",
            "code",
            "root-township",
            "parent",
            "prefix",
            "twice",
            "no-name",
            "columns",
        ],
    )
    async def test_a_malformed_file_with_a_clear_error_and_nothing_written(
        self, empty_url: str, tmp_path: Path, content: str, says: str
    ) -> None:
        path = tmp_path / "bad.csv"
        path.write_text(content, encoding="utf-8")
        result = await jobpath("init", "--divisions", str(path), "--password-file",
                               password_file(tmp_path))  # fmt: skip
        assert result.exit_code == 1, result.output
        assert "nothing was written" in result.stderr
        assert says in result.stderr
        assert "Traceback" not in result.output
        assert await counts(empty_url) == {"regions": 0, "policies": 0, "users": 0, "audit": 0}

    async def test_a_file_that_is_not_utf8(self, empty_url: str, tmp_path: Path) -> None:
        path = tmp_path / "gbk.csv"
        path.write_bytes(
            "code,name,level,parent_code\n340406000000,潘集区,district,\n".encode("gbk")
        )
        result = await jobpath("init", "--divisions", str(path))
        assert result.exit_code == 1
        assert "UTF-8" in result.stderr
        assert (await counts(empty_url))["regions"] == 0

    async def test_a_weak_password_before_anything_is_written(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        result = await jobpath("init", "--password-file", password_file(tmp_path, "panji340406"))
        assert result.exit_code == 1, result.output
        assert "Not initialised" in result.stderr
        assert "password:" in result.stderr
        assert "panji340406" not in result.output
        assert await counts(empty_url) == {"regions": 0, "policies": 0, "users": 0, "audit": 0}


class TestMigrateInstallsThePolicies:
    async def test_on_a_database_with_its_district_once(self, database_url: str) -> None:
        """The test database holds 潘集区's tree and no policy: migrate installs the five,
        audited as a system action; a second migrate adds none."""
        with _environment(database_url):
            first = await jobpath("migrate")
            assert first.exit_code == 0, first.output
            assert "installed for 340406" in first.output
            again = await jobpath("migrate")
            assert again.exit_code == 0, again.output
            assert "all 5 are already there" in again.output
        found = await counts(database_url)
        assert found["policies"] == 5
        db, session = await on_database(database_url)
        async with session:
            audited = await session.scalar(
                select(func.count()).where(col(AuditEntry.action) == "policy.create",
                                           col(AuditEntry.actor_id).is_(None))
            )  # fmt: skip
        await db.engine.dispose()
        assert audited == 5

    async def test_on_an_empty_database_says_it_waits_for_the_district(
        self, empty_url: str
    ) -> None:
        result = await jobpath("migrate")
        assert result.exit_code == 0, result.output
        assert "there is no region yet" in result.output
        assert (await counts(empty_url))["policies"] == 0


def test_the_bundled_file_names_its_source() -> None:
    header = divisions.bundled_text().splitlines()[:8]
    assert any("modood/Administrative-divisions-of-China" in line for line in header)
    assert any("57a0aa9cef47169a2eb74cf057b0245052a34e8c" in line for line in header)
    assert BUNDLED.root.code == "340406"
