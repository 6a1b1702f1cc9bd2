"""cases.kind (lead / inspection) and cases.plan_draw_id: plan visits become cases

Revision ID: 0023
Revises: 0015, 0014 (cases and plan_draws)
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = ("0015", "0014")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), server_default="lead", nullable=False)
        )
        batch.add_column(sa.Column("plan_draw_id", sa.Integer(), nullable=True))
        batch.create_check_constraint(op.f("ck_cases_kind"), "kind IN ('lead', 'inspection')")
        batch.create_foreign_key(
            op.f("fk_cases_plan_draw_id_plan_draws"),
            "plan_draws",
            ["plan_draw_id"],
            ["draw_id"],
        )
        batch.create_index(op.f("ix_cases_plan_draw_id"), ["plan_draw_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index(op.f("ix_cases_plan_draw_id"))
        batch.drop_constraint(op.f("fk_cases_plan_draw_id_plan_draws"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_cases_kind"), type_="check")
        batch.drop_column("plan_draw_id")
        batch.drop_column("kind")
