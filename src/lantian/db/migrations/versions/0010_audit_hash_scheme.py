"""audit log: per-row hash scheme (1 = plain SHA-256, 2 = HMAC-SHA256 with a key outside the DB)

Existing rows keep scheme 1 and still verify; new rows are written with scheme 2
(:mod:`lantian.auth.audit`). Adding a column with a constant default is an in-place
``ALTER TABLE … ADD COLUMN`` on both databases, so the append-only triggers of 0002 stay.

Revision ID: 0010
Revises: 0002
Create Date: 2026-12-02 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_log",
        sa.Column("hash_scheme", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )


def downgrade() -> None:
    # in place (SQLite >= 3.35), so the append-only triggers are not dropped with a copy
    op.drop_column("audit_log", "hash_scheme")
