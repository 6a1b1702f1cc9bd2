"""self-checks (自查), their findings and files, rectification plans (整改方案) with milestones

Revision ID: 0028
Revises: 0023
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lantian.db.base

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "self_checks",
        sa.Column("self_check_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("fail_share", sa.Float(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", lantian.db.base.TZDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", lantian.db.base.TZDateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "origin IN ('requested', 'scheduled', 'spontaneous')",
            name=op.f("ck_self_checks_origin"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'reviewed')", name=op.f("ck_self_checks_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.user_id"], name=op.f("fk_self_checks_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_self_checks_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.notice_id"], name=op.f("fk_self_checks_notice_id_notices")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.user_id"], name=op.f("fk_self_checks_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["checklist_templates.template_id"],
            name=op.f("fk_self_checks_template_id_checklist_templates"),
        ),
        sa.PrimaryKeyConstraint("self_check_id", name=op.f("pk_self_checks")),
    )
    with op.batch_alter_table("self_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_checks_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_self_checks_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_self_checks_reviewed_at"), ["reviewed_at"], unique=False
        )

    op.create_table(
        "self_check_findings",
        sa.Column("finding_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("self_check_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("fix_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("fixed_at", lantian.db.base.TZDateTime(timezone=True), nullable=True),
        sa.Column("fix_note", sa.Text(), nullable=True),
        sa.Column("created_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'fixed')", name=op.f("ck_self_check_findings_status")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_self_check_findings_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["self_check_id"],
            ["self_checks.self_check_id"],
            name=op.f("fk_self_check_findings_self_check_id_self_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("finding_id", name=op.f("pk_self_check_findings")),
    )
    with op.batch_alter_table("self_check_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_check_findings_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_self_check_findings_self_check_id"), ["self_check_id"], unique=False
        )

    op.create_table(
        "rectification_plans",
        sa.Column("plan_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "case_id IS NOT NULL OR finding_id IS NOT NULL",
            name=op.f("ck_rectification_plans_target"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.case_id"],
            name=op.f("fk_rectification_plans_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.user_id"], name=op.f("fk_rectification_plans_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_rectification_plans_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["self_check_findings.finding_id"],
            name=op.f("fk_rectification_plans_finding_id_self_check_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_rectification_plans")),
    )
    with op.batch_alter_table("rectification_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectification_plans_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rectification_plans_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rectification_plans_finding_id"), ["finding_id"], unique=False
        )

    op.create_table(
        "rectification_milestones",
        sa.Column("milestone_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("responsible", sa.String(length=100), nullable=False),
        sa.Column("done_at", lantian.db.base.TZDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["done_by"], ["users.user_id"], name=op.f("fk_rectification_milestones_done_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["rectification_plans.plan_id"],
            name=op.f("fk_rectification_milestones_plan_id_rectification_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("milestone_id", name=op.f("pk_rectification_milestones")),
    )
    with op.batch_alter_table("rectification_milestones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectification_milestones_plan_id"), ["plan_id"], unique=False
        )

    op.create_table(
        "assist_files",
        sa.Column("file_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("self_check_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.String(length=32), nullable=True),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["rectification_milestones.milestone_id"],
            name=op.f("fk_assist_files_milestone_id_rectification_milestones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["self_check_id"],
            ["self_checks.self_check_id"],
            name=op.f("fk_assist_files_self_check_id_self_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.user_id"], name=op.f("fk_assist_files_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_assist_files")),
    )
    with op.batch_alter_table("assist_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assist_files_milestone_id"), ["milestone_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assist_files_self_check_id"), ["self_check_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assist_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assist_files_self_check_id"))
        batch_op.drop_index(batch_op.f("ix_assist_files_milestone_id"))

    op.drop_table("assist_files")
    with op.batch_alter_table("rectification_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_milestones_plan_id"))

    op.drop_table("rectification_milestones")
    with op.batch_alter_table("rectification_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_plans_finding_id"))
        batch_op.drop_index(batch_op.f("ix_rectification_plans_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_rectification_plans_case_id"))

    op.drop_table("rectification_plans")
    with op.batch_alter_table("self_check_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_self_check_findings_self_check_id"))
        batch_op.drop_index(batch_op.f("ix_self_check_findings_enterprise_id"))

    op.drop_table("self_check_findings")
    with op.batch_alter_table("self_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_self_checks_reviewed_at"))
        batch_op.drop_index(batch_op.f("ix_self_checks_notice_id"))
        batch_op.drop_index(batch_op.f("ix_self_checks_enterprise_id"))

    op.drop_table("self_checks")
