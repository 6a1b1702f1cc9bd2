"""The Spark engine runs the same Ibis rules and finds exactly the leads DuckDB finds."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

from lantian.rules.ambient_index import ambient_index, rank_areas
from lantian.rules.engine import run_rules
from lantian.rules.inputs import TABLE_COLUMNS, BundleError, load_bundle
from lantian.rules.spark import detect_spark, load_bundle_spark

pytestmark = pytest.mark.spark


def test_spark_inputs_have_canonical_schema_and_rows(spark: Any, dev_city: Path) -> None:
    duck = load_bundle(dev_city)
    inputs = load_bundle_spark(dev_city, spark)
    for name in inputs.names():
        table = getattr(inputs, name)
        assert list(table.columns) == list(TABLE_COLUMNS[name])
        assert table.count().execute() == getattr(duck, name).count().execute(), name
    assert inputs.cems.t.sum().execute() == duck.cems.t.sum().execute()


@pytest.mark.slow
@pytest.mark.timeout(1200)  # ≈ 5 min beside the Spark cluster test on 2 busy cores
def test_spark_leads_identical_to_duckdb_on_dev_city(spark: Any, dev_city: Path) -> None:
    """Every catalog rule, both engines (≈ 1–5 min: Spark's per-query overhead, not data)."""
    expected = run_rules(load_bundle(dev_city))
    got = detect_spark(dev_city, session=spark)
    assert expected, "dev-city must produce leads"
    assert [ld.lead_id for ld in got] == [ld.lead_id for ld in expected]
    for a, b in zip(got, expected, strict=True):
        assert asdict(a) == asdict(b), a.lead_id


def test_spark_ambient_index_identical_to_duckdb(spark: Any, dev_city: Path) -> None:
    duck = load_bundle(dev_city)
    sp = load_bundle_spark(dev_city, spark)
    stations = duck.stations.execute()
    cols = ["station_id", "c_pm25", "c_co", "c_o3", "composite_index", "primary_pollutant", "rank"]
    a = rank_areas(ambient_index(duck.ambient, ibis.memtable(stations)), "station").execute()
    b = rank_areas(ambient_index(sp.ambient, ibis.memtable(stations)), "station").execute()
    a = a[cols].sort_values("station_id").reset_index(drop=True)
    b = b[cols].sort_values("station_id").reset_index(drop=True)
    assert len(a) >= 2
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)


def test_spark_loader_reports_bad_input_like_duckdb(spark: Any, tmp_path: Path) -> None:
    (tmp_path / "registry").mkdir()
    with pytest.raises(BundleError):
        load_bundle_spark(tmp_path, spark)
