from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.schemas.common import ResponseModel


class RowErrorRead(ResponseModel):
    field: str = Field(description="The column (as named in the registry layout) or `row`.")
    message: str


class RowResultRead(ResponseModel):
    row: int = Field(description="Line in the spreadsheet; the header is line 1.")
    outcome: Literal["created", "updated", "unchanged", "failed"]
    worker_id: int | None
    errors: list[RowErrorRead]


class ImportReportRead(ResponseModel):
    dry_run: bool
    total: int
    created: int
    updated: int
    unchanged: int
    failed: int
    rows: list[RowResultRead]
