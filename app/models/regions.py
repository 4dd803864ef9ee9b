"""The region tree, keyed by official administrative-division codes."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import enum_check


class RegionLevel(StrEnum):
    province = "province"
    city = "city"
    district = "district"
    township = "township"
    village = "village"


class Region(SQLModel, table=True):
    __tablename__ = "regions"
    __table_args__ = (
        enum_check("level", RegionLevel),
        # Subtree queries are `path LIKE 'prefix%'`.
        sa.Index("ix_regions_path_pattern", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100)
    level: str = Field(sa_type=sa.String(16))
    parent_code: str | None = Field(
        default=None, foreign_key="regions.code", index=True, max_length=12
    )
    # Materialised path of codes, root first ("340406/340406107/"): a subtree is a prefix match.
    path: str = Field(max_length=200, unique=True)
