"""The caseworker's agenda: what it needs to stay cheap at a million labourers.

Workers gain ``last_visited_at`` (kept by the visit services from now on; filled here from
the visits recorded so far: the labourer's own, or their household's), and two indexes that
serve "not visited for N days" region by region: by the last visit, and — for labourers
never visited — by the registration day.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEVER_VISITED = "last_visited_at IS NULL"
# Both statements read the visits through their (worker_id | household_id, visited_at) indexes.
_FROM_OWN_VISITS = """
UPDATE workers SET last_visited_at = (
    SELECT max(v.visited_at) FROM visits v WHERE v.worker_id = workers.id
)
WHERE EXISTS (SELECT 1 FROM visits v WHERE v.worker_id = workers.id)
"""
_FROM_HOUSEHOLD_VISITS = """
UPDATE workers SET last_visited_at = (
    SELECT max(v.visited_at) FROM visits v
    WHERE v.household_id = workers.household_id AND v.worker_id IS NULL
)
WHERE EXISTS (
    SELECT 1 FROM visits v
    WHERE v.household_id = workers.household_id AND v.worker_id IS NULL
      AND (workers.last_visited_at IS NULL OR v.visited_at > workers.last_visited_at)
)
"""


def upgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_visited_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text(_FROM_OWN_VISITS))
    op.execute(sa.text(_FROM_HOUSEHOLD_VISITS))
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workers_region_last_visited", ["region_code", "last_visited_at"], unique=False
        )
        batch_op.create_index(
            "ix_workers_region_never_visited",
            ["region_code", "registered_on"],
            unique=False,
            postgresql_where=sa.text(_NEVER_VISITED),
            sqlite_where=sa.text(_NEVER_VISITED),
        )


def downgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_workers_region_never_visited",
            postgresql_where=sa.text(_NEVER_VISITED),
            sqlite_where=sa.text(_NEVER_VISITED),
        )
        batch_op.drop_index("ix_workers_region_last_visited")
        batch_op.drop_column("last_visited_at")
