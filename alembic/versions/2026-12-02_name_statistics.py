"""Finer planner statistics for worker names (PostgreSQL).

With the default sample, PostgreSQL guessed a common two-character name prefix (王伟) to
match five times the rows it does, and walked the primary key across a million workers
instead of taking the name index: 150 ms for a page that takes 17 ms. A larger sample of
names gives it the real selectivity. SQLite has no such setting.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_STATISTICS = 1000


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE workers ALTER COLUMN full_name SET STATISTICS {NAME_STATISTICS}")
        op.execute("ANALYZE workers (full_name)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE workers ALTER COLUMN full_name SET STATISTICS -1")
