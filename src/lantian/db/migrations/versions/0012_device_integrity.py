"""device integrity: meter PWs, per-device allow_no_pw and registration time, data_rewrites

Meters get an access password like outlets; outlets and meters get ``allow_no_pw`` (the
explicit exception that lets the gateway accept a logger without a PW) and
``registered_at`` (packets stamped before it are quarantined). ``data_rewrites`` keeps
every resent value that differed from the stored one (issue 11, "Every device
authenticates").

Revision ID: 0012
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meters") as batch:
        batch.add_column(sa.Column("pw", sa.String(length=64), nullable=True))
    for table in ("outlets", "meters"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("allow_no_pw", sa.Boolean(), server_default=sa.false(), nullable=False)
            )
            batch.add_column(
                sa.Column("registered_at", lantian.db.base.TZDateTime(timezone=True), nullable=True)
            )
    op.create_table(
        "data_rewrites",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("mn", sa.String(length=32), nullable=False),
        sa.Column("time", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("pollutant", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Float(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=True),
        sa.Column("old_flag", sa.String(length=8), nullable=True),
        sa.Column("new_flag", sa.String(length=8), nullable=True),
        sa.Column("resend", sa.Boolean(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("archive_seq", sa.Integer(), nullable=False),
        sa.Column("received_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "subject_type IN ('outlet', 'meter')", name=op.f("ck_data_rewrites_subject_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_rewrites")),
        sa.UniqueConstraint(
            "archive_seq",
            "source",
            "subject_id",
            "time",
            "pollutant",
            name="uq_data_rewrites_key",
        ),
    )
    op.create_index("ix_data_rewrites_subject", "data_rewrites", ["subject_id", "time"])


def downgrade() -> None:
    op.drop_index("ix_data_rewrites_subject", table_name="data_rewrites")
    op.drop_table("data_rewrites")
    for table in ("outlets", "meters"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("registered_at")
            batch.drop_column("allow_no_pw")
    with op.batch_alter_table("meters") as batch:
        batch.drop_column("pw")
