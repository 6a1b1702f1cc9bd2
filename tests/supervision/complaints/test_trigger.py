"""A complaint (信访投诉) lifts the positive-list exclusion: in window, received or
verified; not out of window, not unfounded (pure functions, table-driven)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib

import pytest

from lantian.supervision.config import (
    SupervisionConfigError,
    default_toml,
    load_config,
    parse_config,
)
from lantian.supervision.facts import ComplaintFact, EnterpriseFacts, Inspector, PlanInputs
from lantian.supervision.plan import draw_plan, parse_period, triggers_of
from lantian.vocab.risk import plan_reason

PERIOD = parse_period("2026-12")  # 2026-12-01 .. 2027-01-01


def _ent(*complaints: ComplaintFact) -> EnterpriseFacts:
    return EnterpriseFacts(
        enterprise_id="E1",
        industry="steel",
        city="C01",
        district="D1",
        grade="A",
        positive_list=True,
        outlets=2,
        complaints=complaints,
    )


@pytest.mark.parametrize(
    ("received", "status", "window", "triggers"),
    [
        (dt.date(2026, 11, 20), "received", 90, True),  # before the period, in window
        (dt.date(2026, 12, 15), "verified", 90, True),  # in the period
        (dt.date(2026, 9, 2), "received", 90, True),  # exactly 90 days before
        (dt.date(2026, 9, 1), "received", 90, False),  # 91 days before
        (dt.date(2026, 11, 20), "received", 0, False),  # window 0: only in the period
        (dt.date(2026, 12, 31), "received", 0, True),
        (dt.date(2027, 1, 1), "received", 90, False),  # after the period
        (dt.date(2026, 11, 20), "unfounded", 90, False),  # judged unfounded
        (dt.date(2026, 12, 15), "unfounded", 90, False),
    ],
)
def test_complaint_trigger_table(
    received: dt.date, status: str, window: int, triggers: bool
) -> None:
    ent = _ent(ComplaintFact(7, received, "hotline_12369", status))
    got = triggers_of(ent, PERIOD, 90, window)
    want = f"trigger: complaint #7 received {received.isoformat()} via hotline_12369"
    assert got == ((want,) if triggers else ())


def test_reason_names_the_complaint_in_chinese() -> None:
    text = "trigger: complaint #7 received 2026-11-20 via hotline_12369"
    assert plan_reason(text, "zh_CN") == "触发条件：信访投诉 #7（2026-11-20 经12369 热线受理）"
    assert plan_reason(text + " (lifts the positive-list exclusion)", "zh_CN").endswith(
        "受理）（解除正面清单豁免）"
    )
    assert plan_reason(text, "en") == text


def _inputs(*complaints: ComplaintFact) -> PlanInputs:
    return PlanInputs(
        period=PERIOD.text,
        jurisdiction=None,
        enterprises=(_ent(*complaints),),
        inspectors=tuple(Inspector(f"i{k}", f"ZF{k}", "C01", "D2") for k in range(3)),
    )


@pytest.mark.parametrize(
    ("status", "received", "onsite"),
    [
        ("received", dt.date(2026, 11, 20), True),
        ("verified", dt.date(2026, 12, 3), True),
        ("unfounded", dt.date(2026, 11, 20), False),
        ("received", dt.date(2026, 6, 1), False),
    ],
)
def test_draw_visits_listed_enterprise_on_site_only_with_a_complaint_trigger(
    status: str, received: dt.date, onsite: bool
) -> None:
    """Last period of the year, every enterprise high-risk: the listed enterprise must be
    visited on site — allowed only by a complaint trigger, else reported unsatisfied."""
    cfg = load_config()
    cfg = dataclasses.replace(cfg, minimums=dataclasses.replace(cfg.minimums, high_risk_score=0.0))
    plan = draw_plan(_inputs(ComplaintFact(3, received, "online", status)), cfg, 1)
    visits = [v for v in plan.visits if v.mode == "onsite"]
    if onsite:
        assert [v.enterprise_id for v in visits] == ["E1"]
        assert any(r.startswith("trigger: complaint #3 received") for r in visits[0].reasons)
    else:
        assert visits == []
        assert any(u.kind == "minimum" and u.subject == "E1" for u in plan.unsatisfied)


def test_complaint_window_is_validated() -> None:
    data = tomllib.loads(default_toml())
    data["plan"]["complaint_window_days"] = -1
    with pytest.raises(SupervisionConfigError, match="complaint_window_days"):
        parse_config(data)
    data["plan"]["complaint_window_days"] = 365 * data["plan"]["history_years"] + 1
    with pytest.raises(SupervisionConfigError, match="complaint_window_days"):
        parse_config(data)
