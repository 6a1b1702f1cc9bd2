"""Writing a bundle in the v1 exchange formats (CSV or Parquet, written in chunks)."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lantian.timeutil import CST, isoformat_cst

TIME_TYPE = pa.timestamp("ms", tz="+08:00")


def period_start(day: date) -> datetime:
    """Midnight of ``day`` in China Standard Time."""
    return datetime(day.year, day.month, day.day, tzinfo=CST)


def iso_minutes(start: datetime, minutes: int) -> str:
    """ISO 8601 with +08:00 of ``start`` + ``minutes``."""
    return isoformat_cst(start + timedelta(minutes=int(minutes)))


def write_csv_rows(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """A small CSV (UTF-8, header) from dict rows; None → empty cell, bool → true/false."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for row in rows:
            out = []
            for c in columns:
                v = row.get(c)
                if v is None:
                    out.append("")
                elif isinstance(v, bool):
                    out.append("true" if v else "false")
                else:
                    out.append(str(v))
            w.writerow(out)


class TableSink:
    """Appends Arrow record batches to one CSV or Parquet file.

    Times are given as int64 milliseconds since the epoch; CSV gets ISO 8601 strings with
    ``+08:00`` (via a per-sink dictionary of distinct times), Parquet a
    ``timestamp[ms, tz=+08:00]`` column.
    """

    def __init__(self, path: Path, fmt: str, schema: pa.Schema, time_columns: tuple[str, ...]):
        self.path = path
        self.fmt = fmt
        self.time_columns = time_columns
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            self.schema = schema
            self._pq: pq.ParquetWriter | None = pq.ParquetWriter(
                str(path), schema, compression="zstd"
            )
            self._csv: pacsv.CSVWriter | None = None
        else:
            fields = []
            for f in schema:
                if f.name in time_columns or pa.types.is_dictionary(f.type):
                    fields.append(pa.field(f.name, pa.string()))
                elif pa.types.is_floating(f.type):
                    fields.append(pa.field(f.name, pa.float64()))
                else:
                    fields.append(f)
            self.schema = pa.schema(fields)
            self._pq = None
            self._csv = pacsv.CSVWriter(
                str(path),
                self.schema,
                write_options=pacsv.WriteOptions(quoting_style="none"),
            )
        self._iso: dict[int, str] = {}

    def _iso_array(self, ms: np.ndarray[Any, np.dtype[np.int64]]) -> pa.Array:
        uniq, inv = np.unique(ms, return_inverse=True)
        words = []
        for u in uniq.tolist():
            s = self._iso.get(u)
            if s is None:
                s = isoformat_cst(datetime.fromtimestamp(u / 1000, tz=CST))
                self._iso[u] = s
            words.append(s)
        return pa.DictionaryArray.from_arrays(pa.array(inv.astype(np.int32)), pa.array(words))

    def write(self, columns: dict[str, Any]) -> None:
        """Append one chunk (dict of column name → numpy array or Arrow array)."""
        arrays = []
        for f in self.schema:
            col = columns[f.name]
            if f.name in self.time_columns:
                if self.fmt == "parquet":
                    arr = pa.array(np.asarray(col, dtype=np.int64), type=pa.int64()).cast(TIME_TYPE)
                else:
                    arr = self._iso_array(np.asarray(col, dtype=np.int64)).cast(pa.string())
            elif isinstance(col, pa.Array):
                arr = col if col.type == f.type else col.cast(f.type)
            else:
                arr = pa.array(col, type=f.type, from_pandas=True)
            arrays.append(arr)
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        self.rows += batch.num_rows
        if self._pq is not None:
            self._pq.write_batch(batch, row_group_size=1_000_000)
        elif self._csv is not None:
            self._csv.write_batch(batch)

    def close(self) -> None:
        """Finish the file."""
        if self._pq is not None:
            self._pq.close()
        if self._csv is not None:
            self._csv.close()
