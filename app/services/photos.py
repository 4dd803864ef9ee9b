"""Photos caseworkers take in the field, kept on one visit, household or worker.

A phone takes them offline and uploads them when it has signal (with an Idempotency-Key, so a
lost answer is retried without a second photo); the bytes are checked and kept exactly as
claim evidence is (app/services/files.py). A visit keeps images only; a household or worker
also keeps scanned documents as PDF (a 户口本 page, a disability certificate, a signed consent
come off a scanner as PDF). A photo is scoped by its owner's region and is personal data:
every read of its bytes is audited on the owner. It is removed by its uploader or an admin as
a tombstone that syncing phones receive; the bytes stay (another record may share them).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Forbidden, NotFound, UnsupportedMediaType
from app.models import Photo, Visit
from app.models.base import utcnow
from app.pagination import PageParams, SyncPage, SyncPoint, paginate, paginate_changes
from app.schemas.photos import PhotoRead
from app.scope import Actor, scope_filter
from app.services import audit, date_bounds, files, households, workers


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    title = "No such photo"


class VisitNotFound(NotFound):
    code = "visit_not_found"
    title = "No such visit"


class NotAPhoto(UnsupportedMediaType):
    code = "unsupported_photo"
    title = "Photos are images (PNG, JPEG, WebP); a kept document may also be PDF"


class Owner(StrEnum):
    visit = "visit"
    household = "household"
    worker = "worker"


# What each owner keeps: field photos are images; documents on file may be scans.
ACCEPTED: dict[Owner, frozenset[str]] = {
    Owner.visit: files.IMAGES,
    Owner.household: files.DOCUMENTS,
    Owner.worker: files.DOCUMENTS,
}
_COLUMN = {
    Owner.visit: col(Photo.visit_id),
    Owner.household: col(Photo.household_id),
    Owner.worker: col(Photo.worker_id),
}


def _read(photo: Any) -> PhotoRead:
    data = {k: getattr(photo, k) for k in PhotoRead.model_fields if k != "deleted"}
    return PhotoRead.model_validate({**data, "deleted": photo.deleted_at is not None})


async def _visit(session: AsyncSession, actor: Actor, visit_id: int) -> Visit:
    visit = await session.scalar(
        select(Visit).where(
            col(Visit.id) == visit_id,
            col(Visit.deleted_at).is_(None),
            scope_filter(actor, region=col(Visit.region_code)),
        )
    )
    if visit is None:
        raise VisitNotFound(f"There is no visit {visit_id} in your scope.")
    return visit


async def owner_region(session: AsyncSession, *, actor: Actor, owner: Owner, owner_id: int) -> str:
    """The region of an owner the actor may see (its 404 otherwise)."""
    if owner is Owner.visit:
        return (await _visit(session, actor, owner_id)).region_code
    if owner is Owner.household:
        found = await households.get(session, actor=actor, household_id=owner_id)
        return found.region_code
    return (await workers.get(session, actor=actor, worker_id=owner_id)).region_code


async def add(
    session: AsyncSession,
    *,
    actor: Actor,
    owner: Owner,
    owner_id: int,
    filename: str,
    declared_type: str | None,
    content: bytes,
    taken_at: datetime | None = None,
    caption: str | None = None,
) -> PhotoRead:
    """Keep a photo on an owner in the actor's scope (audited; the owner's 404 otherwise)."""
    if taken_at is not None:
        date_bounds.photo_time(taken_at)
    region = await owner_region(session, actor=actor, owner=owner, owner_id=owner_id)
    kept = await files.keep(
        filename=filename,
        declared_type=declared_type,
        content=content,
        accepted=ACCEPTED[owner],
        refusal=NotAPhoto,
    )
    photo = Photo.model_validate(
        {
            f"{owner.value}_id": owner_id,
            "region_code": region,
            "filename": kept.filename,
            "content_type": kept.content_type,
            "size": kept.size,
            "sha256": kept.sha256,
            "taken_at": taken_at,
            "caption": caption,
            "uploaded_by": actor.id,
        }
    )
    session.add(photo)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="photo.create",
        resource_type="photo",
        resource_id=photo.id,
        region_code=region,
        after={
            f"{owner.value}_id": owner_id,
            "sha256": kept.sha256,
            "size": kept.size,
            "content_type": kept.content_type,
        },
        stamp=photo,
    )
    read = _read(photo)
    await commit(session, result=read)
    return read


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    params: PageParams,
    owner: Owner | None = None,
    owner_id: int | None = None,
    since: SyncPoint | None = None,
) -> SyncPage[PhotoRead]:
    """Photos in scope (of one owner if given), newest first; with ``since``, every change
    after it in commit order, tombstones included (metadata only: bytes are read one by one)."""
    stmt = select(Photo).where(scope_filter(actor, region=col(Photo.region_code)))
    if owner is not None and owner_id is not None:
        await owner_region(session, actor=actor, owner=owner, owner_id=owner_id)
        stmt = stmt.where(_COLUMN[owner] == owner_id)
    if since is not None:
        return await paginate_changes(
            session,
            stmt,
            seq=col(Photo.change_seq),
            updated_at=col(Photo.updated_at),
            since=since,
            params=params,
            row=_read,
        )
    stmt = stmt.where(col(Photo.deleted_at).is_(None))
    page = await paginate(
        session, stmt, keys=[col(Photo.id)], params=params, descending=True, row=_read
    )
    return SyncPage[PhotoRead](items=page.items, next_cursor=page.next_cursor)


async def get(
    session: AsyncSession, *, actor: Actor, photo_id: int, for_update: bool = False
) -> Photo:
    """A live photo the actor may see (404 otherwise)."""
    stmt = select(Photo).where(
        col(Photo.id) == photo_id,
        col(Photo.deleted_at).is_(None),
        scope_filter(actor, region=col(Photo.region_code)),
    )
    photo = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if photo is None:
        raise PhotoNotFound(f"There is no photo {photo_id} in your scope.")
    return photo


def _owner_of(photo: Photo) -> tuple[Owner, int]:
    for owner in Owner:
        owner_id = getattr(photo, f"{owner.value}_id")
        if owner_id is not None:
            return owner, owner_id
    raise AssertionError("a photo has exactly one owner (ck_photos_one_owner)")


async def read(session: AsyncSession, *, actor: Actor, photo_id: int) -> Photo:
    """A photo to send its bytes: the read is personal data of its owner, audited there."""
    photo = await get(session, actor=actor, photo_id=photo_id)
    if not files.kept(photo.sha256):
        raise PhotoNotFound(f"The file of photo {photo_id} is no longer kept.")
    owner, owner_id = _owner_of(photo)
    await audit.record(
        session,
        actor=actor,
        action=f"{owner.value}.read_photo",
        resource_type=owner.value,
        resource_id=owner_id,
        region_code=photo.region_code,
        note={"photo_id": photo.id},
    )
    await commit(session)
    return photo


async def delete(session: AsyncSession, *, actor: Actor, photo_id: int) -> None:
    """Tombstone a photo (its uploader, or an admin in scope)."""
    photo = await get(session, actor=actor, photo_id=photo_id, for_update=True)
    if photo.uploaded_by != actor.id and not actor.is_admin:
        raise Forbidden("Only the photo's uploader or an admin may remove it.")
    photo.deleted_at = utcnow()
    owner, owner_id = _owner_of(photo)
    await audit.record(
        session,
        actor=actor,
        action="photo.delete",
        resource_type="photo",
        resource_id=photo.id,
        region_code=photo.region_code,
        note={f"{owner.value}_id": owner_id},
        stamp=photo,
    )
    await commit(session)
