"""One error family, rendered one way: ``application/problem+json`` (RFC 9457), in English or
Chinese as ``Accept-Language`` asks, every code in one catalogue (docs/errors.md).

* ``family``: ``AppError`` and the generic subclasses services raise;
* ``codes`` / ``catalogue``: every code's status, titles, meaning and advice in both languages;
* ``fields`` / ``labels``: per-field messages by error type, fields named in Chinese;
* ``language``: ``Accept-Language`` negotiation; ``render``: the handlers;
* ``extensions``: problem schemas with extension fields; ``openapi``: how they are documented.
"""

from __future__ import annotations

from fastapi import FastAPI

from app.errors.extensions import VersionMismatchProblem
from app.errors.family import (
    AppError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    RangeReversed,
    RecordsDoNotMatch,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnknownReference,
    Unprocessable,
    UnsupportedMediaType,
)
from app.errors.openapi import document_problems, responses
from app.errors.render import DATABASE_UNAVAILABLE, PROBLEM_JSON, add_handlers, problem_response
from app.errors.shapes import FieldError, Problem

__all__ = [
    "DATABASE_UNAVAILABLE",
    "PROBLEM_JSON",
    "AppError",
    "Conflict",
    "FieldError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "Problem",
    "RangeReversed",
    "RecordsDoNotMatch",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnknownReference",
    "Unprocessable",
    "UnsupportedMediaType",
    "VersionMismatchProblem",
    "install",
    "problem_response",
    "responses",
]


def install(app: FastAPI) -> None:
    document_problems(app)
    add_handlers(app)
