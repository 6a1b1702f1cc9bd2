"""Read side of the workflow in one import (kept for the web layer and tools).

The queries live in one module per resource: leads (:mod:`lantian.leads.queries`), rule
precision (:mod:`lantian.leads.precision`), cases and the ledger
(:mod:`lantian.workflow.case_queries`), the dashboard (:mod:`lantian.workflow.dashboard`),
enterprises (:mod:`lantian.workflow.enterprise_queries`), notices
(:mod:`lantian.workflow.notice_queries`) and spot checks
(:mod:`lantian.workflow.spotcheck_queries`). Every one is restricted by
:mod:`lantian.auth.visibility`.
"""

from __future__ import annotations

from lantian.auth.visibility import IdArray, pg_text_array
from lantian.leads.precision import RulePrecision, rule_precision
from lantian.leads.queries import (
    _COUNTS,
    COUNT_CAP,
    LEAD_SORTS,
    LeadDetail,
    LeadFilters,
    LeadRow,
    Page,
    get_lead,
    list_leads,
)
from lantian.workflow.case_queries import (
    CASE_SORTS,
    CaseDetail,
    CaseFilters,
    CaseRow,
    get_case,
    ledger,
    list_cases,
)
from lantian.workflow.dashboard import Dashboard, dashboard
from lantian.workflow.enterprise_queries import (
    EnterpriseFilters,
    EnterpriseProfile,
    enterprise_profile,
    list_enterprises,
)
from lantian.workflow.notice_queries import list_notices
from lantian.workflow.spotcheck_queries import SpotCheckRow, list_spot_checks

__all__ = [
    "CASE_SORTS",
    "COUNT_CAP",
    "LEAD_SORTS",
    "_COUNTS",
    "CaseDetail",
    "CaseFilters",
    "CaseRow",
    "Dashboard",
    "EnterpriseFilters",
    "EnterpriseProfile",
    "IdArray",
    "LeadDetail",
    "LeadFilters",
    "LeadRow",
    "Page",
    "RulePrecision",
    "SpotCheckRow",
    "dashboard",
    "enterprise_profile",
    "get_case",
    "get_lead",
    "ledger",
    "list_cases",
    "list_enterprises",
    "list_leads",
    "list_notices",
    "list_spot_checks",
    "pg_text_array",
    "rule_precision",
]
