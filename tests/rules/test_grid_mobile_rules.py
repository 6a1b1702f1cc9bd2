"""Fixture tests of the clue-layer rules GRID-HOTSPOT and MOBILE-HOTSPOT (contract v2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rules_fixtures import Bundle, detect, iso, t_of

from lantian.rules.config import RulesConfig
from lantian.rules.engine import run_rules
from lantian.rules.grid_hotspot import Params as GridParams
from lantian.rules.inputs import load_bundle

LON0, LAT0, KM = 116.0, 39.0, 3.0
DLAT = KM / 110.574
DLON = KM / (111.32 * 0.7771)  # cos(39°)


def grid_world(n: int = 7, city: str = "清河市") -> Bundle:
    """n × n cells of 3 km, ids G{row}{col} (rows/cols 0..n-1)."""
    b = Bundle()
    for r in range(n):
        for c in range(n):
            b.rows["grids"].append(
                {
                    "grid_id": f"G{r:02d}{c:02d}" if n > 10 else f"G{r}{c}",
                    "lon": LON0 + c * DLON,
                    "lat": LAT0 + r * DLAT,
                    "cell_km": KM,
                    "city": city,
                    "district": "河东区",
                    "township": "一街道",
                }
            )
    return b


Value = Callable[[str, int], float | None]


def hourly(b: Bundle, hours: int, pm25: Value, pm10: Value | None = None) -> Bundle:
    for g in list(b.rows["grids"]):
        for h in range(hours):
            v = pm25(g["grid_id"], h)
            b.rows["grid_hourly"].append(
                {
                    "grid_id": g["grid_id"],
                    "t": t_of(h),
                    "pm25": v,
                    "pm10": pm10(g["grid_id"], h) if pm10 else None,
                }
            )
    return b


# -- GRID-HOTSPOT ----------------------------------------------------------------------------
def test_grid_hotspot_cell_above_its_ring_one_lead_with_centre() -> None:
    b = grid_world()

    def pm25(g: str, h: int) -> float:
        return 160.0 if g == "G33" and 5 <= h < 10 else 40.0 + (h % 3)

    hourly(b, 24, pm25)
    leads = detect(b.build(), "GRID-HOTSPOT")
    assert [(ld.subject_type, ld.subject_id, ld.pollutant, ld.start, ld.end) for ld in leads] == [
        ("grid", "G33", "PM2.5", iso(5), iso(10))
    ]
    ld = leads[0]
    assert ld.enterprise_id is None and ld.family == "GRID_HOTSPOT"
    ev = ld.evidence
    assert ev["hours"] == 5 and ev["observed"] == 160
    assert 40 <= ev["ring_median"] <= 42 and ev["max_ratio"] >= 3.8
    assert ev["ring_cells"] == 8
    assert abs(ev["lon"] - (LON0 + 3 * DLON)) < 1e-3 and abs(ev["lat"] - (LAT0 + 3 * DLAT)) < 1e-3
    assert "G33" in ld.summary and "周边网格" in ld.summary


def test_grid_hotspot_regional_haze_gives_no_lead() -> None:
    b = grid_world()

    def pm25(g: str, h: int) -> float:
        # haze lifts every cell 5-fold; one cell a little more (ratio 1.3 to the ring)
        lvl = 220.0 if 4 <= h < 16 else 45.0
        return lvl * (1.3 if g == "G33" else 1.0)

    hourly(b, 24, pm25)
    assert detect(b.build(), "GRID-HOTSPOT") == []


def test_grid_hotspot_haze_front_edge_is_not_a_hotspot() -> None:
    """Haze covers the city except one corner: the cell at the edge is high vs its partly
    clean ring, but not above the city's median."""
    b = grid_world()

    def pm25(g: str, h: int) -> float:
        r, c = int(g[1]), int(g[2])
        return 30.0 if (r >= 4 and c >= 4) and not (r == 4 and c == 4) else 150.0

    hourly(b, 12, pm25)
    # G44 (150) has ring G33,G34,G35,G43,G53,G45,G54,G55 → 4 clean, 4 hazy: median 90
    assert detect(b.build(), "GRID-HOTSPOT") == []
    loose = detect(b.build(), "GRID-HOTSPOT", {"min_ratio": 1.2})
    assert loose == []  # still below 1.5 × the city median (150)


def test_grid_hotspot_short_spike_and_cool_hour_split() -> None:
    def world(hot_hours: set[int]) -> Bundle:
        def pm25(g: str, h: int) -> float:
            return 150.0 if g == "G22" and h in hot_hours else 40.0

        return hourly(grid_world(), 16, pm25)

    leads = detect(world({3, 4, 10, 11, 12}).build(), "GRID-HOTSPOT")  # 2 h (short) and 3 h
    assert [(ld.subject_id, ld.start, ld.end) for ld in leads] == [("G22", iso(10), iso(13))]
    leads = detect(world({3, 4, 5, 10, 11, 12}).build(), "GRID-HOTSPOT")
    # 3-5 now 3 h too: two leads, the cool hours 6-9 (with data) split
    assert [(ld.start, ld.end) for ld in leads] == [(iso(3), iso(6)), (iso(10), iso(13))]


def test_grid_hotspot_cloud_gaps_bridge_one_hour_split_two() -> None:
    b = grid_world()

    def pm25(g: str, h: int) -> float | None:
        if g == "G33" and h in (7, 13, 14):
            return None  # cloud over the hot cell
        if h == 9:
            return None  # cloud over everything: no data
        return 170.0 if g == "G33" and (5 <= h < 11 or 13 <= h < 17) else 40.0

    hourly(b, 20, pm25)
    leads = detect(b.build(), "GRID-HOTSPOT")
    # 5,6,[7 cloud],8,[9 cloud] bridged? 7 and 9 are single missing hours → one episode 5-11;
    # 11,12 are cool with data → split; 13,14 cloud → 15,16 only 2 h → no lead
    assert [(ld.start, ld.end, ld.evidence["hours"]) for ld in leads] == [(iso(5), iso(11), 4)]
    assert abs(leads[0].evidence["coverage"] - 4 / 6) < 1e-3


def test_grid_hotspot_ring_too_thin_is_no_data_and_pm10_counts() -> None:
    b = grid_world(n=3)  # a corner cell has only 3 neighbours

    def pm10(g: str, h: int) -> float:
        return 400.0 if g in ("G00", "G11") and 2 <= h < 6 else 80.0

    hourly(b, 8, lambda g, h: 40.0, pm10)
    leads = detect(b.build(), "GRID-HOTSPOT")
    # G00's ring (3 cells) is below min_ring_cells = 4; G11 has 8 (one of them hot: G00)
    assert [(ld.subject_id, ld.pollutant) for ld in leads] == [("G11", "PM10")]
    assert leads[0].evidence["ring_median"] == 80
    p = GridParams()
    assert p.min_ring_cells == 4 and p.ring_radius_cells == 1.5


# -- MOBILE-HOTSPOT --------------------------------------------------------------------------
def drive(
    b: Bundle,
    vid: str,
    start_h: float,
    seconds: int,
    value: Callable[[int], float | None],
    pollutant: str = "PM2.5",
    lon0: float = LON0,
    lat0: float = LAT0 + 2 * DLAT,
    speed_deg_s: float = DLON / 300,
) -> Bundle:
    """One reading per second driving east along a row of cells (a cell every 300 s)."""
    t0 = t_of(start_h)
    for s in range(seconds):
        v = value(s)
        if v is None:
            continue
        b.rows["mobile"].append(
            {
                "vehicle_id": vid,
                "t": t0 + s,
                "lon": lon0 + s * speed_deg_s,
                "lat": lat0,
                "pollutant": pollutant,
                "value": v,
            }
        )
    return b


def bg(s: int) -> float:
    return 40.0 + (s % 5)


def test_mobile_hotspot_plume_located_to_its_cell() -> None:
    b = grid_world()
    # plume from s=930 to 959 (30 s at 200 µg/m³) → cell column 3 (s 750..1050 nearest)
    drive(b, "V1", 9, 1800, lambda s: 200.0 if 930 <= s < 960 else bg(s))
    leads = detect(b.build(), "MOBILE-HOTSPOT")
    assert [(ld.subject_type, ld.subject_id, ld.pollutant) for ld in leads] == [
        ("grid", "G23", "PM2.5")
    ]
    ld = leads[0]
    assert ld.enterprise_id is None and ld.family == "MOBILE_HOTSPOT"
    ev = ld.evidence
    assert ev["observed"] == 200 and 40 <= ev["background"] <= 44
    assert ev["duration_s"] == 30 and ev["passes"] == 1 and ev["vehicle_id"] == "V1"
    assert abs(ev["lon"] - (LON0 + 930 * DLON / 300)) < 1e-3
    assert ld.start == iso(9 + 930 / 3600)
    assert "V1" in ld.summary and "G23" in ld.summary


def test_mobile_hotspot_benign_spikes_and_steady_high_background() -> None:
    b = grid_world()
    # a 3 s spike (a passing truck's puff) and a 1 s glitch: shorter than the run
    drive(b, "V1", 9, 1800, lambda s: 300.0 if 600 <= s < 603 or s == 1200 else bg(s))
    # a vehicle in a high-background area (haze): everything high, nothing above background
    drive(b, "V2", 9, 1800, lambda s: 180.0 + (s % 7), lat0=LAT0 + 4 * DLAT)
    # the plume ratio is only 1.5× the background: not hot
    drive(b, "V3", 9, 1800, lambda s: 65.0 if 900 <= s < 960 else bg(s), lat0=LAT0)
    # off the grid (far away): no cell, no lead
    drive(b, "V4", 9, 1800, lambda s: 300.0 if 900 <= s < 960 else bg(s), lon0=LON0 + 5)
    assert detect(b.build(), "MOBILE-HOTSPOT") == []


def test_mobile_hotspot_passes_of_one_cell_merge_within_window() -> None:
    b = grid_world()

    def loop(s: int) -> float:  # plumes at s 930.., 2730.. (30 min later), 9930.. (2 h later)
        return 250.0 if any(a <= s < a + 20 for a in (930, 2730, 9930)) else bg(s)

    # back and forth over the same cells: position repeats every 1800 s
    t0 = t_of(9)
    for s in range(10800):
        v = loop(s)
        x = s % 1800
        b.rows["mobile"].append(
            {
                "vehicle_id": "V1",
                "t": t0 + s,
                "lon": LON0 + x * DLON / 300,
                "lat": LAT0 + 2 * DLAT,
                "pollutant": "TVOC",
                "value": v,
            }
        )
    leads = detect(b.build(), "MOBILE-HOTSPOT")
    # 930 and 2730 are 30 min apart start to start (< 30 min end to start) → one lead
    assert [(ld.subject_id, ld.evidence["passes"]) for ld in leads] == [("G23", 2), ("G23", 1)]
    assert leads[0].evidence["duration_s"] == 40
    tight = detect(b.build(), "MOBILE-HOTSPOT", {"merge_window_min": 10})
    assert len(tight) == 3


def test_grid_hotspot_city_override_applies_to_that_citys_cells_only() -> None:
    b = grid_world(n=5)
    b2 = grid_world(n=5, city="白山市")
    for g in b2.rows["grids"]:  # a second city 1° further north
        b.rows["grids"].append({**g, "grid_id": "H" + g["grid_id"][1:], "lat": g["lat"] + 1})

    def pm25(g: str, h: int) -> float:
        return 160.0 if g in ("G22", "H22") and 2 <= h < 4 else 40.0  # only 2 h hot

    hourly(b, 8, pm25)
    assert detect(b.build(), "GRID-HOTSPOT") == []
    cfg = RulesConfig.from_dict(
        {"city": {"白山市": {"rules": {"GRID-HOTSPOT": {"min_duration_h": 2}}}}}
    )
    leads = run_rules(b.build(), rules=["GRID-HOTSPOT"], params=cfg)
    assert [(ld.subject_id, ld.evidence["parameters"]["min_duration_h"]) for ld in leads] == [
        ("H22", 2)
    ]


def test_grid_hotspot_joins_neighbours_through_the_pairs_not_by_hour(tmp_path: Path) -> None:
    """A 60 × 60 grid day read in place from Parquet (as ``lantian detect`` reads a bundle),
    under a memory budget without spilling: joining every candidate with every cell of the
    same hour first (the plan DuckDB chose from its estimates when the neighbour join had
    three separate conditions) needs gigabytes at a province's 40,000 cells; through the
    neighbour pairs it needs a few megabytes."""
    import pandas as pd

    b = grid_world(60)
    hot = {"G1010", "G3030", "G4545"}

    def pm25(g: str, h: int) -> float:
        if g in hot and 9 <= h < 15:
            return 160.0
        r, c = int(g[1:3]), int(g[3:5])
        # 1 cell-hour in 20 at 65: above the excess and 1.5 × the city median, so compared
        # with its ring (thousands of candidates), but under 2 × the ring: never hot
        return 65.0 if (r * 7 + c * 13 + h * 5) % 20 == 0 else 40.0

    hourly(b, 24, pm25)
    (tmp_path / "registry").mkdir()
    (tmp_path / "data").mkdir()
    for name in ("enterprises", "outlets", "meters"):
        (tmp_path / "registry" / f"{name}.csv").write_text(
            {
                "enterprises": "enterprise_id,name,industry,city\n",
                "outlets": "outlet_id,enterprise_id,name,mn\n",
                "meters": "meter_id,enterprise_id,line_id,role,name\n",
            }[name],
            encoding="utf-8",
        )
    pd.DataFrame(b.rows["grids"]).to_parquet(tmp_path / "registry" / "grids.parquet")
    gh = pd.DataFrame(b.rows["grid_hourly"])
    gh["time"] = pd.to_datetime(gh.pop("t"), unit="s")
    gh.to_parquet(tmp_path / "data" / "grid_hourly.parquet")
    inputs = load_bundle(tmp_path)
    con = inputs.grids._find_backend()
    con.raw_sql("SET memory_limit = '150MB'")
    con.raw_sql("SET max_temp_directory_size = '0B'")
    leads = detect(inputs, "GRID-HOTSPOT")
    assert {ld.subject_id for ld in leads} == hot
