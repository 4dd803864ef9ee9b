"""ETags and ``If-Match``: a resource's ETag is its version; a PATCH must name the one it read."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.errors import PreconditionFailed, PreconditionRequired, Problem

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def etag(version: int) -> str:
    return f'"{version}"'


def _is_versioned(model: Any) -> bool:
    return (
        isinstance(model, type)
        and issubclass(model, BaseModel)
        and "version" in (model.model_fields)
    )


class VersionedRoute(APIRoute):
    """A route whose answer is one versioned record carries that record's ETag — on reads,
    creates, updates and transitions alike, so a phone always has what its next If-Match
    needs. (Idempotent replays derive it the same way, from the stored body's version.)"""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not _is_versioned(self.response_model):
            return handler

        async def with_etag(request: Request) -> Response:
            response = await handler(request)
            if 200 <= response.status_code < 300 and "etag" not in response.headers:
                version = json.loads(bytes(response.body)).get("version")
                if isinstance(version, int):
                    response.headers["ETag"] = etag(version)
            return response

        return with_etag


def carries_etag(route: APIRoute) -> bool:
    """Whether the route's answers carry an ETag (see :class:`VersionedRoute`)."""
    return isinstance(route, VersionedRoute) and _is_versioned(route.response_model)


class MalformedETag(PreconditionFailed):
    code = "malformed_if_match"
    title = "If-Match is not an ETag of this service"
    problem = Problem  # nothing was read: there is no current record to show


@dataclass(frozen=True)
class IfMatch:
    """The request's If-Match header, read only when the route has its path and body: a
    request that is wrong in several ways hears about its fields (422) before its ETag."""

    header: str | None

    @property
    def version(self) -> int:
        if self.header is None:
            raise PreconditionRequired(
                "This update needs an If-Match header with the record's ETag."
            )
        match = _ETAG.match(self.header.strip())
        if match is None:
            raise MalformedETag('If-Match is not an ETag this service issued, e.g. "3".')
        return int(match.group(1))


async def if_match(
    value: Annotated[
        str | None,
        Header(alias="If-Match", description='The ETag from your last read, e.g. `"3"`.'),
    ] = None,
) -> IfMatch:
    return IfMatch(value)


IfMatchDep = Annotated[IfMatch, Depends(if_match)]


class VersionMismatch(PreconditionFailed):
    """Raised with the current record and the fields that differ, so an offline phone can show
    both values and let the caseworker choose."""


def ensure_version(
    *, expected: int, current_version: int, changes: dict[str, Any], current: dict[str, Any]
) -> None:
    if expected == current_version:
        return
    differing = sorted(k for k, v in changes.items() if current.get(k) != _jsonish(v))
    raise VersionMismatch(
        f"The record is at version {current_version}, not {expected}; nothing was changed.",
        current_version=current_version,
        current=current,
        differing_fields=differing,
    )


def _jsonish(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | tuple):
        return list(value)
    return value
