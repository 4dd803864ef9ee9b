"""Dates a user sets are bounded by the record's own history (SPEC §1, the last scope rule).

Every date or time a request sets is checked here, by the one rule of its kind, so that no
route can back-date what another refuses:

| what is set | earliest | latest |
|---|---|---|
| a hire's start | the day the referral was made | ``START_AHEAD`` from today |
| a recorded job's start | the day the worker was registered | ``START_AHEAD`` from today |
| a job's end | its start | today (or its start, when it has not begun) |
| a follow-up check | the job's start | today |
| a training day, a completion | the session's start, the enrolment | the session's end, today |
| the months a claim covers | the month its employment started | the end of a month now over |
| a visit, when a photo was taken | — (an offline phone uploads old ones) | now + ``CLOCK_SKEW`` |
| a recruitment event | — (a fair recorded after it was held) | ``EVENT_AHEAD`` from today |
| attending an event, a referral from it | the event's day | — |

"The day" of a stored moment is its UTC date, as the service counts days everywhere; the
latest day a user may set is the programme's own day (:func:`local_today`), which in 潘集区
starts eight hours before UTC's. Each
refusal is a 422 with its own code — ``date_before_history``, ``date_in_future``,
``date_outside_session``, ``event_not_yet_held`` — and a per-field error naming the field;
the check runs before anything is written. Genuinely older history is not everyday input: it
comes in through the audited admin backfill, and the refusal says so.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.core.config import get_settings
from app.errors import FieldError, Unprocessable
from app.errors.extensions import DateBoundsProblem
from app.models import Enrolment, TrainingSession

BACKFILL = "Older history is brought in through the audited admin backfill, not this route."

# A job is often agreed before its first day (a start on the 1st of next month, a notice
# period at the old job): a hire may take its opening that far ahead. A start further away
# is a promise, not a placement; the claim rules pay nothing before the start in any case.
START_AHEAD = timedelta(days=30)
# A job fair or campaign is planned, at most, for the year ahead (春风行动 is announced
# months before).
EVENT_AHEAD = timedelta(days=366)
# Phones' clocks drift; a visit may be stamped a little ahead of the server.
CLOCK_SKEW = timedelta(minutes=10)


class DateBeforeHistory(Unprocessable):
    code = "date_before_history"
    problem = DateBoundsProblem
    title = "The date is earlier than the record's history allows"


class DateInFuture(Unprocessable):
    code = "date_in_future"
    problem = DateBoundsProblem
    title = "The date is later than allowed"


class DateOutsideSession(Unprocessable):
    code = "date_outside_session"
    problem = DateBoundsProblem
    title = "The day lies outside the training session"


class EventNotYetHeld(Unprocessable):
    code = "event_not_yet_held"
    problem = DateBoundsProblem
    title = "The recruitment event has not been held yet"


def today() -> date:
    """The service's day (UTC)."""
    return datetime.now(UTC).date()


def local_today(now: datetime | None = None) -> date:
    """The day it is where the programme runs (``JOBPATH_UTC_OFFSET_HOURS``, Beijing's +8 by
    default): the latest day a user may call "today". A caseworker recording this morning's
    class at 07:30 in 潘集区 is on a day the UTC clock reaches only at 08:00."""
    offset = timedelta(hours=get_settings().utc_offset_hours)
    return ((now or datetime.now(UTC)) + offset).date()


def day_of(moment: datetime) -> date:
    """The UTC day of a stored moment (e.g. when a record was created)."""
    return moment.astimezone(UTC).date()


def _field(field: str, message: str, code: str) -> list[FieldError]:
    return [FieldError(field=field, message=message, type=code)]


def not_before(field: str, value: date, *, earliest: date, since: str) -> None:
    """Refuse ``value`` before ``earliest``, the day ``since`` ("the referral was made")."""
    if value < earliest:
        message = f"before {since} ({earliest.isoformat()})"
        raise DateBeforeHistory(
            f"{field.removeprefix('body.')} {value.isoformat()} is {message}. {BACKFILL}",
            errors=_field(field, message, DateBeforeHistory.code),
            earliest=earliest.isoformat(),
        )


def not_after(field: str, value: date, *, latest: date, limit: str = "today") -> None:
    """Refuse ``value`` after ``latest`` (``limit`` says what that day is)."""
    if value > latest:
        message = f"after {limit} ({latest.isoformat()})"
        raise DateInFuture(
            f"{field.removeprefix('body.')} {value.isoformat()} is {message}.",
            errors=_field(field, message, DateInFuture.code),
            latest=latest.isoformat(),
        )


# -- the rules, one per kind of date ------------------------------------------------------


def _start(field: str, value: date, *, earliest: date, since: str) -> None:
    not_before(field, value, earliest=earliest, since=since)
    ahead = local_today() + START_AHEAD
    not_after(field, value, latest=ahead, limit=f"{START_AHEAD.days} days from today")


def hire_start(value: date, *, referred_at: datetime) -> None:
    """A hire starts on or after the day its referral was made, at most ``START_AHEAD``
    ahead."""
    _start("body.start_date", value, earliest=day_of(referred_at), since="the referral was made")


def employment_start(value: date, *, registered_on: date) -> None:
    """A job recorded without a referral starts on or after the worker's registration (建档立卡
    day), at most ``START_AHEAD`` ahead."""
    _start("body.start_date", value, earliest=registered_on, since="the worker was registered")


def employment_end(value: date, *, start: date) -> None:
    """A job ends on or after its start and not after today — or, for a job that has not begun,
    on its start day (the hire fell through)."""
    not_before("body.end_date", value, earliest=start, since="the employment started")
    not_after("body.end_date", value, latest=max(local_today(), start))


def follow_up_check(value: date, *, start: date) -> None:
    """A follow-up check is made between the job's start and today."""
    not_before("body.checked_on", value, earliest=start, since="the employment started")
    not_after("body.checked_on", value, latest=local_today())


def training_day(
    field: str, value: date, *, training: TrainingSession, enrolment: Enrolment
) -> None:
    """A day of training (attendance, completion) lies within the session, not before the
    worker's enrolment and not after today."""
    start, end = training.start_date, training.end_date
    if not start <= value <= end:
        message = f"outside the session ({start.isoformat()} to {end.isoformat()})"
        raise DateOutsideSession(
            f"{field.removeprefix('body.')} {value.isoformat()} is {message}.",
            errors=_field(field, message, DateOutsideSession.code),
            earliest=start.isoformat(),
            latest=end.isoformat(),
        )
    enrolled = day_of(enrolment.created_at)
    not_before(field, value, earliest=enrolled, since="the worker was enrolled")
    not_after(field, value, latest=local_today())


def claim_months(
    first: date, last_day: date, *, evidence_start: date | None, evidence: str
) -> None:
    """The months a claim covers begin no earlier than the month its evidence began (claims
    count whole months) and end with a month that is over: nothing is claimed ahead of being
    earned.
    ``first`` is the first month's first day, ``last_day`` the last month's last day."""
    if evidence_start is not None:
        earliest = evidence_start.replace(day=1)
        not_before("body.period_start", first, earliest=earliest, since=evidence)
    # A month is earned once it is over: its last day is yesterday at the latest.
    over = local_today() - timedelta(days=1)
    not_after("body.period_end", last_day, latest=over, limit="the last day of a month now over")


def _by_now(field: str, value: datetime, *, what: str) -> None:
    latest = datetime.now(UTC) + CLOCK_SKEW
    if value > latest:
        raise DateInFuture(
            f"{what} cannot be in the future.",
            errors=_field(field, "in the future", DateInFuture.code),
            latest=latest.isoformat(timespec="seconds"),
        )


def visit_time(value: datetime) -> None:
    """A visit took place by now (with ``CLOCK_SKEW`` for a phone's clock); older visits are
    fine: a phone offline for a week uploads them late."""
    _by_now("body.visited_at", value, what="A visit")


def photo_time(value: datetime) -> None:
    """A photo was taken by now, as a visit was (its upload may come much later)."""
    _by_now("body.taken_at", value, what="The moment a photo was taken")


def event_date(value: date) -> None:
    """A recruitment event is planned at most ``EVENT_AHEAD``; past events may be recorded."""
    not_after("body.date", value, latest=local_today() + EVENT_AHEAD, limit="a year from today")


def event_held(field: str, held_on: date) -> None:
    """Attendance at an event, or a referral made at it, comes on or after the event's day."""
    if local_today() < held_on:
        message = f"the event is held on {held_on.isoformat()}"
        raise EventNotYetHeld(
            f"{message.capitalize()}; nothing can have come of it yet.",
            errors=_field(field, message, EventNotYetHeld.code),
            earliest=held_on.isoformat(),
        )
