"""Registered poor labourers (workers) and caseworkers' visits."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import (
    BigId,
    JsonList,
    Syncable,
    UTCDateTime,
    created_at_field,
    enum_check,
    programme_today,
    updated_at_field,
)
from app.models.vocab import WorkLocation


class EmploymentStatus(StrEnum):
    unemployed = "unemployed"
    employed = "employed"
    self_employed = "self_employed"
    assistance_post = "assistance_post"
    in_training = "in_training"
    unable_to_work = "unable_to_work"


class Sex(StrEnum):
    male = "male"
    female = "female"


class DisabilityLevel(StrEnum):
    none = "none"
    level_1 = "level_1"
    level_2 = "level_2"
    level_3 = "level_3"
    level_4 = "level_4"


class Education(StrEnum):
    none = "none"
    primary = "primary"
    junior_secondary = "junior_secondary"
    senior_secondary = "senior_secondary"
    vocational = "vocational"
    college = "college"
    bachelor_or_above = "bachelor_or_above"


class Worker(Syncable, table=True):
    __tablename__ = "workers"
    __table_args__ = (
        enum_check("employment_status", EmploymentStatus),
        enum_check("sex", Sex),
        enum_check("disability_level", DisabilityLevel),
        enum_check("education", Education),
        enum_check("work_location_wish", WorkLocation),
        sa.Index("ix_workers_region_status_id", "region_code", "employment_status", "id"),
        sa.Index("ix_workers_region_code_id", "region_code", "id"),
        sa.Index("ix_workers_id_suffix", "id_suffix", "id"),
        sa.Index(
            "ix_workers_full_name_trgm",
            "full_name",
            postgresql_using="gin",
            postgresql_ops={"full_name": "gin_trgm_ops"},
        ),
        sa.Index(
            "ix_workers_full_name_prefix",
            "full_name",
            postgresql_ops={"full_name": "varchar_pattern_ops"},
            # The region rides along so scope can be checked without visiting the table.
            postgresql_include=["region_code"],
        ),
        sa.Index("ix_workers_region_change_seq", "region_code", "change_seq"),
        sa.Index("ix_workers_skills", "skills", postgresql_using="gin"),
        sa.Index("ix_workers_training_wishes", "training_wishes", postgresql_using="gin"),
        sa.Index("ix_workers_job_wishes", "job_wishes", postgresql_using="gin"),
        # The agenda's "not visited for N days": labourers of a region by their last visit,
        # and those never visited by their registration day.
        sa.Index("ix_workers_region_last_visited", "region_code", "last_visited_at"),
        sa.Index(
            "ix_workers_region_never_visited",
            "region_code",
            "registered_on",
            postgresql_where=sa.text("last_visited_at IS NULL"),
            sqlite_where=sa.text("last_visited_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    household_id: int = Field(foreign_key="households.id", index=True, sa_type=BigId)
    full_name: str = Field(max_length=50)
    id_number: str = Field(max_length=18, unique=True)
    # The last four characters, for "find by the last digits of the ID" on a phone.
    id_suffix: str = Field(max_length=4)
    birth_date: date
    sex: str = Field(sa_type=sa.String(8))
    phone: str | None = Field(default=None, max_length=20)
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    disability_level: str = Field(default=DisabilityLevel.none.value, sa_type=sa.String(16))
    education: str | None = Field(default=None, sa_type=sa.String(24))
    skills: list[str] = Field(default_factory=list, sa_type=JsonList)
    training_wishes: list[str] = Field(default_factory=list, sa_type=JsonList)
    job_wishes: list[str] = Field(default_factory=list, sa_type=JsonList)
    work_location_wish: str | None = Field(default=None, sa_type=sa.String(16))
    employment_status: str = Field(default=EmploymentStatus.unemployed.value, sa_type=sa.String(16))
    able_to_work: bool = Field(default=True)
    notes: str | None = Field(default=None, max_length=2000)
    # 建档立卡: the day the labourer entered the poverty register (the programme's day of the
    # record's creation, unless brought in from the registry's history by an admin). Counts
    # decide "registered by" from it, never from created_at.
    registered_on: date = Field(default_factory=programme_today)
    # The programme day the willing-and-able judgement last changed (None: never since
    # registration); the changes themselves are in worker_ability_changes.
    able_changed_on: date | None = None
    # When the labourer (or their household) was last visited: kept by the visit services in
    # the visit's own transaction, so the agenda need not read the visits.
    last_visited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class VisitKind(StrEnum):
    survey = "survey"
    follow_up = "follow_up"
    policy_briefing = "policy_briefing"
    training_mobilisation = "training_mobilisation"


class Visit(Syncable, table=True):
    __tablename__ = "visits"
    __table_args__ = (
        enum_check("kind", VisitKind),
        sa.CheckConstraint(
            "(worker_id IS NOT NULL) OR (household_id IS NOT NULL)", name="has_subject"
        ),
        sa.CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"
        ),
        sa.Index("ix_visits_worker_id_visited_at", "worker_id", "visited_at"),
        sa.Index("ix_visits_household_id_visited_at", "household_id", "visited_at"),
        sa.Index("ix_visits_region_code_id", "region_code", "id"),
        sa.Index("ix_visits_region_change_seq", "region_code", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    worker_id: int | None = Field(default=None, foreign_key="workers.id", sa_type=BigId)
    household_id: int | None = Field(default=None, foreign_key="households.id", sa_type=BigId)
    # The subject's region at the time of the visit: what scopes who may see it.
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    caseworker_id: int = Field(foreign_key="users.id", index=True, sa_type=BigId)
    kind: str = Field(sa_type=sa.String(24))
    visited_at: datetime = Field(sa_type=UTCDateTime)
    latitude: float | None = None
    longitude: float | None = None
    notes: str | None = Field(default=None, max_length=4000)
    # {"employment_status": {"before": ..., "after": ...}, ...} applied at the visit.
    status_changes: dict[str, dict[str, object]] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
