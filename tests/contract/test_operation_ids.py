"""Client methods are named by operation ids: every route sets its own, and the whole set is
pinned here, so renaming a Python function cannot rename (and so break) a generated client."""

from __future__ import annotations

from httpx import AsyncClient

from app.core.openapi import api_routes
from app.main import create_app

OPERATION_IDS = {
    ("GET", "/healthz"): "getHealth",
    ("GET", "/readyz"): "getReadiness",
    ("POST", "/api/v1/auth/token"): "signIn",
    ("POST", "/api/v1/auth/refresh"): "refreshToken",
    ("POST", "/api/v1/auth/logout"): "signOut",
    ("GET", "/api/v1/auth/me"): "getCurrentUser",
    ("POST", "/api/v1/auth/password"): "changePassword",
    ("POST", "/api/v1/users"): "createUser",
    ("GET", "/api/v1/users"): "listUsers",
    ("GET", "/api/v1/users/{user_id}"): "getUser",
    ("PATCH", "/api/v1/users/{user_id}"): "updateUser",
    ("POST", "/api/v1/users/{user_id}/password"): "resetUserPassword",
    ("GET", "/api/v1/regions"): "listRegions",
    ("POST", "/api/v1/regions"): "createRegion",
    ("GET", "/api/v1/regions/{code}"): "getRegion",
    ("PATCH", "/api/v1/regions/{code}"): "renameRegion",
    ("POST", "/api/v1/households"): "createHousehold",
    ("GET", "/api/v1/households"): "listHouseholds",
    ("GET", "/api/v1/households/{household_id}"): "getHousehold",
    ("PATCH", "/api/v1/households/{household_id}"): "updateHousehold",
    ("POST", "/api/v1/households/{household_id}/visits"): "createHouseholdVisit",
    ("GET", "/api/v1/households/{household_id}/visits"): "listHouseholdVisits",
    ("POST", "/api/v1/workers"): "createWorker",
    ("GET", "/api/v1/workers"): "listWorkers",
    ("POST", "/api/v1/workers/import"): "importWorkers",
    ("GET", "/api/v1/workers/{worker_id}"): "getWorker",
    ("PATCH", "/api/v1/workers/{worker_id}"): "updateWorker",
    ("DELETE", "/api/v1/workers/{worker_id}"): "deleteWorker",
    ("GET", "/api/v1/workers/{worker_id}/timeline"): "getWorkerTimeline",
    ("GET", "/api/v1/workers/{worker_id}/matches"): "listWorkerMatches",
    ("POST", "/api/v1/workers/{worker_id}/visits"): "createWorkerVisit",
    ("GET", "/api/v1/workers/{worker_id}/visits"): "listWorkerVisits",
    ("GET", "/api/v1/visits"): "listVisits",
    ("POST", "/api/v1/employers"): "createEmployer",
    ("GET", "/api/v1/employers"): "listEmployers",
    ("GET", "/api/v1/employers/{employer_id}"): "getEmployer",
    ("PATCH", "/api/v1/employers/{employer_id}"): "updateEmployer",
    ("POST", "/api/v1/employers/{employer_id}/verify"): "verifyEmployer",
    ("POST", "/api/v1/vacancies"): "createVacancy",
    ("GET", "/api/v1/vacancies"): "listVacancies",
    ("GET", "/api/v1/vacancies/{vacancy_id}"): "getVacancy",
    ("PATCH", "/api/v1/vacancies/{vacancy_id}"): "updateVacancy",
    ("POST", "/api/v1/vacancies/{vacancy_id}/close"): "closeVacancy",
    ("GET", "/api/v1/vacancies/{vacancy_id}/candidates"): "listVacancyCandidates",
    ("POST", "/api/v1/referrals"): "createReferral",
    ("GET", "/api/v1/referrals"): "listReferrals",
    ("GET", "/api/v1/referrals/{referral_id}"): "getReferral",
    ("POST", "/api/v1/referrals/{referral_id}/interview"): "interviewReferral",
    ("POST", "/api/v1/referrals/{referral_id}/hire"): "hireReferral",
    ("POST", "/api/v1/referrals/{referral_id}/decline"): "declineReferral",
    ("POST", "/api/v1/referrals/{referral_id}/withdraw"): "withdrawReferral",
    ("POST", "/api/v1/employments"): "recordEmployment",
    ("GET", "/api/v1/employments"): "listEmployments",
    ("GET", "/api/v1/employments/{employment_id}"): "getEmployment",
    ("POST", "/api/v1/employments/{employment_id}/confirm"): "confirmEmployment",
    ("POST", "/api/v1/employments/{employment_id}/end"): "endEmployment",
    ("GET", "/api/v1/follow-ups"): "listFollowUps",
    ("GET", "/api/v1/me/agenda"): "getMyAgenda",
    ("POST", "/api/v1/follow-ups/{follow_up_id}"): "recordFollowUp",
    ("POST", "/api/v1/recruitment-events"): "createRecruitmentEvent",
    ("GET", "/api/v1/recruitment-events"): "listRecruitmentEvents",
    ("GET", "/api/v1/recruitment-events/{event_id}"): "getRecruitmentEvent",
    ("POST", "/api/v1/recruitment-events/{event_id}/participants"): "addEventParticipants",
    ("POST", "/api/v1/recruitment-events/{event_id}/attendees"): "addEventAttendee",
    ("POST", "/api/v1/training/courses"): "createTrainingCourse",
    ("GET", "/api/v1/training/courses"): "listTrainingCourses",
    ("GET", "/api/v1/training/courses/{course_id}"): "getTrainingCourse",
    ("PATCH", "/api/v1/training/courses/{course_id}"): "updateTrainingCourse",
    ("POST", "/api/v1/training/sessions"): "createTrainingSession",
    ("GET", "/api/v1/training/sessions"): "listTrainingSessions",
    ("GET", "/api/v1/training/sessions/{session_id}"): "getTrainingSession",
    ("PATCH", "/api/v1/training/sessions/{session_id}"): "updateTrainingSession",
    ("GET", "/api/v1/training/sessions/{session_id}/suggested-workers"): "listSuggestedWorkers",
    ("POST", "/api/v1/training/sessions/{session_id}/enrolments"): "enrolWorker",
    ("GET", "/api/v1/training/sessions/{session_id}/enrolments"): "listSessionEnrolments",
    ("GET", "/api/v1/training/enrolments"): "listEnrolments",
    ("GET", "/api/v1/training/enrolments/{enrolment_id}"): "getEnrolment",
    ("POST", "/api/v1/training/enrolments/{enrolment_id}/attendance"): "recordAttendance",
    ("POST", "/api/v1/training/enrolments/{enrolment_id}/complete"): "completeEnrolment",
    ("POST", "/api/v1/training/enrolments/{enrolment_id}/drop"): "dropEnrolment",
    ("POST", "/api/v1/subsidy-policies"): "createSubsidyPolicy",
    ("GET", "/api/v1/subsidy-policies"): "listSubsidyPolicies",
    ("GET", "/api/v1/subsidy-policies/{policy_id}"): "getSubsidyPolicy",
    ("PATCH", "/api/v1/subsidy-policies/{policy_id}"): "updateSubsidyPolicy",
    ("POST", "/api/v1/claims"): "createClaim",
    ("GET", "/api/v1/claims"): "listClaims",
    ("GET", "/api/v1/claims/public-notice"): "listClaimsPublicNotice",
    ("GET", "/api/v1/claims/export"): "exportClaims",
    ("GET", "/api/v1/claims/{claim_id}"): "getClaim",
    ("PATCH", "/api/v1/claims/{claim_id}"): "updateClaim",
    ("GET", "/api/v1/claims/{claim_id}/history"): "getClaimHistory",
    ("POST", "/api/v1/claims/{claim_id}/submit"): "submitClaim",
    ("POST", "/api/v1/claims/{claim_id}/approve"): "approveClaim",
    ("POST", "/api/v1/claims/{claim_id}/reject"): "rejectClaim",
    ("POST", "/api/v1/claims/{claim_id}/return"): "returnClaim",
    ("POST", "/api/v1/claims/{claim_id}/objections"): "objectToClaim",
    ("POST", "/api/v1/claims/{claim_id}/pay"): "payClaim",
    ("POST", "/api/v1/claims/{claim_id}/findings"): "flagClaim",
    ("POST", "/api/v1/claims/{claim_id}/attachments"): "uploadClaimAttachment",
    ("GET", "/api/v1/claims/{claim_id}/attachments"): "listClaimAttachments",
    ("GET", "/api/v1/claims/{claim_id}/attachments/{attachment_id}"): "downloadClaimAttachment",
    ("POST", "/api/v1/visits/{visit_id}/photos"): "uploadVisitPhoto",
    ("GET", "/api/v1/visits/{visit_id}/photos"): "listVisitPhotos",
    ("POST", "/api/v1/households/{household_id}/photos"): "uploadHouseholdPhoto",
    ("GET", "/api/v1/households/{household_id}/photos"): "listHouseholdPhotos",
    ("POST", "/api/v1/workers/{worker_id}/photos"): "uploadWorkerPhoto",
    ("GET", "/api/v1/workers/{worker_id}/photos"): "listWorkerPhotos",
    ("GET", "/api/v1/photos"): "listPhotos",
    ("GET", "/api/v1/photos/{photo_id}/content"): "downloadPhoto",
    ("DELETE", "/api/v1/photos/{photo_id}"): "deletePhoto",
    ("GET", "/api/v1/audit/alerts"): "listAlerts",
    ("GET", "/api/v1/stats/overview"): "getStatsOverview",
    ("POST", "/api/v1/backfill"): "backfillHistory",
    ("GET", "/api/v1/stats/breakdown"): "getStatsBreakdown",
    ("GET", "/api/v1/stats/overview.xlsx"): "downloadStatsOverviewReport",
    ("POST", "/api/v1/targets"): "createTarget",
    ("GET", "/api/v1/targets"): "listTargets",
    ("GET", "/api/v1/targets/{target_id}"): "getTarget",
    ("PATCH", "/api/v1/targets/{target_id}"): "updateTarget",
    ("POST", "/api/v1/service-stations"): "createServiceStation",
    ("GET", "/api/v1/service-stations"): "listServiceStations",
    ("POST", "/api/v1/assignments"): "recordAssignedList",
    ("POST", "/api/v1/assignments/import"): "importAssignedList",
    ("GET", "/api/v1/assignments"): "listAssignments",
    ("DELETE", "/api/v1/assignments/{assignment_id}"): "deleteAssignment",
    ("GET", "/api/v1/audit-log"): "listAuditEntries",
    ("GET", "/api/v1/audit-log/verify"): "verifyAuditChain",
    ("POST", "/api/v1/audit-log/checkpoints"): "createAuditCheckpoint",
}


def test_every_route_names_its_operation_itself() -> None:
    routes = list(api_routes(create_app()))
    unnamed = [
        f"{sorted(route.methods or ())} {path}"
        for path, route in routes
        if route.include_in_schema and not route.operation_id
    ]
    assert len(routes) >= len(OPERATION_IDS)
    assert unnamed == []


async def test_the_document_keeps_every_pinned_operation_id(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    served = {
        (method.upper(), path): operation["operationId"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert served == OPERATION_IDS
