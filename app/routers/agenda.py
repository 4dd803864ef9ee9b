from __future__ import annotations

from fastapi import APIRouter, Request

from app.deps import SessionDep, StaffUser
from app.errors import Forbidden, Unauthorized, Unprocessable, responses
from app.errors.render import language_of
from app.pagination import Page, PageDep
from app.schemas.agenda import AgendaItem
from app.services import agenda
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/me", tags=["agenda"])


@router.get(
    "/agenda",
    operation_id="getMyAgenda",
    response_model=Page[AgendaItem],
    responses=responses(Unauthorized, Forbidden, Unprocessable),
)
async def get_my_agenda(
    request: Request, session: SessionDep, actor: StaffUser, page: PageDep
) -> Page[AgendaItem]:
    """What is due in your scope: follow-ups due or overdue, claims returned for correction,
    enrolments about to end, labourers not visited for a while (`JOBPATH_AGENDA_UNVISITED_DAYS`,
    90 by default), able labourers without work or an open referral. Most pressing kind
    first, then by date; each item says why (in your language) and links the record."""
    return await agenda.get_all(session, actor=actor, params=page, language=language_of(request))
