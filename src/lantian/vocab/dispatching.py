"""Vocabularies of 调度督办 that reaches people: escalation tasks for the next level's
officer, and the 约谈 / 通报 recorded on a case.

References
----------
.. [1] 生态环境部《生态环境部约谈办法》(环办〔2020〕号 revision of 2014's 约谈暂行办法):
       约谈 of those responsible where problems are not corrected; minutes (约谈纪要) and
       follow-up of the rectification (unverified summary of the text).
.. [2] 生态环境部, 重点区域大气污染防治强化监督 (2018-2019): problems overdue are 提级督办,
       and 通报 / 约谈 where they remain unresolved (unverified summary).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary
from lantian.workflow.states import ESCALATION_LEVELS

TASK_LEVELS: Vocabulary[int] = Vocabulary(
    "supervision_task_level",
    [Term(i, zh, en) for i, (_days, zh, en) in enumerate(ESCALATION_LEVELS, start=1)],
)
"""The escalation level a task was created for (``supervision_tasks.level``; a task exists
only from level 1 on, see :data:`lantian.vocab.cases.ESCALATION`)."""
TASK_STATES: Vocabulary[str] = Vocabulary(
    "supervision_task_state",
    [
        Term("open", "待办", "Open"),
        Term("done", "已办结", "Done"),
    ],
)
"""State of an escalation task (``supervision_tasks.status``)."""
MEETING_KINDS: Vocabulary[str] = Vocabulary(
    "case_meeting_kind",
    [
        Term("interview", "约谈", "Interview"),
        Term("circular", "通报", "Circular"),
    ],
)
"""What a case meeting record is (``case_meetings.kind``): a 约谈 of the enterprise's
responsible person, or a 通报 circulated to named recipients."""
MEETING_DOCUMENTS: Vocabulary[str] = Vocabulary(
    "case_meeting_document",
    [
        Term("interview_record", "约谈记录", "Interview record"),
        Term("circular", "通报", "Circular"),
    ],
)
"""The numbered document of each meeting kind (``document_numbers.kind``; prefixes 约谈, 通报)."""
