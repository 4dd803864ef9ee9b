"""The admin's backfill of history older than the everyday routes accept (SPEC §1, §5)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from app.models import EmploymentKind, EndReason
from app.schemas.common import (
    MAX_ID,
    Fen,
    IsoDate,
    RegionCode,
    RequestModel,
    ResponseModel,
)

WorkerId = Annotated[int, Field(ge=1, le=MAX_ID)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class RegistrationEntry(RequestModel):
    """The day the labourer entered the poverty register (建档立卡)."""

    kind: Literal["registration"]
    worker_id: WorkerId
    registered_on: IsoDate


class PovertyYearsEntry(RequestModel):
    """The years a household was identified as poor and lifted out (null: not known / not
    lifted)."""

    kind: Literal["poverty_years"]
    household_id: WorkerId
    identified_year: Year | None = None
    lifted_year: Year | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PovertyYearsEntry:
        if (
            self.identified_year is not None
            and self.lifted_year is not None
            and self.lifted_year < self.identified_year
        ):
            raise PydanticCustomError(
                "range_reversed", "the lift-out year is before the identification year"
            )
        return self


class AbilityEntry(RequestModel):
    """The willing-and-able judgement in force from a past day (until the next one)."""

    kind: Literal["ability"]
    worker_id: WorkerId
    effective_on: IsoDate
    willing_and_able: bool


class EmploymentEntry(RequestModel):
    """A past job. The same worker, start, kind and employer again is the same job."""

    kind: Literal["employment"]
    worker_id: WorkerId
    employment_kind: EmploymentKind
    employer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    title: str | None = Field(default=None, max_length=100)
    start_date: IsoDate
    end_date: IsoDate | None = None
    end_reason: EndReason | None = None
    monthly_wage_fen: Fen | None = None
    work_region_code: RegionCode | None = None
    organised_export: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> EmploymentEntry:
        if self.end_date is not None and self.end_date < self.start_date:
            raise PydanticCustomError("range_reversed", "the job ends before it starts")
        if (self.end_date is None) != (self.end_reason is None):
            raise PydanticCustomError(
                "both_or_neither", "give both end_date and end_reason, or neither"
            )
        return self


class CompletionEntry(RequestModel):
    """A past completion of a training session, with its certificate."""

    kind: Literal["completion"]
    worker_id: WorkerId
    session_id: WorkerId
    completed_on: IsoDate
    certificate_number: str = Field(min_length=1, max_length=50)


class FollowUpEntry(RequestModel):
    """A past follow-up check of a job, N months in."""

    kind: Literal["follow_up"]
    employment_id: WorkerId
    months: Literal[1, 3, 6, 12]
    checked_on: IsoDate
    still_employed: bool
    monthly_wage_fen: Fen | None = None


BackfillEntry = Annotated[
    RegistrationEntry
    | PovertyYearsEntry
    | AbilityEntry
    | EmploymentEntry
    | CompletionEntry
    | FollowUpEntry,
    Field(discriminator="kind"),
]


class BackfillRequest(RequestModel):
    source: str = Field(
        min_length=1,
        max_length=200,
        description="Where this history comes from (the registry export, the spreadsheet): "
        "kept with every entry's audit record.",
    )
    entries: list[BackfillEntry] = Field(min_length=1, max_length=500)


class BackfillOutcome(ResponseModel):
    index: int = Field(description="The entry's position in the request, from 0.")
    kind: str
    outcome: Literal["created", "updated", "unchanged"]
    resource_type: str
    resource_id: int


class BackfillReport(ResponseModel):
    source: str
    created: int
    updated: int
    unchanged: int
    entries: list[BackfillOutcome]
