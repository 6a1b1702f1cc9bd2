"""CEMS-MISSING: no valid CEMS data while the line produces (MISSING).

For every hour in which the outlet's production line is producing (after the start-up
grace), the outlet must report valid hourly data. An hour with no rows at all, or only
rows flagged B (communication fault) or D (fault), is missing. HJ 76-2017 App. B requires
≥ 20 valid hours per day, so ``min_duration_h`` = 4 missing production hours in a row is
the most a day can lose and still be valid. Hours flagged F/M/C are left to CEMS-FLAG-ABUSE;
hours while the line is stopped are never leads (planned shutdowns, maintenance).

References
----------
.. [1] HJ 76-2017, Appendix B (≥ 45 valid minutes per hour, ≥ 20 valid hours per day).
.. [2] 2012 指南 §7 item 19 (长期无正当理由无自动监控数据); rule C-06.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules.base import Rule, finish, islands, register
from lantian.rules.context import Context


@dataclass(frozen=True)
class Params:
    """Parameters of CEMS-MISSING."""

    min_duration_h: int = 4
    """Shortest episode of missing production hours reported [h]."""
    max_gap_h: int = 1
    """Missing hours separated by at most this many hours are one episode [h]."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of production hours without valid CEMS data.

    Every hour with a known line state is classified (missing or not); an outage is a run
    of missing hours (production dips inside it do not split it), and it is a lead when at
    least ``min_duration_h`` of its hours are stable production hours. The reported window
    runs from the first to the last missing production hour.
    """
    st = ctx.outlet_state()
    grid = st.select("outlet_id", "enterprise_id", "h", "level", "stable")
    fl = ctx.outlet_hour_flags()
    j = grid.left_join(fl, ["outlet_id", "h"])
    j = j.select(
        "outlet_id",
        "enterprise_id",
        "h",
        "level",
        "stable",
        n_rows=j.n_rows.fill_null(0),
        n_ok=j.n_ok.fill_null(0),
        n_bd=j.n_bd.fill_null(0),
        n_marked=(j.n_f.fill_null(0) + j.n_m.fill_null(0) + j.n_c.fill_null(0)),
    )
    bad = j.filter((j.n_ok == 0) & (j.n_marked == 0)).mutate(t=ibis._.h * 3600)

    def aggs(t: ir.Table) -> dict[str, Any]:
        prod = t.stable
        return {
            "prod_hours": prod.cast("int64").sum(),
            "prod_start": (t.t).min(where=prod),
            "prod_end": (t.t + 3600).max(where=prod),
            "absent_hours": ((t.n_rows == 0) & prod).cast("int64").sum(),
            "fault_flag_hours": ((t.n_bd > 0) & prod).cast("int64").sum(),
            "production_level": t.level.mean(where=prod),
        }

    ep = islands(bad, ["enterprise_id", "outlet_id"], 3600, p.max_gap_h * 3600, aggs=aggs)
    ep = ep.filter(ep.prod_hours >= p.min_duration_h)
    ep = ep.mutate(start_t=ep.prod_start, end_t=ep.prod_end)
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ep.enterprise_id,
        subject_type="outlet",
        subject_id=ep.outlet_id,
        pollutant=None,
        hours=ep.prod_hours,
        observed=ep.prod_hours,
        threshold=p.min_duration_h,
        coverage=1 - ep.prod_hours / span_h,
        absent_hours=ep.absent_hours,
        fault_flag_hours=ep.fault_flag_hours,
        production_level=ep.production_level,
        outage_hours=ep.n,
        outlet_ids=ep.outlet_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    out = tx.name(names, "outlet", row["subject_id"])
    how = []
    if row.get("absent_hours"):
        how.append(f"{int(row['absent_hours'])}小时无数据")
    if row.get("fault_flag_hours"):
        how.append(f"{int(row['fault_flag_hours'])}小时标记故障/通讯异常")
    detail = "、".join(how) or "无有效数据"
    return (
        f"{ent}{out}在分表计电显示生产期间{tx.dur_zh(row['hours'])}缺少有效监测数据"
        f"（{tx.span_zh(row['start_t'], row['end_t'])}，{detail}），建议核查监控设施运行情况。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Longer gaps while producing are worse; score grows with the length."""
    h = float(row["hours"])
    sev = 3 if h >= 24 else 2 if h >= 8 else 1
    return sev, min(1.0, 0.55 + 0.05 * h)


RULE = register(
    Rule(
        code="CEMS-MISSING",
        family="MISSING",
        title_zh="生产期间监测数据缺失",
        title_en="Missing CEMS data while producing",
        clause="HJ 76-2017 附录B（有效小时/日数据）；2012 指南 §7 第19项",
        params_type=Params,
        needs=("outlets", "cems", "meters", "power"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="outlet",
    )
)
