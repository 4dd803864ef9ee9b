"""History brought in: registration dates, poverty years, ability over time.

Workers gain ``registered_on`` (建档立卡: the day they entered the register; for the rows
already here, the programme's day of their creation, which is what the indicators counted
by until now) and ``able_changed_on``; households their poverty identification and lift-out
years; ``worker_ability_changes`` keeps each change of the willing-and-able judgement with the
day it took effect, so a past year is judged as it stood.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.core.config import get_settings

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    hours = int(get_settings().utc_offset_hours)
    # NOT NULL needs a default to add the column to existing rows; it is set right after.
    op.add_column(
        "workers",
        sa.Column("registered_on", sa.Date(), nullable=False, server_default="2000-01-01"),
    )
    op.add_column("workers", sa.Column("able_changed_on", sa.Date(), nullable=True))
    if postgres:
        op.execute(
            sa.text(
                "UPDATE workers SET registered_on = "
                "((created_at AT TIME ZONE 'UTC') + make_interval(hours => :hours))::date"
            ).bindparams(hours=hours)
        )
        op.alter_column("workers", "registered_on", server_default=None)
    else:
        op.execute(
            sa.text("UPDATE workers SET registered_on = date(created_at, :shift)").bindparams(
                shift=f"{hours:+d} hours"
            )
        )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identified_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lifted_year", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            "identified", "identified_year IS NULL OR identified_year BETWEEN 2000 AND 2100"
        )
        batch_op.create_check_constraint(
            "lifted",
            "lifted_year IS NULL OR (lifted_year BETWEEN 2000 AND 2100 AND "
            "(identified_year IS NULL OR lifted_year >= identified_year))",
        )
    op.create_table(
        "worker_ability_changes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("worker_id", BigId, nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("willing_and_able", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_worker_ability_changes_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_ability_changes")),
    )
    op.create_index(
        "ix_worker_ability_changes_worker_effective",
        "worker_ability_changes",
        ["worker_id", "effective_on", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_worker_ability_changes_worker_effective", "worker_ability_changes")
    op.drop_table("worker_ability_changes")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_constraint("lifted", type_="check")
        batch_op.drop_constraint("identified", type_="check")
        batch_op.drop_column("lifted_year")
        batch_op.drop_column("identified_year")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_column("able_changed_on")
        batch_op.drop_column("registered_on")
