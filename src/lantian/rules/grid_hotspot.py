"""GRID-HOTSPOT: a grid cell persistently several times its ring of neighbours (GRID_HOTSPOT).

千里眼-style hourly PM per grid cell (``grid_hourly``: satellite retrieval or model, µg/m³).
For every hour and pollutant (PM2.5, PM10) a cell is compared with the median of its *ring*:
the other cells whose centre lies within ``ring_radius_cells`` × its ``cell_km`` of its
centre (1.5 → the 8 surrounding cells of a square grid; a pair table precomputed from the
grid registry with bucketed coordinates, never a cross join of all cells). A cell-hour is
*hot* when, for one pollutant, the cell is ≥ ``min_ratio`` × the ring median, ≥ the ring
median + the absolute excess, ≥ ``min_city_ratio`` × the median of all cells of its city,
and at least ``min_ring_cells`` ring cells have data. A regional episode (haze lifting every
cell) raises the ring and the city median with the cell, so the ratio stays low: no lead.

Cloud gaps: a cell-hour without a value, or whose ring has too few values, is *no data*: it
neither counts as hot nor as cool. Hot hours form an episode when no cool hour with data lies
between them and the gap between them is at most ``max_gap_h`` hours (1: one missing hour
bridges, two split); an episode needs ``min_duration_h`` hot hours. One lead per cell
episode (PM2.5 and PM10 hours of one incident merged); the cell centre ``lon``/``lat`` are in
the evidence (the upwind step reads them).

References
----------
.. [1] 生态环境部 大气污染防治"千里眼计划"（热点网格监管）: 3 km × 3 km grid cells
   ranked by PM2.5 retrieved from satellite data, hot-spot cells pushed to the local
   bureaus — practice, no official numeric threshold (unverified; thresholds here are
   parameters).
.. [2] GB 3095-2012 环境空气质量标准 (PM2.5/PM10 in µg/m³; the default excess floors are
   the 24-h Grade II limits' ballpark — unverified as a hot-spot criterion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules._grid_geo import ring_pairs, valid_grids
from lantian.rules.base import Rule, finish, register, value_runs
from lantian.rules.context import Context
from lantian.rules.evidence import POLLUTANT_UNIT, Field


@dataclass(frozen=True)
class Params:
    """Parameters of GRID-HOTSPOT."""

    min_ratio: float = 2.0
    """Cell value ≥ this × the median of its ring [ratio]."""
    min_excess_pm25_ug_m3: float = 35.0
    """… and ≥ the ring median + this PM2.5 excess [µg/m³]."""
    min_excess_pm10_ug_m3: float = 70.0
    """… and ≥ the ring median + this PM10 excess [µg/m³]."""
    min_city_ratio: float = 1.5
    """… and ≥ this × the median of all cells of its city that hour [ratio] (edge of haze)."""
    ring_radius_cells: float = 1.5
    """Ring: other cells whose centre is within this × the cell's cell_km [cell widths]."""
    min_ring_cells: int = 4
    """Ring cells with data needed to judge a cell-hour [count]; fewer = no data."""
    min_duration_h: int = 3
    """Hot hours an episode needs [h]."""
    max_gap_h: int = 1
    """Hours without data (cloud) bridged inside an episode [h]; a cool hour always splits."""


def _long(gh: ir.Table, p: Params) -> ir.Table:
    """grid_hourly → one row per cell, hour, pollutant with a value (and its excess floor)."""
    parts = [
        gh.select(
            "grid_id",
            h=gh.t // 3600,
            pollutant=ibis.literal(code),
            value=gh[col],
            excess=ibis.literal(excess),
        ).filter(lambda t: t.value.notnull())
        for code, col, excess in (
            ("PM2.5", "pm25", p.min_excess_pm25_ug_m3),
            ("PM10", "pm10", p.min_excess_pm10_ug_m3),
        )
    ]
    long = parts[0].union(parts[1], distinct=False)
    return long.group_by(["grid_id", "h", "pollutant"]).aggregate(
        value=long.value.mean(), excess=long.excess.max()
    )


def _key(cell: ir.StringValue, h: ir.IntegerValue, pollutant: ir.StringValue) -> ir.StringValue:
    """``cell|hour|pollutant`` as one join key."""
    return cell.concat("|", h.cast("string"), "|", pollutant)


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of one grid cell far above its ring (and its city)."""
    i = ctx.inputs
    grids = valid_grids(i.grids)
    cells = grids.select("grid_id", city=grids.city.fill_null(""))
    long = _long(i.grid_hourly, p).join(cells, "grid_id")
    city = long.group_by(["city", "h", "pollutant"]).aggregate(city_median=long.value.median())
    long = long.join(city, ["city", "h", "pollutant"])
    # only cell-hours that can be hot (≥ the excess and ≥ min_city_ratio × the city median)
    # are compared with the ring; the others are cool whatever the ring
    can_be_hot = (long.value >= long.excess) & (long.value >= p.min_city_ratio * long.city_median)
    cand = long.filter(can_be_hot)
    pairs = ring_pairs(i.grids, p.ring_radius_cells)
    # one composite key (neighbour, hour, pollutant): with three separate conditions the
    # optimizer may join candidates and neighbours on (hour, pollutant) alone before the
    # pairs — every cell with every cell of that hour (40,000 cells: billions of rows)
    nb = long.select(_k=_key(long.grid_id, long.h, long.pollutant), n_value=long.value)
    j = cand.join(pairs, "grid_id")
    j = j.mutate(_k=_key(j.n_id, j.h, j.pollutant))
    j = j.join(nb, "_k")
    cmp = j.group_by(["grid_id", "city", "h", "pollutant"]).aggregate(
        value=j.value.max(),
        excess=j.excess.max(),
        city_median=j.city_median.max(),
        ring=j.n_value.median(),
        n_ring=j.count(),
    )
    cmp = cmp.filter(cmp.n_ring >= p.min_ring_cells)
    is_hot = (
        (cmp.value >= p.min_ratio * cmp.ring)
        & (cmp.value >= cmp.ring + cmp.excess)
        & (cmp.value >= p.min_city_ratio * cmp.city_median)
    )
    cmp = cmp.mutate(hot=ibis.ifelse(is_hot, 1, 0), ratio=cmp.value / ibis.greatest(cmp.ring, 1e-9))
    # state per cell-hour: cool (value below the excess, or compared and not hot) or hot;
    # cell-hours without a judgement (no value, ring too thin) are absent = no data
    low = long.filter(~can_be_hot).select("grid_id", "h", hot=ibis.literal(0))
    judged = cmp.select("grid_id", "h", "hot").union(low, distinct=False)
    state = judged.group_by(["grid_id", "h"]).aggregate(hot=judged.hot.max())
    runs = value_runs(state, ["grid_id"], "hot", p.max_gap_h, min_rows=max(1, p.min_duration_h))
    runs = runs.filter((runs.run_value == 1) & (runs.n >= p.min_duration_h))
    hot = cmp.filter(cmp.hot == 1)
    ev = runs.join(hot, "grid_id")
    ev = ev.filter((ev.h * 3600 >= ev.start_t) & (ev.h * 3600 < ev.end_t))
    ep = ev.group_by(["grid_id", "start_t", "end_t"]).aggregate(
        n_hours=ev.h.nunique(),
        pollutant=ev.pollutant.argmax(ev.ratio),
        observed=ev.value.argmax(ev.ratio),
        ring_median=ev.ring.argmax(ev.ratio),
        city_median=ev.city_median.argmax(ev.ratio),
        max_ratio=ev.ratio.max(),
        mean_ratio=ev.ratio.mean(),
        peak=ev.value.max(),
        pollutants=ev.pollutant.nunique(),
        ring_cells=ev.n_ring.min(),
    )
    info = grids.select("grid_id", "lon", "lat", "cell_km", "city", "district", "township")
    ep = ep.join(info, "grid_id")
    span_h = (ep.end_t - ep.start_t) / 3600
    return finish(
        ep,
        enterprise_id=ibis.null("string"),
        subject_type="grid",
        subject_id=ep.grid_id,
        pollutant=ep.pollutant,
        hours=ep.n_hours,
        observed=ep.observed,
        threshold=ep.ring_median * p.min_ratio,
        coverage=ep.n_hours / span_h,
        ring_median=ep.ring_median,
        city_median=ep.city_median,
        max_ratio=ep.max_ratio,
        mean_ratio=ep.mean_ratio,
        peak=ep.peak,
        pollutants_hot=ep.pollutants,
        ring_cells=ep.ring_cells,
        lon=ep.lon,
        lat=ep.lat,
        cell_km=ep.cell_km,
        city=ep.city,
        district=ep.district,
        township=ep.township,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    where = "".join(str(row.get(k) or "") for k in ("city", "district", "township"))
    pol = "PM2.5和PM10" if (row.get("pollutants_hot") or 1) > 1 else row["pollutant"]
    return (
        f"{where}网格{row['subject_id']}（{float(row['lon']):.4f}, {float(row['lat']):.4f}）"
        f"{pol}在{tx.span_zh(row['start_t'], row['end_t'])}有{tx.dur_zh(row['hours'])}"
        f"明显高于周边网格（{row['pollutant']} {tx.num(row['observed'])}µg/m³，"
        f"周边网格中位数{tx.num(row['ring_median'])}µg/m³，最高{float(row['max_ratio']):.1f}倍），"
        "非区域性污染过程，建议排查网格内污染源。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Higher ratio and longer duration are more certain (retrievals are indirect evidence)."""
    r, h = float(row["max_ratio"]), float(row["hours"])
    sev = 3 if r >= 4 and h >= 6 else 2 if r >= 3 or h >= 6 else 1
    return sev, min(1.0, 0.4 + 0.2 * min(1.0, (r - p.min_ratio) / 2) + 0.04 * h)


RULE = register(
    Rule(
        code="GRID-HOTSPOT",
        family="GRID_HOTSPOT",
        title_zh="网格高值（热点网格）",
        title_en="Grid cell far above its neighbouring cells",
        clause="千里眼计划 热点网格监管实践（未核实），阈值为参数",
        description_zh=(
            "网格（千里眼）小时PM2.5或PM10浓度连续数小时达到周边网格中位数的数倍，"
            "且超出一定浓度、高于全市网格中位数，不属于区域性污染过程，提示网格内存在污染源。"
        ),
        description_en=(
            "A grid cell's hourly PM2.5 or PM10 is several times the median of its surrounding "
            "cells for several hours, above an absolute excess and the city's median: a local "
            "source in the cell, not a regional episode."
        ),
        evidence={
            "observed": Field("网格浓度", "Cell concentration", unit=POLLUTANT_UNIT, decimals=0),
            "threshold": Field("高值判定浓度", "Hot from", unit=POLLUTANT_UNIT, decimals=0),
            "ring_median": Field(
                "周边网格中位数", "Median of the ring", unit=POLLUTANT_UNIT, decimals=0
            ),
            "city_median": Field(
                "全市网格中位数", "Median of the city", unit=POLLUTANT_UNIT, decimals=0
            ),
            "max_ratio": Field("最高倍数", "Highest ratio", "ratio", decimals=1),
            "mean_ratio": Field("平均倍数", "Mean ratio", "ratio", decimals=1),
            "peak": Field("最高浓度", "Peak concentration", unit="µg/m³", decimals=0),
            "pollutants_hot": Field("高值污染物数", "Pollutants hot", "integer"),
            "ring_cells": Field("参比网格数", "Ring cells compared", "integer"),
            "lon": Field("网格中心经度", "Cell centre longitude", unit="°", decimals=5),
            "lat": Field("网格中心纬度", "Cell centre latitude", unit="°", decimals=5),
            "cell_km": Field("网格边长", "Cell size", unit="km", decimals=1),
            "city": Field("城市", "City", "text"),
            "district": Field("区县", "District", "text"),
            "township": Field("乡镇（街道）", "Township", "text"),
        },
        parameters={
            "min_ratio": Field("高值倍数下限", "Least ratio", "ratio"),
            "min_excess_pm25_ug_m3": Field(
                "PM2.5超出周边浓度下限", "Least PM2.5 excess", unit="µg/m³", decimals=0
            ),
            "min_excess_pm10_ug_m3": Field(
                "PM10超出周边浓度下限", "Least PM10 excess", unit="µg/m³", decimals=0
            ),
            "min_city_ratio": Field("相对全市倍数下限", "Least ratio to the city", "ratio"),
            "ring_radius_cells": Field(
                "周边网格半径（网格边长倍数）", "Ring radius (cell widths)", "number", decimals=1
            ),
            "min_ring_cells": Field("参比网格数下限", "Least ring cells", "integer"),
        },
        params_type=Params,
        needs=("grids", "grid_hourly"),
        requires=("grid_hourly",),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="city",
    )
)
