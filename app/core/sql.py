"""SQL constructs that differ between PostgreSQL and SQLite, written once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class json_list_contains(FunctionElement[bool]):
    """``json_list_contains(column, value)``: the JSON array in ``column`` holds ``value``.

    PostgreSQL: ``column @> jsonb_build_array(value)`` (served by a GIN index);
    SQLite: ``EXISTS (SELECT 1 FROM json_each(column) WHERE value = ?)``.
    """

    type = Boolean()
    inherit_cache = True
    name = "json_list_contains"


@compiles(json_list_contains, "postgresql")
def _contains_postgres(element: json_list_contains, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = list(element.clauses)
    return (
        f"({compiler.process(column, **kw)} @> "
        f"jsonb_build_array(CAST({compiler.process(value, **kw)} AS TEXT)))"
    )


@compiles(json_list_contains, "sqlite")
def _contains_sqlite(element: json_list_contains, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = list(element.clauses)
    return (  # both parts are compiled SQL elements (bound parameters), not user text
        f"EXISTS (SELECT 1 FROM json_each({compiler.process(column, **kw)}) "  # noqa: S608
        f"WHERE json_each.value = {compiler.process(value, **kw)})"
    )


class date_add_days(FunctionElement[Any]):
    """``date_add_days(column, n)``: the date ``n`` days after the column's date."""

    type = Date()
    inherit_cache = True
    name = "date_add_days"


@compiles(date_add_days, "postgresql")
def _add_days_postgres(element: date_add_days, compiler: SQLCompiler, **kw: Any) -> str:
    column, days = list(element.clauses)
    return f"({compiler.process(column, **kw)} + CAST({compiler.process(days, **kw)} AS INTEGER))"


@compiles(date_add_days, "sqlite")
def _add_days_sqlite(element: date_add_days, compiler: SQLCompiler, **kw: Any) -> str:
    column, days = list(element.clauses)
    return (
        f"date({compiler.process(column, **kw)}, "
        f"'+' || CAST({compiler.process(days, **kw)} AS INTEGER) || ' days')"
    )
