"""POWER-TREAT-OFF: treatment equipment off while production runs (TREATMENT_OFF).

Sub-metering (分表计电) measures production and treatment equipment of one line. The core
principle of 用电监控 is that treatment runs whenever production runs (产治同步). Each
meter's own off/on threshold comes from its power histogram (two modes, see
:mod:`lantian.rules.context`). In ``bucket_min`` buckets: the line produces when most
production samples are on; a treatment meter is off when (nearly) all its samples are
below its own threshold. ``min_duration_min`` of consecutive such buckets is a lead;
start-up/shut-down lags of a few minutes stay below it.

References
----------
.. [1] 排污单位用电监控技术指南 (征求意见稿) — early-warning for 治污设施未开启/异常关闭;
   rule E-01 of the Lantian regulation notes (thresholds are parameters; the draft's four
   warning rules are not public and are not claimed here).
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
    """Parameters of POWER-TREAT-OFF."""

    production_on_share: float = 0.5
    """The line produces in a bucket when ≥ this share of its production meters are active
    there (each at ≥ this share of its own typical duty), or when the line produces in the
    hours before, of and after the bucket (cyclic equipment)."""
    treatment_bucket_min: int = 5
    """Treatment meters are judged in buckets of this length [min] (or their interval)."""
    treatment_max_on_share: float = 0.2
    """A treatment meter is off in a bucket when ≤ this share of its samples are on."""
    min_duration_min: int = 30
    """Shortest episode reported [min]."""
    max_gap_min: int = 15
    """Bad buckets separated by at most this gap are one episode [min]."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of production on, treatment off."""
    bucket = ctx.state.bucket_min * 60
    lv = ctx.meter_levels().select("meter_id", "enterprise_id", "line_id", "role", "off_kw")
    lv = lv.filter(lv.line_id.notnull())
    # candidate hours: a treatment meter partly or wholly off while the line's production
    # draws power at all; only there is the sub-hour detail computed
    mh = ctx.meter_hourly()
    u = ctx.unit_hourly()
    cand = (
        mh.filter((mh.role == "treatment") & (mh.on_share < 1.0))
        .select("line_id", "h")
        .distinct()
        .semi_join(u.filter(u.duty > 0).select("line_id", "h"), ["line_id", "h"])
    )
    hours = lv.select("meter_id", "line_id", "role").join(cand, "line_id")
    fine = p.treatment_bucket_min * 60
    # treatment at fine resolution (each meter's own interval at least)
    # one pass over the power samples for both roles when the production bucket is a
    # multiple of the fine one: production buckets are sums of fine buckets (exact counts)
    shared = bucket % fine == 0
    if shared:
        fb = ctx.materialize(
            "treat_off_fine",
            ctx.meter_buckets(
                hours.filter(hours.role.isin(["treatment", "production"])).select("meter_id", "h"),
                fine,
            ),
        )
        tb = fb.semi_join(lv.filter(lv.role == "treatment").select("meter_id"), "meter_id")
    else:
        tb = ctx.meter_buckets(
            hours.filter(hours.role == "treatment").select("meter_id", "h"), fine
        )
    step = ctx.baseline(
        "samples_per_hour", ["meter_id"], mh.group_by("meter_id").aggregate(n_med=mh.n.median())
    )
    step = step.select(
        "meter_id",
        step_s=ibis.greatest(fine, (3600 / ibis.greatest(step.n_med, 1)).round().cast("int64")),
    )
    treat = tb.filter(tb.on_share <= p.treatment_max_on_share).join(
        lv.filter(lv.role == "treatment"), "meter_id"
    )
    treat = treat.join(step, "meter_id")
    treat = treat.select(
        "enterprise_id",
        "line_id",
        "meter_id",
        "b",
        "step_s",
        bp=treat.b // bucket * bucket,
        treat_on=treat.on_share,
        treat_kw=treat.kw,
        off_kw=treat.off_kw,
    )
    treat = ctx.materialize("treat_off_treat", treat)
    where = treat.select("line_id", b=treat.bp).distinct()
    if shared:
        pb = fb.semi_join(lv.filter(lv.role == "production").select("meter_id"), "meter_id")
        if bucket == fine:  # the default: the fine buckets are the production buckets
            bk = pb
        else:
            pb = pb.group_by(["meter_id", (pb.b // bucket * bucket).name("b")]).aggregate(
                n=pb.n.sum(), n_on=pb.n_on.sum(), kw_sum=(pb.kw * pb.n).sum()
            )
            bk = pb.select(
                "meter_id", "b", "n", "n_on", kw=pb.kw_sum / pb.n, on_share=pb.n_on / pb.n
            )
    else:
        bk = ctx.meter_buckets(hours.filter(hours.role == "production").select("meter_id", "h"))
    typ = mh.group_by("meter_id").aggregate(typical_on=mh.typical_on.max())
    prod = bk.join(lv.filter(lv.role == "production"), "meter_id").semi_join(
        where, ["line_id", "b"]
    )
    prod = prod.join(typ, "meter_id")
    prod = prod.group_by(["enterprise_id", "line_id", "b"]).aggregate(
        prod_on=(prod.on_share >= p.production_on_share * prod.typical_on).cast("float64").mean()
    )
    prod = prod.mutate(h=prod.b // 3600).left_join(
        u.select("line_id", "h", "steady"), ["line_id", "h"]
    )
    prod = prod.select(
        "enterprise_id",
        "line_id",
        "b",
        producing=(prod.prod_on >= p.production_on_share) | prod.steady.fill_null(False),
    )
    prod = prod.select("enterprise_id", "line_id", "producing", bp=prod.b)
    j = treat.join(prod, ["enterprise_id", "line_id", "bp"])
    bad = j.filter(j.producing).mutate(t=ibis._.b)
    ep = islands(
        bad,
        ["enterprise_id", "line_id"],
        "step_s",
        p.max_gap_min * 60,
        aggs=lambda t: {
            "meter_ids": t.meter_id.group_concat("|"),
            "treat_kw": t.treat_kw.mean(),
            "off_kw": t.off_kw.max(),
            "off_s": t.step_s.max() * t.b.nunique(),
        },
    )
    ep = ep.filter(ep.end_t - ep.start_t >= p.min_duration_min * 60)
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ep.enterprise_id,
        subject_type="line",
        subject_id=ep.line_id,
        pollutant=None,
        hours=span_h,
        observed=ep.treat_kw,
        threshold=ep.off_kw,
        coverage=ibis.least(1.0, ep.off_s / (ep.end_t - ep.start_t)),
        meter_ids=ep.meter_ids,
        line_ids=ep.line_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    meters = row.get("meter_ids") or ""
    ids = sorted({m for m in str(meters).split("|") if m})
    eq = "、".join(f"{tx.name(names, 'meter', m)}（{m}）" for m in ids) or "治污设施"
    return (
        f"{ent}{tx.line_zh(row['subject_id'])}在{tx.span_zh(row['start_t'], row['end_t'])}"
        f"生产设施运行期间，治污设施{eq}停运约{tx.dur_zh(row['hours'])}"
        f"（平均功率{tx.num(row['observed'])}kW），涉嫌产治不同步、未正常运行污染防治设施。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Longer is worse; score grows with length and coverage."""
    h = float(row["hours"])
    sev = 3 if h >= 4 else 2 if h >= 1 else 1
    cov = float(row.get("coverage") or 1.0)
    return sev, min(1.0, 0.5 + 0.15 * min(h, 2) + 0.2 * cov)


RULE = register(
    Rule(
        code="POWER-TREAT-OFF",
        family="TREATMENT_OFF",
        title_zh="生产时治污设施停运",
        title_en="Treatment off while production runs",
        clause="排污单位用电监控技术指南（征求意见稿）治污设施未开启/异常关闭预警（规则E-01）",
        description_zh=(
            "分表计电显示生产设施在运行而治污设施停运（功率低于其自身停运水平），"
            "涉嫌产治不同步、未正常运行污染防治设施。"
        ),
        description_en=(
            "Sub-metering shows production running while the treatment equipment is off "
            "(below its own off level): out of sync."
        ),
        evidence={
            "observed": Field("治污设施平均功率", "Treatment mean power", unit="kW", decimals=1),
            "threshold": Field(
                "治污设施停运判定功率", "Treatment off below", unit="kW", decimals=1
            ),
            "meter_ids": Field("治污设施电表", "Treatment meters", "names", name_kind="meter"),
            "line_ids": Field("生产线", "Line", "names", name_kind="line"),
        },
        parameters={
            "production_on_share": Field("生产判定比例", "Producing from share", "percent"),
            "treatment_bucket_min": Field("治污设施判定时段", "Treatment judged per", "minutes"),
            "treatment_max_on_share": Field(
                "视为停运的运行比例上限", "Off up to on-share", "percent"
            ),
            "min_duration_min": Field("最短持续时长", "Shortest episode", "minutes"),
            "max_gap_min": Field("合并间隔上限", "Longest gap merged", "minutes"),
        },
        params_type=Params,
        needs=("meters", "power"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="enterprise",
    )
)
