"""Archived periodic reports: what was generated, for whom, and the SHA-256 of each file."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime
from lantian.vocab.reports import REPORT_KINDS

REPORT_KIND_CODES: tuple[str, ...] = REPORT_KINDS.codes()


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ArchivedReport(Base):
    """One generated report: kind, period, jurisdiction, the files and their hashes.

    ``jurisdiction`` is the city (or city and district) the report covers, empty for the
    whole platform; ``generated_by`` is null for a scheduled report.
    """

    __tablename__ = "archived_reports"
    __table_args__ = (
        CheckConstraint(_in("kind", REPORT_KIND_CODES), name="kind"),
        Index("ix_archived_reports_kind_start", "kind", "period_start"),
    )

    report_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(12))
    period_label: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.campaign_id"))
    city: Mapped[str | None] = mapped_column(String(64), index=True)
    district: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    generated_at: Mapped[datetime] = mapped_column(TZDateTime)
    generated_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    pdf_bytes: Mapped[int] = mapped_column(Integer)
    xlsx_bytes: Mapped[int] = mapped_column(Integer)
