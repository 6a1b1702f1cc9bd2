"""Risk score of an enterprise, explained term by term (a pure function).

The score is the sum of its terms, each rounded to 0.01 point, so the explanation adds up
exactly to the score. Criteria follow the IMPEL risk-assessment approach to planning
inspections (impact of the activity and its size, operator performance / compliance
record, time since the last inspection), adapted to Lantian's data: confirmed and open
leads by family, open cases, 绩效分级, the 正面清单 and self-check results.

References
----------
.. [1] IMPEL, "Guidance Book for Risk Assessment: easyTools" / "Doing the right things"
       step-by-step guidance on planning environmental inspections (criteria: impact,
       operator performance); title cited from memory, not verified here.
.. [2] 重污染天气重点行业应急减排措施制定技术指南（2020年修订版）(绩效分级).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from lantian.supervision.config import RiskWeights
from lantian.supervision.facts import EnterpriseFacts
from lantian.vocab.risk import RISK_TERMS
from lantian.vocab.risk import explain as explain_term


class RiskTerm(NamedTuple):
    """One term of the score: a stable code, its points, its explanation in Chinese and the
    facts it was computed from (``args``: codes and numbers, rendered in any language by
    :func:`lantian.vocab.risk.explain`)."""

    code: str
    points: float
    detail: str
    args: tuple[tuple[str, object], ...] = ()

    def label(self, lang: str = "zh_CN") -> str:
        """The term's name in ``lang`` (from the vocabulary)."""
        return RISK_TERMS.name(self.code, lang)

    def text(self, lang: str = "zh_CN") -> str:
        """The explanation in ``lang`` (``detail`` when the term carries no facts)."""
        return explain_term(self.code, dict(self.args), lang) if self.args else self.detail


@dataclass(frozen=True)
class RiskScore:
    """The score and its terms (``score == sum of points`` up to float rounding)."""

    enterprise_id: str
    score: float
    terms: tuple[RiskTerm, ...]


def _months_between(earlier: dt.date, later: dt.date) -> int:
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if later.day < earlier.day:
        months -= 1
    return max(months, 0)


def risk_score(
    facts: EnterpriseFacts,
    weights: RiskWeights,
    *,
    as_of: dt.date,
    last_visit: dt.date | None,
    explain: bool = True,
) -> RiskScore:
    """Risk score (points) of one enterprise on ``as_of``, with every term explained.

    Parameters
    ----------
    facts
        The enterprise's registry facts, leads, open cases and self-check result.
    weights
        ``[risk]`` of the configuration.
    as_of
        Reference date (the first day of the plan period).
    last_visit
        Date of the last on-site visit of any kind before ``as_of`` (``None``: never).
    explain
        ``False`` leaves the terms' ``detail`` empty (the draw needs only the points,
        which are computed the same way).

    Returns
    -------
    RiskScore
        ``score`` equals the sum of ``terms``' points (each rounded to 0.01).
    """
    w = weights
    n_out = min(facts.outlets, w.size_cap_outlets)
    since = as_of - dt.timedelta(days=round(w.record_months * 30.4375))
    confirmed = [lf for lf in facts.leads if lf.outcome == "confirmed" and since <= lf.end < as_of]
    raw = sum(w.per_confirmed_lead * w.family.get(lf.family, 1.0) for lf in confirmed)
    n_open_leads = sum(1 for lf in facts.leads if lf.outcome is None and lf.open)
    grade_key = facts.grade if facts.grade is not None else "none"
    if last_visit is None:
        months = w.since_visit_cap_months
    else:
        months = min(_months_between(last_visit, as_of), w.since_visit_cap_months)
    share = (
        None
        if facts.self_check_fail_share is None
        else min(max(facts.self_check_fail_share, 0.0), 1.0)
    )
    points: tuple[tuple[str, float], ...] = (
        ("base", w.base),
        ("industry", w.industry[facts.industry]),
        ("size", w.per_outlet * n_out),
        ("confirmed_leads", min(raw, w.confirmed_cap)),
        ("open_leads", min(w.per_open_lead * n_open_leads, w.open_lead_cap)),
        ("open_cases", min(w.per_open_case * facts.open_cases, w.open_case_cap)),
        ("grade", w.grade[grade_key]),
        ("positive_list", w.positive_list if facts.positive_list else 0.0),
        ("since_visit", w.per_month_since_visit * months),
        ("self_check", 0.0 if share is None else w.self_check_fail * share),
    )
    if facts.credit_grade is not None:  # only enterprises with a credit record get the term
        points += (("credit", w.credit.get(facts.credit_grade, 0.0)),)
    if not explain:
        terms = tuple(RiskTerm(code, round(p, 2), "") for code, p in points)
        return RiskScore(facts.enterprise_id, round(sum(t.points for t in terms), 2), terms)
    fams = sorted({lf.family for lf in confirmed})
    args: dict[str, dict[str, object]] = {
        "base": {},
        "industry": {"industry": facts.industry},
        "size": {"outlets": facts.outlets, "per_outlet": w.per_outlet, "cap": w.size_cap_outlets},
        "confirmed_leads": {
            "n": len(confirmed),
            "months": w.record_months,
            "families": tuple(fams),
            "cap": w.confirmed_cap,
        },
        "open_leads": {"n": n_open_leads, "cap": w.open_lead_cap},
        "open_cases": {"n": facts.open_cases, "cap": w.open_case_cap},
        "grade": {"variant": "graded", "grade": facts.grade}
        if facts.grade
        else {"variant": "none"},
        "positive_list": {"variant": "on" if facts.positive_list else "off"},
        "since_visit": {"variant": "never", "months": months}
        if last_visit is None
        else {"variant": "visited", "date": last_visit.isoformat(), "months": months},
        "self_check": {"variant": "none"}
        if share is None
        else {"variant": "share", "share": share},
        "credit": {"credit_grade": facts.credit_grade},
    }
    terms = tuple(
        RiskTerm(
            code,
            round(p, 2),
            explain_term(code, args[code], "zh_CN"),
            tuple(sorted(args[code].items())),
        )
        for code, p in points
    )
    return RiskScore(facts.enterprise_id, round(sum(t.points for t in terms), 2), terms)
