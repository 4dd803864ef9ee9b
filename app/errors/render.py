"""Problems rendered one way: ``application/problem+json`` (RFC 9457), in the reader's language.

Services raise ``AppError`` subclasses; the handlers below turn them, FastAPI's own validation
and routing errors, an unreachable database and anything unexpected into problem documents that
never carry a stack trace, SQL or a secret. ``Accept-Language`` picks English or Chinese for the
``title``, the ``detail`` and each ``errors[].message``; the ``code`` and each ``errors[].type``
are the same in both, and the answer says ``Content-Language`` and ``Vary: Accept-Language``.
"""

from __future__ import annotations

import logging
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import headers as security_headers
from app.errors import fields
from app.errors.catalogue import entry
from app.errors.family import AppError, PreconditionFailed, Unprocessable
from app.errors.language import DEFAULT, Language, negotiate
from app.errors.shapes import FieldError

logger = logging.getLogger("jobpath.errors")
PROBLEM_JSON = "application/problem+json"


def language_of(request: Request | None) -> Language:
    return negotiate(request.headers.get("accept-language")) if request else DEFAULT


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
    """The problem answer; ``title`` and ``detail`` are the English ones, and a Chinese reader
    gets the catalogue's for ``code`` instead (filled in with ``extra``). ``errors`` are in the
    reader's language already."""
    language = language_of(request)
    if language is Language.zh:
        found = entry(code, status)
        title, detail = found.title_zh, found.detail_zh(extra or {})
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
        body["errors"] = [e.model_dump(exclude_none=True) for e in errors]
    body.update(extra or {})
    response = JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)
    response.headers["Content-Language"] = language.value
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, Accept-Language" if vary else "Accept-Language"
    return response


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    language = language_of(request)
    return problem_response(
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        request=request,
        errors=None if exc.errors is None else [fields.localised(e, language) for e in exc.errors],
        headers=exc.headers,
        extra={**exc.extra, **exc.zh} if language is Language.zh else exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending values are deliberately not echoed: they may be personal data.
    language = language_of(request)
    errors = [fields.from_pydantic(e, language) for e in exc.errors()]
    return _invalid(request, "One or more fields are invalid; see errors.", errors)


def _invalid(request: Request, detail: str, errors: list[FieldError]) -> JSONResponse:
    """The 422 of a request whose fields (or body) are wrong; ``errors`` in the reader's
    language."""
    return problem_response(
        status=422,
        code=Unprocessable.code,
        title=Unprocessable.title,
        detail=detail,
        request=request,
        errors=errors,
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
    error = FieldError(field="body", message=detail, type="body_unreadable")
    return _invalid(
        request,
        "The request body cannot be read; see errors.",
        [fields.localised(error, language_of(request))],
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


def add_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
    app.add_exception_handler(StaleDataError, _stale)
    for exc_type in DATABASE_UNAVAILABLE:
        app.add_exception_handler(exc_type, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
