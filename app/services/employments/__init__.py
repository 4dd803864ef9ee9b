"""Employments: placements, jobs found without a referral, confirmation, ends, follow-ups.

A placement sets the worker's status, schedules the follow-up checks (1, 3, 6 and 12 months
by default) and is audited, all in the caller's transaction. An employment is *stable* once it
has lasted the stable-employment period (180 days by default).

One module per workflow: ``placement``, ``lifecycle`` (confirmation, end) and ``follow_ups``;
``core`` holds what they share. Callers use the package: ``employments.record(...)``.
"""

from app.services.date_bounds import today
from app.services.employments.core import (
    EmploymentFilters,
    EmploymentNotFound,
    add_months,
    get,
    get_all,
    read,
    snapshot,
    stable_since,
    visible,
)
from app.services.employments.follow_ups import (
    FollowUpNotDue,
    FollowUpNotFound,
    due_follow_ups,
    follow_up_read,
    record_follow_up,
)
from app.services.employments.lifecycle import AlreadyEnded, confirm, end, finish
from app.services.employments.placement import place, record

__all__ = [
    "AlreadyEnded",
    "EmploymentFilters",
    "EmploymentNotFound",
    "FollowUpNotDue",
    "FollowUpNotFound",
    "add_months",
    "confirm",
    "due_follow_ups",
    "end",
    "finish",
    "follow_up_read",
    "get",
    "get_all",
    "place",
    "read",
    "record",
    "record_follow_up",
    "snapshot",
    "stable_since",
    "today",
    "visible",
]
