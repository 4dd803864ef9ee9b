"""Hot reads on PostgreSQL, run on the pooled asyncpg connection itself.

SQLAlchemy still builds every statement and compiles it (cached by the statement's cache key,
as its own execution does); asyncpg runs it. That skips, per statement, SQLAlchemy's cursor
emulation, its greenlet hop and its per-row result processing — together about a third of
the worker list's CPU in a profile under load. asyncpg decodes JSON columns with the
engine's deserializer either way: the dialect installs that codec on every connection.

Only for reads in autocommit sessions (the GET requests' sessions): a transaction's statements
stay on SQLAlchemy's path, which tracks the transaction. SQLite, statements that need
SQLAlchemy's rendering at execution time (expanding ``IN`` lists) and any failure take the
ordinary path; a failed statement is run again there, so that SQLAlchemy classifies the error
(a dead connection is invalidated, an outage becomes the usual 503) exactly as it does for
every other statement. Reads are safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import DateTime, Select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine
from sqlalchemy.util import LRUCache

Row = dict[str, Any]
AnySelect = Select[*tuple[Any, ...]]


class _Plan:
    """A statement compiled for asyncpg: its SQL, and how to lay out its parameters."""

    __slots__ = ("as_json", "columns", "compiled", "processors", "quote", "sql", "timestamps")

    def __init__(self, stmt: AnySelect, compiled: SQLCompiler, dialect: Dialect) -> None:
        self.columns = frozenset(stmt.selected_columns.keys())
        self.timestamps = frozenset(
            name for name, column in stmt.selected_columns.items() if _is_timestamp(column.type)
        )
        self.compiled = compiled
        self.sql = compiled.string
        self.quote = dialect.identifier_preparer.quote
        self.as_json: dict[tuple[Any, ...], str] = {}
        self.processors = {
            name: processor
            for bind, name in compiled.bind_names.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
        }

    def arguments(self, cache_key: Any, params: Mapping[str, Any] | None) -> list[Any]:
        # This statement's own values, laid onto the compiled one's parameters by position (as
        # SQLAlchemy's execution does); SQLAlchemy 2.1 also carries values set by .params().
        given = {**(getattr(cache_key, "params", None) or {}), **(params or {})}
        values = self.compiled.construct_params(
            given or None,
            extracted_parameters=cache_key.bindparams if cache_key is not None else None,
            escape_names=False,
        )
        processors = self.processors
        return [
            processors[name](values[name]) if name in processors else values[name]
            for name in self.compiled.positiontup or ()
        ]

    def json_rows_sql(self, fields: Sequence[str], keys: Sequence[str], descending: bool) -> str:
        """This statement wrapped so that PostgreSQL renders each row as a JSON object of
        ``fields`` — timestamps in UTC as pydantic writes them — in one array, beside an
        array of each key column's values, all in key order."""
        shape = (tuple(fields), tuple(keys), descending)
        if shape not in self.as_json:
            q, direction = self.quote, " DESC" if descending else ""
            names = [name for name in fields if name in self.columns]
            assert all(name.isidentifier() for name in names)
            order = ", ".join(f"page.{q(k)}{direction}" for k in keys)

            def value(name: str) -> str:
                ref = f"page.{q(name)}"
                return f"{_iso_utc(ref) if name in self.timestamps else ref} AS {q(name)}"

            values = ", ".join(value(name) for name in names)
            arrays = "".join(f", array_agg(page.{q(k)} ORDER BY {order})" for k in keys)
            self.as_json[shape] = (
                f"SELECT array_agg(row_to_json(item)::text ORDER BY {order}){arrays} "  # noqa: S608 - names of the statement's own columns
                f"FROM ({self.sql}) AS page, LATERAL (SELECT {values}) AS item"
            )
        return self.as_json[shape]


def _iso_utc(x: str) -> str:
    """SQL for a timestamp as pydantic writes one: 2026-11-25T08:30:05Z, microseconds only
    when there are some (2026-11-25T08:30:05.123456Z)."""
    utc = f"({x} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"extract(microseconds FROM {x})::bigint % 1000000 = 0 THEN '' "
        f"ELSE to_char({utc}, '.US') END || 'Z')"
    )


def _is_timestamp(kind: TypeEngine[Any]) -> bool:
    kind = getattr(kind, "impl_instance", kind)  # a TypeDecorator's stored type
    return isinstance(kind, DateTime)


_PLANS: LRUCache[Any, _Plan | None] = LRUCache(500)


def _plan(stmt: AnySelect, dialect: Dialect) -> tuple[_Plan, Any] | None:
    """The compiled plan of ``stmt`` and the bound values it carries, or ``None`` when it
    must go through SQLAlchemy (uncacheable, or rendered at execution time)."""
    cache_key = stmt._generate_cache_key()  # SQLAlchemy's caching protocol
    if cache_key is None:
        return None
    key = (dialect, cache_key.key)
    if key in _PLANS:
        plan = _PLANS[key]
    else:
        compiled = stmt.compile(dialect=dialect, cache_key=cache_key)
        assert isinstance(compiled, SQLCompiler)
        needs_sqlalchemy = (
            not compiled.positional
            or compiled.literal_execute_params
            or compiled.post_compile_params
        )
        plan = None if needs_sqlalchemy else _Plan(stmt, compiled, dialect)
        _PLANS[key] = plan
    return (plan, cache_key) if plan is not None else None


def driver_statement(stmt: AnySelect, dialect: Dialect) -> tuple[str, list[Any]]:
    """``stmt`` as SQL and positional arguments for asyncpg itself (a COPY, say): the cached
    plan when there is one, else compiled for this once, expanding lists and all."""
    planned = _plan(stmt, dialect)
    if planned is not None:
        plan, cache_key = planned
        return plan.sql, plan.arguments(cache_key, None)
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    assert isinstance(compiled, SQLCompiler)
    return compiled.string, _Plan(stmt, compiled, dialect).arguments(None, None)


async def _driver_connection(session: AsyncSession) -> tuple[Connection, Any] | None:
    """SQLAlchemy's connection and the asyncpg connection under it, for an autocommit
    PostgreSQL session; else ``None``."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    connection = (await session.connection()).sync_connection
    if connection is None or connection.get_execution_options().get("isolation_level") != (
        "AUTOCOMMIT"
    ):
        return None
    return connection, connection.connection.driver_connection


def _announce(connection: Connection, sql: str, arguments: list[Any]) -> None:
    """Listeners of SQLAlchemy's statement event (counters, tracing) see this one too."""
    listeners = connection.dispatch.before_cursor_execute
    if listeners:
        listeners(connection, None, sql, arguments, None, False)


_NOT_RUN: Any = object()


async def _on_driver(
    session: AsyncSession,
    stmt: AnySelect,
    params: Mapping[str, Any] | None,
    *,
    wrapped: Callable[[_Plan], str] | None = None,
    one: bool = False,
) -> Any:
    """The records of ``stmt`` (or of the SQL ``wrapped`` makes of its plan) run on the driver,
    or ``_NOT_RUN`` when the driver path does not apply or failed."""
    driver = await _driver_connection(session)
    planned = _plan(stmt, session.get_bind().dialect) if driver is not None else None
    if driver is None or planned is None:
        return _NOT_RUN
    (connection, asyncpg_connection), (plan, cache_key) = driver, planned
    sql = plan.sql if wrapped is None else wrapped(plan)
    arguments = plan.arguments(cache_key, params)
    _announce(connection, sql, arguments)
    run = asyncpg_connection.fetchrow if one else asyncpg_connection.fetch
    try:
        return await run(sql, *arguments)
    except Exception:  # the caller's ordinary path runs it again, where SQLAlchemy classifies it
        return _NOT_RUN


async def fetch(
    session: AsyncSession, stmt: AnySelect, params: Mapping[str, Any] | None = None
) -> list[Row]:
    """Run a read and return its rows as dicts keyed by column name."""
    records = await _on_driver(session, stmt, params)
    if records is not _NOT_RUN:
        return [dict(record.items()) for record in records]
    result = await session.execute(stmt, dict(params) if params else None)
    return [dict(row) for row in result.mappings()]


async def fetch_one(
    session: AsyncSession, stmt: AnySelect, params: Mapping[str, Any] | None = None
) -> Row | None:
    """The first row of a read, or ``None``."""
    rows = await fetch(session, stmt, params)
    return rows[0] if rows else None


async def fetch_json_rows(
    session: AsyncSession,
    stmt: AnySelect,
    *,
    fields: Sequence[str],
    keys: Sequence[str],
    descending: bool = False,
) -> tuple[list[str], list[list[Any]]] | None:
    """On PostgreSQL, each row of ``stmt`` rendered by the database as a JSON object of those
    of ``fields`` the statement selects, and each row's ``keys``: a page of a list with no
    Python object per row. ``None`` where that path does not apply (SQLite) or fails: the
    caller then reads the rows with :func:`fetch`, which runs the statement through
    SQLAlchemy when the driver failed."""
    record = await _on_driver(
        session, stmt, None, wrapped=lambda plan: plan.json_rows_sql(fields, keys, descending),
        one=True,
    )  # fmt: skip
    if record is _NOT_RUN:
        return None
    key_columns = [record[1 + i] or [] for i in range(len(keys))]
    return record[0] or [], [list(key) for key in zip(*key_columns, strict=True)]
