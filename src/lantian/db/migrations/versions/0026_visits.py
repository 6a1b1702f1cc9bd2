"""Visit register (inspection_visits: 行政检查审批, 扫码入企, 帮扶 records) and campaigns

Revision ID: 0026
Revises: 0023
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lantian.db.base import JSONType, TZDateTime

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = "kind IN ('plan', 'lead_check', 'assistance', 'supervision')"
_STATUSES = "status IN ('pending', 'approved', 'rejected', 'done', 'cancelled')"
_SERVICE = "service_kind IS NULL OR service_kind IN ('diagnosis', 'checkup')"


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("round_label", sa.String(length=64), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=64), nullable=True),
        sa.Column("industries", JSONType, nullable=False),
        sa.Column("families", JSONType, nullable=False),
        sa.Column("ordered_from_above", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TZDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_campaigns_period")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.user_id"], name=op.f("fk_campaigns_created_by_users")
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "inspection_visits",
        sa.Column("visit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=100), nullable=True),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("inspectors", JSONType, nullable=False),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("applied_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("warnings", JSONType, nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("separate_tally", sa.Boolean(), nullable=False),
        sa.Column("checkin_nonce", sa.String(length=32), nullable=False),
        sa.Column("arrived_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("departed_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("arrival_confirmed_by", sa.Integer(), nullable=True),
        sa.Column("departure_confirmed_by", sa.Integer(), nullable=True),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("visited_at", TZDateTime(timezone=True), nullable=True),
        sa.Column("service_kind", sa.String(length=16), nullable=True),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("advice", sa.Text(), nullable=True),
        sa.Column("followups", JSONType, nullable=True),
        sa.CheckConstraint(_KINDS, name=op.f("ck_inspection_visits_kind")),
        sa.CheckConstraint(_STATUSES, name=op.f("ck_inspection_visits_status")),
        sa.CheckConstraint(_SERVICE, name=op.f("ck_inspection_visits_service_kind")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_inspection_visits_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["users.user_id"],
            name=op.f("fk_inspection_visits_applicant_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["users.user_id"], name=op.f("fk_inspection_visits_approver_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["arrival_confirmed_by"],
            ["users.user_id"],
            name=op.f("fk_inspection_visits_arrival_confirmed_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["departure_confirmed_by"],
            ["users.user_id"],
            name=op.f("fk_inspection_visits_departure_confirmed_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_inspection_visits_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.campaign_id"],
            name=op.f("fk_inspection_visits_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["check_records.check_id"],
            name=op.f("fk_inspection_visits_check_id_check_records"),
        ),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_inspection_visits")),
    )
    op.create_index(
        op.f("ix_inspection_visits_status"), "inspection_visits", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_visits_case_id"), "inspection_visits", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_visits_campaign_id"), "inspection_visits", ["campaign_id"], unique=False
    )
    op.create_index(
        "ix_inspection_visits_enterprise_planned",
        "inspection_visits",
        ["enterprise_id", "planned_date"],
        unique=False,
    )
    for table in ("cases", "plan_draws"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                op.f(f"fk_{table}_campaign_id_campaigns"),
                "campaigns",
                ["campaign_id"],
                ["campaign_id"],
            )
            batch.create_index(op.f(f"ix_{table}_campaign_id"), ["campaign_id"], unique=False)


def downgrade() -> None:
    for table in ("plan_draws", "cases"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(op.f(f"ix_{table}_campaign_id"))
            batch.drop_constraint(op.f(f"fk_{table}_campaign_id_campaigns"), type_="foreignkey")
            batch.drop_column("campaign_id")
    op.drop_table("inspection_visits")
    op.drop_table("campaigns")
