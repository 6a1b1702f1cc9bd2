"""Benchmark: GRID-HOTSPOT and MOBILE-HOTSPOT on a synthetic province day (DuckDB).

Builds in memory ``--cells`` grid cells of 3 km (a square block) with ``--hours`` hourly
PM2.5/PM10 values (noise, a regional haze over the second half of the day, clouds on 5 % of
cell-hours and ``--hotspots`` planted hot cells), and ``--vehicles`` 走航 vehicles driving
``--drive-hours`` hours at one reading per second for PM2.5 and TVOC (planted plumes every
20 minutes). Runs each rule once through :func:`lantian.rules.engine.run_rules` and prints
rows, seconds and leads found / planted. Nothing asserts a timing.

Usage::

    .venv/bin/python bench/bench_grid_mobile.py                       # province day
    .venv/bin/python bench/bench_grid_mobile.py --cells 2500 --vehicles 2
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import datetime

import ibis
import numpy as np
import pandas as pd

from lantian.rules.engine import run_rules
from lantian.rules.inputs import TABLE_COLUMNS, Inputs, empty_table

T0 = int((datetime(2024, 1, 8) - datetime(1970, 1, 1)).total_seconds())
KM = 3.0
LON0, LAT0 = 114.0, 37.0
DLAT = KM / 110.574
DLON = KM / (111.32 * math.cos(math.radians(LAT0)))


def build(args: argparse.Namespace) -> tuple[Inputs, int, int]:
    rng = np.random.default_rng(7)
    side = round(math.sqrt(args.cells))
    r, c = np.divmod(np.arange(side * side), side)
    gids = np.array([f"G{i:06d}" for i in range(side * side)])
    grids = pd.DataFrame(
        {
            "grid_id": gids,
            "lon": LON0 + c * DLON,
            "lat": LAT0 + r * DLAT,
            "cell_km": KM,
            "city": np.where(c < side // 2, "甲市", "乙市"),
            "district": "区",
            "township": "镇",
        }
    )
    n, hrs = len(gids), args.hours
    h = np.tile(np.arange(hrs), n)
    g = np.repeat(np.arange(n), hrs)
    haze = np.where(h >= hrs // 2, 3.0, 1.0)
    pm25 = 40.0 * haze * (1 + 0.15 * rng.standard_normal(n * hrs))
    hot_cells = rng.choice(n, args.hotspots, replace=False)
    planted = np.isin(g, hot_cells) & (h >= 6) & (h < 11)
    pm25 = np.where(planted, pm25 * 4 + 60, pm25)
    pm25 = np.where(rng.random(n * hrs) < 0.05, np.nan, pm25)
    gh = pd.DataFrame({"grid_id": gids[g], "t": T0 + h * 3600, "pm25": pm25, "pm10": pm25 * 1.6})
    frames = []
    secs = int(args.drive_hours * 3600)
    s = np.arange(secs)
    for v in range(args.vehicles):
        row = rng.integers(1, side - 1)
        x = (s % 7200) / 7200 * min(20, side - 2) * DLON  # 20 cells (60 km) in 2 h, then again
        for pol, base in (("PM2.5", 45.0), ("TVOC", 120.0)):
            val = base * (1 + 0.1 * rng.standard_normal(secs))
            val = np.where((s % 1200) < 30, val * 5 + 100, val)  # a plume every 20 min
            frames.append(
                pd.DataFrame(
                    {
                        "vehicle_id": f"V{v:02d}",
                        "t": T0 + 8 * 3600 + s,
                        "lon": LON0 + DLON + x,
                        "lat": LAT0 + row * DLAT,
                        "pollutant": pol,
                        "value": val,
                    }
                )
            )
    mobile = pd.concat(frames, ignore_index=True)
    con = ibis.duckdb.connect()
    tabs = {
        "grids": con.create_table("grids", grids),
        "grid_hourly": con.create_table("grid_hourly", gh),
        "mobile": con.create_table("mobile", mobile),
    }
    rest = {
        k: con.create_table(k, empty_table(k).to_pandas()) for k in TABLE_COLUMNS if k not in tabs
    }
    inputs = Inputs(**{**rest, **tabs})
    print(f"grids {len(grids):,} cells, grid_hourly {len(gh):,} rows, mobile {len(mobile):,} rows")
    return inputs, args.hotspots, args.vehicles


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=40_000)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--hotspots", type=int, default=20)
    ap.add_argument("--vehicles", type=int, default=20)
    ap.add_argument("--drive-hours", type=float, default=8.0)
    args = ap.parse_args()
    inputs, planted, vehicles = build(args)
    for code in ("GRID-HOTSPOT", "MOBILE-HOTSPOT"):
        t, c = time.perf_counter(), time.process_time()
        leads = run_rules(inputs, rules=[code])
        dt, dc = time.perf_counter() - t, time.process_time() - c
        print(f"{code}: {len(leads)} leads in {dt:.1f} s wall, {dc:.1f} s CPU (all threads)")
    print(f"planted: {planted} hot cells (5 h each); {vehicles} vehicles with a plume every 20 min")


if __name__ == "__main__":
    main()
