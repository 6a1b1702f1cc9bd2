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

Another builder (lake, Spark) only has to produce tables with these columns.

References
----------
.. [1] 生态环境部, 《排污单位自动监测数据交换格式》 — see the Lantian exchange-format
   contract v1 (docs), which fixes the bundle layout read here.
.. [2] HJ 212-2017, 污染物在线监控(监测)系统数据传输标准 (``DataTime`` is local time).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

CST_OFFSET_S = 8 * 3600
"""Offset of China Standard Time from UTC [s]."""

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
    "stations": {"station_id": "string", "name": "string", "kind": "string", "city": "string"},
    "measures": {
        "enterprise_id": "string",
        "line_id": "string",
        "level": "string",
        "action": "string",
        "limit_pct": "float64",
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
}
"""Canonical schema of every :class:`Inputs` table (name → column → Ibis type)."""

_FILES: dict[str, str] = {
    "enterprises": "registry/enterprises",
    "outlets": "registry/outlets",
    "meters": "registry/meters",
    "stations": "registry/stations",
    "measures": "registry/measures",
    "cems": "data/cems_hourly",
    "power": "data/power",
    "ambient": "data/ambient_hourly",
    "alerts": "data/alerts",
}


class BundleError(ValueError):
    """A bundle cannot be read: names the file, column and value at fault."""


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
        )

    def restrict_outlets(self, outlet_ids: list[str]) -> Inputs:
        """The same inputs limited to some outlets (meters and stations unchanged)."""
        outlets = self.outlets.filter(self.outlets.outlet_id.isin(list(outlet_ids)))
        return replace(
            self,
            outlets=outlets,
            cems=self.cems.semi_join(outlets.select("outlet_id"), "outlet_id"),
        )


def empty_table(name: str) -> ir.Table:
    """An empty in-memory table with the canonical schema of ``name``."""
    return ibis.memtable({c: [] for c in TABLE_COLUMNS[name]}, schema=TABLE_COLUMNS[name])


def _find(bundle: Path, stem: str) -> Path | None:
    for ext in (".parquet", ".csv", ".CSV"):
        p = bundle / f"{stem}{ext}"
        if p.exists():
            return p
    return None


_TIME_SOURCE: dict[str, str] = {"t": "time", "start_t": "start", "end_t": "end"}
"""Canonical time column → the bundle file's column it is read from."""

_ZONED_RE = r"[0-9]:[0-9][0-9](:[0-9][0-9]([.,][0-9]+)?)?([zZ]|[+-][0-9][0-9](:?[0-9][0-9])?)$"
"""A time of day followed by a UTC offset (``Z``, ``+08``, ``+0800``, ``+08:00``), ISO
8601-1:2019 §4.3.13."""


def _text_time_sql(s: str) -> str:
    """DuckDB SQL: ISO 8601 text ``s`` (trimmed, not empty) → CST wall-clock epoch seconds.

    A time without an offset is CST (HJ 212 ``DataTime``); one with an offset is converted.
    ``+08:00``, the usual case, takes a plain string path. Other offsets are normalised for
    DuckDB's TIMESTAMPTZ cast, which needs seconds and a ``±hh:mm``/``±hhmm``/``Z`` offset
    (its cast to TIMESTAMP silently drops an offset such as ``+05``). Each regular
    expression occurs once: DuckDB hoists repeated subexpressions out of a CASE and would
    evaluate them on every row.
    """
    return "CASE " + _text_time_branches(s) + " END"


def _text_time_branches(s: str) -> str:
    """The WHEN … ELSE branches of :func:`_text_time_sql` (DuckDB evaluates one flat CASE
    selectively; a CASE nested in another cost it twice the time on 4.3 M rows)."""
    norm = f"replace({s}, ',', '.')"
    # hh:mm directly followed by the offset: add the seconds
    norm = (
        f"regexp_replace({norm}, '([T ][0-9][0-9]:[0-9][0-9])"
        "([zZ]|[+-][0-9][0-9](:?[0-9][0-9])?)$', '\\1:00\\2')"
    )
    # a two-digit offset (+08): add the minutes; z → Z
    norm = f"regexp_replace({norm}, '([+-][0-9][0-9])$', '\\1:00')"
    norm = f"regexp_replace({norm}, 'z$', 'Z')"
    return (
        f"WHEN suffix({s}, '+08:00') "
        f"THEN CAST(epoch(CAST(replace(left({s}, length({s}) - 6), ',', '.') AS TIMESTAMP)) "
        "AS BIGINT) "
        f"WHEN regexp_matches({s}, '{_ZONED_RE}') "
        f"THEN CAST(epoch(CAST({norm} AS TIMESTAMPTZ)) AS BIGINT) + {CST_OFFSET_S} "
        f"ELSE CAST(epoch(CAST(replace({s}, ',', '.') AS TIMESTAMP)) AS BIGINT)"
    )


def _time_sql(q: str, typ: str) -> str:
    """DuckDB SQL turning a time column (quoted reference ``q``) into CST epoch seconds."""
    t = typ.upper()
    if "WITH TIME ZONE" in t or t == "TIMESTAMPTZ":
        return f"CAST(epoch({q}) AS BIGINT) + {CST_OFFSET_S}"
    if t.startswith("TIMESTAMP") or t == "DATE":
        return f"CAST(epoch(CAST({q} AS TIMESTAMP)) AS BIGINT)"
    s = f"trim(CAST({q} AS VARCHAR))"
    # a NULL cell gives NULL in every branch; "q IS NULL OR …" here doubled the cost
    return f"CASE WHEN {s} = '' THEN NULL {_text_time_branches(s)} END"


def _is_text(duck_type: str) -> bool:
    return duck_type.upper().startswith(("VARCHAR", "STRING", "TEXT"))


def _sql_type(ibis_type: str) -> str:
    return {"string": "VARCHAR", "float64": "DOUBLE", "int64": "BIGINT"}[ibis_type]


def _load_one(con: Any, name: str, path: Path) -> ir.Table:
    raw = con.con  # the duckdb connection of the Ibis backend
    if path.suffix.lower() == ".parquet":
        src = f"read_parquet('{path.as_posix()}')"
    else:
        src = f"read_csv('{path.as_posix()}', header=true, all_varchar=true, encoding='utf-8')"
    try:
        desc = raw.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()
    except Exception as exc:  # duckdb raises many kinds
        raise BundleError(f"{path}: cannot read ({exc})") from exc
    types = {str(r[0]).lstrip("\ufeff").strip(): str(r[1]) for r in desc}
    real = {str(r[0]).lstrip("\ufeff").strip(): str(r[0]) for r in desc}
    wanted = TABLE_COLUMNS[name]
    exprs: list[str] = []
    join_mn = ""
    for col, typ in wanted.items():
        srccol = _TIME_SOURCE.get(col, col)
        if name == "cems" and col == "outlet_id" and "mn" in types:
            own = (
                f"NULLIF(trim(CAST(s.\"{real['outlet_id']}\" AS VARCHAR)), '')"
                if "outlet_id" in types
                else "NULL"
            )
            exprs.append(f"COALESCE({own}, m.outlet_id) AS outlet_id")
            join_mn = (
                " LEFT JOIN (SELECT mn, min(outlet_id) AS outlet_id FROM outlets_src "
                f'WHERE mn IS NOT NULL GROUP BY mn) m ON m.mn = trim(CAST(s."{real["mn"]}" '
                "AS VARCHAR))"
            )
            continue
        if srccol not in types:
            optional = (name, col) in {
                ("cems", "zs_value"),
                ("cems", "flag"),
                ("cems", "valid_min"),
            } or (
                name in {"enterprises", "outlets", "meters", "stations", "measures"}
                and col
                not in (
                    "enterprise_id",
                    "outlet_id",
                    "meter_id",
                    "station_id",
                )
            )
            if not optional:
                raise BundleError(f"{path}: required column {srccol!r} is missing")
            exprs.append(f"CAST(NULL AS {_sql_type(typ)}) AS {col}")
            continue
        q = f's."{real[srccol]}"'
        if col in _TIME_SOURCE:
            exprs.append(f"{_time_sql(q, types[srccol])} AS {col}")
        elif typ == "string":
            if _is_text(types[srccol]):
                exprs.append(f"NULLIF(trim({q}), '') AS {col}")
            else:
                exprs.append(f"CAST({q} AS VARCHAR) AS {col}")
        elif _is_text(types[srccol]):
            exprs.append(f"TRY_CAST(NULLIF(trim({q}), '') AS {_sql_type(typ)}) AS {col}")
        else:  # typed (Parquet) number: no text round trip
            exprs.append(f"CAST({q} AS {_sql_type(typ)}) AS {col}")
    sql = f"SELECT {', '.join(exprs)} FROM {src} s{join_mn}"
    # Parquet is read in place (a view: fast to scan, no copy in memory); CSV is parsed once
    kind = "VIEW" if path.suffix.lower() == ".parquet" else "TABLE"
    try:
        raw.sql(f"CREATE OR REPLACE TEMP {kind} {name}_src AS {sql}")
    except Exception as exc:
        # name the file, line, column and value at fault when a cell is the cause
        _check_numbers(raw, name, path, src, real, types)
        raise BundleError(f"{path}: {exc}") from exc
    # a CSV table is parsed now: had a time failed to parse, CREATE would have raised
    _check_numbers(raw, name, path, src, real, types, times=kind == "VIEW")
    return con.table(f"{name}_src")


def _check_numbers(
    raw: Any,
    name: str,
    path: Path,
    src: str,
    real: dict[str, str],
    types: dict[str, str],
    times: bool = True,
) -> None:
    """Name the first unparsable number (and time, with ``times``) of a file: file, line,
    column, value."""
    for col, typ in TABLE_COLUMNS[name].items():
        srccol = _TIME_SOURCE.get(col, col)
        if srccol not in real or typ == "string":
            continue
        if not times and col in _TIME_SOURCE:
            continue
        if not _is_text(types[srccol]):
            continue  # typed (Parquet) columns are already numbers / times
        q = f'"{real[srccol]}"'
        if col in _TIME_SOURCE:
            s = f"trim(CAST({q} AS VARCHAR))"
            bad = f"{s} <> '' AND TRY({_text_time_sql(s)}) IS NULL"
        else:
            s = f"trim(CAST({q} AS VARCHAR))"
            bad = f"{s} <> '' AND TRY_CAST({s} AS DOUBLE) IS NULL"
        row = raw.sql(
            f"SELECT n, v FROM (SELECT row_number() OVER () + 1 AS n, {s} AS v, {bad} AS b "
            f"FROM {src}) WHERE b LIMIT 1"
        ).fetchone()
        if row:
            raise BundleError(f"{path}: line {row[0]}, column {srccol!r}: bad value {row[1]!r}")


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
        raise BundleError(f"{bundle}: not a directory")
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
    ):
        p = _find(bundle, _FILES[name])
        if p is None:
            if name in ("enterprises", "outlets", "meters"):
                raise BundleError(f"{bundle}: {_FILES[name]}.csv is missing")
            tables[name] = con.create_table(
                f"{name}_src", schema=ibis.schema(TABLE_COLUMNS[name]), temp=True, overwrite=True
            )
            continue
        tables[name] = _load_one(con, name, p)
    return Inputs(**tables)


def cst_seconds(expr: ir.TimestampValue) -> ir.IntegerValue:
    """Ibis expression: a timestamp column → CST wall-clock epoch seconds (``t``).

    Aware timestamps are converted exactly; naive ones are read as CST wall clock
    (the HJ 212 convention). Use this when building :class:`Inputs` from other sources.
    """
    tz = getattr(expr.type(), "timezone", None)
    secs = expr.epoch_seconds().cast("int64")
    return secs + CST_OFFSET_S if tz is not None else secs
