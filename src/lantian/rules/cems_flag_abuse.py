"""CEMS-FLAG-ABUSE: stopped / maintenance / calibration flags while producing (FLAG_ABUSE).

Data flagged F (停运), M (维护) or C (校准) are excluded from exceedance judgement
(生态环境部公告 2022 年第 21 号). Such marks are only legitimate when the facts behind
them hold: an outlet flagged "stopped" while its line's production meters show it running,
or maintenance/calibration lasting many hours while producing, is marking abuse (rule
C-13). An hour counts when most of the outlet's rows carry those flags while the line is
producing (from its first production hour: a mark lagging a start-up by up to two hours
stays below ``min_duration_h``, as does the daily one-hour calibration).

References
----------
.. [1] 生态环境部公告 2022 年第 21 号《污染物排放自动监测设备标记规则》.
.. [2] 执法函〔2020〕21号 (工况标记 must match the real operating state).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules.base import Rule, finish, islands, register
from lantian.rules.context import Context
from lantian.rules.evidence import Field

FLAG_ZH = {"F": "停运(F)", "M": "维护(M)", "C": "校准(C)"}


@dataclass(frozen=True)
class Params:
    """Parameters of CEMS-FLAG-ABUSE."""

    min_duration_h: int = 3
    """Shortest episode reported [h]."""
    max_gap_h: int = 1
    """Flagged hours separated by at most this many hours are one episode [h]."""
    min_row_share: float = 0.5
    """An hour is marked when at least this share of the outlet's rows carry F/M/C."""
    include_calibration: bool = True
    """Count C hours too (a calibration never needs min_duration_h hours)."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of F/M/C marks while the line produces."""
    st = ctx.outlet_state()
    grid = st.filter(st.producing).select("outlet_id", "enterprise_id", "h", "level")
    fl = ctx.outlet_hour_flags()
    marked = fl.n_f + fl.n_m + (fl.n_c if p.include_calibration else fl.n_c * 0)
    fl = fl.mutate(n_marked=marked)
    fl = fl.filter(fl.n_marked >= fl.n_rows * p.min_row_share)
    bad = grid.join(fl, ["outlet_id", "h"]).mutate(t=ibis._.h * 3600)
    ep = islands(
        bad,
        ["enterprise_id", "outlet_id"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {
            "f_hours": (t.n_f > 0).cast("int64").sum(),
            "m_hours": (t.n_m > 0).cast("int64").sum(),
            "c_hours": (t.n_c > 0).cast("int64").sum(),
            "production_level": t.level.mean(),
        },
    )
    ep = ep.filter(ep.n >= p.min_duration_h)
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ep.enterprise_id,
        subject_type="outlet",
        subject_id=ep.outlet_id,
        pollutant=None,
        hours=ep.n,
        observed=ep.n,
        threshold=p.min_duration_h,
        coverage=ep.n / span_h,
        f_hours=ep.f_hours,
        m_hours=ep.m_hours,
        c_hours=ep.c_hours,
        production_level=ep.production_level,
        outlet_ids=ep.outlet_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    out = tx.name(names, "outlet", row["subject_id"])
    flags = [
        FLAG_ZH[k]
        for k, col in (("F", "f_hours"), ("M", "m_hours"), ("C", "c_hours"))
        if row.get(col)
    ]
    lvl = row.get("production_level")
    lvl_txt = f"（约为正常负荷的{float(lvl) * 100:.0f}%）" if lvl is not None else ""
    return (
        f"{ent}{out}在{tx.span_zh(row['start_t'], row['end_t'])}将监测数据标记为"
        f"{'、'.join(flags) or '停运/维护'}共{tx.dur_zh(row['hours'])}，而分表计电显示生产线"
        f"正在生产{lvl_txt}，疑似滥用数据标记规避监管。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """F while producing is the clearest contradiction."""
    h = float(row["hours"])
    sev = 3 if (h >= 12 or row.get("f_hours")) else 2 if h >= 6 else 1
    return sev, min(1.0, 0.6 + 0.05 * h)


RULE = register(
    Rule(
        code="CEMS-FLAG-ABUSE",
        family="FLAG_ABUSE",
        title_zh="生产期间标记停运/维护",
        title_en="Stopped/maintenance flags while producing",
        clause="生态环境部公告2022年第21号《污染物排放自动监测设备标记规则》；执法函〔2020〕21号",
        description_zh=(
            "监测数据被标记为停运(F)、维护(M)或校准(C)，而分表计电显示生产线正在生产，"
            "疑似滥用数据标记逃避监管。"
        ),
        description_en=(
            "Data flagged stopped (F), maintenance (M) or calibration (C) while sub-metering "
            "shows the line producing."
        ),
        evidence={
            "observed": Field("标记时长", "Hours flagged", "hours"),
            "threshold": Field("最短持续时长", "Shortest episode", "hours"),
            "f_hours": Field("停运(F)标记时长", "Hours flagged F", "hours"),
            "m_hours": Field("维护(M)标记时长", "Hours flagged M", "hours"),
            "c_hours": Field("校准(C)标记时长", "Hours flagged C", "hours"),
            "production_level": Field(
                "生产负荷（占正常）", "Production load (of normal)", "percent"
            ),
            "outlet_ids": Field("排放口", "Outlet", "names", name_kind="outlet"),
        },
        parameters={
            "min_row_share": Field("标记数据比例下限", "Least share of flagged rows", "percent"),
            "include_calibration": Field("计入校准(C)标记", "Count calibration (C)", "bool"),
        },
        params_type=Params,
        needs=("outlets", "cems", "meters", "power"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="outlet",
    )
)
