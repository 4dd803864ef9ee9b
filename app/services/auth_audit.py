"""What signing in and out, and setting passwords, leave in the audit log.

Every entry about an account is filed under the account's region (an employer user's, its
employer's), so a scoped auditor sees their own users' sign-ins. A failed sign-in stores the
reason and the client address, never what was typed as the password. The username is stored
only as the id of the account it names: a name that names no account may be a password typed
into the wrong box, so it is kept as a keyed, truncated digest (:func:`unknown_subject`),
enough to see one name tried again and again, not enough to read it back without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import AuditEntry, Employer, LoginThrottle, Role, User
from app.scope import Actor
from app.services import audit

SIGN_IN = "auth.sign_in"
SIGN_IN_FAILED = "auth.sign_in_failed"
SIGN_IN_THROTTLED = "auth.sign_in_throttled"
SIGN_OUT = "auth.sign_out"
REFRESH_REUSED = "auth.refresh_reused"
PASSWORD_CHANGED = "user.password_changed"
PASSWORD_CHANGE_FAILED = "auth.password_change_failed"


@dataclass(frozen=True)
class Subject:
    """Whom a sign-in attempt was for: an account's id, or the digest of a name that names
    none; and the region its entries are filed under."""

    resource_id: str
    region_code: str | None


async def region_of(
    session: AsyncSession, *, region_code: str | None, employer_id: int | None
) -> str | None:
    """The region an account's entries are filed under: its own, or its employer's."""
    if region_code is not None or employer_id is None:
        return region_code
    found: str | None = await session.scalar(
        select(col(Employer.region_code)).where(col(Employer.id) == employer_id)
    )
    return found


def unknown_subject(name: str, *, key: bytes) -> str:
    """A name that names no account, as 16 hex digits of an HMAC: the same name gives the same
    digest (until the key rotates); the database alone does not give the name back."""
    digest = hmac.new(key, b"jobpath-unknown-sign-in\x00" + name.encode(), hashlib.sha256)
    return "unknown:" + digest.hexdigest()[:16]


async def subject(session: AsyncSession, *, user: User | None, name: str, key: bytes) -> Subject:
    if user is None:
        return Subject(unknown_subject(name, key=key), None)
    region = await region_of(session, region_code=user.region_code, employer_id=user.employer_id)
    return Subject(str(user.id), region)


async def signed_in(session: AsyncSession, *, user: User, session_id: str, address: str) -> None:
    assert user.id is not None
    actor = Actor(
        id=user.id,
        username=user.username,
        role=Role(user.role),
        region_code=user.region_code,
        region_path=None,
        employer_id=user.employer_id,
        session_id=session_id,
    )
    await about_account(
        session,
        actor=actor,
        action=SIGN_IN,
        user=user,
        note={"session_id": session_id, "client_address": address},
    )


async def sign_in_failed(
    session: AsyncSession, *, who: Subject, reason: str, address: str, locked: Sequence[str]
) -> None:
    """``reason``: unknown_account, inactive_account or wrong_password; ``locked``: the keys
    (account, address) this failure locked."""
    note = {"reason": reason, "client_address": address, "locked": sorted(locked)}
    resource = ("user", who.resource_id, who.region_code)
    await _attempt(session, SIGN_IN_FAILED, resource, note)


async def sign_in_throttled(
    session: AsyncSession, *, who: Subject, address: str, locks: Sequence[LoginThrottle]
) -> None:
    """One entry per lock-out, not one per refused attempt: a refused attempt costs no password
    check, so an entry for each would let one client flood the log. The entry is about the
    account when the account is locked, else about the client address."""
    if any(lock.key.startswith("account:") for lock in locks):
        resource = ("user", who.resource_id, who.region_code)
    else:
        resource = ("client_address", address[:64], None)
    since = min(lock.window_started_at for lock in locks)
    if not await _recorded_since(session, SIGN_IN_THROTTLED, resource[:2], since):
        kinds = sorted(lock.key.split(":")[0] for lock in locks)
        note = {"client_address": address, "locked": kinds}
        await _attempt(session, SIGN_IN_THROTTLED, resource, note)


async def _attempt(
    session: AsyncSession,
    action: str,
    resource: tuple[str, str, str | None],
    note: dict[str, Any],
) -> None:
    """An entry about a sign-in attempt: nobody is signed in, so it has no actor."""
    resource_type, resource_id, region_code = resource
    await audit.record(
        session,
        actor=None,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        region_code=region_code,
        note=note,
    )


async def _recorded_since(
    session: AsyncSession, action: str, resource: tuple[str, str], since: datetime
) -> bool:
    found = await session.scalar(
        select(col(AuditEntry.id))
        .where(
            col(AuditEntry.resource_type) == resource[0],
            col(AuditEntry.resource_id) == resource[1],
            col(AuditEntry.action) == action,
            col(AuditEntry.at) >= since,
        )
        .limit(1)
    )
    return found is not None


async def signed_out(session: AsyncSession, *, actor: Actor) -> None:
    note = {"session_id": actor.session_id}
    await about_account(session, actor=actor, action=SIGN_OUT, user=actor, note=note)


async def about_account(
    session: AsyncSession,
    *,
    actor: Actor | None,
    action: str,
    user: User | Actor,
    note: dict[str, Any],
) -> None:
    """An entry about ``user``'s account (a sign-in, a password set, a sign-in ended)."""
    region = await region_of(session, region_code=user.region_code, employer_id=user.employer_id)
    await audit.record(
        session,
        actor=actor,
        action=action,
        resource_type="user",
        resource_id=user.id,
        region_code=region,
        note=note,
    )
