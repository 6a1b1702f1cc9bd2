"""Upwind candidates (溯源) of hot-spot leads: the pure ranking and the engine hook."""

from __future__ import annotations

import pytest
from rules_fixtures import Bundle, detect, iso, t_of, wiggle
from test_power_rules import amb

from lantian.rules.config import ConfigError, RulesConfig
from lantian.rules.engine import LeadRecord, run_rules
from lantian.rules.evidence import render
from lantian.rules.upwind import (
    Site,
    UpwindParams,
    Wind,
    add_candidates,
    angle_off,
    distance_bearing,
    mean_wind,
    rank_candidates,
)

# receptor at (116.0, 39.0); 0.01° lon ≈ 0.865 km, 0.01° lat ≈ 1.106 km at 39° N
R = (116.0, 39.0)
WEST_WIND = Wind(270.0, 3.0)  # blows FROM the west: sources lie west of the receptor


def site(eid: str, dlon: float, dlat: float, emission: str = "on", level: float = 1.0) -> Site:
    return Site(eid, R[0] + dlon, R[1] + dlat, emission, None if emission == "unknown" else level)


def test_geometry_helpers() -> None:
    d, b = distance_bearing(116.0, 39.0, 116.0, 39.01)
    assert abs(d - 1.106) < 0.01 and abs(b - 0.0) < 1e-6
    d, b = distance_bearing(116.0, 39.0, 115.95, 39.0)
    assert abs(d - 4.33) < 0.02 and abs(b - 270.0) < 1e-6
    assert angle_off(350, 10) == 20 and angle_off(90, 270) == 180
    w = mean_wind([350.0, 10.0], [2.0, 2.0])
    assert w is not None and angle_off(w.dir_deg, 0.0) < 1e-6 and abs(w.speed_ms - 1.97) < 0.01
    opposite = mean_wind([90.0, 270.0], [3.0, 3.0])
    assert opposite is not None and opposite.speed_ms < 1e-9  # variable wind is calm
    assert mean_wind([], []) is None


def test_true_source_upwind_beats_a_nearer_downwind_plant() -> None:
    sites = [
        site("UP", -0.05, 0.0),  # 4.3 km west, producing: the true source
        site("DOWN", 0.015, 0.0),  # 1.3 km east (downwind), nearer and producing
        site("SIDE", 0.0, 0.03),  # 3.3 km north: 90° off the wind
        site("UNK", -0.035, 0.005, emission="unknown"),  # 3 km WNW, no data
        site("OFF", -0.02, 0.0, emission="off", level=0.0),  # 1.7 km west, stopped
        site("FAR", -0.2, 0.0),  # 17 km west: out of range
    ]
    got = rank_candidates(*R, WEST_WIND, sites, UpwindParams())
    assert [c["enterprise_id"] for c in got] == ["UP", "UNK"]
    up, unk = got
    assert abs(up["bearing_deg"] - 270) < 0.1 and abs(up["distance_km"] - 4.33) < 0.02
    assert up["off_wind_deg"] == 0 and up["basis"] == "wind" and up["emission"] == "on"
    assert up["score"] > unk["score"] and unk["emission"] == "unknown"
    assert set(up) >= {"enterprise_id", "distance_km", "bearing_deg", "score"}
    # a wider sector lets the side plant in, still below the true source; downwind stays out
    wide = rank_candidates(*R, WEST_WIND, sites, UpwindParams(sector_deg=100))
    ids = [c["enterprise_id"] for c in wide]
    assert ids[0] == "UP" and "SIDE" in ids and "DOWN" not in ids
    assert len(rank_candidates(*R, WEST_WIND, sites, UpwindParams(max_candidates=1))) == 1


def test_calm_or_missing_wind_all_directions_distance_only_lower_score() -> None:
    sites = [site("UP", -0.05, 0.0), site("DOWN", 0.015, 0.0)]
    for wind in (Wind(270.0, 0.3), None):
        got = rank_candidates(*R, wind, sites, UpwindParams())
        assert [c["enterprise_id"] for c in got] == ["DOWN", "UP"]  # nearer first
        assert all(c["basis"] == "calm" and c["off_wind_deg"] is None for c in got)
        assert all(c["score"] <= UpwindParams().calm_factor for c in got)
    windy = rank_candidates(*R, WEST_WIND, sites, UpwindParams())
    calm = rank_candidates(*R, None, sites, UpwindParams())
    assert windy[0]["score"] > next(c for c in calm if c["enterprise_id"] == "UP")["score"]


def test_no_enterprise_in_range_is_an_empty_list() -> None:
    assert rank_candidates(*R, WEST_WIND, [site("FAR", -0.5, 0.0)], UpwindParams()) == []
    assert rank_candidates(*R, None, [], UpwindParams()) == []


# -- the hook through the engine ---------------------------------------------------------------
def hot_world() -> Bundle:
    """Five stations; S2 (at R) has a PM2.5 hot spot 10-15 h with a west wind."""
    b = Bundle()
    for k in range(5):
        lon, lat = R if k == 2 else (R[0] + 0.5 * k - 1.0, R[1] + 0.4)
        b.rows["stations"].append(
            {
                "station_id": f"S{k}",
                "name": f"站{k}",
                "kind": "township",
                "city": "清河市",
                "lon": lon,
                "lat": lat,
            }
        )

        def pm25(h: int, k: int = k) -> float:
            return 180.0 if (k == 2 and 10 <= h < 15) else 40 + 10 * wiggle(h + k, 1)

        amb(b, f"S{k}", 24, "PM2.5", pm25)
    for h in range(24):
        b.rows["met"].append(
            {"station_id": "S2", "t": t_of(h), "wind_dir": 265.0 + h % 3 * 5, "wind_speed": 3.0}
        )
    for eid, dlon, dlat in (("E_UP", -0.05, 0.0), ("E_DOWN", 0.015, 0.0), ("E_UNK", -0.035, 0.0)):
        b.enterprise(eid)
        b.rows["enterprises"][-1].update(lon=R[0] + dlon, lat=R[1] + dlat)
    # both plants have power data: producing around the clock
    for eid in ("E_UP", "E_DOWN"):
        b.meter(f"{eid}P", eid, f"{eid}-L1", "production", 100.0)
        b.power(f"{eid}P", 24, lambda h: 90.0)
    return b


def test_hook_adds_candidates_to_ambient_hotspot_leads() -> None:
    leads = detect(hot_world().build(), "AMB-HOTSPOT")
    assert [(ld.subject_id, ld.start, ld.end) for ld in leads] == [("S2", iso(10), iso(15))]
    cands = leads[0].evidence["candidates"]
    assert [c["enterprise_id"] for c in cands] == ["E_UP", "E_UNK"]
    assert cands[0]["emission"] == "on" and cands[0]["emission_level"] == 1.0
    assert cands[1]["emission"] == "unknown"
    names = {"enterprise": {"E_UP": "上风钢铁"}}
    items = render("AMB-HOTSPOT", leads[0].evidence, names=names)
    text = {i.key: i.text for i in items}["candidates"]
    assert "上风钢铁 (E_UP)" in text and "方位270°" in text and "生产状态未知" in text
    en = {i.key: i.text for i in render("AMB-HOTSPOT", leads[0].evidence, "en")}["candidates"]
    assert "bearing 270°" in en and "emission unknown" in en


def test_hook_stopped_plant_is_not_a_candidate_and_config_applies() -> None:
    b = hot_world()
    b.rows["power"] = [r for r in b.rows["power"] if r["meter_id"] != "E_UPP"]
    b.power("E_UPP", 24, lambda h: 2.0)  # below 10 % of rated: stopped all day
    leads = detect(b.build(), "AMB-HOTSPOT")
    assert [c["enterprise_id"] for c in leads[0].evidence["candidates"]] == ["E_UNK"]
    cfg = RulesConfig.from_dict({"upwind": {"range_km": 1.0}})
    leads = run_rules(b.build(), rules=["AMB-HOTSPOT"], params=cfg)
    assert leads[0].evidence["candidates"] == []  # located, but nothing within 1 km upwind
    with pytest.raises(ConfigError, match="upwind"):
        RulesConfig.from_dict({"upwind": {"range_kilometres": 3}})
    with pytest.raises(ConfigError, match="upwind"):
        RulesConfig.from_dict({"upwind": {"range_km": "far"}})


def test_hook_cems_shows_emitting_or_stopped_without_power() -> None:
    b = hot_world()
    b.outlet("P1", "E_UNK", None)
    b.cems("P1", 24, "a21026", lambda h: 20.0)  # SO2 above zero all day: emitting
    cands = detect(b.build(), "AMB-HOTSPOT")[0].evidence["candidates"]
    unk = next(c for c in cands if c["enterprise_id"] == "E_UNK")
    assert unk["emission"] == "on" and unk["emission_level"] == 1.0
    b2 = hot_world()
    b2.outlet("P1", "E_UNK", None)
    b2.cems("P1", 24, "a21026", lambda h: 0.0)  # zeros: not emitting, not a candidate
    cands = detect(b2.build(), "AMB-HOTSPOT")[0].evidence["candidates"]
    assert [c["enterprise_id"] for c in cands] == ["E_UP"]


def grid_lead(family: str, subject: str, **evidence: float) -> LeadRecord:
    return LeadRecord(
        lead_id=f"x{subject}",
        rule="X",
        family=family,
        enterprise_id=None,
        subject_type="grid",
        subject_id=subject,
        pollutant="PM2.5",
        start=iso(10),
        end=iso(12),
        severity=2,
        score=0.8,
        summary="",
        evidence=dict(evidence),
    )


def test_hook_grid_and_mobile_leads_use_evidence_position_or_grid_centre() -> None:
    b = hot_world()
    b.rows["grids"].append(
        {"grid_id": "G1", "lon": R[0], "lat": R[1], "cell_km": 3.0, "city": "清河市"}
    )
    inputs = b.build()
    other = grid_lead("GATE_VIOLATION", "E1")
    leads = [
        grid_lead("GRID_HOTSPOT", "G1"),  # grid centre = R
        grid_lead("MOBILE_HOTSPOT", "G9", lon=R[0] + 0.03, lat=R[1]),  # east of E_DOWN
        grid_lead("GRID_HOTSPOT", "G404"),  # unknown cell, no position: not judged
        other,
    ]
    out = add_candidates(leads, inputs)
    assert [c["enterprise_id"] for c in out[0].evidence["candidates"]] == ["E_UP", "E_UNK"]
    # from 0.03° east the wind's sector holds all three, E_DOWN nearest
    assert next(c["enterprise_id"] for c in out[1].evidence["candidates"]) == "E_DOWN"
    assert "candidates" not in out[2].evidence
    assert out[3] is other
