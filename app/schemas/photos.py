from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import UploadFile
from pydantic import Field

from app.schemas.common import IsoDateTime, RequestModel, ResponseModel


class PhotoUpload(RequestModel):
    """The multipart form of an upload: the file, and what the phone knows about it."""

    file: Annotated[UploadFile, Field(description="The photo (or a kept document's scan).")]
    taken_at: IsoDateTime | None = Field(
        default=None,
        description="When the phone took it (UTC); not in the future. The upload may come "
        "days later, when the phone has signal.",
    )
    caption: str | None = Field(default=None, max_length=500)


class PhotoRead(ResponseModel):
    """A photo's record; its bytes are read with `downloadPhoto`."""

    id: int
    visit_id: int | None
    household_id: int | None
    worker_id: int | None
    region_code: str
    filename: str
    content_type: str
    size: int
    sha256: str
    taken_at: datetime | None
    caption: str | None
    uploaded_by: int
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = False
