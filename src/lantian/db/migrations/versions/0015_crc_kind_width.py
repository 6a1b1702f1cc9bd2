"""device crc column wide enough for ``modbus_swapped`` (14 characters, was VARCHAR(8))

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("outlets", "meters"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "crc",
                existing_type=sa.String(length=8),
                type_=sa.String(length=16),
                existing_nullable=True,
            )


def downgrade() -> None:
    for table in ("outlets", "meters"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "crc",
                existing_type=sa.String(length=16),
                type_=sa.String(length=8),
                existing_nullable=True,
            )
