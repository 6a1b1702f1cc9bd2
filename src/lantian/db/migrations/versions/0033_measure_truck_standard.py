"""measures.truck_min_standard: diesel heavy trucks allowed during an alert (contract v2)

Revision ID: 0033
Revises: 0023
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measures") as batch:
        batch.add_column(sa.Column("truck_min_standard", sa.Float(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_measures_truck_min_standard"),
            "truck_min_standard IS NULL OR (truck_min_standard >= 0 AND truck_min_standard <= 6)",
        )


def downgrade() -> None:
    with op.batch_alter_table("measures") as batch:
        batch.drop_constraint(op.f("ck_measures_truck_min_standard"), type_="check")
        batch.drop_column("truck_min_standard")
