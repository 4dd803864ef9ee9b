"""Search and sync indexes: changes per region in commit order, subtree paths, and the name
prefix index carrying the region (scope checked without visiting the table).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(
            "ix_households_region_change_seq", ["region_code", "change_seq"], unique=False
        )

    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_regions_path_pattern",
            ["path"],
            unique=False,
            postgresql_ops={"path": "varchar_pattern_ops"},
        )

    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visits_region_change_seq", ["region_code", "change_seq"], unique=False
        )

    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workers_region_change_seq", ["region_code", "change_seq"], unique=False
        )
        batch_op.drop_index("ix_workers_full_name_prefix")
        batch_op.create_index(
            "ix_workers_full_name_prefix",
            ["full_name"],
            unique=False,
            postgresql_ops={"full_name": "varchar_pattern_ops"},
            postgresql_include=["region_code"],
        )


def downgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index("ix_workers_region_change_seq")
        batch_op.drop_index("ix_workers_full_name_prefix")
        batch_op.create_index(
            "ix_workers_full_name_prefix",
            ["full_name"],
            unique=False,
            postgresql_ops={"full_name": "varchar_pattern_ops"},
        )

    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_region_change_seq")

    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_regions_path_pattern", postgresql_ops={"path": "varchar_pattern_ops"}
        )

    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index("ix_households_region_change_seq")
