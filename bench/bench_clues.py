"""Benchmark of the clue-layer rules (#17): a province-size day of clue data on DuckDB.

In ONE run this script

1. generates a synthetic bundle (Parquet, contract v2 columns) of one CST day: 40,000 grid
   cells hourly (``grid_hourly``), 200 met stations hourly (``met_hourly``), 20 mobile
   monitoring vehicles × 8 h of 1 s readings of two pollutants (``mobile_track``), the alarms
   of 2,000 cameras (``camera_alarms``), 500 gates with their records (``gate_records``),
   5,000 enterprises with coordinates (1,000 with a production meter sampled every 5 min),
   the 500 gated enterprises' transport measures and an orange alert in every city;
2. times ``load_bundle`` + :func:`lantian.rules.engine.run_rules` with every registered rule
   whose family is a v2 clue family (:data:`lantian.registry.vocab.CLUE_FAMILIES`; whatever
   is registered when it runs), including the upwind-candidate hook of hot-spot leads;
3. prints the wall time, the time of each rule, the leads per rule and the ratio to the
   60 s target (wall / 60 s; ≤ 1 meets it);
4. times the upwind-candidate hook alone on ``--hook-leads`` synthetic GRID_HOTSPOT leads
   (so its cost shows even before a grid rule is registered).

Usage::

    .venv/bin/python bench/bench_clues.py               # full size
    .venv/bin/python bench/bench_clues.py --scale 0.1   # a tenth of every count
    .venv/bin/python bench/bench_clues.py --keep DIR    # keep the bundle in DIR
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

TARGET_S = 60.0
DAY = datetime(2024, 1, 8)
"""The benchmark day (CST wall clock, naive as HJ 212 data)."""
LON0, LAT0 = 113.5, 36.0
"""South-west corner of the synthetic province [WGS-84 degrees]."""
DLON, DLAT = 0.0347, 0.027
"""One 3 km grid step at about 38° N [degrees]."""


def _ts(seconds: np.ndarray) -> pa.Array:
    """Seconds after :data:`DAY` → naive timestamp[s] array."""
    base = np.datetime64(DAY, "s")
    return pa.array(base + seconds.astype("timedelta64[s]"), type=pa.timestamp("s"))


def _write(path: Path, cols: dict[str, Any]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    # NaN (no retrieval) is written as null: the contract's empty cell (NaN is refused)
    table = pa.table(
        {
            k: pa.array(v, from_pandas=True) if isinstance(v, np.ndarray) else v
            for k, v in cols.items()
        }
    )
    pq.write_table(table, path)
    return int(table.num_rows)


def _city(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """4 × 4 cities over the province square."""
    cx = np.clip(((lon - LON0) / (200 * DLON) * 4).astype(int), 0, 3)
    cy = np.clip(((lat - LAT0) / (200 * DLAT) * 4).astype(int), 0, 3)
    return np.array([f"城市{y * 4 + x + 1:02d}" for x, y in zip(cx, cy, strict=True)])


def generate(out: Path, scale: float, seed: int = 17) -> dict[str, int]:
    """Write the bundle; return rows per file."""
    rng = np.random.default_rng(seed)
    rows: dict[str, int] = {}
    side = max(10, round(200 * scale**0.5))
    # -- grids and hourly PM --------------------------------------------------------------
    gi, gj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    g_lon = (LON0 + gj.ravel() * DLON).round(5)
    g_lat = (LAT0 + gi.ravel() * DLAT).round(5)
    n_g = g_lon.size
    g_id = np.array([f"G{k:06d}" for k in range(n_g)])
    rows["grids"] = _write(
        out / "registry" / "grids.parquet",
        {
            "grid_id": g_id,
            "lon": g_lon,
            "lat": g_lat,
            "cell_km": np.full(n_g, 3.0),
            "city": _city(g_lon, g_lat),
        },
    )
    hours = np.arange(24)
    base = 60 + 30 * np.sin(gi.ravel() / 17.0) * np.cos(gj.ravel() / 23.0)
    pm25 = base[None, :] * (1 + 0.3 * np.sin(hours[:, None] / 24 * 2 * np.pi))
    pm25 = pm25 * rng.lognormal(0, 0.15, pm25.shape)
    hot = rng.choice(n_g, size=max(5, n_g // 400), replace=False)  # planted hot cells
    pm25[9:15, hot] *= 3.5
    pm25[rng.random(pm25.shape) < 0.05] = np.nan  # cloud: no retrieval
    rows["grid_hourly"] = _write(
        out / "data" / "grid_hourly.parquet",
        {
            "grid_id": np.tile(g_id, 24),
            "time": _ts(np.repeat(hours * 3600, n_g)),
            "pm25": pm25.ravel().round(1),
            "pm10": (pm25.ravel() * 1.6).round(1),
        },
    )
    # -- stations and wind ------------------------------------------------------------------
    n_s = max(10, round(200 * scale))
    s_lon = LON0 + rng.random(n_s) * side * DLON
    s_lat = LAT0 + rng.random(n_s) * side * DLAT
    s_id = np.array([f"S{k:04d}" for k in range(n_s)])
    rows["stations"] = _write(
        out / "registry" / "stations.parquet",
        {
            "station_id": s_id,
            "name": np.array([f"站点{k}" for k in range(n_s)]),
            "kind": np.full(n_s, "provincial"),
            "city": _city(s_lon, s_lat),
            "lon": s_lon.round(5),
            "lat": s_lat.round(5),
        },
    )
    wind_dir = (315 + 30 * np.sin(hours[:, None] / 5.0) + rng.normal(0, 15, (24, n_s))) % 360
    rows["met_hourly"] = _write(
        out / "data" / "met_hourly.parquet",
        {
            "station_id": np.tile(s_id, 24),
            "time": _ts(np.repeat(hours * 3600, n_s)),
            "wind_dir": wind_dir.ravel().round(0),
            "wind_speed": rng.gamma(2.0, 1.2, 24 * n_s).round(1),
            "temp": rng.normal(0, 4, 24 * n_s).round(1),
            "rh": rng.uniform(30, 90, 24 * n_s).round(0),
        },
    )
    # -- enterprises, meters, power, measures, alerts ----------------------------------------
    n_e = max(50, round(5000 * scale))
    e_lon = LON0 + rng.random(n_e) * side * DLON
    e_lat = LAT0 + rng.random(n_e) * side * DLAT
    e_id = np.array([f"E{k:05d}" for k in range(n_e)])
    e_city = _city(e_lon, e_lat)
    rows["enterprises"] = _write(
        out / "registry" / "enterprises.parquet",
        {
            "enterprise_id": e_id,
            "name": np.array([f"企业{k}" for k in range(n_e)]),
            "credit_code": np.array([f"91130000MA{k:08d}" for k in range(n_e)]),
            "industry": np.full(n_e, "steel"),
            "city": e_city,
            "lon": e_lon.round(5),
            "lat": e_lat.round(5),
        },
    )
    rows["outlets"] = _write(
        out / "registry" / "outlets.parquet",
        {
            "outlet_id": pa.array([], pa.string()),
            "enterprise_id": pa.array([], pa.string()),
            "name": pa.array([], pa.string()),
            "mn": pa.array([], pa.string()),
        },
    )
    n_m = n_e // 5
    m_id = np.array([f"M{k:05d}" for k in range(n_m)])
    rows["meters"] = _write(
        out / "registry" / "meters.parquet",
        {
            "meter_id": m_id,
            "enterprise_id": e_id[:n_m],
            "line_id": np.array([f"{e}-L1" for e in e_id[:n_m]]),
            "role": np.full(n_m, "production"),
            "name": np.full(n_m, "生产"),
            "rated_kw": np.full(n_m, 500.0),
        },
    )
    slots = np.arange(0, 86400, 300)
    running = rng.random(n_m) < 0.8
    kw = np.where(running[None, :], 400.0, 5.0) * rng.lognormal(0, 0.05, (slots.size, n_m))
    rows["power"] = _write(
        out / "data" / "power.parquet",
        {
            "meter_id": np.tile(m_id, slots.size),
            "time": _ts(np.repeat(slots, n_m)),
            "kw": kw.ravel().round(1),
        },
    )
    n_gate = max(10, round(500 * scale))
    gated = e_id[n_m : n_m + n_gate]
    rows["measures"] = _write(
        out / "registry" / "measures.parquet",
        {
            "enterprise_id": gated,
            "line_id": np.array([f"{e}-L1" for e in gated]),
            "level": np.full(n_gate, "orange"),
            "action": np.full(n_gate, "limit"),
            "limit_pct": np.full(n_gate, 30.0),
            "truck_min_standard": np.full(n_gate, 5.0),
        },
    )
    cities = sorted(set(e_city))
    rows["alerts"] = _write(
        out / "data" / "alerts.parquet",
        {
            "alert_id": np.array([f"A{k:02d}" for k in range(len(cities))]),
            "city": np.array(cities),
            "level": np.full(len(cities), "orange"),
            "start": _ts(np.full(len(cities), 8 * 3600)),
            "end": _ts(np.full(len(cities), 86400)),
        },
    )
    # -- mobile monitoring: 20 vehicles × 8 h × 1 s, two pollutants ------------------------
    n_v = max(2, round(20 * scale))
    secs = np.arange(9 * 3600, 17 * 3600)
    v_rows: dict[str, list[Any]] = {k: [] for k in ("vehicle_id", "t", "lon", "lat", "p", "v")}
    for v in range(n_v):
        heading = np.cumsum(rng.normal(0, 0.02, secs.size))
        step = 10.0 / 111_000  # 10 m/s in degrees
        lon = LON0 + rng.random() * side * DLON + np.cumsum(np.cos(heading)) * step * 1.27
        lat = LAT0 + rng.random() * side * DLAT + np.cumsum(np.sin(heading)) * step
        pm = 50 + 10 * rng.standard_normal(secs.size)
        for _ in range(5):  # plumes passed through
            k = rng.integers(0, secs.size - 120)
            pm[k : k + 90] += 400
        tvoc = np.abs(300 + 50 * rng.standard_normal(secs.size))
        for pol, val in (("PM2.5", np.abs(pm)), ("TVOC", tvoc)):
            v_rows["vehicle_id"].append(np.full(secs.size, f"V{v:02d}"))
            v_rows["t"].append(secs)
            v_rows["lon"].append(lon.round(6))
            v_rows["lat"].append(lat.round(6))
            v_rows["p"].append(np.full(secs.size, pol))
            v_rows["v"].append(val.round(1))
    rows["mobile_track"] = _write(
        out / "data" / "mobile_track.parquet",
        {
            "vehicle_id": np.concatenate(v_rows["vehicle_id"]),
            "time": _ts(np.concatenate(v_rows["t"])),
            "lon": np.concatenate(v_rows["lon"]),
            "lat": np.concatenate(v_rows["lat"]),
            "pollutant": np.concatenate(v_rows["p"]),
            "value": np.concatenate(v_rows["v"]),
        },
    )
    # -- camera alarms: 2,000 cameras, ~5 alarms each ----------------------------------------
    n_c = max(20, round(2000 * scale))
    owner = np.where(rng.random(n_c) < 0.6, rng.integers(0, n_e, n_c), -1)
    c_lon = np.where(owner >= 0, e_lon[owner] + 0.001, LON0 + rng.random(n_c) * side * DLON)
    c_lat = np.where(owner >= 0, e_lat[owner] + 0.001, LAT0 + rng.random(n_c) * side * DLAT)
    per = rng.poisson(5, n_c)
    cam = np.repeat(np.arange(n_c), per)
    n_a = cam.size
    kinds = np.array(["black_smoke", "open_burning", "dust", "bare_soil", "other"])
    rows["camera_alarms"] = _write(
        out / "data" / "camera_alarms.parquet",
        {
            "alarm_id": np.array([f"AL{k:07d}" for k in range(n_a)]),
            "source": np.full(n_a, "video"),
            "camera_id": np.array([f"C{c:05d}" for c in cam]),
            "time": _ts(rng.integers(0, 86400, n_a)),
            "lon": (c_lon[cam] + rng.normal(0, 0.001, n_a)).round(6),
            "lat": (c_lat[cam] + rng.normal(0, 0.001, n_a)).round(6),
            "kind": kinds[rng.integers(0, kinds.size, n_a)],
            "confidence": rng.uniform(0.2, 1.0, n_a).round(2),
            "enterprise_id": pa.array(
                [e_id[o] if o >= 0 else None for o in owner[cam]], pa.string()
            ),
        },
    )
    # -- gate records: 500 gates × ~200 records ----------------------------------------------
    per_gate = rng.poisson(200, n_gate)
    gate = np.repeat(np.arange(n_gate), per_gate)
    n_r = gate.size
    rows["gate_records"] = _write(
        out / "data" / "gate_records.parquet",
        {
            "record_id": np.array([f"R{k:08d}" for k in range(n_r)]),
            "enterprise_id": gated[gate],
            "gate_id": np.array([f"GT{g:04d}" for g in gate]),
            "time": _ts(rng.integers(0, 86400, n_r)),
            "plate": np.array([f"冀A{k % 100000:05d}" for k in rng.integers(0, 10**6, n_r)]),
            "vehicle_type": np.where(rng.random(n_r) < 0.7, "heavy_truck", "light_truck"),
            "fuel": np.where(rng.random(n_r) < 0.6, "diesel", "gas"),
            "emission_standard": rng.choice([3.0, 4.0, 5.0, 6.0], n_r, p=[0.02, 0.08, 0.5, 0.4]),
            "direction": np.where(rng.random(n_r) < 0.5, "in", "out"),
        },
    )
    return rows


def clue_rules() -> list[str]:
    """Codes of the registered rules of v2 clue families (catalog order)."""
    from lantian.registry.vocab import CLUE_FAMILIES
    from lantian.rules import catalog

    return [c for c, r in catalog.all_rules().items() if r.family in CLUE_FAMILIES]


def run(bundle: Path) -> tuple[float, float, dict[str, float], list[Any]]:
    """(load s, total s, per-rule s, leads) of one detection run of the clue rules."""
    from lantian.rules import upwind
    from lantian.rules.engine import run_rules
    from lantian.rules.inputs import load_bundle

    codes = clue_rules()
    t0 = time.perf_counter()
    inputs = load_bundle(bundle)
    t_load = time.perf_counter() - t0
    marks: list[tuple[str, float]] = []
    real_hook = upwind.add_candidates

    def timed_hook(*a: Any, **kw: Any) -> Any:
        marks.append(("(upwind hook)", time.perf_counter()))
        return real_hook(*a, **kw)

    with patch.object(upwind, "add_candidates", timed_hook):
        leads = run_rules(
            inputs, rules=codes, progress=lambda c: marks.append((c, time.perf_counter()))
        )
    end = time.perf_counter()
    per: dict[str, float] = {}
    for k, (code, t) in enumerate(marks):
        nxt = marks[k + 1][1] if k + 1 < len(marks) else end
        per[code] = per.get(code, 0.0) + nxt - t
    return t_load, end - t0, per, leads


def hook_on_hot_cells(bundle: Path, n_leads: int) -> tuple[float, int, float]:
    """Time the upwind hook alone on ``n_leads`` synthetic GRID_HOTSPOT leads (the first grid
    cells, 09-15 h), whether or not a grid rule is registered: (s, leads, mean count)."""
    from lantian.rules.engine import LeadRecord, t_to_iso
    from lantian.rules.inputs import load_bundle
    from lantian.rules.upwind import add_candidates

    inputs = load_bundle(bundle)
    grids = inputs.grids.select("grid_id").limit(n_leads).execute()
    day0 = int((DAY - datetime(1970, 1, 1)).total_seconds())
    leads = [
        LeadRecord(
            lead_id=f"bench{k}",
            rule="BENCH",
            family="GRID_HOTSPOT",
            enterprise_id=None,
            subject_type="grid",
            subject_id=str(g),
            pollutant="PM2.5",
            start=t_to_iso(day0 + 9 * 3600),
            end=t_to_iso(day0 + 15 * 3600),
            severity=2,
            score=0.8,
            summary="",
        )
        for k, g in enumerate(grids["grid_id"])
    ]
    t0 = time.perf_counter()
    out = add_candidates(leads, inputs)
    took = time.perf_counter() - t0
    counts = [len(ld.evidence.get("candidates", [])) for ld in out]
    return took, len(out), sum(counts) / max(1, len(counts))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of every count")
    ap.add_argument("--keep", type=Path, default=None, help="write the bundle here, keep it")
    ap.add_argument(
        "--hook-leads", type=int, default=500, help="synthetic hot-spot leads for the hook timing"
    )
    args = ap.parse_args()
    codes = clue_rules()
    if not codes:
        print("no clue rules registered: nothing to measure")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="lantian-bench-clues-"))
    bundle = args.keep or tmp / "bundle"
    try:
        t0 = time.perf_counter()
        rows = generate(bundle, args.scale)
        print(f"generated in {time.perf_counter() - t0:.1f} s: {bundle}", flush=True)
        for name, n in rows.items():
            print(f"  {name:<15} {n:>10,d} rows")
        print(f"clue rules: {', '.join(codes)}", flush=True)
        t_load, total, per, leads = run(bundle)
        by_rule = Counter(ld.rule for ld in leads)
        with_cands = sum(1 for ld in leads if "candidates" in ld.evidence)
        print(f"load_bundle: {t_load:.2f} s")
        for code in codes:
            print(f"  {code:<16} {per.get(code, 0.0):7.2f} s  {by_rule.get(code, 0):>6,d} leads")
        hook = per.get("(upwind hook)", 0.0)
        print(f"  upwind hook      {hook:7.2f} s  {with_cands:>6,d} leads with candidates")
        print(f"clue detection wall time: {total:.2f} s for a scale-{args.scale:g} day")
        print(
            f"ratio to the {TARGET_S:.0f} s target: {total / TARGET_S:.3f} "
            f"({'meets' if total <= TARGET_S else 'MISSES'} the target)"
        )
        took, n, mean = hook_on_hot_cells(bundle, args.hook_leads)
        print(
            f"upwind hook alone: {took:.2f} s for {n} GRID_HOTSPOT leads "
            f"(mean {mean:.1f} candidates per lead)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
