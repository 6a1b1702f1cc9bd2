"""CEMS-FLATLINE: a concentration exactly constant while the line produces (FLATLINE).

While the production meters show the line running, a real analyser's hourly mean moves
at the reported precision. A run of identical hourly values for ``min_duration_h`` hours
or more (judgeable hours only, the line producing) is the pattern of 2012 指南 §7 item 21
("数据变化幅度长期在某一固定值上下小幅波动") taken to its limit, and of HJ 212 ``S``
(manually set) values.

References
----------
.. [1] 环境保护部, 《污染源自动监控设施现场监督检查技术指南》(2012), §7 items 20–22.
.. [2] 环发〔2015〕175号《环境监测数据弄虚作假行为判定及处理办法》(伪造/篡改).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules.base import Rule, finish, register, value_runs
from lantian.rules.context import Context
from lantian.rules.evidence import POLLUTANT_UNIT, Field


@dataclass(frozen=True)
class Params:
    """Parameters of CEMS-FLATLINE."""

    min_duration_h: int = 6
    """Shortest run of one identical hourly value reported [h]."""
    max_gap_h: int = 1
    """Non-judgeable or non-producing hours a run may bridge [h]."""
    pollutants: tuple[str, ...] = ("a34013", "a21026", "a21002")
    """HJ 212 codes checked."""
    max_chance: float = 1e-4
    """Report a run only when the series' own repeat rate makes it this unlikely."""
    min_repeat_rate: float = 0.05
    """Floor of the repeat rate (series that never repeated still get this)."""
    min_value: float = 0.0
    """Runs at or below this value are not reported (a reading of exactly 0 can be an
    analyser at its detection limit; C-03/C-05 treat that separately)."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Runs of identical hourly values during production, unlikely for this series.

    Self-calibrating: a series reported at coarse precision (e.g. low SO2 in whole mg/m³)
    repeats its value naturally. Per outlet and pollutant, the repeat rate r is the
    day-wise median share of consecutive producing hours with an identical value; a run of
    n hours is reported when r^(n−1) < ``max_chance`` (and n ≥ ``min_duration_h``).
    """
    c = ctx.cems_hourly()
    st = ctx.outlet_state()
    st = st.filter(st.producing).select("outlet_id", "h")
    rows = c.filter(c.judgeable & c.pollutant.isin(list(p.pollutants)) & c.value.notnull())
    rows = rows.semi_join(st, ["outlet_id", "h"])
    keys = ["outlet_id", "pollutant"]
    w = ibis.window(group_by=keys, order_by="h")
    pair = rows.h == rows.h.lag().over(w) + 1
    rep = rows.mutate(
        pair=pair.cast("float64"),
        rep=(pair & (rows.value == rows.value.lag().over(w))).cast("float64"),
        day=rows.h // 24,
    )
    daily = rep.group_by([*keys, "day"]).aggregate(rep=rep.rep.sum(), pairs=rep.pair.sum())
    daily = daily.filter(daily.pairs >= 12)
    rate = ctx.baseline(
        "flatline_rate", keys, daily.group_by(keys).aggregate(r=(daily.rep / daily.pairs).median())
    )
    runs = value_runs(
        rows, ["enterprise_id", "outlet_id", "pollutant"], "value", p.max_gap_h, p.min_duration_h
    )
    runs = runs.left_join(rate, keys).drop("outlet_id_right", "pollutant_right")
    r = ibis.greatest(runs.r.fill_null(p.min_repeat_rate), p.min_repeat_rate)
    runs = runs.mutate(repeat_rate=r, log_chance=(runs.n - 1) * r.ln())
    runs = runs.filter(
        (runs.n >= p.min_duration_h)
        & (runs.run_value > p.min_value)
        & (runs.log_chance < math.log(p.max_chance))
    )
    span_h = (runs.end_t - runs.start_t) / 3600
    return finish(
        runs,
        enterprise_id=runs.enterprise_id,
        subject_type="outlet",
        subject_id=runs.outlet_id,
        pollutant=runs.pollutant,
        hours=runs.n,
        observed=runs.run_value,
        threshold=p.min_duration_h,
        coverage=runs.n / span_h,
        repeat_rate=runs.repeat_rate,
        chance=runs.log_chance.exp(),
        outlet_ids=runs.outlet_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    out = tx.name(names, "outlet", row["subject_id"])
    pol = tx.pollutant_zh(row["pollutant"])
    return (
        f"{ent}{out}在生产期间{pol}小时浓度连续{tx.dur_zh(row['hours'])}恒定为"
        f"{tx.num(row['observed'])}mg/m³（{tx.span_zh(row['start_t'], row['end_t'])}），"
        "疑似数据造假或仪器异常，建议现场核查。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Longer constant runs are more certain."""
    h = float(row["hours"])
    sev = 3 if h >= 24 else 2 if h >= 12 else 1
    score = min(1.0, 0.6 + 0.4 * min(1.0, (h - p.min_duration_h) / (3 * p.min_duration_h)))
    return sev, score


RULE = register(
    Rule(
        code="CEMS-FLATLINE",
        family="FLATLINE",
        title_zh="生产期间数据恒定",
        title_en="Constant values while producing",
        clause="2012《污染源自动监控设施现场监督检查技术指南》§7 第21、22项；环发〔2015〕175号",
        description_zh=(
            "生产期间某污染物小时浓度长时间保持同一数值，按该序列自身的重复率计算，"
            "偶然出现的可能性极低，疑似数据被固定。"
        ),
        description_en=(
            "An hourly concentration repeats one value for many production hours, which the "
            "series' own repeat rate makes very unlikely: the data may be fixed."
        ),
        evidence={
            "observed": Field("恒定数值", "Constant value", unit=POLLUTANT_UNIT),
            "threshold": Field("最短持续时长", "Shortest episode", "hours"),
            "repeat_rate": Field("平时重复率", "Usual repeat rate", "percent"),
            "chance": Field("偶然出现概率", "Chance of occurring by chance", "probability"),
            "outlet_ids": Field("排放口", "Outlet", "names", name_kind="outlet"),
        },
        parameters={
            "max_chance": Field("偶然概率上限", "Largest chance reported", "probability"),
            "min_repeat_rate": Field("重复率下限", "Floor of the repeat rate", "percent"),
            "min_value": Field("最小数值", "Smallest value judged"),
        },
        params_type=Params,
        needs=("outlets", "cems", "meters", "power"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="outlet",
    )
)
