"""SQLAlchemy model of platform-mode detection runs (the watermark of incremental detection)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime
from lantian.vocab.leads import DETECTION_RUN_STATUSES

RUN_STATUSES: tuple[str, ...] = DETECTION_RUN_STATUSES.codes()


class DetectionRun(Base):
    """One run of lead detection over the lake (``lantian detect-lake``).

    ``data_to`` of the last ``ok`` run is the watermark: the next run reads data from
    ``watermark − lookback`` so that episodes and baselines continue across runs.
    """

    __tablename__ = "detection_runs"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({', '.join(repr(v) for v in RUN_STATUSES)})",
            name="status",
        ),
        Index("ix_detection_runs_status_data_to", "status", "data_to"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(TZDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    engine: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    data_from: Mapped[datetime | None] = mapped_column(TZDateTime)
    data_to: Mapped[datetime | None] = mapped_column(TZDateTime)
    leads_found: Mapped[int] = mapped_column(Integer, default=0)
    leads_new: Mapped[int] = mapped_column(Integer, default=0)
    leads_extended: Mapped[int] = mapped_column(Integer, default=0)
    leads_closed: Mapped[int] = mapped_column(Integer, default=0)
    changes_consumed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Change-log records of the lake this run judged (and deleted)."""
    leads_withdrawn: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
