"""Clue map layer APIs (#17): /api/layers/grid, tracks, alarms, gates — scope and bounds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import Seeded, bearer

from lantian.db.session import session_scope
from lantian.lake import Lake
from lantian.registry.models import Alert, Grid, Line, Measure
from lantian.settings import Settings
from lantian.timeutil import CST
from lantian.web.app import create_app

H0 = datetime(2024, 1, 15, 10, 0, tzinfo=CST)
WIN = {"from": "2024-01-15T00:00:00+08:00", "to": "2024-01-16T00:00:00+08:00"}


def write_clue_data(s: Settings) -> None:
    """Grid cells G1-G3 and a little of each clue source on 2024-01-15 (CST)."""
    with session_scope(s) as db:
        db.add_all(
            [
                Grid(
                    grid_id="G1", lon=118.19, lat=39.64, cell_km=3, city="唐山市", district="路北区"
                ),
                Grid(
                    grid_id="G2", lon=118.16, lat=39.59, cell_km=3, city="唐山市", district="路南区"
                ),
                Grid(
                    grid_id="G3",
                    lon=114.50,
                    lat=38.00,
                    cell_km=3,
                    city="石家庄市",
                    district="长安区",
                ),
            ]
        )
        # an orange alert of 唐山市 around 10:00: E1 admits diesel heavy trucks of 国V+ only
        db.add(Line(line_id="E1-L1", enterprise_id="E1", name="烧结"))
        db.flush()
        db.add_all(
            [
                Measure(
                    enterprise_id="E1",
                    line_id="E1-L1",
                    level="yellow",
                    action="limit",
                    limit_pct=10,
                    truck_min_standard=4,
                ),
                Measure(
                    enterprise_id="E1",
                    line_id="E1-L1",
                    level="orange",
                    action="limit",
                    limit_pct=20,
                    truck_min_standard=5,
                ),
                Alert(
                    alert_id="AL1",
                    city="唐山市",
                    level="orange",
                    start=H0 - timedelta(hours=1),
                    end=H0 + timedelta(minutes=30),
                ),
            ]
        )
    lake = Lake(s.lake_dir)
    h1 = H0 + timedelta(hours=1)
    lake.append(
        "grid_hourly",
        pa.table(
            {
                "grid_id": ["G1", "G2", "G3", "G1"],
                "time": [H0, H0, H0, h1],
                "pm25": [88.5, None, 300.0, 60.0],
                "pm10": [120.0, None, 400.0, 90.0],
            }
        ),
        origin="import",
    )
    lake.append(
        "mobile_track",
        pa.table(
            {
                "vehicle_id": ["V1", "V1", "V1", "V2"],
                "time": [H0, H0 + timedelta(seconds=5), H0 + timedelta(seconds=10), H0],
                "pollutant": ["PM2.5", "PM2.5", "PM2.5", "PM2.5"],
                "lon": [118.18, 118.181, 118.182, 114.5],
                "lat": [39.63, 39.631, 39.632, 38.0],
                "value": [80.0, 95.0, 150.0, 60.0],
            }
        ),
        origin="import",
    )
    lake.append(
        "camera_alarms",
        pa.table(
            {
                "alarm_id": ["A1", "A2", "A3", "A4"],
                "time": [H0, H0, H0 + timedelta(minutes=5), H0],
                "alarm_source": ["video", "video", "drone", "patrol"],
                "camera_id": ["CAM-1", "CAM-2", None, None],
                "lon": [None, 114.52, 118.17, 114.51],
                "lat": [None, 38.05, 39.62, 38.02],
                "kind": ["black_smoke", "dust", "open_burning", "open_burning"],
                "confidence": [0.9, 0.8, 0.5, 0.7],
                "enterprise_id": ["E1", "E3", None, None],
                "image": [None, None, None, None],
            }
        ),
        origin="import",
    )
    lake.append(
        "gate_records",
        pa.table(
            {
                "record_id": ["R1", "R2", "R3", "R4"],
                "time": [H0, H0, H0 + timedelta(hours=1), H0],
                "enterprise_id": ["E1", "E1", "E1", "E3"],
                "gate_id": ["east", "east", "east", "main"],
                "plate": ["冀B1", "冀B2", "冀B1", "冀A9"],
                "vehicle_type": ["heavy_truck", "heavy_truck", "heavy_truck", "heavy_truck"],
                "fuel": ["diesel", "diesel", "diesel", "diesel"],
                "emission_standard": [4.0, 6.0, 4.0, 3.0],
                "direction": ["in", "in", "out", "in"],
            }
        ),
        origin="import",
    )


@pytest.fixture
def layer_app(seeded_sqlite: Seeded) -> TestClient:
    s = seeded_sqlite.settings
    write_clue_data(s)
    c = TestClient(create_app(s))
    c.__enter__()
    return c


def _get(c: TestClient, user: str, path: str, **params: str) -> dict[str, object]:
    r = c.get(path, params=params, headers=bearer(c, user))
    assert r.status_code == 200, r.text
    data: dict[str, object] = r.json()
    return data


def test_grid_layer_scope_and_hours(layer_app: TestClient) -> None:
    c = layer_app
    d = _get(c, "ts_city", "/api/layers/grid")
    assert d["hours"] == ["2024-01-15T10:00:00+08:00", "2024-01-15T11:00:00+08:00"]
    assert d["time"] == "2024-01-15T11:00:00+08:00"
    assert [x["grid_id"] for x in d["cells"]] == ["G1"]  # type: ignore[attr-defined,index]
    d = _get(c, "ts_city", "/api/layers/grid", time="2024-01-15T10:30:00+08:00")
    cells = {x["grid_id"]: x for x in d["cells"]}  # type: ignore[attr-defined,index]
    assert set(cells) == {"G1", "G2"}  # not G3 (石家庄市)
    assert cells["G1"]["pm25"] == 88.5 and cells["G2"]["pm25"] is None
    assert cells["G1"]["lon"] == 118.19 and cells["G1"]["cell_km"] == 3
    d = _get(c, "lb_district", "/api/layers/grid", time="2024-01-15T10:00:00+08:00")
    assert [x["grid_id"] for x in d["cells"]] == ["G1"]  # type: ignore[attr-defined,index]
    d = _get(c, "admin", "/api/layers/grid", time="2024-01-15T10:00:00+08:00", limit="2")
    assert len(d["cells"]) == 2  # type: ignore[arg-type]


def test_tracks_layer(layer_app: TestClient) -> None:
    d = _get(layer_app, "ts_city", "/api/layers/tracks", date="2024-01-15")
    tracks = d["tracks"]
    assert [t["vehicle_id"] for t in tracks] == ["V1"]  # type: ignore[attr-defined,index]
    pts = tracks[0]["points"]  # type: ignore[index]
    assert pts[0][:3] == [118.18, 39.63, 80.0] and len(pts) == 3
    thin = _get(layer_app, "admin", "/api/layers/tracks", date="2024-01-15", limit="2")
    assert thin["thinned"] is True
    assert sum(len(t["points"]) for t in thin["tracks"]) <= 2  # type: ignore[attr-defined]
    empty = _get(layer_app, "admin", "/api/layers/tracks", date="2024-01-14")
    assert empty["tracks"] == []


def test_alarms_layer(layer_app: TestClient) -> None:
    d = _get(layer_app, "ts_city", "/api/layers/alarms", **WIN)
    got = {a["alarm_id"]: a for a in d["alarms"]}  # type: ignore[attr-defined]
    assert set(got) == {"A1", "A3"}  # E3's and the one near 石家庄 are out of scope
    assert got["A1"]["lon"] == 118.18 and got["A1"]["enterprise_name"] == "冀东钢铁有限公司"
    d = _get(layer_app, "sjz_city", "/api/layers/alarms", **WIN)
    assert {a["alarm_id"] for a in d["alarms"]} == {"A2", "A4"}  # type: ignore[attr-defined]


def test_gates_layer(layer_app: TestClient) -> None:
    d = _get(layer_app, "ts_city", "/api/layers/gates", **WIN)
    gates = d["gates"]
    assert len(gates) == 1  # type: ignore[arg-type]
    g = gates[0]  # type: ignore[index]
    assert g["enterprise_id"] == "E1" and g["gate_id"] == "east"
    assert (g["passages"], g["entries"], g["heavy_diesel_entries"]) == (3, 2, 2)
    assert g["below_china5_entries"] == 1 and g["min_standard"] == 4.0
    assert g["violations"] == 1  # R1 (国IV, in, during the orange alert); R2 is 国VI
    # outside the alert: below 国V but no violation
    late = {"from": "2024-01-15T10:30:00+08:00", "to": "2024-01-16T00:00:00+08:00"}
    g = _get(layer_app, "ts_city", "/api/layers/gates", **late)["gates"][0]  # type: ignore[index]
    assert g["violations"] == 0 and g["passages"] == 1


def test_required_standard_per_level() -> None:
    from lantian.web.layers import required_standard

    def m(line: str, level: str, std: float | None) -> Measure:
        return Measure(
            enterprise_id="E", line_id=line, level=level, action="limit", truck_min_standard=std
        )

    ms = [m("L1", "yellow", 4), m("L1", "orange", 5), m("L2", "yellow", 3), m("L2", "red", 6)]
    assert required_standard(ms, "yellow") == 4
    assert required_standard(ms, "orange") == 5  # L2 falls back to yellow (3)
    assert required_standard(ms, "red") == 6
    assert required_standard(ms, "blue") is None
    assert required_standard([m("L1", "red", None)], "red") is None


def test_layers_refuse_enterprises_and_bad_windows(layer_app: TestClient) -> None:
    c = layer_app
    h = bearer(c, "ent1")
    for path in ("grid", "tracks?date=2024-01-15", "alarms", "gates"):
        q = "" if "?" in path else "?from=2024-01-15T00:00:00&to=2024-01-16T00:00:00"
        assert c.get(f"/api/layers/{path}{q}", headers=h).status_code == 403
    h = bearer(c, "ts_city")
    long = {"from": "2024-01-01T00:00:00", "to": "2024-03-01T00:00:00"}
    assert c.get("/api/layers/alarms", params=long, headers=h).status_code in (400, 422)
    back = {"from": "2024-01-02T00:00:00", "to": "2024-01-01T00:00:00"}
    assert c.get("/api/layers/gates", params=back, headers=h).status_code in (400, 422)
    assert c.get("/api/layers/grid", params={"limit": "0"}, headers=h).status_code == 422
    assert c.get("/api/layers/grid").status_code == 401
