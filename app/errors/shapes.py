"""The problem document (RFC 9457) as this service sends it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(description="Dotted location of the offending input, e.g. `body.name`.")
    message: str = Field(description="What is wrong, in the answer's language.")
    type: str = Field(
        description="Stable machine-readable kind of the field error; see docs/errors.md."
    )
    position: int | None = Field(
        default=None,
        description="For `json_invalid`: the character offset in the body where reading failed.",
    )


class Problem(BaseModel):
    type: str = Field(description="URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code.")
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None

    model_config = {"extra": "allow"}
