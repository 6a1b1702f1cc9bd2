"""Every vocabulary of the platform, declared once: code, Chinese name, English name, unit.

Pages, PDFs, Excel workbooks, API labels and the database CHECK constraints all read these
modules (``tests/vocab`` checks that each constraint allows exactly its vocabulary):

================  ===========================================================
module            vocabularies
================  ===========================================================
``families``      lead families (问题类型) ``FAMILIES`` (v1, device, clue)
``pollutants``    pollutants/parameters with units: ``name("a21002")`` → 氮氧化物,
                  ``unit("a21002")`` → mg/m³
``leads``         ``SEVERITIES`` (1/2/3 → 低/中/高), outcomes, statuses
``cases``         case states, timeline actions, fix paths, check kinds and answers,
                  attachments, checklists, notice kinds, documents, spot-check results
``registry``      industries, subject kinds, grades, meter roles, station kinds, alerts
``roles``         user roles
``enforcement``   penalty outcomes, leniency kinds, credit events, 信用修复 states
``hazards``       隐患提示函 follow-up states, its document kind
``risk``          risk-score terms (label, explanation in zh and en)
``rules``         rule titles and descriptions (read from the rule catalog)
================  ===========================================================

Use ``vocab.<module>.<VOCAB>.name(code, lang)`` (``lang`` ``zh_CN`` or ``en``; the code
itself when unknown) or the shortcuts ``vocab.pollutants.name/unit/label``,
``vocab.families.name``, ``vocab.leads.severity_name``, ``vocab.rules.title/description``.
"""

from __future__ import annotations

from lantian.vocab import (
    cases,
    enforcement,
    families,
    hazards,
    leads,
    pollutants,
    registry,
    risk,
    roles,
)
from lantian.vocab._base import Term, Vocabulary, is_english

ALL: tuple[Vocabulary[str] | Vocabulary[int], ...] = (
    families.FAMILIES,
    pollutants.POLLUTANTS,
    leads.SEVERITIES,
    leads.OUTCOMES,
    leads.STORED_STATUSES,
    leads.INBOX_STATUSES,
    leads.DETECTION_RUN_STATUSES,
    cases.STATES_VOCAB,
    cases.ACTIONS,
    cases.FIX_PATHS,
    cases.CASE_KINDS,
    cases.LEDGER_STATES,
    cases.CHECK_KINDS,
    cases.CHECK_ANSWERS,
    cases.ATTACHMENT_KINDS,
    cases.CHECKLIST_KINDS,
    cases.NOTICE_KINDS,
    cases.CASE_DOCUMENTS,
    cases.SPOT_CHECK_RESULTS,
    cases.ESCALATION,
    registry.INDUSTRIES,
    registry.SUBJECT_KINDS,
    registry.DEVICE_SUBJECT_KINDS,
    registry.GRADES,
    registry.METER_ROLES,
    registry.STATION_KINDS,
    registry.ALERT_LEVELS,
    registry.MEASURE_ACTIONS,
    registry.HJ212_FLAGS,
    roles.ROLES,
    roles.TOKEN_KINDS,
    enforcement.PENALTY_OUTCOMES,
    enforcement.LENIENCY_KINDS,
    enforcement.CREDIT_EVENT_KINDS,
    enforcement.REPAIR_STATUSES,
    enforcement.REPAIR_CONDITIONS,
    enforcement.CREDIT_GRADES,
    risk.RISK_TERMS,
    hazards.HAZARD_STATES,
    hazards.HAZARD_DOC_KIND,
)
"""Every closed vocabulary (rules are read from the catalog: :mod:`lantian.vocab.rules`)."""

__all__ = [
    "ALL",
    "Term",
    "Vocabulary",
    "cases",
    "enforcement",
    "families",
    "hazards",
    "is_english",
    "leads",
    "pollutants",
    "registry",
    "risk",
    "roles",
]
