"""Demo hourly grid PM (``data/grid_hourly.csv``) with labelled GRID_HOTSPOT incidents.

Every cell follows the same regional PM2.5 as the ambient stations
(:attr:`lantian.demo.weather.Weather.log_pm25` with the stations' night-time maximum), so a
regional episode lifts every cell at once; a cell's own level is the inverse-distance mix of
the nearby stations' offsets plus a little persistent local noise. PM10 is 1.3-1.6 × PM2.5.

Incidents (labelled ``GRID_HOTSPOT``, subject the cell): one cell 3.5-6 × its own background
for 4-8 hours; most are the plume of an enterprise that produces at the time, seen in the
cell downwind of it (the label's ``source_enterprise_id``), the rest have no enterprise near
(e.g. open burning). Benign look-alikes (no label): cloud gaps (no retrieval: empty cells
for a patch of cells and hours), broad haze patches lifting a whole neighbourhood together
(never several times its ring), and one-hour spikes of a single cell.

References
----------
.. [1] 生态环境部 大气污染防治"千里眼计划" (hourly PM per 3 km cell from satellite
   retrieval; cloud means no retrieval). Unverified: factors and durations are this
   project's choice for a recognisable hot spot.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from lantian.demo.clues.grids import CELL_KM, Grid, downwind_cell, emitting, steady_direction
from lantian.demo.incidents import Label
from lantian.demo.noise import F64, ar1
from lantian.timeutil import isoformat_cst

if TYPE_CHECKING:
    from lantian.demo.clues import ClueContext

HOTSPOT_FACTOR = (3.5, 6.0)
"""Range of a hot cell's multiple of its own background [-]."""
HOTSPOT_HOURS = (4, 9)
"""Range of a hot spot's duration [h] (end exclusive)."""
HOTSPOT_RATE = 0.6
"""Hot-spot incidents per day of the period."""
SOURCE_SHARE = 0.8
"""Share of hot spots with a true source enterprise upwind."""


def background(ctx: ClueContext, grid: Grid, rng: np.random.Generator) -> tuple[F64, F64]:
    """Cell × hour PM2.5 and PM10 [µg/m³] without incidents."""
    weather = ctx.weather
    reg = ctx.reg
    h = int(weather.log_pm25.size)
    hod = np.arange(h) % 24
    diurnal = 1.0 + 0.2 * np.cos((hod - 1) / 24 * 2 * np.pi)
    st_xy = np.array([grid.km(s.lon, s.lat) for s in reg.stations]) if reg.stations else None
    st_off = np.array([s.offset for s in reg.stations]) if reg.stations else None
    offset = np.zeros(grid.size)
    for k in range(grid.size):
        if st_xy is None or st_off is None:
            break
        cx, cy = grid.cell_xy(k)
        d2 = (st_xy[:, 0] - cx) ** 2 + (st_xy[:, 1] - cy) ** 2 + 4.0
        w = 1.0 / d2
        offset[k] = float((w * st_off).sum() / w.sum())
    offset += rng.normal(0.0, 0.05, grid.size)
    local = ar1(rng, (grid.size, h), 0.8, 0.08)
    pm25 = np.exp(weather.log_pm25[None, :] + offset[:, None] + local) * diurnal[None, :]
    ratio = rng.uniform(1.3, 1.6, grid.size)[:, None] * np.exp(ar1(rng, (grid.size, h), 0.7, 0.05))
    return pm25, pm25 * ratio


def _busy(spans: list[tuple[int, int, int]], cells: set[int], a: int, b: int, pad: int) -> bool:
    return any(k in cells and a < y + pad and x < b + pad for k, x, y in spans)


def simulate_grid(ctx: ClueContext, grid: Grid) -> tuple[F64, F64, list[Label]]:
    """Cell × hour PM2.5 and PM10 (NaN = no retrieval) with hot spots and look-alikes."""
    seed = int(ctx.cfg.seed)
    reg = ctx.reg
    wind = ctx.wind
    plan = ctx.plan
    rng = np.random.default_rng([seed, 0xC1, 2])
    pm25, pm10 = background(ctx, grid, rng)
    h = pm25.shape[1]
    labels: list[Label] = []
    spans: list[tuple[int, int, int]] = []  # (cell, start h, end h): incidents, kept clear
    days = max(1, h // 24)
    n = max(2, round(days * HOTSPOT_RATE))
    interior = [k for k in range(grid.size) if grid.interior(k)]
    near_any = set()
    for e in reg.enterprises:
        k = grid.index_of(e.lon, e.lat)
        if k is not None:
            near_any.add(k)
            near_any.update(grid.ring(k))
    lines = {e.enterprise_id: [ln.line_id for ln in e.lines] for e in reg.enterprises}
    want_source = bool(rng.random() < SOURCE_SHARE)
    tries = 0
    for _ in range(n * 400):
        if len(labels) >= n or h < 14:
            break
        tries += 1
        if tries > 300:  # no plume fits: this one has no source
            want_source, tries = False, 0
        length = int(rng.integers(*HOTSPOT_HOURS))
        a = int(rng.integers(2, h - length - 2))
        source: int | None = None
        if want_source and reg.enterprises:
            source = int(rng.integers(len(reg.enterprises)))
            mean = steady_direction([wind.to_deg(t) for t in range(a, a + length)], 20.0)
            if mean is None:
                continue
            if float(np.min(wind.speed_m_s[a : a + length])) < 1.0:
                continue
            ent = reg.enterprises[source]
            if not emitting(plan, lines[ent.enterprise_id], range(a - 1, a + length + 1)):
                continue
            cell = downwind_cell(grid, reg, source, mean)
            if cell is None:
                continue
        else:
            far = [k for k in interior if k not in near_any]
            if not far:
                continue
            cell = far[int(rng.integers(len(far)))]
        block = {cell, *grid.ring(cell)}
        for j in list(block):
            block.update(grid.ring(j))
        if _busy(spans, block, a, a + length, 6):
            continue
        factor = float(rng.uniform(*HOTSPOT_FACTOR))
        shape = factor * rng.uniform(0.93, 1.07, length)
        pm25[cell, a : a + length] *= shape
        pm10[cell, a : a + length] *= 1.0 + 0.8 * (shape - 1.0)
        spans.append((cell, a, a + length))
        want_source, tries = bool(rng.random() < SOURCE_SHARE), 0
        extra: dict[str, object] = {"factor": round(factor, 2)}
        if source is not None:
            extra["source_enterprise_id"] = reg.enterprises[source].enterprise_id
        labels.append(
            Label(
                "GRID_HOTSPOT",
                None,
                "grid",
                grid.ids[cell],
                "PM2.5",
                a * 60,
                (a + length) * 60,
                extra,
            )
        )
    _haze_patches(grid, pm25, pm10, spans, rng, days)
    _spikes(grid, pm25, pm10, spans, rng, days)
    _clouds(grid, pm25, pm10, spans, rng, days)
    return pm25, pm10, labels


def _haze_patches(
    grid: Grid,
    pm25: F64,
    pm10: F64,
    spans: list[tuple[int, int, int]],
    rng: np.random.Generator,
    days: int,
) -> None:
    """Benign: broad patches (σ 2.5 cells) up to 1.8 × for 6-12 h; neighbours rise together."""
    h = pm25.shape[1]
    xy = np.array([grid.cell_xy(k) for k in range(grid.size)])
    for _ in range(max(1, days // 3)):
        length = int(rng.integers(6, 13))
        if h <= length + 2:
            return
        a = int(rng.integers(0, h - length))
        k0 = int(rng.integers(grid.size))
        d2 = ((xy - xy[k0]) ** 2).sum(axis=1) / (2.5 * CELL_KM) ** 2
        lift = 1.0 + 0.8 * np.exp(-d2 / 2.0)
        pm25[:, a : a + length] *= lift[:, None]
        pm10[:, a : a + length] *= lift[:, None]


def _spikes(
    grid: Grid,
    pm25: F64,
    pm10: F64,
    spans: list[tuple[int, int, int]],
    rng: np.random.Generator,
    days: int,
) -> None:
    """Benign: a single cell 2.5-3.5 × for one hour (not several hours)."""
    h = pm25.shape[1]
    for _ in range(days):
        k = int(rng.integers(grid.size))
        t = int(rng.integers(0, h))
        block = {k, *grid.ring(k)}
        if _busy(spans, block, t, t + 1, 4):
            continue
        f = float(rng.uniform(2.5, 3.5))
        pm25[k, t] *= f
        pm10[k, t] *= f


def _clouds(
    grid: Grid,
    pm25: F64,
    pm10: F64,
    spans: list[tuple[int, int, int]],
    rng: np.random.Generator,
    days: int,
) -> None:
    """Benign: cloud gaps, a round patch of cells without retrieval for 2-8 h, most days."""
    h = pm25.shape[1]
    xy = np.array([grid.cell_xy(k) for k in range(grid.size)])
    for d in range(days):
        if rng.random() < 0.4:
            continue
        length = int(rng.integers(2, 9))
        a = min(h - length, d * 24 + int(rng.integers(0, 24)))
        if a < 0:
            continue
        k0 = int(rng.integers(grid.size))
        radius = float(rng.uniform(1.5, 4.0)) * CELL_KM
        cells = np.flatnonzero(((xy - xy[k0]) ** 2).sum(axis=1) <= radius**2)
        protected = set()
        for k, x, y in spans:
            if a < y + 2 and x < a + length + 2:
                protected.add(k)
                protected.update(grid.ring(k))
        cells = np.array([c for c in cells if int(c) not in protected], dtype=int)
        if cells.size:
            pm25[cells, a : a + length] = np.nan
            pm10[cells, a : a + length] = np.nan


def write_grid_hourly(ctx: ClueContext, grid: Grid) -> tuple[int, list[Label]]:
    """Write ``data/grid_hourly.csv``; rows written and the labels."""
    pm25, pm10, labels = simulate_grid(ctx, grid)
    root = ctx.root
    base = ctx.start
    path = root / "data" / "grid_hourly.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    h = pm25.shape[1]
    times = [isoformat_cst(base + timedelta(hours=t)) for t in range(h)]
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["grid_id", "time", "pm25", "pm10"])
        for k, gid in enumerate(grid.ids):
            a25 = pm25[k]
            a10 = pm10[k]
            for t in range(h):
                v = a25[t]
                if np.isnan(v):
                    w.writerow([gid, times[t], "", ""])
                else:
                    w.writerow([gid, times[t], f"{v:.0f}", f"{a10[t]:.0f}"])
                rows += 1
    return rows, labels
