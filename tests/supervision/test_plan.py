"""双随机 plan draw: invariants over many seeds on generated registers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from lantian.supervision.config import SupervisionConfig, load_config
from lantian.supervision.facts import Inspector, PlanInputs
from lantian.supervision.plan import Plan, PlanError, draw_plan, parse_period, triggers_of
from lantian.supervision.risk import risk_score
from lantian.supervision.synthetic import synthetic_inputs

SEEDS = range(40)


def _cross(cfg: SupervisionConfig, on: bool) -> SupervisionConfig:
    return dataclasses.replace(cfg, plan=dataclasses.replace(cfg.plan, cross_district=on))


def _check_invariants(inputs: PlanInputs, cfg: SupervisionConfig, plan: Plan) -> None:
    period = parse_period(inputs.period)
    ents = {e.enterprise_id: e for e in inputs.enterprises}
    inspectors = {i.username: i for i in inputs.inspectors}
    onsite_year: dict[str, int] = {}
    last: dict[str, tuple[dt.date, tuple[str, ...]]] = {}
    last_day: dict[str, dt.date] = {}
    for hv in inputs.visits:
        if hv.kind == "onsite" and hv.date < period.start:
            last_day[hv.enterprise_id] = max(hv.date, last_day.get(hv.enterprise_id, hv.date))
    for hv in inputs.visits:
        if hv.kind != "onsite":
            continue
        # the cap counts every kind the configuration counts; campaigns ordered from
        # above are tallied separately
        counted = hv.purpose != "campaign" and cfg.visits.counts_toward_cap.get(hv.purpose, True)
        if hv.date.year == period.start.year and counted:
            onsite_year[hv.enterprise_id] = onsite_year.get(hv.enterprise_id, 0) + 1
        if hv.date < period.start and hv.date == last_day[hv.enterprise_id]:
            prev = last.get(hv.enterprise_id, (hv.date, ()))[1]
            last[hv.enterprise_id] = (hv.date, (*prev, *hv.inspectors))
    unsatisfied = {(u.kind, u.subject) for u in plan.unsatisfied}
    ids = [v.enterprise_id for v in plan.visits]
    assert ids == sorted(set(ids)), "one visit per enterprise, sorted"
    for v in plan.visits:
        ent = ents[v.enterprise_id]
        trig = triggers_of(
            ent, period, cfg.plan.trigger_lookback_days, cfg.plan.complaint_window_days
        )
        cap = cfg.category_of(ent.industry).max_onsite_per_year
        if v.mode == "onsite":
            # positive list: no on-site visit without a trigger, and the trigger is named
            assert not ent.positive_list or trig, v
            if ent.positive_list:
                assert any(r.startswith("trigger:") for r in v.reasons)
                # a complaint that lifts the exclusion is named in the reasons
                assert all(any(r.startswith(t) for r in v.reasons) for t in trig)
            # the cap counts every on-site visit of the year
            assert onsite_year.get(v.enterprise_id, 0) + 1 <= cap, v
        else:
            assert v.mode == "remote"
            assert ent.positive_list and not trig
            assert cfg.plan.positive_list_mode == "remote"
            assert v.reasons, "a remote check says why"
        if not v.inspectors:
            assert ("inspectors", v.enterprise_id) in unsatisfied
            continue
        a, b = v.inspectors
        assert a != b
        for name in v.inspectors:
            assert inspectors[name].cert_no
            assert name not in last.get(v.enterprise_id, (None, ()))[1]
            if cfg.plan.cross_district:
                assert inspectors[name].district not in (None, ent.district)
    # minimums: every high-risk enterprise short of its yearly on-site minimum
    needy = []
    for ent in ents.values():
        if not (
            ent.city == inputs.jurisdiction
            or ent.district == inputs.jurisdiction
            or inputs.jurisdiction is None
        ):
            continue
        lv = last.get(ent.enterprise_id)
        rs = risk_score(ent, cfg.risk, as_of=period.start, last_visit=lv[0] if lv else None)
        n = onsite_year.get(ent.enterprise_id, 0)
        if (
            rs.score >= cfg.minimums.high_risk_score
            and n < cfg.minimums.high_risk_min_onsite_per_year
        ):
            needy.append(ent.enterprise_id)
    onsite = {v.enterprise_id for v in plan.visits if v.mode == "onsite"}
    periods_left = period.per_year - period.index
    if periods_left == 1:
        for eid in needy:
            assert eid in onsite or ("minimum", eid) in unsatisfied, eid
    else:
        blocked = sum(1 for eid in needy if ("minimum", eid) in unsatisfied)
        covered = sum(1 for eid in needy if eid in onsite)
        assert covered >= math.ceil((len(needy) - blocked) / periods_left)
    # quotas: met, or reported
    for q in plan.quotas:
        assert q.drawn >= q.quota or ("quota", q.category) in unsatisfied
    # reasons are empty only for a plain random draw
    for v in plan.visits:
        if not v.reasons:
            assert v.mode == "onsite" and not ents[v.enterprise_id].positive_list


@pytest.mark.parametrize("seed", SEEDS)
def test_invariants_hold_in_the_last_period(seed: int) -> None:
    cfg = _cross(load_config(), seed % 2 == 1)
    inputs = synthetic_inputs(seed, period="2026-12", enterprises=250, inspectors=16)
    plan = draw_plan(inputs, cfg, seed * 7919)
    _check_invariants(inputs, cfg, plan)
    assert plan.visits


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_invariants_hold_mid_year_and_with_exclusion(seed: int) -> None:
    cfg = load_config()
    cfg = dataclasses.replace(cfg, plan=dataclasses.replace(cfg.plan, positive_list_mode="exclude"))
    inputs = synthetic_inputs(seed, period="2026-05", enterprises=250, inspectors=12)
    plan = draw_plan(inputs, cfg, seed)
    _check_invariants(inputs, cfg, plan)
    assert all(v.mode == "onsite" for v in plan.visits)


def test_caps_count_every_onsite_visit_whatever_its_purpose() -> None:
    cfg = load_config()
    full = tuple(dataclasses.replace(c, ratio_per_quarter=1.0) for c in cfg.categories)
    cfg = dataclasses.replace(cfg, categories=full)
    for seed in range(6):
        inputs = synthetic_inputs(seed, period="2026-Q4", enterprises=200)
        counts: dict[str, int] = {}
        for v in inputs.visits:
            if v.kind == "onsite" and v.date.year == 2026 and v.purpose != "campaign":
                counts[v.enterprise_id] = counts.get(v.enterprise_id, 0) + 1
        capped = {
            e.enterprise_id
            for e in inputs.enterprises
            if counts.get(e.enterprise_id, 0) >= cfg.category_of(e.industry).max_onsite_per_year
        }
        assert capped, "the generated register has enterprises at their cap"
        plan = draw_plan(inputs, cfg, seed)
        _check_invariants(inputs, cfg, plan)
        assert not capped & {v.enterprise_id for v in plan.visits if v.mode == "onsite"}
        # every category's quota is its whole population: the shortfall is reported for
        # each category with a capped member that no remote check can replace
        period = parse_period("2026-Q4")
        ents = {e.enterprise_id: e for e in inputs.enterprises}
        short = {
            cfg.category_of(ents[eid].industry).name
            for eid in capped
            if not ents[eid].positive_list
            or triggers_of(
                ents[eid],
                period,
                cfg.plan.trigger_lookback_days,
                cfg.plan.complaint_window_days,
            )
        }
        assert short
        assert {u.subject for u in plan.unsatisfied if u.kind == "quota"} == short


def test_same_seed_same_bytes_other_seed_other_draw() -> None:
    cfg = load_config()
    inputs = synthetic_inputs(3, enterprises=400)
    a = draw_plan(inputs, cfg, 42).to_json()
    b = draw_plan(inputs, cfg, 42).to_json()
    assert a == b
    # the same inputs given in another order hash and draw the same
    shuffled = dataclasses.replace(
        inputs,
        enterprises=tuple(reversed(inputs.enterprises)),
        inspectors=tuple(reversed(inputs.inspectors)),
        visits=tuple(reversed(inputs.visits)),
    )
    assert draw_plan(shuffled, cfg, 42).to_json() == a
    assert draw_plan(inputs, cfg, 43).to_json() != a


def test_a_trigger_lifts_the_positive_list_exclusion() -> None:
    cfg = load_config()
    inputs = synthetic_inputs(5, enterprises=200)
    listed = [e for e in inputs.enterprises if e.positive_list]
    alerted = tuple(
        dataclasses.replace(
            e, alert_in_period=e.positive_list, industry="steel", grade="D", outlets=10
        )
        for e in inputs.enterprises
    )
    plan = draw_plan(dataclasses.replace(inputs, enterprises=alerted, visits=()), cfg, 1)
    by_id = {v.enterprise_id: v for v in plan.visits}
    hit = [by_id[e.enterprise_id] for e in listed if e.enterprise_id in by_id]
    assert hit and all(v.mode == "onsite" for v in hit)
    assert all(any("alert" in r for r in v.reasons) for v in hit)


def test_too_few_inspectors_and_bad_period_are_refused() -> None:
    cfg = load_config()
    inputs = synthetic_inputs(1, enterprises=20)
    one = (Inspector("a", "ZF1", "C01", "D00"), Inspector("b", None, "C01", "D01"))
    with pytest.raises(PlanError, match="inspector register: 1 inspector"):
        draw_plan(dataclasses.replace(inputs, inspectors=one), cfg, 1)
    with pytest.raises(PlanError, match="--period '2026-13'"):
        draw_plan(dataclasses.replace(inputs, period="2026-13"), cfg, 1)


def test_unsatisfiable_pairs_are_reported_not_dropped() -> None:
    cfg = _cross(load_config(), True)
    inputs = synthetic_inputs(2, enterprises=60)
    same = tuple(Inspector(f"i{k}", f"ZF{k}", "C01", "D00") for k in range(4))
    ents = tuple(dataclasses.replace(e, district="D00") for e in inputs.enterprises)
    plan = draw_plan(dataclasses.replace(inputs, inspectors=same, enterprises=ents), cfg, 9)
    assert plan.visits
    assert all(v.inspectors == () for v in plan.visits)
    assert {u.subject for u in plan.unsatisfied if u.kind == "inspectors"} == {
        v.enterprise_id for v in plan.visits
    }


def test_jurisdiction_limits_the_draw() -> None:
    cfg = load_config()
    inputs = dataclasses.replace(synthetic_inputs(4, enterprises=300), jurisdiction="D01")
    plan = draw_plan(inputs, cfg, 5)
    ents = {e.enterprise_id: e for e in inputs.enterprises}
    assert plan.visits
    assert all(ents[v.enterprise_id].district == "D01" for v in plan.visits)
    _check_invariants(inputs, cfg, plan)


def test_periods() -> None:
    p = parse_period("2026-12")
    assert (p.start, p.end, p.index, p.per_year) == (
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 1),
        11,
        12,
    )
    q = parse_period("2026-Q4")
    assert (q.start, q.end, q.index, q.per_year) == (
        dt.date(2026, 10, 1),
        dt.date(2027, 1, 1),
        3,
        4,
    )


@pytest.mark.parametrize("seed", range(0, 40, 5))
def test_caps_follow_the_configured_kinds_and_campaigns_are_tallied_apart(seed: int) -> None:
    # with 帮扶 visits not counted, an enterprise capped only through them is drawable again;
    # campaign visits never count; every other kind does (invariants over many seeds)
    base = load_config()
    full = tuple(dataclasses.replace(c, ratio_per_quarter=1.0) for c in base.categories)
    counts = {**base.visits.counts_toward_cap, "assistance": False}
    cfg = dataclasses.replace(
        base, categories=full, visits=dataclasses.replace(base.visits, counts_toward_cap=counts)
    )
    inputs = synthetic_inputs(seed, period="2026-Q4", enterprises=200)
    plan = draw_plan(inputs, cfg, seed)
    _check_invariants(inputs, cfg, plan)
    every = {k: 0 for k in ("all", "counted")}
    per: dict[str, dict[str, int]] = {}
    for v in inputs.visits:
        if v.kind == "onsite" and v.date.year == 2026:
            d = per.setdefault(v.enterprise_id, dict(every))
            d["all"] += 1
            d["counted"] += v.purpose not in ("assistance", "campaign")
    onsite = {v.enterprise_id for v in plan.visits if v.mode == "onsite"}
    ents = {e.enterprise_id: e for e in inputs.enterprises}
    freed = [
        eid
        for eid, d in per.items()
        if d["counted"] < cfg.category_of(ents[eid].industry).max_onsite_per_year <= d["all"]
        and not ents[eid].positive_list
    ]
    assert freed, "the register has enterprises at the cap only through uncounted visits"
    assert set(freed) <= onsite  # the whole population is the quota: all drawable are drawn
