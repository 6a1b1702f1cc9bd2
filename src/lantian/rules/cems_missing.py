"""CEMS-MISSING: no valid CEMS data while the line produces (MISSING).

For every hour in which the outlet's production line is producing (after the start-up
grace), the outlet must report valid hourly data. An hour with no rows at all, or only
rows flagged B (communication fault) or D (fault), is missing. HJ 76-2017 App. B requires
≥ 20 valid hours per day, so ``min_duration_h`` = 4 missing production hours in a row is
the most a day can lose and still be valid. Hours flagged F/M/C are left to CEMS-FLAG-ABUSE;
hours while the line is stopped are never leads (planned shutdowns, maintenance).

HJ 76 judges validity per parameter, so one failed analyser is missing data too (and the
way a NOx exceedance hides): a pollutant the outlet measures whose rows are absent or B/D
for ``min_duration_h`` production hours while another measured pollutant of the outlet
reports valid data is a lead naming the pollutant. An outage of every measured pollutant
stays one lead for the outlet (pollutant null), never one lead per pollutant. A pollutant
counts as measured at an outlet when it is valid in at least ``measured_share`` of the
hours the outlet reports valid data (a pollutant the outlet does not measure is not missing).

References
----------
.. [1] HJ 76-2017, Appendix B (≥ 45 valid minutes per hour, ≥ 20 valid hours per day),
   validity judged per monitored parameter.
.. [2] 2012 指南 §7 item 19 (长期无正当理由无自动监控数据); rule C-06.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules.base import Rule, finish, islands, register
from lantian.rules.context import POLLUTANT_ZH, VALID_FLAGS, Context
from lantian.rules.evidence import Field

MARKED_FLAGS: tuple[str, ...] = ("F", "M", "C")
"""Flags that declare a state (stopped, maintenance, calibration): left to CEMS-FLAG-ABUSE."""


@dataclass(frozen=True)
class Params:
    """Parameters of CEMS-MISSING."""

    min_duration_h: int = 4
    """Shortest episode of missing production hours reported [h]."""
    max_gap_h: int = 1
    """Missing hours separated by at most this many hours are one episode [h]."""
    measured_share: float = 0.5
    """A pollutant is measured at an outlet when it is valid in ≥ this share of the hours
    in which the outlet reports any valid data (else its absence is not a lead)."""


def pollutant_hours(ctx: Context, p: Params) -> ir.Table:
    """Per outlet, measured pollutant and hour with a known line state: validity counts.

    Columns: outlet_id, enterprise_id, h, level, stable, pollutant, p_rows, p_ok, p_bd,
    p_marked, missing (no valid and no marked row of that pollutant in the hour).
    Only the pollutants of ``StateParams.cems_pollutants`` that the outlet measures
    (see ``measured_share``) have rows.
    """
    c = ctx.inputs.cems
    c = c.filter(
        c.outlet_id.notnull() & c.t.notnull() & c.pollutant.isin(list(ctx.state.cems_pollutants))
    )
    c = c.mutate(h=c.t // 3600, flag=c.flag.fill_null("N").upper())
    pf = c.group_by(["outlet_id", "pollutant", "h"]).aggregate(
        p_rows=c.count(),
        p_ok=(c.flag.isin(list(VALID_FLAGS)) & c.value.notnull()).cast("int64").sum(),
        p_bd=c.flag.isin(["B", "D"]).cast("int64").sum(),
        p_marked=c.flag.isin(list(MARKED_FLAGS)).cast("int64").sum(),
    )
    fl = ctx.outlet_hour_flags()
    out_h = fl.filter(fl.n_ok > 0).group_by("outlet_id").aggregate(valid_h=ibis._.count())
    pol_h = (
        pf.filter(pf.p_ok > 0).group_by(["outlet_id", "pollutant"]).aggregate(ok_h=ibis._.count())
    )
    m = pol_h.join(out_h, "outlet_id")
    m = ctx.baseline("measured_hours", ["outlet_id", "pollutant"], m)
    measured = m.filter(m.ok_h >= p.measured_share * m.valid_h).select("outlet_id", "pollutant")
    st = ctx.outlet_state().select("outlet_id", "enterprise_id", "h", "level", "stable")
    g = st.join(measured, "outlet_id")
    g = g.left_join(pf, ["outlet_id", "pollutant", "h"]).drop(
        "outlet_id_right", "pollutant_right", "h_right"
    )
    g = g.mutate(
        p_rows=g.p_rows.fill_null(0),
        p_ok=g.p_ok.fill_null(0),
        p_bd=g.p_bd.fill_null(0),
        p_marked=g.p_marked.fill_null(0),
    )
    return g.mutate(missing=(g.p_ok == 0) & (g.p_marked == 0))


def _episode_aggs(t: ir.Table) -> dict[str, Any]:
    prod = t.stable
    return {
        "prod_hours": prod.cast("int64").sum(),
        "prod_start": (t.t).min(where=prod),
        "prod_end": (t.t + 3600).max(where=prod),
        "absent_hours": ((t.n_rows == 0) & prod).cast("int64").sum(),
        "fault_flag_hours": ((t.n_bd > 0) & prod).cast("int64").sum(),
        "production_level": t.level.mean(where=prod),
    }


def _finish(ep: ir.Table, p: Params, pollutant: ir.Value | None) -> ir.Table:
    ep = ep.filter(ep.prod_hours >= p.min_duration_h)
    ep = ep.mutate(start_t=ep.prod_start, end_t=ep.prod_end)
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ep.enterprise_id,
        subject_type="outlet",
        subject_id=ep.outlet_id,
        pollutant=pollutant,
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


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of production hours without valid CEMS data: outlet-wide or one pollutant.

    Every hour with a known line state is classified (missing or not); an outage is a run
    of missing hours (production dips inside it do not split it), and it is a lead when at
    least ``min_duration_h`` of its hours are stable production hours. The reported window
    runs from the first to the last missing production hour. An outlet-hour is missing
    when it has no valid and no marked row at all, or when every pollutant the outlet
    measures is missing (other parameters such as flow may still report); a pollutant-hour
    is missing on its own when that pollutant has no valid and no marked row while another
    measured pollutant of the outlet is valid.
    """
    ph = pollutant_hours(ctx, p)
    per_hour = ph.group_by(["outlet_id", "h"]).aggregate(
        k=ibis._.count(),
        k_missing=ibis._.missing.cast("int64").sum(),
        k_ok=(ibis._.p_ok > 0).cast("int64").sum(),
    )
    st = ctx.outlet_state()
    grid = st.select("outlet_id", "enterprise_id", "h", "level", "stable")
    fl = ctx.outlet_hour_flags()
    j = grid.left_join(fl, ["outlet_id", "h"]).drop("outlet_id_right", "h_right")
    j = j.left_join(per_hour, ["outlet_id", "h"]).drop("outlet_id_right", "h_right")
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
        all_missing=j.k.notnull() & (j.k > 0) & (j.k_missing == j.k),
    )
    bad = j.filter(((j.n_ok == 0) & (j.n_marked == 0)) | j.all_missing).mutate(t=ibis._.h * 3600)
    wide = islands(
        bad, ["enterprise_id", "outlet_id"], 3600, p.max_gap_h * 3600, aggs=_episode_aggs
    )
    # one analyser: missing while another measured pollutant of the outlet is valid
    one = ph.join(per_hour, ["outlet_id", "h"])
    one = one.filter(one.missing & (one.k_ok > 0)).select(
        "outlet_id",
        "enterprise_id",
        "pollutant",
        "h",
        "level",
        "stable",
        t=one.h * 3600,
        n_rows=one.p_rows,
        n_bd=one.p_bd,
    )
    single = islands(
        one,
        ["enterprise_id", "outlet_id", "pollutant"],
        3600,
        p.max_gap_h * 3600,
        aggs=_episode_aggs,
    )
    return _finish(wide, p, None).union(_finish(single, p, single.pollutant))


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
    what = "有效监测数据"
    if row.get("pollutant"):
        pol = POLLUTANT_ZH.get(row["pollutant"], row["pollutant"])
        what = f"{pol}有效监测数据（其他因子正常上报）"
    return (
        f"{ent}{out}在分表计电显示生产期间{tx.dur_zh(row['hours'])}缺少{what}"
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
        description_zh=(
            "分表计电显示生产线在生产，而排放口（或某一污染物）监测数据缺失，"
            "疑似生产期间故意中断监测。"
        ),
        description_en=(
            "Sub-metering shows the line producing while the outlet (or one pollutant) sends "
            "no valid data."
        ),
        evidence={
            "observed": Field("生产期间缺失时长", "Missing while producing", "hours"),
            "threshold": Field("最短持续时长", "Shortest episode", "hours"),
            "absent_hours": Field("无数据时长", "Hours without data", "hours"),
            "fault_flag_hours": Field("故障标记时长", "Hours flagged as fault", "hours"),
            "production_level": Field(
                "生产负荷（占正常）", "Production load (of normal)", "percent"
            ),
            "outage_hours": Field("缺失总时长", "Total missing", "hours"),
            "outlet_ids": Field("排放口", "Outlet", "names", name_kind="outlet"),
        },
        parameters={
            "measured_share": Field(
                "视为在测的数据比例", "Share that makes a pollutant measured", "percent"
            ),
        },
        params_type=Params,
        needs=("outlets", "cems", "meters", "power"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="outlet",
    )
)
