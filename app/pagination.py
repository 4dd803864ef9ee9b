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

from fastapi import Depends, Query, Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    field_serializer,
)
from pydantic_core import from_json
from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import reads
from app.errors import FieldError, Unprocessable

T = TypeVar("T")
PageT = TypeVar("PageT", bound="Page[Any]")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 512
# Keys are 64-bit integers in the database: a larger number cannot be a key (and would not bind).
_INT_RANGE = range(-(2**63), 2**63)
_VERSION = 1


class Page(BaseModel, Generic[T]):
    # Every field is always sent: required in the answer's schema, defaults or not.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    items: list[T]
    next_cursor: str | None = None
    # The items as the database rendered them (JSON text), when it did: see `answer`.
    _rendered_items: str | None = PrivateAttr(default=None)

    # No return annotation: the documented schema stays the field's own.
    @field_serializer("items", mode="wrap")
    def _rendered_or_items(self, items: list[T], handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # Whoever serialises the page without `answer` still gets its items (slowly).
        return handler(items) if self._rendered_items is None else from_json(self._rendered_items)

    def to(self, page_class: type[PageT]) -> PageT:
        """This page as another page class (a SyncPage, say), rendered items and all."""
        other = page_class(items=self.items, next_cursor=self.next_cursor)
        other._rendered_items = self._rendered_items
        return other

    def rendered(self) -> bytes | None:
        """The whole page as JSON, spliced around the items the database rendered; ``None``
        when the items are models (then the response model serialises them)."""
        if self._rendered_items is None:
            return None
        rest = self.model_dump_json(exclude={"items"})[1:-1]  # the other fields, unbraced
        return f'{{"items":{self._rendered_items}{"," if rest else ""}{rest}}}'.encode()


def answer(page: PageT) -> PageT | Response:
    """What a list route returns: a page the database rendered goes out as it is, byte for
    byte; any other page is validated and serialised by the route's response model."""
    body = page.rendered()
    return page if body is None else Response(body, media_type="application/json")


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
    model: type[T] | None = None,
) -> Page[T]:
    """Run ``stmt`` ordered by ``keys`` (unique together), one page after ``params.cursor``.

    ``stmt`` selects either one entity (rows are entities) or columns (rows are Row objects);
    the key values are read from each row by attribute name, and ``row`` turns each row into
    an item. With ``model`` instead, the statement's columns are that model's fields (plus
    the keys), as the response shows them: on PostgreSQL the database renders each row as
    JSON on the driver (:mod:`app.core.reads`) and the route passes it through (`answer`),
    elsewhere the rows are validated into ``model`` — the hot lists' path.
    """
    found = await _page(
        session, stmt, keys=keys, params=params, descending=descending, row=row, model=model
    )
    return found.into(Page[T](items=found.items, next_cursor=found.next_cursor))


@dataclass
class _Slice(Generic[T]):
    """One page's items (or the database's JSON of them), its last key, whether more follow."""

    items: list[T]
    last_key: list[Any] | None
    more: bool
    rendered: str | None = None

    @property
    def next_cursor(self) -> str | None:
        return encode_cursor(self.last_key) if self.more and self.last_key is not None else None

    def into(self, page: PageT) -> PageT:
        page._rendered_items = self.rendered
        return page


async def _page(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    keys: Sequence[Any],
    params: PageParams,
    descending: bool,
    row: Callable[[Any], T] | None,
    model: type[T] | None,
) -> _Slice[T]:
    if params.cursor is not None:
        after = decode_cursor(params.cursor, [_python_type(k) for k in keys])
        # Bound with the key columns' own types, so a UTC timestamp compares as stored.
        key_tuple = tuple_(*keys)
        value_tuple = tuple_(*(literal(v, type_=k.type) for v, k in zip(after, keys, strict=True)))
        stmt = stmt.where(key_tuple < value_tuple if descending else key_tuple > value_tuple)
    order = [k.desc() for k in keys] if descending else list(keys)
    stmt = stmt.order_by(*order).limit(params.limit + 1)
    limit = params.limit
    if model is not None:
        return await _model_page(session, stmt, model, keys, limit=limit, descending=descending)
    result = await session.execute(stmt)
    items = list(result.scalars().all() if _single_entity(stmt) else result.all())
    key_rows = [[key_value(r, k.key) for k in keys] for r in items[:limit]]
    found = items[:limit] if row is None else [row(r) for r in items[:limit]]
    return _Slice(found, key_rows[-1] if key_rows else None, len(items) > limit)


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _list_of(model: type[T]) -> TypeAdapter[list[T]]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return adapter


async def _model_page(
    session: AsyncSession,
    stmt: Select[Any],
    model: type[T],
    keys: Sequence[Any],
    *,
    limit: int,
    descending: bool,
) -> _Slice[T]:
    """A page of ``model`` rows: rendered by PostgreSQL as JSON and passed through, else read
    and validated here."""
    fields = list(model.model_fields)  # type: ignore[attr-defined]
    key_names = [k.key for k in keys]
    rendered = await reads.fetch_json_rows(
        session, stmt, fields=fields, keys=key_names, descending=descending
    )
    if rendered is not None:
        rows_json, key_rows = rendered
        shown = key_rows[:limit]
        items_json = "[" + ",".join(rows_json[:limit]) + "]"
        return _Slice([], shown[-1] if shown else None, len(key_rows) > limit, items_json)
    rows = await reads.fetch(session, stmt)
    items = _list_of(model).validate_python([{f: r[f] for f in fields if f in r} for r in rows])
    key_rows = [[r[k] for k in key_names] for r in rows[:limit]]
    return _Slice(items[:limit], key_rows[-1] if key_rows else None, len(rows) > limit)


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
    row: Callable[[Any], T] | None = None,
    model: type[T] | None = None,
) -> SyncPage[T]:
    """One page of the changes after ``since``, ordered by the change sequence ``seq``
    (``row`` and ``model`` as for :func:`paginate`)."""
    stmt = stmt.where(seq > since.seq)
    if since.timestamp is not None:
        stmt = stmt.where(updated_at >= since.timestamp)
    found = await _page(
        session, stmt, keys=[seq], params=params, descending=False, row=row, model=model
    )
    if found.last_key is not None:
        high = found.last_key[0]
    elif params.cursor is not None:
        high = decode_cursor(params.cursor, [int])[0]
    elif since.timestamp is None:
        high = since.seq  # nothing new since the phone's own token: it stays the place to resume
    else:
        # A first sync (by time) that found nothing: the newest change anywhere in the table
        # is a safe place to resume, because change sequences are handed out in commit order.
        high = max(since.seq, int(await session.scalar(select(func.max(seq))) or 0))
    return found.into(
        SyncPage[T](items=found.items, next_cursor=found.next_cursor, sync_token=sync_token(high))
    )


async def synced_list(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    record: Any,
    since: SyncPoint | None,
    params: PageParams,
    keys: Sequence[Any],
    descending: bool = False,
    row: Callable[[Any], T] | None = None,
) -> SyncPage[T]:
    """A list phones sync: with ``since``, the changes of ``record`` (a Syncable model)
    after it, tombstones included (:func:`paginate_changes`); without, the live records by
    ``keys`` (:func:`paginate`)."""
    if since is not None:
        return await paginate_changes(
            session,
            stmt,
            seq=record.change_seq,
            updated_at=record.updated_at,
            since=since,
            params=params,
            row=row,
        )
    stmt = stmt.where(record.deleted_at.is_(None))
    page = await paginate(session, stmt, keys=keys, params=params, descending=descending, row=row)
    return page.to(SyncPage[T])
