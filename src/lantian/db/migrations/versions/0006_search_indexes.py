"""search indexes: pg_trgm GIN indexes of leads.summary and enterprises.name (PostgreSQL)

The inbox text search (``q``) is ``ILIKE '%text%'``; trigram indexes make it an index
scan on PostgreSQL. SQLite gets plain indexes of the same names (the PostgreSQL options are
ignored there; the models declare the same indexes for both backends).

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-23 14:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRGM_OPS = "public.gin_trgm_ops"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.create_index(
        "ix_leads_summary_trgm",
        "leads",
        ["summary"],
        postgresql_using="gin",
        postgresql_ops={"summary": TRGM_OPS},
    )
    op.create_index(
        "ix_enterprises_name_trgm",
        "enterprises",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": TRGM_OPS},
    )


def downgrade() -> None:
    op.drop_index("ix_enterprises_name_trgm", table_name="enterprises")
    op.drop_index("ix_leads_summary_trgm", table_name="leads")
    # the extension stays (PostgreSQL): other schemas of the database may use it
