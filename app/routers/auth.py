from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.deps import CurrentUser, SessionDep
from app.errors import TooManyRequests, Unauthorized, Unprocessable, responses
from app.schemas.auth import PasswordChange, RefreshRequest, TokenResponse
from app.schemas.users import UserRead
from app.services import auth, users
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/auth", tags=["auth"])


@router.post(
    "/token",
    operation_id="signIn",
    response_model=TokenResponse,
    responses=responses(Unauthorized, TooManyRequests),
)
async def token(
    request: Request,
    session: SessionDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenResponse:
    """Sign in with username and password (OAuth2 password form); returns an access token and
    a refresh token."""
    pair = await auth.login(
        session,
        username=form.username,
        password=form.password,
        address=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent"),
    )
    return TokenResponse.model_validate(pair)


@router.post(
    "/refresh",
    operation_id="refreshToken",
    response_model=TokenResponse,
    responses=responses(Unauthorized),
)
async def refresh(body: RefreshRequest, session: SessionDep) -> TokenResponse:
    """Trade a refresh token for a new pair; the old refresh token is spent."""
    pair = await auth.refresh(session, refresh_token=body.refresh_token)
    return TokenResponse.model_validate(pair)


@router.post(
    "/logout",
    operation_id="signOut",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized),
)
async def logout(session: SessionDep, actor: CurrentUser) -> Response:
    """End this sign-in: its access and refresh tokens stop working."""
    await auth.logout(session, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me", operation_id="getCurrentUser", response_model=UserRead, responses=responses(Unauthorized)
)
async def me(session: SessionDep, actor: CurrentUser) -> UserRead:
    """The signed-in user."""
    return UserRead.model_validate(await users.get_self(session, actor=actor))


@router.post(
    "/password",
    operation_id="changePassword",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, Unprocessable, TooManyRequests),
)
async def change_password(
    body: PasswordChange, session: SessionDep, actor: CurrentUser
) -> Response:
    """Change your own password; every existing sign-in of yours ends."""
    await auth.change_password(
        session,
        actor=actor,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
