"""CEMS-EXCEED: 折算 hourly mean above the outlet's hourly limit (family EXCEEDANCE).

Only judgeable hours count: flags N, T (over range: the true value is at least the reported
one) and S; hours flagged C, M, F, D or B never do (生态环境部公告 2022 年第 21 号: marked
data are not used for exceedance judgement), nor hours with fewer than 45 valid minutes
(HJ 76-2017 App. B) or with O2 at or above the guard (折算 is singular near 21 %).
Consecutive exceeding hours (gaps up to ``max_gap_h``) are one episode.

References
----------
.. [1] HJ 76-2017, Appendix B: the CEMS raises an alarm when a 1-h 折算 mean exceeds the limit.
.. [2] HJ 75-2017, 折算 C_ref = C × (21 − O2_ref)/(21 − O2); GB 13223-2011 §5.2.
.. [3] 生态环境部公告 2022 年第 21 号《污染物排放自动监测设备标记规则》.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules.base import Rule, finish, islands, register
from lantian.rules.context import Context
from lantian.rules.evidence import POLLUTANT_UNIT, Field


@dataclass(frozen=True)
class Params:
    """Parameters of CEMS-EXCEED."""

    min_duration_h: int = 1
    """Shortest episode reported [h] (HJ 76: every exceeding hour is an alarm)."""
    max_gap_h: int = 1
    """Exceeding hours separated by at most this many other hours are one episode [h]."""
    pollutants: tuple[str, ...] = ("a34013", "a21026", "a21002")
    """HJ 212 codes judged (particulate, SO2, NOx)."""
    min_factor: float = 1.0
    """An hour exceeds when 折算 > min_factor × limit (1.0 = the limit itself)."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of 折算 hourly means above the limit."""
    c = ctx.cems_hourly()
    bad = c.filter(
        c.judgeable
        & c.lim.notnull()
        & (c.lim > 0)
        & c.zs.notnull()
        & c.pollutant.isin(list(p.pollutants))
        & (c.zs > c.lim * p.min_factor)
    )
    ep = islands(
        bad,
        ["enterprise_id", "outlet_id", "pollutant"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {
            "peak": t.zs.max(),
            "mean_zs": t.zs.mean(),
            "lim": t.lim.max(),
            "t_flag_hours": (t.flag == "T").cast("int64").sum(),
        },
    )
    ep = ep.filter(ep.n >= p.min_duration_h)
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ep.enterprise_id,
        subject_type="outlet",
        subject_id=ep.outlet_id,
        pollutant=ep.pollutant,
        hours=ep.n,
        observed=ep.peak,
        threshold=ep.lim,
        coverage=ep.n / span_h,
        mean_zs=ep.mean_zs,
        peak_factor=ep.peak / ep.lim,
        t_flag_hours=ep.t_flag_hours,
        outlet_ids=ep.outlet_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    out = tx.name(names, "outlet", row["subject_id"])
    pol = tx.pollutant_zh(row["pollutant"])
    lead = "连续" if row["hours"] > 1 else ""
    return (
        f"{ent}{out}{pol}折算浓度{lead}{tx.dur_zh(row['hours'])}超过排放限值"
        f"{tx.num(row['threshold'])}mg/m³（{tx.span_zh(row['start_t'], row['end_t'])}），"
        f"最高{tx.num(row['observed'])}mg/m³（{row['peak_factor']:.2f}倍）。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Severity by duration and factor; score = confidence (more hours, higher factor)."""
    f, h = float(row["peak_factor"]), float(row["hours"])
    sev = 3 if (f >= 2 or h >= 24) else 2 if (f >= 1.5 or h >= 4) else 1
    score = min(1.0, 0.5 + 0.1 * min(h, 3) + 0.3 * min(1.0, (f - 1) / 0.5))
    return sev, score


RULE = register(
    Rule(
        code="CEMS-EXCEED",
        family="EXCEEDANCE",
        title_zh="折算浓度超标",
        title_en="Hourly corrected concentration above the limit",
        clause=(
            "HJ 76-2017 附录B（小时折算均值超标报警）；HJ 75-2017 折算；生态环境部公告2022年第21号"
        ),
        description_zh=(
            "排放口小时折算浓度均值高于排放限值即判为超标。只计有效小时（数据标记为N、T、S，"
            "有效分钟数不少于45分钟，氧含量低于保护值）；相邻的超标小时合并为一段。"
        ),
        description_en=(
            "An outlet's hourly corrected (reference-O2) mean above its emission limit. Only "
            "valid hours count (flags N, T, S; at least 45 valid minutes; O2 below the guard); "
            "neighbouring exceeding hours form one episode."
        ),
        evidence={
            "observed": Field("最高折算浓度", "Peak corrected concentration", unit=POLLUTANT_UNIT),
            "threshold": Field("排放限值", "Emission limit", unit=POLLUTANT_UNIT),
            "mean_zs": Field("平均折算浓度", "Mean corrected concentration", unit=POLLUTANT_UNIT),
            "peak_factor": Field("最高超标倍数", "Peak multiple of the limit", "ratio"),
            "t_flag_hours": Field("超测定上限(T)小时数", "Hours flagged T (over range)", "hours"),
            "outlet_ids": Field("排放口", "Outlet", "names", name_kind="outlet"),
        },
        parameters={
            "min_factor": Field("超标判定倍数", "Exceedance factor", "ratio"),
        },
        params_type=Params,
        needs=("outlets", "cems"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="outlet",
    )
)
