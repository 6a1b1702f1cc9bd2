"""documents and on-site records: document numbers per kind and year; inspectors, the
enterprise's representative, signature and GPS distance on check records

Revision ID: 0019
Revises: 0015, 0002 (check_records)
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lantian.db.base

revision: str = "0019"
down_revision: str | Sequence[str] | None = ("0015", "0002")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_numbers",
        sa.Column("number_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ref_type", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number_id", name=op.f("pk_document_numbers")),
        sa.UniqueConstraint("kind", "year", "seq", name=op.f("uq_document_numbers_kind_year_seq")),
        sa.UniqueConstraint(
            "kind", "ref_type", "ref_id", name=op.f("uq_document_numbers_kind_ref")
        ),
    )
    with op.batch_alter_table("check_records") as batch:
        batch.add_column(
            sa.Column(
                "inspectors",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("representative_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("representative_title", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("representative_phone", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("signature_attachment_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("site_distance_m", sa.Float(), nullable=True))
        batch.add_column(sa.Column("gps_warn_m", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_records") as batch:
        for col in (
            "gps_warn_m",
            "site_distance_m",
            "signature_attachment_id",
            "representative_phone",
            "representative_title",
            "representative_name",
            "inspectors",
        ):
            batch.drop_column(col)
    op.drop_table("document_numbers")
