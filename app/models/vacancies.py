"""Vacancies employers post; caseworkers refer workers to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import (
    BigId,
    JsonList,
    Syncable,
    created_at_field,
    enum_check,
    updated_at_field,
)
from app.models.vocab import JobType


class VacancyStatus(StrEnum):
    open = "open"
    closed = "closed"
    filled = "filled"


class Vacancy(Syncable, table=True):
    __tablename__ = "vacancies"
    __table_args__ = (
        enum_check("status", VacancyStatus),
        enum_check("job_type", JobType),
        sa.CheckConstraint("openings >= 1", name="openings_positive"),
        sa.CheckConstraint("filled >= 0 AND filled <= openings", name="filled_within_openings"),
        sa.CheckConstraint(
            "wage_min_fen >= 0 AND (wage_max_fen IS NULL OR wage_max_fen >= wage_min_fen)",
            name="wage_range",
        ),
        sa.Index("ix_vacancies_status_job_type", "status", "job_type", "id"),
        sa.Index("ix_vacancies_employer_id_id", "employer_id", "id"),
        sa.Index("ix_vacancies_work_region_code", "work_region_code"),
        sa.Index("ix_vacancies_required_skills", "required_skills", postgresql_using="gin"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    employer_id: int = Field(foreign_key="employers.id", sa_type=BigId)
    title: str = Field(max_length=100)
    job_type: str = Field(sa_type=sa.String(24))
    required_skills: list[str] = Field(default_factory=list, sa_type=JsonList)
    description: str | None = Field(default=None, max_length=4000)
    openings: int
    filled: int = Field(default=0)
    wage_min_fen: int = Field(sa_type=sa.BigInteger)
    wage_max_fen: int | None = Field(default=None, sa_type=sa.BigInteger)
    work_region_code: str = Field(foreign_key="regions.code", max_length=12)
    housing_offered: bool = Field(default=False)
    disability_friendly: bool = Field(default=False)
    status: str = Field(default=VacancyStatus.open.value, sa_type=sa.String(8))
    posted_by: int = Field(foreign_key="users.id", sa_type=BigId)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
