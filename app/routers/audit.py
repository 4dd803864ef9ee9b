from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator

from app.deps import OversightUser, SessionDep
from app.errors import Forbidden, Unauthorized, Unprocessable, responses
from app.models import AuditEntry
from app.pagination import Page, PageDep
from app.schemas.audit import AuditEntryRead, ChainReportRead
from app.schemas.common import IdQuery, IsoDateTime
from app.services import audit
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/audit-log", tags=["audit"])


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError("the time cannot be expressed in UTC") from exc


UTCTime = Annotated[IsoDateTime, AfterValidator(_in_utc)]


@router.get(
    "",
    response_model=Page[AuditEntryRead],
    responses=responses(Unauthorized, Forbidden, Unprocessable),
)
async def list_audit_entries(
    session: SessionDep,
    actor: OversightUser,
    page: PageDep,
    actor_id: IdQuery = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
    resource_type: Annotated[str | None, Query(max_length=40)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    since: UTCTime | None = None,
    until: UTCTime | None = None,
) -> Page[AuditEntry]:
    """Audit entries, newest first (auditors and admins, within their scope)."""
    filters = audit.AuditFilters(
        actor_id=actor_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        since=since,
        until=until,
    )
    return await audit.list_entries(session, actor=actor, filters=filters, params=page)


@router.get("/verify", response_model=ChainReportRead, responses=responses(Unauthorized, Forbidden))
async def verify_audit_chain(session: SessionDep, _actor: OversightUser) -> audit.ChainReport:
    """Recompute the hash chain and report the first broken link, if any."""
    return await audit.verify_chain(session)
