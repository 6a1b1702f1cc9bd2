"""grids: the 网格化监测 grid cells of contract v2 ``registry/grids.csv``

Revision ID: 0037
Revises: 0033
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | Sequence[str] | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grids",
        sa.Column("grid_id", sa.String(length=64), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("cell_km", sa.Float(), nullable=True),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("township", sa.String(length=64), nullable=True),
        sa.CheckConstraint("lon >= -180 AND lon <= 180", name=op.f("ck_grids_lon")),
        sa.CheckConstraint("lat >= -90 AND lat <= 90", name=op.f("ck_grids_lat")),
        sa.CheckConstraint("cell_km IS NULL OR cell_km > 0", name=op.f("ck_grids_cell_km")),
        sa.PrimaryKeyConstraint("grid_id", name=op.f("pk_grids")),
    )


def downgrade() -> None:
    op.drop_table("grids")
