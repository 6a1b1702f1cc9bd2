"""``lantian import`` of the v2 clue layers (issue #17): grids to the database, the five
data files to the lake, and the refusals of "Bad input" (file, line, column, value)."""

from __future__ import annotations

from pathlib import Path

import pytest
from clue_fixtures import CLUE_FILES
from io_fixtures import MINI_FILES, write_bundle
from sqlalchemy import select

from lantian.auth.models import AuditLog
from lantian.db.session import session_scope
from lantian.io import BundleError, import_bundle
from lantian.io.jurisdiction import MARGIN_KM, BBox, bbox_of
from lantian.lake import Lake
from lantian.registry.models import Grid, Measure
from lantian.settings import get_settings


def _bundle(tmp_path: Path, **changes: str) -> Path:
    files = {**MINI_FILES, **CLUE_FILES}
    for rel, text in changes.items():
        files[rel.replace("__", "/") + ".csv"] = text
    return write_bundle(tmp_path / "clues", files)


def _lake_rows(source: str) -> list[dict[str, object]]:
    return Lake(get_settings().lake_dir).read(source).to_pylist()  # type: ignore[no-any-return]


def test_good_import_stores_every_clue_file(tmp_path: Path) -> None:
    report = import_bundle(_bundle(tmp_path))
    names = {f.name: f for f in report.files}
    assert names["grids"].target == "database" and names["grids"].inserted == 2
    for source in ("grid_hourly", "met_hourly", "mobile_track", "camera_alarms", "gate_records"):
        assert names[source].target == "lake", source
    settings = get_settings()
    with session_scope(settings) as s:
        grids = {g.grid_id: (g.lon, g.lat, g.cell_km, g.township) for g in s.scalars(select(Grid))}
        standards = sorted(m.truck_min_standard for m in s.scalars(select(Measure)))
        audited = {
            (a.after or {}).get("table")
            for a in s.scalars(select(AuditLog).where(AuditLog.action == "import_file"))
        }
    assert grids == {"G1": (114.40, 36.62, 3.0, "白塔镇"), "G2": (114.43, 36.62, 3.0, None)}
    assert standards == [5.0, 6.0]
    assert {"grids", "gate_records", "camera_alarms", "mobile_track"} <= audited
    assert len(_lake_rows("grid_hourly")) == 2
    assert {r["wind_dir"] for r in _lake_rows("met_hourly")} == {315.0, 0.0}
    assert len(_lake_rows("mobile_track")) == 2
    alarms = {r["alarm_id"]: r for r in _lake_rows("camera_alarms")}
    assert alarms["C1"]["alarm_source"] == "video" and alarms["C1"]["source"] == "import"
    assert alarms["C2"]["enterprise_id"] is None and alarms["C2"]["confidence"] == 0.5
    gates = _lake_rows("gate_records")
    assert sorted(r["record_id"] for r in gates) == ["R1", "R2", "R3"]
    # re-import: upsert and lake dedup, no doubles
    import_bundle(_bundle(tmp_path))
    assert len(_lake_rows("gate_records")) == 3
    with session_scope(settings) as s:
        assert len(list(s.scalars(select(Grid)))) == 2


def test_clue_writes_are_in_the_change_log(tmp_path: Path) -> None:
    import_bundle(_bundle(tmp_path))
    lake = Lake(get_settings().lake_dir)
    changes = lake.pending_changes()
    touched = {(c.source, sid) for c in changes for sid in c.series}
    assert ("gate_records", "E1") in touched and ("grid_hourly", "G1") in touched
    assert ("met_hourly", "S1") in touched and ("mobile_track", "V1") in touched


def _refused(tmp_path: Path, rel: str, text: str) -> BundleError:
    with pytest.raises(BundleError) as info:
        import_bundle(_bundle(tmp_path, **{rel: text}))
    return info.value


@pytest.mark.parametrize(
    ("rel", "text", "line", "column", "value"),
    [
        (  # wind direction beyond 360°
            "data__met_hourly",
            "station_id,time,wind_dir,wind_speed,temp,rh\n"
            "S1,2024-01-15T10:00:00+08:00,90,1,,\nS1,2024-01-15T11:00:00+08:00,361,1,,\n",
            3,
            "wind_dir",
            "361",
        ),
        (  # confidence above 1
            "data__camera_alarms",
            "alarm_id,source,camera_id,time,lon,lat,kind,confidence,enterprise_id,image\n"
            "C1,video,,2024-01-15T10:12:00+08:00,,,dust,1.2,E1,\n",
            2,
            "confidence",
            "1.2",
        ),
        (  # emission standard beyond 国VI
            "data__gate_records",
            "record_id,enterprise_id,gate_id,time,plate,vehicle_type,fuel,emission_standard,"
            "direction\nR1,E1,,2024-01-15T09:30:00+08:00,冀A1,heavy_truck,diesel,7,in\n",
            2,
            "emission_standard",
            "7",
        ),
        (  # unknown grid
            "data__grid_hourly",
            "grid_id,time,pm25,pm10\nG1,2024-01-15T10:00:00+08:00,1,2\n"
            "G9,2024-01-15T10:00:00+08:00,1,2\n",
            3,
            "grid_id",
            "G9",
        ),
        (  # unknown enterprise at a gate
            "data__gate_records",
            "record_id,enterprise_id,gate_id,time,plate,vehicle_type,fuel,emission_standard,"
            "direction\nR1,E7,,2024-01-15T09:30:00+08:00,冀A1,heavy_truck,diesel,4,in\n",
            2,
            "enterprise_id",
            "E7",
        ),
        (  # unknown enterprise of a camera
            "data__camera_alarms",
            "alarm_id,source,camera_id,time,lon,lat,kind,confidence,enterprise_id,image\n"
            "C1,video,,2024-01-15T10:12:00+08:00,,,dust,0.9,E8,\n",
            2,
            "enterprise_id",
            "E8",
        ),
        (  # unknown weather station
            "data__met_hourly",
            "station_id,time,wind_dir,wind_speed,temp,rh\nS4,2024-01-15T10:00:00+08:00,9,1,,\n",
            2,
            "station_id",
            "S4",
        ),
        (  # a 走航 reading in another province (lon 116.9: far east of the registry)
            "data__mobile_track",
            "vehicle_id,time,lon,lat,pollutant,value\n"
            "V1,2024-01-15T10:00:05+08:00,114.40,36.62,TVOC,3\n"
            "V1,2024-01-15T10:00:09+08:00,116.9,36.62,TVOC,3\n",
            3,
            "lon",
            "116.9",
        ),
        (  # a camera alarm south of the jurisdiction
            "data__camera_alarms",
            "alarm_id,source,camera_id,time,lon,lat,kind,confidence,enterprise_id,image\n"
            "C1,drone,,2024-01-15T10:12:00+08:00,114.40,35.9,dust,0.9,,\n",
            2,
            "lat",
            "35.9",
        ),
    ],
)
def test_bad_clue_input_is_refused_and_nothing_stored(
    tmp_path: Path, rel: str, text: str, line: int, column: str, value: str
) -> None:
    err = _refused(tmp_path, rel, text)
    name = rel.split("__")[1]
    assert err.file == f"data/{name}.csv"
    assert (err.first.line, err.first.column, err.first.value) == (line, column, value), str(err)
    assert not Lake(get_settings().lake_dir).has_data(name)


def test_grid_of_the_same_bundle_and_of_the_database_is_known(tmp_path: Path) -> None:
    import_bundle(_bundle(tmp_path))  # G1, G2 now in the database
    only_data = {
        "data/grid_hourly.csv": "grid_id,time,pm25,pm10\nG2,2024-01-16T10:00:00+08:00,5,6\n"
    }
    report = import_bundle(write_bundle(tmp_path / "later", only_data))
    assert report.files[0].rows == 1
    assert len(_lake_rows("grid_hourly")) == 3


def test_jurisdiction_box_widens_by_margin_and_half_cells() -> None:
    box = bbox_of([114.0, 114.5, None], [36.0, 36.5, 40.0])
    assert box == BBox(114.0, 36.0, 114.5, 36.5)
    wide = box.widened(MARGIN_KM)
    assert wide.lat_max == pytest.approx(36.5 + MARGIN_KM / 111.32)
    assert wide.contains(114.6, 36.55) and not wide.contains(114.8, 36.5)
    cell = bbox_of([114.0], [36.0], [1.5])
    assert cell is not None and cell.lat_max == pytest.approx(36.0 + 1.5 / 111.32)
    assert bbox_of([None], [None]) is None
