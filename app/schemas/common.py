"""Shapes shared by every resource's schemas."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.identifiers import (
    MOBILE_PATTERN,
    InvalidIdentifier,
    check_mobile,
    normalise_credit_code,
    parse_resident_id,
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused (no mass assignment), strings trimmed, and
    control characters (NUL …) refused, the same way on both databases."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and _CONTROL.search(t) for t in texts):
            raise PydanticCustomError("control_characters", "control characters are not allowed")
        return value


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _not_a_number(value: Any) -> Any:
    # Pydantic would read 0, "0.0" or 1.5e9 as seconds since 1970; a date is written as a date.
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise PydanticCustomError(
            "date_not_text",
            "dates and times are ISO 8601 text, e.g. 2026-11-25 or 2026-11-25T08:00:00Z",
        )
    return value


IsoDate = Annotated[date, BeforeValidator(_not_a_number)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]


class ResponseModel(BaseModel):
    """Answers. A field with a default is still always sent, so the document lists it as
    required in the answer's schema (FastAPI keeps the request's schema apart)."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )


def _checked(check: Callable[[str], str]) -> AfterValidator:
    """A validator whose refusal is typed by what is wrong (``id_number_checksum`` …): the
    reader is told to retype a digit, not that the value is "invalid"."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except InvalidIdentifier as exc:
            raise PydanticCustomError(exc.kind, str(exc)) from exc

    return AfterValidator(validate)


ResidentIdNumber = Annotated[
    str,
    Field(min_length=1, max_length=40, description="18-character resident ID (GB 11643)."),
    _checked(lambda value: parse_resident_id(value).number),
]
CreditCode = Annotated[
    str,
    Field(min_length=1, max_length=40, description="Unified social credit code (GB 32100)."),
    _checked(normalise_credit_code),
]
MobilePhone = Annotated[
    str,
    Field(
        description="11-digit mainland mobile number.",
        json_schema_extra={"pattern": MOBILE_PATTERN},
    ),
    _checked(check_mobile),
]
RegionCode = Annotated[str, Field(pattern=r"^\d{6,12}$", description="Division code.")]
Notes = Annotated[str, Field(max_length=2000)]
Fen = Annotated[
    int, Field(ge=0, le=10_000_000_00, description="Money in fen (分): 350000 = ¥3,500.00.")
]

MAX_ID = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Record id.")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
