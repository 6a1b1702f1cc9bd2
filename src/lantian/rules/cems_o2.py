"""CEMS-O2: implausible O2 while the line produces (O2_ABNORMAL).

Combustion flue gas contains well under 21 % O2. Hourly O2 at or above ``o2_high_pct``
while the production meters show the line running means air is getting into the duct or
the probe (dilution, 稀释排放 — 篡改 under 环发〔2015〕175号), which also makes 折算
unreliable. Only outlets with a reference O2 (combustion sources) are checked, and only
when O2 rises clearly above the outlet's own typical O2 while producing (by
``min_margin_pct`` and ``noise_k`` robust deviations), so a process whose normal O2 is high
is judged against itself. Hysteresis: hours from ``o2_candidate_pct`` form an episode whose
mean must reach ``o2_high_pct``. O2 ≤ ``o2_low_pct`` while
producing is physically impossible and flagged too.

References
----------
.. [1] HJ 75-2017 (折算 singular as O2 → 21 %); 环发〔2015〕175号 (稀释排放).
.. [2] Rule C-07 of the Lantian regulation notes (thresholds are parameters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules.base import Rule, finish, islands, register
from lantian.rules.context import O2_CODE, VALID_FLAGS, Context
from lantian.rules.evidence import Field


@dataclass(frozen=True)
class Params:
    """Parameters of CEMS-O2."""

    o2_high_pct: float = 19.0
    """An episode's mean O2 at or above this [%] while producing is abnormal."""
    o2_candidate_pct: float = 18.0
    """Hours at or above this O2 [%] (and ≥ min_margin_pct above the outlet's typical O2)
    may belong to an episode; the episode's mean must reach o2_high_pct."""
    o2_low_pct: float = 0.0
    """Hourly O2 at or below this [%] while producing is abnormal."""
    min_margin_pct: float = 1.0
    """A high hour is at least this far above the outlet's median O2 while producing [%]."""
    noise_k: float = 4.0
    """… and at least noise_k × its robust O2 spread (1.4826 × MAD) above that median."""
    min_duration_h: int = 2
    """Shortest episode reported [h]."""
    max_gap_h: int = 1
    """Abnormal hours separated by at most this many hours are one episode [h]."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of O2 out of the plausible band during stable production."""
    c = ctx.cems_hourly()
    st = ctx.outlet_state()
    prod = st.filter(st.stable).select("outlet_id", "h")
    o2 = c.filter(
        (c.pollutant == O2_CODE)
        & c.flag.isin(list(VALID_FLAGS))
        & c.value.notnull()
        & c.o2_ref_pct.notnull()
    ).semi_join(prod, ["outlet_id", "h"])
    typical = o2.group_by("outlet_id").aggregate(o2_median=o2.value.median())
    dev = o2.join(typical, "outlet_id")
    spread = dev.group_by("outlet_id").aggregate(
        o2_sigma=1.4826 * (dev.value - dev.o2_median).abs().median()
    )
    own = ctx.baseline("o2", ["outlet_id"], typical.join(spread, "outlet_id"))
    o2 = o2.join(own, "outlet_id")
    high = (o2.value >= p.o2_candidate_pct) & (o2.value >= o2.o2_median + p.min_margin_pct)
    bad = o2.filter(
        (high | (o2.value <= p.o2_low_pct)) & (o2.o2_median <= p.o2_high_pct - p.min_margin_pct)
    )
    ep = islands(
        bad,
        ["enterprise_id", "outlet_id"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {
            "o2_mean": t.value.mean(),
            "o2_max": t.value.max(),
            "o2_min": t.value.min(),
            "o2_median": t.o2_median.max(),
        },
    )
    # hysteresis: hours from o2_candidate_pct join an episode, whose mean must reach
    # o2_high_pct (or stay at/below o2_low_pct)
    ep = ep.filter(
        (ep.n >= p.min_duration_h) & ((ep.o2_mean >= p.o2_high_pct) | (ep.o2_max <= p.o2_low_pct))
    )
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ep.enterprise_id,
        subject_type="outlet",
        subject_id=ep.outlet_id,
        pollutant=ibis.literal(O2_CODE),
        hours=ep.n,
        observed=ep.o2_mean,
        threshold=p.o2_high_pct,
        coverage=ep.n / span_h,
        o2_max=ep.o2_max,
        o2_min=ep.o2_min,
        o2_typical_producing=ep.o2_median,
        outlet_ids=ep.outlet_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    out = tx.name(names, "outlet", row["subject_id"])
    low = row["observed"] is not None and float(row["observed"]) <= 1.0
    what = "氧含量异常偏低（≤0%）" if low else "氧含量异常偏高"
    return (
        f"{ent}{out}在生产期间{what}{tx.dur_zh(row['hours'])}"
        f"（{tx.span_zh(row['start_t'], row['end_t'])}），平均{tx.num(row['observed'])}%，"
        f"正常生产时约{tx.num(row['o2_typical_producing'])}%，疑似稀释排放或探头漏气，"
        "折算浓度不可信，建议现场核查。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Longer and higher is more certain."""
    h = float(row["hours"])
    sev = 3 if h >= 8 else 2 if h >= 4 else 1
    score = min(1.0, 0.6 + 0.05 * h)
    return sev, score


RULE = register(
    Rule(
        code="CEMS-O2",
        family="O2_ABNORMAL",
        title_zh="生产期间氧含量异常",
        title_en="Implausible O2 while producing",
        clause="HJ 75-2017 折算；环发〔2015〕175号（稀释排放属篡改）",
        description_zh=(
            "生产期间烟气氧含量异常偏高（接近空气）或为零，明显偏离该排放口生产时的"
            "正常水平，疑似稀释采样或数据异常（折算浓度因此失真）。"
        ),
        description_en=(
            "While producing, the flue-gas O2 is abnormally high (near air) or zero, far from "
            "the outlet's usual level: dilution or a faulty analyser (corrected values mislead)."
        ),
        evidence={
            "observed": Field("平均氧含量", "Mean O2", unit="%"),
            "threshold": Field("氧含量偏高判定值", "O2 judged high from", unit="%"),
            "o2_max": Field("最高氧含量", "Highest O2", unit="%"),
            "o2_min": Field("最低氧含量", "Lowest O2", unit="%"),
            "o2_typical_producing": Field("生产时典型氧含量", "Usual O2 while producing", unit="%"),
            "outlet_ids": Field("排放口", "Outlet", "names", name_kind="outlet"),
        },
        parameters={
            "o2_high_pct": Field("氧含量偏高判定值", "O2 judged high from", unit="%"),
            "o2_candidate_pct": Field("偏高候选值", "O2 candidate hours from", unit="%"),
            "o2_low_pct": Field("氧含量偏低判定值", "O2 judged low up to", unit="%"),
            "min_margin_pct": Field("高于平时的最小差值", "Least margin above usual", unit="%"),
            "noise_k": Field("波动倍数", "Spread multiple", "ratio"),
        },
        params_type=Params,
        needs=("outlets", "cems", "meters", "power"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="outlet",
    )
)
