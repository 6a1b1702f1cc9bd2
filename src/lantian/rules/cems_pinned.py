"""CEMS-PINNED: 折算 values held just under the limit with abnormally little variation (PINNED).

A real process scatters; a reported series that sits at 85–100 % of the limit with a
coefficient of variation far below the outlet's own usual variation is the pattern of
values being "managed" under the limit (rule C-04; 2012 指南 §7 item 21: 数据变化幅度长期在
某一固定值上下小幅波动). Self-calibrating: the window's CV must be below both an absolute
ceiling and a fraction of the same outlet/pollutant's median rolling CV while producing.

References
----------
.. [1] 2012《污染源自动监控设施现场监督检查技术指南》§7 items 21–22.
.. [2] 环发〔2015〕175号 (篡改/伪造 monitoring data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules.base import Rule, finish, islands, register
from lantian.rules.context import Context
from lantian.rules.evidence import POLLUTANT_UNIT, Field


@dataclass(frozen=True)
class Params:
    """Parameters of CEMS-PINNED."""

    window_h: int = 12
    """Rolling window of producing hours [h]."""
    min_window_share: float = 0.8
    """A window needs this share of its hours with judgeable data."""
    low_ratio: float = 0.85
    """Window mean ≥ low_ratio × limit."""
    max_share_above: float = 0.1
    """At most this share of a window's hours may exceed the limit (noise around a level
    just under it); those hours are EXCEEDANCE leads anyway."""
    max_cv: float = 0.03
    """Window coefficient of variation below this (absolute ceiling)."""
    rel_cv: float = 0.5
    """… and below this fraction of the outlet's own median window CV (over its windows
    away from the limit, mean < ``low_ratio`` × limit, when it has ``min_reference_h`` of
    them; else over all its windows)."""
    min_reference_h: int = 48
    """Windows away from the limit needed to take the outlet's own CV from them [h]."""
    min_duration_h: int = 12
    """Shortest episode reported [h]."""
    max_gap_h: int = 12
    """Pinned windows separated by at most this many hours are one episode [h]."""
    pollutants: tuple[str, ...] = ("a34013", "a21026", "a21002")
    """HJ 212 codes checked."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes where the 折算 series hugs the limit with a tiny CV."""
    c = ctx.cems_hourly()
    st = ctx.outlet_state()
    prod = st.filter(st.producing).select("outlet_id", "h")
    rows = c.filter(
        c.judgeable & c.pollutant.isin(list(p.pollutants)) & c.zs.notnull() & (c.lim > 0)
    ).semi_join(prod, ["outlet_id", "h"])
    half = p.window_h // 2
    w = ibis.window(
        group_by=["outlet_id", "pollutant"], order_by="h", preceding=half, following=half - 1
    )
    rows = rows.mutate(
        w_mean=rows.zs.mean().over(w),
        w_std=rows.zs.std().over(w),
        w_max=rows.zs.max().over(w),
        w_above=(rows.zs > rows.lim).cast("int64").sum().over(w),
        w_n=rows.zs.count().over(w),
        w_h0=rows.h.first().over(w),  # ordered by h: the frame's first and last hour
        w_h1=rows.h.last().over(w),
    )
    rows = rows.mutate(
        w_cv=rows.w_std / ibis.greatest(rows.w_mean, 1e-9),
        full=(rows.w_n >= p.window_h * p.min_window_share)
        & (rows.w_h1 - rows.w_h0 < p.window_h + 2),
    )
    # the outlet's own variability: its windows away from the limit (a series pinned for
    # half the period would otherwise set its own yardstick); all its windows when it
    # rarely runs away from the limit
    full = rows.filter(rows.full)
    away = full.w_mean < p.low_ratio * full.lim
    # a null-masked column, not median(where=...): Spark needs a constant percentage
    full = full.mutate(away_cv=ibis.ifelse(away, full.w_cv, ibis.null("float64")), away=away)
    own = full.group_by(["outlet_id", "pollutant"]).aggregate(
        all_cv=full.w_cv.median(),
        away_cv=full.away_cv.median(),
        n_away=full.away.cast("int64").sum(),
    )
    own = own.select(
        "outlet_id",
        "pollutant",
        own_cv=ibis.ifelse(own.n_away >= p.min_reference_h, own.away_cv, own.all_cv),
    )
    own = ctx.baseline("pinned_cv", ["outlet_id", "pollutant"], own)
    rows = rows.join(own, ["outlet_id", "pollutant"])
    bad = rows.filter(
        rows.full
        & (rows.w_mean >= p.low_ratio * rows.lim)
        & (rows.w_above <= p.max_share_above * rows.w_n)
        & (rows.w_cv < p.max_cv)
        & (rows.w_cv < p.rel_cv * rows.own_cv)
    )
    ep = islands(
        bad,
        ["enterprise_id", "outlet_id", "pollutant"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {
            "level": (t.w_mean / t.lim).mean(),
            "cv": t.w_cv.mean(),
            "own_cv": t.own_cv.max(),
            "lim": t.lim.max(),
            "max_zs": t.w_max.max(),
        },
    )
    # a flagged hour stands for its whole window: extend the episode to the windows' edges
    ep = ep.mutate(
        start_t=ep.start_t - half * 3600, end_t=ep.end_t + (p.window_h - 1 - half) * 3600
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
        observed=ep.level,
        threshold=ep.lim,
        coverage=ep.n / span_h,
        level_of_limit=ep.level,
        cv=ep.cv,
        own_typical_cv=ep.own_cv,
        max_zs=ep.max_zs,
        outlet_ids=ep.outlet_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    out = tx.name(names, "outlet", row["subject_id"])
    pol = tx.pollutant_zh(row["pollutant"])
    return (
        f"{ent}{out}{pol}折算浓度在{tx.span_zh(row['start_t'], row['end_t'])}"
        f"（{tx.dur_zh(row['hours'])}）持续贴近排放限值{tx.num(row['threshold'])}mg/m³"
        f"（平均为限值的{float(row['level_of_limit']) * 100:.0f}%，变异系数仅"
        f"{float(row['cv']) * 100:.1f}%，平时约{float(row['own_typical_cv']) * 100:.0f}%），"
        "疑似人为控制数据，建议核查。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Longer and flatter is more certain."""
    h = float(row["hours"])
    sev = 3 if h >= 72 else 2 if h >= 24 else 1
    ratio = float(row["cv"]) / max(float(row["own_typical_cv"] or 1e-9), 1e-9)
    score = min(1.0, 0.5 + 0.2 * min(1.0, h / 48) + 0.3 * (1 - min(1.0, ratio / p.rel_cv)))
    return sev, score


RULE = register(
    Rule(
        code="CEMS-PINNED",
        family="PINNED",
        title_zh="折算浓度贴限且波动异常小",
        title_en="Values pinned just under the limit",
        clause="2012 指南 §7 第21、22项；环发〔2015〕175号",
        description_zh=(
            "折算浓度长时间贴近排放限值（略低于限值）且波动明显小于该排放口平时水平，"
            "疑似人为控制数据。"
        ),
        description_en=(
            "The corrected concentration stays just under the limit for a long time, with far "
            "less variation than the outlet usually shows: the data may be controlled."
        ),
        evidence={
            "observed": Field("平均值占限值比例", "Mean level as share of the limit", "percent"),
            "threshold": Field("排放限值", "Emission limit", unit=POLLUTANT_UNIT),
            "level_of_limit": Field(
                "平均值占限值比例", "Mean level as share of the limit", "percent"
            ),
            "cv": Field("变异系数", "Coefficient of variation", "percent"),
            "own_typical_cv": Field("平时变异系数", "Usual coefficient of variation", "percent"),
            "max_zs": Field("最高折算浓度", "Peak corrected concentration", unit=POLLUTANT_UNIT),
            "outlet_ids": Field("排放口", "Outlet", "names", name_kind="outlet"),
        },
        parameters={
            "window_h": Field("判定窗口", "Window", "hours"),
            "min_window_share": Field("窗口数据比例下限", "Least data in a window", "percent"),
            "low_ratio": Field("贴近限值比例下限", "Least level as share of the limit", "percent"),
            "max_share_above": Field("超限小时比例上限", "Most hours above the limit", "percent"),
            "max_cv": Field("变异系数上限", "Largest coefficient of variation", "percent"),
            "rel_cv": Field(
                "相对平时变异系数上限", "Largest share of the usual variation", "percent"
            ),
            "min_reference_h": Field("参照期最短时长", "Shortest reference period", "hours"),
        },
        params_type=Params,
        needs=("outlets", "cems", "meters", "power"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="outlet",
    )
)
