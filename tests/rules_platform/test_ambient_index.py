"""Composite index (HJ 663-2013) on literal fixtures and on real Beijing data."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from lantian.rules.ambient_index import (
    GRADE_II_LIMITS,
    RANKING_2018_WEIGHTS,
    Period,
    ambient_index,
    rank_areas,
)
from lantian.timeutil import CST

BEIJING = Path(__file__).resolve().parents[3] / "shared" / "real" / "beijing-multisite"
T0 = datetime(2024, 1, 1, tzinfo=CST)


def _frame(rows: list[tuple[str, datetime, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["station_id", "time", "pollutant", "value"])


def _run(ambient: pd.DataFrame, stations: pd.DataFrame, level: str, **kw: object) -> pd.DataFrame:
    con = ibis.duckdb.connect()
    expr = rank_areas(
        ambient_index(ibis.memtable(ambient), ibis.memtable(stations), level, **kw),  # type: ignore[arg-type]
        level,  # type: ignore[arg-type]
    )
    out: pd.DataFrame = con.execute(expr)
    return out


STATIONS = pd.DataFrame(
    {
        "station_id": ["A", "B", "C"],
        "city": ["清河市"] * 3,
        "district": ["城东区", "城东区", "城西区"],
        "township": ["甲镇", "乙镇", "甲镇"],
    }
)


def _flat(
    station: str, values: dict[str, float], hours: int = 48
) -> list[tuple[str, datetime, str, float | None]]:
    return [
        (station, T0 + pd.Timedelta(hours=h), p, v) for h in range(hours) for p, v in values.items()
    ]


AT_LIMIT = {"SO2": 60.0, "NO2": 40.0, "PM10": 70.0, "PM2.5": 35.0, "CO": 4.0, "O3": 160.0}


def test_index_is_sum_of_concentration_over_grade_ii_limit() -> None:
    rows = _flat("A", AT_LIMIT) + _flat("B", {**AT_LIMIT, "PM2.5": 105.0, "NO2": 20.0})
    out = _run(_frame(rows), STATIONS, "station").set_index("station_id")
    assert out.loc["A", "composite_index"] == pytest.approx(6.0)
    assert out.loc["B", "i_pm25"] == pytest.approx(3.0)
    assert out.loc["B", "composite_index"] == pytest.approx(1 + 0.5 + 1 + 3 + 1 + 1)
    assert out.loc["B", "primary_pollutant"] == "PM2.5"
    assert out.loc["B", "n_exceeding"] == 1
    assert out.loc["A", "n_exceeding"] == 0
    # rank 1 = cleanest; B is the worst
    assert out.loc["A", "rank"] == 1 and out.loc["B", "rank_worst"] == 1


def test_weights_change_weighted_index_only() -> None:
    rows = _flat("A", AT_LIMIT)
    out = _run(_frame(rows), STATIONS, "station", weights=RANKING_2018_WEIGHTS).iloc[0]
    assert out["composite_index"] == pytest.approx(6.0)
    assert out["weighted_index"] == pytest.approx(sum(RANKING_2018_WEIGHTS.values()))


def test_day_with_fewer_than_20_hours_is_invalid() -> None:
    # day 1 complete at 30 µg/m³; day 2 has 19 hours at 300 µg/m³ -> excluded
    rows = [("A", T0 + pd.Timedelta(hours=h), "SO2", 30.0) for h in range(24)]
    rows += [("A", T0 + pd.Timedelta(hours=24 + h), "SO2", 300.0) for h in range(19)]
    out = _run(_frame(rows), STATIONS, "station").iloc[0]
    assert out["c_so2"] == pytest.approx(30.0)
    assert out["days_so2"] == 1
    assert out["n_pollutants"] == 1 and not out["complete"]
    # with the 20th hour the day counts
    rows.append(("A", T0 + pd.Timedelta(hours=24 + 19), "SO2", 300.0))
    out = _run(_frame(rows), STATIONS, "station").iloc[0]
    assert out["c_so2"] == pytest.approx((30.0 + 300.0) / 2)


def test_co_uses_95th_percentile_of_daily_means() -> None:
    days = 21
    rows = [
        ("A", T0 + pd.Timedelta(hours=24 * d + h), "CO", float(d))
        for d in range(days)
        for h in range(24)
    ]
    out = _run(_frame(rows), STATIONS, "station").iloc[0]
    # HJ 663 Appendix A: k = 1 + (n-1)p = 1 + 20*0.95 = 20 -> 20th smallest = 19
    assert out["c_co"] == pytest.approx(np.percentile(np.arange(days), 95))
    assert out["c_co"] == pytest.approx(19.0)
    assert out["i_co"] == pytest.approx(19.0 / GRADE_II_LIMITS["CO"])


def test_o3_daily_max_8h_with_validity() -> None:
    # one day: O3 = 100 except hours 12..19 = 200 -> 8-h max = 200 (window 12..19)
    values = [200.0 if 12 <= h <= 19 else 100.0 for h in range(24)]
    rows = [("A", T0 + pd.Timedelta(hours=h), "O3", v) for h, v in enumerate(values)]
    out = _run(_frame(rows), STATIONS, "station").iloc[0]
    assert out["c_o3"] == pytest.approx(200.0)
    # an 8-h window with only 5 hours is invalid; a day with < 14 valid 8-h means
    # is invalid unless its maximum exceeds 160
    sparse = [("A", T0 + pd.Timedelta(hours=h), "O3", 100.0) for h in range(0, 24, 2)]
    out = _run(_frame(sparse), STATIONS, "station")
    assert out.empty or pd.isna(out.iloc[0]["c_o3"])
    short = [("A", T0 + pd.Timedelta(hours=h), "O3", 170.0) for h in range(10)]
    out = _run(_frame(short), STATIONS, "station").iloc[0]
    assert out["c_o3"] == pytest.approx(170.0)  # 3 valid 8-h means, max > 160: valid
    short_low = [("A", T0 + pd.Timedelta(hours=h), "O3", 150.0) for h in range(10)]
    out = _run(_frame(short_low), STATIONS, "station")
    assert out.empty or pd.isna(out.iloc[0]["c_o3"])


def test_township_level_averages_stations_hourly_and_ranks_within_city() -> None:
    rows = _flat("A", {"PM2.5": 70.0}) + _flat("B", {"PM2.5": 35.0}) + _flat("C", {"PM2.5": 140.0})
    out = _run(_frame(rows), STATIONS, "township")
    by_key = out.set_index(["district", "township"])
    assert by_key.loc[("城东区", "甲镇"), "c_pm25"] == pytest.approx(70.0)
    assert by_key.loc[("城西区", "甲镇"), "c_pm25"] == pytest.approx(140.0)
    assert by_key.loc[("城西区", "甲镇"), "rank_worst"] == 1
    assert set(out["n_ranked"]) == {3}
    district = _run(_frame(rows), STATIONS, "district").set_index("district")
    assert district.loc["城东区", "c_pm25"] == pytest.approx((70.0 + 35.0) / 2)


def test_period_filter_and_naive_times_are_cst() -> None:
    rows = _flat("A", {"SO2": 10.0}, hours=24) + [
        ("A", T0 + pd.Timedelta(hours=24 + h), "SO2", 50.0) for h in range(24)
    ]
    frame = _frame(rows)
    naive = frame.assign(time=frame["time"].dt.tz_localize(None))
    period = Period(start=T0 + pd.Timedelta(days=1), end=T0 + pd.Timedelta(days=2))
    for data in (frame, naive):
        out = _run(data, STATIONS, "station", period=period).iloc[0]
        assert out["c_so2"] == pytest.approx(50.0)
        assert out["days_so2"] == 1


# --------------------------------------------------------------------------- real data

DISTRICTS = {
    "Aotizhongxin": "朝阳区",
    "Changping": "昌平区",
    "Dingling": "昌平区",
    "Dongsi": "东城区",
    "Guanyuan": "西城区",
    "Gucheng": "石景山区",
    "Huairou": "怀柔区",
    "Nongzhanguan": "朝阳区",
    "Shunyi": "顺义区",
    "Tiantan": "东城区",
    "Wanliu": "海淀区",
    "Wanshouxigong": "西城区",
}


@pytest.fixture(scope="module")
def beijing_2016() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Calendar year 2016 of the UCI Beijing multi-site data in the exchange format."""
    files = sorted(BEIJING.glob("PRSA_Data_*.csv"))
    if not files:
        pytest.skip("../shared/real/beijing-multisite is not present")
    frames = []
    for path in files:
        raw = pd.read_csv(path, na_values=["NA"])
        raw = raw[raw["year"] == 2016]
        raw["CO"] = raw["CO"] / 1000.0  # µg/m³ -> mg/m³ (exchange format)
        raw["time"] = pd.to_datetime(raw[["year", "month", "day", "hour"]]).dt.tz_localize(CST)
        frames.append(
            raw.melt(
                id_vars=["station", "time"],
                value_vars=["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"],
                var_name="pollutant",
                value_name="value",
            ).rename(columns={"station": "station_id"})
        )
    ambient = pd.concat(frames, ignore_index=True)
    names = sorted(ambient["station_id"].unique())
    stations = pd.DataFrame(
        {
            "station_id": names,
            "city": "北京市",
            "district": [DISTRICTS.get(n, "其他") for n in names],
            "township": names,
        }
    )
    return ambient, stations


def _reference(ambient: pd.DataFrame) -> pd.DataFrame:
    """Independent pandas implementation of the HJ 663 statistics (per station)."""
    out = {}
    for station, grp in ambient.dropna(subset=["value"]).groupby("station_id"):
        wide = grp.pivot_table(index="time", columns="pollutant", values="value", aggfunc="mean")
        wide = wide.asfreq("h")
        day = wide.index.floor("D")
        res = {}
        for p in ["SO2", "NO2", "PM10", "PM2.5", "CO"]:
            g = wide[p].groupby(day)
            daily = g.mean()[g.count() >= 20]
            res[p] = daily.quantile(0.95) if p == "CO" else daily.mean()
        o3 = wide["O3"]
        m8 = o3.rolling(8, min_periods=6).mean()
        m8 = m8[m8.index.hour >= 7]
        g = m8.groupby(m8.index.floor("D"))
        mx, n = g.max(), g.count()
        daily_o3 = mx[(n >= 14) | (mx > 160)]
        res["O3"] = daily_o3.quantile(0.90)
        out[station] = res
    return pd.DataFrame(out).T


def test_beijing_station_index_matches_independent_reference(
    beijing_2016: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ambient, stations = beijing_2016
    got = _run(ambient, stations, "station").set_index("station_id")
    ref = _reference(ambient)
    cols = {
        "SO2": "c_so2",
        "NO2": "c_no2",
        "PM10": "c_pm10",
        "PM2.5": "c_pm25",
        "CO": "c_co",
        "O3": "c_o3",
    }
    assert set(got.index) == set(ref.index) and len(got) == len(ref) >= 10
    for pollutant, col in cols.items():
        np.testing.assert_allclose(
            got.loc[ref.index, col].to_numpy(float), ref[pollutant].to_numpy(float), rtol=1e-9
        )
    # real dynamics: in 2016 Beijing, PM2.5 is every station's primary pollutant and
    # exceeds its annual Grade II limit everywhere
    assert (got["primary_pollutant"] == "PM2.5").all()
    assert (got["i_pm25"] > 1).all()
    assert (got["n_exceeding"] >= 1).all()
    assert got["complete"].all()


def test_beijing_city_and_district_ranking(beijing_2016: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ambient, stations = beijing_2016
    city = _run(ambient, stations, "city").iloc[0]
    # official 2016 Beijing annual PM2.5 was 73 µg/m³ (35 national stations); the 12
    # stations here should land close to it
    assert 60 < city["c_pm25"] < 90
    assert city["primary_pollutant"] == "PM2.5"
    district = _run(ambient, stations, "district").set_index("district")
    assert len(district) == len(set(DISTRICTS.values()))
    assert sorted(district["rank"]) == sorted(district["rank"].rank(method="min").astype(int))
    # the remote northern district (怀柔) is cleaner than the urban core (东城)
    assert district.loc["怀柔区", "composite_index"] < district.loc["东城区", "composite_index"]


def test_rule_input_t_convention_gives_the_same_result() -> None:
    rows = _flat("A", AT_LIMIT) + _flat("B", {**AT_LIMIT, "O3": 200.0}, hours=30)
    frame = _frame(rows)
    wall = frame["time"].dt.tz_localize(None) - pd.Timestamp("1970-01-01")
    with_t = frame.drop(columns="time").assign(t=(wall.dt.total_seconds()).astype("int64"))
    period = Period(start=T0, end=T0 + pd.Timedelta(days=1))
    a = _run(frame, STATIONS, "station", period=period).set_index("station_id")
    b = _run(with_t, STATIONS, "station", period=period).set_index("station_id")
    cols = ["c_so2", "c_o3", "c_co", "composite_index", "primary_pollutant", "days_o3"]
    pd.testing.assert_frame_equal(a[cols].sort_index(), b[cols].sort_index())
    assert b.loc["B", "c_o3"] == pytest.approx(200.0)


def test_missing_area_columns_is_a_clear_error() -> None:
    rows = _flat("A", AT_LIMIT, hours=24)
    with pytest.raises(ValueError, match="township"):
        _run(_frame(rows), STATIONS[["station_id", "city"]], "township")
