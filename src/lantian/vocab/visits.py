"""Vocabularies of the visit register (行政检查): visit kinds, approval states, 帮扶 services.

References
----------
.. [1] 国办发〔2024〕54号 国务院办公厅关于严格规范涉企行政检查的意见 (every on-site
       inspection approved beforehand and counted under the published yearly cap; 帮扶 and
       督导 visits may not be disguised inspections; campaigns ordered from above tallied
       separately).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

VISIT_KINDS: Vocabulary[str] = Vocabulary(
    "visit_kind",
    [
        Term("plan", "双随机检查", "Routine (random) inspection"),
        Term("lead_check", "线索核查", "Lead check"),
        Term("assistance", "帮扶服务", "Assistance visit"),
        Term("supervision", "督导检查", "Supervision visit"),
    ],
)
"""Why an on-site visit takes place (``inspection_visits.kind``)."""
VISIT_STATUSES: Vocabulary[str] = Vocabulary(
    "visit_status",
    [
        Term("pending", "待审批", "Awaiting approval"),
        Term("approved", "已批准", "Approved"),
        Term("rejected", "未批准", "Rejected"),
        Term("done", "已检查", "Visited"),
        Term("cancelled", "已撤销", "Cancelled"),
    ],
)
"""Approval state of a visit (``inspection_visits.status``)."""
SERVICE_KINDS: Vocabulary[str] = Vocabulary(
    "service_kind",
    [
        Term("diagnosis", "把脉问诊", "Diagnosis visit"),
        Term("checkup", "环保体检", "Environmental check-up"),
    ],
)
"""The 帮扶 service of an assistance visit (``inspection_visits.service_kind``)."""
