"""device security: per-device CRC variant and SM4 key of outlets and meters

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("outlets", "meters"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("crc", sa.String(length=8), nullable=True))
            batch.add_column(sa.Column("sm4_key", sa.String(length=32), nullable=True))


def downgrade() -> None:
    for table in ("outlets", "meters"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("sm4_key")
            batch.drop_column("crc")
