"""Every vocabulary has zh and en for each code, and every CHECK constraint of the
database allows exactly the codes of its vocabulary."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import CheckConstraint

import lantian.db.models  # noqa: F401  (registers every table)
import lantian.vocab.consultation as consultation
from lantian import vocab
from lantian.db.base import Base
from lantian.vocab import (
    cases,
    dispatching,
    enforcement,
    families,
    hazards,
    leads,
    pollutants,
    registry,
    roles,
    supervision,
)
from lantian.vocab import complaints as complaints_vocab
from lantian.vocab import notify as notify_vocab
from lantian.vocab import qc as qc_vocab
from lantian.vocab import reports as reports_vocab
from lantian.vocab import rules as rules_vocab
from lantian.vocab import selfchecks as selfchecks_vocab
from lantian.vocab import training as training_vocab
from lantian.vocab import visits as visits_vocab

CONSTRAINT_VOCAB: dict[tuple[str, str], vocab.Vocabulary[str] | vocab.Vocabulary[int]] = {
    ("alerts", "level"): registry.ALERT_LEVELS,
    ("measures", "level"): registry.ALERT_LEVELS,
    ("measures", "action"): registry.MEASURE_ACTIONS,
    ("meters", "role"): registry.METER_ROLES,
    ("stations", "kind"): registry.STATION_KINDS,
    ("enterprises", "industry"): registry.INDUSTRIES,
    ("enterprises", "grade"): registry.GRADES,
    ("data_rewrites", "subject_type"): registry.DEVICE_SUBJECT_KINDS,
    ("detection_runs", "status"): leads.DETECTION_RUN_STATUSES,
    ("leads", "subject_type"): registry.SUBJECT_KINDS,
    ("leads", "family"): families.FAMILIES,
    ("leads", "outcome"): leads.OUTCOMES,
    ("leads", "status"): leads.STORED_STATUSES,
    ("leads", "severity"): leads.SEVERITIES,
    ("users", "role"): roles.ROLES,
    ("auth_tokens", "kind"): roles.TOKEN_KINDS,
    ("cases", "status"): cases.STATES_VOCAB,
    ("cases", "kind"): cases.CASE_KINDS,
    ("cases", "check_mode"): cases.CHECK_KINDS,
    ("cases", "fix_path"): cases.FIX_PATHS,
    ("cases", "escalation_level"): cases.ESCALATION,
    ("supervision_tasks", "level"): dispatching.TASK_LEVELS,
    ("supervision_tasks", "status"): dispatching.TASK_STATES,
    ("case_meetings", "kind"): dispatching.MEETING_KINDS,
    ("archived_reports", "kind"): reports_vocab.REPORT_KINDS,
    ("qc_commands", "status"): qc_vocab.QC_COMMAND_STATES,
    ("qc_commands", "check_kind"): qc_vocab.QC_CHECKS,
    ("check_records", "kind"): cases.CHECK_KINDS,
    ("checklist_templates", "kind"): cases.CHECKLIST_KINDS,
    ("notices", "kind"): cases.NOTICE_KINDS,
    ("spot_checks", "result"): cases.SPOT_CHECK_RESULTS,
    ("attachments", "kind"): cases.ATTACHMENT_KINDS,
    ("penalty_assessments", "outcome"): enforcement.PENALTY_OUTCOMES,
    ("penalty_decisions", "outcome"): enforcement.PENALTY_OUTCOMES,
    ("leniency_records", "kind"): enforcement.LENIENCY_KINDS,
    ("credit_events", "kind"): enforcement.CREDIT_EVENT_KINDS,
    ("credit_repairs", "status"): enforcement.REPAIR_STATUSES,
    ("self_checks", "status"): selfchecks_vocab.SELF_CHECK_STATUSES,
    ("self_checks", "origin"): selfchecks_vocab.SELF_CHECK_ORIGINS,
    ("self_check_findings", "status"): selfchecks_vocab.FINDING_STATUSES,
    ("notifications", "channel"): notify_vocab.CHANNELS,
    ("notifications", "event"): notify_vocab.EVENTS,
    ("notifications", "status"): notify_vocab.STATUSES,
    ("questions", "escalation_level"): consultation.QUESTION_ESCALATION,
    ("questions", "rating"): consultation.RATINGS,
    ("survey_invitations", "kind"): consultation.SURVEY_KINDS,
    ("survey_responses", "kind"): consultation.SURVEY_KINDS,
    ("positive_list_decisions", "action"): supervision.POSITIVE_LIST_ACTIONS,
    ("positive_list_decisions", "source"): supervision.POSITIVE_LIST_SOURCES,
    ("positive_list_proposals", "change"): supervision.PROPOSAL_CHANGES,
    ("positive_list_proposals", "status"): supervision.PROPOSAL_STATUSES,
    ("grade_records", "grade"): registry.GRADES,
    ("grade_records", "evidence_kind"): supervision.GRADE_EVIDENCE_KINDS,
    ("grade_applications", "target_grade"): registry.GRADES,
    ("grade_applications", "status"): supervision.GRADE_APPLICATION_STATUSES,
    ("grade_application_steps", "step"): supervision.GRADE_STEPS,
    ("grade_application_steps", "result"): supervision.STEP_RESULTS,
    ("inspection_visits", "kind"): visits_vocab.VISIT_KINDS,
    ("inspection_visits", "status"): visits_vocab.VISIT_STATUSES,
    ("inspection_visits", "service_kind"): visits_vocab.SERVICE_KINDS,
    ("training_questions", "kind"): training_vocab.QUESTION_KINDS,
    ("training_registrations", "attendance_by"): training_vocab.ATTENDANCE_METHODS,
    ("hazard_notices", "status"): hazards.HAZARD_STATES,
    ("complaints", "channel"): complaints_vocab.COMPLAINT_CHANNELS,
    ("complaints", "status"): complaints_vocab.COMPLAINT_STATUSES,
}
_IN = re.compile(r"(\w+) IN \(([^)]*)\)")
_BETWEEN = re.compile(r"(\w+) BETWEEN (-?\d+) AND (-?\d+)")


def closed_sets() -> dict[tuple[str, str], set[object]]:
    """(table, column) → allowed values, for every ``IN``/``BETWEEN`` CHECK constraint."""
    out: dict[tuple[str, str], set[object]] = {}
    for table in Base.metadata.sorted_tables:
        for c in table.constraints:
            if not isinstance(c, CheckConstraint):
                continue
            sql = str(c.sqltext)
            for m in _IN.finditer(sql):
                values = {v.strip().strip("'") for v in m.group(2).split(",")}
                out[(table.name, m.group(1))] = set(values)
            for m in _BETWEEN.finditer(sql):
                lo, hi = int(m.group(2)), int(m.group(3))
                out[(table.name, m.group(1))] = set(range(lo, hi + 1))
    return out


def test_every_closed_check_constraint_has_a_vocabulary() -> None:
    found = closed_sets()
    assert found, "no CHECK constraints found"
    missing = sorted(set(found) - set(CONSTRAINT_VOCAB))
    assert not missing, f"CHECK constraints without a vocabulary in lantian.vocab: {missing}"


@pytest.mark.parametrize("key", sorted(CONSTRAINT_VOCAB))
def test_check_constraint_allows_exactly_its_vocabulary(key: tuple[str, str]) -> None:
    allowed = closed_sets().get(key)
    assert allowed is not None, f"{key} has no CHECK constraint any more"
    assert allowed == set(CONSTRAINT_VOCAB[key].codes()), key


@pytest.mark.parametrize("voc", vocab.ALL, ids=lambda v: v.key)
def test_every_entry_has_chinese_and_english(voc: vocab.Vocabulary[str]) -> None:
    assert len(voc) > 0
    for term in voc:
        assert term.zh.strip() and re.search(r"[\u4e00-\u9fff]", term.zh), (voc.key, term)
        assert term.en.strip() and term.en.isascii(), (voc.key, term)
        assert voc.name(term.code, "zh_CN") == term.zh
        assert voc.name(term.code, "en") == term.en


def test_rules_have_titles_and_descriptions_in_both_languages() -> None:
    texts = rules_vocab.texts()
    from lantian.rules.catalog import all_rules

    assert set(all_rules()) <= set(texts)
    for code, t in texts.items():
        for zh in (t.title_zh, t.description_zh):
            assert re.search(r"[\u4e00-\u9fff]", zh), code
        for en in (t.title_en, t.description_en):
            assert en.strip() and not re.search(r"[\u4e00-\u9fff]", en), code


def test_pollutants_have_names_and_units() -> None:
    assert pollutants.name("a21002") == "氮氧化物"
    assert pollutants.unit("a21002") == "mg/m³"
    assert pollutants.label("a21002") == "氮氧化物 (mg/m³)"
    assert pollutants.name("a21002", "en") == "NOx"
    assert pollutants.unit("PM2.5") == "µg/m³"
    # codes outside the platform's own list come from the HJ 212 factor table
    assert pollutants.name("a24088") == "非甲烷总烃"
    assert pollutants.unit("a24088") == "mg/m³"
    assert pollutants.name("x99999") == "x99999" and pollutants.name(None) == ""


def test_one_name_per_lead_family_everywhere() -> None:
    from lantian.documents.pdf import FAMILY_LABELS_ZH
    from lantian.web.labels import FAMILY_LABELS
    from lantian.web.templating import translated_labels

    zh = translated_labels("zh_CN").family
    for code in FAMILY_LABELS:
        assert zh[code] == families.name(code)
    for code, name in FAMILY_LABELS_ZH.items():
        assert name == families.name(code), code
    assert families.name("PINNED") == "数据压线"


def test_severities_are_low_medium_high() -> None:
    assert [leads.severity_name(n) for n in (1, 2, 3)] == ["低", "中", "高"]
    assert leads.severity_name("2", "en") == "Medium"


def test_a_vocabulary_rejects_duplicates_and_missing_names() -> None:
    with pytest.raises(ValueError, match="twice"):
        vocab.Vocabulary("x", [vocab.Term("a", "甲", "A"), vocab.Term("a", "乙", "B")])
    with pytest.raises(ValueError, match="zh and en"):
        vocab.Vocabulary("x", [vocab.Term("a", "", "A")])


def test_web_labels_answer_in_the_request_language() -> None:
    from lantian.web import labels
    from lantian.web.deps import current_language

    token = current_language.set("en")
    try:
        assert labels.label(labels.FAMILY_LABELS, "PINNED") == "Pinned under the limit"
        assert labels.label(labels.CHECK_ANSWER_LABELS, "problem") == "Problem"
    finally:
        current_language.reset(token)
    assert labels.label(labels.FAMILY_LABELS, "PINNED") == "数据压线"
    assert labels.label(labels.SEVERITY_LABELS, 3) == "高"
    assert labels.label(labels.POLLUTANT_LABELS, "a21002") == "氮氧化物"
    assert labels.label(labels.ACTION_LABELS, "record_check") == "记录核查"
    assert labels.label(labels.CHECK_ANSWER_LABELS, "ok") == "正常"
    merged = labels.LEAD_STATUS_LABELS | labels.CASE_STATUS_LABELS
    assert labels.label(merged, "confirmed") == "问题属实"
    assert labels.label(merged, "closed") == "已销号"
    assert labels.label(labels.FAMILY_LABELS, "NEW_FAMILY") == "NEW_FAMILY"
    assert labels.label(labels.FAMILY_LABELS, None) == ""
