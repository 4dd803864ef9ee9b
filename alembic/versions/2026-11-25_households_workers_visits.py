"""Caseworker core: households, workers (trigram name search on PostgreSQL) and visits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "households",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "change_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("household_number", sa.String(length=30), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("poverty_status", sa.String(length=16), nullable=False),
        sa.Column(
            "poverty_causes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "poverty_status IN ('in_poverty', 'lifted', 'monitored')",
            name=op.f("ck_households_poverty_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_households_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("household_number", name=op.f("uq_households_household_number")),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_households_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index("ix_households_region_code_id", ["region_code", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_households_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "workers",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "change_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("full_name", sa.String(length=50), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("id_suffix", sa.String(length=4), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("disability_level", sa.String(length=16), nullable=False),
        sa.Column("education", sa.String(length=24), nullable=True),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "training_wishes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "job_wishes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("work_location_wish", sa.String(length=16), nullable=True),
        sa.Column("employment_status", sa.String(length=16), nullable=False),
        sa.Column("able_to_work", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "disability_level IN ('none', 'level_1', 'level_2', 'level_3', 'level_4')",
            name=op.f("ck_workers_disability_level_allowed"),
        ),
        sa.CheckConstraint(
            "education IN ('none', 'primary', 'junior_secondary', 'senior_secondary', 'vocational', 'college', 'bachelor_or_above')",
            name=op.f("ck_workers_education_allowed"),
        ),
        sa.CheckConstraint(
            "employment_status IN ('unemployed', 'employed', 'self_employed', 'assistance_post', 'in_training', 'unable_to_work')",
            name=op.f("ck_workers_employment_status_allowed"),
        ),
        sa.CheckConstraint("sex IN ('male', 'female')", name=op.f("ck_workers_sex_allowed")),
        sa.CheckConstraint(
            "work_location_wish IN ('local', 'in_county', 'in_province', 'out_of_province')",
            name=op.f("ck_workers_work_location_wish_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_workers_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_workers_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("id_number", name=op.f("uq_workers_id_number")),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workers_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(
            "ix_workers_full_name_prefix",
            ["full_name"],
            unique=False,
            postgresql_ops={"full_name": "varchar_pattern_ops"},
        )
        batch_op.create_index(
            "ix_workers_full_name_trgm",
            ["full_name"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"full_name": "gin_trgm_ops"},
        )
        batch_op.create_index(batch_op.f("ix_workers_household_id"), ["household_id"], unique=False)
        batch_op.create_index("ix_workers_id_suffix", ["id_suffix", "id"], unique=False)
        batch_op.create_index(
            "ix_workers_job_wishes", ["job_wishes"], unique=False, postgresql_using="gin"
        )
        batch_op.create_index("ix_workers_region_code_id", ["region_code", "id"], unique=False)
        batch_op.create_index(
            "ix_workers_region_status_id", ["region_code", "employment_status", "id"], unique=False
        )
        batch_op.create_index("ix_workers_skills", ["skills"], unique=False, postgresql_using="gin")
        batch_op.create_index(
            "ix_workers_training_wishes", ["training_wishes"], unique=False, postgresql_using="gin"
        )
        batch_op.create_index(batch_op.f("ix_workers_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "visits",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "change_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column(
            "caseworker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("notes", sa.String(length=4000), nullable=True),
        sa.Column("status_changes", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('survey', 'follow_up', 'policy_briefing', 'training_mobilisation')",
            name=op.f("ck_visits_kind_allowed"),
        ),
        sa.CheckConstraint(
            "(worker_id IS NOT NULL) OR (household_id IS NOT NULL)",
            name=op.f("ck_visits_has_subject"),
        ),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name=op.f("ck_visits_latitude")
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)",
            name=op.f("ck_visits_longitude"),
        ),
        sa.ForeignKeyConstraint(
            ["caseworker_id"], ["users.id"], name=op.f("fk_visits_caseworker_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_visits_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_visits_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_visits_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visits_caseworker_id"), ["caseworker_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_visits_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(
            "ix_visits_household_id_visited_at", ["household_id", "visited_at"], unique=False
        )
        batch_op.create_index("ix_visits_region_code_id", ["region_code", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(
            "ix_visits_worker_id_visited_at", ["worker_id", "visited_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_worker_id_visited_at")
        batch_op.drop_index(batch_op.f("ix_visits_updated_at"))
        batch_op.drop_index("ix_visits_region_code_id")
        batch_op.drop_index("ix_visits_household_id_visited_at")
        batch_op.drop_index(batch_op.f("ix_visits_change_seq"))
        batch_op.drop_index(batch_op.f("ix_visits_caseworker_id"))

    op.drop_table("visits")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_updated_at"))
        batch_op.drop_index("ix_workers_training_wishes", postgresql_using="gin")
        batch_op.drop_index("ix_workers_skills", postgresql_using="gin")
        batch_op.drop_index("ix_workers_region_status_id")
        batch_op.drop_index("ix_workers_region_code_id")
        batch_op.drop_index("ix_workers_job_wishes", postgresql_using="gin")
        batch_op.drop_index("ix_workers_id_suffix")
        batch_op.drop_index(batch_op.f("ix_workers_household_id"))
        batch_op.drop_index(
            "ix_workers_full_name_trgm",
            postgresql_using="gin",
            postgresql_ops={"full_name": "gin_trgm_ops"},
        )
        batch_op.drop_index(
            "ix_workers_full_name_prefix", postgresql_ops={"full_name": "varchar_pattern_ops"}
        )
        batch_op.drop_index(batch_op.f("ix_workers_change_seq"))

    op.drop_table("workers")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_updated_at"))
        batch_op.drop_index("ix_households_region_code_id")
        batch_op.drop_index(batch_op.f("ix_households_change_seq"))

    op.drop_table("households")
