"""Subsidy claims: filing against the evidence, the review workflow, public notice, payment.

draft → submitted → (one approval per review stage, each by a different admin, never the
filer) → approved (amount frozen; public notice) → paid. A reviewer may instead reject
(final) or return the claim to draft. An objection during the notice puts it back under
review. Every transition is audited; the claim's history is its audit trail.

One module per workflow: ``filing`` (draft, correction, submission), ``review`` (approve,
reject, return), ``notice`` (public notice, objections), ``payment``, ``auditing``
(evidence, history, findings); ``core`` holds what they share. Callers use the package:
``claims.submit(...)``.
"""

from app.services.claims.auditing import add_finding, detail, history
from app.services.claims.core import (
    ClaimFilters,
    ClaimNotFound,
    DuplicateClaim,
    InvalidClaimTransition,
    OwnClaim,
    SameReviewer,
    get,
    get_all,
    load,
    read,
    scoped_query,
    snapshot,
    visible,
)
from app.services.claims.filing import create, ensure_filer_side, submit, update_draft
from app.services.claims.notice import object_to, public_notice
from app.services.claims.payment import pay
from app.services.claims.review import approve, reject, return_to_draft, stage_level

__all__ = [
    "ClaimFilters",
    "ClaimNotFound",
    "DuplicateClaim",
    "InvalidClaimTransition",
    "OwnClaim",
    "SameReviewer",
    "add_finding",
    "approve",
    "create",
    "detail",
    "ensure_filer_side",
    "get",
    "get_all",
    "history",
    "load",
    "object_to",
    "pay",
    "public_notice",
    "read",
    "reject",
    "return_to_draft",
    "scoped_query",
    "snapshot",
    "stage_level",
    "submit",
    "update_draft",
    "visible",
]
