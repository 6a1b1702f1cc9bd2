"""CEMS-CLONED: the same hourly series reported by outlets of two enterprises (CLONED).

Two independent analysers never report the same non-constant hourly values for many hours.
Judgeable hourly values of outlets of *different* enterprises are matched exactly per
pollutant and hour; runs of ≥ ``min_duration_h`` hours of matching data that take at least
``min_distinct`` different values (so trivially identical zeros or constants do not count)
are one lead per pair and episode (pollutants merged). Hours that both outlets leave out
(a copy carries its source's gaps) do not break a run, and at its edges belong to it (up
to ``max_gap_h`` hours).

References
----------
.. [1] 环发〔2015〕175号 (伪造: 编造/复制监测数据); rule C-11 (cloned data).
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
    """Parameters of CEMS-CLONED."""

    min_duration_h: int = 12
    """Shortest episode of identical data reported [h], from the first to the last
    identical hour."""
    min_reported_share: float = 0.5
    """… in which both outlets reported identical values in at least this share of the
    hours (hours both left out, a copied gap, do not break the episode)."""
    min_distinct: int = 4
    """A run must contain at least this many different values."""
    max_gap_h: int = 6
    """Matching hours separated by at most this many hours are one episode [h] (one
    non-judgeable hour hides ``signature_h`` signature matches)."""
    pollutants: tuple[str, ...] = ("a34013", "a21026", "a21002", "a19001")
    """HJ 212 codes compared."""
    signature_h: int = 4
    """Identical reported hours that make one match (join key), ≤ min_duration_h."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of identical series across enterprises.

    To keep the join small, an hour is matched on its value *and* the values and hours of
    the ``signature_h`` − 1 reported hours before it (within ``signature_h`` − 1 +
    ``max_gap_h`` hours): a match at hour h means both outlets reported the same values at
    the same hours, and left out the same hours, over that signature.
    """
    c = ctx.cems_hourly()
    rows = c.filter(
        c.judgeable & c.pollutant.isin(list(p.pollutants)) & c.value.notnull() & (c.value > 0)
    ).select("enterprise_id", "outlet_id", "pollutant", "h", "value")
    k = p.signature_h - 1
    w = ibis.window(group_by=["outlet_id", "pollutant"], order_by="h")
    lags: dict[str, Any] = {}
    for i in range(1, k + 1):
        lags[f"v{i}"] = rows.value.lag(i).over(w)
        lags[f"d{i}"] = rows.h - rows.h.lag(i).over(w)
    # rn: the row's rank in its own series (rows between two matches = difference of ranks)
    # pa / na: hours to the row before the signature / to the next row
    rows = rows.mutate(
        **lags,
        rn=ibis.row_number().over(w),
        pa=rows.h - rows.h.lag(k + 1).over(w),
        na=rows.h.lead(1).over(w) - rows.h,
    )
    rows = rows.filter(
        ibis.and_(*[rows[f"v{i}"].notnull() for i in range(1, k + 1)])
        & (rows[f"d{k}"] <= k + p.max_gap_h)
    )
    keys = [
        "pollutant",
        "h",
        "value",
        *[f"v{i}" for i in range(1, k + 1)],
        f"d{k}",  # with k + 1 identical values: the same first and last hour suffice
    ]
    b = rows.select(
        *keys,
        o_ent=rows.enterprise_id,
        o_outlet=rows.outlet_id,
        o_rn=rows.rn,
        o_pa=rows.pa,
        o_na=rows.na,
    )
    pair_keys = ["enterprise_id", "outlet_id", "o_ent", "o_outlet"]
    pk = [*pair_keys, "pollutant"]
    pairs = rows.join(b, keys)
    pairs = pairs.filter((pairs.outlet_id < pairs.o_outlet) & (pairs.enterprise_id != pairs.o_ent))
    # s0: the first hour of the match's signature; pre / post: hours neither outlet
    # reported just before s0 / just after h (least() skips a missing neighbour)
    pairs = pairs.mutate(
        t=pairs.h * 3600,
        s0=pairs.h - pairs[f"d{k}"],
        pre=ibis.least(pairs.pa, pairs.o_pa) - pairs[f"d{k}"] - 1,
        post=ibis.least(pairs.na, pairs.o_na) - 1,
    )
    runs = islands(
        pairs,
        pk,
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {
            "n_distinct": t.value.nunique(),
            "s0": t.s0.min(),
            # rows each outlet reported from the first signature hour to the last match
            "n_a": t.rn.max() - t.rn.min() + 1 + k,
            "n_b": t.o_rn.max() - t.o_rn.min() + 1 + k,
            "pre": t.pre.argmin(t.t),
            "post": t.post.argmax(t.t),
        },
    )
    runs = runs.filter(runs.n_distinct >= p.min_distinct)

    def edge(x: ir.IntegerValue) -> ir.IntegerValue:
        # hours both left out at an edge belong to the copy (up to max_gap_h)
        return ibis.least(ibis.greatest(x.fill_null(0), 0), p.max_gap_h)

    runs = runs.mutate(
        h0=runs.s0 - edge(runs.pre), h1=(runs.end_t / 3600).cast("int64") + edge(runs.post)
    )
    # identical hours: every hour of every matched signature, within the run
    cov = ibis.union(
        pairs.select(*pk, hx=pairs.h),
        *[pairs.select(*pk, hx=pairs.h - pairs[f"d{i}"]) for i in range(1, k + 1)],
    )
    same = cov.join(runs.select(*pk, "start_t", "h0", "h1"), pk)
    same = same.filter((same.hx >= same.h0) & (same.hx < same.h1))
    same = same.group_by([*pk, "start_t"]).aggregate(n_same=same.hx.nunique())
    runs = runs.join(same, [*pk, "start_t"])
    span_h = runs.h1 - runs.h0
    # an hour only one outlet reported counts once against the episode, an hour both
    # reported with different values twice; hours both left out (a copied gap) do not
    agree_h = span_h - (runs.n_a - runs.n_same) - (runs.n_b - runs.n_same)
    runs = runs.filter(
        (span_h >= p.min_duration_h)
        & (agree_h >= p.min_duration_h)
        & (runs.n_same >= p.min_reported_share * span_h)
    )
    # merge pollutants of one pair: expand runs back to hours, then islands per pair
    r = runs.select(*pk, "start_t", "end_t", "h0", "h1")
    hours = pairs.join(
        r,
        [
            pairs.enterprise_id == r.enterprise_id,
            pairs.outlet_id == r.outlet_id,
            pairs.o_outlet == r.o_outlet,
            pairs.pollutant == r.pollutant,
            pairs.t >= r.start_t,
            pairs.t < r.end_t,
        ],
    )
    per_hour = hours.group_by([*pair_keys, "t"]).aggregate(
        n_pol=ibis._.pollutant.nunique(), h0=ibis._.h0.min(), h1=ibis._.h1.max()
    )
    ep = islands(
        per_hour,
        pair_keys,
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {"max_pollutants": t.n_pol.max(), "h0": t.h0.min(), "h1": t.h1.max()},
    )
    ep = ep.mutate(start_t=ep.h0 * 3600, end_t=ep.h1 * 3600, n=ep.n + k)
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
        other_outlet_id=ep.o_outlet,
        other_enterprise_id=ep.o_ent,
        pollutants_identical=ep.max_pollutants,
        outlet_ids=ep.outlet_id + "|" + ep.o_outlet,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    e1 = tx.name(names, "enterprise", row["enterprise_id"])
    o1 = tx.name(names, "outlet", row["subject_id"])
    e2 = tx.name(names, "enterprise", row["other_enterprise_id"])
    o2 = tx.name(names, "outlet", row["other_outlet_id"])
    return (
        f"{e1}{o1}与{e2}{o2}在{tx.span_zh(row['start_t'], row['end_t'])}"
        f"连续{tx.dur_zh(row['hours'])}上报完全相同的监测数据"
        f"（{int(row['pollutants_identical'])}项因子），疑似复制伪造数据，建议同时核查两家企业。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Identical data across enterprises is always serious."""
    h = float(row["hours"])
    return (3 if h >= 24 else 2), min(1.0, 0.8 + 0.01 * h)


RULE = register(
    Rule(
        code="CEMS-CLONED",
        family="CLONED",
        title_zh="不同企业监测数据雷同",
        title_en="Identical series reported by two enterprises",
        clause="环发〔2015〕175号《环境监测数据弄虚作假行为判定及处理办法》（伪造）",
        description_zh=("两个排放口长时间上报完全相同的监测数据（含相同的缺失），疑似复制数据。"),
        description_en=(
            "Two outlets report identical data (gaps included) for a long time: copied data."
        ),
        evidence={
            "observed": Field("数据相同时长", "Identical for", "hours"),
            "threshold": Field("最短持续时长", "Shortest episode", "hours"),
            "other_outlet_id": Field(
                "数据相同的另一排放口", "Other outlet", "names", name_kind="outlet"
            ),
            "other_enterprise_id": Field(
                "另一排放口所属企业", "Other outlet's enterprise", "names", name_kind="enterprise"
            ),
            "pollutants_identical": Field("相同的污染物数", "Pollutants identical", "integer"),
            "outlet_ids": Field("排放口", "Outlets", "names", name_kind="outlet"),
        },
        parameters={
            "min_reported_share": Field(
                "相同上报比例下限", "Least share of identical hours", "percent"
            ),
            "min_distinct": Field("不同数值个数下限", "Least distinct values", "integer"),
            "signature_h": Field("匹配片段时长", "Matching stretch", "hours"),
        },
        params_type=Params,
        needs=("outlets", "cems"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="enterprise",
    )
)
