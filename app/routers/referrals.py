from __future__ import annotations

from fastapi import APIRouter, status

from app.deps import CaseworkerUser, CurrentUser, EmployerUser, SessionDep
from app.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, responses
from app.idempotency import Idempotent
from app.models import ReferralStatus
from app.pagination import PageDep, SyncPage, UpdatedSince, parse_updated_since
from app.schemas.common import IdPath, IdQuery
from app.schemas.referrals import Decision, Hire, ReferralCreate, ReferralRead
from app.services import referrals
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/referrals", tags=["referrals"])
_READ = (Unauthorized, Forbidden, NotFound)


@router.post(
    "",
    operation_id="createReferral",
    response_model=ReferralRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_READ, Conflict, Unprocessable),
)
async def create_referral(
    body: ReferralCreate, session: SessionDep, actor: CaseworkerUser, _: Idempotent
) -> ReferralRead:
    """Refer a worker of your scope to an open vacancy (once per worker and vacancy)."""
    return await referrals.create(session, actor=actor, **body.model_dump())


@router.get(
    "",
    operation_id="listReferrals",
    response_model=SyncPage[ReferralRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_referrals(
    session: SessionDep,
    actor: CurrentUser,
    page: PageDep,
    status: ReferralStatus | None = None,
    vacancy_id: IdQuery = None,
    worker_id: IdQuery = None,
    event_id: IdQuery = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[ReferralRead]:
    """Referrals of your scope; employers see those to their own vacancies, with the workers'
    personal data masked."""
    filters = referrals.ReferralFilters(
        status=status, vacancy_id=vacancy_id, worker_id=worker_id, event_id=event_id
    )
    since = parse_updated_since(updated_since) if updated_since else None
    return await referrals.get_all(session, actor=actor, filters=filters, params=page, since=since)


@router.get(
    "/{referral_id}",
    operation_id="getReferral",
    response_model=ReferralRead,
    responses=responses(*_READ),
)
async def get_referral(
    referral_id: IdPath, session: SessionDep, actor: CurrentUser
) -> ReferralRead:
    """One referral."""
    return await referrals.get(session, actor=actor, referral_id=referral_id)


_MOVE = responses(*_READ, Conflict, Unprocessable)


@router.post(
    "/{referral_id}/interview",
    operation_id="interviewReferral",
    response_model=ReferralRead,
    responses=_MOVE,
)
async def interview_referral(
    referral_id: IdPath, session: SessionDep, actor: EmployerUser
) -> ReferralRead:
    """Record the interview (the vacancy's employer)."""
    return await referrals.interview(session, actor=actor, referral_id=referral_id)


@router.post(
    "/{referral_id}/hire", operation_id="hireReferral", response_model=ReferralRead, responses=_MOVE
)
async def hire_referral(
    referral_id: IdPath, body: Hire, session: SessionDep, actor: EmployerUser
) -> ReferralRead:
    """Hire the worker (the vacancy's employer): takes an opening, creates the confirmed
    employment and moves the worker to employed, in one transaction; 409 when no opening is
    left."""
    return await referrals.hire(session, actor=actor, referral_id=referral_id, **body.model_dump())


@router.post(
    "/{referral_id}/decline",
    operation_id="declineReferral",
    response_model=ReferralRead,
    responses=_MOVE,
)
async def decline_referral(
    referral_id: IdPath, body: Decision, session: SessionDep, actor: EmployerUser
) -> ReferralRead:
    """Decline the worker, with a reason (the vacancy's employer)."""
    return await referrals.decline(
        session, actor=actor, referral_id=referral_id, **body.model_dump()
    )


@router.post(
    "/{referral_id}/withdraw",
    operation_id="withdrawReferral",
    response_model=ReferralRead,
    responses=_MOVE,
)
async def withdraw_referral(
    referral_id: IdPath, body: Decision, session: SessionDep, actor: CaseworkerUser
) -> ReferralRead:
    """Withdraw a referral, with a reason (a caseworker of the worker's scope)."""
    return await referrals.withdraw(
        session, actor=actor, referral_id=referral_id, **body.model_dump()
    )
