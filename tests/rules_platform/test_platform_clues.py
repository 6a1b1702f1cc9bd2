"""Platform mode with the v2 clue layers: ``lantian import`` stores them (grids in the DB,
the five data files in the lake) and ``detect_lake_once`` gives them to the rules, so
GATE-VIOLATION fires as in ``lantian detect BUNDLE``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lantian.db.session import session_scope
from lantian.io import import_bundle
from lantian.lake import Lake
from lantian.leads.models import Lead
from lantian.rules.platform import PlatformParams, detect_lake_once, lake_inputs
from lantian.settings import get_settings

ALL_DATA = PlatformParams(initial_days=3650, lookback_days=3650, merge_gap_h=2)

FILES: dict[str, str] = {
    "registry/enterprises.csv": (
        "enterprise_id,name,credit_code,industry,city,district,township,lon,lat,grade,"
        "positive_list\n"
        "E1,清河印务有限公司,91130100MA0CXXXX1M,printing,清河市,南湖区,白塔镇,114.39,36.63,B,false\n"
        "E2,清河钢铁有限公司,91130100700000000B,steel,清河市,北山区,,114.5,36.7,,true\n"
    ),
    "registry/meters.csv": (
        "meter_id,enterprise_id,line_id,role,name,rated_kw\n"
        "M1,E1,E1-L1,production,印刷机1,55\n"
        "M3,E2,E2-L1,production,烧结机,\n"
    ),
    "registry/outlets.csv": "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_pm,limit_so2,"
    "limit_nox,line_id\n",
    "registry/stations.csv": (
        "station_id,name,kind,city,district,township,lon,lat\n"
        "S1,城东站,national,清河市,城东区,,114.4,36.4\n"
    ),
    "registry/measures.csv": (
        "enterprise_id,line_id,level,action,limit_pct,truck_min_standard\n"
        "E1,E1-L1,orange,limit,20,5\n"
    ),
    "registry/grids.csv": "grid_id,lon,lat,cell_km,city,district,township\n"
    "G1,114.40,36.62,3,清河市,南湖区,白塔镇\n",
    "data/alerts.csv": (
        "alert_id,city,level,start,end\nA1,清河市,orange,2024-01-14T20:00:00+08:00,"
        "2024-01-17T08:00:00+08:00\n"
    ),
    "data/power.csv": "meter_id,time,kw\nM1,2024-01-15T00:00:00+08:00,40\n",
    "data/gate_records.csv": (
        "record_id,enterprise_id,gate_id,time,plate,vehicle_type,fuel,emission_standard,"
        "direction\n"
        "R1,E1,G-east,2024-01-15T09:30:00+08:00,冀A12345,heavy_truck,diesel,4,in\n"
        "R2,E1,G-east,2024-01-15T10:00:00+08:00,冀A66666,heavy_truck,diesel,6,in\n"
        "R3,E2,,2024-01-15T09:40:00+08:00,冀B54321,heavy_truck,diesel,3,in\n"
    ),
    "data/met_hourly.csv": "station_id,time,wind_dir,wind_speed,temp,rh\n"
    "S1,2024-01-15T10:00:00+08:00,315,2.4,-1.5,63\n",
    "data/camera_alarms.csv": (
        "alarm_id,source,camera_id,time,lon,lat,kind,confidence,enterprise_id,image\n"
        "C1,video,CAM-7,2024-01-15T10:12:00+08:00,114.391,36.631,black_smoke,0.93,E1,\n"
    ),
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _gate_leads() -> list[tuple[str, str | None]]:
    with session_scope(get_settings()) as s:
        return [
            (ld.subject_id, ld.enterprise_id)
            for ld in s.scalars(select(Lead).where(Lead.rule == "GATE-VIOLATION"))
        ]


def test_gate_violation_fires_in_platform_mode(tmp_path: Path) -> None:
    import_bundle(_write(tmp_path / "b", FILES))
    settings = get_settings()
    report = detect_lake_once(settings, params=ALL_DATA, rules=["GATE-VIOLATION"])
    assert report.status == "ok", report
    # E1 restricts trucks below 国五 at orange: R1 (国四) is a violation; E2 has no measure
    assert _gate_leads() == [("E1", "E1")]


def test_a_new_gate_record_alone_triggers_an_incremental_run(tmp_path: Path) -> None:
    files = dict(FILES)
    files["data/gate_records.csv"] = (
        "record_id,enterprise_id,gate_id,time,plate,vehicle_type,fuel,emission_standard,"
        "direction\nR2,E1,G-east,2024-01-15T10:00:00+08:00,冀A66666,heavy_truck,diesel,6,in\n"
    )
    import_bundle(_write(tmp_path / "b", files))
    settings = get_settings()
    params = PlatformParams(initial_days=3650, lookback_days=2, merge_gap_h=2)
    assert detect_lake_once(settings, params=params, rules=["GATE-VIOLATION"]).status == "ok"
    assert _gate_leads() == []
    later = {
        "data/gate_records.csv": (
            "record_id,enterprise_id,gate_id,time,plate,vehicle_type,fuel,emission_standard,"
            "direction\nR9,E1,,2024-01-15T11:00:00+08:00,冀A99999,heavy_truck,diesel,3,in\n"
        )
    }
    import_bundle(_write(tmp_path / "later", later))
    pending = Lake(settings.lake_dir).pending_changes()
    assert [(c.source, list(c.series)) for c in pending] == [("gate_records", ["E1"])]
    report = detect_lake_once(settings, params=params, rules=["GATE-VIOLATION"])
    assert (report.status, report.mode, report.enterprises_judged) == ("ok", "incremental", 1)
    assert _gate_leads() == [("E1", "E1")]


def test_lake_inputs_carry_the_clue_tables(tmp_path: Path) -> None:
    import_bundle(_write(tmp_path / "b", FILES))
    settings = get_settings()
    with session_scope(settings) as s:
        inputs = lake_inputs(Lake(settings.lake_dir), s)
        grids = inputs.grids.execute()
        gates = inputs.gate_records.execute()
        alarms = inputs.camera_alarms.execute()
        met = inputs.met.execute()
    assert list(grids["grid_id"]) == ["G1"]
    assert sorted(gates["record_id"]) == ["R1", "R2", "R3"]
    assert list(alarms["source"]) == ["video"] and list(alarms["enterprise_id"]) == ["E1"]
    # CST wall-clock seconds, as the bundle reader gives them: 2024-01-15T10:00 CST
    assert list(met["t"]) == [1705312800]
