"""lead vocabulary v2: the device-integrity and clue-layer families, subject types enterprise, grid

The ``leads`` CHECK constraints on ``family`` and ``subject_type`` are rebuilt from
:data:`lantian.registry.vocab.STORED_LEAD_FAMILIES` and ``STORED_SUBJECT_TYPES`` (exchange
formats, "v2 additions").

Revision ID: 0007
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_V1_FAMILIES = (
    "EXCEEDANCE",
    "FLATLINE",
    "PINNED",
    "O2_ABNORMAL",
    "MISSING",
    "FLAG_ABUSE",
    "TREATMENT_OFF",
    "TREATMENT_LOW",
    "EMERGENCY_VIOLATION",
    "CLONED",
    "AMBIENT_HOTSPOT",
)
_V2_FAMILIES = (
    *_V1_FAMILIES,
    "CLOCK_ANOMALY",
    "DATA_REWRITE",
    "QC_FAILURE",
    "GRID_HOTSPOT",
    "MOBILE_HOTSPOT",
    "CAMERA_ALARM",
    "GATE_VIOLATION",
)
_V1_SUBJECTS = ("outlet", "meter", "line", "station")
_V2_SUBJECTS = (*_V1_SUBJECTS, "enterprise", "grid")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _set(families: tuple[str, ...], subjects: tuple[str, ...]) -> None:
    with op.batch_alter_table("leads", schema=None) as batch:
        batch.drop_constraint(op.f("ck_leads_family"), type_="check")
        batch.drop_constraint(op.f("ck_leads_subject_type"), type_="check")
        batch.create_check_constraint(op.f("ck_leads_family"), _in("family", families))
        batch.create_check_constraint(op.f("ck_leads_subject_type"), _in("subject_type", subjects))


def upgrade() -> None:
    _set(_V2_FAMILIES, _V2_SUBJECTS)


def downgrade() -> None:
    _set(_V1_FAMILIES, _V1_SUBJECTS)
