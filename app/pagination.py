"""Keyset pagination, one way for every list: ``?limit=&cursor=`` → ``{items, next_cursor}``.

The cursor is the sort key of the last row handed out, base64url-encoded JSON. It is opaque to
clients; anything that does not decode to the expected key types is refused with 422.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import FieldError, Unprocessable

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 512
# Keys are 64-bit integers in the database: a larger number cannot be a key (and would not bind).
_INT_RANGE = range(-(2**63), 2**63)
_VERSION = 1


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        # The length is checked below, not here, so that any forged cursor gets invalid_cursor.
        Query(description="`next_cursor` of the previous page."),
    ] = None,
) -> PageParams:
    if cursor is not None and len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid_cursor()
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


class InvalidCursor(Unprocessable):
    code = "invalid_cursor"
    title = "The cursor is not valid"


def _to_json(value: Any) -> Any:
    # A datetime is a date too: both travel as ISO 8601 text.
    return value.isoformat() if isinstance(value, date) else value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_VERSION, *map(_to_json, values)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _coerce(value: Any, kind: type) -> Any:
    if kind is datetime:
        if not isinstance(value, str):
            raise TypeError
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise TypeError
        return parsed
    if kind is date:
        if not isinstance(value, str):
            raise TypeError
        return date.fromisoformat(value)
    if kind is int and (
        isinstance(value, bool) or not isinstance(value, int) or value not in _INT_RANGE
    ):
        raise TypeError
    if kind is str and not isinstance(value, str):
        raise TypeError
    return value


def decode_cursor(cursor: str, kinds: Sequence[type]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if not isinstance(data, list) or data[:1] != [_VERSION] or len(data) != len(kinds) + 1:
            raise TypeError
        return [_coerce(v, k) for v, k in zip(data[1:], kinds, strict=True)]
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise _invalid_cursor() from exc


def _invalid_cursor() -> InvalidCursor:
    return InvalidCursor(
        "The cursor is not one this list handed out.",
        errors=[FieldError(field="query.cursor", message="invalid cursor", type="cursor")],
    )


def _python_type(column: Any) -> type:
    column_type = column.type
    column_type = getattr(column_type, "impl_instance", column_type)  # a TypeDecorator
    try:
        kind = column_type.python_type
    except NotImplementedError:
        return str
    return kind if kind in (int, str, datetime, date) else str


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    keys: Sequence[Any],
    params: PageParams,
    descending: bool = False,
    row: Callable[[Any], T] | None = None,
) -> Page[T]:
    """Run ``stmt`` ordered by ``keys`` (unique together), one page after ``params.cursor``.

    ``stmt`` selects either one entity (rows are entities) or columns (rows are Row objects);
    the key values are read from each row by attribute name.
    """
    if params.cursor is not None:
        after = decode_cursor(params.cursor, [_python_type(k) for k in keys])
        # Bound with the key columns' own types, so a UTC timestamp compares as stored.
        key_tuple = tuple_(*keys)
        value_tuple = tuple_(*(literal(v, type_=k.type) for v, k in zip(after, keys, strict=True)))
        stmt = stmt.where(key_tuple < value_tuple if descending else key_tuple > value_tuple)
    order = [k.desc() for k in keys] if descending else list(keys)
    result = await session.execute(stmt.order_by(*order).limit(params.limit + 1))
    rows = list(result.scalars().all() if _single_entity(stmt) else result.all())
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = encode_cursor([key_value(rows[-1], k.key) for k in keys]) if more else None
    items = [row(r) for r in rows] if row else rows
    return Page[T](items=items, next_cursor=next_cursor)


def key_value(row: Any, name: str) -> Any:
    """A sort key of a row: an entity's attribute, a selected column, or the attribute of the
    entity a multi-column row carries (``select(Referral, Worker.full_name, …)``)."""
    mapping = getattr(row, "_mapping", None)
    if mapping is None:
        return getattr(row, name)
    if name in mapping:
        return mapping[name]
    for value in row:
        if hasattr(value, "__table__") and hasattr(value, name):
            return getattr(value, name)
    raise AttributeError(name)


def _single_entity(stmt: Select[Any]) -> bool:
    descriptions = stmt.column_descriptions
    return (
        len(descriptions) == 1
        and descriptions[0].get("entity") is not None
        and isinstance(descriptions[0].get("expr"), type)
    )


class SyncPage(Page[T], Generic[T]):
    sync_token: str | None = Field(
        default=None,
        description="With `updated_since`: pass the last page's token as `updated_since` next "
        "time to receive only what changed since this pass.",
    )


@dataclass(frozen=True)
class SyncPoint:
    """Where a phone's last sync ended: a token from a previous pass, or a timestamp."""

    seq: int = 0
    timestamp: datetime | None = None


_TOKEN_PREFIX = "sync"


def sync_token(seq: int) -> str:
    return encode_cursor([_TOKEN_PREFIX, seq])


def parse_updated_since(value: str) -> SyncPoint:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        if moment.tzinfo is None:
            raise _bad_since("a timestamp needs a UTC offset, e.g. 2026-11-25T08:00:00Z")
        return SyncPoint(timestamp=moment)
    try:
        prefix, seq = decode_cursor(value, [str, int])
    except InvalidCursor as exc:
        raise _bad_since("not a sync token or an ISO 8601 timestamp") from exc
    if prefix != _TOKEN_PREFIX or seq < 0:
        raise _bad_since("not a sync token")
    return SyncPoint(seq=seq)


def _bad_since(message: str) -> Unprocessable:
    return Unprocessable(
        "updated_since is not valid: " + message + ".",
        errors=[FieldError(field="query.updated_since", message=message, type="sync_token")],
    )


UpdatedSince = Annotated[
    str | None,
    Query(
        max_length=512,
        description="Offline sync: a `sync_token` from a previous pass (or an ISO 8601 "
        "timestamp) — the list then returns every change since, deleted records included "
        "as tombstones, in commit order.",
    ),
]


async def paginate_changes(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    seq: Any,
    updated_at: Any,
    since: SyncPoint,
    params: PageParams,
    row: Callable[[Any], T],
) -> SyncPage[T]:
    """One page of the changes after ``since``, ordered by the change sequence ``seq``."""
    stmt = stmt.where(seq > since.seq)
    if since.timestamp is not None:
        stmt = stmt.where(updated_at >= since.timestamp)
    page: Page[Any] = await paginate(session, stmt, keys=[seq], params=params)
    seqs = [key_value(r, seq.key) for r in page.items]
    if seqs:
        high = max(seqs)
    elif params.cursor is not None:
        high = decode_cursor(params.cursor, [int])[0]
    else:
        # Nothing changed: the newest change anywhere in the table is a safe place to resume,
        # because change sequences are handed out in commit order.
        high = max(since.seq, int(await session.scalar(select(func.max(seq))) or 0))
    return SyncPage[T](
        items=[row(r) for r in page.items],
        next_cursor=page.next_cursor,
        sync_token=sync_token(high),
    )
