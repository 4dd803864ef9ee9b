"""Skills training: courses (admin), sessions run township by township, enrolment within the
capacity (also when many phones enrol at once), attendance, completion with a certificate —
which gives the worker the course's skill — and dropping out.

One module per workflow: ``courses``, ``sessions``, ``enrolments`` (with ``ending``, what an
enrolment's end does to the worker) and ``mobilisation``. Callers use the package:
``training.enrol(...)``.
"""

from app.services.training.courses import (
    CourseNotFound,
    create_course,
    get_course,
    list_courses,
    update_course,
)
from app.services.training.enrolments import (
    AlreadyInTraining,
    DuplicateCertificate,
    EnrolmentClosed,
    EnrolmentNotFound,
    SessionFull,
    complete,
    drop,
    enrol,
    enrolment_read,
    get_enrolment,
    list_enrolments,
    record_attendance,
)
from app.services.training.mobilisation import (
    skills_in_training,
    suggested_workers,
    training_for_skills,
)
from app.services.training.sessions import (
    CapacityBelowEnrolled,
    InvalidSessionTransition,
    SessionClosed,
    SessionFilters,
    SessionNotFound,
    create_session,
    get_session,
    list_sessions,
    session_read,
    update_session,
)

__all__ = [
    "AlreadyInTraining",
    "CapacityBelowEnrolled",
    "CourseNotFound",
    "DuplicateCertificate",
    "EnrolmentClosed",
    "EnrolmentNotFound",
    "InvalidSessionTransition",
    "SessionClosed",
    "SessionFilters",
    "SessionFull",
    "SessionNotFound",
    "complete",
    "create_course",
    "create_session",
    "drop",
    "enrol",
    "enrolment_read",
    "get_course",
    "get_enrolment",
    "get_session",
    "list_courses",
    "list_enrolments",
    "list_sessions",
    "record_attendance",
    "session_read",
    "skills_in_training",
    "suggested_workers",
    "training_for_skills",
    "update_course",
    "update_session",
]
