"""CEMS-CLONED: the same hourly series reported by outlets of two enterprises (CLONED).

Two independent analysers never report the same non-constant hourly values for many hours.
Judgeable hourly values of outlets of *different* enterprises are matched exactly per
pollutant and hour; runs of ≥ ``min_duration_h`` consecutive matching hours that take at
least ``min_distinct`` different values (so trivially identical zeros or constants do not
count) are one lead per pair and episode (pollutants merged).

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


@dataclass(frozen=True)
class Params:
    """Parameters of CEMS-CLONED."""

    min_duration_h: int = 12
    """Shortest run of identical hours reported [h]."""
    min_distinct: int = 4
    """A run must contain at least this many different values."""
    max_gap_h: int = 6
    """Matching hours separated by at most this many hours are one episode [h] (one
    non-judgeable hour hides ``signature_h`` signature matches)."""
    pollutants: tuple[str, ...] = ("a34013", "a21026", "a21002", "a19001")
    """HJ 212 codes compared."""
    signature_h: int = 4
    """Consecutive identical hours that make one match (join key), ≤ min_duration_h."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of identical series across enterprises.

    To keep the join small, an hour is matched on its value *and* the values of the
    ``signature_h`` − 1 hours before it (consecutive hours only); a match at hour h means
    hours h − signature_h + 1 … h are identical.
    """
    c = ctx.cems_hourly()
    rows = c.filter(
        c.judgeable & c.pollutant.isin(list(p.pollutants)) & c.value.notnull() & (c.value > 0)
    ).select("enterprise_id", "outlet_id", "pollutant", "h", "value")
    k = p.signature_h - 1
    w = ibis.window(group_by=["outlet_id", "pollutant"], order_by="h")
    lags: dict[str, Any] = {}
    for i in range(1, k + 1):
        same = rows.h.lag(i).over(w) == rows.h - i
        lags[f"v{i}"] = ibis.ifelse(same, rows.value.lag(i).over(w), ibis.null("float64"))
    rows = rows.mutate(**lags)
    rows = rows.filter(ibis.and_(*[rows[f"v{i}"].notnull() for i in range(1, k + 1)]))
    keys = ["pollutant", "h", "value", *[f"v{i}" for i in range(1, k + 1)]]
    b = rows.select(*keys, o_ent=rows.enterprise_id, o_outlet=rows.outlet_id)
    pairs = rows.join(b, keys)
    pairs = pairs.filter((pairs.outlet_id < pairs.o_outlet) & (pairs.enterprise_id != pairs.o_ent))
    pairs = pairs.mutate(t=pairs.h * 3600)
    runs = islands(
        pairs,
        ["enterprise_id", "outlet_id", "o_ent", "o_outlet", "pollutant"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {"n_distinct": t.value.nunique()},
    )
    runs = runs.mutate(start_t=runs.start_t - k * 3600, n=runs.n + k)
    runs = runs.filter((runs.n >= p.min_duration_h) & (runs.n_distinct >= p.min_distinct))
    # merge pollutants of one pair: expand runs back to hours, then islands per pair
    hours = pairs.semi_join(
        runs,
        [
            pairs.enterprise_id == runs.enterprise_id,
            pairs.outlet_id == runs.outlet_id,
            pairs.o_outlet == runs.o_outlet,
            pairs.pollutant == runs.pollutant,
            pairs.t >= runs.start_t + k * 3600,
            pairs.t < runs.end_t,
        ],
    )
    per_hour = hours.group_by(["enterprise_id", "outlet_id", "o_ent", "o_outlet", "t"]).aggregate(
        n_pol=ibis._.pollutant.nunique()
    )
    ep = islands(
        per_hour,
        ["enterprise_id", "outlet_id", "o_ent", "o_outlet"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {"max_pollutants": t.n_pol.max()},
    )
    ep = ep.mutate(start_t=ep.start_t - k * 3600, n=ep.n + k)
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
        params_type=Params,
        needs=("outlets", "cems"),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="enterprise",
    )
)
