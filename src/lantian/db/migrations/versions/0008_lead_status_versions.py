"""lead status (withdrawn) and evidence versions of judged leads; run counters

``leads.status`` (``active`` | ``withdrawn``) with ``withdrawn_at`` and
``withdrawn_reason``; table ``lead_versions`` (evidence versions of frozen leads);
``detection_runs.changes_consumed`` and ``leads_withdrawn``.

Revision ID: 0008
Revises: 0007, 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lantian.db.base

revision: str = "0008"
down_revision: str | Sequence[str] | None = ("0007", "0003")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="active")
        )
        batch.add_column(
            sa.Column("withdrawn_at", lantian.db.base.TZDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
        batch.create_check_constraint(op.f("ck_leads_status"), "status IN ('active', 'withdrawn')")
    op.create_table(
        "lead_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("start", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("end", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_lead_versions_version")),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.lead_id"],
            name=op.f("fk_lead_versions_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_versions")),
        sa.UniqueConstraint("lead_id", "version", name=op.f("uq_lead_versions_lead_id")),
    )
    op.create_index(op.f("ix_lead_versions_lead_id"), "lead_versions", ["lead_id"], unique=False)
    with op.batch_alter_table("detection_runs", schema=None) as batch:
        batch.add_column(
            sa.Column("changes_consumed", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("leads_withdrawn", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("detection_runs", schema=None) as batch:
        batch.drop_column("leads_withdrawn")
        batch.drop_column("changes_consumed")
    op.drop_index(op.f("ix_lead_versions_lead_id"), table_name="lead_versions")
    op.drop_table("lead_versions")
    with op.batch_alter_table("leads", schema=None) as batch:
        batch.drop_constraint(op.f("ck_leads_status"), type_="check")
        batch.drop_column("withdrawn_reason")
        batch.drop_column("withdrawn_at")
        batch.drop_column("status")
