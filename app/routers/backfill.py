from __future__ import annotations

from fastapi import APIRouter

from app.deps import AdminUser, SessionDep
from app.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, responses
from app.idempotency import Idempotent
from app.schemas.backfill import BackfillReport, BackfillRequest
from app.services import backfill
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, tags=["history"])


@router.post(
    "/backfill",
    operation_id="backfillHistory",
    response_model=BackfillReport,
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, Unprocessable),
)
async def backfill_history(
    body: BackfillRequest, session: SessionDep, actor: AdminUser, _: Idempotent
) -> BackfillReport:
    """Bring in history older than the everyday routes accept (admin, within your scope):
    registration days (建档立卡), a household's identification and lift-out years,
    willing-and-able judgements from a past day, past jobs, completions and follow-up checks.
    Dates lie in the past (not after today). All or nothing: an entry that cannot go in
    refuses the request (its field named `entries.N.…`) and nothing is written. Each change
    is audited as `<resource>.backfill` with `source`; an entry already recorded is
    `unchanged`, so sending the same history twice changes nothing. The indicators of past
    years and `?as_of=` count what comes in here like any other record."""
    return await backfill.backfill(session, actor=actor, source=body.source, entries=body.entries)
