"""The simulated city is a valid bundle (exchange formats v1) with a consistent answer key."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lantian.registry.vocab import (
    ALERT_LEVELS,
    CLUE_FAMILIES,
    GRADES,
    HJ212_FLAGS,
    INDUSTRIES,
    LEAD_FAMILIES,
    MEASURE_ACTIONS,
    METER_ROLES,
    STATION_KINDS,
    SUBJECT_TYPES,
    SUBJECT_TYPES_V2,
    credit_code_check_char,
    credit_code_format_ok,
)

ISO_CST = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
COLUMNS = {
    "enterprises": [
        "enterprise_id",
        "name",
        "credit_code",
        "industry",
        "city",
        "district",
        "township",
        "lon",
        "lat",
        "grade",
        "positive_list",
    ],
    "outlets": [
        "outlet_id",
        "enterprise_id",
        "name",
        "mn",
        "o2_ref_pct",
        "limit_pm",
        "limit_so2",
        "limit_nox",
        "line_id",
        "pw",
    ],
    "meters": [
        "meter_id",
        "enterprise_id",
        "line_id",
        "role",
        "name",
        "rated_kw",
        "mn",
        "factor_code",
        "pw",
    ],
    "stations": ["station_id", "name", "kind", "city", "district", "township", "lon", "lat"],
    "measures": ["enterprise_id", "line_id", "level", "action", "limit_pct", "truck_min_standard"],
}
Reader = Callable[[Path, str], pd.DataFrame]
CEMS_CODES = {"a34013", "a21026", "a21002", "a19001", "a01012", "a01014", "a01011", "a00000"}


def _registry(bundle: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(bundle / "registry" / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(params=["default", "small"])
def bundle(request: pytest.FixtureRequest) -> Path:
    path: Path = request.getfixturevalue(f"{request.param}_city")
    return path


def test_registry_columns_enumerations_and_keys(bundle: Path) -> None:
    reg = {name: _registry(bundle, name) for name in COLUMNS}
    for name, cols in COLUMNS.items():
        assert list(reg[name].columns) == cols, name
    ent, out, met, sta, mea = (reg[k] for k in COLUMNS)
    assert ent.enterprise_id.is_unique and out.outlet_id.is_unique
    assert met.meter_id.is_unique and sta.station_id.is_unique
    assert set(ent.industry) <= set(INDUSTRIES)
    assert set(ent.grade) <= {*GRADES, ""}
    assert set(ent.positive_list) <= {"true", "false"}
    assert ent.credit_code.is_unique
    for code in ent.credit_code:
        assert credit_code_format_ok(code), code
        assert code[-1] == credit_code_check_char(code[:17]), code
    lon, lat = ent.lon.astype(float), ent.lat.astype(float)
    assert lon.between(73, 136).all() and lat.between(3, 54).all()
    assert (lon.max() - lon.min()) < 1.5 and (lat.max() - lat.min()) < 1.5  # one city
    assert set(out.enterprise_id) <= set(ent.enterprise_id)
    assert set(met.enterprise_id) <= set(ent.enterprise_id)
    lines = set(met.line_id)
    assert set(out.line_id) - {""} <= lines
    assert set(mea.line_id) <= lines
    assert out.mn.str.fullmatch(r"\d{14}").all() and out.mn.is_unique
    assert set(met.role) == set(METER_ROLES)
    for _line, group in met.groupby("line_id"):
        assert set(group.role) == {"production", "treatment"}
    assert (met.rated_kw.astype(float) > 0).all()
    with_mn = met[met.mn != ""]
    assert with_mn.mn.str.fullmatch(r"\d{14}").all()
    assert with_mn.factor_code.str.fullmatch(r"d[23]\d{2}0[56]").all()
    assert not with_mn.duplicated(["mn", "factor_code"]).any()
    # every logger has a PW (the gateway refuses those without); meters of one MN share it
    assert (out.pw != "").all() and (with_mn.pw != "").all() and (met[met.mn == ""].pw == "").all()
    assert (with_mn.groupby("mn").pw.nunique() == 1).all()
    assert set(sta.kind) <= set(STATION_KINDS)
    assert set(mea.level) <= set(ALERT_LEVELS) and set(mea.action) <= set(MEASURE_ACTIONS)
    limit = mea[mea.action == "limit"].limit_pct.astype(float)
    assert limit.between(1, 100).all()
    assert (mea[mea.action == "stop"].limit_pct == "").all()
    assert not mea.duplicated(["line_id", "level"]).any()
    # A-graded and 引领性 enterprises are exempt; D-graded ones stop first.
    graded = mea.merge(ent[["enterprise_id", "grade"]], on="enterprise_id")
    assert not graded.grade.isin(["A", "L"]).any()
    assert (graded[graded.grade == "D"].action == "stop").all()
    o2 = out.o2_ref_pct[out.o2_ref_pct != ""].astype(float)
    assert o2.between(0, 20).all()


def test_data_files_match_contract(bundle: Path, read_table: Reader) -> None:
    out = _registry(bundle, "outlets")
    met = _registry(bundle, "meters")
    sta = _registry(bundle, "stations")
    cems = read_table(bundle, "cems_hourly")
    assert list(cems.columns) == ["outlet_id", "time", "pollutant", "value", "zs_value", "flag"]
    assert set(cems.outlet_id) <= set(out.outlet_id)
    assert set(cems.pollutant) <= CEMS_CODES
    assert set(cems.flag) <= set(HJ212_FLAGS)
    assert cems.time.str.match(ISO_CST).all()
    assert not cems.duplicated(["outlet_id", "time", "pollutant"]).any()
    power = read_table(bundle, "power")
    assert list(power.columns) == ["meter_id", "time", "kw"]
    assert set(power.meter_id) <= set(met.meter_id)
    assert (power.kw >= 0).all()
    # Regular interval per meter, between 1 and 15 minutes.
    t = pd.to_datetime(power.time)
    step = t.groupby(power.meter_id).diff().dt.total_seconds().div(60)  # type: ignore[attr-defined]
    per_meter = step.groupby(power.meter_id).min()
    assert per_meter.between(1, 15).all()
    base = step.groupby(power.meter_id).transform("min")
    assert ((step % base == 0) | step.isna()).all()
    amb = read_table(bundle, "ambient_hourly")
    assert list(amb.columns) == ["station_id", "time", "pollutant", "value"]
    assert set(amb.station_id) <= set(sta.station_id)
    assert set(amb.pollutant) == {"PM2.5", "PM10", "SO2", "NO2", "CO", "O3"}
    assert amb.time.str.match(ISO_CST).all()
    assert (amb.value > 0).all()
    alerts = read_table(bundle, "alerts")
    assert list(alerts.columns) == ["alert_id", "city", "level", "start", "end"]
    assert set(alerts.level) <= set(ALERT_LEVELS)
    assert (pd.to_datetime(alerts.end) > pd.to_datetime(alerts.start)).all()


def test_corrected_values_follow_the_o2_formula(bundle: Path, read_table: Reader) -> None:
    """zs = value × (21 − O2_ref)/(21 − O2) up to the reporting precision (HJ 75-2017)."""
    out = _registry(bundle, "outlets")
    ref = out.set_index("outlet_id").o2_ref_pct.replace("", np.nan).astype(float)
    cems = read_table(bundle, "cems_hourly")
    o2 = cems[cems.pollutant == "a19001"].set_index(["outlet_id", "time"]).value.rename("o2")
    gas = cems[cems.pollutant.isin(["a34013", "a21026", "a21002"])].join(
        o2, on=["outlet_id", "time"]
    )
    gas["ref"] = gas.outlet_id.map(ref)
    with_ref = gas[gas.ref.notna()]
    assert with_ref.zs_value.notna().all()
    expected = with_ref.value * (21 - with_ref.ref) / (21 - with_ref.o2.clip(upper=20.9))
    # zs_value is reported with 0 to 2 decimals: at most half a unit off the formula.
    tol = 0.501 + 0.001 * expected.abs()
    normal = with_ref.flag == "N"
    assert (np.abs(with_ref.zs_value - expected)[normal] <= tol[normal]).all()
    assert gas[gas.ref.isna()].zs_value.isna().all()
    # In normal operation O2 is below the reference-free air level and 折算 is plausible.
    n_rows = with_ref[normal]
    assert (n_rows.o2 < 21).all() and (n_rows.zs_value >= 0).all()


def test_labels_schema(bundle: Path) -> None:
    labels = [json.loads(line) for line in (bundle / "labels.jsonl").read_text().splitlines()]
    assert labels
    ids = [lab["label_id"] for lab in labels]
    assert len(ids) == len(set(ids))
    ent = set(_registry(bundle, "enterprises").enterprise_id)
    subjects = {
        "outlet": set(_registry(bundle, "outlets").outlet_id),
        "line": set(_registry(bundle, "meters").line_id),
        "station": set(_registry(bundle, "stations").station_id),
        "grid": set(_registry(bundle, "grids").grid_id),
        "enterprise": ent,
    }
    for lab in labels:
        for key in ("family", "enterprise_id", "subject_type", "subject_id", "pollutant"):
            assert key in lab
        assert lab["family"] in LEAD_FAMILIES + CLUE_FAMILIES
        assert lab["subject_type"] in SUBJECT_TYPES + SUBJECT_TYPES_V2
        assert lab["subject_id"] in subjects[lab["subject_type"]]
        assert ISO_CST.match(lab["start"]) and ISO_CST.match(lab["end"])
        assert lab["end"] > lab["start"]
        if lab["subject_type"] in ("station", "grid"):
            assert lab["enterprise_id"] is None
        else:
            assert lab["enterprise_id"] in ent
        if lab["family"] == "CLONED":
            assert lab["other_subject_id"] in subjects["outlet"]
            assert lab["other_enterprise_id"] in ent
            assert lab["other_enterprise_id"] != lab["enterprise_id"]


def test_every_family_is_labelled_in_the_default_city(default_city: Path) -> None:
    labels = [json.loads(x) for x in (default_city / "labels.jsonl").read_text().splitlines()]
    real = {lab["family"] for lab in labels if not lab.get("ignore")}
    assert real == set(LEAD_FAMILIES) | set(CLUE_FAMILIES)
    assert any(lab.get("ignore") for lab in labels)


def test_parquet_times_carry_cst(small_city: Path) -> None:
    import pyarrow.parquet as pq

    for name in ("power", "cems_hourly", "ambient_hourly"):
        schema = pq.read_schema(small_city / "data" / f"{name}.parquet")
        assert str(schema.field("time").type) == "timestamp[ms, tz=+08:00]"
