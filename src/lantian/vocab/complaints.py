"""Vocabularies of 信访投诉 (complaints about an enterprise): channel and judgement status.

References
----------
.. [1] 信访工作条例 (2022) 第十七条 (信访 by letter, e-mail, fax, phone, the internet or
       in person; unverified summary).
.. [2] 生态环境部 12369 环保举报热线 (hotline and 网络举报 platform; unverified summary).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

COMPLAINT_CHANNELS: Vocabulary[str] = Vocabulary(
    "complaint_channel",
    [
        Term("hotline_12369", "12369 热线", "12369 hotline"),
        Term("online", "网络举报", "Online report"),
        Term("letter_visit", "来信来访", "Letter or visit"),
        Term("referral", "转办", "Referred by another office"),
        Term("other", "其他", "Other"),
    ],
)
"""How a complaint was received (``complaints.channel``)."""
COMPLAINT_STATUSES: Vocabulary[str] = Vocabulary(
    "complaint_status",
    [
        Term("received", "已受理", "Received"),
        Term("verified", "经核实属实", "Verified"),
        Term("unfounded", "经核实不属实", "Unfounded"),
    ],
)
"""Judgement of a complaint (``complaints.status``); received → verified / unfounded."""
