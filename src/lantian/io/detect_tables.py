"""A bundle as DuckDB tables for lead detection, read and checked by :mod:`lantian.io`.

This is the detection side of the one reader of the exchange formats: every text cell
(CSV, or text columns of a Parquet file) goes through the same conversion as
``lantian import`` (:func:`lantian.io.parse.convert_column`: one ISO 8601 time grammar,
one number parser, one :class:`~lantian.io.errors.BundleError` naming file, line, column
and value). Detection is more lenient than import only in what it *requires*: a registry
needs its id columns, a data file its id, time and value columns; enums, codes, references
and duplicates are checked by import only (detection reads what a bundle says).

Parquet columns that are already typed (timestamps, numbers) involve no parsing; such a
file is read in place as a DuckDB view (a city-month's 35 M power rows are never copied).

References
----------
.. [1] Lantian exchange formats v1 (``contracts/exchange-formats.md``): UTF-8 CSV, empty
   cell = unknown, ISO 8601 times (no offset = +08:00).
.. [2] HJ 212-2017 §6.3 (``DataTime`` is local time, i.e. CST).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lantian.io.errors import BundleError, Issue
from lantian.io.formats import FILES, Column
from lantian.io.parse import RawTable, convert_column, iter_csv, read_table

CST_OFFSET_S = 8 * 3600
"""Offset of China Standard Time from UTC [s]."""

SOURCES: dict[str, str] = {
    "enterprises": "enterprises",
    "outlets": "outlets",
    "meters": "meters",
    "stations": "stations",
    "measures": "measures",
    "cems": "cems_hourly",
    "power": "power",
    "ambient": "ambient_hourly",
    "alerts": "alerts",
    # v2 clue layers
    "grids": "grids",
    "grid_hourly": "grid_hourly",
    "met": "met_hourly",
    "mobile": "mobile_track",
    "camera_alarms": "camera_alarms",
    "gate_records": "gate_records",
}
"""Detection table → bundle file (:data:`lantian.io.formats.FILES`)."""

TIME_SOURCE: dict[str, str] = {"t": "time", "start_t": "start", "end_t": "end"}
"""Detection time column (CST wall-clock epoch seconds) → the file's time column."""

REQUIRED_FILES = ("enterprises", "outlets", "meters")
"""Registry files a detection run cannot do without."""

_EXTRA_COLUMNS: dict[tuple[str, str], Column] = {
    ("cems", "valid_min"): Column("valid_min", "float"),
}
"""Columns detection reads that the exchange format does not define (lake extensions)."""

_OPTIONAL: set[tuple[str, str]] = {("cems", "zs_value"), ("cems", "flag"), ("cems", "valid_min")}


def _required(name: str, col: str) -> bool:
    """Whether detection refuses a file of ``name`` without column ``col``."""
    if (name, col) in _OPTIONAL:
        return False
    if FILES[SOURCES[name]].folder == "registry":
        return col in ("enterprise_id", "outlet_id", "meter_id", "station_id", "grid_id")
    if name in _CLUE_REQUIRED:
        return col in _CLUE_REQUIRED[name]
    return True


_CLUE_REQUIRED: dict[str, tuple[str, ...]] = {
    "grid_hourly": ("grid_id", "t"),
    "met": ("station_id", "t"),
    "mobile": ("vehicle_id", "t", "lon", "lat", "pollutant", "value"),
    "camera_alarms": ("alarm_id", "t", "kind", "confidence"),
    "gate_records": ("record_id", "enterprise_id", "t", "plate", "vehicle_type", "direction"),
}
"""Columns detection needs in a clue-layer data file (the others may be absent)."""


def find_file(bundle: Path, name: str) -> Path | None:
    """The file of detection table ``name`` in ``bundle`` (Parquet before CSV), or None.

    Raises
    ------
    BundleError
        Both a CSV and a Parquet file of the same table exist.
    """
    spec = FILES[SOURCES[name]]
    found = [
        p
        for ext in (".parquet", ".csv", ".CSV")
        if (p := bundle / spec.folder / f"{spec.name}{ext}").is_file()
    ]
    if len({p.suffix.lower() for p in found}) > 1:
        label = f"{spec.folder}/{spec.name}.csv"
        msg = f"both {spec.name}.csv and {spec.name}.parquet exist; keep only one"
        raise BundleError([Issue(label, None, None, None, msg)])
    return found[0] if found else None


def _detect_column(name: str, col: str) -> Column:
    """The column of the file behind detection column ``col``, with detection's leniency:
    times, numbers and booleans as import converts them; every other kind as trimmed text."""
    src = TIME_SOURCE.get(col, col)
    spec = FILES[SOURCES[name]]
    base = next((c for c in spec.columns if c.name == src), None) or _EXTRA_COLUMNS[(name, col)]
    kind = base.kind if base.kind in ("time", "float", "bool") else "str"
    return Column(base.name, kind)


def _sql_type(ibis_type: str) -> str:
    return {"string": "VARCHAR", "float64": "DOUBLE", "int64": "BIGINT"}[ibis_type]


def _is_text(duck_type: str) -> bool:
    return duck_type.upper().startswith(("VARCHAR", "STRING", "TEXT"))


def _typed_parquet_sql(
    name: str, columns: dict[str, str], types: dict[str, str], real: dict[str, str]
) -> str | None:
    """SELECT list of a Parquet file whose needed columns are all typed, else None."""
    exprs: list[str] = []
    for col, typ in columns.items():
        src = TIME_SOURCE.get(col, col)
        if name == "cems" and col == "outlet_id" and "mn" in types:
            return None  # outlets by MN: resolved on the converted table
        if src not in types:
            exprs.append(f"CAST(NULL AS {_sql_type(typ)}) AS {col}")
            continue
        q = f's."{real[src]}"'
        duck = types[src].upper()
        if col in TIME_SOURCE:
            if _is_text(duck):
                return None
            if "WITH TIME ZONE" in duck or duck == "TIMESTAMPTZ":
                exprs.append(f"CAST(epoch({q}) AS BIGINT) + {CST_OFFSET_S} AS {col}")
            else:  # naive: CST wall clock (HJ 212)
                exprs.append(f"CAST(epoch(CAST({q} AS TIMESTAMP)) AS BIGINT) AS {col}")
        elif typ == "string":
            if _is_text(duck):
                exprs.append(f"NULLIF(trim({q}), '') AS {col}")
            else:
                exprs.append(f"CAST({q} AS VARCHAR) AS {col}")
        else:
            if _is_text(duck):
                return None
            exprs.append(f"CAST({q} AS {_sql_type(typ)}) AS {col}")
    return ", ".join(exprs)


def _refuse_non_finite(
    raw_con: Any,
    path: Path,
    label: str,
    columns: dict[str, str],
    types: dict[str, str],
    real: dict[str, str],
) -> None:
    """A typed Parquet file read in place: NaN or ±inf in a number column is refused, as
    ``lantian import`` refuses it ("not a finite number"; pandas writes a missing value as
    NaN: write it as null). Line = row + 2, as import counts Parquet rows (header = 1)."""
    cols = [
        real[TIME_SOURCE.get(c, c)]
        for c, typ in columns.items()
        if typ == "float64"
        and TIME_SOURCE.get(c, c) in types
        and types[TIME_SOURCE.get(c, c)].upper() in ("DOUBLE", "FLOAT", "REAL")
    ]
    if not cols:
        return
    finite = " AND ".join(f'coalesce(isfinite("{c}"), true)' for c in cols)
    shown = ", ".join(f'"{c}"' for c in cols)
    row = raw_con.sql(
        f"SELECT file_row_number + 2, {shown} FROM "
        f"read_parquet('{path.as_posix()}', file_row_number = true) "
        f"WHERE NOT ({finite}) ORDER BY 1 LIMIT 1"
    ).fetchone()
    if row is None:
        return
    for col, value in zip(cols, row[1:], strict=True):
        if value is not None and not math.isfinite(value):
            raise BundleError([Issue(label, int(row[0]), col, str(value), "not a finite number")])


def _convert(raw: RawTable, name: str, columns: dict[str, str]) -> pa.Table:
    """Convert the columns detection needs with import's cell conversion; canonical names."""
    present = set(raw.table.column_names)
    issues: list[Issue] = []
    for col in columns:
        src = TIME_SOURCE.get(col, col)
        if src in present or not _required(name, col):
            continue
        if name == "cems" and col == "outlet_id" and "mn" in present:
            continue
        issues.append(Issue(raw.label, 1, src, None, "required column is missing"))
    if issues:
        raise BundleError(issues)
    n = raw.table.num_rows
    arrays: dict[str, pa.Array] = {}
    errors: list[Issue] = []
    wanted = dict(columns)
    if name == "cems" and "mn" in present:
        wanted["mn"] = "string"
    for col, typ in wanted.items():
        src = TIME_SOURCE.get(col, col)
        if src not in present:
            arrays[col] = pa.nulls(n, pa.string() if typ == "string" else pa.float64())
            continue
        column = _detect_column(name, col) if col != "mn" else Column("mn")
        arr, problem, _ = convert_column(raw, column, raw.table.column(src))
        if problem is not None:
            errors.append(problem)
            continue
        if column.kind == "time":
            secs = pc.divide(pc.cast(arr, pa.int64()), 1_000_000)
            arr = pc.add(secs, CST_OFFSET_S)
        elif column.kind == "bool":
            arr = pc.if_else(arr, "true", "false")
        arrays[col] = arr
    if errors:
        raise BundleError(errors)
    return pa.table(arrays)


def _cast_select(columns: dict[str, str], source: str, name: str, has_mn: bool) -> str:
    exprs = []
    for col, typ in columns.items():
        if name == "cems" and col == "outlet_id" and has_mn:
            exprs.append("COALESCE(s.outlet_id, m.outlet_id) AS outlet_id")
        else:
            exprs.append(f"CAST(s.{col} AS {_sql_type(typ)}) AS {col}")
    join = ""
    if name == "cems" and has_mn:
        join = (
            " LEFT JOIN (SELECT mn, min(outlet_id) AS outlet_id FROM outlets_src "
            "WHERE mn IS NOT NULL GROUP BY mn) m ON m.mn = s.mn"
        )
    return f"SELECT {', '.join(exprs)} FROM {source} s{join}"


def load_table(raw_con: Any, bundle: Path, name: str, path: Path, columns: dict[str, str]) -> str:
    """Create the DuckDB temp table or view ``<name>_src`` of one file; return its name.

    Parameters
    ----------
    raw_con
        The DuckDB connection.
    bundle, path
        The bundle and the file (its label in errors is the path inside the bundle).
    columns
        Detection column → Ibis type (``lantian.rules.inputs.TABLE_COLUMNS[name]``).

    Raises
    ------
    BundleError
        A cell that is not a valid time or number, a missing required column, an
        unreadable file: file, line, column and value, as ``lantian import`` reports them.
    """
    label = path.relative_to(bundle).as_posix()
    target = f"{name}_src"
    if path.suffix.lower() == ".parquet":
        src = f"read_parquet('{path.as_posix()}')"
        try:
            desc = raw_con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()
        except Exception as exc:  # duckdb raises many kinds
            msg = f"unreadable Parquet: {exc}"
            raise BundleError([Issue(label, None, None, None, msg)]) from exc
        types = {str(r[0]).strip(): str(r[1]) for r in desc}
        real = {str(r[0]).strip(): str(r[0]) for r in desc}
        missing = [
            TIME_SOURCE.get(c, c)
            for c in columns
            if TIME_SOURCE.get(c, c) not in types and _required(name, c)
        ]
        select = None if missing else _typed_parquet_sql(name, columns, types, real)
        if select is not None:
            # typed columns: nothing to parse; read in place (a view, no copy in memory)
            _refuse_non_finite(raw_con, path, label, columns, types, real)
            raw_con.sql(f"CREATE OR REPLACE TEMP VIEW {target} AS SELECT {select} FROM {src} s")
            return target
    arrow_name = f"{name}_arrow"
    created = False
    for raw in _raw_tables(path, label):
        table = _convert(raw, name, columns)
        if created and table.num_rows == 0:
            continue
        raw_con.register(arrow_name, table)
        try:
            sql = _cast_select(columns, arrow_name, name, "mn" in table.column_names)
            if created:
                raw_con.sql(f"INSERT INTO {target} {sql}")
            else:
                raw_con.sql(f"CREATE OR REPLACE TEMP TABLE {target} AS {sql}")
                created = True
        finally:
            raw_con.unregister(arrow_name)
    if not created:  # a CSV with a header only
        _convert(read_table(path, label), name, columns)  # the column checks still apply
        cols = ", ".join(f"{c} {_sql_type(t)}" for c, t in columns.items())
        raw_con.sql(f"CREATE OR REPLACE TEMP TABLE {target} ({cols})")
    return target


STREAM_BYTES = 64 << 20
"""CSV files larger than this are converted block by block (memory bounded by the block,
not the file: a city-month of CSV power data is gigabytes)."""


def _raw_tables(path: Path, label: str) -> Iterator[RawTable]:
    if path.suffix.lower() == ".csv" and path.stat().st_size > STREAM_BYTES:
        yield from iter_csv(path, label)
    else:
        yield read_table(path, label)
