"""Skills training: courses, sessions, enrolments (one active per worker) and attendance.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_courses",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('pastry', 'childcare', 'housekeeping', 'sewing', 'cooking', 'elderly_care', 'electrician', 'welding', 'construction', 'agriculture', 'e_commerce', 'driving', 'beauty', 'handicraft', 'other')",
            name=op.f("ck_training_courses_type_allowed"),
        ),
        sa.CheckConstraint("hours > 0", name=op.f("ck_training_courses_hours_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_courses")),
    )
    with op.batch_alter_table("training_courses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_courses_type"), ["type"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_training_courses_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "training_sessions",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "course_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'running', 'finished', 'cancelled')",
            name=op.f("ck_training_sessions_status_allowed"),
        ),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_training_sessions_capacity_positive")),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_training_sessions_dates")),
        sa.CheckConstraint(
            "enrolled >= 0 AND enrolled <= capacity",
            name=op.f("ck_training_sessions_within_capacity"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_courses.id"],
            name=op.f("fk_training_sessions_course_id_training_courses"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_training_sessions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["township_code"],
            ["regions.code"],
            name=op.f("fk_training_sessions_township_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_sessions_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            "ix_training_sessions_township_start", ["township_code", "start_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_sessions_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "enrolments",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "change_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("course_type", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("previous_status", sa.String(length=16), nullable=False),
        sa.Column("certificate_number", sa.String(length=50), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("dropped_on", sa.Date(), nullable=True),
        sa.Column("drop_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "enrolled_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('enrolled', 'completed', 'dropped')",
            name=op.f("ck_enrolments_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by"], ["users.id"], name=op.f("fk_enrolments_enrolled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_enrolments_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_enrolments_session_id_training_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_enrolments_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint(
            "session_id",
            "certificate_number",
            name=op.f("uq_enrolments_session_id_certificate_number"),
        ),
        sa.UniqueConstraint(
            "session_id", "worker_id", name=op.f("uq_enrolments_session_id_worker_id")
        ),
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolments_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(
            "ix_enrolments_region_change_seq", ["region_code", "change_seq"], unique=False
        )
        batch_op.create_index("ix_enrolments_region_code_id", ["region_code", "id"], unique=False)
        batch_op.create_index(
            "ix_enrolments_status_completed_on", ["status", "completed_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enrolments_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrolments_worker_id"), ["worker_id"], unique=False)
        batch_op.create_index(
            "uq_enrolments_one_active_per_worker",
            ["worker_id"],
            unique=True,
            postgresql_where=sa.text("status = 'enrolled'"),
            sqlite_where=sa.text("status = 'enrolled'"),
        )

    op.create_table(
        "attendance",
        sa.Column(
            "enrolment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "recorded_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolments.id"], name=op.f("fk_attendance_enrolment_id_enrolments")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_attendance_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("enrolment_id", "day", name=op.f("pk_attendance")),
    )


def downgrade() -> None:
    op.drop_table("attendance")
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_enrolments_one_active_per_worker",
            postgresql_where=sa.text("status = 'enrolled'"),
            sqlite_where=sa.text("status = 'enrolled'"),
        )
        batch_op.drop_index(batch_op.f("ix_enrolments_worker_id"))
        batch_op.drop_index(batch_op.f("ix_enrolments_updated_at"))
        batch_op.drop_index("ix_enrolments_status_completed_on")
        batch_op.drop_index("ix_enrolments_region_code_id")
        batch_op.drop_index("ix_enrolments_region_change_seq")
        batch_op.drop_index(batch_op.f("ix_enrolments_change_seq"))

    op.drop_table("enrolments")
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_sessions_updated_at"))
        batch_op.drop_index("ix_training_sessions_township_start")
        batch_op.drop_index(batch_op.f("ix_training_sessions_course_id"))

    op.drop_table("training_sessions")
    with op.batch_alter_table("training_courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_courses_updated_at"))
        batch_op.drop_index(batch_op.f("ix_training_courses_type"))

    op.drop_table("training_courses")
