"""信访投诉: complaints (enterprise, channel, received_at, status, optional case)

Revision ID: 0032
Revises: 0023
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lantian.db.base import TZDateTime

revision: str = "0032"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("complaint_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("judged_by", sa.Integer(), nullable=True),
        sa.Column("judged_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("judgement_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('hotline_12369', 'online', 'letter_visit', 'referral', 'other')",
            name=op.f("ck_complaints_channel"),
        ),
        sa.CheckConstraint(
            "status IN ('received', 'verified', 'unfounded')",
            name=op.f("ck_complaints_status"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_complaints_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_complaints_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.user_id"], name=op.f("fk_complaints_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["judged_by"], ["users.user_id"], name=op.f("fk_complaints_judged_by_users")
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaints")),
    )
    for col in ("enterprise_id", "received_at", "case_id", "status"):
        op.create_index(op.f(f"ix_complaints_{col}"), "complaints", [col], unique=False)


def downgrade() -> None:
    for col in ("status", "case_id", "received_at", "enterprise_id"):
        op.drop_index(op.f(f"ix_complaints_{col}"), table_name="complaints")
    op.drop_table("complaints")
