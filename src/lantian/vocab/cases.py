"""Vocabularies of the case workflow: states, actions (timeline), fix paths, checks,
check answers, attachments, checklists, notices, spot-check results.

States and transition actions are declared once with the state machine
(:mod:`lantian.workflow.states`); this module reads them and adds the actions that do not
change the status (recording a check, reassigning, escalating …).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary
from lantian.workflow.states import ESCALATE_ACTION, ESCALATION_LEVELS, STATES, TRANSITIONS

STATES_VOCAB: Vocabulary[str] = Vocabulary(
    "case_state", [Term(s.code, s.label_zh, s.label_en) for s in STATES]
)
"""Case statuses (``cases.status``), from :data:`lantian.workflow.states.STATES`."""


def _transition_terms() -> list[Term[str]]:
    seen: dict[str, Term[str]] = {}
    for t in TRANSITIONS:
        seen.setdefault(t.action, Term(t.action, t.label_zh, t.label_en))
    return list(seen.values())


OTHER_ACTIONS: Vocabulary[str] = Vocabulary(
    "case_action_other",
    [
        Term("open_case", "立案登记", "Case opened"),
        Term("record_check", "记录核查", "Check recorded"),
        Term("reassign", "改派", "Reassigned"),
        Term(ESCALATE_ACTION, "逾期提级", "Escalated"),
        Term("upload", "上传材料", "Files uploaded"),
        Term("share_case", "已向企业公开", "Shared with the enterprise"),
        Term(
            "share_check_record", "核查记录已向企业公开", "Check record shared with the enterprise"
        ),
        Term("spot_check", "抽查复核", "Spot-check review"),
        Term("interview", "约谈", "Interview"),
        Term("circular", "通报", "Circular"),
        Term("task_create", "提级督办任务", "Escalation task created"),
        Term("task_done", "督办任务办结", "Escalation task done"),
    ],
)
"""Timeline actions that do not change the status."""
ACTIONS: Vocabulary[str] = Vocabulary("case_action", [*_transition_terms(), *OTHER_ACTIONS])
"""Every action a case event may record (timeline entries, audit actions)."""

FIX_PATHS: Vocabulary[str] = Vocabulary(
    "fix_path",
    [
        Term("immediate_fix", "立行立改", "Immediate fix"),
        Term("supervision_order", "督办", "Supervision order"),
    ],
)
CASE_KINDS: Vocabulary[str] = Vocabulary(
    "case_kind",
    [
        Term("lead", "线索核查", "Lead case"),
        Term("inspection", "双随机检查", "Routine inspection"),
    ],
)
"""What opened a case (``cases.kind``): a lead, or a visit of an accepted 双随机 plan."""
LEDGER_STATES: Vocabulary[str] = Vocabulary(
    "ledger_state",
    [
        Term("open", "未销号", "Open"),
        Term("closed", "已销号", "Closed"),
        Term("all", "全部", "All"),
    ],
)
"""Which problems the 督办台账 lists (its ``state`` filter)."""
CHECK_KINDS: Vocabulary[str] = Vocabulary(
    "check_kind", [Term("remote", "非现场核查", "Remote"), Term("onsite", "现场核查", "On-site")]
)
CHECK_ANSWERS: Vocabulary[str] = Vocabulary(
    "check_answer",
    [
        Term("ok", "正常", "OK"),
        Term("problem", "有问题", "Problem"),
        Term("na", "不适用", "Not applicable"),
    ],
)
"""Answer to one checklist item."""
ATTACHMENT_KINDS: Vocabulary[str] = Vocabulary(
    "attachment_kind",
    [
        Term("photo", "照片", "Photo"),
        Term("evidence", "整改材料", "Evidence"),
        Term("document", "文书", "Document"),
        Term("other", "其他", "Other"),
    ],
)
CHECKLIST_KINDS: Vocabulary[str] = Vocabulary(
    "checklist_kind",
    [
        Term("self_inspection", "自查表", "Self-inspection checklist"),
        Term("onsite", "现场检查表", "On-site checklist"),
    ],
)
NOTICE_KINDS: Vocabulary[str] = Vocabulary(
    "notice_kind",
    [
        Term("hazard", "环境隐患提示函", "Hazard notice"),
        Term("pre_notification", "检查预告知书", "Pre-notification"),
    ],
)
"""Notices to an enterprise (``notices.kind``)."""
CASE_DOCUMENTS: Vocabulary[str] = Vocabulary(
    "case_document",
    [
        Term("dispatch_notice", "交办单", "Dispatch notice"),
        Term("supervision_notice", "督办单", "Supervision notice"),
        Term("rectification_notice", "整改通知书", "Rectification notice"),
    ],
)
"""PDF documents of a case."""
SPOT_CHECK_RESULTS: Vocabulary[str] = Vocabulary(
    "spot_check_result",
    [
        Term("pending", "待抽查", "Awaiting review"),
        Term("passed", "抽查通过", "Passed"),
        Term("failed", "抽查不通过", "Failed"),
    ],
)
ESCALATION: Vocabulary[int] = Vocabulary(
    "escalation_level",
    [
        Term(0, "未提级", "Not escalated"),
        *(Term(i, zh, en) for i, (_days, zh, en) in enumerate(ESCALATION_LEVELS, start=1)),
    ],
)
"""Escalation level of a case (``cases.escalation_level``), from
:data:`lantian.workflow.states.ESCALATION_LEVELS`."""
