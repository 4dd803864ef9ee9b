from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Self

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.masking import mask_id_number, mask_phone
from app.models import (
    DisabilityLevel,
    Education,
    EmploymentStatus,
    JobType,
    PovertyStatus,
    Sex,
    Skill,
    VisitKind,
    WorkLocation,
)
from app.schemas.common import (
    MAX_ID,
    IsoDate,
    IsoDateTime,
    MobilePhone,
    Notes,
    RegionCode,
    RequestModel,
    ResidentIdNumber,
    ResponseModel,
)


def _unique(values: list[Any] | None) -> list[Any] | None:
    return None if values is None else list(dict.fromkeys(values))


class _WorkerFields(RequestModel):
    @field_validator("skills", "training_wishes", "job_wishes", check_fields=False)
    @classmethod
    def _dedupe(cls, values: list[Any] | None) -> list[Any] | None:
        return _unique(values)


class WorkerCreate(_WorkerFields):
    household_id: int = Field(ge=1, le=MAX_ID)
    full_name: str = Field(min_length=1, max_length=50)
    id_number: ResidentIdNumber
    phone: MobilePhone | None = None
    region_code: RegionCode = Field(description="The worker's village (or township).")
    disability_level: DisabilityLevel = DisabilityLevel.none
    education: Education | None = None
    skills: list[Skill] = Field(default_factory=list, max_length=20)
    training_wishes: list[Skill] = Field(default_factory=list, max_length=20)
    job_wishes: list[JobType] = Field(default_factory=list, max_length=20)
    work_location_wish: WorkLocation | None = None
    employment_status: EmploymentStatus = EmploymentStatus.unemployed
    able_to_work: bool = True
    notes: Notes | None = None


class WorkerUpdate(_WorkerFields):
    household_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    full_name: str | None = Field(default=None, min_length=1, max_length=50)
    id_number: ResidentIdNumber | None = None
    phone: MobilePhone | None = None
    region_code: RegionCode | None = None
    disability_level: DisabilityLevel | None = None
    education: Education | None = None
    skills: list[Skill] | None = Field(default=None, max_length=20)
    training_wishes: list[Skill] | None = Field(default=None, max_length=20)
    job_wishes: list[JobType] | None = Field(default=None, max_length=20)
    work_location_wish: WorkLocation | None = None
    employment_status: EmploymentStatus | None = None
    able_to_work: bool | None = None
    notes: Notes | None = None


class WorkerSummary(ResponseModel):
    """A worker as lists, searches and offline sync show it: personal data masked."""

    @classmethod
    def from_record(cls, data: Any, *, reveal: bool = False) -> Self:
        """A table row (an ORM object, or selected columns with these names), personal data
        masked unless ``reveal``."""
        return cls.model_validate(cls._record_fields(data, reveal=reveal))

    @model_validator(mode="before")
    @classmethod
    def _from_table_row(cls, data: Any) -> Any:
        # A row validated directly (an idempotent replay stores the create's answer this way)
        # reads as from_record shows it: masked. Lists select theirs masked already, as dicts.
        return data if isinstance(data, dict) else cls._record_fields(data, reveal=False)

    @classmethod
    def _record_fields(cls, data: Any, *, reveal: bool) -> dict[str, Any]:
        fields = getattr(data, "_fields", None)
        if fields is not None:  # selected columns: taken whole (fields not declared are ignored)
            out = dict(zip(fields, data, strict=True))
            if "deleted_at" in out:
                out["deleted"] = out.pop("deleted_at") is not None
        else:
            names = cls.__pydantic_fields__
            out = {name: getattr(data, name) for name in names if hasattr(data, name)}
            out["deleted"] = getattr(data, "deleted_at", None) is not None
        if not reveal:
            out["id_number"] = mask_id_number(out.get("id_number"))
            out["phone"] = mask_phone(out.get("phone"))
            out["birth_date"] = None
        if "personal_data_masked" in cls.__pydantic_fields__:
            out["personal_data_masked"] = not reveal
        return out

    id: int
    household_id: int
    full_name: str
    id_number: str = Field(description="Masked: 340406********1234.")
    sex: Sex
    birth_date: IsoDate | None = Field(description="Withheld in lists (it is part of the ID).")
    phone: str | None = Field(description="Masked: 138****5678.")
    region_code: str
    employment_status: EmploymentStatus
    able_to_work: bool
    skills: list[Skill]
    training_wishes: list[Skill]
    job_wishes: list[JobType]
    work_location_wish: WorkLocation | None
    disability_level: DisabilityLevel
    version: int
    updated_at: datetime
    deleted: bool = Field(default=False, description="A tombstone (offline sync only).")


class WorkerRead(WorkerSummary):
    """The detail view: full ID number and phone for caseworkers and admins in scope (and that
    read is audited); masked for everyone else."""

    education: Education | None
    notes: str | None
    registered_on: IsoDate = Field(
        description="建档立卡: the day the labourer entered the poverty register (the day the "
        "record was created, unless an admin brought in an older date from the registry)."
    )
    created_at: datetime
    personal_data_masked: bool


class StatusChanges(RequestModel):
    """Changes decided at a visit, applied to the worker in the same transaction."""

    employment_status: EmploymentStatus | None = None
    able_to_work: bool | None = None


class HouseholdStatusChanges(RequestModel):
    poverty_status: PovertyStatus | None = None


class _VisitFields(RequestModel):
    kind: VisitKind
    visited_at: IsoDateTime
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    notes: str | None = Field(default=None, max_length=4000)

    @field_validator("visited_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
            raise PydanticCustomError("not_utc", "the time cannot be expressed in UTC") from exc

    @model_validator(mode="after")
    def _both_or_neither(self) -> _VisitFields:
        if (self.latitude is None) != (self.longitude is None):
            raise PydanticCustomError(
                "both_or_neither", "give both latitude and longitude, or neither"
            )
        return self


class WorkerVisitCreate(_VisitFields):
    status_changes: StatusChanges | None = None


class HouseholdVisitCreate(_VisitFields):
    status_changes: HouseholdStatusChanges | None = None


class VisitRead(ResponseModel):
    id: int
    worker_id: int | None
    household_id: int | None
    region_code: str
    caseworker_id: int
    kind: VisitKind
    visited_at: datetime
    latitude: float | None
    longitude: float | None
    notes: str | None
    status_changes: dict[str, dict[str, Any]] | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = False


class TimelineEvent(ResponseModel):
    at: datetime
    kind: str = Field(
        description="registered, visit, enrolment, referral, employment, claim, payment …"
    )
    resource_type: str
    resource_id: int
    title: str
    details: dict[str, Any] = Field(default_factory=dict)


class Timeline(ResponseModel):
    worker_id: int
    events: list[TimelineEvent] = Field(description="Newest first.")
