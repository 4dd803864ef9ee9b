"""Skills training: courses, sessions run township by township, enrolments and attendance."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import (
    BigId,
    Syncable,
    Versioned,
    created_at_field,
    enum_check,
    updated_at_field,
)
from app.models.vocab import Skill


class TrainingCourse(Versioned, table=True):
    __tablename__ = "training_courses"
    __table_args__ = (
        enum_check("type", Skill),
        sa.CheckConstraint("hours > 0", name="hours_positive"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    type: str = Field(sa_type=sa.String(24), index=True)
    name: str = Field(max_length=100)
    hours: int
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class SessionStatus(StrEnum):
    planned = "planned"
    running = "running"
    finished = "finished"
    cancelled = "cancelled"


class TrainingSession(Syncable, table=True):
    __tablename__ = "training_sessions"
    __table_args__ = (
        enum_check("status", SessionStatus),
        sa.CheckConstraint("end_date >= start_date", name="dates"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("enrolled >= 0 AND enrolled <= capacity", name="within_capacity"),
        sa.Index("ix_training_sessions_township_start", "township_code", "start_date"),
        sa.Index("ix_training_sessions_township_change_seq", "township_code", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    course_id: int = Field(foreign_key="training_courses.id", index=True, sa_type=BigId)
    provider: str = Field(max_length=200)
    township_code: str = Field(foreign_key="regions.code", max_length=12)
    start_date: date
    end_date: date
    capacity: int
    # Seats taken by active or completed enrolments: what the capacity is checked against.
    enrolled: int = Field(default=0)
    status: str = Field(default=SessionStatus.planned.value, sa_type=sa.String(10))
    created_by: int = Field(foreign_key="users.id", sa_type=BigId)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class EnrolmentStatus(StrEnum):
    enrolled = "enrolled"
    completed = "completed"
    dropped = "dropped"


class Enrolment(Syncable, table=True):
    __tablename__ = "enrolments"
    __table_args__ = (
        enum_check("status", EnrolmentStatus),
        sa.UniqueConstraint("session_id", "worker_id"),
        sa.UniqueConstraint("session_id", "certificate_number"),
        # One active enrolment per worker, whatever the session.
        sa.Index(
            "uq_enrolments_one_active_per_worker",
            "worker_id",
            unique=True,
            postgresql_where=sa.text("status = 'enrolled'"),
            sqlite_where=sa.text("status = 'enrolled'"),
        ),
        sa.Index("ix_enrolments_region_code_id", "region_code", "id"),
        sa.Index("ix_enrolments_region_change_seq", "region_code", "change_seq"),
        sa.Index("ix_enrolments_status_completed_on", "status", "completed_on"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    session_id: int = Field(foreign_key="training_sessions.id", sa_type=BigId)
    worker_id: int = Field(foreign_key="workers.id", index=True, sa_type=BigId)
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    course_type: str = Field(sa_type=sa.String(24))
    status: str = Field(default=EnrolmentStatus.enrolled.value, sa_type=sa.String(10))
    # The worker's status before training, restored when it ends.
    previous_status: str = Field(sa_type=sa.String(16))
    certificate_number: str | None = Field(default=None, max_length=50)
    completed_on: date | None = None
    dropped_on: date | None = None
    drop_reason: str | None = Field(default=None, max_length=500)
    enrolled_by: int = Field(foreign_key="users.id", sa_type=BigId)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Attendance(SQLModel, table=True):
    __tablename__ = "attendance"

    enrolment_id: int = Field(foreign_key="enrolments.id", primary_key=True, sa_type=BigId)
    day: date = Field(primary_key=True)
    recorded_by: int = Field(foreign_key="users.id", sa_type=BigId)
    recorded_at: datetime = created_at_field()
