"""The ``jobpath`` command: serve, migrate, init, seed-demo, create-user, add-region,
audit-checkpoint, openapi, errors-doc."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.core.db import Database, create_engine
from app.models import RegionLevel, Role

if TYPE_CHECKING:
    from app.services.audit import LegacyOutcome
    from app.services.bootstrap import PolicyInstall

cli = typer.Typer(
    help="JobPath: case management for employment-assistance programmes.",
    no_args_is_help=True,
    add_completion=False,
)


def _project_root() -> Path:
    """Where alembic.ini lives: the source checkout, or the working directory of an install."""
    source = Path(__file__).resolve().parent.parent
    return source if (source / "alembic.ini").exists() else Path.cwd()


ROOT = _project_root()


def migrate_to_head(database_url: str | None = None) -> LegacyOutcome | None:
    """Bring the schema to the newest Alembic revision, then seal, once, an audit chain
    written before audit keys existed (what happened to it; None: nothing to seal)."""
    from alembic.config import Config

    from alembic import command

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["configure_logger"] = False
    if database_url:
        config.attributes["database_url"] = database_url
    command.upgrade(config, "head")
    return asyncio.run(_seal_legacy_chain(database_url))


async def _seal_legacy_chain(database_url: str | None) -> LegacyOutcome | None:
    from app.services import audit

    engine = create_engine(get_settings(), database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            return await audit.seal_legacy(session)
    finally:
        await engine.dispose()


@asynccontextmanager
async def _session() -> AsyncIterator[AsyncSession]:
    """A session on the configured database for one command; the engine is closed after."""
    db = Database.from_settings(get_settings())
    try:
        async with db.sessionmaker() as session:
            yield session
    finally:
        await db.engine.dispose()


async def _seed_demo() -> None:
    from app.services import demo

    settings = get_settings()
    async with _session() as session:
        password = settings.demo_password.get_secret_value() if settings.demo_password else None
        result = await demo.seed(session, password=password)
    if not result.created:
        typer.echo("The database already has users; demo data not added.")
        return
    typer.echo(
        "Demo data added: district 潘集区 (340406), the default subsidy policies, a few "
        "households and labourers, a vacancy of 许岗村扶贫车间 with two referrals and a hire, a "
        "training session with three claims under review, users admin, caseworker (祁集镇), "
        "employer (the workshop) and auditor."
    )
    if result.generated_password:
        typer.echo(
            f"Demo password (shown once; set JOBPATH_DEMO_PASSWORD to choose it): {result.password}"
        )


async def _install_policies() -> PolicyInstall:
    """The default subsidy policies, once the database has its district (idempotent)."""
    from app.services import bootstrap

    async with _session() as session:
        return await bootstrap.install_policies(session)


@cli.command()
def migrate() -> None:
    """Apply the database migrations (and seal an audit chain written before audit keys), then
    install the default subsidy policies once the database has its district."""
    legacy = migrate_to_head()
    typer.echo("Database is at the newest migration.")
    if legacy is not None:
        typer.echo(legacy.message, err=not legacy.sealed)
        if not legacy.sealed:
            raise typer.Exit(1)
    typer.echo(asyncio.run(_install_policies()).message())


ADMIN_PASSWORD_ENV = "JOBPATH_ADMIN_PASSWORD"


def _admin_password(password_file: Path | None) -> str:
    """The first admin's password: from ``--password-file`` (its first line), else
    ``JOBPATH_ADMIN_PASSWORD``, else asked for twice without echo — never an argument, which
    would stay in the shell's history and the process list."""
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            typer.echo(f"Not initialised: cannot read {password_file}: {exc}", err=True)
            raise typer.Exit(1) from exc
        return lines[0] if lines else ""
    if os.environ.get(ADMIN_PASSWORD_ENV):
        return os.environ[ADMIN_PASSWORD_ENV]
    secret: str = typer.prompt(
        "Password of the first admin", hide_input=True, confirmation_prompt=True
    )
    return secret


@cli.command()
def init(
    divisions: Annotated[
        Path | None,
        typer.Option(help="The district's divisions (docs/divisions.md); 潘集区's if omitted."),
    ] = None,
    admin: Annotated[str, typer.Option(help="Username of the first admin.")] = "admin",
    full_name: Annotated[str, typer.Option(help="The first admin's display name.")] = "区就业局",
    password_file: Annotated[
        Path | None,
        typer.Option(
            help=f"File whose first line is the admin's password (else "
            f"{ADMIN_PASSWORD_ENV}, else asked for)."
        ),
    ] = None,
) -> None:
    """Prepare an empty (migrated) database for a district: load its townships and villages,
    install the default subsidy policies and create its first admin. Running it again adds only
    what is missing and says so."""
    from app.services import bootstrap
    from app.services.divisions import DivisionsFileError, read_file

    try:
        loaded = read_file(divisions)
    except DivisionsFileError as exc:
        typer.echo(f"Not initialised: {exc.source} cannot be loaded; nothing was written.",
                   err=True)  # fmt: skip
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from exc

    async def run() -> None:
        async with _session() as session:
            report = await bootstrap.initialise(
                session, divisions=loaded, username=admin, full_name=full_name,
                password=lambda: _admin_password(password_file),
            )  # fmt: skip
        for line in report.lines():
            typer.echo(line)

    _explained(run(), refused="Not initialised (nothing was written)")


@cli.command("audit-checkpoint")
def audit_checkpoint() -> None:
    """Sign the audit chain's head (run it from cron) and print the checkpoint as JSON, with
    the token to keep outside JobPath."""
    from app.services import audit

    async def run() -> dict[str, object]:
        async with _session() as session:
            made = await audit.checkpoint(session, actor=None)
            return {**made.model_dump(mode="json"), "token": audit.token(made)}

    typer.echo(json.dumps(asyncio.run(run()), ensure_ascii=False))


def _explained(work: Coroutine[Any, Any, None], *, refused: str) -> None:
    """Run ``work``; a refusal by the rules (a weak password, an unknown region) is printed as
    a sentence and exit status 1, not a traceback."""
    from app.errors import AppError

    try:
        asyncio.run(work)
    except AppError as exc:
        typer.echo(f"{refused}: {exc.detail}", err=True)
        for err in exc.errors or []:
            # The option's name, not the API's body path (a weak --password says why).
            typer.echo(f"  {err.field.removeprefix('body.')}: {err.message}", err=True)
        raise typer.Exit(1) from exc


@cli.command("seed-demo")
def seed_demo() -> None:
    """Add the demo district and users to an empty database."""
    _explained(_seed_demo(), refused="Demo data not added")


def server_options(*, host: str, port: int, workers: int, limit_concurrency: int) -> dict[str, Any]:
    """uvicorn's settings for ``serve`` (the Docker image starts the server through it)."""
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "access_log": False,  # the app logs each request itself, with its request id
        "log_config": None,
        # Who the client is, is the app's decision (JOBPATH_TRUSTED_PROXIES). uvicorn's own
        # proxy handling would first believe X-Forwarded-For from 127.0.0.1, or from every
        # address listed in the FORWARDED_ALLOW_IPS environment variable.
        "proxy_headers": False,
        "server_header": False,
        # An idle kept-alive connection is closed soon; a request line and headers larger
        # than this are refused before the app sees them; past this many connections and
        # requests at once a worker answers 503 instead of queueing without bound.
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,
        "limit_concurrency": limit_concurrency,
    }


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    demo: Annotated[bool, typer.Option(help="Seed demo data into an empty database.")] = True,
    limit_concurrency: Annotated[
        int, typer.Option(min=1, help="Connections and requests at once per worker.")
    ] = 512,
) -> None:
    """Migrate, seed the demo data on an empty database, and start the server."""
    import uvicorn

    migrate_to_head()
    if demo:
        _explained(_seed_demo(), refused="Demo data not added")
    installed = asyncio.run(_install_policies())
    if installed.made:
        typer.echo(installed.message())
    typer.echo(f"JobPath on http://{host}:{port}/docs")
    options = server_options(
        host=host, port=port, workers=workers, limit_concurrency=limit_concurrency
    )
    uvicorn.run("app.main:create_app", factory=True, **options)


@cli.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument()],
    role: Annotated[Role, typer.Option(help="caseworker, employer, auditor or admin")],
    full_name: Annotated[str, typer.Option(help="Display name.")],
    region: Annotated[str | None, typer.Option(help="Region code of the user's scope.")] = None,
    employer_id: Annotated[int | None, typer.Option(help="Employer of an employer user.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a user (e.g. the first admin of a production database)."""
    from app.services import users

    async def run() -> None:
        async with _session() as session:
            user = await users.create(
                session,
                actor=None,
                username=username,
                full_name=full_name,
                role=role,
                password=password,
                region_code=region,
                employer_id=employer_id,
            )
            typer.echo(f"Created user {user.username} (id {user.id}, {user.role}).")

    _explained(run(), refused="Not created")


@cli.command("add-region")
def add_region(
    code: Annotated[str, typer.Argument(help="Administrative-division code, e.g. 340406.")],
    name: Annotated[str, typer.Argument(help="Its name, e.g. 潘集区.")],
    level: Annotated[RegionLevel, typer.Option(help="province, city, district, township, village")],
    parent: Annotated[str | None, typer.Option(help="The code of the region above.")] = None,
) -> None:
    """Add a region (audited), e.g. the district of a fresh production database before its
    first admin; further regions can then be added by that admin through the API."""
    from app.services import regions

    async def run() -> None:
        async with _session() as session:
            region = await regions.create(
                session, actor=None, code=code, name=name, level=level, parent_code=parent
            )
            typer.echo(f"Added region {region.code} {region.name} ({region.level}).")

    _explained(run(), refused="Not added")


@cli.command()
def openapi(
    output: Annotated[Path | None, typer.Option(help="File to write; stdout if omitted.")] = None,
) -> None:
    """Print (or write) the OpenAPI document the app serves."""
    from app.main import create_app

    text = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@cli.command("errors-doc")
def errors_doc(
    output: Annotated[Path | None, typer.Option(help="File to write; stdout if omitted.")] = None,
) -> None:
    """Print (or write) docs/errors.md: every problem code and field-error type, both languages."""
    from app.errors import doc

    text = doc.render()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def main() -> None:
    cli()
