from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from app.models import EnrolmentStatus, SessionStatus, Skill
from app.schemas.common import MAX_ID, IsoDate, RegionCode, RequestModel, ResponseModel


class CourseCreate(RequestModel):
    type: Skill
    name: str = Field(min_length=1, max_length=100)
    hours: int = Field(ge=1, le=2000)


class CourseUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    hours: int | None = Field(default=None, ge=1, le=2000)


class CourseRead(ResponseModel):
    id: int
    type: Skill
    name: str
    hours: int
    version: int
    created_at: datetime
    updated_at: datetime


class _Dates(RequestModel):
    @model_validator(mode="after")
    def _ordered(self) -> _Dates:
        start, end = getattr(self, "start_date", None), getattr(self, "end_date", None)
        if start is not None and end is not None and end < start:
            raise PydanticCustomError("range_reversed", "end_date must not be before start_date")
        return self


class SessionCreate(_Dates):
    course_id: int = Field(ge=1, le=MAX_ID)
    provider: str = Field(min_length=1, max_length=200)
    township_code: RegionCode = Field(description="The township the session runs in.")
    start_date: IsoDate
    end_date: IsoDate
    capacity: int = Field(ge=1, le=1000)


class SessionUpdate(_Dates):
    provider: str | None = Field(default=None, min_length=1, max_length=200)
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    capacity: int | None = Field(default=None, ge=1, le=1000)
    status: SessionStatus | None = None


class SessionRead(ResponseModel):
    id: int
    course_id: int
    course_type: Skill
    course_name: str
    provider: str
    township_code: str
    start_date: IsoDate
    end_date: IsoDate
    capacity: int
    enrolled: int
    seats_left: int
    status: SessionStatus
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(default=False, description="A tombstone (offline sync only).")


class EnrolmentCreate(RequestModel):
    worker_id: int = Field(ge=1, le=MAX_ID)


class AttendanceCreate(RequestModel):
    day: IsoDate = Field(
        description="Within the session's dates, not before the enrolment, not after today."
    )


class Completion(RequestModel):
    certificate_number: str = Field(min_length=1, max_length=50, pattern=r"^[0-9A-Za-z-]+$")
    completed_on: IsoDate | None = Field(
        default=None,
        description="Within the session's dates, not before the enrolment, not after today; "
        "defaults to today, or to the session's last day once it has ended.",
    )


class Dropout(RequestModel):
    reason: str = Field(min_length=1, max_length=500)


class EnrolmentRead(ResponseModel):
    id: int
    session_id: int
    worker_id: int
    region_code: str
    course_type: Skill
    status: EnrolmentStatus
    certificate_number: str | None
    completed_on: IsoDate | None
    dropped_on: IsoDate | None
    drop_reason: str | None
    attendance_days: int = 0
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = False
