"""Vocabularies of consultation (咨询, 首问负责制), satisfaction surveys and work-group scoring.

References
----------
.. [1] 首问负责制 (first-responder rule: whoever first receives a question owns it until
       it is answered), project glossary; the administrative-service practice of Chinese
       bureaus, no single national text checked [unverified].
.. [2] Peer-systems survey of the project (research/peer-systems.md, "Satisfaction
       surveys of firms; assistance counted in work-group scoring": Tianjin online
       assessment) [unverified].
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

QUESTION_STATES: Vocabulary[str] = Vocabulary(
    "question_state",
    [
        Term("unclaimed", "待认领", "Unclaimed"),
        Term("claimed", "办理中", "In progress"),
        Term("answered", "已答复", "Answered"),
    ],
)
"""State of a question, computed from its owner and answer (not stored)."""

QUESTION_TIMELINESS: Vocabulary[str] = Vocabulary(
    "question_timeliness",
    [
        Term("on_time", "按时", "On time"),
        Term("due_soon", "即将超时", "Due soon"),
        Term("overdue", "已超时", "Overdue"),
        Term("answered_late", "超时答复", "Answered late"),
    ],
)
"""Timeliness of a question against its response-time target (computed)."""

QUESTION_ESCALATION: Vocabulary[int] = Vocabulary(
    "question_escalation",
    [
        Term(0, "未升级", "Not escalated"),
        Term(1, "已提醒上级", "Supervisor reminded"),
        Term(2, "已升级至市局", "Escalated to the city bureau"),
    ],
)
"""``questions.escalation_level``: 0 none, 1 overdue (the owner's supervisors reminded),
2 overdue by a second target period (escalated to the city bureau)."""

RATINGS: Vocabulary[int] = Vocabulary(
    "answer_rating",
    [
        Term(1, "很不满意", "Very dissatisfied"),
        Term(2, "不满意", "Dissatisfied"),
        Term(3, "一般", "Neutral"),
        Term(4, "满意", "Satisfied"),
        Term(5, "很满意", "Very satisfied"),
    ],
)
"""The enterprise's rating of an answer, and the scale of survey questions (1-5)."""

SURVEY_KINDS: Vocabulary[str] = Vocabulary(
    "survey_kind",
    [
        Term("case", "案件办结", "Closed case"),
        Term("visit", "帮扶服务", "Service visit"),
        Term("training", "培训", "Training session"),
    ],
)
"""What a satisfaction survey follows (``survey_invitations.kind``, ``survey_responses.kind``)."""

TEAM_KINDS: Vocabulary[str] = Vocabulary(
    "team_kind",
    [
        Term("district", "区县分局", "District office"),
        Term("city", "市局", "City bureau"),
        Term("work_group", "监督帮扶工作组", "Work group"),
    ],
)
"""Kinds of team scored by work-group scoring (derived from the user register)."""

NORMALISATIONS: Vocabulary[str] = Vocabulary(
    "score_normalisation",
    [
        Term("max", "除以本期各组最大值", "Divided by the largest team value"),
        Term("inverse_max", "1 减去（值÷本期各组最大值）", "1 minus value over the largest"),
        Term("ratio", "比率（0–1）", "Ratio (0-1)"),
        Term("scale5", "满分 5 分折算", "Out of 5"),
    ],
)
"""How a term's raw value becomes a 0-1 figure before weighting."""
