from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from app.deps import AdminUser, ReaderUser, SessionDep, audited_read
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
from app.models import ServiceStation, Target, TargetMetric
from app.pagination import Page, PageDep
from app.schemas.common import IdPath
from app.schemas.stats import (
    Breakdown,
    Overview,
    StationCreate,
    StationRead,
    TargetCreate,
    TargetRead,
    TargetUpdate,
)
from app.services import stats, stats_report, targets
from app.versioning import IfMatchDep, VersionedRoute

router = APIRouter(route_class=VersionedRoute, tags=["stats"])
_READ = (Unauthorized, Forbidden, NotFound)
RegionParam = Annotated[
    str | None, Query(pattern=r"^\d{6,12}$", description="Region subtree; default your scope.")
]


def _this_year() -> int:
    return datetime.now(UTC).year


Year = Annotated[int | None, Query(ge=2000, le=2100, description="Default: this year.")]
AsOf = Annotated[
    date | None,
    Query(
        description="Judge the figures as they stood on this day (not after today): the "
        "year's registrations, jobs, completions and claims up to it, stable employment "
        "judged on it. Default: today."
    ),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/stats/overview",
    operation_id="getStatsOverview",
    response_model=Overview,
    responses=responses(*_READ, Unprocessable),
)
async def get_overview(
    session: SessionDep,
    actor: ReaderUser,
    region: RegionParam = None,
    year: Year = None,
    as_of: AsOf = None,
) -> Overview:
    """Every indicator of the programme for a region subtree and year, each with its
    numerator and denominator (definitions in the README); a year whose stable-employment
    figure can still change is `provisional` until `final_on`."""
    return await stats.overview(
        session, actor=actor, region=region, year=year or _this_year(), as_of=as_of
    )


@router.get(
    "/stats/breakdown",
    operation_id="getStatsBreakdown",
    response_model=Breakdown,
    responses=responses(*_READ, Unprocessable),
)
async def get_breakdown(
    session: SessionDep,
    actor: ReaderUser,
    by: Literal["township", "month", "policy", "employer_kind", "poverty_status", "assigned"],
    region: RegionParam = None,
    year: Year = None,
    as_of: AsOf = None,
) -> Breakdown:
    """The same figures split by township, month, policy, employer kind, poverty status or
    being on the assigned list, for charts."""
    return await stats.breakdown(
        session, actor=actor, region=region, year=year or _this_year(), by=by, as_of=as_of
    )


@router.get(
    "/stats/overview.xlsx",
    operation_id="downloadStatsOverviewReport",
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "The overview as a spreadsheet."},
        **responses(*_READ, Unprocessable),
    },
)
@audited_read
async def get_overview_report(
    session: SessionDep,
    actor: ReaderUser,
    region: RegionParam = None,
    year: Year = None,
    as_of: AsOf = None,
) -> Response:
    """The overview as a spreadsheet report, with a chart of the monthly assisted and trained
    counts (the download is audited)."""
    report = await stats_report.report(
        session, actor=actor, region=region, year=year or _this_year(), as_of=as_of
    )
    return Response(
        report.content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )


@router.post(
    "/targets",
    operation_id="createTarget",
    response_model=TargetRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Conflict, Unprocessable),
)
async def create_target(
    body: TargetCreate, session: SessionDep, actor: AdminUser, _: Idempotent
) -> Target:
    """Set a yearly target for a region: employment assistance or training (admin)."""
    return await targets.create(session, actor=actor, data=body.model_dump())


@router.get(
    "/targets",
    operation_id="listTargets",
    response_model=Page[TargetRead],
    responses=responses(*_READ),
)
async def list_targets(
    session: SessionDep,
    actor: ReaderUser,
    page: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    metric: TargetMetric | None = None,
) -> Page[Target]:
    """Targets of your scope."""
    return await targets.get_all(session, actor=actor, params=page, year=year, metric=metric)


@router.get(
    "/targets/{target_id}",
    operation_id="getTarget",
    response_model=TargetRead,
    responses=responses(*_READ),
)
async def get_target(target_id: IdPath, session: SessionDep, actor: ReaderUser) -> Target:
    """One target."""
    return await targets.get(session, actor=actor, target_id=target_id)


@router.patch(
    "/targets/{target_id}",
    operation_id="updateTarget",
    response_model=TargetRead,
    responses=responses(*_READ, PreconditionFailed, PreconditionRequired, Unprocessable),
)
async def update_target(
    target_id: IdPath,
    body: TargetUpdate,
    session: SessionDep,
    actor: AdminUser,
    if_match: IfMatchDep,
) -> Target:
    """Change a target's value (admin; send `If-Match`)."""
    return await targets.update(
        session,
        actor=actor,
        target_id=target_id,
        expected_version=if_match.version,
        value=body.value,
    )


@router.post(
    "/service-stations",
    operation_id="createServiceStation",
    response_model=StationRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Unprocessable),
)
async def create_service_station(
    body: StationCreate, session: SessionDep, actor: AdminUser, _: Idempotent
) -> ServiceStation:
    """Register an employment service station (admin)."""
    return await targets.create_station(session, actor=actor, data=body.model_dump())


@router.get(
    "/service-stations",
    operation_id="listServiceStations",
    response_model=Page[StationRead],
    responses=responses(*_READ),
)
async def list_service_stations(
    session: SessionDep, actor: ReaderUser, page: PageDep
) -> Page[ServiceStation]:
    """Employment service stations of your scope."""
    return await targets.stations(session, actor=actor, params=page)
