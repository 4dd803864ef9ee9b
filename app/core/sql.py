"""SQL constructs that differ between PostgreSQL and SQLite, written once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Date, String
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


def _argument(element: FunctionElement[Any], compiler: SQLCompiler, kw: dict[str, Any]) -> str:
    """The compiled SQL of a one-argument construct's argument."""
    return str(compiler.process(next(iter(element.clauses)), **kw))


class masked(FunctionElement[str]):
    """``masked(column)``: the text with all but its first six and last four characters
    starred (all of it when ten or shorter), as :func:`app.masking.mask_id_number` does —
    in the database, so lists and exports can leave personal data there."""

    type = String()
    inherit_cache = True
    name = "masked"
    head, tail = 6, 4


class masked_phone(masked):
    """``masked_phone(column)``: 138****5678, as :func:`app.masking.mask_phone` does."""

    inherit_cache = True
    name = "masked_phone"
    head, tail = 3, 4


@compiles(masked, "postgresql")
@compiles(masked_phone, "postgresql")
def _masked_postgres(element: masked, compiler: SQLCompiler, **kw: Any) -> str:
    x, head, tail = _argument(element, compiler, kw), element.head, element.tail
    return (
        f"(CASE WHEN length({x}) <= {head + tail} THEN repeat('*', length({x})) "
        f"ELSE left({x}, {head}) || repeat('*', length({x}) - {head + tail}) "
        f"|| right({x}, {tail}) END)"
    )


@compiles(masked, "sqlite")
@compiles(masked_phone, "sqlite")
def _masked_sqlite(element: masked, compiler: SQLCompiler, **kw: Any) -> str:
    x, head, tail = _argument(element, compiler, kw), element.head, element.tail

    def stars(n: str) -> str:  # SQLite has no repeat(): n zero bytes, hex-encoded, starred
        return f"replace(hex(zeroblob({n})), '00', '*')"

    return (
        f"(CASE WHEN length({x}) <= {head + tail} THEN {stars(f'length({x})')} "
        f"ELSE substr({x}, 1, {head}) || {stars(f'length({x}) - {head + tail}')} "
        f"|| substr({x}, -{tail}) END)"
    )


class utc_text(FunctionElement[str]):
    """``utc_text(column)``: a UTC timestamp as ISO 8601 text, ``2026-11-25T08:30:00Z``."""

    type = String()
    inherit_cache = True
    name = "utc_text"


@compiles(utc_text, "postgresql")
def _utc_text_postgres(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    x = _argument(element, compiler, kw)
    return f"to_char({x} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


@compiles(utc_text, "sqlite")
def _utc_text_sqlite(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {_argument(element, compiler, kw)})"


class date_text(FunctionElement[str]):
    """``date_text(column)``: a date as ISO 8601 text, ``2026-11-25``, whatever DateStyle."""

    type = String()
    inherit_cache = True
    name = "date_text"


@compiles(date_text, "postgresql")
def _date_text_postgres(element: date_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({_argument(element, compiler, kw)}, 'YYYY-MM-DD')"


@compiles(date_text, "sqlite")
def _date_text_sqlite(element: date_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({_argument(element, compiler, kw)})"


class utc_date(FunctionElement[Any]):
    """``utc_date(column)``: the UTC calendar day of a timestamp."""

    type = Date()
    inherit_cache = True
    name = "utc_date"


@compiles(utc_date, "postgresql")
def _utc_date_postgres(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({_argument(element, compiler, kw)} AT TIME ZONE 'UTC') AS DATE)"


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({_argument(element, compiler, kw)})"
