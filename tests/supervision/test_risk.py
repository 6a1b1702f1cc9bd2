"""Risk score: the explanation sums to the score; each term moves as its criterion says."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from lantian.supervision.config import load_config
from lantian.supervision.facts import EnterpriseFacts, LeadFact
from lantian.supervision.risk import risk_score
from lantian.supervision.synthetic import synthetic_inputs

AS_OF = dt.date(2026, 12, 1)


@pytest.mark.parametrize("seed", range(10))
def test_terms_sum_exactly_to_the_score(seed: int) -> None:
    cfg = load_config()
    inputs = synthetic_inputs(seed, enterprises=200)
    for i, ent in enumerate(inputs.enterprises):
        last = None if i % 3 == 0 else AS_OF - dt.timedelta(days=17 * i)
        rs = risk_score(ent, cfg.risk, as_of=AS_OF, last_visit=last)
        assert rs.score == pytest.approx(sum(t.points for t in rs.terms), abs=1e-9)
        assert all(t.detail for t in rs.terms)
        fast = risk_score(ent, cfg.risk, as_of=AS_OF, last_visit=last, explain=False)
        assert [t.points for t in fast.terms] == [t.points for t in rs.terms]
        assert fast.score == rs.score


def _plain() -> EnterpriseFacts:
    return EnterpriseFacts("E1", "steel", "C", "D", "C", False, 3)


def test_each_criterion_moves_its_term() -> None:
    w = load_config().risk
    base = risk_score(_plain(), w, as_of=AS_OF, last_visit=AS_OF - dt.timedelta(days=40))
    terms = {t.code: t.points for t in base.terms}
    assert terms["industry"] == w.industry["steel"]
    assert terms["size"] == 3 * w.per_outlet
    assert terms["since_visit"] == w.per_month_since_visit * 1
    lead = LeadFact("DATA_REWRITE", AS_OF - dt.timedelta(days=10), False, "confirmed")
    with_lead = risk_score(
        dataclasses.replace(_plain(), leads=(lead,)),
        w,
        as_of=AS_OF,
        last_visit=AS_OF - dt.timedelta(days=40),
    )
    assert with_lead.score - base.score == pytest.approx(
        w.per_confirmed_lead * w.family["DATA_REWRITE"]
    )
    listed = risk_score(
        dataclasses.replace(_plain(), positive_list=True, grade="A"),
        w,
        as_of=AS_OF,
        last_visit=AS_OF - dt.timedelta(days=40),
    )
    assert listed.score - base.score == pytest.approx(w.positive_list + w.grade["A"] - w.grade["C"])
    never = risk_score(_plain(), w, as_of=AS_OF, last_visit=None)
    assert {t.code: t.points for t in never.terms}["since_visit"] == (
        w.per_month_since_visit * w.since_visit_cap_months
    )
    old_lead = dataclasses.replace(lead, end=AS_OF - dt.timedelta(days=800))
    stale = risk_score(
        dataclasses.replace(_plain(), leads=(old_lead,)),
        w,
        as_of=AS_OF,
        last_visit=AS_OF - dt.timedelta(days=40),
    )
    assert stale.score == base.score
