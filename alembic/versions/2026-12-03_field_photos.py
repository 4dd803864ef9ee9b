"""Photos on visits, households and workers: attachments kept like claim evidence.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("change_seq", _ID, nullable=True),
        sa.Column("id", _ID, nullable=False),
        sa.Column("visit_id", _ID, nullable=True),
        sa.Column("household_id", _ID, nullable=True),
        sa.Column("worker_id", _ID, nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caption", sa.String(length=500), nullable=True),
        sa.Column("uploaded_by", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN visit_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN household_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN worker_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_photos_one_owner"),
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_photos_size_positive")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_photos_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_photos_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_photos_uploaded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_photos_visit_id_visits")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_photos_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_photos_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index("ix_photos_visit_id_id", ["visit_id", "id"], unique=False)
        batch_op.create_index("ix_photos_household_id_id", ["household_id", "id"], unique=False)
        batch_op.create_index("ix_photos_worker_id_id", ["worker_id", "id"], unique=False)
        batch_op.create_index("ix_photos_region_code_id", ["region_code", "id"], unique=False)
        batch_op.create_index(
            "ix_photos_region_change_seq", ["region_code", "change_seq"], unique=False
        )


def downgrade() -> None:
    op.drop_table("photos")
