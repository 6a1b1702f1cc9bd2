"""registry and leads

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lantian.db.base

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("start", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("end", lantian.db.base.TZDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("level IN ('yellow', 'orange', 'red')", name=op.f("ck_alerts_level")),
        sa.CheckConstraint('"end" IS NULL OR "end" > start', name=op.f("ck_alerts_window")),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alerts")),
    )
    op.create_table(
        "enterprises",
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("industry", sa.String(length=32), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("township", sa.String(length=64), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("grade", sa.String(length=2), nullable=True),
        sa.Column("positive_list", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "grade IS NULL OR grade IN ('A', 'B', 'B-', 'C', 'D', 'L')",
            name=op.f("ck_enterprises_grade"),
        ),
        sa.CheckConstraint(
            "industry IN ('coal_power', 'gas_power', 'industrial_boiler', 'steel', 'coking', 'cement', 'glass', 'petrochem', 'chemical', 'printing', 'coating', 'furniture', 'waste_incineration', 'other')",
            name=op.f("ck_enterprises_industry"),
        ),
        sa.CheckConstraint("length(credit_code) = 18", name=op.f("ck_enterprises_credit_code_len")),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_enterprises_credit_code")),
    )
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=True),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("pollutant", sa.String(length=32), nullable=True),
        sa.Column("start", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("end", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("detected_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lantian.db.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "family IN ('EXCEEDANCE', 'FLATLINE', 'PINNED', 'O2_ABNORMAL', 'MISSING', 'FLAG_ABUSE', 'TREATMENT_OFF', 'TREATMENT_LOW', 'EMERGENCY_VIOLATION', 'CLONED', 'AMBIENT_HOTSPOT')",
            name=op.f("ck_leads_family"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('confirmed', 'false_positive')",
            name=op.f("ck_leads_outcome"),
        ),
        sa.CheckConstraint(
            "subject_type IN ('outlet', 'meter', 'line', 'station')",
            name=op.f("ck_leads_subject_type"),
        ),
        sa.CheckConstraint('"end" > start', name=op.f("ck_leads_window")),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_leads_score")),
        sa.CheckConstraint("severity BETWEEN 1 AND 3", name=op.f("ck_leads_severity")),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_family"), ["family"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_rule"), ["rule"], unique=False)
        batch_op.create_index(
            "ix_leads_rule_subject", ["rule", "subject_id", "pollutant"], unique=False
        )
        batch_op.create_index("ix_leads_start", ["start"], unique=False)

    op.create_table(
        "stations",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("township", sa.String(length=64), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('national', 'provincial', 'township', 'micro')", name=op.f("ck_stations_kind")
        ),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_stations")),
    )
    op.create_table(
        "lines",
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_lines_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_lines")),
    )
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lines_enterprise_id"), ["enterprise_id"], unique=False)

    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("limit_pct", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "(action = 'stop') OR (limit_pct IS NOT NULL AND limit_pct > 0 AND limit_pct <= 100)",
            name=op.f("ck_measures_limit_pct"),
        ),
        sa.CheckConstraint("action IN ('stop', 'limit')", name=op.f("ck_measures_action")),
        sa.CheckConstraint("level IN ('yellow', 'orange', 'red')", name=op.f("ck_measures_level")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_measures_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.line_id"], name=op.f("fk_measures_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measures")),
        sa.UniqueConstraint("line_id", "level", name="uq_measures_line_level"),
    )
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measures_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "meters",
        sa.Column("meter_id", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rated_kw", sa.Float(), nullable=True),
        sa.Column("mn", sa.String(length=32), nullable=True),
        sa.Column("factor_code", sa.String(length=32), nullable=True),
        sa.CheckConstraint("role IN ('production', 'treatment')", name=op.f("ck_meters_role")),
        sa.CheckConstraint("rated_kw IS NULL OR rated_kw >= 0", name=op.f("ck_meters_rated_kw")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_meters_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.line_id"], name=op.f("fk_meters_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("meter_id", name=op.f("pk_meters")),
        sa.UniqueConstraint("mn", "factor_code", name="uq_meters_mn_factor"),
    )
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meters_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meters_line_id"), ["line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meters_mn"), ["mn"], unique=False)

    op.create_table(
        "outlets",
        sa.Column("outlet_id", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mn", sa.String(length=32), nullable=False),
        sa.Column("o2_ref_pct", sa.Float(), nullable=True),
        sa.Column("limit_pm", sa.Float(), nullable=True),
        sa.Column("limit_so2", sa.Float(), nullable=True),
        sa.Column("limit_nox", sa.Float(), nullable=True),
        sa.Column("line_id", sa.String(length=64), nullable=True),
        sa.Column("pw", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "o2_ref_pct IS NULL OR (o2_ref_pct >= 0 AND o2_ref_pct < 21)",
            name=op.f("ck_outlets_o2_ref"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_outlets_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.line_id"], name=op.f("fk_outlets_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_outlets")),
        sa.UniqueConstraint("mn", name=op.f("uq_outlets_mn")),
    )
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outlets_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outlets_line_id"), ["line_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outlets_line_id"))
        batch_op.drop_index(batch_op.f("ix_outlets_enterprise_id"))

    op.drop_table("outlets")
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meters_mn"))
        batch_op.drop_index(batch_op.f("ix_meters_line_id"))
        batch_op.drop_index(batch_op.f("ix_meters_enterprise_id"))

    op.drop_table("meters")
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measures_enterprise_id"))

    op.drop_table("measures")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lines_enterprise_id"))

    op.drop_table("lines")
    op.drop_table("stations")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_start")
        batch_op.drop_index("ix_leads_rule_subject")
        batch_op.drop_index(batch_op.f("ix_leads_rule"))
        batch_op.drop_index(batch_op.f("ix_leads_family"))
        batch_op.drop_index(batch_op.f("ix_leads_enterprise_id"))

    op.drop_table("leads")
    op.drop_table("enterprises")
    op.drop_table("alerts")
