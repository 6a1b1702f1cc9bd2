"""Every labelled incident is really in the data (and the generator is deterministic)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lantian.demo import CityConfig, generate_city

Reader = Callable[[Path, str], pd.DataFrame]
LIMIT_COL = {"a34013": "limit_pm", "a21026": "limit_so2", "a21002": "limit_nox"}


def _labels(bundle: Path) -> list[dict[str, object]]:
    lines = (bundle / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines]


def _window(df: pd.DataFrame, lab: dict[str, object], col: str = "time") -> pd.DataFrame:
    t = pd.to_datetime(df[col])
    return df[(t >= pd.Timestamp(str(lab["start"]))) & (t < pd.Timestamp(str(lab["end"])))]


def test_cems_labels_hold_in_the_data(default_city: Path, read_table: Reader) -> None:
    cems = read_table(default_city, "cems_hourly")
    outlets = pd.read_csv(default_city / "registry" / "outlets.csv").set_index("outlet_id")
    seen = set()
    for lab in _labels(default_city):
        if lab.get("ignore") or lab["subject_type"] != "outlet":
            continue
        rows = _window(cems[cems.outlet_id == lab["subject_id"]], lab)
        fam = lab["family"]
        seen.add(fam)
        if fam == "EXCEEDANCE":
            r = rows[rows.pollutant == lab["pollutant"]]
            limit = outlets.loc[str(lab["subject_id"]), LIMIT_COL[str(lab["pollutant"])]]
            zs = r.zs_value.fillna(r.value)
            assert (r.flag == "N").all() and (zs > limit).all(), lab
        elif fam == "FLATLINE":
            r = rows[(rows.pollutant == lab["pollutant"]) & (rows.flag == "N")]
            assert len(r) >= 6 and r.value.nunique() == 1, lab
        elif fam == "PINNED":
            r = rows[(rows.pollutant == lab["pollutant"]) & (rows.flag == "N")]
            share = r.zs_value.fillna(r.value) / float(str(lab["limit"]))
            assert len(r) >= 12 and share.between(0.85, 1.0).all(), lab
            assert share.std() / share.mean() < 0.03, lab
        elif fam == "O2_ABNORMAL":
            r = rows[(rows.pollutant == "a19001") & (rows.flag == "N")]
            assert len(r) >= 2 and (r.value >= 19.0).all(), lab
        elif fam == "MISSING":
            assert not (rows.flag == "N").any(), lab
            assert rows.empty or rows.flag.isin(["B", "D"]).all(), lab
        elif fam == "FLAG_ABUSE":
            assert len(rows) and rows.flag.isin(["F", "M"]).all(), lab
        elif fam == "CLONED":
            other = _window(cems[cems.outlet_id == lab["other_subject_id"]], lab)
            a = rows.set_index(["time", "pollutant"]).value.sort_index()
            b = other.set_index(["time", "pollutant"]).value.sort_index()
            common = a.index.intersection(b.index)
            assert len(common) >= 12 * 3 and (a[common] == b[common]).all(), lab
    assert seen >= {
        "EXCEEDANCE",
        "FLATLINE",
        "PINNED",
        "O2_ABNORMAL",
        "MISSING",
        "FLAG_ABUSE",
        "CLONED",
    }


def test_power_labels_hold_in_the_data(default_city: Path, read_table: Reader) -> None:
    power = read_table(default_city, "power")
    meters = pd.read_csv(default_city / "registry" / "meters.csv").set_index("meter_id")
    alerts = read_table(default_city, "alerts").set_index("alert_id")
    for lab in _labels(default_city):
        if lab.get("ignore") or lab["subject_type"] != "line":
            continue
        line_meters = meters[meters.line_id == lab["subject_id"]]
        prod = line_meters[line_meters.role == "production"].index
        rows = _window(power[power.meter_id.isin(line_meters.index)], lab)
        prod_rows = rows[rows.meter_id.isin(prod)]
        hour = pd.to_datetime(prod_rows.time).dt.floor("h")
        # Hourly mean per meter (meters may report at different intervals), summed.
        prod_kw = prod_rows.groupby([hour, prod_rows.meter_id]).kw.mean().groupby(level=0).sum()
        rated_prod = line_meters.loc[prod, "rated_kw"].sum()
        if lab["family"] in ("TREATMENT_OFF", "TREATMENT_LOW"):
            assert prod_kw.median() > 0.2 * rated_prod, lab  # production runs
            for m in lab["meters"]:  # type: ignore[attr-defined]
                kw = rows[rows.meter_id == m].kw
                rated = float(meters.loc[m, "rated_kw"])
                if lab["family"] == "TREATMENT_OFF":
                    assert kw.max() <= 0.08 * rated, (lab, m)
                else:
                    assert 0.05 * rated < kw.median() < 0.55 * rated, (lab, m)
        elif lab["family"] == "EMERGENCY_VIOLATION":
            alert = alerts.loc[str(lab["alert_id"])]
            assert pd.Timestamp(str(lab["start"])) >= pd.Timestamp(str(alert.start))
            assert pd.Timestamp(str(lab["end"])) <= pd.Timestamp(str(alert.end))
            assert prod_kw.median() > 0.2 * rated_prod, lab


def test_hotspot_labels_meet_the_definition(default_city: Path, read_table: Reader) -> None:
    amb = read_table(default_city, "ambient_hourly")
    n = 0
    for lab in _labels(default_city):
        if lab["family"] != "AMBIENT_HOTSPOT" or lab.get("ignore"):
            continue
        wide = _window(amb[amb.pollutant == lab["pollutant"]], lab).pivot(
            index="time", columns="station_id", values="value"
        )
        mine = wide.pop(str(lab["subject_id"]))
        others = wide.median(axis=1)
        threshold = 75 if lab["pollutant"] == "PM2.5" else 150
        assert (mine >= 2.5 * others - 1).all() and (mine >= threshold).all(), lab
        assert 3 <= len(mine) <= 12
        n += 1
    assert n >= 1


def test_regional_episode_raises_every_station(default_city: Path, read_table: Reader) -> None:
    """City-wide episodes lift all stations together (and are not labelled as hot spots)."""
    amb = read_table(default_city, "ambient_hourly")
    pm = amb[amb.pollutant == "PM2.5"].pivot(index="time", columns="station_id", values="value")
    daily = pm.groupby(pd.to_datetime(pm.index).date).mean()
    corr = daily.corr().to_numpy()
    assert np.nanmin(corr) > 0.5
    assert daily.median(axis=1).max() > 2 * daily.median(axis=1).min()


def _digest(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_city_other_seed_other_city(tmp_path: Path) -> None:
    cfg = CityConfig(enterprises=8, days=3, stations=4, seed=11)
    generate_city(tmp_path / "a", cfg)
    generate_city(tmp_path / "b", cfg)
    generate_city(tmp_path / "c", CityConfig(enterprises=8, days=3, stations=4, seed=12))
    a, b, c = (_digest(tmp_path / k) for k in "abc")
    assert a == b
    assert a.keys() == c.keys() and a != c


def test_refuses_non_empty_out_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    out = tmp_path / "city"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        generate_city(out, CityConfig(enterprises=3, days=1, stations=3))
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    with pytest.raises(ValueError, match="power_interval_min"):
        generate_city(tmp_path / "x", CityConfig(power_interval_min=7))
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.glob(".x.partial-*"))


def test_target_sizes_and_csv_format(tmp_path: Path, read_table: Reader) -> None:
    cfg = CityConfig(outlets=30, meters=160, days=2, stations=5, data_format="csv", seed=5)
    generate_city(tmp_path / "t", cfg)
    outlets = pd.read_csv(tmp_path / "t" / "registry" / "outlets.csv")
    meters = pd.read_csv(tmp_path / "t" / "registry" / "meters.csv")
    ent = pd.read_csv(tmp_path / "t" / "registry" / "enterprises.csv")
    assert len(outlets) == 30
    assert len(meters) == 160
    assert set(ent.industry) >= {"steel", "printing", "waste_incineration", "glass"}
    assert (tmp_path / "t" / "data" / "power.csv").exists()
    power = read_table(tmp_path / "t", "power")
    assert power.time.str.endswith("+08:00").all()


def test_harder_options_failed_analysers_and_meter_outages(
    tmp_path: Path, read_table: Reader
) -> None:
    """One failed analyser: that pollutant has no valid row in its MISSING label while
    another pollutant of the outlet reports; treatment-meter outages drop power rows and
    add no label (a meter offline is not treatment off)."""
    base = CityConfig(enterprises=10, days=4, stations=3, seed=5, difficulty=1.0)
    quiet, hard = tmp_path / "quiet", tmp_path / "hard"
    generate_city(quiet, base)
    generate_city(
        hard,
        CityConfig(**{**base.__dict__, "analyser_failures": 20.0, "treatment_outages": 50.0}),
    )
    cems = read_table(hard, "cems_hourly")
    one = [lab for lab in _labels(hard) if lab["family"] == "MISSING" and lab["pollutant"]]
    assert one, "analyser_failures must inject single-analyser failures"
    for lab in one:
        rows = _window(cems[cems.outlet_id == lab["subject_id"]], lab)
        mine = rows[rows.pollutant == lab["pollutant"]]
        assert mine.empty or mine.flag.isin(["B", "D"]).all(), lab
        others = rows[(rows.pollutant != lab["pollutant"]) & rows.pollutant.isin(list(LIMIT_COL))]
        valid = others[others.flag == "N"]
        assert len(valid) > 0, lab  # the other analysers report (not an outlet-wide outage)
    n_quiet = len(read_table(quiet, "power"))
    n_hard = len(read_table(hard, "power"))
    assert n_hard < n_quiet  # outages leave treatment meters' rows out

    def power_labels(city: Path) -> list[dict[str, object]]:
        return [
            {k: v for k, v in lab.items() if k != "label_id"}
            for lab in _labels(city)
            if str(lab["family"]).startswith("TREATMENT")
        ]

    assert power_labels(hard) == power_labels(quiet)
