from __future__ import annotations

from pydantic import Field

from app.schemas.common import ResponseModel
from app.schemas.vacancies import VacancyRead
from app.schemas.workers import WorkerSummary


class VacancyMatch(ResponseModel):
    vacancy: VacancyRead
    score: int
    reasons: list[str] = Field(description="Why it ranked: matched skills, wish, distance …")


class CandidateMatch(ResponseModel):
    worker: WorkerSummary
    score: int
    reasons: list[str]
