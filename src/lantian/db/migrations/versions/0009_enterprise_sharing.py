"""enterprise sharing: an officer shares a case or a check record with the enterprise

``cases.shared_with_enterprise_at/_by`` (the case and its leads become visible to the
enterprise) and ``check_records.shared_with_enterprise_at/_by`` (officers' notes and photos
become visible to it); see :mod:`lantian.auth.policy`.

Revision ID: 0009
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("cases", "check_records")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch:
            batch.add_column(
                sa.Column(
                    "shared_with_enterprise_at",
                    lantian.db.base.TZDateTime(timezone=True),
                    nullable=True,
                )
            )
            batch.add_column(sa.Column("shared_with_enterprise_by", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                op.f(f"fk_{table}_shared_with_enterprise_by_users"),
                "users",
                ["shared_with_enterprise_by"],
                ["user_id"],
            )


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch:
            batch.drop_constraint(
                op.f(f"fk_{table}_shared_with_enterprise_by_users"), type_="foreignkey"
            )
            batch.drop_column("shared_with_enterprise_by")
            batch.drop_column("shared_with_enterprise_at")
