"""Queued remote QC commands and what the logger answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.timeutil import isoformat_cst
from lantian.vocab.qc import QC_CHECKS, QC_COMMAND_STATES


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class QcCommand(Base):
    """One request to a data logger (``mn``) and its answers.

    ``qn`` is set when the gateway sends it; ``qn_rtn`` / ``exe_rtn`` are the 9011 / 9012
    codes; ``result`` holds the CP of the data upload (e.g. ``SystemTime``) and the
    verdict; ``lead_id`` the QC_FAILURE lead a failed check opened or extended.
    """

    __tablename__ = "qc_commands"
    __table_args__ = (
        CheckConstraint(_in("status", QC_COMMAND_STATES.codes()), name="status"),
        CheckConstraint(_in("check_kind", QC_CHECKS.codes()), name="check_kind"),
        Index("ix_qc_commands_mn_status", "mn", "status"),
    )

    command_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mn: Mapped[str] = mapped_column(String(64))
    outlet_id: Mapped[str | None] = mapped_column(String(64), index=True)
    cn: Mapped[str] = mapped_column(String(4))
    check_kind: Mapped[str] = mapped_column(String(12))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    qn: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    scheduled: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime] = mapped_column(TZDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime, index=True)
    qn_rtn: Mapped[str | None] = mapped_column(String(8))
    exe_rtn: Mapped[str | None] = mapped_column(String(8))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    passed: Mapped[bool | None] = mapped_column()
    verdict: Mapped[str | None] = mapped_column(Text)
    lead_id: Mapped[str | None] = mapped_column(String(64))


def command_dict(c: QcCommand) -> dict[str, Any]:
    """A QC command as JSON (API and ``lantian qc --json``): times in CST, labels in the
    request's language."""

    def iso(v: datetime | None) -> str | None:
        return isoformat_cst(v) if v is not None else None

    return {
        "command_id": c.command_id,
        "outlet_id": c.outlet_id,
        "mn": c.mn,
        "cn": c.cn,
        "check": c.check_kind,
        "check_label": QC_CHECKS.name(c.check_kind),
        "status": c.status,
        "status_label": QC_COMMAND_STATES.name(c.status),
        "qn": c.qn,
        "created_at": iso(c.created_at),
        "sent_at": iso(c.sent_at),
        "finished_at": iso(c.finished_at),
        "qn_rtn": c.qn_rtn,
        "exe_rtn": c.exe_rtn,
        "result": c.result,
        "passed": c.passed,
        "verdict": c.verdict,
        "lead_id": c.lead_id,
    }
