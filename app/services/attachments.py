"""Evidence attachments of claims: images and PDF, checked and kept as every uploaded file is
(app/services/files.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, NotFound, UnsupportedMediaType
from app.models import ClaimAttachment, ClaimStatus
from app.scope import Actor
from app.services import audit, claims, files

ACCEPTED = sorted(files.DOCUMENTS)


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    title = "No such attachment"


class EvidenceFrozen(Conflict):
    code = "evidence_frozen"
    title = "The claim's evidence is frozen"


class NotEvidence(UnsupportedMediaType):
    code = "unsupported_attachment"
    title = "Attachments are images (PNG, JPEG, WebP) or PDF"


def path_of(attachment: ClaimAttachment) -> Path:
    return files.path_of(attachment.sha256)


async def add(
    session: AsyncSession,
    *,
    actor: Actor,
    claim_id: int,
    filename: str,
    declared_type: str | None,
    content: bytes,
) -> ClaimAttachment:
    claim = await claims.load(session, actor, claim_id, for_update=True)
    claims.ensure_filer_side(actor, claim)
    if claim.status not in (ClaimStatus.draft.value, ClaimStatus.submitted.value):
        raise EvidenceFrozen(f"The claim is {claim.status}; its evidence is frozen.")
    kept = await files.keep(
        filename=filename,
        declared_type=declared_type,
        content=content,
        accepted=files.DOCUMENTS,
        refusal=NotEvidence,
    )
    assert claim.id is not None
    attachment = ClaimAttachment(
        claim_id=claim.id, filename=kept.filename, content_type=kept.content_type,
        size=kept.size, sha256=kept.sha256, uploaded_by=actor.id,
    )  # fmt: skip
    session.add(attachment)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="claim.attachment",
        resource_type="claim",
        resource_id=claim.id,
        region_code=claim.region_code,
        after={"attachment_id": attachment.id, "sha256": kept.sha256, "size": kept.size},
    )
    await commit(session, result=attachment)
    return attachment


async def get_all(session: AsyncSession, *, actor: Actor, claim_id: int) -> list[ClaimAttachment]:
    await claims.load(session, actor, claim_id)
    found = await session.scalars(
        select(ClaimAttachment).where(col(ClaimAttachment.claim_id) == claim_id)
        .order_by(col(ClaimAttachment.id))
    )  # fmt: skip
    return list(found)


async def get(
    session: AsyncSession, *, actor: Actor, claim_id: int, attachment_id: int
) -> ClaimAttachment:
    """An attachment of a claim the actor may see (404 otherwise)."""
    await claims.load(session, actor, claim_id)
    attachment = await session.scalar(
        select(ClaimAttachment).where(col(ClaimAttachment.id) == attachment_id,
                                      col(ClaimAttachment.claim_id) == claim_id)
    )  # fmt: skip
    if attachment is None or not files.kept(attachment.sha256):
        raise AttachmentNotFound(f"There is no attachment {attachment_id} of claim {claim_id}.")
    return attachment
