"""POWER-EMERGENCY: production above what the alert's emergency measure allows
(EMERGENCY_VIOLATION).

During a heavy-pollution weather alert (预警) of the enterprise's city, each line's measure
for the alert level applies (exact level, else the strictest measure of a lower level):

- ``stop``: after ``grace_h`` from the alert start, the line must be idle; producing
  (production meters on for ≥ ``producing_on_share`` of an hour) violates it.
- ``limit`` with ``limit_pct``: electricity is the proxy for output; the line's production
  power must stay ≤ (1 − limit_pct/100) × its normal power for the same hour of day
  (median over producing hours outside alerts); an episode violates when its mean power
  exceeds that allowance clearly beyond the line's own hour-to-hour noise.

References
----------
.. [1] 环办大气函〔2020〕340号《重污染天气重点行业应急减排措施制定技术指南（2020年修订版）》
   (measures per grade and alert level: 停产 / 限产 x %).
.. [2] Rule E-05 of the Lantian regulation notes (sub-metering as the proxy for output).
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

LEVEL_RANK = {"yellow": 1, "orange": 2, "red": 3}
LEVEL_ZH = {"yellow": "黄色", "orange": "橙色", "red": "红色"}


@dataclass(frozen=True)
class Params:
    """Parameters of POWER-EMERGENCY."""

    grace_h: float = 1.0
    """Time after the alert start to reach the required state [h]."""
    hour_min_excess: float = 0.05
    """``limit``: an hour is a candidate when production power exceeds the allowance by
    more than max(hour_min_excess, σ), σ = the line's own relative hourly noise
    (1.4826 × MAD of power / hour-of-day baseline outside alerts)."""
    min_excess: float = 0.10
    """``limit``: an episode's mean power must exceed the allowance by more than
    max(min_excess, noise_z × σ / √hours) (power has a fixed part that output cuts do not
    remove, and cyclic equipment is noisy: they need longer or clearer evidence)."""
    noise_z: float = 4.0
    """``limit``: see min_excess."""
    producing_on_share: float = 0.5
    """``stop``: producing when production meters are on ≥ this share of the hour."""
    min_duration_h: int = 2
    """Shortest episode reported [h]."""
    max_gap_h: int = 1
    """Violating hours separated by at most this many hours are one episode [h]."""
    min_baseline_hours: int = 3
    """Hour-of-day baselines need this many producing hours, else the all-hours median."""


def _rank(col: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases((col == "yellow", 1), (col == "orange", 2), (col == "red", 3), else_=0).cast(
        "int64"
    )


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of production above the measure's allowance during alerts."""
    i = ctx.inputs
    u = ctx.unit_hourly()
    al = i.alerts.filter(i.alerts.start_t.notnull() & i.alerts.end_t.notnull())
    al = al.mutate(a_rank=_rank(al.level.lower()))
    ent = i.enterprises.select("enterprise_id", "city")
    ms = i.measures.filter(i.measures.line_id.notnull()).mutate(
        m_rank=_rank(i.measures.level.lower()), action=i.measures.action.lower()
    )
    am = ent.join(al, "city").join(ms, "enterprise_id")
    am = am.filter(am.m_rank <= am.a_rank)
    best = am.group_by(["alert_id", "line_id"]).aggregate(best=am.m_rank.max())
    am = am.join(best, ["alert_id", "line_id"]).filter(lambda t: t.m_rank == t.best)
    # strictest action at that level: stop beats limit; larger limit_pct beats smaller
    am = am.mutate(strict=ibis.ifelse(am.action == "stop", 1000.0, am.limit_pct.fill_null(0.0)))
    top = am.group_by(["alert_id", "line_id"]).aggregate(top=am.strict.max())
    am = am.join(top, ["alert_id", "line_id"]).filter(lambda t: t.strict == t.top)
    am = am.select(
        "alert_id",
        "enterprise_id",
        "line_id",
        "start_t",
        "end_t",
        "action",
        "limit_pct",
        alert_level=am.level,
    ).distinct()
    # normal production power per line and hour of day, outside alerts of its city
    ua = u.join(ent, "enterprise_id")
    in_alert = ua.semi_join(
        al, [ua.city == al.city, ua.h * 3600 >= al.start_t, ua.h * 3600 < al.end_t]
    ).select("line_id", "h")
    base = ua.anti_join(in_alert, ["line_id", "h"]).filter(lambda t: t.producing)
    base = base.mutate(hod=base.h % 24)
    by_hod = base.group_by(["line_id", "hod"]).aggregate(
        hod_kw=base.prod_kw.mean(), hod_n=base.count()
    )
    overall = base.group_by("line_id").aggregate(all_kw=base.prod_kw.mean())
    # each line's own hour-to-hour noise around its baseline (robust, relative)
    rel = base.join(by_hod, ["line_id", "hod"]).filter(lambda t: t.hod_n >= p.min_baseline_hours)
    rel = rel.mutate(r=rel.prod_kw / ibis.greatest(rel.hod_kw, 1e-9))
    med = rel.group_by("line_id").aggregate(r_med=rel.r.median())
    rel = rel.join(med, "line_id")
    noise = rel.group_by("line_id").aggregate(sigma=1.4826 * (rel.r - rel.r_med).abs().median())
    by_hod = ctx.baseline("line_hour_of_day_kw", ["line_id", "hod"], by_hod)
    line = overall.left_join(noise, "line_id").select("line_id", "all_kw", "sigma")
    line = ctx.baseline("line_kw", ["line_id"], line)
    grace = int(p.grace_h * 3600)
    uu = u.mutate(hod=u.h % 24, t=u.h * 3600)
    j = uu.join(am, ["line_id", "enterprise_id"])
    j = j.filter((j.t >= j.start_t + grace) & (j.t < j.end_t))
    j = j.left_join(by_hod, ["line_id", "hod"]).drop("line_id_right", "hod_right")
    j = j.left_join(line, "line_id").drop("line_id_right")
    normal = ibis.ifelse(j.hod_n.fill_null(0) >= p.min_baseline_hours, j.hod_kw, j.all_kw)
    j = j.mutate(normal_kw=normal, share=1 - j.limit_pct.fill_null(0.0) / 100.0)
    j = j.mutate(
        allowed_kw=ibis.ifelse(j.action == "stop", 0.0, j.share * j.normal_kw),
        sigma=j.sigma.fill_null(0.0),
    )
    hour_tol = ibis.greatest(p.hour_min_excess, j.sigma)
    bad = j.filter(
        (j.on_share >= p.producing_on_share)
        & (
            (j.action == "stop")
            | (j.normal_kw.notnull() & (j.prod_kw > j.allowed_kw * (1 + hour_tol)))
        )
    )
    ep = islands(
        bad,
        ["alert_id", "enterprise_id", "line_id", "action", "alert_level"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {
            "prod_kw": t.prod_kw.mean(),
            "allowed_kw": t.allowed_kw.mean(),
            "normal_kw": t.normal_kw.mean(),
            "limit_pct": t.limit_pct.max(),
            "share": t.share.max(),
            "sigma": t.sigma.max(),
            "r_mean": t.prod_kw.sum() / ibis.greatest(t.normal_kw.sum(), 1e-9),
        },
    )
    # episode-level evidence: the mean excess must stand out of the line's own noise
    tol = ibis.greatest(p.min_excess, p.noise_z * ep.sigma / ep.n.cast("float64").sqrt())
    ep = ep.filter(
        (ep.n >= p.min_duration_h) & ((ep.action == "stop") | (ep.r_mean > ep.share * (1 + tol)))
    )
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ep.enterprise_id,
        subject_type="line",
        subject_id=ep.line_id,
        pollutant=None,
        hours=ep.n,
        observed=ep.prod_kw,
        threshold=ep.allowed_kw,
        coverage=ep.n / span_h,
        alert_id=ep.alert_id,
        alert_level=ep.alert_level,
        action=ep.action,
        limit_pct=ep.limit_pct,
        normal_kw=ep.normal_kw,
        line_ids=ep.line_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    lvl = LEVEL_ZH.get(str(row.get("alert_level")), str(row.get("alert_level")))
    head = f"{ent}{tx.line_zh(row['subject_id'])}在重污染天气{lvl}预警（{row.get('alert_id')}）期间"
    when = f"{tx.span_zh(row['start_t'], row['end_t'])}"
    if row.get("action") == "stop":
        return (
            f"{head}应停产，但分表计电显示{when}仍在生产（生产用电平均"
            f"{tx.num(row['observed'])}kW），持续{tx.dur_zh(row['hours'])}，未落实停产措施。"
        )
    return (
        f"{head}应限产{tx.num(row.get('limit_pct'))}%，但{when}生产用电平均"
        f"{tx.num(row['observed'])}kW，超过允许的{tx.num(row['threshold'])}kW（同时段正常约"
        f"{tx.num(row.get('normal_kw'))}kW），持续{tx.dur_zh(row['hours'])}，未落实限产措施。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Ignoring a stop order is the most serious."""
    h = float(row["hours"])
    if row.get("action") == "stop":
        return (3 if h >= 4 else 2), min(1.0, 0.7 + 0.05 * h)
    allowed = float(row.get("threshold") or 0.0)
    over = float(row["observed"]) / allowed if allowed > 0 else 2.0
    sev = 3 if over >= 1.5 and h >= 4 else 2
    return sev, min(1.0, 0.5 + 0.3 * min(1.0, (over - 1 - p.min_excess) / 0.5) + 0.03 * h)


RULE = register(
    Rule(
        code="POWER-EMERGENCY",
        family="EMERGENCY_VIOLATION",
        title_zh="预警期间未落实应急减排措施",
        title_en="Production above the emergency measure during an alert",
        clause="环办大气函〔2020〕340号 重污染天气重点行业应急减排措施（停产/限产）",
        description_zh=(
            "重污染天气预警期间，按绩效分级应停产或限产的生产线，生产用电仍高于允许水平，"
            "涉嫌未落实应急减排措施。"
        ),
        description_en=(
            "During a heavy-pollution alert, a line that must stop or cut output still draws "
            "more production power than allowed."
        ),
        evidence={
            "observed": Field("生产用电平均功率", "Production mean power", unit="kW", decimals=1),
            "threshold": Field("允许功率", "Allowed power", unit="kW", decimals=1),
            "alert_id": Field("预警编号", "Alert", "text"),
            "alert_level": Field("预警级别", "Alert level", "alert_level"),
            "action": Field("减排措施", "Measure", "measure_action"),
            "limit_pct": Field("限产比例", "Output cut", unit="%", decimals=0),
            "normal_kw": Field("正常生产功率", "Normal production power", unit="kW", decimals=1),
            "line_ids": Field("生产线", "Line", "names", name_kind="line"),
        },
        parameters={
            "grace_h": Field("落实措施宽限时间", "Grace after the alert starts", "hours"),
            "hour_min_excess": Field("单小时超出比例下限", "Least hourly excess", "percent"),
            "min_excess": Field("时段超出比例下限", "Least episode excess", "percent"),
            "noise_z": Field("波动倍数", "Noise multiple", "ratio"),
            "producing_on_share": Field("生产判定比例", "Producing from share", "percent"),
            "min_baseline_hours": Field("基线最少小时数", "Least baseline hours", "integer"),
        },
        params_type=Params,
        needs=("enterprises", "measures", "alerts", "meters", "power"),
        requires=("alerts",),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="enterprise",
    )
)
