from __future__ import annotations

from fastapi import APIRouter

from app.deps import OversightUser, SessionDep
from app.errors import Forbidden, Unauthorized, responses
from app.schemas.claims import Alert
from app.services import alerts
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/audit", tags=["audit"])


@router.get(
    "/alerts",
    operation_id="listAlerts",
    response_model=list[Alert],
    responses=responses(Unauthorized, Forbidden),
)
async def list_alerts(session: SessionDep, actor: OversightUser) -> list[Alert]:
    """The checks that catch ghost workers and double pay, over the claims of your scope:
    paid months after a job ended, claims with no evidence behind them, a phone or bank
    account shared by many workers, the same subsidy paid twice, approved claims left
    unpaid."""
    return await alerts.run(session, actor=actor)
