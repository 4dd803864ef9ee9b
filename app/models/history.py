"""History a labourer's record carries: when their willing-and-able judgement changed (and
the year a household was lifted out of poverty).

Indicators of a past year judge "willing and able" as it stood then. The worker row holds
today's judgement; each change of it (``able_to_work`` or an ``employment_status`` moving to
or from ``unable_to_work``) is recorded here with the programme day it took effect, by a
``before_flush`` hook — one mechanism for every route, import and backfill that edits a
worker through the ORM. A worker with no row here has been judged the same since
registration.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from app.models.base import BigId, created_at_field, programme_today
from app.models.households import Household, PovertyStatus
from app.models.workers import EmploymentStatus, Worker


class WorkerAbilityChange(SQLModel, table=True):
    __tablename__ = "worker_ability_changes"
    __table_args__ = (
        sa.Index("ix_worker_ability_changes_worker_effective", "worker_id", "effective_on", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    worker_id: int = Field(foreign_key="workers.id", sa_type=BigId)
    effective_on: date
    willing_and_able: bool
    created_at: datetime = created_at_field()


def judged_able(able_to_work: Any, employment_status: Any) -> bool:
    return bool(able_to_work) and employment_status != EmploymentStatus.unable_to_work.value


def _before(state: Any, name: str) -> Any:
    history = state.attrs[name].history
    return history.deleted[0] if history.deleted else getattr(state.object, name)


@event.listens_for(Session, "before_flush")
def _record_ability_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty):
        if isinstance(obj, Household):
            _note_lift_out(obj)
        if not isinstance(obj, Worker) or obj.id is None:
            continue
        state = inspect(obj)
        if not (
            state.attrs.able_to_work.history.has_changes()
            or state.attrs.employment_status.history.has_changes()
        ):
            continue
        was = judged_able(_before(state, "able_to_work"), _before(state, "employment_status"))
        now = judged_able(obj.able_to_work, obj.employment_status)
        if was == now:
            continue
        on = programme_today()
        if obj.able_changed_on is None:  # the first change: what held since registration
            session.add(WorkerAbilityChange(worker_id=obj.id, effective_on=obj.registered_on,
                                            willing_and_able=was))  # fmt: skip
        session.add(WorkerAbilityChange(worker_id=obj.id, effective_on=on, willing_and_able=now))
        obj.able_changed_on = max(on, obj.able_changed_on or on)


def _note_lift_out(household: Household) -> None:
    """A household whose status becomes ``lifted`` was lifted out this year, unless the
    registry's year was brought in."""
    if (
        inspect(household).attrs.poverty_status.history.has_changes()
        and household.poverty_status == PovertyStatus.lifted.value
        and household.lifted_year is None
    ):
        household.lifted_year = programme_today().year
