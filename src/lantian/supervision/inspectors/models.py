"""Model of the inspector register: one 执法证号 per officer user (optional)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime


class InspectorCertificate(Base):
    """执法证号 of an officer: only officers with a valid one are drawn as inspectors.

    References
    ----------
    .. [1] 国办发〔2024〕54号 关于严格规范涉企行政检查的意见 (inspections only by staff with
           a law-enforcement certificate, 行政执法证件).
    """

    __tablename__ = "inspector_certificates"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    cert_no: Mapped[str] = mapped_column(String(32), unique=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)
