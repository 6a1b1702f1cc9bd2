"""MOBILE-HOTSPOT: 走航 readings far above the route's local background (MOBILE_HOTSPOT).

Mobile monitoring vehicles (``mobile``: readings to the second along a route, µg/m³) pass
sources. For each vehicle and pollutant the *local background* of a reading is the rolling
median of the same vehicle's readings of that pollutant within ± ``background_window_min``
minutes (a median ignores a plume much shorter than the window). A reading is *hot* when it
is ≥ ``min_ratio`` × that background and ≥ the background + ``min_excess_ug_m3``. Hot
readings at most ``max_gap_s`` seconds apart form a run (a dip or a lost second inside a
plume does not split it); a run needs ``min_run_s`` seconds and ``min_readings`` readings, so
single spikes (a passing truck's puff, a sensor glitch) are not hot spots.

The run is located to the grid cell whose centre is nearest to the run's peak reading, if
within that cell's ``cell_km`` (runs off the grid have no subject and are not reported). One
lead per vehicle, cell and pass episode: runs of one vehicle in one cell (any pollutant)
less than ``merge_window_min`` minutes apart are one episode (a vehicle circling a plant
passes it several times); the pollutant with the highest ratio is the lead's pollutant.

References
----------
.. [1] 生态环境部 大气污染防治强化监督帮扶 走航监测 practice (mobile monitoring vehicles
   locating 高值 stretches for on-site checks) and HJ 1010-2018 / HJ 1012-2018 (VOCs
   monitoring) — practice, no official numeric hot-spot threshold (unverified;
   thresholds here are parameters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules._grid_geo import nearest_cell
from lantian.rules.base import Rule, finish, islands, register
from lantian.rules.context import Context
from lantian.rules.evidence import POLLUTANT_UNIT, Field


@dataclass(frozen=True)
class Params:
    """Parameters of MOBILE-HOTSPOT."""

    min_ratio: float = 2.0
    """Reading ≥ this × the local background [ratio]."""
    min_excess_ug_m3: float = 50.0
    """… and ≥ the background + this [µg/m³]."""
    background_window_min: float = 5.0
    """Background: rolling median of the vehicle's readings within ± this [min]."""
    min_background_readings: int = 30
    """Readings the background window needs [count]; fewer = not judged."""
    min_run_s: int = 10
    """Shortest hot run [s] (first to last hot reading, inclusive of its second)."""
    min_readings: int = 5
    """Fewest hot readings in a run [count]."""
    max_gap_s: int = 5
    """Hot readings at most this far apart are one run [s]."""
    merge_window_min: float = 30.0
    """Runs of one vehicle in one cell less than this apart are one lead [min]."""


def detect(ctx: Context, p: Params) -> ir.Table:
    """Pass episodes of one vehicle over one grid cell far above the route background."""
    m = ctx.inputs.mobile
    m = m.filter(
        m.vehicle_id.notnull()
        & m.t.notnull()
        & m.value.notnull()
        & m.lon.notnull()
        & m.lat.notnull()
    )
    m = m.mutate(pollutant=m.pollutant.upper())
    m = m.group_by(["vehicle_id", "pollutant", "t"]).aggregate(
        value=m.value.mean(), lon=m.lon.mean(), lat=m.lat.mean()
    )
    half = round(p.background_window_min * 60)
    w = ibis.range_window(
        group_by=["vehicle_id", "pollutant"], order_by=m.t, preceding=half, following=half
    )
    m = m.mutate(bg=m.value.median().over(w), n_bg=m.value.count().over(w))
    hot = m.filter(
        (m.n_bg >= p.min_background_readings)
        & (m.value >= p.min_ratio * m.bg)
        & (m.value >= m.bg + p.min_excess_ug_m3)
    )
    runs = islands(
        hot,
        ["vehicle_id", "pollutant"],
        1,
        p.max_gap_s,
        aggs=lambda t: {"peak": t.value.max()},
    )
    runs = runs.filter(
        (runs.n >= p.min_readings) & (runs.end_t - runs.start_t >= p.min_run_s)
    ).mutate(run_s=ibis._.end_t - ibis._.start_t)
    # the peak reading: the first reading of the run at its highest value (deterministic
    # on every engine, unlike an argmax among equal values)
    key = ["vehicle_id", "pollutant"]
    pk = runs.select(*key, "start_t", "end_t", "peak").join(hot, key)
    pk = pk.filter((pk.t >= pk.start_t) & (pk.t < pk.end_t) & (pk.value == pk.peak))
    pk = pk.group_by([*key, "start_t"]).aggregate(peak_t=pk.t.min())
    at = hot.select(*key, peak_t=hot.t, lon=hot.lon, lat=hot.lat, background=hot.bg)
    runs = runs.join(pk, [*key, "start_t"]).join(at, [*key, "peak_t"])
    runs = runs.mutate(ratio=runs.peak / ibis.greatest(runs.background, 1e-9))
    cell = nearest_cell(runs, ["vehicle_id", "pollutant", "start_t"], ctx.inputs.grids)
    runs = runs.join(cell, ["vehicle_id", "pollutant", "start_t"])
    ep = islands(
        runs.rename(r_start="start_t", r_n="n"),
        ["vehicle_id", "grid_id"],
        "run_s",
        round(p.merge_window_min * 60),
        t="r_start",
        aggs=lambda t: {
            "pollutant": t.pollutant.argmax(t.ratio),
            "peak": t.peak.argmax(t.ratio),
            "background": t.background.argmax(t.ratio),
            "max_ratio": t.ratio.max(),
            "lon": t.lon.argmax(t.ratio),
            "lat": t.lat.argmax(t.ratio),
            "peak_t": t.peak_t.argmax(t.ratio),
            "cell_dist_km": t.cell_dist_km.argmax(t.ratio),
            "readings": t.r_n.sum(),
            "pollutants": t.pollutant.collect(distinct=True).sort().join("、"),
        },
    )
    return finish(
        ep,
        enterprise_id=ibis.null("string"),
        subject_type="grid",
        subject_id=ep.grid_id,
        pollutant=ep.pollutant,
        hours=ep.bad_s / 3600,
        observed=ep.peak,
        threshold=ep.background * p.min_ratio,
        coverage=ep.bad_s / (ep.end_t - ep.start_t),
        background=ep.background,
        max_ratio=ep.max_ratio,
        duration_s=ep.bad_s,
        passes=ep.n,
        readings=ep.readings,
        pollutants_hot=ep.pollutants,
        vehicle_id=ep.vehicle_id,
        lon=ep.lon,
        lat=ep.lat,
        peak_after_s=ep.peak_t - ep.start_t,
        cell_dist_km=ep.cell_dist_km,
    )


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    at = tx.cst(int(row["start_t"]) + int(row["peak_after_s"]))
    return (
        f"走航车{row['vehicle_id']}在网格{row['subject_id']}"
        f"（{float(row['lon']):.4f}, {float(row['lat']):.4f}）于{at.month}月{at.day}日{at:%H:%M:%S}"
        f"测得{row['pollutant']}高值{tx.num(row['observed'])}µg/m³，为沿途本底"
        f"{tx.num(row['background'])}µg/m³的{float(row['max_ratio']):.1f}倍，"
        f"持续{int(float(row['duration_s']))}秒（{int(row['passes'])}次经过），"
        "建议排查周边污染源。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """Higher ratio, longer plumes and repeated passes are more certain."""
    r, s, n = float(row["max_ratio"]), float(row["duration_s"]), int(row["passes"])
    sev = 3 if r >= 5 and (s >= 60 or n >= 2) else 2 if r >= 3 or s >= 60 or n >= 2 else 1
    return sev, min(1.0, 0.45 + 0.2 * min(1.0, (r - p.min_ratio) / 3) + 0.1 * min(n - 1, 3))


RULE = register(
    Rule(
        code="MOBILE-HOTSPOT",
        family="MOBILE_HOTSPOT",
        title_zh="走航高值",
        title_en="Mobile monitoring far above the route background",
        clause="大气强化监督帮扶 走航监测实践（未核实），阈值为参数",
        description_zh=(
            "走航监测车沿途读数持续明显高于同车同污染物前后数分钟的滚动本底（倍数且超出一定浓度），"
            "定位到高值所在网格，提示网格内存在污染源。"
        ),
        description_en=(
            "Mobile monitoring readings stay far above the rolling background of the same "
            "vehicle and pollutant over the surrounding minutes; located to the grid cell of the "
            "peak: a source nearby."
        ),
        evidence={
            "observed": Field("最高读数", "Peak reading", unit=POLLUTANT_UNIT, decimals=0),
            "threshold": Field("高值判定浓度", "Hot from", unit=POLLUTANT_UNIT, decimals=0),
            "background": Field("沿途本底", "Route background", unit=POLLUTANT_UNIT, decimals=0),
            "max_ratio": Field("最高倍数", "Highest ratio", "ratio", decimals=1),
            "duration_s": Field("高值持续时间", "Hot duration", unit="s", decimals=0),
            "passes": Field("经过次数", "Passes", "integer"),
            "readings": Field("高值读数个数", "Hot readings", "integer"),
            "pollutants_hot": Field("高值污染物", "Pollutants hot", "text"),
            "vehicle_id": Field("走航车", "Vehicle", "text"),
            "lon": Field("高值点经度", "Peak longitude", unit="°", decimals=5),
            "lat": Field("高值点纬度", "Peak latitude", unit="°", decimals=5),
            "peak_after_s": Field("峰值距开始时间", "Peak after start", unit="s", decimals=0),
            "cell_dist_km": Field("距网格中心", "Distance to cell centre", unit="km", decimals=2),
        },
        parameters={
            "min_ratio": Field("高值倍数下限", "Least ratio", "ratio"),
            "min_excess_ug_m3": Field("超出本底浓度下限", "Least excess", unit="µg/m³", decimals=0),
            "background_window_min": Field(
                "本底窗口（前后）", "Background window (±)", unit="min", decimals=0
            ),
            "min_background_readings": Field(
                "本底读数个数下限", "Least background readings", "integer"
            ),
            "min_run_s": Field("最短高值持续时间", "Shortest hot run", unit="s", decimals=0),
            "min_readings": Field("最少高值读数", "Fewest hot readings", "integer"),
            "max_gap_s": Field("高值读数最大间隔", "Largest gap in a run", unit="s", decimals=0),
            "merge_window_min": Field(
                "同网格合并窗口", "Merge window per cell", unit="min", decimals=0
            ),
        },
        params_type=Params,
        needs=("grids", "mobile"),
        requires=("mobile",),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="city",
    )
)
