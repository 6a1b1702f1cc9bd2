"""``lantian export``: the registry and lake data back out in the exchange formats.

Output times always carry ``+08:00``; empty cell = unknown.

References
----------
.. [1] Lantian exchange formats v1 (``contracts/exchange-formats.md``).
"""

from __future__ import annotations

import io
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select

from lantian.db.session import session_scope
from lantian.io.formats import (
    ALERTS,
    CLUE_DATA_FILES,
    FILES,
    GRIDS,
    LAKE_RENAMES,
    REGISTRY_FILES,
    SECRET_COLUMNS,
    FileSpec,
)
from lantian.lake import Lake, source_schema
from lantian.registry.models import Alert, Enterprise, Grid, Measure, Meter, Outlet, Station
from lantian.settings import Settings, get_settings
from lantian.timeutil import isoformat_cst

_MODELS: dict[str, Any] = {
    "enterprises": Enterprise,
    "outlets": Outlet,
    "meters": Meter,
    "stations": Station,
    "measures": Measure,
    "alerts": Alert,
    "grids": Grid,
}

_EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "cems_hourly": ("outlet_id", "time", "pollutant", "value", "zs_value", "flag"),
    "power": FILES["power"].column_names,
    "ambient_hourly": FILES["ambient_hourly"].column_names,
    **{spec.name: spec.column_names for spec in CLUE_DATA_FILES},
}
"""Columns written per lake source (contract columns; other CEMS sources as hourly)."""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return isoformat_cst(value)
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value)


def registry_values(
    spec: FileSpec, settings: Settings | None = None, *, with_secrets: bool = False
) -> list[list[Any]]:
    """Rows of one registry table as Python values, contract column order, by id.

    Secret columns (:data:`~lantian.io.formats.SECRET_COLUMNS`: SM4 keys, PWs) are ``None``
    unless ``with_secrets``.
    """
    model = _MODELS[spec.name]
    order = model.__mapper__.primary_key[0]
    hidden = set() if with_secrets else SECRET_COLUMNS
    with session_scope(settings) as session:
        objs = list(session.scalars(select(model).order_by(order)))
        return [[None if c in hidden else getattr(o, c) for c in spec.column_names] for o in objs]


def registry_rows(spec: FileSpec, settings: Settings | None = None) -> list[list[str]]:
    """Rows (as CSV text, contract column order, header excluded) of one registry table."""
    return [[_cell(v) for v in row] for row in registry_values(spec, settings)]


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    import csv

    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)


def export_registry(
    out_dir: Path,
    settings: Settings | None = None,
    *,
    xlsx: bool = False,
    with_secrets: bool = False,
) -> dict[str, int]:
    """Write the registry as a bundle: ``OUT/registry/*.csv`` or ``OUT/registry.xlsx``.

    Returns rows written per file. Empty optional files (stations, measures) are
    written with their header only; the v2 ``grids`` file only when there are grid
    cells. The secrets of outlets and meters (SM4 keys ``sm4_key``, HJ 212 passwords
    ``pw``) are written only with ``with_secrets=True``; otherwise the column is empty.
    """
    settings = settings or get_settings()
    out_dir = Path(out_dir)
    counts: dict[str, int] = {}
    tables = {
        spec.name: registry_values(spec, settings, with_secrets=with_secrets)
        for spec in REGISTRY_FILES
    }
    specs = list(REGISTRY_FILES)
    grids = registry_values(GRIDS, settings)
    if grids:  # v2 optional file: written when the registry has grid cells
        tables[GRIDS.name] = grids
        specs.append(GRIDS)
    if xlsx:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        from lantian.documents.cells import set_cell

        out_dir.mkdir(parents=True, exist_ok=True)
        book = Workbook(write_only=True)
        for spec in specs:
            sheet = book.create_sheet(spec.name)
            sheet.append(list(spec.column_names))
            for row in tables[spec.name]:
                # numbers stay numbers, text stays text: a name beginning with '=' is stored
                # as quoted text, never a formula (lantian.documents.cells)
                sheet.append([set_cell(WriteOnlyCell(sheet), v) for v in row])
            counts[spec.name] = len(tables[spec.name])
        buf = io.BytesIO()
        book.save(buf)
        tmp = out_dir / ".registry.xlsx.part"
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, out_dir / "registry.xlsx")
        return counts
    reg = out_dir / "registry"
    reg.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        rows = [[_cell(v) for v in row] for row in tables[spec.name]]
        _write_csv(reg / f"{spec.name}.csv", spec.column_names, rows)
        counts[spec.name] = len(tables[spec.name])
    return counts


def export_alerts(out: Path, settings: Settings | None = None) -> int:
    """Write ``data/alerts.csv`` (the alerts of the database) to ``out``."""
    rows = registry_rows(ALERTS, settings)
    _write_csv(Path(out), ALERTS.column_names, rows)
    return len(rows)


def export_data(
    source: str,
    out: Path,
    settings: Settings | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Write the deduplicated lake rows of ``source`` to ``out`` (.csv or .parquet).

    Columns are those of the contract's data file (``cems_*`` as ``cems_hourly``); times
    carry ``+08:00``. Rows are sorted by natural key. ``alerts`` exports the database's
    alerts (CSV only). Returns rows written.
    """
    settings = settings or get_settings()
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError("output must end in .csv or .parquet")
    if source == "alerts":
        if suffix != ".csv":
            raise ValueError("alerts export as .csv")
        return export_alerts(out, settings)
    spec = source_schema(source)
    cols = _EXPORT_COLUMNS.get(source, _EXPORT_COLUMNS["cems_hourly"])
    renames = LAKE_RENAMES.get(source, {})
    lake_col = {c: renames.get(c, c) for c in cols}  # contract column → lake column
    lake = Lake(settings.lake_dir)
    import duckdb

    key = ", ".join(f'"{c}"' for c in spec.key)
    relation = f"{lake.scan_sql(source, start, end)} ORDER BY {key}"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        if suffix == ".csv":
            select_cols = ", ".join(
                "strftime(\"time\" AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00') "
                'AS "time"'
                if c == "time"
                else f'"{lake_col[c]}" AS "{c}"'
                for c in cols
            )
            con.execute(
                f"COPY (SELECT {select_cols} FROM {relation}) TO '{_sql_path(tmp)}' "
                "(FORMAT csv, HEADER true, DELIMITER ',')"
            )
            rows = int(
                con.sql(f"SELECT count(*) FROM {lake.scan_sql(source, start, end)}").fetchall()[0][
                    0
                ]
            )
        else:
            select_cols = ", ".join(f'"{lake_col[c]}" AS "{c}"' for c in cols)
            table = con.sql(f"SELECT {select_cols} FROM {relation}").to_arrow_table()
            idx = table.column_names.index("time")
            local = pc.cast(table.column("time"), pa.timestamp("us", tz="+08:00"))
            pq.write_table(table.set_column(idx, "time", local), tmp, compression="zstd")
            rows = int(table.num_rows)
    finally:
        con.close()
    os.replace(tmp, out)
    return rows


def export_clues(
    out_dir: Path,
    settings: Settings | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, int]:
    """Write the v2 clue layers as a bundle: ``registry/grids.csv`` and the five
    ``data/*.csv`` files (grid_hourly, met_hourly, mobile_track, camera_alarms,
    gate_records), contract columns, times with ``+08:00``. Returns rows per file.

    References
    ----------
    .. [1] Lantian exchange formats, v2 additions (``contracts/exchange-formats.md``).
    """
    settings = settings or get_settings()
    out_dir = Path(out_dir)
    (out_dir / "registry").mkdir(parents=True, exist_ok=True)
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    grids = registry_rows(GRIDS, settings)
    _write_csv(out_dir / "registry" / "grids.csv", GRIDS.column_names, grids)
    counts = {GRIDS.name: len(grids)}
    for spec in CLUE_DATA_FILES:
        out = out_dir / "data" / f"{spec.name}.csv"
        counts[spec.name] = export_data(spec.name, out, settings, start=start, end=end)
    return counts


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
