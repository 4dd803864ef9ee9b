"""Indicators: yearly targets per region and employment service stations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_stations",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_service_stations_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_stations")),
    )
    with op.batch_alter_table("service_stations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_stations_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_stations_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "targets",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "metric IN ('employment_assistance', 'training')",
            name=op.f("ck_targets_metric_allowed"),
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_targets_value")),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_targets_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
        sa.UniqueConstraint(
            "region_code", "year", "metric", name=op.f("uq_targets_region_code_year_metric")
        ),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_targets_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_targets_updated_at"))

    op.drop_table("targets")
    with op.batch_alter_table("service_stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_stations_updated_at"))
        batch_op.drop_index(batch_op.f("ix_service_stations_region_code"))

    op.drop_table("service_stations")
