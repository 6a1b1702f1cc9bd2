"""Vocabularies of the self-check (自查) service and of rectification plans (整改方案).

References
----------
.. [1] Issue #15 items 1 and 3 (自查表, 整改方案); answers 符合/不符合/不适用 as on the
       printed 自查表 of the 预告知 (documents/pdf.py).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

SELF_CHECK_ANSWERS: Vocabulary[str] = Vocabulary(
    "self_check_answer",
    [
        Term("yes", "符合", "Complies"),
        Term("no", "不符合", "Does not comply"),
        Term("na", "不适用", "Not applicable"),
    ],
)
"""An enterprise's answer to one self-check item."""
SELF_CHECK_STATUSES: Vocabulary[str] = Vocabulary(
    "self_check_status",
    [
        Term("draft", "草稿", "Draft"),
        Term("submitted", "已提交", "Submitted"),
        Term("reviewed", "已审阅", "Reviewed"),
    ],
)
"""``self_checks.status``: saved (resumable), submitted to the bureau, reviewed by an officer."""
SELF_CHECK_ORIGINS: Vocabulary[str] = Vocabulary(
    "self_check_origin",
    [
        Term("requested", "通知自查", "Requested"),
        Term("scheduled", "定期自查", "Scheduled"),
        Term("spontaneous", "主动自查", "Spontaneous"),
    ],
)
"""Why a self-check was filled: asked for (预告知 or request), on schedule, or on the
enterprise's own initiative."""
FINDING_STATUSES: Vocabulary[str] = Vocabulary(
    "self_check_finding_status",
    [
        Term("open", "待整改", "To fix"),
        Term("fixed", "已整改", "Fixed"),
    ],
)
"""``self_check_findings.status``: a 不符合 item the enterprise committed to fix."""
