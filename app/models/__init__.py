"""Every table, imported here so the metadata (and Alembic) sees them all."""

from app.models.assignments import Assignment
from app.models.audit import AuditCheckpoint, AuditEntry
from app.models.base import SQLModel
from app.models.claims import (
    Claim,
    ClaimAttachment,
    ClaimFinding,
    ClaimPeriod,
    ClaimReview,
    ClaimStatus,
    Payee,
    PolicyRule,
    SubsidyPolicy,
    Unit,
)
from app.models.employers import Employer, EmployerKind
from app.models.employments import (
    Employment,
    EmploymentKind,
    EndReason,
    FollowUp,
    FollowUpStatus,
)
from app.models.history import WorkerAbilityChange
from app.models.households import Household, PovertyCause, PovertyStatus
from app.models.idempotency import IdempotencyRecord
from app.models.photos import Photo
from app.models.recruitment_events import (
    Campaign,
    EventAttendee,
    EventEmployer,
    EventVacancy,
    RecruitmentEvent,
)
from app.models.referrals import Referral, ReferralStatus
from app.models.regions import Region, RegionLevel
from app.models.targets import ServiceStation, Target, TargetMetric
from app.models.training import (
    Attendance,
    Enrolment,
    EnrolmentStatus,
    SessionStatus,
    TrainingCourse,
    TrainingSession,
)
from app.models.users import AuthSession, LoginThrottle, RefreshToken, Role, User
from app.models.vacancies import Vacancy, VacancyStatus
from app.models.vocab import JobType, Skill, WorkLocation
from app.models.workers import (
    DisabilityLevel,
    Education,
    EmploymentStatus,
    Sex,
    Visit,
    VisitKind,
    Worker,
)

metadata = SQLModel.metadata

__all__ = [
    "Assignment",
    "Attendance",
    "AuditCheckpoint",
    "AuditEntry",
    "AuthSession",
    "Campaign",
    "Claim",
    "ClaimAttachment",
    "ClaimFinding",
    "ClaimPeriod",
    "ClaimReview",
    "ClaimStatus",
    "DisabilityLevel",
    "Education",
    "Employer",
    "EmployerKind",
    "Employment",
    "EmploymentKind",
    "EmploymentStatus",
    "EndReason",
    "Enrolment",
    "EnrolmentStatus",
    "EventAttendee",
    "EventEmployer",
    "EventVacancy",
    "FollowUp",
    "FollowUpStatus",
    "Household",
    "IdempotencyRecord",
    "JobType",
    "LoginThrottle",
    "Payee",
    "Photo",
    "PolicyRule",
    "PovertyCause",
    "PovertyStatus",
    "RecruitmentEvent",
    "Referral",
    "ReferralStatus",
    "RefreshToken",
    "Region",
    "RegionLevel",
    "Role",
    "ServiceStation",
    "SessionStatus",
    "Sex",
    "Skill",
    "SubsidyPolicy",
    "Target",
    "TargetMetric",
    "TrainingCourse",
    "TrainingSession",
    "Unit",
    "User",
    "Vacancy",
    "VacancyStatus",
    "Visit",
    "VisitKind",
    "WorkLocation",
    "Worker",
    "WorkerAbilityChange",
    "metadata",
]
