"""Photos (and scanned documents) caseworkers take in the field, each kept on one visit,
household or worker; the bytes are kept like claim evidence (app/services/files.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import BigId, Syncable, UTCDateTime, created_at_field, updated_at_field

# Exactly one owner: written so that both databases read it the same way.
_ONE_OWNER = (
    "(CASE WHEN visit_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN household_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN worker_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class Photo(Syncable, table=True):
    __tablename__ = "photos"
    __table_args__ = (
        sa.CheckConstraint(_ONE_OWNER, name="one_owner"),
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.Index("ix_photos_visit_id_id", "visit_id", "id"),
        sa.Index("ix_photos_household_id_id", "household_id", "id"),
        sa.Index("ix_photos_worker_id_id", "worker_id", "id"),
        sa.Index("ix_photos_region_code_id", "region_code", "id"),
        sa.Index("ix_photos_region_change_seq", "region_code", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    visit_id: int | None = Field(default=None, foreign_key="visits.id", sa_type=BigId)
    household_id: int | None = Field(default=None, foreign_key="households.id", sa_type=BigId)
    worker_id: int | None = Field(default=None, foreign_key="workers.id", sa_type=BigId)
    # The owner's region when the photo was kept: what scopes who may see it.
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=50)
    size: int
    sha256: str = Field(max_length=64)
    # The phone's clock when the photo was taken (it may be uploaded days later).
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    caption: str | None = Field(default=None, max_length=500)
    uploaded_by: int = Field(foreign_key="users.id", sa_type=BigId)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
