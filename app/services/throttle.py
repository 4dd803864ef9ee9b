"""Failed sign-ins, counted per account and per client address in the database, so that every
app process sees the same counts."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import Settings
from app.core.db import insert_ignore, is_postgres
from app.errors import TooManyRequests
from app.models import LoginThrottle


def account_key(username: str) -> str:
    return "account:" + username.strip().lower()[:100]


def address_key(address: str) -> str:
    return "address:" + address[:100]


class LoginThrottled(TooManyRequests):
    code = "login_throttled"
    title = "Too many failed sign-ins"


def _lock_id(key: str) -> int:
    digest = hashlib.sha256(f"login-throttle:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def ensure_not_locked(session: AsyncSession, *, keys: list[str], now: datetime) -> None:
    """Refuse while any of ``keys`` is locked out. On PostgreSQL this first takes a lock per key
    that is held until the transaction ends, so attempts on one account or from one address take
    turns: each sees the failure the one before it recorded (otherwise a burst of parallel
    guesses would all pass this check before the first failure was counted). SQLite's
    ``BEGIN IMMEDIATE`` already serialises every transaction."""
    if is_postgres(session):
        for key in sorted(set(keys)):  # one order everywhere: no deadlock between attempts
            await session.execute(select(func.pg_advisory_xact_lock(_lock_id(key))))
    rows = (
        await session.scalars(select(LoginThrottle).where(col(LoginThrottle.key).in_(keys)))
    ).all()
    waits = [
        (r.locked_until - now).total_seconds()
        for r in rows
        if r.locked_until and r.locked_until > now
    ]
    if waits:
        raise LoginThrottled(
            "Too many failed sign-ins; wait before trying again.",
            retry_after=max(1, math.ceil(max(waits))),
        )


async def record_failure(
    session: AsyncSession, *, settings: Settings, key: str, limit: int, now: datetime
) -> None:
    await insert_ignore(
        session, LoginThrottle, {"key": key, "failures": 0, "window_started_at": now}
    )
    row = await session.scalar(
        select(LoginThrottle).where(col(LoginThrottle.key) == key).with_for_update()
    )
    assert row is not None
    if now - row.window_started_at > timedelta(seconds=settings.login_window_seconds):
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    if row.failures >= limit:
        # Each failure past the limit doubles the wait, up to the ceiling.
        wait = settings.login_lockout_seconds * 2 ** min(row.failures - limit, 20)
        row.locked_until = now + timedelta(seconds=min(wait, settings.login_max_lockout_seconds))


async def clear(session: AsyncSession, *, key: str) -> None:
    await session.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == key))
