"""Dependencies every router uses: the session, the caller, and who may call a route."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database
from app.errors import Forbidden, Unauthorized
from app.models import Role
from app.scope import Actor
from app.services import auth, regions

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


_AUDITED_READS: set[Callable[..., Any]] = set()


def audited_read(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a GET route that writes (an audit entry of who read personal data): it gets a
    transactional session on the primary like any write."""
    _AUDITED_READS.add(endpoint)
    return endpoint


def _read_only(request: Request) -> bool:
    route = request.scope.get("route")
    return request.method in ("GET", "HEAD") and getattr(route, "endpoint", None) not in (
        _AUDITED_READS
    )


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request. GETs read in autocommit (on the replica when one is set): no
    BEGIN/ROLLBACK round trips and, on SQLite, no write lock; everything else runs in one
    transaction on the primary, committed by the service."""
    db: Database = request.app.state.db
    maker = db.read_sessionmaker if _read_only(request) else db.sessionmaker
    async with db.admitted(), maker() as session:
        yield session


# scope="function": the session is closed (and any open transaction rolled back) as soon as
# the route returns, not after the response has gone out.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def current_actor(
    session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Actor:
    if not token:
        raise Unauthorized("Sign in and send the access token as a Bearer token.")
    return await auth.actor_for_token(session, token)


CurrentUser = Annotated[Actor, Depends(current_actor)]


def require_roles(*roles: Role) -> object:
    allowed = frozenset(roles)

    async def dependency(actor: CurrentUser) -> Actor:
        if actor.role not in allowed:
            raise Forbidden(f"This needs the role {' or '.join(sorted(r.value for r in allowed))}.")
        return actor

    return Depends(dependency)


AdminUser = Annotated[Actor, require_roles(Role.admin)]
AuditorUser = Annotated[Actor, require_roles(Role.auditor)]
CaseworkerUser = Annotated[Actor, require_roles(Role.caseworker)]
EmployerUser = Annotated[Actor, require_roles(Role.employer)]
StaffUser = Annotated[Actor, require_roles(Role.caseworker, Role.admin)]
ReaderUser = Annotated[Actor, require_roles(Role.caseworker, Role.auditor, Role.admin)]
OversightUser = Annotated[Actor, require_roles(Role.auditor, Role.admin)]
# Everyone who acts on records (auditors only read and flag).
ActingUser = Annotated[Actor, require_roles(Role.caseworker, Role.employer, Role.admin)]
EmployerOrAdminUser = Annotated[Actor, require_roles(Role.employer, Role.admin)]


async def _district_admin(actor: AdminUser) -> Actor:
    regions.ensure_level(actor, what="Changing district-wide records")
    return actor


# District-wide records (policies, courses, payments): an admin of a township may not.
DistrictAdminUser = Annotated[Actor, Depends(_district_admin)]
