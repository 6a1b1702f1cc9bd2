"""Periodic reports archive (archived_reports: kind, period, jurisdiction, SHA-256 of the
PDF and the workbook)

Revision ID: 0035
Revises: 0026
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lantian.db.base import TZDateTime

revision: str = "0035"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archived_reports",
        sa.Column("report_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("period_label", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("generated_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.Integer(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("xlsx_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_bytes", sa.Integer(), nullable=False),
        sa.Column("xlsx_bytes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('weekly', 'monthly', 'campaign')", name=op.f("ck_archived_reports_kind")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.campaign_id"],
            name=op.f("fk_archived_reports_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["generated_by"], ["users.user_id"], name=op.f("fk_archived_reports_generated_by_users")
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_archived_reports")),
    )
    op.create_index(op.f("ix_archived_reports_city"), "archived_reports", ["city"], unique=False)
    op.create_index(
        "ix_archived_reports_kind_start", "archived_reports", ["kind", "period_start"], unique=False
    )


def downgrade() -> None:
    op.drop_table("archived_reports")
