"""Sync for training sessions, recruitment events and claims: tombstones and change_seq.

Follow-ups were already syncable but their rows were never stamped: they get the region index
the other synced tables have, and every row still without a change sequence is stamped here.
Referrals keep when they were interviewed (an event's funnel counts a referral declined after
its interview as interviewed), taken for existing rows from the audit log.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → the audit resource_type of its rows
_NEW = {
    "training_sessions": "training_session",
    "recruitment_events": "recruitment_event",
    "claims": "claim",
}
# table → (its region column, the index of its changes by region)
_SCOPED_BY = {
    "training_sessions": ("township_code", "ix_training_sessions_township_change_seq"),
    "recruitment_events": ("region_code", "ix_recruitment_events_region_change_seq"),
    "claims": ("region_code", "ix_claims_region_change_seq"),
}


_AUDIT = sa.table(
    "audit_entries",
    sa.column("id"),
    sa.column("at"),
    sa.column("action"),
    sa.column("resource_type"),
    sa.column("resource_id"),
)


def _last_entry(id_column: sa.ColumnClause[object], resource_type: str) -> sa.ScalarSelect[object]:
    """The audit entry of the last change of the record ``id_column`` names, for each row."""
    return (
        sa.select(sa.func.max(_AUDIT.c.id))
        .where(
            _AUDIT.c.resource_type == resource_type,
            _AUDIT.c.resource_id == sa.cast(id_column, sa.String(64)),
        )
        .scalar_subquery()
    )


def _backfill(table: str, *resources: tuple[str, str]) -> None:
    """Stamp the rows without a change sequence with the audit entry of their last change
    (``resources``: which column names which audited record, in order of preference), else the
    newest entry of all: a phone's first pass then receives them."""
    rows = sa.table(table, sa.column("change_seq"), *(sa.column(c) for c, _ in resources))
    candidates = [_last_entry(rows.c[column], kind) for column, kind in resources]
    newest = sa.select(sa.func.max(_AUDIT.c.id)).scalar_subquery()
    op.execute(
        sa.update(rows)
        .where(rows.c.change_seq.is_(None))
        .values(change_seq=sa.func.coalesce(*candidates, newest, 1))
    )


def _interviews() -> None:
    referrals = sa.table("referrals", sa.column("id"), sa.column("interviewed_at"))
    first_interview = (
        sa.select(sa.func.min(_AUDIT.c.at))
        .where(
            _AUDIT.c.resource_type == "referral",
            _AUDIT.c.action == "referral.interviewed",
            _AUDIT.c.resource_id == sa.cast(referrals.c.id, sa.String(64)),
        )
        .scalar_subquery()
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interviewed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.update(referrals).values(interviewed_at=first_interview))


def upgrade() -> None:
    _interviews()
    for table, resource_type in _NEW.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(
                sa.Column(
                    "change_seq",
                    sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                    nullable=True,
                )
            )
        _backfill(table, ("id", resource_type))
        region, index = _SCOPED_BY[table]
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_change_seq", ["change_seq"], unique=False)
            batch_op.create_index(index, [region, "change_seq"], unique=False)
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claims_employer_change_seq", ["employer_id", "change_seq"], unique=False
        )

    _backfill("follow_ups", ("id", "follow_up"), ("employment_id", "employment"))
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follow_ups_region_change_seq", ["region_code", "change_seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_column("interviewed_at")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_region_change_seq")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_employer_change_seq")
    for table in reversed(list(_NEW)):
        _region, index = _SCOPED_BY[table]
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
            batch_op.drop_index(f"ix_{table}_change_seq")
            batch_op.drop_column("change_seq")
            batch_op.drop_column("deleted_at")
