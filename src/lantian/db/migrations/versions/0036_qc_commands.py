"""Remote quality control: qc_commands (queued HJ 212 requests, answers, verdicts)

Revision ID: 0036
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lantian.db.base import TZDateTime

revision: str = "0036"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "qc_commands",
        sa.Column("command_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mn", sa.String(length=64), nullable=False),
        sa.Column("outlet_id", sa.String(length=64), nullable=True),
        sa.Column("cn", sa.String(length=4), nullable=False),
        sa.Column("check_kind", sa.String(length=12), nullable=False),
        sa.Column("params", _json(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("qn", sa.String(length=20), nullable=True),
        sa.Column("created_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("expires_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("qn_rtn", sa.String(length=8), nullable=True),
        sa.Column("exe_rtn", sa.String(length=8), nullable=True),
        sa.Column("result", _json(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("verdict", sa.Text(), nullable=True),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'acknowledged', 'done', 'failed', 'timeout', 'expired')",
            name=op.f("ck_qc_commands_status"),
        ),
        sa.CheckConstraint(
            "check_kind IN ('clock', 'set_time', 'realtime', 'zero_span', 'sampling', 'info')",
            name=op.f("ck_qc_commands_check_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.user_id"], name=op.f("fk_qc_commands_created_by_users")
        ),
        sa.PrimaryKeyConstraint("command_id", name=op.f("pk_qc_commands")),
    )
    op.create_index(op.f("ix_qc_commands_outlet_id"), "qc_commands", ["outlet_id"])
    op.create_index(op.f("ix_qc_commands_finished_at"), "qc_commands", ["finished_at"])
    op.create_index("ix_qc_commands_mn_status", "qc_commands", ["mn", "status"])


def downgrade() -> None:
    op.drop_table("qc_commands")
