"""Problem documents with extension fields: each a documented subschema of ``Problem``.

An error whose answer carries fields beyond the problem's own names its schema here as its
``problem``; ``responses()`` documents it, and a test validates real answers against it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.errors.shapes import Problem


class VersionMismatchProblem(Problem):
    """A 412: the record as it is now, so an offline phone can show both values."""

    current_version: int | None = Field(
        default=None, description="The record's version now (its ETag without quotes)."
    )
    current: dict[str, Any] | None = Field(
        default=None, description="The record as it is now, as the detail view shows it."
    )
    differing_fields: list[str] | None = Field(
        default=None, description="The fields you sent whose current value differs."
    )


class SizeLimitProblem(Problem):
    max_bytes: int | None = Field(default=None, description="The limit, in bytes.")


class DuplicateWorkerProblem(Problem):
    """A 409 for a resident ID number already registered."""

    existing_worker_id: int | None = Field(
        default=None,
        description="The worker already registered with this number, when it is in your scope.",
    )


class DuplicateClaimProblem(Problem):
    periods: list[str] = Field(
        default_factory=list, description="The periods (YYYY-MM, or `once`) already claimed."
    )


class ClaimIneligibleProblem(Problem):
    reasons: list[str] = Field(
        default_factory=list,
        description="Each policy condition the claim does not meet, in the answer's language.",
    )


class DateBoundsProblem(Problem):
    earliest: str | None = Field(default=None, description="The earliest day (or time) allowed.")
    latest: str | None = Field(default=None, description="The latest day (or time) allowed.")


class ImportLimitProblem(Problem):
    """A spreadsheet past one of the import limits: the limit's value is named."""

    max_rows: int | None = None
    max_columns: int | None = None
    max_cell_chars: int | None = None
    max_row_chars: int | None = None
