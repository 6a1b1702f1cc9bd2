"""Vocabularies of differentiated supervision: 正面清单 decisions and 绩效分级 records.

References
----------
.. [1] 生态环境监督执法正面清单制度 (MEE, 2020; document number not verified here):
       纳入 / 移出 / 暂停 of listed enterprises.
.. [2] 重污染天气重点行业应急减排措施制定技术指南（2020年修订版）(环办大气函〔2020〕340号):
       绩效分级; the steps of a 创A升B assessment (受理, 材料审核, 现场核查, 评审, 公示,
       结果) follow provincial practice (unverified wording, local example).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

POSITIVE_LIST_ACTIONS: Vocabulary[str] = Vocabulary(
    "positive_list_action",
    [
        Term("add", "纳入", "Add"),
        Term("remove", "移出", "Remove"),
        Term("suspend", "暂停", "Suspend"),
        Term("reinstate", "恢复", "Reinstate"),
    ],
)
"""What a 正面清单 decision does (``positive_list_decisions.action``)."""
POSITIVE_LIST_SOURCES: Vocabulary[str] = Vocabulary(
    "positive_list_source",
    [
        Term("review", "定期评估", "Periodic review"),
        Term("manual", "人工决定", "Officer decision"),
        Term("import", "数据导入", "Import"),
        Term("case_confirmed", "案件认定属实", "Confirmed case"),
    ],
)
"""Where a 正面清单 decision came from (``positive_list_decisions.source``)."""
PROPOSAL_CHANGES: Vocabulary[str] = Vocabulary(
    "positive_list_change",
    [Term("add", "建议纳入", "Propose adding"), Term("remove", "建议移出", "Propose removing")],
)
"""A proposed change of the periodic review (``positive_list_proposals.change``)."""
PROPOSAL_STATUSES: Vocabulary[str] = Vocabulary(
    "positive_list_proposal_status",
    [
        Term("pending", "待决定", "Pending"),
        Term("accepted", "已采纳", "Accepted"),
        Term("rejected", "未采纳", "Rejected"),
    ],
)
"""State of a review proposal (``positive_list_proposals.status``)."""
GRADE_EVIDENCE_KINDS: Vocabulary[str] = Vocabulary(
    "grade_evidence_kind",
    [
        Term("document", "文件", "Document"),
        Term("assessment", "评估结果", "Assessment"),
        Term("attachment", "附件", "Attachment"),
        Term("import", "数据导入", "Import"),
    ],
)
"""Evidence of a grade record (``grade_records.evidence_kind``)."""
GRADE_APPLICATION_STATUSES: Vocabulary[str] = Vocabulary(
    "grade_application_status",
    [
        Term("submitted", "已提交", "Submitted"),
        Term("in_progress", "评审中", "In progress"),
        Term("approved", "通过", "Approved"),
        Term("rejected", "未通过", "Rejected"),
    ],
)
"""State of a 创A升B application (``grade_applications.status``)."""
GRADE_STEPS: Vocabulary[str] = Vocabulary(
    "grade_step",
    [
        Term("accept", "受理", "Acceptance"),
        Term("materials", "材料审核", "Document review"),
        Term("site", "现场核查", "On-site verification"),
        Term("review", "评审", "Expert review"),
        Term("publicity", "公示", "Public notice"),
        Term("result", "结果", "Result"),
    ],
)
"""Assessment steps of a 创A升B application (``grade_application_steps.step``); which
ones a bureau uses, in which order, is configuration (``[grades] steps``)."""
STEP_RESULTS: Vocabulary[str] = Vocabulary(
    "grade_step_result",
    [Term("passed", "通过", "Passed"), Term("failed", "未通过", "Failed")],
)
"""Result of an assessment step (``grade_application_steps.result``)."""
