from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from app.deps import OversightUser, SessionDep
from app.errors import Forbidden, Unauthorized, Unprocessable, responses
from app.models import AuditEntry
from app.pagination import Page, PageDep
from app.schemas.audit import AuditEntryRead, ChainReportRead, CheckpointRead
from app.schemas.common import IdQuery, IsoDateTime
from app.services import audit
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/audit-log", tags=["audit"])


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise PydanticCustomError("not_utc", "the time cannot be expressed in UTC") from exc


UTCTime = Annotated[IsoDateTime, AfterValidator(_in_utc)]


@router.get(
    "",
    operation_id="listAuditEntries",
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


CheckpointTokens = Annotated[
    list[Annotated[str, StringConstraints(max_length=audit.MAX_TOKEN_CHARS)]] | None,
    Query(
        alias="checkpoint",
        max_length=audit.MAX_TOKENS,
        description="Checkpoint tokens kept from POST /audit-log/checkpoints (repeatable).",
    ),
]


@router.get(
    "/verify",
    operation_id="verifyAuditChain",
    response_model=ChainReportRead,
    responses=responses(Unauthorized, Forbidden, audit.InvalidCheckpoint),
)
async def verify_audit_chain(
    session: SessionDep, _actor: OversightUser, tokens: CheckpointTokens = None
) -> audit.ChainReport:
    """Recompute the keyed hash chain, compare it with every stored checkpoint and each
    checkpoint token given, and report the first entry or checkpoint that does not hold."""
    return await audit.verify_chain(session, tokens=tokens or ())


@router.post(
    "/checkpoints",
    operation_id="createAuditCheckpoint",
    status_code=200,
    response_model=CheckpointRead,
    responses=responses(Unauthorized, Forbidden),
)
async def create_audit_checkpoint(session: SessionDep, actor: OversightUser) -> CheckpointRead:
    """Sign the chain's current head (or hand back the latest checkpoint if nothing was
    added since) as a token to keep. Whole-chain, for any auditor or admin: it names a count
    and a hash, nothing of any region's records."""
    made = await audit.checkpoint(session, actor=actor)
    return CheckpointRead.model_validate({**made.model_dump(), "token": audit.token(made)})
