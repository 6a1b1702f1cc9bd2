"""detection runs (platform-mode watermark)

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "detection_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", lantian.db.base.TZDateTime(timezone=True), nullable=True),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("data_from", lantian.db.base.TZDateTime(timezone=True), nullable=True),
        sa.Column("data_to", lantian.db.base.TZDateTime(timezone=True), nullable=True),
        sa.Column("leads_found", sa.Integer(), nullable=False),
        sa.Column("leads_new", sa.Integer(), nullable=False),
        sa.Column("leads_extended", sa.Integer(), nullable=False),
        sa.Column("leads_closed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'failed', 'skipped')",
            name=op.f("ck_detection_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detection_runs")),
    )
    op.create_index(
        "ix_detection_runs_status_data_to",
        "detection_runs",
        ["status", "data_to"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_detection_runs_status_data_to", table_name="detection_runs")
    op.drop_table("detection_runs")
