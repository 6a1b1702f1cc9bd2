"""Pure penalty assessment: every list entry, every article path, the boundaries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lantian.enforcement.assess import (
    CLAUSE_DAILY,
    CLAUSE_EDUCATION,
    CLAUSE_FIRST,
    CLAUSE_MINOR,
    CLAUSE_NO_FAULT,
    Assessment,
    FactsError,
    PriorCase,
    amount_range,
    assess,
    is_first_offence,
    leniency_text,
    parse_facts,
    same_violation_days,
)
from lantian.enforcement.config import PenaltySet, load_sets

SET: PenaltySet = load_sets()[0]
LOWEST = {"magnitude": "low", "duration": "short", "area": "normal"}
HIGHEST = {"magnitude": "high", "duration": "long", "area": "sensitive"}


def run(**kw: Any) -> Assessment:
    facts: dict[str, Any] = {
        "violation": "AIR-EXCEED",
        "first_offence": False,
        "harm": "slight",
        "corrected_in_time": True,
    }
    facts.update(kw)
    return assess(parse_facts(facts, SET), SET)


def cited(a: Assessment, clause_part: str, *, met: bool | None = None) -> bool:
    return any(clause_part in r.clause and (met is None or r.met is met) for r in a.reasons)


# --------------------------------------------------------------------------- 不予处罚 lists


@pytest.mark.parametrize("entry", SET.no_penalty, ids=lambda e: e.code)
def test_every_minor_violation_entry_exempts_when_all_conditions_hold(entry: Any) -> None:
    days = entry.max_days_to_correct
    a = run(violation=entry.violation, harm="none", days_to_correct=days)
    assert a.outcome == "no_penalty"
    assert a.list_entry == entry.code
    assert a.discretionary is False  # §33 ¶1 first sentence: 不予行政处罚 (shall)
    assert a.amount is None and a.range is None
    assert cited(a, f"{entry.code}（") and cited(a, CLAUSE_MINOR, met=True)
    assert cited(a, CLAUSE_EDUCATION, met=True)


@pytest.mark.parametrize("entry", SET.no_penalty, ids=lambda e: e.code)
@pytest.mark.parametrize(
    ("change", "failed_fact"),
    [
        ({"harm": "slight"}, "harm = slight"),
        ({"corrected_in_time": False}, "corrected_in_time = false"),
        ({"aggravating": ["A-OBSTRUCT"]}, "aggravating = [A-OBSTRUCT]"),
        ({"days_to_correct": "over"}, "days_to_correct"),
    ],
)
def test_every_minor_violation_entry_fails_on_each_condition(
    entry: Any, change: dict[str, Any], failed_fact: str
) -> None:
    kw: dict[str, Any] = {"violation": entry.violation, "harm": "none", **change}
    if kw.get("days_to_correct") == "over":
        kw["days_to_correct"] = entry.max_days_to_correct + 1
    a = run(**kw)
    assert a.list_entry != entry.code
    assert any(
        r.clause.startswith(f"{entry.code}（") and failed_fact in r.fact and not r.met
        for r in a.reasons
    )


@pytest.mark.parametrize("entry", SET.first_offence, ids=lambda e: e.code)
def test_every_first_offence_entry_may_exempt(entry: Any) -> None:
    a = run(
        violation=entry.violation,
        first_offence=True,
        harm="slight",
        days_to_correct=entry.max_days_to_correct,
    )
    assert a.outcome == "no_penalty"
    assert a.list_entry == entry.code
    assert a.discretionary is True  # 可以不予行政处罚
    assert cited(a, CLAUSE_FIRST, met=True)
    assert leniency_text(a.as_dict()) is not None
    assert "初次违法" in (leniency_text(a.as_dict()) or "")


@pytest.mark.parametrize("entry", SET.first_offence, ids=lambda e: e.code)
@pytest.mark.parametrize(
    ("change", "failed_fact"),
    [
        ({"first_offence": False}, "first_offence = false"),
        ({"harm": "serious"}, "harm = serious"),
        ({"corrected_in_time": False}, "corrected_in_time = false"),
        ({"aggravating": ["A-REPEAT"]}, "aggravating = [A-REPEAT]"),
        ({"days_to_correct": "over"}, "days_to_correct"),
    ],
)
def test_every_first_offence_entry_fails_on_each_condition(
    entry: Any, change: dict[str, Any], failed_fact: str
) -> None:
    kw: dict[str, Any] = {"violation": entry.violation, "first_offence": True, **change}
    if kw.get("days_to_correct") == "over":
        kw["days_to_correct"] = entry.max_days_to_correct + 1
    a = run(**kw)
    assert a.outcome != "no_penalty"
    assert a.amount is not None
    assert any(
        r.clause.startswith(f"{entry.code}（") and failed_fact in r.fact and not r.met
        for r in a.reasons
    )
    assert leniency_text(a.as_dict()) is None


def test_no_fault_proven_is_no_penalty_even_with_serious_harm() -> None:
    a = run(harm="serious", no_fault_proven=True, corrected_in_time=False)
    assert (a.outcome, a.discretionary, a.amount) == ("no_penalty", False, None)
    assert cited(a, CLAUSE_NO_FAULT, met=True)
    assert "第二款" in (leniency_text(a.as_dict()) or "")


def test_violation_on_no_list_is_fined_and_says_so() -> None:
    a = run(violation="AIR-EVADE", first_offence=True, harm="none")
    assert a.outcome == "standard"
    assert any("AIR-EVADE 不在轻微违法行为免罚清单中" in r.fact and not r.met for r in a.reasons)
    assert any("AIR-EVADE 不在首违不罚清单中" in r.fact and not r.met for r in a.reasons)


# --------------------------------------------------------------------------- 从轻 / 减轻 / 从重


@pytest.mark.parametrize("c", SET.mitigating, ids=lambda c: c.code)
def test_every_mitigating_circumstance(c: Any) -> None:
    a = run(mitigating=[c.code])
    assert a.outcome == c.effect
    assert a.discretionary is (not c.mandatory)
    assert cited(a, c.clause, met=True)
    assert a.range is not None and a.amount is not None
    lo, hi = a.range
    assert lo <= a.amount <= hi
    v = SET.violation("AIR-EXCEED")
    if c.effect == "mitigated":
        assert hi == v.legal_min and lo == v.legal_min * SET.discretion.mitigated_floor_ratio
    else:
        assert lo == v.legal_min and hi < v.legal_max


@pytest.mark.parametrize("c", SET.aggravating, ids=lambda c: c.code)
def test_every_aggravating_circumstance(c: Any) -> None:
    a = run(aggravating=[c.code])
    assert a.outcome == "heavier"
    assert a.discretionary is (not c.mandatory)
    assert cited(a, c.clause, met=True)
    assert a.range is not None and a.range[1] == SET.violation("AIR-EXCEED").legal_max


def test_mitigation_not_allowed_falls_back_to_lighter() -> None:
    a = run(violation="PERMIT-REPORT", harm="slight", mitigating=["M32-2"])
    assert a.outcome == "lighter"
    assert any("不适用减轻" in r.fact for r in a.reasons)


def test_mandatory_mitigation_wins_over_discretionary_aggravation() -> None:
    a = run(mitigating=["M32-1"], aggravating=["A-REPEAT"])
    assert a.outcome == "lighter"


def test_discretionary_mitigation_and_aggravation_give_standard() -> None:
    a = run(mitigating=["M-COOPERATE"], aggravating=["A-REPEAT"])
    assert a.outcome == "standard"


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize("v", SET.violations, ids=lambda v: v.code)
@pytest.mark.parametrize("outcome", ["lighter", "standard", "heavier"])
def test_range_ends_reached_at_lowest_and_highest_factors(v: Any, outcome: str) -> None:
    kw: dict[str, Any] = {"violation": v.code, "first_offence": False}
    if outcome == "lighter":
        kw["mitigating"] = ["M32-1"]
    if outcome == "heavier":
        kw["aggravating"] = ["A-REPEAT"]
    lo, hi = amount_range(SET, v, outcome)
    low = run(harm="none", corrected_in_time=False, factors=LOWEST, **kw)
    high = run(harm="serious", corrected_in_time=False, factors=HIGHEST, **kw)
    assert low.outcome == high.outcome == outcome
    assert low.amount == lo and high.amount == hi
    assert low.range == high.range == (lo, hi)
    assert v.legal_min <= lo <= hi <= v.legal_max
    assert cited(low, v.article, met=True)


def test_standard_amount_inside_its_band() -> None:
    a = run(first_offence=False)
    assert a.range == (370000, 730000)
    assert a.amount is not None and 370000 <= a.amount <= 730000


def test_law_study_reduction_is_recorded() -> None:
    base = run(harm="serious", corrected_in_time=False)
    a = run(harm="serious", corrected_in_time=False, law_study_passed=True)
    assert base.amount is not None and a.amount is not None
    assert a.amount == int(base.amount * (1 - SET.law_study.percent / 100))
    assert a.reductions[0]["kind"] == "law_study" and a.amount_before_reductions == base.amount
    assert cited(a, SET.law_study.clause, met=True)


def test_reductions_never_go_below_the_legal_minimum() -> None:
    a = run(
        harm="none",
        corrected_in_time=False,
        factors=LOWEST,
        mitigating=["M32-1"],
        law_study_passed=True,
        apology_approved=True,
    )
    v = SET.violation("AIR-EXCEED")
    assert a.outcome == "lighter"
    assert a.amount == v.legal_min
    assert a.reductions[0]["capped_at_minimum"] is True
    assert a.range is not None and a.range[0] == v.legal_min
    assert any("不低于法定最低" in r.fact for r in a.reasons)


def test_mitigated_reductions_stop_at_the_mitigation_floor() -> None:
    a = run(
        mitigating=["M32-2"],
        harm="none",
        corrected_in_time=False,
        factors=LOWEST,
        law_study_passed=True,
        apology_approved=True,
    )
    v = SET.violation("AIR-EXCEED")
    floor = int(v.legal_min * SET.discretion.mitigated_floor_ratio)
    assert a.outcome == "mitigated"
    assert a.amount == floor and a.amount < v.legal_min  # 减轻: below the legal minimum
    assert any("不低于减轻下限" in r.fact for r in a.reasons)


def test_reduction_just_above_the_minimum_is_not_capped() -> None:
    # standard band low end is 370,000; 20 % off leaves 296,000 >= 100,000
    a = run(harm="none", corrected_in_time=False, factors=LOWEST, law_study_passed=True)
    assert a.amount == 296000 and a.reductions[0]["capped_at_minimum"] is False


@pytest.mark.parametrize(
    ("amount", "ok"), [(100000, True), (1000000, True), (99999, False), (1000001, False)]
)
def test_proposed_amount_must_lie_in_the_legal_range(amount: int, ok: bool) -> None:
    if ok:
        assert run(amount=amount).amount == amount
    else:
        with pytest.raises(FactsError) as exc:
            run(amount=amount)
        assert exc.value.field == "amount"


def test_daily_penalty_for_refusal_to_correct() -> None:
    a = run(corrected_in_time=False, refused_correction=True, days_refused=12)
    assert a.daily_penalty is not None and a.amount is not None
    assert a.daily_penalty == {"per_day": a.amount, "days": 12, "total": a.amount * 12}
    assert cited(a, CLAUSE_DAILY, met=True)
    b = run(
        violation="MONITOR-RECORDS",
        corrected_in_time=False,
        refused_correction=True,
        days_refused=3,
    )
    assert b.daily_penalty is None and cited(b, CLAUSE_DAILY, met=False)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"violation": "NOPE"}, "violation"),
        ({"harm": "medium"}, "harm"),
        ({"first_offence": "yes"}, "first_offence"),
        ({"mitigating": ["M99"]}, "mitigating"),
        ({"aggravating": ["M32-1"]}, "aggravating"),
        ({"colour": "red"}, "colour"),
        ({"factors": {"magnitude": "huge"}}, "factors.magnitude"),
        ({"factors": {"harm": "none"}}, "factors.harm"),
        ({"corrected_in_time": True, "refused_correction": True}, "refused_correction"),
        ({"days_refused": 3}, "days_refused"),
        (
            {"harm": "serious", "first_offence": True, "claimed_outcome": "no_penalty"},
            "claimed_outcome",
        ),
        ({"claimed_outcome": "lenient"}, "claimed_outcome"),
        ({"violation": "PERMIT-LEDGER", "harm": "none", "amount": 20000}, "amount"),
    ],
)
def test_bad_or_contradictory_facts_name_the_field(facts: dict[str, Any], field: str) -> None:
    with pytest.raises(FactsError) as exc:
        run(**facts)
    assert exc.value.field == field
    assert field.split(".")[0] in str(exc.value)


def test_missing_first_offence_is_named_unless_computed() -> None:
    data = {"violation": "AIR-EXCEED", "harm": "slight", "corrected_in_time": True}
    with pytest.raises(FactsError) as exc:
        parse_facts(data, SET)
    assert exc.value.field == "first_offence"
    assert parse_facts(data, SET, first_offence=True).first_offence is True


def test_claimed_outcome_that_holds_is_accepted() -> None:
    assert run(first_offence=True, claimed_outcome="no_penalty").outcome == "no_penalty"


# --------------------------------------------------------------------------- look-back window


@pytest.mark.parametrize(
    ("days_before", "first"),
    [(SET.lookback_days, False), (SET.lookback_days + 1, True), (1, False), (0, False)],
)
def test_look_back_window_last_day(days_before: int, first: bool) -> None:
    day = dt.date(2026, 12, 2)
    prior = [day - dt.timedelta(days=days_before)]
    assert is_first_offence(prior, day, SET.lookback_days)[0] is first
    assert is_first_offence([], day, SET.lookback_days) == (True, None)


_DAY = dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("violation", "prior", "first"),
    [
        # same code assessed, on the window's oldest day → repeat
        ("AIR-EXCEED", [(SET.lookback_days, "AIR-EXCEED", "EXCEEDANCE")], False),
        # same code one day before the window → first
        ("AIR-EXCEED", [(SET.lookback_days + 1, "AIR-EXCEED", "EXCEEDANCE")], True),
        # another violation type inside the window → still first
        ("AIR-EXCEED", [(10, "AIR-EVADE", "TREATMENT_OFF")], True),
        ("AIR-EXCEED", [(10, "MONITOR-ABNORMAL", "EXCEEDANCE")], True),  # assessment wins
        # never assessed: the lead family decides
        ("AIR-EXCEED", [(10, None, "O2_ABNORMAL")], False),
        ("AIR-EXCEED", [(10, None, "MISSING")], True),
        ("AIR-EVADE", [(SET.lookback_days, None, "FLATLINE")], False),
        ("AIR-EVADE", [(SET.lookback_days + 1, None, "FLATLINE")], True),
        # a violation with no families: only assessed cases of the same code count
        ("VOC-CONTROL", [(5, None, "EXCEEDANCE")], True),
        ("VOC-CONTROL", [(5, "VOC-CONTROL", "FINDING")], False),
        # mixed history: the same type only
        (
            "MONITOR-ABNORMAL",
            [(3, "AIR-EXCEED", "EXCEEDANCE"), (400, None, "MISSING"), (900, None, "MISSING")],
            False,
        ),
        ("MONITOR-ABNORMAL", [(3, "AIR-EXCEED", "EXCEEDANCE"), (900, None, "MISSING")], True),
        ("AIR-EXCEED", [], True),
    ],
)
def test_first_offence_is_judged_per_violation_type(
    violation: str, prior: list[tuple[int, str | None, str]], first: bool
) -> None:
    v = SET.violation(violation)
    cases = [PriorCase(_DAY - dt.timedelta(days=d), code, fam) for d, code, fam in prior]
    days = same_violation_days(cases, v)
    assert is_first_offence(days, _DAY, SET.lookback_days)[0] is first


def test_leniency_text_only_for_no_penalty() -> None:
    assert leniency_text(None) is None
    assert leniency_text(run(harm="serious").as_dict()) is None
    text = leniency_text(run(violation="DUST-STORAGE", harm="none").as_dict())
    assert text is not None and "NP-03" in text and "不予行政处罚" in text
