"""supervision: inspector register (执法证号) and stored plan draws

Revision ID: 0014
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lantian.db.base

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspector_certificates",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cert_no", sa.String(length=32), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("updated_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_inspector_certificates_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_inspector_certificates")),
        sa.UniqueConstraint("cert_no", name=op.f("uq_inspector_certificates_cert_no")),
    )
    op.create_table(
        "plan_draws",
        sa.Column("draw_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction", sa.String(length=64), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("drawn_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("drawn_by", sa.Integer(), nullable=True),
        sa.Column(
            "inputs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["drawn_by"], ["users.user_id"], name=op.f("fk_plan_draws_drawn_by_users")
        ),
        sa.PrimaryKeyConstraint("draw_id", name=op.f("pk_plan_draws")),
    )
    op.create_index(op.f("ix_plan_draws_period"), "plan_draws", ["period"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_draws_period"), table_name="plan_draws")
    op.drop_table("plan_draws")
    op.drop_table("inspector_certificates")
