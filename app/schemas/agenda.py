"""The caseworker's agenda: what is due, each item with why and where to open it."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from app.schemas.common import ResponseModel


class AgendaKind(StrEnum):
    """What is due, in the order the agenda lists the kinds (most pressing first)."""

    follow_up = "follow_up"
    claim_returned = "claim_returned"
    enrolment_ending = "enrolment_ending"
    not_visited = "not_visited"
    able_without_work = "able_without_work"


class AgendaReason(StrEnum):
    """Why an item is on the agenda: a stable code (the sentence beside it is worded in the
    reader's language)."""

    follow_up_due = "follow_up_due"
    follow_up_overdue = "follow_up_overdue"
    claim_returned = "claim_returned"
    enrolment_ending = "enrolment_ending"
    enrolment_ended = "enrolment_ended"
    never_visited = "never_visited"
    not_visited = "not_visited"
    able_without_work = "able_without_work"


class AgendaItem(ResponseModel):
    kind: AgendaKind
    reason_code: AgendaReason
    reason: str = Field(description="Why, in a sentence (English, or Chinese for zh readers).")
    due_on: date | None = Field(
        description="The day it is or was due: the follow-up's day, the session's last day, "
        "the day the labourer's visit fell due; none for what is due as long as it lasts."
    )
    since: date | None = Field(
        description="The day it started: the last visit (or registration), the claim's "
        "return, the day the labourer was last judged able to work (or registration)."
    )
    record_id: int = Field(description="The follow-up, claim, enrolment or worker id.")
    worker_id: int
    worker_name: str
    worker_id_number: str = Field(description="Masked as in lists: 340406********1234.")
    region_code: str
    link: str = Field(description="The API path of the record to open.")
