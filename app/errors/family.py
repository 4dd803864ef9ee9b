"""The error family: the problem document's shape and the exceptions services raise.

A subclass names its status, its stable ``code`` and its English ``title``; the Chinese title,
the Chinese detail and the advice live in the catalogue (``app.errors.catalogue``) under the
same code. ``problem`` names the documented schema of the answer when the error carries
extension fields (``**extra``), so generated clients see them as fields.
"""

from __future__ import annotations

from typing import Any, ClassVar

from app.errors.extensions import SizeLimitProblem, VersionMismatchProblem
from app.errors.shapes import FieldError, Problem


class AppError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"
    problem: ClassVar[type[Problem]] = Problem

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        zh: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        """``extra`` are the answer's extension fields; ``zh`` those of them a Chinese answer
        carries in Chinese (a claim's ``reasons``)."""
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra
        self.zh = zh or {}
        super().__init__(self.detail)


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **kw)


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(AppError):
    status, code, title = 412, "version_mismatch", "The record changed since you read it"
    problem: ClassVar[type[Problem]] = VersionMismatchProblem


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Upload too large"
    problem: ClassVar[type[Problem]] = SizeLimitProblem


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported file type"


class Unprocessable(AppError):
    status, code, title = 422, "validation_failed", "The request is not valid"


class PreconditionRequired(AppError):
    status, code, title = 428, "if_match_required", "Send If-Match with the ETag you read"


class TooManyRequests(AppError):
    status, code, title = 429, "too_many_requests", "Too many attempts"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kw: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, **kw)


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "Temporarily unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, **kw: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, **kw)


class RangeReversed(Unprocessable):
    """The end of a range (dates, wages) lies before its start."""

    code, title = "range_reversed", "The end of a range is before its start"


class UnknownReference(Unprocessable):
    """The body names a record (household, event, employer …) that is not there for you."""

    code, title = "unknown_reference", "The request names a record that does not exist"


class RecordsDoNotMatch(Unprocessable):
    """Two records named in one body do not belong together."""

    code, title = "records_do_not_match", "The records named do not belong together"
