"""The demo city's clue layers (contract v2): valid files, consistent labels, deterministic,
and the v1 files and labels unchanged by them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lantian.demo.city as city_mod
from lantian.demo import CityConfig, generate_city
from lantian.demo.clues import ClueContext
from lantian.demo.clues.met import write_met
from lantian.io.formats import FILES
from lantian.io.parse import convert, read_table

CLUE_FILES = {
    "grids": "registry/grids.csv",
    "grid_hourly": "data/grid_hourly.csv",
    "met_hourly": "data/met_hourly.csv",
    "mobile_track": "data/mobile_track.csv",
    "camera_alarms": "data/camera_alarms.csv",
    "gate_records": "data/gate_records.csv",
}
CLUE_FAMILIES = {"GRID_HOTSPOT", "MOBILE_HOTSPOT", "CAMERA_ALARM", "GATE_VIOLATION"}
TINY = CityConfig(enterprises=12, days=4, stations=5, seed=11, data_format="csv")
RANK = {"yellow": 1, "orange": 2, "red": 3}


def _labels(bundle: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (bundle / "labels.jsonl").read_text("utf-8").splitlines()]


def _csv(bundle: Path, name: str) -> pd.DataFrame:
    df = pd.read_csv(bundle / CLUE_FILES[name], dtype={"time": str}, keep_default_na=True)
    if "time" in df.columns:
        assert df.time.str.endswith("+08:00").all(), name
        df["t"] = pd.to_datetime(df.time.str[:19])
    return df


def _t(text: str) -> pd.Timestamp:
    return pd.Timestamp(datetime.fromisoformat(text).replace(tzinfo=None))


@pytest.fixture(params=["default", "small"])
def bundle(request: pytest.FixtureRequest) -> Path:
    path: Path = request.getfixturevalue(f"{request.param}_city")
    return path


def test_every_clue_file_is_written_and_valid_for_its_file_spec(bundle: Path) -> None:
    for name, rel in CLUE_FILES.items():
        path = bundle / rel
        assert path.is_file(), rel
        raw = read_table(path, rel)
        assert raw.table.num_rows > 0, rel
        parsed = convert(raw, FILES[name])  # raises BundleError naming line and column
        assert not [w for w in parsed.warnings if w.severity == "warning"], rel
        assert list(raw.table.column_names) == [
            c for c in FILES[name].column_names if c in raw.table.column_names
        ]


def test_grid_covers_the_city_with_3_km_cells_and_stable_ids(bundle: Path) -> None:
    grids = pd.read_csv(bundle / "registry" / "grids.csv")
    assert grids.grid_id.is_unique
    assert set(grids.cell_km) == {3}
    assert grids.grid_id.str.fullmatch(r"G\d{4}").all()
    ents = pd.read_csv(bundle / "registry" / "enterprises.csv")
    # every enterprise is inside the grid (within half a cell of a cell centre)
    for lon, lat in zip(ents.lon, ents.lat, strict=True):
        d_km = np.hypot((grids.lon - lon) * 89.0, (grids.lat - lat) * 111.2)
        assert d_km.min() < 2.2
    # the centre cell has the anchor id whatever the seed
    assert "G5050" in set(grids.grid_id)
    hourly = _csv(bundle, "grid_hourly")
    assert set(hourly.grid_id) == set(grids.grid_id)
    assert hourly.pm25.isna().any(), "cloud gaps"
    assert (hourly.pm10.dropna() >= hourly.pm25.dropna()).all()


def test_measures_carry_truck_standards_for_some_enterprises(bundle: Path) -> None:
    ms = pd.read_csv(bundle / "registry" / "measures.csv")
    assert "truck_min_standard" in ms.columns
    restricted = ms.dropna(subset=["truck_min_standard"])
    assert 0 < restricted.enterprise_id.nunique() < ms.enterprise_id.nunique() + 1
    assert set(restricted.truck_min_standard) <= {4.0, 5.0}


def test_clue_labels_follow_the_contract(bundle: Path) -> None:
    labels = _labels(bundle)
    ids = [lb["label_id"] for lb in labels]
    assert len(ids) == len(set(ids))
    grids = set(pd.read_csv(bundle / "registry" / "grids.csv").grid_id)
    ents = set(pd.read_csv(bundle / "registry" / "enterprises.csv").enterprise_id)
    clue = [lb for lb in labels if lb["family"] in CLUE_FAMILIES]
    assert {lb["family"] for lb in clue} == CLUE_FAMILIES
    for lb in clue:
        # C: labels; J: don't-care windows (a 走航 pass grazing a plume or cut off by the
        # end of the route)
        assert lb["label_id"].startswith("J" if lb.get("ignore") else "C")
        assert _t(lb["start"]) < _t(lb["end"])
        assert lb["start"].endswith("+08:00")
        if lb["family"] in ("GRID_HOTSPOT", "MOBILE_HOTSPOT"):
            assert lb["subject_type"] == "grid"
            assert lb["enterprise_id"] is None
            assert lb["subject_id"] in grids
            if "source_enterprise_id" in lb:
                assert lb["source_enterprise_id"] in ents
        else:
            assert lb["subject_type"] == "enterprise"
            assert lb["enterprise_id"] in ents
            assert lb["subject_id"] == lb["enterprise_id"]
    hot = [lb for lb in clue if lb["family"] in ("GRID_HOTSPOT", "MOBILE_HOTSPOT")]
    assert sum("source_enterprise_id" in lb for lb in hot) >= 0.6 * len(hot)


def test_grid_hot_spots_are_several_times_their_ring(bundle: Path) -> None:
    grids = pd.read_csv(bundle / "registry" / "grids.csv").set_index("grid_id")
    hourly = _csv(bundle, "grid_hourly")
    pm = hourly.pivot(index="t", columns="grid_id", values="pm25")
    for lb in _labels(bundle):
        if lb["family"] != "GRID_HOTSPOT":
            continue
        cell = grids.loc[lb["subject_id"]]
        near = grids[
            (abs(grids.lon - cell.lon) < 0.05)
            & (abs(grids.lat - cell.lat) < 0.035)
            & (grids.index != lb["subject_id"])
        ].index
        assert len(near) == 8
        win = pm.loc[_t(lb["start"]) : _t(lb["end"]) - pd.Timedelta(hours=1)]
        ratio = win[lb["subject_id"]] / win[list(near)].median(axis=1)
        assert ratio.notna().all()
        assert (ratio >= 2.8).mean() >= 0.75, (lb, ratio.tolist())


def test_benign_grid_look_alikes_are_not_persistent_hot_spots(bundle: Path) -> None:
    """Outside labels, no cell is 2.5 × its ring for three hours in a row."""
    grids = pd.read_csv(bundle / "registry" / "grids.csv")
    hourly = _csv(bundle, "grid_hourly")
    pm = hourly.pivot(index="t", columns="grid_id", values="pm25")
    labelled = {lb["subject_id"] for lb in _labels(bundle) if lb["family"] == "GRID_HOTSPOT"}
    by_rc = {gid: (int(gid[1:3]), int(gid[3:5])) for gid in grids.grid_id}
    rc_to = {v: k for k, v in by_rc.items()}
    for gid, (r, c) in by_rc.items():
        if gid in labelled:
            continue
        ring = [
            rc_to[(r + a, c + b)]
            for a in (-1, 0, 1)
            for b in (-1, 0, 1)
            if (a or b) and (r + a, c + b) in rc_to
        ]
        if len(ring) < 8:
            continue
        hot = (pm[gid] / pm[ring].median(axis=1) >= 2.5).to_numpy()
        run = np.convolve(hot.astype(int), np.ones(3, dtype=int), mode="valid")
        assert run.max(initial=0) < 3, gid


def test_mobile_hot_spots_rise_far_above_the_route(bundle: Path) -> None:
    track = _csv(bundle, "mobile_track")
    tvoc = track[track.pollutant == "TVOC"]
    steps = tvoc.groupby("vehicle_id").t.apply(lambda s: s.diff().dropna().min())
    assert {int(x.total_seconds()) for x in steps} <= {1, 5}
    assert track.t.dt.hour.between(9, 11).all()
    for lb in _labels(bundle):
        if lb["family"] != "MOBILE_HOTSPOT":
            continue
        veh = tvoc[tvoc.vehicle_id == lb["vehicle_id"]]
        day = veh[veh.t.dt.date == _t(lb["start"]).date()]
        win = day[(day.t >= _t(lb["start"])) & (day.t < _t(lb["end"]))]
        assert win.value.max() >= 4 * day.value.median()
        assert (win.value >= 2 * day.value.median()).sum() * (
            1 if lb["vehicle_id"] == "ZH01" else 5
        ) >= 60, "a plume lasts a minute or more"


def test_camera_incidents_repeat_confidently_and_benign_alarms_are_isolated(
    bundle: Path,
) -> None:
    al = _csv(bundle, "camera_alarms")
    labels = [lb for lb in _labels(bundle) if lb["family"] == "CAMERA_ALARM"]
    in_label = np.zeros(len(al), dtype=bool)
    for lb in labels:
        m = (
            (al.enterprise_id == lb["enterprise_id"])
            & (al.t >= _t(lb["start"]))
            & (al.t < _t(lb["end"]))
        )
        assert m.sum() >= 4
        assert (al.confidence[m] >= 0.75).all()
        in_label |= m.to_numpy()
    rest = al[~in_label]
    assert (rest.confidence < 0.6).all()
    for eid, g in rest.dropna(subset=["enterprise_id"]).groupby("enterprise_id"):
        gaps = g.t.sort_values().diff().dropna()
        assert (gaps >= pd.Timedelta(hours=6)).all(), eid


def test_gate_records_violate_only_inside_labels(
    bundle: Path, read_table: Callable[[Path, str], pd.DataFrame]
) -> None:
    gr = _csv(bundle, "gate_records")
    alerts = read_table(bundle, "alerts")
    ms = pd.read_csv(bundle / "registry" / "measures.csv").dropna(subset=["truck_min_standard"])
    labels = [lb for lb in _labels(bundle) if lb["family"] == "GATE_VIOLATION"]
    restricted_in = []
    benign_leaving = 0
    for _, a in alerts.iterrows():
        start, end = _t(str(a.start)), _t(str(a.end))
        for eid, m in ms.groupby("enterprise_id"):
            ok = m[m.level.map(RANK) <= RANK[a.level]]
            if ok.empty:
                continue
            best = ok.level.map(RANK).max()
            allowed = ok[ok.level.map(RANK) == best].truck_min_standard.max()
            g = gr[(gr.enterprise_id == eid) & (gr.t >= start) & (gr.t < end)]
            bad = g[
                (g.vehicle_type == "heavy_truck")
                & (g.fuel == "diesel")
                & (g.emission_standard < allowed)
            ]
            restricted_in += [(eid, t) for t in bad[bad.direction == "in"].t]
            benign_leaving += int((bad.direction == "out").sum())
    assert restricted_in, "some violation"
    for eid, t in restricted_in:
        assert any(
            lb["enterprise_id"] == eid and _t(lb["start"]) <= t < _t(lb["end"]) for lb in labels
        ), (eid, t)
    assert benign_leaving > 0, "restricted trucks leaving during alerts (benign)"
    assert len(labels) == len(
        {(lb["enterprise_id"], lb["start"][:10], lb["alert_id"]) for lb in labels}
    )


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_clue_layers_are_deterministic_per_seed(tmp_path: Path) -> None:
    generate_city(tmp_path / "a", TINY)
    generate_city(tmp_path / "b", TINY)
    generate_city(tmp_path / "c", CityConfig(**{**TINY.__dict__, "seed": 12}))
    a, b, c = (_digest(tmp_path / x) for x in "abc")
    assert a == b
    for rel in CLUE_FILES.values():
        if rel != "registry/grids.csv":
            assert a[rel] != c[rel], rel


def test_v1_files_and_labels_are_unchanged_by_the_clue_layers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_city(tmp_path / "full", TINY)

    def met_only(ctx: ClueContext) -> list[Any]:
        """The hook as it was before the clue layers (wind only)."""
        ctx.rows["met_hourly"] = write_met(ctx.root, ctx.reg, ctx.wind, ctx.start, 11)
        return []

    monkeypatch.setattr(city_mod, "write_clue_layers", met_only)
    monkeypatch.setattr(city_mod, "truck_min_standards", lambda reg, seed: {})
    generate_city(tmp_path / "v1", TINY)
    full, v1 = _digest(tmp_path / "full"), _digest(tmp_path / "v1")
    for rel, digest in v1.items():
        if rel in ("labels.jsonl", "registry/measures.csv"):
            continue
        assert full[rel] == digest, rel
    old = (tmp_path / "v1" / "labels.jsonl").read_text("utf-8")
    new = (tmp_path / "full" / "labels.jsonl").read_text("utf-8")
    assert new.startswith(old)
    assert all(json.loads(x)["label_id"][0] in "CJ" for x in new[len(old) :].splitlines())
    m_old = pd.read_csv(tmp_path / "v1" / "registry" / "measures.csv")
    m_new = pd.read_csv(tmp_path / "full" / "registry" / "measures.csv")
    assert m_new.truck_min_standard.notna().any()
    pd.testing.assert_frame_equal(
        m_old.drop(columns="truck_min_standard"), m_new.drop(columns="truck_min_standard")
    )


def test_a_city_that_ends_now_cuts_the_clue_layers_too(tmp_path: Path) -> None:
    from lantian.demo.today import end_city_at
    from lantian.timeutil import CST

    generate_city(tmp_path / "c", TINY)
    cut = datetime(TINY.start.year, TINY.start.month, TINY.start.day, tzinfo=CST) + pd.Timedelta(
        days=2, hours=10
    )
    removed = end_city_at(tmp_path / "c", cut)
    for name, rel in CLUE_FILES.items():
        if rel.startswith("data/"):
            assert removed[f"{name}.csv"] > 0, name
            df = _csv(tmp_path / "c", name)
            assert (df.t < cut.replace(tzinfo=None)).all(), name


def test_hot_spot_sources_are_upwind_and_among_the_nearest_there(bundle: Path) -> None:
    """What a candidate ranking sees: from the hot cell, looking into the wind of the nearest
    station (met_hourly), the true source is within 6 km and among the 3 nearest enterprises
    of a ±45° sector, for at least 80 % of the hot-spot labels with a source."""
    grids = pd.read_csv(bundle / "registry" / "grids.csv").set_index("grid_id")
    ents = pd.read_csv(bundle / "registry" / "enterprises.csv").set_index("enterprise_id")
    stations = pd.read_csv(bundle / "registry" / "stations.csv").set_index("station_id")
    met = _csv(bundle, "met_hourly")
    ok = total = 0
    for lb in _labels(bundle):
        if lb["family"] not in ("GRID_HOTSPOT", "MOBILE_HOTSPOT") or not lb.get(
            "source_enterprise_id"
        ):
            continue
        total += 1
        cell = grids.loc[lb["subject_id"]]
        kx = 111.2 * np.cos(np.radians(cell.lat))
        st = stations.loc[sorted(set(met.station_id))]
        d_st = np.hypot((st.lon - cell.lon) * kx, (st.lat - cell.lat) * 111.2)
        nearest = d_st.idxmin()
        m = met[
            (met.station_id == nearest)
            & (met.t >= _t(lb["start"]).floor("h"))
            & (met.t < _t(lb["end"]))
        ]
        rad = np.radians(m.wind_dir.astype(float))
        wind_from = np.degrees(np.arctan2(np.sin(rad).mean(), np.cos(rad).mean())) % 360
        dx = (ents.lon - cell.lon) * kx
        dy = (ents.lat - cell.lat) * 111.2
        dist = np.hypot(dx, dy)
        bearing = np.degrees(np.arctan2(dx, dy)) % 360
        off = np.abs((bearing - wind_from + 180) % 360 - 180)
        sector = dist[(off <= 45) & (dist <= 6.0)].sort_values()
        if lb["source_enterprise_id"] in list(sector.index[:3]):
            ok += 1
    assert total > 0
    assert ok >= 0.8 * total, (ok, total)
