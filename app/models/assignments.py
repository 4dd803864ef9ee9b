"""The assigned list (市下达任务): the labourers a city assigns to a district for a year."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import BigId, created_at_field


class Assignment(SQLModel, table=True):
    """One labourer on one district's list for one year. A labourer is on at most one list a
    year; taking one off the list deletes the row (the audit trail keeps who, when and why)."""

    __tablename__ = "assignments"
    __table_args__ = (
        # Also the index the indicators' "on the list" test looks a worker up by.
        sa.UniqueConstraint("year", "worker_id"),
        sa.Index("ix_assignments_region_code_year_id", "region_code", "year", "id"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    region_code: str = Field(foreign_key="regions.code", max_length=12)  # the district
    year: int
    worker_id: int = Field(foreign_key="workers.id", index=True, sa_type=BigId)
    source: str | None = Field(default=None, max_length=200)  # the city's document, a file name
    assigned_by: int | None = Field(default=None, foreign_key="users.id", sa_type=BigId)
    created_at: datetime = created_at_field()
