"""Signing in, rotating refresh tokens, signing out, and who a bearer token belongs to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import passwords, reads, tokens
from app.core.config import Settings, get_settings
from app.core.db import commit
from app.core.keys import KeyRing, load_key_ring
from app.errors import Unauthorized
from app.models import AuthSession, LoginThrottle, RefreshToken, Region, Role, User
from app.models.base import utcnow
from app.scope import Actor
from app.services import auth_audit, password_policy, throttle


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "Incorrect username or password"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "The token is not valid"


class RefreshTokenReused(Unauthorized):
    code = "refresh_token_reused"
    title = "This refresh token was already used; the sign-in has been ended"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


_key_ring: KeyRing | None = None


def key_ring() -> KeyRing:
    global _key_ring
    if _key_ring is None:
        _key_ring = load_key_ring(get_settings())
    return _key_ring


def reset_key_ring() -> None:
    global _key_ring
    _key_ring = None


def _now() -> datetime:
    # Whole seconds: token times are whole seconds, and a refresh answer must be re-creatable.
    return utcnow().replace(microsecond=0)


def _encode(settings: Settings, claims: tokens.TokenClaims) -> str:
    return tokens.encode(
        claims, keys=key_ring(), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )


def _decode(settings: Settings, token: str, expected: tokens.TokenType) -> tokens.TokenClaims:
    try:
        return tokens.decode(
            token,
            expected=expected,
            keys=key_ring(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    except tokens.InvalidToken as exc:
        raise InvalidToken("The token is expired, malformed or not issued here.") from exc


def _pair(settings: Settings, *, user_id: int, refresh: RefreshToken, now: datetime) -> TokenPair:
    access_exp = now + timedelta(minutes=settings.access_token_minutes)
    access = tokens.TokenClaims(
        user_id=user_id,
        session_id=refresh.session_id,
        jti=str(uuid.uuid4()),
        token_type="access",
        token_version=refresh.token_version,
        issued_at=tokens.epoch(now),
        expires_at=tokens.epoch(access_exp),
    )
    return TokenPair(
        access_token=_encode(settings, access),
        refresh_token=_encode(settings, _refresh_claims(user_id, refresh)),
        expires_in=settings.access_token_minutes * 60,
        refresh_expires_in=max(0, int((refresh.expires_at - now).total_seconds())),
    )


def _refresh_claims(user_id: int, row: RefreshToken) -> tokens.TokenClaims:
    return tokens.TokenClaims(
        user_id=user_id,
        session_id=row.session_id,
        jti=row.jti,
        token_type="refresh",
        token_version=row.token_version,
        issued_at=tokens.epoch(row.issued_at),
        expires_at=tokens.epoch(row.expires_at),
    )


def _new_refresh(
    settings: Settings, *, user_id: int, session_id: str, token_version: int, now: datetime
) -> RefreshToken:
    row = RefreshToken(
        jti=str(uuid.uuid4()),
        session_id=session_id,
        token_hash="",
        issued_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
        token_version=token_version,
    )
    row.token_hash = tokens.token_hash(_encode(settings, _refresh_claims(user_id, row)))
    return row


async def login(
    session: AsyncSession, *, username: str, password: str, address: str, user_agent: str | None
) -> TokenPair:
    """Check the password (throttled per account and address) and open a new sign-in. Every
    outcome is audited and committed, refusals included (see :mod:`app.services.auth_audit`)."""
    settings, now, name = get_settings(), _now(), username.strip().lower()
    keys = [throttle.account_key(username), throttle.address_key(address)]
    try:
        await throttle.ensure_not_locked(session, keys=keys, now=now)
    except throttle.LoginThrottled:
        await _audit_throttled(session, name=name, keys=keys, address=address, now=now)
        await commit(session)
        raise
    user = await session.scalar(select(User).where(col(User.username) == name))
    if user is None or not user.is_active:
        await passwords.burn_verification_time(settings, password)
    elif await passwords.verify_password(settings, user.password_hash, password):
        return await _open_sign_in(
            session, settings, user=user, password=password, address=address, ua=user_agent, now=now
        )
    locked = await _count_failure(session, settings, keys=keys, now=now)
    if user is None:
        reason = "unknown_account"
    else:
        reason = "wrong_password" if user.is_active else "inactive_account"
    who = await auth_audit.subject(session, user=user, name=name, key=key_ring().active_key)
    await auth_audit.sign_in_failed(session, who=who, reason=reason, address=address, locked=locked)
    await commit(session)
    raise InvalidCredentials("Incorrect username or password.")


async def _count_failure(
    session: AsyncSession, settings: Settings, *, keys: list[str], now: datetime
) -> list[str]:
    """Count a failed sign-in against the account and the address; the kinds it locked."""
    limits = [settings.login_max_failures_per_account, settings.login_max_failures_per_address]
    for key, limit in zip(keys, limits, strict=True):
        await throttle.record_failure(session, settings=settings, key=key, limit=limit, now=now)
    rows = [await session.get(LoginThrottle, key) for key in keys]
    return [r.key.split(":")[0] for r in rows if r and r.locked_until and r.locked_until > now]


async def _audit_throttled(
    session: AsyncSession, *, name: str, keys: list[str], address: str, now: datetime
) -> None:
    rows = [await session.get(LoginThrottle, key) for key in keys]
    locks = [r for r in rows if r is not None and r.locked_until and r.locked_until > now]
    user = await session.scalar(select(User).where(col(User.username) == name))
    who = await auth_audit.subject(session, user=user, name=name, key=key_ring().active_key)
    await auth_audit.sign_in_throttled(session, who=who, address=address, locks=locks)


async def _open_sign_in(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    password: str,
    address: str,
    ua: str | None,
    now: datetime,
) -> TokenPair:
    assert user.id is not None
    await throttle.clear(session, key=throttle.account_key(user.username))
    if passwords.needs_rehash(settings, user.password_hash):
        user.password_hash = await passwords.hash_password(settings, password)
    auth_session = AuthSession(
        id=str(uuid.uuid4()),
        user_id=user.id,
        expires_at=now + timedelta(days=settings.refresh_token_days),
        user_agent=(ua or "")[:200] or None,
    )
    refresh = _new_refresh(
        settings,
        user_id=user.id,
        session_id=auth_session.id,
        token_version=user.token_version,
        now=now,
    )
    session.add_all([auth_session, refresh])
    await auth_audit.signed_in(session, user=user, session_id=auth_session.id, address=address)
    await commit(session)
    return _pair(settings, user_id=user.id, refresh=refresh, now=now)


async def refresh(session: AsyncSession, *, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is spent and a successor issued. A spent token presented
    again ends the whole sign-in, unless it comes within the grace window of its rotation (a
    phone that never got the answer), which repeats the same successor."""
    settings, now = get_settings(), _now()
    claims = _decode(settings, refresh_token, "refresh")
    row = await session.scalar(
        select(RefreshToken).where(col(RefreshToken.jti) == claims.jti).with_for_update()
    )
    if row is None or row.token_hash != tokens.token_hash(refresh_token):
        raise InvalidToken("The refresh token is not known.")
    found = (
        await session.execute(
            select(AuthSession, User)
            .join(User, col(User.id) == AuthSession.user_id)
            .where(col(AuthSession.id) == row.session_id)
        )
    ).one()
    auth_session, user = found
    assert user.id is not None
    if auth_session.revoked_at or not user.is_active or user.token_version != row.token_version:
        raise InvalidToken("This sign-in has ended; sign in again.")
    if row.used_at is not None:
        successor = await _grace_successor(session, settings, row, now)
        if successor is not None:
            return _pair(settings, user_id=user.id, refresh=successor, now=now)
        await _revoke(session, auth_session, reason="refresh_token_reused", now=now)
        await auth_audit.about_account(
            session,
            actor=None,
            action=auth_audit.REFRESH_REUSED,
            user=user,
            note={"session_id": auth_session.id},
        )
        await commit(session)
        raise RefreshTokenReused("This refresh token was already used; sign in again.")
    successor = _new_refresh(
        settings,
        user_id=user.id,
        session_id=row.session_id,
        token_version=row.token_version,
        now=now,
    )
    row.used_at, row.successor_jti = now, successor.jti
    auth_session.expires_at = successor.expires_at
    session.add(successor)
    await commit(session)
    return _pair(settings, user_id=user.id, refresh=successor, now=now)


async def _grace_successor(
    session: AsyncSession, settings: Settings, row: RefreshToken, now: datetime
) -> RefreshToken | None:
    assert row.used_at is not None
    if row.successor_jti is None:
        return None
    if now - row.used_at > timedelta(seconds=settings.refresh_reuse_grace_seconds):
        return None
    successor = await session.get(RefreshToken, row.successor_jti)
    return successor if successor is not None and successor.used_at is None else None


async def _revoke(
    session: AsyncSession, auth_session: AuthSession, *, reason: str, now: datetime
) -> None:
    if auth_session.revoked_at is None:
        auth_session.revoked_at, auth_session.revoked_reason = now, reason


async def end_all_sessions(session: AsyncSession, *, user: User, reason: str) -> None:
    """Every token the user holds stops working: sign-ins revoked, token version bumped."""
    user.token_version += 1
    await session.execute(
        update(AuthSession)
        .where(col(AuthSession.user_id) == user.id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


async def logout(session: AsyncSession, *, actor: Actor) -> None:
    auth_session = await session.get(AuthSession, actor.session_id, with_for_update=True)
    if auth_session is not None:
        await _revoke(session, auth_session, reason="logout", now=_now())
        await auth_audit.signed_out(session, actor=actor)
        await commit(session)


async def change_password(
    session: AsyncSession, *, actor: Actor, current_password: str, new_password: str
) -> None:
    """Change your own password: the current one is checked first, throttled and audited like
    a sign-in (a stolen access token must not become the account)."""
    settings, now = get_settings(), _now()
    key = throttle.account_key(actor.username)
    await throttle.ensure_not_locked(session, keys=[key], now=now)
    user = await session.get(User, actor.id, with_for_update=True)
    assert user is not None
    if not await passwords.verify_password(settings, user.password_hash, current_password):
        await throttle.record_failure(
            session,
            settings=settings,
            key=key,
            limit=settings.login_max_failures_per_account,
            now=now,
        )
        await auth_audit.about_account(
            session,
            actor=actor,
            action=auth_audit.PASSWORD_CHANGE_FAILED,
            user=user,
            note={"reason": "wrong_current_password"},
        )
        await commit(session)
        raise InvalidCredentials("The current password is not correct.")
    await set_password(session, user=user, password=new_password, actor=actor, kind="self_change")
    await commit(session)


PasswordSetting = Literal["self_change", "admin_reset"]


async def set_password(
    session: AsyncSession, *, user: User, password: str, actor: Actor, kind: PasswordSetting
) -> None:
    """Apply the policy, store the new hash, end the user's tokens, and audit who set whose
    password and how (no commit). A change of one's own is refused on ``new_password``."""
    await password_policy.ensure_acceptable(
        session,
        password=password,
        account=password_policy.AccountWords.of(user),
        field="new_password" if kind == "self_change" else "password",
    )
    user.password_hash = await passwords.hash_password(get_settings(), password)
    user.password_changed_at = utcnow()
    await end_all_sessions(session, user=user, reason="password_changed")
    await auth_audit.about_account(
        session,
        actor=actor,
        action=auth_audit.PASSWORD_CHANGED,
        user=user,
        note={"kind": kind},
    )


# Columns, not the User entity: this runs on every request, and an ORM object costs more to
# build than the row it comes from. Built once; a request binds the token's ids.
_ACTOR = (
    select(
        col(User.id), col(User.username), col(User.role), col(User.region_code),
        col(User.employer_id), col(User.is_active), col(User.token_version),
        col(AuthSession.revoked_at), col(Region.path), col(Region.level),
    )
    .join(AuthSession, col(AuthSession.user_id) == col(User.id))
    .outerjoin(Region, col(Region.code) == col(User.region_code))
    .where(col(User.id) == bindparam("user_id"), col(AuthSession.id) == bindparam("session_id"))
)  # fmt: skip


async def actor_for_token(session: AsyncSession, token: str) -> Actor:
    """The user behind an access token, with the region path that scopes them; one query."""
    settings = get_settings()
    claims = _decode(settings, token, "access")
    found = await reads.fetch_one(
        session, _ACTOR, {"user_id": claims.user_id, "session_id": claims.session_id}
    )
    if found is None:
        raise InvalidToken("The token's user or sign-in no longer exists.")
    if (
        found["revoked_at"] is not None
        or not found["is_active"]
        or found["token_version"] != claims.token_version
    ):
        raise InvalidToken("This sign-in has ended; sign in again.")
    return Actor(
        id=found["id"],
        username=found["username"],
        role=Role(found["role"]),
        region_code=found["region_code"],
        region_path=found["path"],
        employer_id=found["employer_id"],
        session_id=claims.session_id,
        region_level=found["level"],
    )
