"""The audit chain keyed and anchored: the key that sealed each entry, signed checkpoints.

Entries gain ``kid``, the audit key whose HMAC is their hash. A chain written before this
revision has none: `jobpath migrate` verifies it once and seals it with the active key (see
app.services.audit.legacy). On PostgreSQL the append-only trigger lets exactly that change
through — an unkeyed entry becoming keyed, its recorded content untouched — and refuses every
other UPDATE or DELETE as before. Checkpoints are append-only too.

Downgrading drops the column and the table; entries sealed with a key then fail the older,
unkeyed verify (a key cannot be taken back out of a hash).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONTENT = (
    "id, at, actor_id, actor_role, action, resource_type, resource_id, region_code, "
    "request_id, changes::text"
)
_NEW = ", ".join(f"NEW.{c.strip()}" for c in _CONTENT.split(","))
_OLD = ", ".join(f"OLD.{c.strip()}" for c in _CONTENT.split(","))

ENTRIES_SEALABLE = f"""CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.kid IS NULL AND NEW.kid IS NOT NULL
           AND ({_NEW}) IS NOT DISTINCT FROM ({_OLD}) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_entries is append-only';
    END $$"""

ENTRIES_APPEND_ONLY = """CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_entries is append-only';
    END $$"""

CHECKPOINTS_APPEND_ONLY = (
    """CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_checkpoints is append-only';
    END $$""",
    """CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE
    ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()""",
)


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kid", sa.String(length=32), nullable=True))
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column(
            "last_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_checkpoints_entries"), ["entries"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ENTRIES_SEALABLE)
        for statement in CHECKPOINTS_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ENTRIES_APPEND_ONLY)
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_checkpoints_entries"))
    op.drop_table("audit_checkpoints")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoints_append_only()")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("kid")
