"""Employer side: vacancies, referrals, employments with their follow-ups, recruitment events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recruitment_events",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("campaign", sa.String(length=20), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "campaign IN ('assistance_month', 'spring_breeze', 'job_fair', 'park_recruitment')",
            name=op.f("ck_recruitment_events_campaign_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_recruitment_events_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_recruitment_events_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recruitment_events")),
    )
    with op.batch_alter_table("recruitment_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recruitment_events_region_code_date", ["region_code", "date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recruitment_events_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "vacancies",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "change_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "employer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("job_type", sa.String(length=24), nullable=False),
        sa.Column(
            "required_skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=4000), nullable=True),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column("filled", sa.Integer(), nullable=False),
        sa.Column("wage_min_fen", sa.BigInteger(), nullable=False),
        sa.Column("wage_max_fen", sa.BigInteger(), nullable=True),
        sa.Column("work_region_code", sa.String(length=12), nullable=False),
        sa.Column("housing_offered", sa.Boolean(), nullable=False),
        sa.Column("disability_friendly", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column(
            "posted_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "job_type IN ('manufacturing', 'garment', 'food_processing', 'construction', 'catering', 'housekeeping', 'childcare', 'elderly_care', 'cleaning', 'security', 'logistics', 'retail', 'agriculture', 'e_commerce', 'driving', 'public_welfare', 'other')",
            name=op.f("ck_vacancies_job_type_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'closed', 'filled')", name=op.f("ck_vacancies_status_allowed")
        ),
        sa.CheckConstraint(
            "filled >= 0 AND filled <= openings", name=op.f("ck_vacancies_filled_within_openings")
        ),
        sa.CheckConstraint("openings >= 1", name=op.f("ck_vacancies_openings_positive")),
        sa.CheckConstraint(
            "wage_min_fen >= 0 AND (wage_max_fen IS NULL OR wage_max_fen >= wage_min_fen)",
            name=op.f("ck_vacancies_wage_range"),
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_vacancies_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["posted_by"], ["users.id"], name=op.f("fk_vacancies_posted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["work_region_code"],
            ["regions.code"],
            name=op.f("fk_vacancies_work_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancies")),
    )
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vacancies_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index("ix_vacancies_employer_id_id", ["employer_id", "id"], unique=False)
        batch_op.create_index(
            "ix_vacancies_required_skills",
            ["required_skills"],
            unique=False,
            postgresql_using="gin",
        )
        batch_op.create_index(
            "ix_vacancies_status_job_type", ["status", "job_type", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vacancies_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index("ix_vacancies_work_region_code", ["work_region_code"], unique=False)

    op.create_table(
        "event_attendees",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["recruitment_events.id"],
            name=op.f("fk_event_attendees_event_id_recruitment_events"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_event_attendees_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_event_attendees_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("event_id", "worker_id", name=op.f("pk_event_attendees")),
    )
    op.create_table(
        "event_employers",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "employer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_event_employers_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["recruitment_events.id"],
            name=op.f("fk_event_employers_event_id_recruitment_events"),
        ),
        sa.PrimaryKeyConstraint("event_id", "employer_id", name=op.f("pk_event_employers")),
    )
    op.create_table(
        "event_vacancies",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "vacancy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["recruitment_events.id"],
            name=op.f("fk_event_vacancies_event_id_recruitment_events"),
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"], ["vacancies.id"], name=op.f("fk_event_vacancies_vacancy_id_vacancies")
        ),
        sa.PrimaryKeyConstraint("event_id", "vacancy_id", name=op.f("pk_event_vacancies")),
    )
    op.create_table(
        "referrals",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "change_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "vacancy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column(
            "employer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "caseworker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "employment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('referred', 'interviewed', 'hired', 'declined', 'withdrawn')",
            name=op.f("ck_referrals_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["caseworker_id"], ["users.id"], name=op.f("fk_referrals_caseworker_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_referrals_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["recruitment_events.id"],
            name=op.f("fk_referrals_event_id_recruitment_events"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_referrals_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"], ["vacancies.id"], name=op.f("fk_referrals_vacancy_id_vacancies")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_referrals_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint(
            "worker_id", "vacancy_id", name=op.f("uq_referrals_worker_id_vacancy_id")
        ),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(
            "ix_referrals_employer_change_seq", ["employer_id", "change_seq"], unique=False
        )
        batch_op.create_index("ix_referrals_employer_id_id", ["employer_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            "ix_referrals_region_change_seq", ["region_code", "change_seq"], unique=False
        )
        batch_op.create_index("ix_referrals_region_code_id", ["region_code", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index("ix_referrals_vacancy_id_id", ["vacancy_id", "id"], unique=False)

    op.create_table(
        "employments",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "change_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "employer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "vacancy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "referral_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("monthly_wage_fen", sa.BigInteger(), nullable=True),
        sa.Column("work_region_code", sa.String(length=12), nullable=True),
        sa.Column("work_place", sa.String(length=200), nullable=True),
        sa.Column("organised_export", sa.Boolean(), nullable=False),
        sa.Column("confirmed_by_employer", sa.Boolean(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "recorded_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_reason IN ('resigned', 'dismissed', 'contract_ended', 'business_closed', 'illness', 'moved_away', 'other')",
            name=op.f("ck_employments_end_reason_allowed"),
        ),
        sa.CheckConstraint(
            "kind IN ('job', 'workshop', 'assistance_post', 'self_employed', 'migrant')",
            name=op.f("ck_employments_kind_allowed"),
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_employments_dates")
        ),
        sa.CheckConstraint(
            "monthly_wage_fen IS NULL OR monthly_wage_fen >= 0", name=op.f("ck_employments_wage")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_employments_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_employments_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_employments_referral_id_referrals")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_employments_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"], ["vacancies.id"], name=op.f("fk_employments_vacancy_id_vacancies")
        ),
        sa.ForeignKeyConstraint(
            ["work_region_code"],
            ["regions.code"],
            name=op.f("fk_employments_work_region_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_employments_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employments")),
    )
    with op.batch_alter_table("employments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_employments_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(
            "ix_employments_employer_change_seq", ["employer_id", "change_seq"], unique=False
        )
        batch_op.create_index("ix_employments_employer_id_id", ["employer_id", "id"], unique=False)
        batch_op.create_index(
            "ix_employments_region_change_seq", ["region_code", "change_seq"], unique=False
        )
        batch_op.create_index("ix_employments_region_code_id", ["region_code", "id"], unique=False)
        batch_op.create_index("ix_employments_start_date", ["start_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_employments_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(
            "ix_employments_worker_id_start_date", ["worker_id", "start_date"], unique=False
        )

    op.create_table(
        "follow_ups",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "change_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "employment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("still_employed", sa.Boolean(), nullable=True),
        sa.Column("monthly_wage_fen", sa.BigInteger(), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "checked_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('due', 'done', 'cancelled')", name=op.f("ck_follow_ups_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["checked_by"], ["users.id"], name=op.f("fk_follow_ups_checked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["employment_id"],
            ["employments.id"],
            name=op.f("fk_follow_ups_employment_id_employments"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_follow_ups_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_follow_ups_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint(
            "employment_id", "months", name=op.f("uq_follow_ups_employment_id_months")
        ),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_ups_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(
            "ix_follow_ups_region_status_due", ["region_code", "status", "due_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_follow_ups_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_ups_worker_id"), ["worker_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_ups_worker_id"))
        batch_op.drop_index(batch_op.f("ix_follow_ups_updated_at"))
        batch_op.drop_index("ix_follow_ups_region_status_due")
        batch_op.drop_index(batch_op.f("ix_follow_ups_change_seq"))

    op.drop_table("follow_ups")
    with op.batch_alter_table("employments", schema=None) as batch_op:
        batch_op.drop_index("ix_employments_worker_id_start_date")
        batch_op.drop_index(batch_op.f("ix_employments_updated_at"))
        batch_op.drop_index("ix_employments_start_date")
        batch_op.drop_index("ix_employments_region_code_id")
        batch_op.drop_index("ix_employments_region_change_seq")
        batch_op.drop_index("ix_employments_employer_id_id")
        batch_op.drop_index("ix_employments_employer_change_seq")
        batch_op.drop_index(batch_op.f("ix_employments_change_seq"))

    op.drop_table("employments")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_vacancy_id_id")
        batch_op.drop_index(batch_op.f("ix_referrals_updated_at"))
        batch_op.drop_index("ix_referrals_region_code_id")
        batch_op.drop_index("ix_referrals_region_change_seq")
        batch_op.drop_index(batch_op.f("ix_referrals_event_id"))
        batch_op.drop_index("ix_referrals_employer_id_id")
        batch_op.drop_index("ix_referrals_employer_change_seq")
        batch_op.drop_index(batch_op.f("ix_referrals_change_seq"))

    op.drop_table("referrals")
    op.drop_table("event_vacancies")
    op.drop_table("event_employers")
    op.drop_table("event_attendees")
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.drop_index("ix_vacancies_work_region_code")
        batch_op.drop_index(batch_op.f("ix_vacancies_updated_at"))
        batch_op.drop_index("ix_vacancies_status_job_type")
        batch_op.drop_index("ix_vacancies_required_skills", postgresql_using="gin")
        batch_op.drop_index("ix_vacancies_employer_id_id")
        batch_op.drop_index(batch_op.f("ix_vacancies_change_seq"))

    op.drop_table("vacancies")
    with op.batch_alter_table("recruitment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recruitment_events_updated_at"))
        batch_op.drop_index("ix_recruitment_events_region_code_date")

    op.drop_table("recruitment_events")
