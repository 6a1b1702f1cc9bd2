"""Vocabularies of leads: severity (低/中/高), outcome, stored status, inbox status.

References
----------
.. [1] Lantian exchange formats, ``leads`` (``severity`` 1..3).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

SEVERITIES: Vocabulary[int] = Vocabulary(
    "severity",
    [Term(1, "低", "Low"), Term(2, "中", "Medium"), Term(3, "高", "High")],
)
"""Severity of a lead: 1 低, 2 中, 3 高 (the ``leads.severity`` CHECK: 1..3)."""
OUTCOMES: Vocabulary[str] = Vocabulary(
    "lead_outcome",
    [Term("confirmed", "问题属实", "Confirmed"), Term("false_positive", "误报", "False positive")],
)
"""Judgement of a checked lead (``leads.outcome``)."""
STORED_STATUSES: Vocabulary[str] = Vocabulary(
    "lead_status",
    [Term("active", "有效", "Active"), Term("withdrawn", "已撤回", "Withdrawn")],
)
"""Whether a stored lead still stands (``leads.status``; withdrawn by a later run)."""
INBOX_STATUSES: Vocabulary[str] = Vocabulary(
    "lead_inbox_status",
    [
        Term("pending", "待核查", "Pending"),
        Term("confirmed", "问题属实", "Confirmed"),
        Term("false_positive", "误报", "False positive"),
        Term("ongoing", "持续中", "Ongoing"),
        Term("new", "新线索", "New lead"),
    ],
)
"""What the inbox shows of a lead (outcome, or pending while unjudged)."""

DETECTION_RUN_STATUSES: Vocabulary[str] = Vocabulary(
    "detection_run_status",
    [
        Term("running", "运行中", "Running"),
        Term("ok", "已完成", "Done"),
        Term("failed", "失败", "Failed"),
        Term("skipped", "已跳过", "Skipped"),
    ],
)
"""Status of a platform detection run (``detection_runs.status``)."""


def severity_name(level: object, lang: str = "zh_CN") -> str:
    """``severity_name(3) == "高"``; accepts ``"3"`` too."""
    try:
        key = int(level)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "" if level is None else str(level)
    return SEVERITIES.name(key, lang)
