from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.deps import AdminUser, SessionDep
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    Unprocessable,
    responses,
)
from app.idempotency import Idempotent
from app.models import Role, User
from app.pagination import Page, PageDep
from app.schemas.common import IdPath
from app.schemas.users import PasswordReset, UserCreate, UserRead, UserUpdate
from app.services import users
from app.versioning import IfMatchDep, VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/users", tags=["users"])
_COMMON = (Unauthorized, Forbidden)
# Ids are 64-bit: a larger number is no user's (and could not even be looked up).


@router.post(
    "",
    operation_id="createUser",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_COMMON, Conflict, Unprocessable),
)
async def create_user(
    body: UserCreate, session: SessionDep, actor: AdminUser, _: Idempotent
) -> UserRead:
    """Create an account (admin)."""
    user = await users.create(session, actor=actor, **body.model_dump())
    return UserRead.model_validate(user)


@router.get(
    "",
    operation_id="listUsers",
    response_model=Page[UserRead],
    responses=responses(*_COMMON, NotFound, Unprocessable),  # 404: no such `region`
)
async def list_users(
    session: SessionDep,
    actor: AdminUser,
    page: PageDep,
    role: Role | None = None,
    is_active: bool | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{6,12}$")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Page[User]:
    """Accounts in your scope, filtered by role, state, region subtree or name."""
    filters = users.UserFilters(role=role, is_active=is_active, region=region, q=q)
    return await users.get_all(session, actor=actor, filters=filters, params=page)


@router.get(
    "/{user_id}",
    operation_id="getUser",
    response_model=UserRead,
    responses=responses(*_COMMON, NotFound),
)
async def get_user(user_id: IdPath, session: SessionDep, actor: AdminUser) -> UserRead:
    """One account."""
    user = await users.get(session, actor=actor, user_id=user_id)
    return UserRead.model_validate(user)


@router.patch(
    "/{user_id}",
    operation_id="updateUser",
    response_model=UserRead,
    responses=responses(
        *_COMMON, NotFound, Conflict, PreconditionFailed, Unprocessable, PreconditionRequired
    ),
)
async def update_user(
    user_id: IdPath,
    body: UserUpdate,
    session: SessionDep,
    actor: AdminUser,
    if_match: IfMatchDep,
) -> UserRead:
    """Change name, role, scope or active state; deactivating ends the user's sign-ins."""
    user = await users.update(
        session,
        actor=actor,
        user_id=user_id,
        expected_version=if_match.version,
        changes=body.model_dump(exclude_unset=True),
    )
    return UserRead.model_validate(user)


@router.post(
    "/{user_id}/password",
    operation_id="resetUserPassword",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*_COMMON, NotFound, Unprocessable),
)
async def reset_password(
    user_id: IdPath, body: PasswordReset, session: SessionDep, actor: AdminUser
) -> Response:
    """Set a new password for a user who lost theirs; their sign-ins end."""
    await users.reset_password(session, actor=actor, user_id=user_id, password=body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
