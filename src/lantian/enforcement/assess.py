"""Pure penalty assessment: case facts + a penalty set → outcome, amount, reasons.

The order of the tests follows the law: 无主观过错 (行政处罚法 §33 ¶2, 不予处罚), the
轻微违法行为免罚清单 (§33 ¶1 first sentence, 不予处罚 — 应当), the 首违不罚 list (§33 ¶1
second sentence, 可以不予处罚 — discretionary); otherwise a fine chosen in the band of the
legal range the outcome gives (从轻, 减轻 below the legal minimum where the law allows it,
一般, 从重; 行政处罚法 §32, §34, 环执法〔2019〕42号), then 学法减罚 and 道歉承诺 reductions
that never go below the legal minimum (or, for 减轻, the 减轻 floor), and 按日连续处罚 for a
refusal to correct (环境保护法 §59). Every condition tested is a reason
``{clause, fact, met}``, met or not.

References
----------
.. [1] 中华人民共和国行政处罚法 (2021 修订) §32, §33, §34.
.. [2] 生态环境部 环执法〔2019〕42号 关于进一步规范适用环境行政处罚自由裁量权的指导意见
       (method: factors, levels, bands; unverified summary).
.. [3] 中华人民共和国环境保护法 (2014) §59.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lantian.auth.errors import ValidationError
from lantian.enforcement.config import (
    HARM_LEVELS,
    Circumstance,
    LeniencyEntry,
    PenaltySet,
    ViolationType,
)
from lantian.vocab.enforcement import PENALTY_OUTCOMES

OUTCOMES: tuple[str, ...] = PENALTY_OUTCOMES.codes()
OUTCOME_LABELS: dict[str, tuple[str, str]] = {t.code: (t.zh, t.en) for t in PENALTY_OUTCOMES}
HARM_LABELS: dict[str, str] = {
    "none": "无危害后果",
    "slight": "危害后果轻微",
    "serious": "危害后果严重",
}

CLAUSE_NO_FAULT = "行政处罚法第三十三条第二款（无主观过错，不予处罚）"
CLAUSE_MINOR = "行政处罚法第三十三条第一款（违法行为轻微并及时改正，没有造成危害后果，不予处罚）"
CLAUSE_FIRST = "行政处罚法第三十三条第一款（初次违法且危害后果轻微并及时改正，可以不予处罚）"
CLAUSE_LIGHTER = "行政处罚法第三十二条（从轻或者减轻处罚）"
CLAUSE_DAILY = "环境保护法第五十九条（拒不改正的，按原处罚数额按日连续处罚）"
CLAUSE_EDUCATION = "行政处罚法第三十三条第三款（对不予处罚的当事人进行教育）"

FACT_FIELDS: tuple[str, ...] = (
    "violation",
    "first_offence",
    "harm",
    "corrected_in_time",
    "days_to_correct",
    "no_fault_proven",
    "mitigating",
    "aggravating",
    "law_study_passed",
    "apology_approved",
    "refused_correction",
    "days_refused",
    "factors",
    "claimed_outcome",
    "amount",
)
"""Every field FACTS.json may have (docs/PENALTY.md); any other is an error."""


FactsError = ValidationError
"""Bad or contradictory facts; ``field`` names the fact at fault (the web answers 422)."""


@dataclass(frozen=True)
class Facts:
    """The facts of a confirmed case, as the officer recorded them (FACTS.json)."""

    violation: str
    first_offence: bool
    harm: str
    corrected_in_time: bool
    days_to_correct: int | None = None
    no_fault_proven: bool = False
    mitigating: tuple[str, ...] = ()
    aggravating: tuple[str, ...] = ()
    law_study_passed: bool = False
    apology_approved: bool = False
    refused_correction: bool = False
    days_refused: int = 0
    factors: Mapping[str, str] = field(default_factory=dict)
    claimed_outcome: str | None = None
    amount: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "violation": self.violation,
            "first_offence": self.first_offence,
            "harm": self.harm,
            "corrected_in_time": self.corrected_in_time,
            "days_to_correct": self.days_to_correct,
            "no_fault_proven": self.no_fault_proven,
            "mitigating": list(self.mitigating),
            "aggravating": list(self.aggravating),
            "law_study_passed": self.law_study_passed,
            "apology_approved": self.apology_approved,
            "refused_correction": self.refused_correction,
            "days_refused": self.days_refused,
            "factors": dict(self.factors),
            "claimed_outcome": self.claimed_outcome,
            "amount": self.amount,
        }


def _bool(data: Mapping[str, Any], key: str, default: bool | None = None) -> bool:
    if key not in data or data[key] is None:
        if default is None:
            raise FactsError(f"{key}: missing (true or false)", field=key)
        return default
    v = data[key]
    if not isinstance(v, bool):
        raise FactsError(f"{key}: must be true or false, got {v!r}", field=key)
    return v


def _int(data: Mapping[str, Any], key: str) -> int | None:
    v = data.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise FactsError(f"{key}: must be a whole number >= 0, got {v!r}", field=key)
    return v


def _codes(data: Mapping[str, Any], key: str, known: Iterable[str]) -> tuple[str, ...]:
    v = data.get(key) or []
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise FactsError(f"{key}: must be a list of codes, got {v!r}", field=key)
    allowed = list(known)
    bad = [x for x in v if x not in allowed]
    if bad:
        raise FactsError(f"{key}: unknown code(s) {bad}; allowed: {', '.join(allowed)}", field=key)
    if len(set(v)) != len(v):
        raise FactsError(f"{key}: a code is listed twice", field=key)
    return tuple(v)


def parse_facts(data: Any, pset: PenaltySet, *, first_offence: bool | None = None) -> Facts:
    """Validate a FACTS.json mapping against the set's lists.

    ``first_offence`` (computed from the enterprise's history) fills the field when the
    mapping does not give it.

    Raises
    ------
    FactsError
        Naming the field: unknown field or code, wrong type, contradictory facts.
    """
    if not isinstance(data, Mapping):
        raise FactsError("facts must be a JSON object", field=None)
    unknown = sorted(set(data) - set(FACT_FIELDS))
    if unknown:
        raise FactsError(
            f"{unknown[0]}: unknown field; allowed: {', '.join(FACT_FIELDS)}", field=unknown[0]
        )
    code = data.get("violation")
    if not isinstance(code, str) or not code:
        raise FactsError(
            "violation: missing (a code from `lantian penalty violations`)", field="violation"
        )
    try:
        pset.violation(code)
    except KeyError:
        raise FactsError(
            f"violation: unknown code {code!r}; known: "
            + ", ".join(v.code for v in pset.violations),
            field="violation",
        ) from None
    harm = data.get("harm")
    if harm not in HARM_LEVELS:
        raise FactsError(
            f"harm: must be one of {', '.join(HARM_LEVELS)}, got {harm!r}", field="harm"
        )
    if data.get("first_offence") is None and first_offence is not None:
        first = first_offence
    else:
        first = _bool(data, "first_offence")
    factors_raw = data.get("factors") or {}
    if not isinstance(factors_raw, Mapping):
        raise FactsError("factors: must be an object {factor: level}", field="factors")
    factors: dict[str, str] = {}
    by_code = {f.code: f for f in pset.discretion.factors}
    for k, lv in factors_raw.items():
        f = by_code.get(k)
        if f is None:
            raise FactsError(
                f"factors.{k}: unknown factor; known: {', '.join(by_code)}", field=f"factors.{k}"
            )
        if f.from_fact is not None:
            raise FactsError(
                f"factors.{k}: set from the fact {f.from_fact!r}, not given", field=f"factors.{k}"
            )
        if lv not in {x.code for x in f.levels}:
            raise FactsError(
                f"factors.{k}: unknown level {lv!r}; levels: "
                + ", ".join(x.code for x in f.levels),
                field=f"factors.{k}",
            )
        factors[k] = lv
    claimed = data.get("claimed_outcome")
    if claimed is not None and claimed not in OUTCOMES:
        raise FactsError(
            f"claimed_outcome: must be one of {', '.join(OUTCOMES)}, got {claimed!r}",
            field="claimed_outcome",
        )
    facts = Facts(
        violation=code,
        first_offence=first,
        harm=harm,
        corrected_in_time=_bool(data, "corrected_in_time"),
        days_to_correct=_int(data, "days_to_correct"),
        no_fault_proven=_bool(data, "no_fault_proven", False),
        mitigating=_codes(data, "mitigating", (c.code for c in pset.mitigating)),
        aggravating=_codes(data, "aggravating", (c.code for c in pset.aggravating)),
        law_study_passed=_bool(data, "law_study_passed", False),
        apology_approved=_bool(data, "apology_approved", False),
        refused_correction=_bool(data, "refused_correction", False),
        days_refused=_int(data, "days_refused") or 0,
        factors=factors,
        claimed_outcome=claimed,
        amount=_int(data, "amount"),
    )
    if facts.refused_correction and facts.corrected_in_time:
        raise FactsError(
            "refused_correction: contradicts corrected_in_time = true", field="refused_correction"
        )
    if facts.days_refused and not facts.refused_correction:
        raise FactsError(
            "days_refused: given without refused_correction = true", field="days_refused"
        )
    if facts.days_to_correct is not None and not facts.corrected_in_time:
        raise FactsError(
            "days_to_correct: given while corrected_in_time = false", field="days_to_correct"
        )
    return facts


@dataclass(frozen=True)
class Reason:
    """One condition tested: the clause, the fact that decided it, met or not."""

    clause: str
    fact: str
    met: bool

    def as_dict(self) -> dict[str, Any]:
        return {"clause": self.clause, "fact": self.fact, "met": self.met}


@dataclass(frozen=True)
class Assessment:
    """The result of :func:`assess` (JSON via :meth:`as_dict`)."""

    outcome: str
    discretionary: bool
    amount: int | None
    range: tuple[int, int] | None
    reasons: tuple[Reason, ...]
    violation: ViolationType
    list_entry: str | None
    amount_before_reductions: int | None
    reductions: tuple[dict[str, Any], ...]
    daily_penalty: dict[str, int] | None
    set_version: str
    set_province: str

    def as_dict(self) -> dict[str, Any]:
        v = self.violation
        return {
            "outcome": self.outcome,
            "outcome_zh": OUTCOME_LABELS[self.outcome][0],
            "discretionary": self.discretionary,
            "amount": self.amount,
            "range": list(self.range) if self.range is not None else None,
            "reasons": [r.as_dict() for r in self.reasons],
            "violation": v.code,
            "violation_name": v.name_zh,
            "law": v.law,
            "article": v.article,
            "legal_min": v.legal_min,
            "legal_max": v.legal_max,
            "list_entry": self.list_entry,
            "amount_before_reductions": self.amount_before_reductions,
            "reductions": list(self.reductions),
            "daily_penalty": self.daily_penalty,
            "penalty_set": {"province": self.set_province, "version": self.set_version},
        }


def _harm_le(harm: str, limit: str) -> bool:
    return HARM_LEVELS.index(harm) <= HARM_LEVELS.index(limit)


def _list_reasons(
    entry: LeniencyEntry, facts: Facts, clause: str, *, first: bool, excl: bool
) -> list[Reason]:
    tag = f"{entry.code}（{entry.source}）{clause}"
    out: list[Reason] = []
    if first:
        out.append(
            Reason(
                tag,
                f"first_offence = {str(facts.first_offence).lower()}（初次违法）",
                facts.first_offence,
            )
        )
    out.append(
        Reason(
            tag,
            f"harm = {facts.harm}（{HARM_LABELS[facts.harm]}；清单上限 {entry.max_harm}）",
            _harm_le(facts.harm, entry.max_harm),
        )
    )
    out.append(
        Reason(
            tag,
            f"corrected_in_time = {str(facts.corrected_in_time).lower()}（及时改正）",
            facts.corrected_in_time,
        )
    )
    if entry.max_days_to_correct is not None and facts.days_to_correct is not None:
        out.append(
            Reason(
                tag,
                f"days_to_correct = {facts.days_to_correct}"
                f"（清单限 {entry.max_days_to_correct} 日）",
                facts.days_to_correct <= entry.max_days_to_correct,
            )
        )
    if excl:
        out.append(
            Reason(
                tag,
                "aggravating = [" + ", ".join(facts.aggravating) + "]（无从重情节）",
                not facts.aggravating,
            )
        )
    return out


def _position(pset: PenaltySet, facts: Facts) -> tuple[float, str]:
    parts: list[str] = []
    total = 0.0
    for f in pset.discretion.factors:
        code = facts.harm if f.from_fact == "harm" else facts.factors.get(f.code, f.default)
        lv = f.level(code)
        total += f.weight * lv.score
        parts.append(f"{f.name_zh} {lv.name_zh}（{lv.score:g}×{f.weight:g}）")
    return min(max(total, 0.0), 1.0), "；".join(parts)


def _round_in(value: float, lo: int, hi: int, step: int) -> int:
    r = math.floor(value / step + 0.5) * step
    return min(max(r, lo), hi)


def amount_range(pset: PenaltySet, v: ViolationType, outcome: str) -> tuple[int, int]:
    """The part of the legal range (yuan) an outcome's amount is chosen in.

    ``mitigated`` (减轻) lies below the legal minimum, down to
    ``legal_min × mitigated_floor_ratio``; the others are bands of [legal_min, legal_max].
    """
    d = pset.discretion
    if outcome == "mitigated":
        return math.ceil(v.legal_min * d.mitigated_floor_ratio), v.legal_min
    band = {"lighter": d.lighter_band, "standard": d.standard_band, "heavier": d.heavier_band}[
        outcome
    ]
    span = v.legal_max - v.legal_min
    return (
        math.ceil(v.legal_min + span * band[0]),
        math.floor(v.legal_min + span * band[1]),
    )


def _penalty_outcome(
    pset: PenaltySet, v: ViolationType, facts: Facts, reasons: list[Reason]
) -> tuple[str, bool]:
    mit = [c for c in pset.mitigating if c.code in facts.mitigating]
    agg = [c for c in pset.aggravating if c.code in facts.aggravating]
    for c in mit:
        effect = c.effect
        if effect == "mitigated" and not v.mitigation_allowed:
            reasons.append(
                Reason(c.clause, f"{c.code} {c.name_zh}：本违法行为不适用减轻，按从轻", True)
            )
        else:
            word = "减轻" if effect == "mitigated" else "从轻"
            modal = "应当" if c.mandatory else "可以"
            reasons.append(Reason(c.clause, f"{c.code} {c.name_zh}（{modal}{word}）", True))
    for c in agg:
        modal = "应当" if c.mandatory else "可以"
        reasons.append(Reason(c.clause, f"{c.code} {c.name_zh}（{modal}从重）", True))

    def strongest(cs: list[Circumstance]) -> str:
        if any(c.effect == "mitigated" and v.mitigation_allowed for c in cs):
            return "mitigated"
        return "lighter"

    mand_mit = [c for c in mit if c.mandatory]
    mand_agg = [c for c in agg if c.mandatory]
    if mit and agg:
        if mand_mit and not mand_agg:
            reasons.append(
                Reason(CLAUSE_LIGHTER, "法定（应当）从轻减轻情节优先于裁量从重情节", True)
            )
            return strongest(mand_mit), False
        if mand_agg and not mand_mit:
            reasons.append(Reason(pset.discretion.clause, "应当从重情节优先于可以从轻情节", True))
            return "heavier", False
        reasons.append(
            Reason(pset.discretion.clause, "从轻与从重情节并存，综合裁量按一般处罚", True)
        )
        return "standard", False
    if mit:
        return strongest(mit), not mand_mit
    if agg:
        return "heavier", not mand_agg
    reasons.append(
        Reason(
            pset.discretion.clause,
            "无从轻、减轻或从重情节（mitigating = [], aggravating = []）",
            True,
        )
    )
    return "standard", False


def assess(facts: Facts, pset: PenaltySet) -> Assessment:
    """Assess validated ``facts`` under ``pset``.

    Raises
    ------
    FactsError
        ``claimed_outcome`` differs from the outcome the facts support, or ``amount`` lies
        outside the range the law allows for the outcome.
    """
    v = pset.violation(facts.violation)
    reasons: list[Reason] = []
    outcome: str | None = None
    discretionary = False
    entry_code: str | None = None
    excl = pset.aggravating_excludes_leniency

    reasons.append(
        Reason(
            CLAUSE_NO_FAULT,
            f"no_fault_proven = {str(facts.no_fault_proven).lower()}（有证据足以证明没有主观过错）",
            facts.no_fault_proven,
        )
    )
    if facts.no_fault_proven:
        outcome = "no_penalty"

    if outcome is None:
        entries = [e for e in pset.no_penalty if e.violation == v.code]
        if not entries:
            reasons.append(Reason(CLAUSE_MINOR, f"{v.code} 不在轻微违法行为免罚清单中", False))
        for e in entries:
            rs = _list_reasons(e, facts, CLAUSE_MINOR, first=False, excl=excl)
            reasons.extend(rs)
            if all(r.met for r in rs):
                outcome, entry_code = "no_penalty", e.code
                break

    if outcome is None:
        entries = [e for e in pset.first_offence if e.violation == v.code]
        if not entries:
            reasons.append(Reason(CLAUSE_FIRST, f"{v.code} 不在首违不罚清单中", False))
        for e in entries:
            rs = _list_reasons(e, facts, CLAUSE_FIRST, first=True, excl=excl)
            reasons.extend(rs)
            if all(r.met for r in rs):
                outcome, entry_code, discretionary = "no_penalty", e.code, True
                break

    amount: int | None = None
    rng: tuple[int, int] | None = None
    before: int | None = None
    reductions: list[dict[str, Any]] = []
    daily: dict[str, int] | None = None
    if outcome == "no_penalty":
        reasons.append(Reason(CLAUSE_EDUCATION, "不予处罚的，应当对当事人进行教育", True))
        if facts.amount is not None:
            raise FactsError("amount: must be empty when the outcome is no_penalty", field="amount")
    else:
        outcome, discretionary = _penalty_outcome(pset, v, facts, reasons)
        if v.fine_basis == "none":
            amount, rng = 0, (0, 0)
            reasons.append(Reason(f"{v.law}{v.article}", "该条款未设定罚款", True))
        else:
            lo, hi = amount_range(pset, v, outcome)
            pos, expl = _position(pset, facts)
            step = pset.discretion.round_to_yuan
            amount = _round_in(lo + (hi - lo) * pos, lo, hi, step)
            rng = (lo, hi)
            reasons.append(
                Reason(
                    f"{pset.discretion.clause}；{v.law}{v.article}"
                    f"（{v.legal_min}–{v.legal_max} 元）",
                    f"{OUTCOME_LABELS[outcome][0]}档 {lo}–{hi} 元，裁量分 {pos:.2f}：{expl}",
                    True,
                )
            )
            if facts.amount is not None:
                legal_lo = lo if outcome == "mitigated" else v.legal_min
                legal_hi = v.legal_min if outcome == "mitigated" else v.legal_max
                if not legal_lo <= facts.amount <= legal_hi:
                    raise FactsError(
                        f"amount: {facts.amount} yuan is outside the range the law allows for "
                        f"{outcome} ({legal_lo}–{legal_hi} yuan, {v.law}{v.article})",
                        field="amount",
                    )
                amount = facts.amount
                rng = (legal_lo, legal_hi)
                reasons.append(Reason(f"{v.law}{v.article}", f"承办人建议金额 {amount} 元", True))
            before = amount
            floor = lo if outcome == "mitigated" else v.legal_min
            for flag, rule, key, label in (
                (facts.law_study_passed, pset.law_study, "law_study", "学法减罚"),
                (facts.apology_approved, pset.apology, "apology", "道歉承诺减罚"),
            ):
                if not flag:
                    continue
                wanted = math.floor(amount * (1 - rule.percent / 100))
                new = max(wanted, floor)
                capped = new > wanted
                reasons.append(
                    Reason(
                        rule.clause,
                        f"{label} {rule.percent:g}%：{amount} → {new} 元"
                        + (
                            f"（不低于{'减轻下限' if outcome == 'mitigated' else '法定最低'}"
                            f" {floor} 元）"
                            if capped
                            else ""
                        ),
                        True,
                    )
                )
                reductions.append(
                    {
                        "kind": key,
                        "percent": rule.percent,
                        "from": amount,
                        "to": new,
                        "capped_at_minimum": capped,
                    }
                )
                amount = new
            if reductions:
                rng = (floor, rng[1])
        if facts.refused_correction:
            if v.daily_penalty and amount:
                daily = {
                    "per_day": amount,
                    "days": facts.days_refused,
                    "total": amount * facts.days_refused,
                }
                reasons.append(
                    Reason(
                        CLAUSE_DAILY,
                        f"refused_correction = true，拒不改正 {facts.days_refused} 日，"
                        f"每日 {amount} 元",
                        True,
                    )
                )
            else:
                reasons.append(
                    Reason(
                        CLAUSE_DAILY,
                        f"refused_correction = true，但 {v.code} 不适用按日连续处罚",
                        False,
                    )
                )
    if facts.claimed_outcome is not None and facts.claimed_outcome != outcome:
        failed = [r for r in reasons if not r.met]
        why = "; ".join(f"{r.clause}: {r.fact}" for r in failed[:3]) or "see reasons"
        raise FactsError(
            f"claimed_outcome: the facts do not support {facts.claimed_outcome!r} "
            f"(they give {outcome!r}): {why}",
            field="claimed_outcome",
        )
    return Assessment(
        outcome=outcome,
        discretionary=discretionary,
        amount=amount,
        range=rng,
        reasons=tuple(reasons),
        violation=v,
        list_entry=entry_code,
        amount_before_reductions=before,
        reductions=tuple(reductions),
        daily_penalty=daily,
        set_version=pset.version,
        set_province=pset.province,
    )


@dataclass(frozen=True)
class PriorCase:
    """Another confirmed case of the same enterprise, as the 首违 lookup sees it.

    ``violation`` is the violation code of the case's newest penalty assessment (``None``
    when it was never assessed); ``family`` is the case's lead family.
    """

    day: dt.date
    violation: str | None
    family: str


def same_violation_days(prior: Iterable[PriorCase], violation: ViolationType) -> list[dt.date]:
    """Days of the prior cases that were violations of the SAME type as ``violation``.

    A prior case counts when its assessment named the same violation code; a case never
    assessed counts when its lead family is one of the violation's ``families``. A prior
    violation of another type does not make this one a repeat (首违 is judged per
    violation: 同一违法行为).

    References
    ----------
    .. [1] 中华人民共和国行政处罚法 (2021) §33 ¶1 (初次违法); the provincial 首违不罚 lists
           (e.g. 河北省生态环境领域首违不罚清单) name the same violation in the look-back
           period (unverified summary).
    """
    out: list[dt.date] = []
    for p in prior:
        if p.violation is not None:
            if p.violation == violation.code:
                out.append(p.day)
        elif p.family in violation.families:
            out.append(p.day)
    return out


def is_first_offence(
    prior: Iterable[dt.date], day: dt.date, lookback_days: int
) -> tuple[bool, dt.date | None]:
    """First offence: no prior confirmed violation in the ``lookback_days`` days before ``day``.

    The window is ``[day − lookback_days, day]`` inclusive: a prior violation on the
    window's first (oldest) day still counts. Returns the flag and the latest prior in
    the window.
    """
    start = day - dt.timedelta(days=lookback_days)
    inside = [p for p in prior if start <= p <= day]
    return (not inside, max(inside) if inside else None)


def leniency_text(assessment: Mapping[str, Any] | None) -> str | None:
    """The sentence the 整改通知书 may carry, only when the assessment is 不予处罚.

    ``assessment`` is :meth:`Assessment.as_dict` (or a stored one); ``None`` otherwise, so
    a notice without an assessment, or with a fine, carries no leniency wording.
    """
    if not assessment or assessment.get("outcome") != "no_penalty":
        return None
    entry = assessment.get("list_entry")
    if assessment.get("discretionary"):
        basis = "《中华人民共和国行政处罚法》第三十三条第一款（初次违法且危害后果轻微并及时改正）"
    elif entry:
        basis = (
            "《中华人民共和国行政处罚法》第三十三条第一款"
            "（违法行为轻微并及时改正，没有造成危害后果）"
        )
    else:
        basis = "《中华人民共和国行政处罚法》第三十三条第二款（有证据足以证明没有主观过错）"
    listed = f"，适用清单第 {entry} 项" if entry else ""
    return f"依据{basis}{listed}，对你单位本次违法行为不予行政处罚，并依法予以教育。"
