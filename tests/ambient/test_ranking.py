"""Composite index ranking over the lake: validity, ranking, scope, areas without data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from lantian.ambient.ranking import (
    AreaIndex,
    area_ranking,
    as_json,
    default_month,
    month_bounds,
    rank_valid,
    required_valid_days,
)
from lantian.auth.service import create_user
from lantian.db.session import session_scope
from lantian.lake import Lake
from lantian.registry.models import Station
from lantian.rules.ambient_index import GRADE_II_LIMITS, POLLUTANTS
from lantian.settings import Settings


@pytest.mark.parametrize(
    ("start", "end", "days", "basis"),
    [
        (date(2026, 1, 1), date(2026, 2, 1), 27, "month"),
        (date(2026, 2, 1), date(2026, 3, 1), 25, "february"),
        (date(2026, 4, 1), date(2026, 5, 1), 27, "month"),
        (date(2026, 12, 1), date(2027, 1, 1), 27, "month"),
        (date(2026, 1, 1), date(2027, 1, 1), 324, "year"),
        (date(2026, 1, 1), date(2026, 1, 11), 9, "scaled"),  # ceil(10 × 324/365) = 9
        (date(2026, 1, 2), date(2026, 2, 2), 28, "scaled"),  # not a calendar month
        (date(2026, 1, 1), date(2026, 1, 2), 1, "scaled"),
    ],
)
def test_required_valid_days(start: date, end: date, days: int, basis: str) -> None:
    v = required_valid_days(start, end)
    assert (v.days, v.basis) == (days, basis)


def test_required_valid_days_refuses_an_empty_period() -> None:
    with pytest.raises(ValueError, match="after"):
        required_valid_days(date(2026, 1, 2), date(2026, 1, 2))


def test_month_bounds_and_default_month() -> None:
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_bounds("2026-13")
    assert default_month(date(2026, 12, 2)) == "2026-11"
    assert default_month(date(2026, 12, 6)) == "2026-12"
    assert default_month(date(2026, 1, 3)) == "2025-12"


def _area(name: str, city: str, w: float | None, short: tuple[str, ...] = ()) -> AreaIndex:
    return AreaIndex(
        "township", (city, name), name, city, composite_index=w, weighted_index=w, short=list(short)
    )


def test_rank_valid_ranks_within_city_ties_share_and_skips_short_areas() -> None:
    areas = [
        _area("a", "X", 3.0),
        _area("b", "X", 2.0),
        _area("c", "X", 3.0),
        _area("d", "X", 1.0, short=("O3",)),
        _area("e", "X", None),
        _area("f", "Y", 5.0),
    ]
    rank_valid(areas)
    got = {a.name: (a.rank, a.rank_worst, a.n_ranked, a.status) for a in areas}
    assert got == {
        "a": (2, 1, 3, "ranked"),
        "b": (1, 3, 3, "ranked"),
        "c": (2, 1, 3, "ranked"),
        "d": (None, None, None, "insufficient"),
        "e": (None, None, None, "no_data"),
        "f": (1, 1, 1, "ranked"),
    }


# ----------------------------------------------------------------------------- lake


STATIONS = [
    # id, city, district, township, factor of the Grade II limit, days with data
    ("S1", "唐山市", "路北区", "果园乡", 0.5, 31),
    ("S2", "唐山市", "路北区", "果园乡", 0.7, 31),  # same township: averaged with S1
    ("S3", "唐山市", "路北区", "韩城镇", 1.5, 31),
    ("S4", "唐山市", "路南区", "女织寨乡", 1.0, 20),  # short of the 27 days of a month
    ("S5", "唐山市", "路南区", "稻地镇", 1.0, 0),  # no data at all
    ("S6", "石家庄市", "长安区", "西营乡", 2.0, 31),
]


def _ambient(month: date) -> pa.Table:
    rows: dict[str, list[object]] = {"station_id": [], "time": [], "pollutant": [], "value": []}
    t0 = datetime(month.year, month.month, 1, tzinfo=UTC) - timedelta(hours=8)  # CST midnight
    for sid, _c, _d, _t, factor, days in STATIONS:
        for h in range(days * 24):
            for p in POLLUTANTS:
                rows["station_id"].append(sid)
                rows["time"].append(t0 + timedelta(hours=h))
                rows["pollutant"].append(p)
                rows["value"].append(GRADE_II_LIMITS[p] * factor)
    return pa.table(rows)


@pytest.fixture
def lake_and_registry(db_settings: Settings, tmp_path: Path) -> tuple[Settings, Lake]:
    lake = Lake(tmp_path / "lake")
    lake.append("ambient_hourly", _ambient(date(2026, 1, 1)), origin="import")
    with session_scope(db_settings) as db:
        for sid, city, district, township, *_ in STATIONS:
            db.add(
                Station(
                    station_id=sid,
                    name=f"{township}站{sid}",
                    kind="township",
                    city=city,
                    district=district,
                    township=township,
                    lon=118.0 + int(sid[1:]) / 10,
                    lat=39.6,
                )
            )
    return db_settings, lake


def test_township_ranking_from_the_lake(lake_and_registry: tuple[Settings, Lake]) -> None:
    settings, lake = lake_and_registry
    with session_scope(settings) as db:
        r = area_ranking(db, lake, "township", date(2026, 1, 1), date(2026, 2, 1))
    by = {a.name: a for a in r.areas}
    assert r.validity.days == 27
    # every single index I_i = C_i / S_i = the factor (O3 and CO percentiles of constants)
    assert by["果园乡"].composite_index == pytest.approx(6 * 0.6)
    assert by["韩城镇"].composite_index == pytest.approx(6 * 1.5)
    assert by["韩城镇"].n_exceeding == 6
    assert (by["果园乡"].rank, by["韩城镇"].rank, by["果园乡"].n_ranked) == (1, 2, 2)
    assert by["女织寨乡"].status == "insufficient"
    assert set(by["女织寨乡"].short) == set(POLLUTANTS)
    assert by["女织寨乡"].valid_days["PM2.5"] == 20
    assert by["稻地镇"].status == "no_data"
    assert (by["西营乡"].rank, by["西营乡"].n_ranked) == (1, 1)  # ranked within its own city
    assert by["果园乡"].lon == pytest.approx((118.1 + 118.2) / 2)
    doc = as_json(r)
    assert doc["required_valid_days"] == 27 and doc["validity_basis"] == "month"
    assert [a["name"] for a in doc["areas"]][:2] == ["果园乡", "韩城镇"]


def test_a_district_officer_ranks_only_the_stations_in_scope(
    lake_and_registry: tuple[Settings, Lake],
) -> None:
    settings, lake = lake_and_registry
    with session_scope(settings) as db:
        user = create_user(
            db,
            None,
            "lb",
            "Lantian-Test-2024!",
            "district_officer",
            city="唐山市",
            district="路北区",
        )
        r = area_ranking(db, lake, "district", date(2026, 1, 1), date(2026, 2, 1), user=user)
    assert [(a.name, a.rank) for a in r.areas] == [("路北区", 1)]
    # the district's index averages its three stations' hourly values first (HJ 663)
    assert r.areas[0].composite_index == pytest.approx(6 * (0.5 + 0.7 + 1.5) / 3)
