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
``selfchecks``    self-check answers, statuses, origins; self-check finding statuses
``notify``        notification channels, events and delivery states
``consultation``  question states and timeliness, ratings, survey kinds, team kinds,
                  score normalisations
``supervision``   正面清单 actions/sources/proposals, 绩效分级 evidence, 创A升B steps
``visits``        visit kinds, visit approval states, 帮扶 service kinds
``training``      exam question kinds, attendance methods
``hazards``       隐患提示函 follow-up states, its document kind
``complaints``    信访投诉 channels and judgement statuses
``dispatching``   escalation task states, 约谈/通报 kinds and their documents
``reports``       periodic report kinds
``qc``            remote quality-control command states and checks
``risk``          risk-score terms (label, explanation in zh and en)
``disclosure``    public case outcomes and publishable case fields (信息公开)
``rules``         rule titles and descriptions (read from the rule catalog)
================  ===========================================================

Use ``vocab.<module>.<VOCAB>.name(code, lang)`` (``lang`` ``zh_CN`` or ``en``; the code
itself when unknown) or the shortcuts ``vocab.pollutants.name/unit/label``,
``vocab.families.name``, ``vocab.leads.severity_name``, ``vocab.rules.title/description``.
"""

from __future__ import annotations

import lantian.vocab.consultation as consultation
from lantian.vocab import (
    cases,
    complaints,
    disclosure,
    dispatching,
    enforcement,
    families,
    hazards,
    leads,
    notify,
    pollutants,
    qc,
    registry,
    reports,
    risk,
    roles,
    selfchecks,
    supervision,
    training,
)
from lantian.vocab import visits as visits_vocab
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
    disclosure.OUTCOMES,
    disclosure.CASE_FIELDS,
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
    selfchecks.SELF_CHECK_ANSWERS,
    selfchecks.SELF_CHECK_STATUSES,
    selfchecks.SELF_CHECK_ORIGINS,
    selfchecks.FINDING_STATUSES,
    notify.CHANNELS,
    notify.EVENTS,
    notify.STATUSES,
    consultation.QUESTION_STATES,
    consultation.QUESTION_TIMELINESS,
    consultation.QUESTION_ESCALATION,
    consultation.RATINGS,
    consultation.SURVEY_KINDS,
    consultation.TEAM_KINDS,
    consultation.NORMALISATIONS,
    supervision.POSITIVE_LIST_ACTIONS,
    supervision.POSITIVE_LIST_SOURCES,
    supervision.PROPOSAL_CHANGES,
    supervision.PROPOSAL_STATUSES,
    supervision.GRADE_EVIDENCE_KINDS,
    supervision.GRADE_APPLICATION_STATUSES,
    supervision.GRADE_STEPS,
    supervision.STEP_RESULTS,
    visits_vocab.VISIT_KINDS,
    visits_vocab.VISIT_STATUSES,
    visits_vocab.SERVICE_KINDS,
    training.QUESTION_KINDS,
    training.ATTENDANCE_METHODS,
    enforcement.REPAIR_CONDITIONS,
    enforcement.CREDIT_GRADES,
    risk.RISK_TERMS,
    hazards.HAZARD_STATES,
    hazards.HAZARD_DOC_KIND,
    complaints.COMPLAINT_CHANNELS,
    complaints.COMPLAINT_STATUSES,
    dispatching.TASK_LEVELS,
    dispatching.TASK_STATES,
    dispatching.MEETING_KINDS,
    dispatching.MEETING_DOCUMENTS,
    reports.REPORT_KINDS,
    qc.QC_COMMAND_STATES,
    qc.QC_CHECKS,
)
"""Every closed vocabulary (rules are read from the catalog: :mod:`lantian.vocab.rules`)."""

__all__ = [
    "ALL",
    "Term",
    "Vocabulary",
    "cases",
    "complaints",
    "consultation",
    "dispatching",
    "enforcement",
    "families",
    "hazards",
    "is_english",
    "leads",
    "notify",
    "pollutants",
    "qc",
    "registry",
    "reports",
    "risk",
    "roles",
    "selfchecks",
    "supervision",
    "training",
]
