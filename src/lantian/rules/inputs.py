"""Inputs of the lead detection engine: the bundle's tables as named Ibis tables.

Every rule reads :class:`Inputs`, never files. Time columns are normalised to one
integer convention so that rules stay engine-agnostic (DuckDB, PySpark):

``t`` (int64)
    seconds since 1970-01-01T00:00 **China Standard Time wall clock**, i.e. the epoch
    seconds of the naive CST timestamp read as if it were UTC. Hour index = ``t // 3600``,
    hour of day = ``(t // 3600) % 24``. Output converts back to ``+08:00`` ISO times.

Canonical columns (contract v1 names, plus ``t``):

- enterprises: enterprise_id, name, industry, city, district, township, grade, positive_list
- outlets: outlet_id, enterprise_id, name, mn, o2_ref_pct, limit_pm, limit_so2, limit_nox, line_id
- meters: meter_id, enterprise_id, line_id, role, name, rated_kw
- stations: station_id, name, kind, city
- measures: enterprise_id, line_id, level, action, limit_pct
- cems: outlet_id, t, pollutant, value, zs_value, flag, valid_min (HJ 76 valid minutes, or null)
- power: meter_id, t, kw
- ambient: station_id, t, pollutant, value
- alerts: alert_id, city, level, start_t, end_t
- v2 clue layers (:data:`CLUE_TABLES`, empty when absent): grids, grid_hourly (grid_id, t,
  pm25, pm10), met (station_id, t, wind_dir, wind_speed, temp, rh), mobile (vehicle_id, t,
  lon, lat, pollutant, value), camera_alarms, gate_records (see :data:`TABLE_COLUMNS`)
- baselines (platform mode only, else empty): kind, k1, k2, name, value, text — per-series
  statistics stored by an earlier run (:mod:`lantian.rules.baselines`)

Another builder (lake, Spark) only has to produce tables with these columns.

Bundle files are read by :mod:`lantian.io` only (:mod:`lantian.io.detect_tables`): the
same time grammar, number parser and error (:class:`~lantian.io.errors.BundleError`,
naming file, line, column and value) as ``lantian import``; this module names the tables.

References
----------
.. [1] 生态环境部, 《排污单位自动监测数据交换格式》 — see the Lantian exchange-format
   contract v1 (docs), which fixes the bundle layout read here.
.. [2] HJ 212-2017, 污染物在线监控(监测)系统数据传输标准 (``DataTime`` is local time).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.io.detect_tables import CST_OFFSET_S, REQUIRED_FILES, SOURCES, find_file, load_table
from lantian.io.errors import BundleError, Issue

__all__ = [
    "CST_OFFSET_S",
    "TABLE_COLUMNS",
    "BundleError",
    "Inputs",
    "cst_seconds",
    "empty_table",
    "load_bundle",
]

TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "enterprises": {
        "enterprise_id": "string",
        "name": "string",
        "industry": "string",
        "city": "string",
        "district": "string",
        "township": "string",
        "grade": "string",
        "positive_list": "string",
        "lon": "float64",
        "lat": "float64",
    },
    "outlets": {
        "outlet_id": "string",
        "enterprise_id": "string",
        "name": "string",
        "mn": "string",
        "o2_ref_pct": "float64",
        "limit_pm": "float64",
        "limit_so2": "float64",
        "limit_nox": "float64",
        "line_id": "string",
    },
    "meters": {
        "meter_id": "string",
        "enterprise_id": "string",
        "line_id": "string",
        "role": "string",
        "name": "string",
        "rated_kw": "float64",
    },
    "stations": {
        "station_id": "string",
        "name": "string",
        "kind": "string",
        "city": "string",
        "district": "string",
        "township": "string",
        "lon": "float64",
        "lat": "float64",
    },
    "measures": {
        "enterprise_id": "string",
        "line_id": "string",
        "level": "string",
        "action": "string",
        "limit_pct": "float64",
        "truck_min_standard": "float64",
    },
    "cems": {
        "outlet_id": "string",
        "t": "int64",
        "pollutant": "string",
        "value": "float64",
        "zs_value": "float64",
        "flag": "string",
        "valid_min": "float64",
    },
    "power": {"meter_id": "string", "t": "int64", "kw": "float64"},
    "ambient": {"station_id": "string", "t": "int64", "pollutant": "string", "value": "float64"},
    "alerts": {
        "alert_id": "string",
        "city": "string",
        "level": "string",
        "start_t": "int64",
        "end_t": "int64",
    },
    # v2 clue layers (contract "v2 additions"); absent files are empty tables
    "grids": {
        "grid_id": "string",
        "lon": "float64",
        "lat": "float64",
        "cell_km": "float64",
        "city": "string",
        "district": "string",
        "township": "string",
    },
    "grid_hourly": {"grid_id": "string", "t": "int64", "pm25": "float64", "pm10": "float64"},
    "met": {
        "station_id": "string",
        "t": "int64",
        "wind_dir": "float64",
        "wind_speed": "float64",
        "temp": "float64",
        "rh": "float64",
    },
    "mobile": {
        "vehicle_id": "string",
        "t": "int64",
        "lon": "float64",
        "lat": "float64",
        "pollutant": "string",
        "value": "float64",
    },
    "camera_alarms": {
        "alarm_id": "string",
        "source": "string",
        "camera_id": "string",
        "t": "int64",
        "lon": "float64",
        "lat": "float64",
        "kind": "string",
        "confidence": "float64",
        "enterprise_id": "string",
        "image": "string",
    },
    "gate_records": {
        "record_id": "string",
        "enterprise_id": "string",
        "gate_id": "string",
        "t": "int64",
        "plate": "string",
        "vehicle_type": "string",
        "fuel": "string",
        "emission_standard": "float64",
        "direction": "string",
    },
    # per-series statistics kept between platform runs (lantian.rules.baselines)
    "baselines": {
        "kind": "string",
        "k1": "string",
        "k2": "string",
        "name": "string",
        "value": "float64",
        "text": "string",
    },
}
"""Canonical schema of every :class:`Inputs` table (name → column → Ibis type)."""


@dataclass(frozen=True)
class Inputs:
    """The named Ibis tables rules read (all on one backend)."""

    enterprises: ir.Table
    outlets: ir.Table
    meters: ir.Table
    stations: ir.Table
    measures: ir.Table
    cems: ir.Table
    power: ir.Table
    ambient: ir.Table
    alerts: ir.Table
    # v2 clue layers: builders that have none leave them empty
    grids: ir.Table = field(default_factory=lambda: empty_table("grids"))
    grid_hourly: ir.Table = field(default_factory=lambda: empty_table("grid_hourly"))
    met: ir.Table = field(default_factory=lambda: empty_table("met"))
    mobile: ir.Table = field(default_factory=lambda: empty_table("mobile"))
    camera_alarms: ir.Table = field(default_factory=lambda: empty_table("camera_alarms"))
    gate_records: ir.Table = field(default_factory=lambda: empty_table("gate_records"))
    baselines: ir.Table = field(default_factory=lambda: empty_table("baselines"))
    """Stored per-series statistics (platform mode, :mod:`lantian.rules.baselines`): a
    series listed here is judged with them instead of statistics of the rows given.
    Empty (a bundle, ``lantian detect``): every statistic comes from the rows given."""

    def names(self) -> list[str]:
        """Names of the tables."""
        return [f.name for f in fields(self)]

    def restrict_enterprises(self, enterprise_ids: list[str]) -> Inputs:
        """The same inputs limited to some enterprises (for per-scope parameters)."""
        ids = list(enterprise_ids)
        outlets = self.outlets.filter(self.outlets.enterprise_id.isin(ids))
        meters = self.meters.filter(self.meters.enterprise_id.isin(ids))
        return replace(
            self,
            enterprises=self.enterprises.filter(self.enterprises.enterprise_id.isin(ids)),
            outlets=outlets,
            meters=meters,
            measures=self.measures.filter(self.measures.enterprise_id.isin(ids)),
            cems=self.cems.semi_join(outlets.select("outlet_id"), "outlet_id"),
            power=self.power.semi_join(meters.select("meter_id"), "meter_id"),
            gate_records=self.gate_records.filter(self.gate_records.enterprise_id.isin(ids)),
        )

    def restrict_outlets(self, outlet_ids: list[str]) -> Inputs:
        """The same inputs limited to some outlets (meters and stations unchanged)."""
        outlets = self.outlets.filter(self.outlets.outlet_id.isin(list(outlet_ids)))
        return replace(
            self,
            outlets=outlets,
            cems=self.cems.semi_join(outlets.select("outlet_id"), "outlet_id"),
        )


CLUE_TABLES: tuple[str, ...] = (
    "grids",
    "grid_hourly",
    "met",
    "mobile",
    "camera_alarms",
    "gate_records",
)
"""The v2 clue-layer tables (optional in a bundle)."""


def empty_table(name: str) -> ir.Table:
    """An empty in-memory table with the canonical schema of ``name``."""
    return ibis.memtable({c: [] for c in TABLE_COLUMNS[name]}, schema=TABLE_COLUMNS[name])


def load_bundle(path: str | Path, backend: Any | None = None, memory_limit: str = "2GB") -> Inputs:
    """Read a bundle (exchange formats v1) into :class:`Inputs` on a DuckDB Ibis backend.

    Parameters
    ----------
    path
        Bundle directory (``registry/*.csv``, ``data/*.csv|parquet``); data files may be absent.
    backend
        An ``ibis.duckdb`` connection; a new in-memory one when ``None``.
    memory_limit
        DuckDB memory limit of a new connection (it spills to a temporary directory).

    Raises
    ------
    BundleError
        Missing required registry files or columns, or an unparsable number or time.
    """
    bundle = Path(path)
    if not bundle.is_dir():
        raise BundleError([Issue(str(bundle), None, None, None, "not a directory")])
    if backend is None:
        con = ibis.duckdb.connect()
        # bounded memory: DuckDB spills to disk beyond this (city-month ≈ 35 M power rows)
        con.raw_sql(f"SET memory_limit = '{memory_limit}'")
        con.raw_sql("SET preserve_insertion_order = false")
    else:
        con = backend
    tables: dict[str, ir.Table] = {}
    for name in (
        "enterprises",
        "outlets",
        "meters",
        "stations",
        "measures",
        "cems",
        "power",
        "ambient",
        "alerts",
        *CLUE_TABLES,
    ):
        p = find_file(bundle, name)
        if p is None:
            if name in REQUIRED_FILES:
                label = f"registry/{SOURCES[name]}.csv"
                raise BundleError([Issue(label, None, None, None, "the file is missing")])
            tables[name] = con.create_table(
                f"{name}_src", schema=ibis.schema(TABLE_COLUMNS[name]), temp=True, overwrite=True
            )
            continue
        tables[name] = con.table(load_table(con.con, bundle, name, p, TABLE_COLUMNS[name]))
    return Inputs(**tables)


def cst_seconds(expr: ir.TimestampValue) -> ir.IntegerValue:
    """Ibis expression: a timestamp column → CST wall-clock epoch seconds (``t``).

    Aware timestamps are converted exactly; naive ones are read as CST wall clock
    (the HJ 212 convention). Use this when building :class:`Inputs` from other sources.
    """
    tz = getattr(expr.type(), "timezone", None)
    secs = expr.epoch_seconds().cast("int64")
    return secs + CST_OFFSET_S if tz is not None else secs
