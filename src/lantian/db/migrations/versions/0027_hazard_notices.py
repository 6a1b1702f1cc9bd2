"""隐患提示函: hazard_notices (lead, reply deadline, follow-up), hazard_items, hazard_reply_files

Revision ID: 0027
Revises: 0023
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lantian.db.base import TZDateTime

revision: str = "0027"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hazard_notices",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.Column("reply_due", TZDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("replied_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("replied_by", sa.Integer(), nullable=True),
        sa.Column("followup_note", sa.Text(), nullable=True),
        sa.Column("followed_up_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("followed_up_by", sa.Integer(), nullable=True),
        sa.Column("escalated_case_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('issued', 'replied', 'closed', 'escalated')",
            name=op.f("ck_hazard_notices_status"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.notice_id"],
            name=op.f("fk_hazard_notices_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_hazard_notices_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.lead_id"], name=op.f("fk_hazard_notices_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["replied_by"], ["users.user_id"], name=op.f("fk_hazard_notices_replied_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["followed_up_by"],
            ["users.user_id"],
            name=op.f("fk_hazard_notices_followed_up_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["escalated_case_id"],
            ["cases.case_id"],
            name=op.f("fk_hazard_notices_escalated_case_id_cases"),
        ),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_hazard_notices")),
    )
    op.create_index(
        op.f("ix_hazard_notices_enterprise_id"), "hazard_notices", ["enterprise_id"], unique=False
    )
    op.create_index(op.f("ix_hazard_notices_lead_id"), "hazard_notices", ["lead_id"], unique=False)
    op.create_index(
        op.f("ix_hazard_notices_reply_due"), "hazard_notices", ["reply_due"], unique=False
    )
    op.create_index(op.f("ix_hazard_notices_status"), "hazard_notices", ["status"], unique=False)
    op.create_table(
        "hazard_items",
        sa.Column("item_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["hazard_notices.notice_id"],
            name=op.f("fk_hazard_items_notice_id_hazard_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_hazard_items")),
    )
    op.create_index(op.f("ix_hazard_items_notice_id"), "hazard_items", ["notice_id"], unique=False)
    op.create_table(
        "hazard_reply_files",
        sa.Column("file_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["hazard_notices.notice_id"],
            name=op.f("fk_hazard_reply_files_notice_id_hazard_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.user_id"],
            name=op.f("fk_hazard_reply_files_uploaded_by_users"),
        ),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_hazard_reply_files")),
    )
    op.create_index(
        op.f("ix_hazard_reply_files_notice_id"), "hazard_reply_files", ["notice_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_hazard_reply_files_notice_id"), table_name="hazard_reply_files")
    op.drop_table("hazard_reply_files")
    op.drop_index(op.f("ix_hazard_items_notice_id"), table_name="hazard_items")
    op.drop_table("hazard_items")
    for ix in ("status", "reply_due", "lead_id", "enterprise_id"):
        op.drop_index(op.f(f"ix_hazard_notices_{ix}"), table_name="hazard_notices")
    op.drop_table("hazard_notices")
