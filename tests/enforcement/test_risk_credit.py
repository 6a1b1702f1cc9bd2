"""The credit grade feeds the supervision risk score (a term only with a credit record)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from lantian.enforcement.queries import GRADE_LABELS
from lantian.supervision.config import load_config
from lantian.supervision.facts import EnterpriseFacts, PlanInputs, facts_json
from lantian.supervision.risk import risk_score

BASE = EnterpriseFacts("E1", "steel", "甲市", "一区", "B", False, 2)
W = load_config().risk
DAY = dt.date(2026, 12, 1)


def test_no_credit_record_no_term_and_same_inputs() -> None:
    s = risk_score(BASE, W, as_of=DAY, last_visit=None)
    assert "credit" not in {t.code for t in s.terms}
    inputs = PlanInputs("2026-12", None, (BASE,), ())
    assert "credit_grade" not in facts_json(inputs)["enterprises"][0]


def test_credit_grade_adds_its_points() -> None:
    base = risk_score(BASE, W, as_of=DAY, last_visit=None).score
    for grade, pts in W.credit.items():
        s = risk_score(replace(BASE, credit_grade=grade), W, as_of=DAY, last_visit=None)
        term = next(t for t in s.terms if t.code == "credit")
        assert term.points == pts and dict(term.args)["credit_grade"] == grade
        assert GRADE_LABELS[grade][0] in term.detail
        assert abs(s.score - (base + pts)) < 1e-9
    assert W.credit["red"] > W.credit["green"]
