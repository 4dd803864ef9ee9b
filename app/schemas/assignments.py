from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from app.schemas.common import MAX_ID, RegionCode, RequestModel, ResidentIdNumber, ResponseModel
from app.schemas.imports import RowErrorRead

MAX_LINES = 20_000  # a district's list is hundreds; a city's, a few thousand


class AssignmentCreate(RequestModel):
    """Labourers to put on a district's list, by worker id or by ID number (or both)."""

    region_code: RegionCode = Field(description="The district the list is assigned to.")
    year: int = Field(ge=2000, le=2100, description="The year of the list (at most next year).")
    worker_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=MAX_LINES
    )
    id_numbers: list[ResidentIdNumber] = Field(default_factory=list, max_length=MAX_LINES)
    source: str | None = Field(
        default=None, max_length=200, description="The city's document, e.g. 淮南市2026年下达任务."
    )

    @model_validator(mode="after")
    def _something(self) -> AssignmentCreate:
        if not self.worker_ids and not self.id_numbers:
            raise ValueError("give worker_ids or id_numbers")
        return self


class AssignmentLineRead(ResponseModel):
    row: int = Field(
        description="The line: in a file, its row (the header is row 1); in a JSON list, its "
        "position counting worker_ids first, then id_numbers, from 1."
    )
    outcome: Literal["assigned", "already_assigned", "failed"]
    worker_id: int | None
    errors: list[RowErrorRead]


class AssignmentReportRead(ResponseModel):
    region_code: str
    year: int
    dry_run: bool
    total: int
    assigned: int
    already_assigned: int
    failed: int
    rows: list[AssignmentLineRead]


class AssignmentRead(ResponseModel):
    id: int
    region_code: str = Field(description="The district whose list this is.")
    year: int
    worker_id: int
    full_name: str
    id_number: str = Field(description="Masked: 340406********1234.")
    worker_region_code: str
    source: str | None
    assigned_by: int | None
    created_at: datetime
