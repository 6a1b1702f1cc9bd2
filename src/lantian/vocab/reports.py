"""Vocabularies of periodic reports (周报 / 月报 / 专项行动报告)."""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

REPORT_KINDS: Vocabulary[str] = Vocabulary(
    "report_kind",
    [
        Term("weekly", "周报", "Weekly report"),
        Term("monthly", "月报", "Monthly report"),
        Term("campaign", "专项行动报告", "Campaign report"),
    ],
)
"""Kinds of periodic report (``archived_reports.kind``)."""
