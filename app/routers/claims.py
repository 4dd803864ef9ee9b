from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status
from fastapi.responses import FileResponse, StreamingResponse

from app.core.config import get_settings
from app.deps import (
    ActingUser,
    AdminUser,
    AuditorUser,
    CurrentUser,
    DistrictAdminUser,
    OversightUser,
    SessionDep,
    audited_read,
)
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    responses,
)
from app.idempotency import Idempotent
from app.models import AuditEntry, ClaimAttachment, ClaimStatus
from app.pagination import Page, PageDep, SyncPage, UpdatedSince, parse_updated_since
from app.schemas.audit import AuditEntryRead
from app.schemas.claims import (
    AttachmentRead,
    ClaimCreate,
    ClaimDetail,
    ClaimRead,
    ClaimUpdate,
    FindingCreate,
    FindingRead,
    Payment,
    PublicNoticeItem,
    Reason,
)
from app.schemas.common import IdPath, IdQuery, IsoDate
from app.services import attachments, claims, claims_export
from app.services.claim_rules import AlreadyClaimed, ClaimIneligible
from app.uploads import download, download_responses, read_limited
from app.versioning import IfMatchDep, VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/claims", tags=["claims"])
_READ = (Unauthorized, Forbidden, NotFound)
_MOVE = responses(*_READ, Conflict, Unprocessable)
RegionQuery = Annotated[str | None, Query(pattern=r"^\d{6,12}$", description="Subtree.")]


async def _filters(
    policy_code: Annotated[str | None, Query(max_length=40)] = None,
    status: ClaimStatus | None = None,
    region: RegionQuery = None,
    employer_id: IdQuery = None,
    worker_id: IdQuery = None,
    period_from: IsoDate | None = None,
    period_to: IsoDate | None = None,
    min_amount_fen: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    max_amount_fen: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    flagged: bool | None = None,
) -> claims.ClaimFilters:
    return claims.ClaimFilters(
        policy_code=policy_code,
        status=status,
        region=region,
        employer_id=employer_id,
        worker_id=worker_id,
        period_from=period_from,
        period_to=period_to,
        min_amount_fen=min_amount_fen,
        max_amount_fen=max_amount_fen,
        flagged=flagged,
    )


FiltersDep = Annotated[claims.ClaimFilters, Depends(_filters)]


@router.post(
    "",
    operation_id="createClaim",
    response_model=ClaimRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_READ, Conflict, AlreadyClaimed, Unprocessable, ClaimIneligible),
)
async def create_claim(
    body: ClaimCreate, session: SessionDep, actor: ActingUser, _: Idempotent
) -> ClaimRead:
    """File a claim (a draft). Employers claim for their own confirmed employments;
    caseworkers on a worker's behalf. The service checks eligibility against the evidence and
    computes the amount; the same worker, policy and period can be claimed once (409)."""
    return await claims.create(session, actor=actor, data=body.model_dump())


@router.get(
    "",
    operation_id="listClaims",
    response_model=SyncPage[ClaimRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_claims(
    session: SessionDep,
    actor: CurrentUser,
    page: PageDep,
    filters: FiltersDep,
    updated_since: UpdatedSince = None,
) -> SyncPage[ClaimRead]:
    """Claims of your scope (employers: their own), by policy, status, region, employer,
    worker, period and amount; with `updated_since`, the changes since your last sync, in
    commit order."""
    since = parse_updated_since(updated_since) if updated_since else None
    return await claims.get_all(session, actor=actor, filters=filters, params=page, since=since)


@router.get(
    "/public-notice",
    operation_id="listClaimsPublicNotice",
    response_model=Page[PublicNoticeItem],
    responses=responses(Unauthorized, NotFound, Unprocessable),  # 404: no such `region`
)
async def list_public_notice(
    session: SessionDep, actor: CurrentUser, page: PageDep, region: RegionQuery = None
) -> Page[PublicNoticeItem]:
    """Approved claims in their public notice (公示), names and ID numbers masked as a notice
    shows them (张*明, 3404**********1234)."""
    return await claims.public_notice(session, actor=actor, params=page, region=region)


@router.get(
    "/export",
    operation_id="exportClaims",
    responses={
        200: {
            "content": {t: {} for t in claims_export.CONTENT_TYPES.values()},
            "description": "The claims, streamed.",
        },
        **responses(Unauthorized, Forbidden, NotFound, Unprocessable),
    },
    response_class=StreamingResponse,
)
@audited_read
async def export_claims(
    request: Request,
    session: SessionDep,
    actor: OversightUser,
    filters: FiltersDep,
    format: Literal["csv", "xlsx"] = "csv",
) -> StreamingResponse:
    """Every claim of your scope passing the filters, as CSV (UTF-8 with BOM for Chinese
    Excel) or XLSX, streamed with constant memory; personal data masked, text that a
    spreadsheet would run as a formula prefixed with `'`; the export is audited (auditors,
    admins)."""
    download = await claims_export.export(
        session, db=request.app.state.db, actor=actor, filters=filters, format=format
    )
    return StreamingResponse(
        download.chunks,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )


@router.get(
    "/{claim_id}", operation_id="getClaim", response_model=ClaimDetail, responses=responses(*_READ)
)
async def get_claim(claim_id: IdPath, session: SessionDep, actor: CurrentUser) -> ClaimDetail:
    """One claim with its evidence, attachments, reviews and findings; claimed, approved and
    paid amounts side by side."""
    return await claims.detail(session, actor=actor, claim_id=claim_id)


@router.patch(
    "/{claim_id}",
    operation_id="updateClaim",
    response_model=ClaimRead,
    responses=responses(*_READ, Conflict, Unprocessable, PreconditionFailed, PreconditionRequired),
)
async def update_claim(
    claim_id: IdPath,
    body: ClaimUpdate,
    session: SessionDep,
    actor: ActingUser,
    if_match: IfMatchDep,
) -> ClaimRead:
    """Correct a draft or returned claim (the filer's side; send `If-Match`); the amount is
    recomputed. An approved claim is frozen."""
    return await claims.update_draft(
        session,
        actor=actor,
        claim_id=claim_id,
        expected_version=if_match.version,
        changes=body.model_dump(exclude_unset=True),
    )


@router.get(
    "/{claim_id}/history",
    operation_id="getClaimHistory",
    response_model=list[AuditEntryRead],
    responses=responses(*_READ),
)
async def get_claim_history(
    claim_id: IdPath, session: SessionDep, actor: CurrentUser
) -> list[AuditEntry]:
    """Every transition of the claim, from its audit trail, oldest first."""
    return await claims.history(session, actor=actor, claim_id=claim_id)


@router.post(
    "/{claim_id}/submit",
    operation_id="submitClaim",
    response_model=ClaimRead,
    responses=responses(*_READ, Conflict, AlreadyClaimed, Unprocessable, ClaimIneligible),
)
async def submit_claim(claim_id: IdPath, session: SessionDep, actor: ActingUser) -> ClaimRead:
    """Submit a draft for review (the filer's side)."""
    return await claims.submit(session, actor=actor, claim_id=claim_id)


@router.post(
    "/{claim_id}/approve", operation_id="approveClaim", response_model=ClaimRead, responses=_MOVE
)
async def approve_claim(claim_id: IdPath, session: SessionDep, actor: AdminUser) -> ClaimRead:
    """Approve the current review stage (admins; never the filer, each stage a different
    person; a stage named for a level, such as `district_approval`, by an admin of that level
    or above). The last approval freezes the amount and opens the public notice."""
    return await claims.approve(session, actor=actor, claim_id=claim_id)


@router.post(
    "/{claim_id}/reject", operation_id="rejectClaim", response_model=ClaimRead, responses=_MOVE
)
async def reject_claim(
    claim_id: IdPath, body: Reason, session: SessionDep, actor: AdminUser
) -> ClaimRead:
    """Reject the claim, with a reason (admins; final)."""
    return await claims.reject(session, actor=actor, claim_id=claim_id, reason=body.reason)


@router.post(
    "/{claim_id}/return", operation_id="returnClaim", response_model=ClaimRead, responses=_MOVE
)
async def return_claim(
    claim_id: IdPath, body: Reason, session: SessionDep, actor: AdminUser
) -> ClaimRead:
    """Return the claim to draft for correction, with a reason (admins)."""
    return await claims.return_to_draft(session, actor=actor, claim_id=claim_id, reason=body.reason)


@router.post(
    "/{claim_id}/objections",
    operation_id="objectToClaim",
    response_model=ClaimRead,
    responses=_MOVE,
)
async def object_to_claim(
    claim_id: IdPath, body: Reason, session: SessionDep, actor: OversightUser
) -> ClaimRead:
    """Record an objection raised during the public notice: the claim goes back under review
    (admins, auditors)."""
    return await claims.object_to(session, actor=actor, claim_id=claim_id, reason=body.reason)


@router.post("/{claim_id}/pay", operation_id="payClaim", response_model=ClaimRead, responses=_MOVE)
async def pay_claim(
    claim_id: IdPath, body: Payment, session: SessionDep, actor: DistrictAdminUser
) -> ClaimRead:
    """Mark the claim paid with the payment reference, after its public notice (an admin of
    district level or above: the district pays)."""
    return await claims.pay(
        session, actor=actor, claim_id=claim_id, payment_reference=body.payment_reference
    )


@router.post(
    "/{claim_id}/findings",
    operation_id="flagClaim",
    response_model=FindingRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_READ, Unprocessable),
)
async def flag_claim(
    claim_id: IdPath, body: FindingCreate, session: SessionDep, actor: AuditorUser
) -> FindingRead:
    """Flag the claim with a finding (auditors)."""
    return await claims.add_finding(session, actor=actor, claim_id=claim_id, **body.model_dump())


@router.post(
    "/{claim_id}/attachments",
    operation_id="uploadClaimAttachment",
    response_model=AttachmentRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_READ, Conflict, PayloadTooLarge, UnsupportedMediaType),
)
async def upload_attachment(
    claim_id: IdPath,
    session: SessionDep,
    actor: ActingUser,
    file: Annotated[UploadFile, File(description="A photo (PNG, JPEG, WebP) or a PDF.")],
) -> ClaimAttachment:
    """Attach evidence to a draft or submitted claim: images and PDF only (checked by
    content), within the size limit; stored with its SHA-256."""
    content = await read_limited(file, max_bytes=get_settings().attachment_max_bytes)
    return await attachments.add(
        session,
        actor=actor,
        claim_id=claim_id,
        filename=file.filename or "evidence",
        declared_type=file.content_type,
        content=content,
    )


@router.get(
    "/{claim_id}/attachments",
    operation_id="listClaimAttachments",
    response_model=list[AttachmentRead],
    responses=responses(*_READ),
)
async def list_attachments(
    claim_id: IdPath, session: SessionDep, actor: CurrentUser
) -> list[ClaimAttachment]:
    """The claim's evidence files."""
    return await attachments.get_all(session, actor=actor, claim_id=claim_id)


@router.get(
    "/{claim_id}/attachments/{attachment_id}",
    operation_id="downloadClaimAttachment",
    response_class=FileResponse,
    responses={**download_responses(attachments.ACCEPTED), **responses(*_READ)},
)
async def download_attachment(
    claim_id: IdPath, attachment_id: IdPath, session: SessionDep, actor: CurrentUser
) -> FileResponse:
    """Download an evidence file of a claim you may see."""
    found = await attachments.get(
        session, actor=actor, claim_id=claim_id, attachment_id=attachment_id
    )
    return download(
        attachments.path_of(found),
        media_type=found.content_type,
        filename=found.filename,
        sha256=found.sha256,
    )
