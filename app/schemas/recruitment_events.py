from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from app.models import Campaign
from app.schemas.common import MAX_ID, IsoDate, RegionCode, RequestModel, ResponseModel

RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]


class EventCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    campaign: Campaign
    date: IsoDate = Field(description="Past events may be recorded; planned ones a year ahead.")
    place: str = Field(min_length=1, max_length=200)
    region_code: RegionCode
    employer_ids: list[RecordId] = Field(default_factory=list, max_length=500)
    vacancy_ids: list[RecordId] = Field(default_factory=list, max_length=2000)


class Attendance(RequestModel):
    worker_id: int = Field(ge=1, le=MAX_ID)


class EventParticipation(RequestModel):
    employer_ids: list[RecordId] = Field(default_factory=list, max_length=500)
    vacancy_ids: list[RecordId] = Field(default_factory=list, max_length=2000)


class EventOutcomes(ResponseModel):
    """The event as a funnel, each step counting everyone who reached it (of your scope;
    employers: of their own vacancies): attendees → referred → interviewed → hired."""

    attendees: int = Field(description="Workers of your scope who attended.")
    referred: int = Field(description="Referrals made at the event, whatever came of them.")
    interviewed: int = Field(
        description="Referrals that reached an interview: hired, or interviewed and then "
        "declined, withdrawn or still waiting."
    )
    hired: int
    declined: int = Field(description="Declined by the employer (after an interview or not).")
    withdrawn: int = Field(description="Withdrawn by the caseworker.")


class EventRead(ResponseModel):
    id: int
    name: str
    campaign: Campaign
    date: IsoDate
    place: str
    region_code: str
    created_by: int
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(default=False, description="A tombstone (offline sync only).")


class EventDetail(EventRead):
    employer_ids: list[int]
    vacancy_ids: list[int]
    outcomes: EventOutcomes
