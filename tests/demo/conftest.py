"""Fixtures: small simulated cities generated once per test session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from lantian.demo import CityConfig, generate_city

SMALL = CityConfig(enterprises=16, days=5, stations=6, seed=3)


@pytest.fixture(scope="session")
def default_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default city (40 enterprises, 14 days), as `lantian demo-city OUT` writes it."""
    out = tmp_path_factory.mktemp("demo") / "default"
    generate_city(out, CityConfig())
    return out


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small city (16 enterprises, 5 days), data files as Parquet."""
    out = tmp_path_factory.mktemp("demo") / "small"
    generate_city(out, CityConfig(**{**SMALL.__dict__, "data_format": "parquet"}))
    return out


@pytest.fixture
def read_table() -> Callable[[Path, str], pd.DataFrame]:
    """The reader of a bundle's data files (CSV or Parquet)."""
    return _read_table


def _read_table(bundle: Path, name: str) -> pd.DataFrame:
    """``data/<name>`` as CSV or Parquet, times as text exactly as written (CSV) or
    ISO strings with +08:00 (Parquet)."""
    csv = bundle / "data" / f"{name}.csv"
    if csv.exists():
        return pd.read_csv(csv, dtype={"time": str, "start": str, "end": str})
    df = pd.read_parquet(bundle / "data" / f"{name}.parquet")
    for col in ("time", "start", "end"):
        if col in df.columns:
            assert str(df[col].dt.tz) == "UTC+08:00"
            df[col] = df[col].map(lambda t: t.isoformat())
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(str)
    return df
