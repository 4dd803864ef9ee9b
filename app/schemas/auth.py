from __future__ import annotations

from pydantic import Field

from app.schemas.common import RequestModel, ResponseModel


class TokenResponse(ResponseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires.")


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class PasswordChange(RequestModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)
