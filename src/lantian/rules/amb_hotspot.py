"""AMB-HOTSPOT: a station far above the other stations of its city (AMBIENT_HOTSPOT).

For each hour and pollutant (PM2.5, PM10) a station is compared with the median of the
*other* stations of its city. A hot spot needs both a ratio (``min_ratio`` × that median)
and an absolute floor, for ``min_duration_h`` hours; a region-wide episode raises the
median of the others too and therefore is not a hot spot.

References
----------
.. [1] HJ 663-2013 (ambient evaluation; the pollutants and units used here).
.. [2] Rule H-01 (spatial outlier vs same-city stations) of the Lantian regulation notes;
   the Hebei "高值" push practice. No official numeric threshold exists: parameters.
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
    """Parameters of AMB-HOTSPOT."""

    min_ratio: float = 2.5
    """Station value ≥ this × the median of the other stations of its city."""
    floor_pm25_ug_m3: float = 75.0
    """… and ≥ this PM2.5 [µg/m³] (GB 3095-2012 24-h Grade II limit)."""
    floor_pm10_ug_m3: float = 150.0
    """… and ≥ this PM10 [µg/m³] (GB 3095-2012 24-h Grade II limit)."""
    min_other_stations: int = 2
    """Comparison needs at least this many other stations reporting that hour."""
    min_duration_h: int = 2
    """Shortest episode reported [h]."""
    max_gap_h: int = 1
    """Hot hours separated by at most this many hours are one episode [h]."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of one station far above its city's other stations.

    The reported pollutant is the one with the highest ratio; observed/others are means
    over both pollutants' hot hours when both are hot.
    """
    i = ctx.inputs
    st = i.stations.select("station_id", "city").filter(lambda t: t.city.notnull())
    a = i.ambient.filter(
        i.ambient.pollutant.upper().isin(["PM2.5", "PM10"]) & i.ambient.value.notnull()
    )
    a = a.mutate(pollutant=a.pollutant.upper(), h=a.t // 3600).join(st, "station_id")
    a = a.group_by(["station_id", "city", "pollutant", "h"]).aggregate(value=a.value.mean())
    b = a.rename(o_station="station_id", o_value="value")
    pairs = a.join(b, ["city", "pollutant", "h"]).filter(lambda t: t.station_id != t.o_station)
    cmp = pairs.group_by(["station_id", "city", "pollutant", "h"]).aggregate(
        value=pairs.value.max(), others=pairs.o_value.median(), n_others=pairs.count()
    )
    floor = ibis.ifelse(cmp.pollutant == "PM2.5", p.floor_pm25_ug_m3, p.floor_pm10_ug_m3)
    hot = cmp.filter(
        (cmp.n_others >= p.min_other_stations)
        & (cmp.value >= floor)
        & (cmp.value >= p.min_ratio * cmp.others)
    ).mutate(t=ibis._.h * 3600, floor=floor)
    hot = hot.mutate(ratio=hot.value / ibis.greatest(hot.others, 1e-9))
    # one lead per station episode: PM2.5 and PM10 hours of one incident are merged
    ep = islands(
        hot,
        ["station_id", "city"],
        3600,
        p.max_gap_h * 3600,
        aggs=lambda t: {
            "peak": t.value.max(),
            "mean_value": t.value.mean(),
            "others_median": t.others.mean(),
            "max_ratio": t.ratio.max(),
            "n_others": t.n_others.min(),
            "pollutant": t.pollutant.argmax(t.ratio),
            "pollutants": t.pollutant.nunique(),
            "n_hours": t.h.nunique(),
        },
    )
    ep = ep.filter(ep.n_hours >= p.min_duration_h)
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ibis.null("string"),
        subject_type="station",
        subject_id=ep.station_id,
        pollutant=ep.pollutant,
        hours=ep.n_hours,
        observed=ep.peak,
        threshold=ep.others_median * p.min_ratio,
        coverage=ep.n_hours / span_h,
        pollutants_hot=ep.pollutants,
        mean_value=ep.mean_value,
        others_median=ep.others_median,
        max_ratio=ep.max_ratio,
        other_stations=ep.n_others,
        city=ep.city,
        station_ids=ep.station_id,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    stn = tx.name(names, "station", row["subject_id"])
    pol = "PM2.5和PM10" if (row.get("pollutants_hot") or 1) > 1 else row["pollutant"]
    return (
        f"{row.get('city') or ''}{stn}{pol}在"
        f"{tx.span_zh(row['start_t'], row['end_t'])}连续{tx.dur_zh(row['hours'])}明显高于"
        f"同城其他站点（最高{tx.num(row['observed'])}µg/m³，其他站点中位数约"
        f"{tx.num(row['others_median'])}µg/m³，最高{float(row['max_ratio']):.1f}倍），"
        "非区域性污染过程，建议排查周边污染源。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Higher ratio and longer duration are more certain."""
    r, h = float(row["max_ratio"]), float(row["hours"])
    sev = 3 if r >= 4 and h >= 4 else 2 if r >= 3 or h >= 4 else 1
    return sev, min(1.0, 0.5 + 0.2 * min(1.0, (r - p.min_ratio) / 2) + 0.05 * h)


RULE = register(
    Rule(
        code="AMB-HOTSPOT",
        family="AMBIENT_HOTSPOT",
        title_zh="站点高值（热点）",
        title_en="Station far above the other stations of its city",
        clause="HJ 663-2013；高值（热点）推送实践（规则H-01），阈值为参数",
        description_zh=(
            "空气质量监测站的PM2.5或PM10小时浓度明显高于同城其他站点（中位数的数倍），"
            "且超过浓度下限，不属于区域性污染过程，提示周边存在污染源。"
        ),
        description_en=(
            "A station's hourly PM2.5 or PM10 is several times the median of the other "
            "stations of its city and above a floor: a local source nearby."
        ),
        evidence={
            "observed": Field("最高浓度", "Peak concentration", unit=POLLUTANT_UNIT, decimals=0),
            "threshold": Field("高值判定浓度", "Hot from", unit=POLLUTANT_UNIT, decimals=0),
            "pollutants_hot": Field("高值污染物数", "Pollutants hot", "integer"),
            "mean_value": Field("平均浓度", "Mean concentration", unit=POLLUTANT_UNIT, decimals=0),
            "others_median": Field(
                "同城其他站点中位数",
                "Median of the other stations",
                unit=POLLUTANT_UNIT,
                decimals=0,
            ),
            "max_ratio": Field("最高倍数", "Highest ratio", "ratio", decimals=1),
            "other_stations": Field("参比站点数", "Stations compared", "integer"),
            "city": Field("城市", "City", "text"),
            "station_ids": Field("监测站", "Station", "names", name_kind="station"),
        },
        parameters={
            "min_ratio": Field("高值倍数下限", "Least ratio", "ratio"),
            "floor_pm25_ug_m3": Field("PM2.5浓度下限", "PM2.5 floor", unit="µg/m³", decimals=0),
            "floor_pm10_ug_m3": Field("PM10浓度下限", "PM10 floor", unit="µg/m³", decimals=0),
            "min_other_stations": Field("参比站点数下限", "Least stations compared", "integer"),
        },
        params_type=Params,
        needs=("stations", "ambient"),
        requires=("ambient",),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="city",
    )
)
