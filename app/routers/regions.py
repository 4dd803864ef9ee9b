from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.deps import AdminUser, CurrentUser, SessionDep
from app.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, responses
from app.idempotency import Idempotent
from app.models import Region, RegionLevel
from app.pagination import Page, PageDep
from app.schemas.regions import DIVISION_CODE, RegionCreate, RegionDetail, RegionRead, RegionUpdate
from app.services import regions
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/regions", tags=["regions"])
CodePath = Annotated[str, Path(pattern=DIVISION_CODE)]


@router.get(
    "",
    operation_id="listRegions",
    response_model=Page[RegionRead],
    responses=responses(Unauthorized, NotFound, Unprocessable),  # 404: no `within` region
)
async def list_regions(
    session: SessionDep,
    _actor: CurrentUser,
    page: PageDep,
    parent: Annotated[str | None, Query(pattern=DIVISION_CODE)] = None,
    level: RegionLevel | None = None,
    within: Annotated[
        str | None, Query(pattern=DIVISION_CODE, description="Only this region's subtree.")
    ] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
) -> Page[Region]:
    """The region tree, by division code (every signed-in user)."""
    filters = regions.RegionFilters(parent_code=parent, level=level, within=within, name=name)
    return await regions.get_all(session, filters=filters, params=page)


@router.get(
    "/{code}",
    operation_id="getRegion",
    response_model=RegionDetail,
    responses=responses(Unauthorized, NotFound),
)
async def get_region(code: CodePath, session: SessionDep, _actor: CurrentUser) -> RegionDetail:
    """One region with its ancestors and children."""
    region = await regions.get(session, code=code)
    ancestors, children = await regions.lineage(session, region=region)
    return RegionDetail(
        **RegionRead.model_validate(region).model_dump(),
        ancestors=[RegionRead.model_validate(a) for a in ancestors],
        children=[RegionRead.model_validate(c) for c in children],
    )


@router.post(
    "",
    operation_id="createRegion",
    response_model=RegionRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Conflict, Unprocessable),
)
async def create_region(
    body: RegionCreate, session: SessionDep, actor: AdminUser, _: Idempotent
) -> Region:
    """Add a region under its parent (admin)."""
    return await regions.create(session, actor=actor, **body.model_dump())


@router.patch(
    "/{code}",
    operation_id="renameRegion",
    response_model=RegionRead,
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)
async def rename_region(
    code: CodePath, body: RegionUpdate, session: SessionDep, actor: AdminUser
) -> Region:
    """Rename a region (admin); codes never change."""
    return await regions.rename(session, actor=actor, code=code, name=body.name)
