"""Subsidy policies and claims: periods kept unique per worker and policy, reviews, evidence
attachments, auditors' findings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subsidy_policies",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("payee", sa.String(length=10), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("max_units", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("review_stages", sa.JSON(), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "payee IN ('employer', 'worker', 'provider')",
            name=op.f("ck_subsidy_policies_payee_allowed"),
        ),
        sa.CheckConstraint(
            "rule IN ('on_job_training', 'job_seeking_once', 'skills_training', 'assistance_post', 'workshop_absorption')",
            name=op.f("ck_subsidy_policies_rule_allowed"),
        ),
        sa.CheckConstraint(
            "unit IN ('once', 'per_month', 'per_day')",
            name=op.f("ck_subsidy_policies_unit_allowed"),
        ),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_subsidy_policies_amount")),
        sa.CheckConstraint("max_units >= 1", name=op.f("ck_subsidy_policies_max_units")),
        sa.CheckConstraint("notice_days >= 0", name=op.f("ck_subsidy_policies_notice_days")),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_subsidy_policies_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_policies")),
        sa.UniqueConstraint("code", name=op.f("uq_subsidy_policies_code")),
    )
    with op.batch_alter_table("subsidy_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subsidy_policies_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "claims",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("policy_code", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("payee", sa.String(length=10), nullable=False),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column(
            "employer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "employment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "enrolment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("unit_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("bank_account", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("notice_ends_on", sa.Date(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("payment_reference", sa.String(length=64), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'paid', 'rejected')",
            name=op.f("ck_claims_status_allowed"),
        ),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_claims_amount")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_claims_period")),
        sa.CheckConstraint("units >= 1", name=op.f("ck_claims_units")),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_claims_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["employment_id"], ["employments.id"], name=op.f("fk_claims_employment_id_employments")
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolments.id"], name=op.f("fk_claims_enrolment_id_enrolments")
        ),
        sa.ForeignKeyConstraint(["filed_by"], ["users.id"], name=op.f("fk_claims_filed_by_users")),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["subsidy_policies.id"],
            name=op.f("fk_claims_policy_id_subsidy_policies"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_claims_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_claims_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index("ix_claims_bank_account", ["bank_account"], unique=False)
        batch_op.create_index("ix_claims_employer_id_id", ["employer_id", "id"], unique=False)
        batch_op.create_index("ix_claims_policy_id_status", ["policy_id", "status"], unique=False)
        batch_op.create_index("ix_claims_region_code_id", ["region_code", "id"], unique=False)
        batch_op.create_index("ix_claims_status_id", ["status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index("ix_claims_worker_id", ["worker_id"], unique=False)

    op.create_table(
        "claim_attachments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "uploaded_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_attachments_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_claim_attachments_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_attachments")),
    )
    with op.batch_alter_table("claim_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_attachments_claim_id"), ["claim_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_claim_attachments_sha256"), ["sha256"], unique=False)

    op.create_table(
        "claim_findings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "auditor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["auditor_id"], ["users.id"], name=op.f("fk_claim_findings_auditor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_findings_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_findings")),
    )
    with op.batch_alter_table("claim_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_findings_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_periods",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("period_key", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_periods_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["subsidy_policies.id"],
            name=op.f("fk_claim_periods_policy_id_subsidy_policies"),
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_claim_periods_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_periods")),
        sa.UniqueConstraint(
            "worker_id",
            "policy_id",
            "period_key",
            name=op.f("uq_claim_periods_worker_id_policy_id_period_key"),
        ),
    )
    with op.batch_alter_table("claim_periods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_periods_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("stage_name", sa.String(length=40), nullable=False),
        sa.Column(
            "reviewer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_reviews_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_claim_reviews_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_reviews")),
    )
    with op.batch_alter_table("claim_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_reviews_claim_id"), ["claim_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("claim_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_reviews_claim_id"))

    op.drop_table("claim_reviews")
    with op.batch_alter_table("claim_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_periods_claim_id"))

    op.drop_table("claim_periods")
    with op.batch_alter_table("claim_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_findings_claim_id"))

    op.drop_table("claim_findings")
    with op.batch_alter_table("claim_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_attachments_sha256"))
        batch_op.drop_index(batch_op.f("ix_claim_attachments_claim_id"))

    op.drop_table("claim_attachments")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_worker_id")
        batch_op.drop_index(batch_op.f("ix_claims_updated_at"))
        batch_op.drop_index("ix_claims_status_id")
        batch_op.drop_index("ix_claims_region_code_id")
        batch_op.drop_index("ix_claims_policy_id_status")
        batch_op.drop_index("ix_claims_employer_id_id")
        batch_op.drop_index("ix_claims_bank_account")

    op.drop_table("claims")
    with op.batch_alter_table("subsidy_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_policies_updated_at"))

    op.drop_table("subsidy_policies")
