"""调度督办: escalation tasks for the next level (supervision_tasks) and 约谈 / 通报 records
on a case (case_meetings)

Revision ID: 0034
Revises: 0023
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lantian.db.base import TZDateTime


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


revision: str = "0034"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervision_tasks",
        sa.Column("task_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("due_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("done_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_supervision_tasks_status")),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name=op.f("ck_supervision_tasks_level")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.case_id"],
            name=op.f("fk_supervision_tasks_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.user_id"], name=op.f("fk_supervision_tasks_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["done_by"], ["users.user_id"], name=op.f("fk_supervision_tasks_done_by_users")
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_supervision_tasks")),
    )
    for col in ("case_id", "assignee_id", "status", "due_at"):
        op.create_index(
            op.f(f"ix_supervision_tasks_{col}"), "supervision_tasks", [col], unique=False
        )
    op.create_index(
        "ux_supervision_tasks_case_level", "supervision_tasks", ["case_id", "level"], unique=True
    )
    op.create_table(
        "case_meetings",
        sa.Column("meeting_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("held_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("people", _json(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("follow_up_due", TZDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("data", _json(), nullable=True),
        sa.CheckConstraint("kind IN ('interview', 'circular')", name=op.f("ck_case_meetings_kind")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.case_id"],
            name=op.f("fk_case_meetings_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.user_id"], name=op.f("fk_case_meetings_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_case_meetings")),
    )
    for col in ("case_id", "kind", "held_at"):
        op.create_index(op.f(f"ix_case_meetings_{col}"), "case_meetings", [col], unique=False)


def downgrade() -> None:
    op.drop_table("case_meetings")
    op.drop_table("supervision_tasks")
