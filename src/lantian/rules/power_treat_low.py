"""POWER-TREAT-LOW: treatment idling or derated while production runs normally (TREATMENT_LOW).

A treatment meter that is on (above its own off threshold) but draws far less than its own
normal running power while the line produces at a normal level signals 空转/降频 (idling,
reduced fan speed, fewer pumps). Self-calibrating: "normal" is the meter's own running
level; the low threshold is the lower of ``low_ratio`` × its median share during production
and its median − ``mad_k`` robust deviations, so a treatment that naturally follows the load
is judged against its own spread.

References
----------
.. [1] Rule E-03 (idling / derating) of the Lantian regulation notes; 用电监控 practice
   ("治污设施…空转、降频", 邳州). Thresholds are parameters, not regulation numbers.
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


@dataclass(frozen=True)
class Params:
    """Parameters of POWER-TREAT-LOW."""

    low_ratio: float = 0.7
    """Low when below this fraction of the meter's median level during production."""
    mad_k: float = 5.0
    """… and below median − mad_k × 1.4826 × MAD of that level."""
    min_production_level: float = 0.7
    """The line's production power ≥ this share of its normal running power."""
    min_on_share: float = 0.9
    """The treatment meter is on for ≥ this share of the hour (else it is OFF, not LOW)."""
    min_duration_h: int = 2
    """Shortest episode reported [h]."""
    max_gap_h: int = 1
    """Low hours separated by at most this many hours are one episode [h]."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of derated treatment during normal production.

    An hour is low when the meter's ratio (kW / running level) is below its own limit
    (the lower of ``low_ratio`` × median and median − ``mad_k`` robust deviations, from
    its stable production hours). Hours are judged from the first producing hour: the
    start-up grace of the CEMS rules is not needed here, since the treatment must run at
    its level from the start (an hour in which it is not on all along is OFF, not LOW).

    A derating rarely starts on the hour: its first and last hours are only partly low.
    Such an edge hour joins an episode when its ratio is below the midpoint between the
    meter's median and its limit, and the episode is reported when it has
    ``min_duration_h`` low hours, or when its estimated low duration reaches
    ``min_duration_h``: the sum of the hours' deficits (median − ratio) divided by the
    deepest hour's deficit (each partly low hour counts by the share of the hour it was
    low, whatever the meter's noise or depth of derating).
    """
    mh = ctx.meter_hourly()
    u = ctx.unit_hourly()
    tr = mh.filter((mh.role == "treatment") & mh.line_id.notnull())
    j = tr.join(
        u.select("line_id", "h", "producing", "stable", prod_level=u.level), ["line_id", "h"]
    )
    j = j.mutate(ratio=j.kw / ibis.greatest(j.run_kw, 1e-9))
    normal = j.filter(j.stable & (j.on_share >= p.min_on_share))
    med = normal.group_by("meter_id").aggregate(r_med=normal.ratio.median())
    dev = normal.join(med, "meter_id")
    dev = dev.mutate(ad=(dev.ratio - dev.r_med).abs())
    mad = dev.group_by("meter_id").aggregate(r_mad=dev.ad.median())
    own = ctx.baseline("treatment_share", ["meter_id"], med.join(mad, "meter_id"))
    j = j.join(own, "meter_id")
    limit = ibis.least(p.low_ratio * j.r_med, j.r_med - p.mad_k * 1.4826 * j.r_mad)
    j = j.mutate(low_limit=limit, edge_limit=(j.r_med + limit) / 2)
    cand = j.filter(
        j.producing
        & (j.prod_level >= p.min_production_level)
        & (j.on_share >= p.min_on_share)
        & (j.ratio < j.edge_limit)
    ).mutate(
        t=ibis._.h * 3600,
        core=ibis._.ratio < ibis._.low_limit,
        deficit=ibis._.r_med - ibis._.ratio,
    )
    # per meter: runs of low and partly low hours, and their estimated low duration
    runs = islands(
        cand,
        ["enterprise_id", "line_id", "meter_id"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {
            "n_core": t.core.cast("int64").sum(),
            "d_sum": t.deficit.sum(),
            "d_max": t.deficit.max(),
        },
    )
    runs = runs.filter((runs.n_core >= 1) & (runs.d_sum >= p.min_duration_h * runs.d_max)).select(
        "meter_id", run_start=runs.start_t, run_end=runs.end_t
    )
    edges = cand.filter(~cand.core).join(
        runs,
        [
            cand.meter_id == runs.meter_id,
            cand.t >= runs.run_start,
            cand.t < runs.run_end,
        ],
    )
    bad = cand.filter(cand.core).union(edges.select(*cand.columns))
    ep = islands(
        bad,
        ["enterprise_id", "line_id"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {
            "meter_ids": t.meter_id.group_concat("|"),
            "share_of_normal": (t.ratio / t.r_med).mean(where=t.core),
            "low_limit": (t.low_limit / t.r_med).max(),
            "treat_kw": t.kw.mean(where=t.core),
            "normal_kw": (t.run_kw * t.r_med).mean(where=t.core),
            "production_level": t.prod_level.mean(),
            "n_hours": t.h.nunique(),
            "n_core": t.h.nunique(where=t.core),
        },
    )
    ep = ep.filter((ep.n_hours >= p.min_duration_h) & (ep.n_core >= 1))
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ep.enterprise_id,
        subject_type="line",
        subject_id=ep.line_id,
        pollutant=None,
        hours=ep.n_hours,
        observed=ep.share_of_normal,
        threshold=ep.low_limit,
        coverage=ep.n_hours / span_h,
        treatment_kw=ep.treat_kw,
        normal_kw=ep.normal_kw,
        production_level=ep.production_level,
        meter_ids=ep.meter_ids,
        line_ids=ep.line_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    ids = sorted({m for m in str(row.get("meter_ids") or "").split("|") if m})
    eq = "、".join(f"{tx.name(names, 'meter', m)}（{m}）" for m in ids) or "治污设施"
    return (
        f"{ent}{tx.line_zh(row['subject_id'])}在{tx.span_zh(row['start_t'], row['end_t'])}"
        f"正常生产期间，治污设施{eq}功率仅为其正常水平的"
        f"{float(row['observed']) * 100:.0f}%（约{tx.num(row['treatment_kw'])}kW，正常约"
        f"{tx.num(row['normal_kw'])}kW），持续{tx.dur_zh(row['hours'])}，疑似空转或降频运行。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Lower share and longer duration are worse."""
    share, h = float(row["observed"]), float(row["hours"])
    sev = 3 if share < 0.3 and h >= 4 else 2 if share < 0.5 or h >= 4 else 1
    return sev, min(1.0, 0.5 + 0.3 * (1 - min(1.0, share / p.low_ratio)) + 0.05 * h)


RULE = register(
    Rule(
        code="POWER-TREAT-LOW",
        family="TREATMENT_LOW",
        title_zh="治污设施空转/降频",
        title_en="Treatment idling or derated while producing",
        clause="排污单位用电监控技术指南（征求意见稿）治污设施空转、降频预警（规则E-03）",
        description_zh=(
            "生产线正常生产时，治污设施虽在运行但功率明显低于其正常水平，疑似低效运行。"
        ),
        description_en=(
            "While the line produces normally, the treatment equipment runs far below its "
            "usual power: treatment running low."
        ),
        evidence={
            "observed": Field("治污功率占正常比例", "Treatment power of normal", "percent"),
            "threshold": Field("低效判定比例", "Low below", "percent"),
            "treatment_kw": Field(
                "治污设施平均功率", "Treatment mean power", unit="kW", decimals=1
            ),
            "normal_kw": Field("治污设施正常功率", "Treatment normal power", unit="kW", decimals=1),
            "production_level": Field(
                "生产负荷（占正常）", "Production load (of normal)", "percent"
            ),
            "meter_ids": Field("治污设施电表", "Treatment meters", "names", name_kind="meter"),
            "line_ids": Field("生产线", "Line", "names", name_kind="line"),
        },
        parameters={
            "low_ratio": Field("低效判定比例", "Low below share of usual", "percent"),
            "mad_k": Field("波动倍数", "Spread multiple", "ratio"),
            "min_production_level": Field("生产负荷下限", "Least production load", "percent"),
            "min_on_share": Field("运行比例下限", "Least on-share", "percent"),
        },
        params_type=Params,
        needs=("meters", "power"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="enterprise",
    )
)
