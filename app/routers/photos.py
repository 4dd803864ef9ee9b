from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response, status
from fastapi.responses import FileResponse

from app.core.config import get_settings
from app.deps import ReaderUser, SessionDep, StaffUser, audited_read
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    responses,
)
from app.idempotency import Idempotent
from app.pagination import PageDep, SyncPage, UpdatedSince, parse_updated_since
from app.schemas.common import IdPath
from app.schemas.photos import PhotoRead, PhotoUpload
from app.services import files, photos
from app.services.photos import Owner
from app.uploads import download, download_responses, read_limited
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, tags=["photos"])
_READ = (Unauthorized, Forbidden, NotFound)
_UPLOAD = responses(*_READ, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable)
_LIST = responses(*_READ, Unprocessable)
UploadForm = Annotated[PhotoUpload, Form(media_type="multipart/form-data")]


async def _add(
    session: SessionDep, actor: StaffUser, owner: Owner, owner_id: int, form: PhotoUpload
) -> PhotoRead:
    content = await read_limited(form.file, max_bytes=get_settings().attachment_max_bytes)
    return await photos.add(
        session,
        actor=actor,
        owner=owner,
        owner_id=owner_id,
        filename=form.file.filename or "photo",
        declared_type=form.file.content_type,
        content=content,
        taken_at=form.taken_at,
        caption=form.caption,
    )


@router.post(
    "/visits/{visit_id}/photos",
    operation_id="uploadVisitPhoto",
    response_model=PhotoRead,
    status_code=status.HTTP_201_CREATED,
    responses=_UPLOAD,
)
async def upload_visit_photo(
    visit_id: IdPath, form: UploadForm, session: SessionDep, actor: StaffUser, _: Idempotent
) -> PhotoRead:
    """Keep a photo taken at a visit in your scope (caseworkers, admins): a PNG, JPEG or WebP
    image — checked by its content, not its name — within the size limit, stored with its
    SHA-256. A phone uploads what it took offline later, with an `Idempotency-Key`."""
    return await _add(session, actor, Owner.visit, visit_id, form)


@router.post(
    "/households/{household_id}/photos",
    operation_id="uploadHouseholdPhoto",
    response_model=PhotoRead,
    status_code=status.HTTP_201_CREATED,
    responses=_UPLOAD,
)
async def upload_household_photo(
    household_id: IdPath, form: UploadForm, session: SessionDep, actor: StaffUser, _: Idempotent
) -> PhotoRead:
    """Keep a photo or a document of a household in your scope: a PNG, JPEG or WebP image, or
    a PDF (a scanned 户口本 page or certificate), checked by its content; as for a visit."""
    return await _add(session, actor, Owner.household, household_id, form)


@router.post(
    "/workers/{worker_id}/photos",
    operation_id="uploadWorkerPhoto",
    response_model=PhotoRead,
    status_code=status.HTTP_201_CREATED,
    responses=_UPLOAD,
)
async def upload_worker_photo(
    worker_id: IdPath, form: UploadForm, session: SessionDep, actor: StaffUser, _: Idempotent
) -> PhotoRead:
    """Keep a photo or a document of a worker in your scope: a PNG, JPEG or WebP image, or a
    PDF (a scanned certificate or signed consent), checked by its content; as for a visit."""
    return await _add(session, actor, Owner.worker, worker_id, form)


@router.get(
    "/visits/{visit_id}/photos",
    operation_id="listVisitPhotos",
    response_model=SyncPage[PhotoRead],
    responses=_LIST,
)
async def list_visit_photos(
    visit_id: IdPath, session: SessionDep, actor: ReaderUser, page: PageDep
) -> SyncPage[PhotoRead]:
    """The photos of a visit, newest first (their records; the bytes by `downloadPhoto`)."""
    return await photos.get_all(
        session, actor=actor, params=page, owner=Owner.visit, owner_id=visit_id
    )


@router.get(
    "/households/{household_id}/photos",
    operation_id="listHouseholdPhotos",
    response_model=SyncPage[PhotoRead],
    responses=_LIST,
)
async def list_household_photos(
    household_id: IdPath, session: SessionDep, actor: ReaderUser, page: PageDep
) -> SyncPage[PhotoRead]:
    """The photos and documents kept on a household, newest first."""
    return await photos.get_all(
        session, actor=actor, params=page, owner=Owner.household, owner_id=household_id
    )


@router.get(
    "/workers/{worker_id}/photos",
    operation_id="listWorkerPhotos",
    response_model=SyncPage[PhotoRead],
    responses=_LIST,
)
async def list_worker_photos(
    worker_id: IdPath, session: SessionDep, actor: ReaderUser, page: PageDep
) -> SyncPage[PhotoRead]:
    """The photos and documents kept on a worker, newest first."""
    return await photos.get_all(
        session, actor=actor, params=page, owner=Owner.worker, owner_id=worker_id
    )


@router.get(
    "/photos", operation_id="listPhotos", response_model=SyncPage[PhotoRead], responses=_LIST
)
async def list_photos(
    session: SessionDep, actor: ReaderUser, page: PageDep, updated_since: UpdatedSince = None
) -> SyncPage[PhotoRead]:
    """Photos in your scope, newest first; with `updated_since`, every photo kept or removed
    since your last sync (records only: fetch each new photo's bytes by `downloadPhoto`)."""
    since = parse_updated_since(updated_since) if updated_since else None
    return await photos.get_all(session, actor=actor, params=page, since=since)


@router.get(
    "/photos/{photo_id}/content",
    operation_id="downloadPhoto",
    response_class=FileResponse,
    responses={**download_responses(files.DOCUMENTS), **responses(*_READ)},
)
@audited_read
async def download_photo(photo_id: IdPath, session: SessionDep, actor: ReaderUser) -> FileResponse:
    """A photo's bytes, as a download under its kept name (personal data: the read is
    audited on the visit, household or worker it belongs to)."""
    photo = await photos.read(session, actor=actor, photo_id=photo_id)
    return download(
        files.path_of(photo.sha256),
        media_type=photo.content_type,
        filename=photo.filename,
        sha256=photo.sha256,
    )


@router.delete(
    "/photos/{photo_id}",
    operation_id="deletePhoto",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*_READ),
)
async def delete_photo(photo_id: IdPath, session: SessionDep, actor: StaffUser) -> Response:
    """Remove a photo (its uploader, or an admin); phones receive a tombstone at their next
    sync."""
    await photos.delete(session, actor=actor, photo_id=photo_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
