"""Vocabularies of 隐患提示函 (hazard notices): the notice's follow-up states.

References
----------
.. [1] 中华人民共和国大气污染防治法 (2018) 第十八条 (the operator's duty the notice reminds of).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

HAZARD_STATES: Vocabulary[str] = Vocabulary(
    "hazard_state",
    [
        Term("issued", "待回复", "Awaiting reply"),
        Term("replied", "已回复", "Replied"),
        Term("closed", "已办结", "Closed"),
        Term("escalated", "已转立案", "Escalated to a case"),
    ],
)
"""Follow-up state of a 隐患提示函 (``hazard_notices.status``)."""
HAZARD_DOC_KIND: Vocabulary[str] = Vocabulary(
    "hazard_document",
    [Term("hazard", "环境隐患提示函", "Hazard notice")],
)
"""The numbered document kind of a 隐患提示函 (``document_numbers.kind``; prefix 提示)."""
