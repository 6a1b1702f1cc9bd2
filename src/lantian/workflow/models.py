"""Case workflow models: cases, their leads, events, checks, attachments, notices, spot checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise
from lantian.vocab import cases as _cases_vocab
from lantian.workflow.states import STATE_CODES

CHECK_KINDS: tuple[str, ...] = _cases_vocab.CHECK_KINDS.codes()
FIX_PATHS: tuple[str, ...] = _cases_vocab.FIX_PATHS.codes()
ATTACHMENT_KINDS: tuple[str, ...] = _cases_vocab.ATTACHMENT_KINDS.codes()
CHECKLIST_KINDS: tuple[str, ...] = _cases_vocab.CHECKLIST_KINDS.codes()
NOTICE_KINDS: tuple[str, ...] = _cases_vocab.NOTICE_KINDS.codes()
SPOT_CHECK_RESULTS: tuple[str, ...] = _cases_vocab.SPOT_CHECK_RESULTS.codes()


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


CASE_KINDS: tuple[str, ...] = _cases_vocab.CASE_KINDS.codes()
"""Why a case exists: leads to check, or an on-site visit of a 双随机 plan (docs/SUPERVISION.md)."""


class Case(Base):
    """A problem being handled: one lead, or several leads of one enterprise and problem.

    Region columns (``city``, ``district``, ``province``) are copied from the enterprise
    (or station) when the case is opened, so scope checks need no join. ``deadline`` is
    the check deadline of the dispatch; ``rectify_deadline`` the supervision-order deadline.
    """

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_in("status", STATE_CODES), name="status"),
        CheckConstraint(f"fix_path IS NULL OR {_in('fix_path', FIX_PATHS)}", name="fix_path"),
        CheckConstraint(f"check_mode IS NULL OR {_in('check_mode', CHECK_KINDS)}", name="mode"),
        CheckConstraint("escalation_level BETWEEN 0 AND 3", name="escalation"),
        CheckConstraint(_in("kind", CASE_KINDS), name="kind"),
        Index("ix_cases_city_district", "city", "district"),
        Index("ix_cases_status_deadline", "status", "deadline"),
        Index("ix_cases_status_rectify_deadline", "status", "rectify_deadline"),
        Index("ix_cases_rule_subject", "rule", "subject_id"),
    )

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    title: Mapped[str] = mapped_column(Text)
    enterprise_id: Mapped[str | None] = mapped_column(
        ForeignKey("enterprises.enterprise_id"), index=True
    )
    province: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    family: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64))
    pollutant: Mapped[str | None] = mapped_column(String(32))
    severity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"), index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    dispatched_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    deadline: Mapped[datetime | None] = mapped_column(TZDateTime)
    check_mode: Mapped[str | None] = mapped_column(String(8))
    judged_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    finding: Mapped[str | None] = mapped_column(Text)
    false_positive_reason: Mapped[str | None] = mapped_column(Text)
    fix_path: Mapped[str | None] = mapped_column(String(24))
    rectify_deadline: Mapped[datetime | None] = mapped_column(TZDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime, index=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    shared_with_enterprise_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    """When an officer shared the case (and its leads) with the enterprise (auth/policy.py)."""
    shared_with_enterprise_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    kind: Mapped[str] = mapped_column(String(16), default="lead", server_default="lead")
    """:data:`CASE_KINDS`: ``inspection`` for a visit of an accepted plan."""
    plan_draw_id: Mapped[int | None] = mapped_column(ForeignKey("plan_draws.draw_id"), index=True)
    """The 双随机 draw an inspection case comes from."""
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.campaign_id"), index=True)
    """The campaign (专项行动) the case belongs to (migration 0026)."""


class CaseLead(Base):
    """Membership of a lead in a case (a lead belongs to at most one case)."""

    __tablename__ = "case_leads"

    lead_id: Mapped[str] = mapped_column(
        ForeignKey("leads.lead_id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    linked_at: Mapped[datetime] = mapped_column(TZDateTime)
    reason: Mapped[str | None] = mapped_column(String(32))


class CaseEvent(Base):
    """案件过程记录: one step in a case's history, shown on the case timeline."""

    __tablename__ = "case_events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(TZDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    action: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class ChecklistTemplate(Base):
    """自查表 / 现场检查表: a per-industry checklist (items: code, text, basis)."""

    __tablename__ = "checklist_templates"
    __table_args__ = (CheckConstraint(_in("kind", CHECKLIST_KINDS), name="kind"),)

    template_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    industry: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CheckRecord(Base):
    """排查/核查记录: a remote or on-site check (checklist answers, notes, GPS, time)."""

    __tablename__ = "check_records"
    __table_args__ = (CheckConstraint(_in("kind", CHECK_KINDS), name="kind"),)

    check_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    checked_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    checked_at: Mapped[datetime] = mapped_column(TZDateTime)
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime)
    template_id: Mapped[str | None] = mapped_column(ForeignKey("checklist_templates.template_id"))
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    notes: Mapped[str | None] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    gps_accuracy_m: Mapped[float | None] = mapped_column(Float)
    onsite_reason: Mapped[str | None] = mapped_column(Text)
    shared_with_enterprise_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    """When an officer marked the record (notes, checklist, photos) as shared with the
    enterprise; internal to the officers until then (auth/policy.py)."""
    shared_with_enterprise_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    inspectors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    """执法人员 of an on-site record: ``[{"user_id", "name", "cert_no"}, …]`` (at least two,
    each with a 执法证号), copied from the accounts when recorded (migration 0019)."""
    representative_name: Mapped[str | None] = mapped_column(String(100))
    """The enterprise's representative present at an on-site check (被检查单位现场负责人)."""
    representative_title: Mapped[str | None] = mapped_column(String(100))
    representative_phone: Mapped[str | None] = mapped_column(String(32))
    signature_attachment_id: Mapped[int | None] = mapped_column(Integer)
    """The representative's signature drawn on the phone (a PNG attachment of the record)."""
    site_distance_m: Mapped[float | None] = mapped_column(Float)
    """Great-circle distance [m] between the recorded GPS position and the site."""
    gps_warn_m: Mapped[float | None] = mapped_column(Float)
    """The warning distance [m] in force when recorded (``settings.onsite_gps_warn_m``)."""


class DocumentNumber(Base):
    """文书编号: the number of an issued document, per kind and year (``〔2026〕第12号``).

    ``ref_type``/``ref_id`` name what it was issued for (a case or a notice); one number per
    document and kind, and sequence numbers unique per kind and year (the unique
    constraint makes allocation safe under concurrency: a clash is retried).
    """

    __tablename__ = "document_numbers"
    __table_args__ = (
        UniqueConstraint("kind", "year", "seq", name="uq_document_numbers_kind_year_seq"),
        UniqueConstraint("kind", "ref_type", "ref_id", name="uq_document_numbers_kind_ref"),
    )

    number_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    ref_type: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(TZDateTime)


class Attachment(Base):
    """A stored file (photo, rectification evidence, document) under ``uploads_dir``."""

    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint(_in("kind", ATTACHMENT_KINDS), name="kind"),)

    attachment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    check_id: Mapped[int | None] = mapped_column(ForeignKey("check_records.check_id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.event_id"))
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    uploaded_at: Mapped[datetime] = mapped_column(TZDateTime)


class Notice(Base):
    """环境隐患提示函 (hazard notice) or 预告知 (pre-notification of an inspection)."""

    __tablename__ = "notices"
    __table_args__ = (CheckConstraint(_in("kind", NOTICE_KINDS), name="kind"),)

    notice_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.case_id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    template_id: Mapped[str | None] = mapped_column(ForeignKey("checklist_templates.template_id"))
    inspection_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    issued_at: Mapped[datetime] = mapped_column(TZDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class SpotCheckDraw(Base):
    """抽查复核 draw: which closed cases were drawn, with the seed that reproduces it."""

    __tablename__ = "spot_check_draws"

    draw_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    drawn_at: Mapped[datetime] = mapped_column(TZDateTime)
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    seed: Mapped[int] = mapped_column(BigInteger)
    share: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer)
    closed_from: Mapped[datetime | None] = mapped_column(TZDateTime)
    closed_to: Mapped[datetime | None] = mapped_column(TZDateTime)
    case_ids: Mapped[list[int]] = mapped_column(JSONType)


class SpotCheck(Base):
    """One drawn case to re-verify; a failed spot check reopens the case."""

    __tablename__ = "spot_checks"
    __table_args__ = (CheckConstraint(_in("result", SPOT_CHECK_RESULTS), name="result"),)

    spot_check_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draw_id: Mapped[int] = mapped_column(
        ForeignKey("spot_check_draws.draw_id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.case_id"), index=True)
    result: Mapped[str] = mapped_column(String(8), default="pending")
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    checked_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    note: Mapped[str | None] = mapped_column(Text)


# Indexes on ``leads`` for the lead inbox (sort by detection time, severity; filter by
# family; station leads by subject). Declared here, next to the workflow that needs them,
# and created by migration 0002.
Index("ix_leads_detected_at_lead_id", Lead.detected_at, Lead.lead_id)
Index("ix_leads_severity_lead_id", Lead.severity, Lead.lead_id)
Index("ix_leads_family_detected_at", Lead.family, Lead.detected_at)
Index("ix_leads_subject_id", Lead.subject_id)

# Inbox text search (q = ILIKE '%text%'): pg_trgm GIN indexes on PostgreSQL (migration 0006
# also creates the extension, in schema public, hence the schema-qualified operator class:
# it works whatever the connection's search_path). SQLite ignores the postgresql_* options
# and gets plain indexes of the same names: Alembic's autogenerate comparison does not
# honour Index.ddl_if(), so models and migrations must agree on both backends.
TRGM_OPS = "public.gin_trgm_ops"
Index(
    "ix_leads_summary_trgm",
    Lead.summary,
    postgresql_using="gin",
    postgresql_ops={"summary": TRGM_OPS},
)
Index(
    "ix_enterprises_name_trgm",
    Enterprise.name,
    postgresql_using="gin",
    postgresql_ops={"name": TRGM_OPS},
)
