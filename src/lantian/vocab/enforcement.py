"""Vocabularies of enforcement: penalty outcomes, leniency records, credit events, 信用修复.

References
----------
.. [1] 《中华人民共和国行政处罚法》(2021) 第三十二条 (从轻、减轻), 第三十三条 (不予处罚).
.. [2] 《生态环境行政处罚办法》(生态环境部令第30号, 2023) — 从重 circumstances.
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

PENALTY_OUTCOMES: Vocabulary[str] = Vocabulary(
    "penalty_outcome",
    [
        Term("no_penalty", "不予处罚", "No penalty"),
        Term("lighter", "从轻处罚", "Lighter penalty"),
        Term("mitigated", "减轻处罚", "Mitigated penalty"),
        Term("standard", "一般处罚", "Standard penalty"),
        Term("heavier", "从重处罚", "Heavier penalty"),
    ],
)
"""Outcome of a penalty assessment or decision (``penalty_assessments.outcome``)."""
LENIENCY_KINDS: Vocabulary[str] = Vocabulary(
    "leniency_kind",
    [Term("law_study", "学法减罚", "Law study"), Term("apology", "道歉承诺", "Apology")],
)
"""Kinds of leniency record (``leniency_records.kind``)."""
CREDIT_EVENT_KINDS: Vocabulary[str] = Vocabulary(
    "credit_event_kind",
    [Term("decision", "处罚决定", "Decision"), Term("repair", "信用修复", "Credit repair")],
)
"""What changed an enterprise's environmental credit (``credit_events.kind``)."""
REPAIR_STATUSES: Vocabulary[str] = Vocabulary(
    "credit_repair_status",
    [
        Term("pending", "待审核", "Pending"),
        Term("granted", "已修复", "Granted"),
        Term("refused", "不予修复", "Refused"),
    ],
)
"""State of a 信用修复 request (``credit_repairs.status``)."""
REPAIR_CONDITIONS: Vocabulary[str] = Vocabulary(
    "credit_repair_condition",
    [
        Term("days_elapsed", "公示期已满", "Minimum time elapsed"),
        Term("correction_done", "已完成整改", "Correction done"),
        Term("training", "已参加信用修复培训（学法）", "Training attended"),
        Term("commitment", "已作出信用承诺（道歉承诺）", "Commitment made"),
        Term("no_new_violation", "期间无新的违法行为", "No new violation since"),
    ],
)
"""Conditions of a 信用修复 request (``credit_repairs.conditions`` keys, and the time)."""
CREDIT_GRADES: Vocabulary[str] = Vocabulary(
    "credit_grade",
    [
        Term("green", "环保诚信", "Trustworthy"),
        Term("blue", "环保良好", "Good"),
        Term("yellow", "环保警示", "Warning"),
        Term("red", "环保不良", "Poor"),
    ],
)
"""Environmental credit grades (企业环境信用评价: 绿/蓝/黄/红)."""
