"""GATE-VIOLATION: restricted diesel heavy trucks entering during an alert (GATE_VIOLATION).

During a heavy-pollution weather alert (预警) of the enterprise's city, the enterprise's
emergency measure may restrict transport (运输管控): only diesel heavy trucks of at least
emission standard ``truck_min_standard`` (e.g. 5 = 国五) may enter. The measure of the
alert level applies (exact level, else the highest lower level that has one); over the
enterprise's lines the strictest (highest) standard counts. Every gate record of a diesel
heavy truck *entering* (direction ``in``) with a lower standard inside the alert is a
violation; one lead per enterprise, alert and CST day, the plates in the evidence.

Trucks of an allowed standard, other fuels (gas, electric, hybrid, gasoline), other vehicle
types, trucks leaving, and entries outside alerts are not violations. A record without an
emission standard is not judged (unknown is not proof).

References
----------
.. [1] 环办大气函〔2020〕340号《重污染天气重点行业应急减排措施制定技术指南（2020年修订版）》
   (运输方式 and 重污染天气期间 运输管控: at orange and above, key enterprises stop
   transport by diesel trucks below 国五 (国四 for some grades); 门禁系统 records of heavy
   vehicles kept). The level-by-level standard is per enterprise in its 应急减排清单, here
   ``measures.truck_min_standard``. [M] the per-day grouping is this project's choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules.base import Rule, finish, register
from lantian.rules.context import Context
from lantian.rules.evidence import Field

LEVEL_ZH = {"yellow": "黄色", "orange": "橙色", "red": "红色"}
STANDARD_ZH = ["国零", "国一", "国二", "国三", "国四", "国五", "国六"]


@dataclass(frozen=True)
class Params:
    """Parameters of GATE-VIOLATION."""

    min_entries: int = 1
    """Restricted entries on one alert day needed for a lead [count]."""


RESTRICTED_TYPES = ("heavy_truck",)
"""Vehicle types the restriction covers (contract ``vehicle_type``)."""
RESTRICTED_FUELS = ("diesel",)
"""Fuels the restriction covers (contract ``fuel``)."""


def _rank(col: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases((col == "yellow", 1), (col == "orange", 2), (col == "red", 3), else_=0).cast(
        "int64"
    )


def detect(ctx: Context, p: Params) -> ir.Table:
    """Alert days on which restricted trucks entered an enterprise."""
    i = ctx.inputs
    al = i.alerts.filter(i.alerts.start_t.notnull())
    al = al.mutate(
        a_rank=_rank(al.level.lower()),
        end_t=al.end_t.fill_null(ibis.literal(2**62, "int64")),
    )
    ent = i.enterprises.select("enterprise_id", "city")
    ms = i.measures.filter(i.measures.truck_min_standard.notnull())
    ms = ms.mutate(m_rank=_rank(ms.level.lower())).select(
        "enterprise_id", "m_rank", "truck_min_standard"
    )
    am = ent.join(al.select("alert_id", "city", "level", "a_rank", "start_t", "end_t"), "city")
    am = am.join(ms, "enterprise_id")
    am = am.filter(am.m_rank <= am.a_rank)
    best = am.group_by(["alert_id", "enterprise_id"]).aggregate(best=am.m_rank.max())
    am = am.join(best, ["alert_id", "enterprise_id"]).filter(lambda t: t.m_rank == t.best)
    am = am.group_by(["alert_id", "enterprise_id", "level", "start_t", "end_t"]).aggregate(
        allowed=am.truck_min_standard.max()
    )
    g = i.gate_records
    g = g.filter(
        (g.direction.lower() == "in")
        & g.vehicle_type.lower().isin(list(RESTRICTED_TYPES))
        & g.fuel.lower().isin(list(RESTRICTED_FUELS))
        & g.emission_standard.notnull()
    )
    j = g.join(am, "enterprise_id")
    j = j.filter((j.t >= j.start_t) & (j.t < j.end_t) & (j.emission_standard < j.allowed)).mutate(
        day=j.t // 86400
    )
    ep = j.group_by(["enterprise_id", "alert_id", "level", "day"]).aggregate(
        n=j.count(),
        first_t=j.t.min(),
        last_t=j.t.max(),
        allowed=j.allowed.max(),
        worst=j.emission_standard.min(),
        plates=j.plate.collect(distinct=True).sort().join("、"),
        gates=j.gate_id.collect(distinct=True).sort().join("、"),
        records=j.record_id.collect(distinct=True).sort().join("、"),
    )
    ep = ep.filter(ep.n >= p.min_entries)
    ep = ep.mutate(start_t=(ep.first_t // 3600) * 3600, end_t=(ep.last_t // 3600 + 1) * 3600)
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ep.enterprise_id,
        subject_type="enterprise",
        subject_id=ep.enterprise_id,
        pollutant=None,
        hours=span_h,
        observed=ep.worst,
        threshold=ep.allowed,
        coverage=ibis.literal(1.0),
        entries=ep.n,
        plates=ep.plates,
        gates=ep.gates,
        records=ep.records,
        alert_id=ep.alert_id,
        alert_level=ep.level,
    )


def _std(v: Any) -> str:
    try:
        return STANDARD_ZH[int(float(v))]
    except (TypeError, ValueError, IndexError):
        return str(v)


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    ent = tx.name(names, "enterprise", row["enterprise_id"])
    lvl = LEVEL_ZH.get(str(row.get("alert_level")), str(row.get("alert_level")))
    return (
        f"{ent}在重污染天气{lvl}预警（{row.get('alert_id')}）期间，"
        f"{tx.span_zh(row['start_t'], row['end_t'])}有{int(row['entries'])}车次低于"
        f"{_std(row['threshold'])}的柴油重型货车进厂（最低{_std(row['observed'])}，"
        f"车牌：{row.get('plates')}），涉嫌未落实运输管控措施。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """More entries and older trucks are more serious; gate records are direct evidence."""
    n = int(row["entries"])
    gap = float(row["threshold"]) - float(row["observed"])
    sev = 3 if n >= 5 or gap >= 3 else 2 if n >= 2 or gap >= 2 else 1
    return sev, min(1.0, 0.75 + 0.05 * n)


RULE = register(
    Rule(
        code="GATE-VIOLATION",
        family="GATE_VIOLATION",
        title_zh="预警期间不达标柴油重型货车进厂",
        title_en="Restricted diesel heavy trucks entering during an alert",
        clause="环办大气函〔2020〕340号 重污染天气期间运输管控（柴油货车排放标准）",
        description_zh=(
            "重污染天气预警期间，企业应急减排措施限制低排放标准柴油重型货车进出，"
            "门禁记录显示仍有低于允许排放标准的柴油重型货车进厂。"
        ),
        description_en=(
            "During a heavy-pollution alert whose measure restricts trucks, gate records show "
            "diesel heavy trucks below the allowed emission standard entering."
        ),
        evidence={
            "observed": Field(
                "进厂车辆最低排放标准", "Lowest standard entering", "number", decimals=0
            ),
            "threshold": Field(
                "允许的最低排放标准", "Lowest standard allowed", "number", decimals=0
            ),
            "entries": Field("违规进厂车次", "Restricted entries", "number", decimals=0),
            "plates": Field("车牌号", "Plates", "text"),
            "gates": Field("门禁编号", "Gates", "text"),
            "records": Field("门禁记录", "Gate records", "text"),
            "alert_id": Field("预警编号", "Alert", "text"),
            "alert_level": Field("预警级别", "Alert level", "alert_level"),
        },
        parameters={
            "min_entries": Field("最少违规车次", "Least restricted entries", "integer"),
        },
        params_type=Params,
        needs=("enterprises", "measures", "alerts", "gate_records"),
        requires=("gate_records",),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="enterprise",
    )
)
