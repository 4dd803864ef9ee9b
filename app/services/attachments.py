"""Evidence attachments of claims: images and PDF only, recognised by their content (never by
their name), within a size limit, kept on disk under their SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.core.db import commit
from app.errors import Conflict, NotFound, UnsupportedMediaType
from app.models import ClaimAttachment, ClaimStatus
from app.scope import Actor
from app.services import audit, claims
from app.uploads import safe_filename

# Magic numbers of what evidence may be: photos of contracts and certificates, scans.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"%PDF-", 0, "application/pdf"),
    (b"WEBP", 8, "image/webp"),
)
ACCEPTED = sorted({mime for _sig, _at, mime in _SIGNATURES})


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    title = "No such attachment"


class EvidenceFrozen(Conflict):
    code = "evidence_frozen"
    title = "The claim's evidence is frozen"


class NotEvidence(UnsupportedMediaType):
    code = "unsupported_attachment"
    title = "Attachments are images (PNG, JPEG, WebP) or PDF"


def sniff(content: bytes) -> str | None:
    for signature, offset, mime in _SIGNATURES:
        if content[offset : offset + len(signature)] == signature:
            if mime == "image/webp" and not content.startswith(b"RIFF"):
                continue
            return mime
    return None


def _store(content: bytes, digest: str) -> None:
    root = get_settings().attachments_path / digest[:2]
    root.mkdir(parents=True, exist_ok=True)
    target = root / digest
    if target.exists():
        return
    # Write then rename: a file is either whole or absent.
    fd, temp = tempfile.mkstemp(dir=root)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    os.replace(temp, target)


def path_of(attachment: ClaimAttachment) -> Path:
    return get_settings().attachments_path / attachment.sha256[:2] / attachment.sha256


async def add(
    session: AsyncSession,
    *,
    actor: Actor,
    claim_id: int,
    filename: str,
    declared_type: str | None,
    content: bytes,
) -> ClaimAttachment:
    name = safe_filename(filename)
    claim = await claims.load(session, actor, claim_id, for_update=True)
    claims.ensure_filer_side(actor, claim)
    if claim.status not in (ClaimStatus.draft.value, ClaimStatus.submitted.value):
        raise EvidenceFrozen(f"The claim is {claim.status}; its evidence is frozen.")
    mime = sniff(content)
    if mime is None:
        raise NotEvidence(f"The file is not one of {', '.join(ACCEPTED)} (checked by content).")
    if declared_type and declared_type != "application/octet-stream" and declared_type != mime:
        raise NotEvidence(f"The file says it is {declared_type} but its content is {mime}.")
    digest = hashlib.sha256(content).hexdigest()
    await anyio.to_thread.run_sync(_store, content, digest)
    assert claim.id is not None
    attachment = ClaimAttachment(
        claim_id=claim.id, filename=name,
        content_type=mime, size=len(content), sha256=digest, uploaded_by=actor.id,
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
        after={"attachment_id": attachment.id, "sha256": digest, "size": len(content)},
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
    if attachment is None or not path_of(attachment).exists():
        raise AttachmentNotFound(f"There is no attachment {attachment_id} of claim {claim_id}.")
    return attachment
