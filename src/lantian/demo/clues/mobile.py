"""Demo 走航 (``data/mobile_track.csv``): a few vehicle-days with labelled MOBILE_HOTSPOT incidents.

Two monitoring vehicles (``ZH01`` reading every second, ``ZH02`` every 5 s) drive a morning
route (09:00-12:00 CST) on a few days, measuring TVOC and PM2.5. Each route is planned to
pass through the plume of one or two enterprises that produce at the time, in the grid cell
downwind of them: there the vehicle slows down and the readings rise several times above
the route's background for a few minutes (labelled ``MOBILE_HOTSPOT``, subject the grid cell,
``source_enterprise_id`` the enterprise). Benign look-alikes: single readings several times
the background (a passing diesel truck), far from any plume.

References
----------
.. [1] HJ 1010-2018 环境空气挥发性有机物气相色谱连续监测系统技术要求及检测方法 and
   common 走航监测 practice (TVOC and particulate along a route at 1-5 s). Unverified here:
   speeds, plume widths and factors are this project's choice.
"""

from __future__ import annotations

import csv
import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from lantian.demo.clues.grids import Grid, downwind_cell, emitting, steady_direction
from lantian.demo.incidents import Label
from lantian.demo.noise import F64
from lantian.timeutil import isoformat_cst

if TYPE_CHECKING:
    from lantian.demo.clues import ClueContext

VEHICLES: tuple[tuple[str, int], ...] = (("ZH01", 1), ("ZH02", 5))
"""Vehicle id and reading interval [s]."""
ROUTE_HOURS = (9, 12)
"""Local (CST) hours of a route: start inclusive, end exclusive [h]."""
SPEED_M_S = 8.0
"""Cruising speed [m/s]."""
SLOW_M_S = 3.0
"""Speed within ``SLOW_RADIUS_M`` of a plume [m/s]."""
SLOW_RADIUS_M = 600.0
PLUME_WIDTH_M = 200.0
"""e-folding half-width of a plume across the road [m]."""
MAX_VEHICLE_DAYS = 3
EPISODE_GAP_MIN = 30
"""Passes of one vehicle through one plume less than this apart [min] are one incident
(as an officer would count a vehicle circling a plant); further apart, two incidents."""
ROUTE_END_MARGIN_S = 120
"""An incident ending in the route's last two minutes may be cut off by the end of the
route (the vehicle stops measuring inside the plume): a don't-care window, not a label."""
STRONG_FACTOR = 3.0
"""A pass whose peak reading is at least this many times the local level is a labelled
incident; a graze of the plume's edge (peak factor 2 to 3) is a don't-care window (whether
it shows as a hot spot depends on the noise around it)."""


def _plumes(
    ctx: ClueContext, grid: Grid, rng: np.random.Generator, a: int, b: int, want: int
) -> list[tuple[int, int]]:
    """(source enterprise index, downwind cell) for up to ``want`` plumes in hours a..b."""
    reg = ctx.reg
    wind = ctx.wind
    mean = steady_direction([wind.to_deg(t) for t in range(a, b)], 25.0)
    if mean is None:
        return []
    lines = {e.enterprise_id: [ln.line_id for ln in e.lines] for e in reg.enterprises}
    out: list[tuple[int, int]] = []
    order = rng.permutation(len(reg.enterprises)).tolist()
    for s in order:
        if len(out) >= want:
            break
        ent = reg.enterprises[s]
        if not emitting(ctx.plan, lines[ent.enterprise_id], range(a, b)):
            continue
        cell = downwind_cell(grid, reg, s, mean, min_km=1.2, max_km=4.5, max_angle=15.0)
        if cell is None:
            continue
        cx, cy = grid.cell_xy(cell)
        if any(math.hypot(cx - grid.cell_xy(c)[0], cy - grid.cell_xy(c)[1]) < 6.0 for _, c in out):
            continue
        out.append((s, cell))
    return out


def _drive(
    waypoints: list[tuple[float, float]],
    slow: list[tuple[float, float]],
    n: int,
    step_s: int,
    rng: np.random.Generator,
    grid: Grid,
) -> F64:
    """Positions [km east, km north] at ``n`` readings ``step_s`` apart along the waypoints."""
    pos = np.empty((n, 2))
    x, y = waypoints[0]
    wp = 1
    reach = grid.half * 3.0 * 0.7
    for i in range(n):
        pos[i] = (x, y)
        speed = SPEED_M_S
        if any(math.hypot(x - sx, y - sy) * 1000 < SLOW_RADIUS_M for sx, sy in slow):
            speed = SLOW_M_S
        left = speed * step_s / 1000.0
        while left > 0:
            if wp >= len(waypoints):
                waypoints.append(
                    (float(rng.uniform(-reach, reach)), float(rng.uniform(-reach, reach)))
                )
            tx, ty = waypoints[wp]
            d = math.hypot(tx - x, ty - y)
            if d <= left:
                x, y = tx, ty
                left -= d
                wp += 1
            else:
                x += (tx - x) / d * left
                y += (ty - y) / d * left
                left = 0
    return pos


def simulate_mobile(
    ctx: ClueContext, grid: Grid
) -> tuple[list[tuple[str, int, float, float, str, float]], list[Label]]:
    """Readings ``(vehicle, second from start, lon, lat, pollutant, value)`` and labels."""
    seed = int(ctx.cfg.seed)
    rng = np.random.default_rng([seed, 0xC1, 3])
    weather = ctx.weather
    rows: list[tuple[str, int, float, float, str, float]] = []
    labels: list[Label] = []
    reach = grid.half * 3.0 * 0.6
    days = int(ctx.cfg.days)
    chosen: list[tuple[int, list[tuple[int, int]]]] = []
    for day in rng.permutation(days).tolist():
        if len(chosen) >= min(days, MAX_VEHICLE_DAYS):
            break
        a = int(day) * 24 + ROUTE_HOURS[0]
        plumes = _plumes(ctx, grid, rng, a, a + ROUTE_HOURS[1] - ROUTE_HOURS[0], 2)
        if plumes:
            chosen.append((int(day), plumes))
    if not chosen:
        chosen.append((0, []))  # a route with only benign spikes
    chosen.sort()
    for i, (day, plumes) in enumerate(chosen):
        vehicle, step = VEHICLES[i % len(VEHICLES)]
        a = day * 24 + ROUTE_HOURS[0]
        b = day * 24 + ROUTE_HOURS[1]
        plume_xy = [grid.cell_xy(c) for _, c in plumes]
        start = (float(rng.uniform(-reach, reach)), float(rng.uniform(-reach, reach)))
        waypoints = [start]
        for p in plume_xy:
            waypoints.append((float(rng.uniform(-reach, reach)), float(rng.uniform(-reach, reach))))
            waypoints.append(p)
        n = (b - a) * 3600 // step
        pos = _drive(waypoints, plume_xy, n, step, rng, grid)
        secs = a * 3600 + np.arange(n) * step
        hours = np.minimum(secs // 3600, weather.log_pm25.size - 1)
        hod = hours % 24
        regional = np.exp(weather.log_pm25[hours]) * (
            1.0 + 0.2 * np.cos((hod - 1) / 24 * 2 * np.pi)
        )
        phi = 0.995**step
        tvoc = 45.0 * np.exp(_ar1(rng, n, phi, 0.12))
        pm = regional * np.exp(_ar1(rng, n, phi, 0.08))
        for (src, cell), (px, py) in zip(plumes, plume_xy, strict=True):
            d_m = np.hypot(pos[:, 0] - px, pos[:, 1] - py) * 1000.0
            f_tvoc = float(rng.uniform(6.0, 12.0))
            f_pm = float(rng.uniform(2.5, 4.0))
            shape = np.exp(-((d_m / PLUME_WIDTH_M) ** 2))
            tvoc *= 1.0 + (f_tvoc - 1.0) * shape
            pm *= 1.0 + (f_pm - 1.0) * shape
            factor = 1.0 + (f_tvoc - 1.0) * shape
            hot = np.flatnonzero(factor > 2.0)
            for s0, s1, _n in _incidents(secs[hot], step):
                inside = (secs >= s0) & (secs < s1)
                strong = float(factor[inside].max()) >= STRONG_FACTOR
                cut = s1 > b * 3600 - ROUTE_END_MARGIN_S
                labels.append(
                    Label(
                        "MOBILE_HOTSPOT",
                        None,
                        "grid",
                        grid.ids[cell],
                        "TVOC",
                        s0 // 60,
                        -(-s1 // 60),
                        {
                            "source_enterprise_id": ctx.reg.enterprises[src].enterprise_id,
                            "vehicle_id": vehicle,
                            "factor": round(f_tvoc, 1),
                        },
                        ignore=cut or not strong,
                    )
                )
        # Benign single spikes (a passing truck), far from every plume.
        for _ in range(3):
            i = int(rng.integers(n))
            if any(math.hypot(pos[i, 0] - px, pos[i, 1] - py) < 2.0 for px, py in plume_xy):
                continue
            tvoc[i] *= float(rng.uniform(4.0, 6.0))
            pm[i] *= float(rng.uniform(2.5, 3.5))
        for i in range(n):
            lon, lat = grid.point(float(pos[i, 0]), float(pos[i, 1]))
            t = int(secs[i])
            rows.append((vehicle, t, lon, lat, "TVOC", float(tvoc[i])))
            rows.append((vehicle, t, lon, lat, "PM2.5", float(pm[i])))
    return rows, labels


def _incidents(hot_secs: Any, step: int) -> list[tuple[int, int, int]]:
    """(start s, end s, seconds in the plume) of each incident: hot readings less than
    :data:`EPISODE_GAP_MIN` apart belong to one incident (one pass, or passes of a vehicle
    circling the plume)."""
    out: list[list[int]] = []
    prev = None
    for t in (int(x) for x in hot_secs):
        if out and prev is not None and t - prev <= EPISODE_GAP_MIN * 60:
            out[-1][1] = t + step  # the same pass, or a new pass of the same incident
            out[-1][2] += step
        else:
            out.append([t, t + step, step])
        prev = t
    return [(a, b, n) for a, b, n in out]


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> F64:
    e = rng.normal(0.0, sd * math.sqrt(1 - phi * phi), n)
    out = np.empty(n)
    prev = float(rng.normal(0.0, sd))
    for i in range(n):
        prev = phi * prev + float(e[i])
        out[i] = prev
    return out


def write_mobile(ctx: ClueContext, grid: Grid) -> tuple[int, list[Label]]:
    """Write ``data/mobile_track.csv``; rows written and the labels."""
    rows, labels = simulate_mobile(ctx, grid)
    base = ctx.start
    path = ctx.root / "data" / "mobile_track.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["vehicle_id", "time", "lon", "lat", "pollutant", "value"])
        for vehicle, t, lon, lat, pol, value in rows:
            w.writerow(
                [
                    vehicle,
                    isoformat_cst(base + timedelta(seconds=t)),
                    f"{lon:.6f}",
                    f"{lat:.6f}",
                    pol,
                    f"{value:.1f}",
                ]
            )
    return len(rows), labels
