"""One error family, rendered one way: ``application/problem+json`` (RFC 9457).

Services raise ``AppError`` subclasses; the handlers below turn them, FastAPI's own validation
and routing errors, an unreachable database and anything unexpected into problem documents that
never carry a stack trace, SQL or a secret.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any, ClassVar

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import headers as security_headers

logger = logging.getLogger("jobpath.errors")
PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(description="Dotted location of the offending input, e.g. `body.name`.")
    message: str
    type: str


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


class AppError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra
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


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Upload too large"


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


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    request: Request | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:jobpath:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path if request else None,
        "request_id": correlation_id.get(),
    }
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors]
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route that may raise these errors."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in sorted(errors, key=lambda e: e.status):
        out[err.status] = {
            "model": Problem,
            "description": err.title,
            "content": {PROBLEM_JSON: {}},
        }
    return out


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    return [
        FieldError(
            field=".".join(str(p) for p in err.get("loc", ())),
            message=str(err.get("msg", "invalid")),
            type=str(err.get("type", "value_error")),
        )
        for err in exc.errors()
    ]


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        request=request,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending values are deliberately not echoed: they may be personal data.
    return problem_response(
        status=422,
        code="validation_failed",
        title="The request is not valid",
        detail="One or more fields are invalid; see errors.",
        request=request,
        errors=_field_errors(exc),
    )


_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        return _unreadable_body(request, exc)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    title = code.replace("_", " ").capitalize()
    detail = exc.detail if isinstance(exc.detail, str) else title
    return problem_response(
        status=exc.status_code,
        code=code,
        title=title,
        detail=detail,
        request=request,
        headers=dict(exc.headers or {}),
    )


def _unreadable_body(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # The framework answers 400 when it cannot read a body at all (bytes that are not UTF-8
    # where JSON was promised, a broken multipart stream), while a body it reads but cannot
    # parse already gets 422 (`json_invalid`): both are the documented 422, not an
    # undocumented 400.
    detail = exc.detail if isinstance(exc.detail, str) else "The request body cannot be read."
    return problem_response(
        status=422,
        code="validation_failed",
        title="The request is not valid",
        detail="The request body cannot be read; see errors.",
        request=request,
        errors=[FieldError(field="body", message=detail, type="body_unreadable")],
    )


async def _stale(request: Request, exc: Exception) -> JSONResponse:
    # Two edits read the same version and raced to save it: the later one changed nothing.
    return problem_response(
        status=PreconditionFailed.status,
        code=PreconditionFailed.code,
        title=PreconditionFailed.title,
        detail="The record changed while you were saving; nothing was changed. Read it again.",
        request=request,
    )


# SQLSTATEs that mean the server is going away, overloaded or cancelled a slow statement.
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "57014", "40P01")


# SQLSTATE class 22, "data exception": a value the database cannot store or compare (a NUL
# character in text, a number out of range) — bad input, not a fault of the service.
_DATA_EXCEPTION = "22"


def _sqlstate(exc: sa_exc.DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", "") or "")


def _is_unavailable(exc: sa_exc.DBAPIError) -> bool:
    if exc.connection_invalidated or isinstance(
        exc, sa_exc.OperationalError | sa_exc.InterfaceError
    ):
        return True
    return _sqlstate(exc).startswith(_UNAVAILABLE_SQLSTATES)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, sa_exc.DBAPIError)
    if _is_unavailable(exc):
        return await _database_unavailable(request, exc)
    if _sqlstate(exc).startswith(_DATA_EXCEPTION):
        logger.warning(
            "unstorable value", extra={"sqlstate": _sqlstate(exc), "path": request.url.path}
        )
        return problem_response(
            status=422,
            code="unstorable_value",
            title="A value cannot be stored",
            detail="A value in the request cannot be stored, e.g. a NUL character in text.",
            request=request,
        )
    return _internal_error(request, exc)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    cause = getattr(exc, "orig", None) or exc
    logger.warning(
        "database unavailable",
        extra={
            "error": type(cause).__name__,
            "sqlstate": getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None),
            "path": request.url.path,
        },
    )
    retry_after = getattr(request.app.state, "db_retry_after_seconds", 5)
    return problem_response(
        status=503,
        code="database_unavailable",
        title="Temporarily unavailable",
        detail="The database cannot be reached or is overloaded; retry shortly.",
        request=request,
        headers={"Retry-After": str(retry_after)},
    )


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "unhandled error",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"path": request.url.path},
    )
    return problem_response(
        status=500,
        code="internal_error",
        title="Internal error",
        detail="Something went wrong on our side; quote the request id when reporting it.",
        request=request,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    response = _internal_error(request, exc)
    # This handler runs outside the request-id and security-header middleware, which cannot
    # add their headers then.
    if request_id := correlation_id.get():
        response.headers["X-Request-ID"] = request_id
    response.headers.update(security_headers.for_path(request.url.path))
    return response


# Failures that mean "the database is not answering right now", not "your request is wrong".
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def _document_problem_422(app: FastAPI) -> None:
    """Make every operation's 422 the problem document the handler above sends.

    FastAPI documents its own validation body (``HTTPValidationError``, ``application/json``)
    on each operation that declares no 422 of its own, but this service never sends it.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        unprocessable = {
            "description": Unprocessable.title,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                found = operation.get("responses", {}).get("422")
                if found is not None and PROBLEM_JSON not in found.get("content", {}):
                    operation["responses"]["422"] = copy.deepcopy(unprocessable)
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    # Errors are sent as problem+json only: the schema goes there.
                    if str(status)[0] in "45" and PROBLEM_JSON in content:
                        schema = content.pop("application/json", {}).get("schema")
                        if schema is not None:
                            content[PROBLEM_JSON] = {"schema": schema}
        schemas = document.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            if f"#/components/schemas/{unused}" not in json.dumps(document):
                schemas.pop(unused, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    _document_problem_422(app)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
    app.add_exception_handler(StaleDataError, _stale)
    for exc_type in DATABASE_UNAVAILABLE:
        app.add_exception_handler(exc_type, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
