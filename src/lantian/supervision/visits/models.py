"""Model of the visit register: one row per on-site visit (行政检查), with its approval."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.vocab.visits import SERVICE_KINDS, VISIT_KINDS, VISIT_STATUSES


def _in(column: str, codes: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(c) for c in codes)})"


class InspectionVisit(Base):
    """One on-site visit of an enterprise: approval (行政检查审批), check-in, record.

    A visit is applied for (``pending``) with purpose, basis, planned date and inspectors
    (with their 执法证号 copied), approved or rejected by another officer before it starts
    (``approved``; the warnings shown to the approver are kept), confirmed by the
    enterprise through the check-in code (扫码入企: ``arrived_at``/``departed_at``), and
    ``done`` once its on-site record (``check_id``) or its 帮扶 record is written.

    References
    ----------
    .. [1] 国办发〔2024〕54号 国务院办公厅关于严格规范涉企行政检查的意见.
    .. [2] 司法部《行政检查文书基本格式文本(试行)》: 行政检查审批表 (fields: docs/SUPERVISION.md;
           unverified against the published text).
    """

    __tablename__ = "inspection_visits"
    __table_args__ = (
        CheckConstraint(_in("kind", VISIT_KINDS.codes()), name="kind"),
        CheckConstraint(_in("status", VISIT_STATUSES.codes()), name="status"),
        CheckConstraint(
            f"service_kind IS NULL OR {_in('service_kind', SERVICE_KINDS.codes())}",
            name="service_kind",
        ),
        Index("ix_inspection_visits_enterprise_planned", "enterprise_id", "planned_date"),
    )

    visit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    """检查事项 / 检查目的."""
    basis: Mapped[str] = mapped_column(Text)
    """检查依据 (laws, plan, lead)."""
    method: Mapped[str | None] = mapped_column(String(100))
    """检查方式 (现场检查, 查阅资料 …)."""
    planned_date: Mapped[date] = mapped_column(Date)
    inspectors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    """``[{"user_id", "name", "cert_no"}, …]`` (at least two), copied when applied for."""
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    applied_at: Mapped[datetime] = mapped_column(TZDateTime)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list[str] | None] = mapped_column(JSONType)
    """Repeat / high-frequency warnings shown to the approver when deciding."""
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.case_id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.campaign_id"), index=True)
    separate_tally: Mapped[bool] = mapped_column(Boolean, default=False)
    """Under a campaign ordered from above: tallied apart from the yearly cap."""
    checkin_nonce: Mapped[str] = mapped_column(String(32))
    """Random part of the signed check-in token (扫码入企)."""
    arrived_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    departed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    arrival_confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    departure_confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    check_id: Mapped[int | None] = mapped_column(ForeignKey("check_records.check_id"))
    """The on-site record (现场检查笔录) written under this approval."""
    visited_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    """When the visit took place (the on-site record's or the service record's time)."""
    service_kind: Mapped[str | None] = mapped_column(String(16))
    problems: Mapped[str | None] = mapped_column(Text)
    """帮扶: problems seen (把脉问诊)."""
    advice: Mapped[str | None] = mapped_column(Text)
    """帮扶: advice given (开药方)."""
    followups: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    """帮扶: 复诊 ``[{"due": "YYYY-MM-DD", "done_at": iso|None, "note": str|None}, …]``."""
