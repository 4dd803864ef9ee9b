"""``Idempotency-Key`` for POSTs that create something.

The key is claimed inside the request's own transaction and its answer is stored by the same
commit that stores the write (see :func:`app.core.db.commit`), so a write and its answer exist
together or not at all. A retry with the same key and body gets the stored answer; with another
body, 422; while the first is still running, 409. Keys are per user: nobody receives another
user's stored answer.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, Response

from app.core.config import get_settings
from app.core.db import add_commit_hook, is_postgres
from app.deps import CurrentUser, SessionDep
from app.errors import Conflict, Unprocessable
from app.models import IdempotencyRecord
from app.models.base import utcnow
from app.versioning import etag

HEADER = "Idempotency-Key"


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    title = "The Idempotency-Key was used with a different request"


class IdempotencyInFlight(Conflict):
    code = "idempotency_in_flight"
    title = "A request with this Idempotency-Key is still being processed"


class IdempotentReplay(Exception):
    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code, self.body = status_code, body


def _lock_id(user_id: int, key: str) -> int:
    digest = hashlib.sha256(f"{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@lru_cache(maxsize=256)
def _adapter(response_model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(response_model)


def _serialise(route: APIRoute, result: object) -> Any:
    if result is None or route.response_model is None:
        return None
    adapter = _adapter(route.response_model)
    return adapter.dump_python(adapter.validate_python(result, from_attributes=True), mode="json")


async def _find(session: AsyncSession, user_id: int, key: str) -> IdempotencyRecord | None:
    return await session.scalar(
        select(IdempotencyRecord).where(
            col(IdempotencyRecord.user_id) == user_id, col(IdempotencyRecord.key) == key
        )
    )


def _answer_existing(record: IdempotencyRecord, fingerprint: str) -> None:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request; use a new key."
        )
    if record.completed_at is None or record.status_code is None:
        raise IdempotencyInFlight(
            "The first request with this key has not finished.", headers={"Retry-After": "1"}
        )
    raise IdempotentReplay(record.status_code, record.response_body)


async def _content(request: Request) -> bytes:
    """What makes two requests the same one. A JSON body is its bytes. A multipart form (a
    photo taken offline) is its fields and each file's name, type and SHA-256: the boundary
    that frames them is drawn afresh by each retry, and FastAPI has parsed the form already."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await request.body()
    parts = []
    for name, value in (await request.form()).multi_items():
        if isinstance(value, UploadFile):
            digest = hashlib.sha256()
            await value.seek(0)
            while chunk := await value.read(1024 * 1024):
                digest.update(chunk)
            await value.seek(0)
            value = f"{value.filename}\0{value.content_type}\0{digest.hexdigest()}"
        parts.append(f"{name}\0{value}")
    return "\n".join(parts).encode()


async def idempotency(
    request: Request,
    session: SessionDep,
    actor: CurrentUser,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=8,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="A fresh random value (e.g. a UUID) per logical request; retries reuse it.",
        ),
    ] = None,
) -> None:
    if key is None:
        return
    body = await _content(request)
    fingerprint = hashlib.sha256(
        f"{request.method} {request.url.path}?{request.url.query}\n".encode() + body
    ).hexdigest()
    if is_postgres(session):
        locked = await session.scalar(
            select(func.pg_try_advisory_xact_lock(_lock_id(actor.id, key)))
        )
        if not locked:
            raise IdempotencyInFlight(
                "The first request with this key has not finished.", headers={"Retry-After": "1"}
            )
    cutoff = utcnow() - timedelta(hours=get_settings().idempotency_ttl_hours)
    await session.execute(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.user_id) == actor.id, col(IdempotencyRecord.created_at) < cutoff
        )
    )
    existing = await _find(session, actor.id, key)
    if existing is not None:
        _answer_existing(existing, fingerprint)
    record = IdempotencyRecord(user_id=actor.id, key=key, fingerprint=fingerprint)
    session.add(record)
    try:
        await session.flush()
    except IntegrityError:
        # Another request with this key committed between our look and our claim (SQLite).
        await session.rollback()
        existing = await _find(session, actor.id, key)
        assert existing is not None
        _answer_existing(existing, fingerprint)

    route: APIRoute = request.scope["route"]

    async def complete(_session: AsyncSession, result: object) -> None:
        record.completed_at = utcnow()
        record.status_code = route.status_code or 200
        record.response_body = _serialise(route, result)

    add_commit_hook(session, complete)


Idempotent = Annotated[None, Depends(idempotency)]


def replay_response(replay: IdempotentReplay) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    body = replay.body
    if isinstance(body, dict) and isinstance(body.get("version"), int):
        headers["ETag"] = etag(body["version"])
    if body is None:
        return Response(status_code=replay.status_code, headers=headers)
    return JSONResponse(body, status_code=replay.status_code, headers=headers)
