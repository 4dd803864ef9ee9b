"""Job fairs and campaigns (就业援助月, 春风行动, 园区招聘 …): who took part, what came of it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import BigId, Syncable, created_at_field, enum_check, updated_at_field


class Campaign(StrEnum):
    assistance_month = "assistance_month"
    spring_breeze = "spring_breeze"
    job_fair = "job_fair"
    park_recruitment = "park_recruitment"


class RecruitmentEvent(Syncable, table=True):
    __tablename__ = "recruitment_events"
    __table_args__ = (
        enum_check("campaign", Campaign),
        sa.Index("ix_recruitment_events_region_code_date", "region_code", "date"),
        sa.Index("ix_recruitment_events_region_change_seq", "region_code", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    name: str = Field(max_length=100)
    campaign: str = Field(sa_type=sa.String(20))
    date: date
    place: str = Field(max_length=200)
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    created_by: int = Field(foreign_key="users.id", sa_type=BigId)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class EventEmployer(SQLModel, table=True):
    __tablename__ = "event_employers"

    event_id: int = Field(foreign_key="recruitment_events.id", primary_key=True, sa_type=BigId)
    employer_id: int = Field(foreign_key="employers.id", primary_key=True, sa_type=BigId)


class EventVacancy(SQLModel, table=True):
    __tablename__ = "event_vacancies"

    event_id: int = Field(foreign_key="recruitment_events.id", primary_key=True, sa_type=BigId)
    vacancy_id: int = Field(foreign_key="vacancies.id", primary_key=True, sa_type=BigId)


class EventAttendee(SQLModel, table=True):
    __tablename__ = "event_attendees"

    event_id: int = Field(foreign_key="recruitment_events.id", primary_key=True, sa_type=BigId)
    worker_id: int = Field(foreign_key="workers.id", primary_key=True, sa_type=BigId)
    region_code: str = Field(foreign_key="regions.code", max_length=12)
