"""The caseworker's agenda: what is due in their scope, most pressing kind first.

One UNION ALL of five kinds, each one an index-driven query of the caller's regions (a
region code is the leading column of every index it reads), paged by the one keyset helper on
(kind priority, the kind's date, record id) — a cursor that runs on from one kind into the
next. The kinds, in order:

1. follow-ups due today or overdue (``ix_follow_ups_region_status_due``);
2. claims returned to draft for correction (``ix_claims_region_code_id``);
3. enrolments whose session ends within ``agenda_enrolment_ending_days`` or has ended
   (``ix_enrolments_region_code_id``);
4. labourers not visited for ``agenda_unvisited_days``: by ``workers.last_visited_at``, which
   the visit services keep (``ix_workers_region_last_visited``), or never visited and
   registered that long ago (``ix_workers_region_never_visited``, partial);
5. able labourers without work and with no open referral (``ix_workers_region_status_id``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, and_, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.core.sql import date_add_days, masked, utc_date
from app.errors.language import Language
from app.models import (
    Claim,
    ClaimStatus,
    Enrolment,
    EnrolmentStatus,
    FollowUp,
    FollowUpStatus,
    Referral,
    ReferralStatus,
    TrainingSession,
    Worker,
)
from app.models.claims import ClaimReview
from app.models.training import SessionStatus
from app.models.workers import EmploymentStatus
from app.pagination import Page, PageParams, paginate
from app.schemas.agenda import AgendaItem, AgendaKind, AgendaReason
from app.scope import Actor, scope_filter
from app.services.claims.core import visible as claims_visible
from app.services.date_bounds import local_today

PRIORITY = {kind: number for number, kind in enumerate(AgendaKind, start=1)}
_KINDS = {number: kind for kind, number in PRIORITY.items()}
_OPEN_REFERRAL = (ReferralStatus.referred.value, ReferralStatus.interviewed.value)
_LINKS = {
    AgendaKind.follow_up: "/api/v1/employments/{}",
    AgendaKind.claim_returned: "/api/v1/claims/{}",
    AgendaKind.enrolment_ending: "/api/v1/training/enrolments/{}",
    AgendaKind.not_visited: "/api/v1/workers/{}",
    AgendaKind.able_without_work: "/api/v1/workers/{}",
}
_REASONS: dict[AgendaReason, dict[Language, str]] = {
    AgendaReason.follow_up_due: {
        Language.en: "The {months}-month follow-up check is due today.",
        Language.zh: "{months}个月回访今天到期。",
    },
    AgendaReason.follow_up_overdue: {
        Language.en: "The {months}-month follow-up check was due on {due_on}.",
        Language.zh: "{months}个月回访已于{due_on}到期。",
    },
    AgendaReason.claim_returned: {
        Language.en: "The claim was returned for correction on {since}.",
        Language.zh: "补贴申请已于{since}退回修改。",
    },
    AgendaReason.enrolment_ending: {
        Language.en: "The training session ends on {due_on}: record the completion or the drop.",
        Language.zh: "培训班将于{due_on}结束，请登记结业或退学。",
    },
    AgendaReason.enrolment_ended: {
        Language.en: "The training session ended on {due_on} and the enrolment is still open.",
        Language.zh: "培训班已于{due_on}结束，报名仍未结业或退学。",
    },
    AgendaReason.never_visited: {
        Language.en: "Never visited since registration on {since} ({days} days or more).",
        Language.zh: "自{since}建档以来从未走访（已超过{days}天）。",
    },
    AgendaReason.not_visited: {
        Language.en: "Not visited since {since} ({days} days or more).",
        Language.zh: "自{since}以来未走访（已超过{days}天）。",
    },
    AgendaReason.able_without_work: {
        Language.en: "Able to work, without work and with no open referral.",
        Language.zh: "有劳动能力，未就业，也没有在办的岗位推荐。",
    },
}


def _select(
    kind: AgendaKind,
    *,
    on: Any,
    record_id: Any,
    reason: Any,
    due_on: Any = None,
    since: Any = None,
    link_id: Any = None,
    months: Any = None,
    subject: Any = None,
) -> Select[Any]:
    """One kind's rows, the same columns in the same order for every kind; ``subject`` is
    the column holding the worker's id when the rows are not the workers themselves."""

    def typed(value: Any, type_: Any) -> Any:
        return sa.cast(sa.null(), type_) if value is None else value

    stmt = select(
        sa.literal_column(str(PRIORITY[kind]), sa.Integer).label("priority"),
        on.label("sort_on"),
        record_id.label("record_id"),
        reason.label("reason_code"),
        typed(due_on, sa.Date).label("due_on"),
        typed(since, sa.Date).label("since"),
        (link_id if link_id is not None else record_id).label("link_id"),
        typed(months, sa.Integer).label("months"),
        col(Worker.id).label("worker_id"),
        col(Worker.full_name).label("worker_name"),
        masked(col(Worker.id_number)).label("worker_id_number"),
        col(Worker.region_code).label("region_code"),
    )
    if subject is not None:
        stmt = stmt.join(Worker, col(Worker.id) == subject).where(col(Worker.deleted_at).is_(None))
    return stmt


def _constant(reason: AgendaReason) -> Any:
    # An enum's value written into the SQL (no parameter): each kind's own constant.
    return sa.literal_column(f"'{reason.value}'", sa.String)


def _past_or_coming(day: Any, today: date, past: AgendaReason, coming: AgendaReason) -> Any:
    return sa.case((day < today, past.value), else_=coming.value)


def _worker_in_scope(actor: Actor) -> ColumnElement[bool]:
    return and_(
        scope_filter(actor, region=col(Worker.region_code)), col(Worker.deleted_at).is_(None)
    )


def _follow_ups(actor: Actor, today: date) -> Select[Any]:
    due = col(FollowUp.due_date)
    reason = _past_or_coming(due, today, AgendaReason.follow_up_overdue, AgendaReason.follow_up_due)
    return _select(
        AgendaKind.follow_up, on=due, record_id=col(FollowUp.id), reason=reason, due_on=due,
        link_id=col(FollowUp.employment_id), months=col(FollowUp.months),
        subject=col(FollowUp.worker_id),
    ).where(
        scope_filter(actor, region=col(FollowUp.region_code)),
        col(FollowUp.status) == FollowUpStatus.due.value,
        col(FollowUp.deleted_at).is_(None),
        due <= today,
    )  # fmt: skip


def _returned_claims(actor: Actor) -> Select[Any]:
    returned_at = (
        select(func.max(col(ClaimReview.at)))
        .where(col(ClaimReview.claim_id) == col(Claim.id), col(ClaimReview.decision) == "returned")
        .scalar_subquery()
    )
    returned_on = utc_date(func.coalesce(returned_at, col(Claim.updated_at)))
    return _select(
        AgendaKind.claim_returned, on=returned_on, record_id=col(Claim.id),
        reason=_constant(AgendaReason.claim_returned), since=returned_on,
        subject=col(Claim.worker_id),
    ).where(
        claims_visible(actor),
        col(Claim.status) == ClaimStatus.draft.value,
        # A draft with a reviewer's reason on it is one sent back; a new draft has none.
        col(Claim.decision_reason).is_not(None),
    )  # fmt: skip


def _ending_enrolments(actor: Actor, today: date, days: int) -> Select[Any]:
    end = col(TrainingSession.end_date)
    reason = _past_or_coming(
        end, today, AgendaReason.enrolment_ended, AgendaReason.enrolment_ending
    )
    return (
        _select(AgendaKind.enrolment_ending, on=end, record_id=col(Enrolment.id),
                reason=reason, due_on=end, subject=col(Enrolment.worker_id))
        .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
        .where(
            scope_filter(actor, region=col(Enrolment.region_code)),
            col(Enrolment.status) == EnrolmentStatus.enrolled.value,
            col(Enrolment.deleted_at).is_(None),
            col(TrainingSession.status) != SessionStatus.cancelled.value,
            end <= today + timedelta(days=days),
        )
    )  # fmt: skip


def _unvisited(actor: Actor, today: date, days: int) -> list[Select[Any]]:
    """Two queries of one kind: visited, but not since the day ``days`` ago; never visited
    and registered that long ago. A worker is in one or the other, never both."""
    last_day = today - timedelta(days=days)
    visited_on = utc_date(col(Worker.last_visited_at))
    stale = _select(
        AgendaKind.not_visited, on=visited_on, record_id=col(Worker.id),
        reason=_constant(AgendaReason.not_visited), since=visited_on,
        due_on=date_add_days(visited_on, days),
    ).where(
        _worker_in_scope(actor),
        col(Worker.last_visited_at) < datetime.combine(last_day + timedelta(days=1), time(), UTC),
    )  # fmt: skip
    registered = col(Worker.registered_on)
    never = _select(
        AgendaKind.not_visited, on=registered, record_id=col(Worker.id),
        reason=_constant(AgendaReason.never_visited), since=registered,
        due_on=date_add_days(registered, days),
    ).where(
        _worker_in_scope(actor), col(Worker.last_visited_at).is_(None), registered <= last_day
    )  # fmt: skip
    return [stale, never]


def _able_without_work(actor: Actor) -> Select[Any]:
    since = func.coalesce(col(Worker.able_changed_on), col(Worker.registered_on))
    open_referral = (
        select(col(Referral.id))
        .where(
            col(Referral.worker_id) == col(Worker.id),
            col(Referral.status).in_(_OPEN_REFERRAL),
            col(Referral.deleted_at).is_(None),
        )
        .exists()
    )
    return _select(
        AgendaKind.able_without_work, on=since, record_id=col(Worker.id),
        reason=_constant(AgendaReason.able_without_work), since=since,
    ).where(
        _worker_in_scope(actor),
        col(Worker.employment_status) == EmploymentStatus.unemployed.value,
        col(Worker.able_to_work).is_(True),
        ~open_referral,
    )  # fmt: skip


def _item(language: Language, days: int) -> Callable[[Any], AgendaItem]:
    def item(row: Any) -> AgendaItem:
        kind = _KINDS[row.priority]
        reason = AgendaReason(row.reason_code)
        words = _REASONS[reason][language].format(
            months=row.months, due_on=row.due_on, since=row.since, days=days
        )
        return AgendaItem(
            kind=kind, reason_code=reason, reason=words, due_on=row.due_on, since=row.since,
            record_id=row.record_id, worker_id=row.worker_id, worker_name=row.worker_name,
            worker_id_number=row.worker_id_number, region_code=row.region_code,
            link=_LINKS[kind].format(row.link_id),
        )  # fmt: skip

    return item


async def get_all(
    session: AsyncSession, *, actor: Actor, params: PageParams, language: Language
) -> Page[AgendaItem]:
    """What is due in ``actor``'s scope: by kind (most pressing first), then by the kind's
    date (earliest first), then by record."""
    settings = get_settings()
    today = local_today()
    unvisited_days = settings.agenda_unvisited_days
    agenda = union_all(
        _follow_ups(actor, today),
        _returned_claims(actor),
        _ending_enrolments(actor, today, settings.agenda_enrolment_ending_days),
        *_unvisited(actor, today, unvisited_days),
        _able_without_work(actor),
    ).subquery("agenda")
    return await paginate(
        session,
        select(agenda),
        keys=[agenda.c.priority, agenda.c.sort_on, agenda.c.record_id],
        params=params,
        row=_item(language, unvisited_days),
    )
