from __future__ import annotations

from fastapi import APIRouter, status

from app.deps import CurrentUser, DistrictAdminUser, SessionDep
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    Unprocessable,
    responses,
)
from app.idempotency import Idempotent
from app.models import PolicyRule, SubsidyPolicy
from app.pagination import Page, PageDep
from app.schemas.common import IdPath, IsoDate
from app.schemas.subsidy_policies import PolicyCreate, PolicyRead, PolicyUpdate
from app.services import subsidy_policies
from app.versioning import IfMatchDep, VersionedRoute

router = APIRouter(
    route_class=VersionedRoute, prefix="/subsidy-policies", tags=["subsidy-policies"]
)


@router.post(
    "",
    operation_id="createSubsidyPolicy",
    response_model=PolicyRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Conflict, Unprocessable),
)
async def create_policy(
    body: PolicyCreate, session: SessionDep, actor: DistrictAdminUser, _: Idempotent
) -> SubsidyPolicy:
    """Add a subsidy policy: who is paid, the amount per unit in fen, units, conditions,
    review stages, notice days, validity and region (an admin of district level or above)."""
    return await subsidy_policies.create(session, actor=actor, data=body.model_dump())


@router.get(
    "",
    operation_id="listSubsidyPolicies",
    response_model=Page[PolicyRead],
    responses=responses(Unauthorized),
)
async def list_policies(
    session: SessionDep,
    _actor: CurrentUser,
    page: PageDep,
    rule: PolicyRule | None = None,
    valid_on: IsoDate | None = None,
) -> Page[SubsidyPolicy]:
    """The subsidy policies (everyone reads them)."""
    return await subsidy_policies.get_all(session, params=page, rule=rule, valid_on=valid_on)


@router.get(
    "/{policy_id}",
    operation_id="getSubsidyPolicy",
    response_model=PolicyRead,
    responses=responses(Unauthorized, NotFound),
)
async def get_policy(policy_id: IdPath, session: SessionDep, _actor: CurrentUser) -> SubsidyPolicy:
    """One policy."""
    return await subsidy_policies.get(session, policy_id=policy_id)


@router.patch(
    "/{policy_id}",
    operation_id="updateSubsidyPolicy",
    response_model=PolicyRead,
    responses=responses(
        Unauthorized, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
    ),
)
async def update_policy(
    policy_id: IdPath,
    body: PolicyUpdate,
    session: SessionDep,
    actor: DistrictAdminUser,
    if_match: IfMatchDep,
) -> SubsidyPolicy:
    """Change a policy (an admin of district level or above; send `If-Match`). Approved claims
    keep their amounts."""
    return await subsidy_policies.update(
        session,
        actor=actor,
        policy_id=policy_id,
        expected_version=if_match.version,
        changes=body.model_dump(exclude_unset=True),
    )
