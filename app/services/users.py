"""Accounts: admins create them, scope them to a region or an employer, and retire them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import passwords
from app.core.config import get_settings
from app.core.db import commit
from app.errors import Conflict, FieldError, NotFound, Unprocessable
from app.models import Employer, Region, Role, User
from app.pagination import Page, PageParams, paginate
from app.schemas.users import UserRead
from app.scope import Actor, path_in_scope, region_subtree, scope_filter
from app.services import audit, auth, password_policy, regions
from app.versioning import ensure_version

_AUDITED = ("username", "full_name", "role", "region_code", "employer_id", "is_active")


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "No such user"


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "The username is taken"


class SelfDemotion(Conflict):
    code = "self_demotion"
    title = "You cannot deactivate or demote yourself"


class InvalidUserScope(Unprocessable):
    code = "invalid_user_scope"
    title = "The role and scope do not fit together"


@dataclass(frozen=True)
class UserFilters:
    role: Role | None = None
    is_active: bool | None = None
    region: str | None = None
    q: str | None = None


def _snapshot(user: User) -> dict[str, Any]:
    return {k: getattr(user, k) for k in _AUDITED}


def public(user: User) -> dict[str, Any]:
    return UserRead.model_validate(user).model_dump(mode="json")


def _visible(actor: Actor) -> Any:
    """Users whose own region, or whose employer's region, lies in the admin's subtree."""
    employer_region = (
        select(col(Employer.region_code)).where(col(Employer.id) == col(User.employer_id))
    ).scalar_subquery()
    return or_(
        scope_filter(actor, region=col(User.region_code)),
        scope_filter(actor, region=employer_region),
    )


async def get(session: AsyncSession, *, actor: Actor, user_id: int) -> User:
    user = await session.scalar(select(User).where(col(User.id) == user_id, _visible(actor)))
    if user is None:
        raise UserNotFound(f"There is no user {user_id}.")
    return user


async def get_all(
    session: AsyncSession, *, actor: Actor, filters: UserFilters, params: PageParams
) -> Page[User]:
    stmt = select(User).where(_visible(actor))
    if filters.role:
        stmt = stmt.where(col(User.role) == filters.role.value)
    if filters.is_active is not None:
        stmt = stmt.where(col(User.is_active) == filters.is_active)
    if filters.region:
        root = await regions.get(session, code=filters.region)
        stmt = stmt.where(
            col(User.region_code).in_(select(col(Region.code)).where(region_subtree(root.path)))
        )
    if filters.q:
        stmt = stmt.where(
            or_(
                col(User.username).contains(filters.q.lower(), autoescape=True),
                col(User.full_name).contains(filters.q, autoescape=True),
            )
        )
    return await paginate(session, stmt, keys=[col(User.id)], params=params)


async def _check_scope(
    session: AsyncSession,
    *,
    actor: Actor | None,
    role: Role,
    region_code: str | None,
    employer_id: int | None,
) -> None:
    def bad(field: str, message: str) -> InvalidUserScope:
        return InvalidUserScope(
            message, errors=[FieldError(field=f"body.{field}", message=message, type="scope")]
        )

    if role is Role.caseworker and region_code is None:
        raise bad("region_code", "a caseworker needs a region scope")
    if role is Role.employer and employer_id is None:
        raise bad("employer_id", "an employer user needs an employer")
    if role is not Role.employer and employer_id is not None:
        raise bad("employer_id", "only employer users belong to an employer")
    if role is Role.employer and region_code is not None:
        raise bad("region_code", "employer users are scoped by their employer, not a region")
    if role is not Role.employer and region_code is None and actor and actor.region_path:
        # No region means the whole district: more than a region-scoped admin may hand out.
        raise bad("region_code", "the user needs a region within your own scope")
    if region_code is not None:
        region = await regions.require(session, code=region_code)
        if actor is not None and not path_in_scope(actor, region.path):
            raise bad("region_code", "the region lies outside your own scope")
    if employer_id is not None:
        employer = await session.get(Employer, employer_id)
        if employer is None:
            raise bad("employer_id", "unknown employer")
        region = await regions.get(session, code=employer.region_code)
        if actor is not None and not path_in_scope(actor, region.path):
            raise bad("employer_id", "the employer lies outside your own scope")


async def create(
    session: AsyncSession,
    *,
    actor: Actor | None,
    username: str,
    full_name: str,
    role: Role,
    password: str,
    region_code: str | None = None,
    employer_id: int | None = None,
) -> User:
    username = username.strip().lower()
    if await session.scalar(select(col(User.id)).where(col(User.username) == username)) is not None:
        raise UsernameTaken(f"The username {username!r} is taken.")
    await _check_scope(
        session, actor=actor, role=role, region_code=region_code, employer_id=employer_id
    )
    account = password_policy.AccountWords(
        username, full_name, role.value, region_code, employer_id
    )
    await password_policy.ensure_acceptable(session, password=password, account=account)
    user = User(
        username=username,
        full_name=full_name,
        role=role.value,
        region_code=region_code,
        employer_id=employer_id,
        password_hash=await passwords.hash_password(get_settings(), password),
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Another admin took the name between our look and our insert.
        if "username" not in str(exc.orig):
            raise
        raise UsernameTaken(f"The username {username!r} is taken.") from exc
    await audit.record(
        session,
        actor=actor,
        action="user.create",
        resource_type="user",
        resource_id=user.id,
        region_code=region_code,
        after=_snapshot(user),
    )
    await commit(session, result=user)
    return user


async def update(
    session: AsyncSession,
    *,
    actor: Actor,
    user_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> User:
    user = await get(session, actor=actor, user_id=user_id)
    ensure_version(
        expected=expected_version,
        current_version=user.version,
        changes=changes,
        current=public(user),
    )
    before = _snapshot(user)
    merged = {**before, **changes}
    role = Role(merged["role"])
    await _check_scope(
        session,
        actor=actor,
        role=role,
        region_code=merged["region_code"],
        employer_id=merged["employer_id"],
    )
    if user.id == actor.id and (changes.get("is_active") is False or role is not Role.admin):
        raise SelfDemotion("You cannot deactivate or demote yourself; ask another admin.")
    for key, value in changes.items():
        setattr(user, key, value.value if isinstance(value, Role) else value)
    if before["is_active"] and user.is_active is False:
        await auth.end_all_sessions(session, user=user, reason="deactivated")
    await audit.record(
        session,
        actor=actor,
        action="user.update",
        resource_type="user",
        resource_id=user.id,
        region_code=user.region_code,
        before=before,
        after=_snapshot(user),
    )
    await commit(session, result=user)
    return user


async def reset_password(
    session: AsyncSession, *, actor: Actor, user_id: int, password: str
) -> User:
    user = await get(session, actor=actor, user_id=user_id)
    await auth.set_password(session, user=user, password=password, actor=actor, kind="admin_reset")
    await commit(session, result=user)
    return user


async def get_self(session: AsyncSession, *, actor: Actor) -> User:
    user = await session.get(User, actor.id)
    if user is None:
        raise UserNotFound("Your account no longer exists.")
    return user
