"""The Parquet measurement lake: append-only day-partitioned files, read through DuckDB.

Layout::

    <root>/<source>/date=YYYY-MM-DD/<seq>-<random>.parquet

``date`` is the China Standard Time date of ``time`` (the start of the interval). Files
are immutable: a write creates new files (written under a temporary name, fsynced, then
renamed, so a reader never sees a half-written file); a re-sent value is a new row with a
higher ``seq``, and every read goes through a deduplicated relation in which the row with
the highest ``seq`` of each natural key wins. :meth:`Lake.compact` merges the files of a
day partition into one deduplicated file (temporary file, rename, then delete the merged
inputs; only files listed when it started are merged, so concurrent writes are never lost).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lantian.lake.schema import ORIGINS, SOURCES, TIME_TYPE, SourceSchema, source_schema
from lantian.timeutil import CST

_US_PER_DAY = 86_400_000_000
_CST_OFFSET_US = 8 * 3_600_000_000
_TMP_SUFFIX = ".part"
_seq_lock = threading.Lock()


@dataclass
class PartitionCompaction:
    """What compaction did to one day partition."""

    source: str
    day: str
    files_before: int
    rows_before: int
    rows_after: int


@dataclass
class CompactionReport:
    """Result of :meth:`Lake.compact`."""

    partitions: list[PartitionCompaction] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def files_merged(self) -> int:
        """Number of input files merged away."""
        return sum(p.files_before for p in self.partitions)

    @property
    def rows_removed(self) -> int:
        """Superseded (duplicate-key) rows dropped."""
        return sum(p.rows_before - p.rows_after for p in self.partitions)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def cst_day_numbers(times: pa.Array | pa.ChunkedArray) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Days since 1970-01-01 of the China Standard Time date of each UTC timestamp (µs)."""
    micros = pc.cast(times, pa.int64()).to_numpy(zero_copy_only=False)
    out: np.ndarray[Any, np.dtype[np.int64]] = np.floor_divide(
        np.asarray(micros, dtype=np.int64) + _CST_OFFSET_US, _US_PER_DAY
    )
    return out


def _coerce_time(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    typ = column.type
    if pa.types.is_timestamp(typ):
        if typ.tz is None:
            # Naive times are China Standard Time (exchange-format convention).
            column = pc.assume_timezone(column, "+08:00")
        return pc.cast(column, TIME_TYPE)
    if pa.types.is_date(typ):
        naive = pc.cast(pc.cast(column, pa.timestamp("s")), pa.timestamp("us"))
        return pc.cast(pc.assume_timezone(naive, "+08:00"), TIME_TYPE)
    raise TypeError(f"column {name!r} must be a timestamp, not {typ}")


def coerce_table(
    spec: SourceSchema,
    table: pa.Table,
    *,
    origin: str | None = None,
    ingested_at: datetime | None = None,
) -> pa.Table:
    """Return ``table`` in the exact storage schema of ``spec`` (without ``seq``).

    Missing nullable columns become nulls, ``source`` is filled from ``origin`` when the
    table has no such column, ``ingested_at`` with ``ingested_at`` (default: now).
    Integer and float32 values become float64, dictionary strings plain strings, naive
    timestamps are taken as China Standard Time and everything is stored in UTC.

    Raises
    ------
    ValueError
        Unknown columns, a missing required column, or nulls in a required column.
    TypeError
        A column that cannot be converted to its storage type.
    """
    unknown = [c for c in table.column_names if c not in spec.columns]
    if unknown:
        raise ValueError(f"{spec.name}: unknown column(s) {unknown}")
    n = table.num_rows
    arrays: list[pa.ChunkedArray] = []
    for f in spec.schema:
        if f.name == "seq":
            continue
        if f.name in table.column_names:
            col = table.column(f.name)
            if pa.types.is_dictionary(col.type):
                col = pc.cast(col, col.type.value_type)
            if f.type == TIME_TYPE:
                col = _coerce_time(col, f.name)
            elif pa.types.is_float32(col.type) or pa.types.is_float16(col.type):
                # Through the shortest decimal text, so float32 2654.9 stays 2654.9.
                col = pc.cast(pc.cast(col, pa.string()), f.type)
            elif col.type != f.type:
                try:
                    col = pc.cast(col, f.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise TypeError(f"{spec.name}.{f.name}: cannot convert {col.type}") from exc
        elif f.name == "source" and origin is not None:
            col = pa.chunked_array([pa.repeat(pa.scalar(origin, pa.string()), n)])
        elif f.name == "ingested_at":
            stamp = ingested_at or datetime.now(CST)
            col = pa.chunked_array([pa.repeat(pa.scalar(stamp, TIME_TYPE), n)])
        elif f.name not in spec.required:
            col = pa.chunked_array([pa.nulls(n, f.type)])
        else:
            raise ValueError(f"{spec.name}: missing required column {f.name!r}")
        if f.name in spec.required and col.null_count:
            raise ValueError(f"{spec.name}: {col.null_count} null value(s) in {f.name!r}")
        arrays.append(col)
    names = [f.name for f in spec.schema if f.name != "seq"]
    out = pa.Table.from_arrays(arrays, names=names)
    bad_origin = pc.invert(pc.is_in(out.column("source"), pa.array(ORIGINS)))
    if pc.any(bad_origin).as_py():
        raise ValueError(f"{spec.name}: 'source' must be one of {ORIGINS}")
    return out


def dedupe_last(table: pa.Table, key: Sequence[str]) -> pa.Table:
    """Keep the last row of each natural ``key`` (later rows of one write win)."""
    if table.num_rows < 2:
        return table
    idx = pa.array(np.arange(table.num_rows, dtype=np.int64))
    grouped = (
        table.select(list(key))
        .append_column("__i", idx)
        .group_by(list(key))
        .aggregate([("__i", "max")])
    )
    if grouped.num_rows == table.num_rows:
        return table
    keep = pc.sort_indices(grouped.column("__i_max"))
    return table.take(pc.take(grouped.column("__i_max"), keep))


class Lake:
    """The measurement lake rooted at ``root`` (normally ``settings.lake_dir``).

    Parameters
    ----------
    root
        Directory of the lake (created on first write).

    Examples
    --------
    >>> lake = Lake(settings.lake_dir)                       # doctest: +SKIP
    >>> lake.append("power", table)                          # doctest: +SKIP
    >>> con = lake.connect(); con.sql("SELECT count(*) FROM power")  # doctest: +SKIP
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------ paths
    def source_dir(self, source: str) -> Path:
        """Directory of one source."""
        source_schema(source)
        return self.root / source

    def _glob(self, source: str) -> str:
        return str(self.source_dir(source) / "date=*" / "*.parquet")

    def partitions(self, source: str) -> list[Path]:
        """Existing day-partition directories of ``source``, oldest first."""
        base = self.source_dir(source)
        if not base.is_dir():
            return []
        return sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("date="))

    def files(self, source: str) -> list[Path]:
        """Existing data files of ``source`` (never temporary files)."""
        return [f for part in self.partitions(source) for f in sorted(part.glob("*.parquet"))]

    def has_data(self, source: str) -> bool:
        """True if ``source`` has at least one data file."""
        return any(True for part in self.partitions(source) for _ in part.glob("*.parquet"))

    # ------------------------------------------------------------------ writes
    def next_seq(self) -> int:
        """Allocate the next write sequence number (process- and thread-safe).

        The counter lives in ``<root>/.seq`` under an exclusive ``flock``; it never goes
        below the wall clock in nanoseconds, so it keeps increasing even if the counter
        file is lost.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with _seq_lock:
            fd = os.open(self.root / ".seq", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                raw = os.read(fd, 64).strip()
                last = int(raw) if raw else 0
                seq = max(last + 1, time.time_ns())
                os.lseek(fd, 0, os.SEEK_SET)
                os.ftruncate(fd, 0)
                os.write(fd, str(seq).encode())
            finally:
                os.close(fd)  # closing releases the lock
        return seq

    def append(
        self,
        source: str,
        table: pa.Table,
        *,
        origin: str | None = None,
        ingested_at: datetime | None = None,
    ) -> int:
        """Store ``table`` as new files of ``source``, one per CST day; return rows stored.

        The table is coerced to the source schema (:func:`coerce_table`; ``origin`` fills
        the ``source`` column when absent), duplicate keys within it are reduced to the
        last row, and every row gets the same new ``seq``. All day files are written under
        temporary names and fsynced before any is renamed into place.

        Raises
        ------
        ValueError, TypeError
            If the table does not fit the source schema (nothing is written).
        """
        spec = source_schema(source)
        data = dedupe_last(
            coerce_table(spec, table, origin=origin, ingested_at=ingested_at), spec.key
        )
        if data.num_rows == 0:
            return 0
        seq = self.next_seq()
        data = data.append_column("seq", pa.repeat(pa.scalar(seq, pa.int64()), data.num_rows))
        days = cst_day_numbers(data.column("time"))
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
        if not np.all(order[:-1] <= order[1:]):
            data = data.take(pa.array(order))
        cuts = np.flatnonzero(np.diff(sorted_days)) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [len(sorted_days)]))
        staged: list[tuple[Path, Path]] = []
        name = f"{seq:020d}-{uuid.uuid4().hex[:12]}.parquet"
        try:
            for start, end in zip(starts, ends, strict=True):
                day = date(1970, 1, 1) + timedelta(days=int(sorted_days[start]))
                part = self.root / source / f"date={day.isoformat()}"
                part.mkdir(parents=True, exist_ok=True)
                final = part / name
                tmp = part / f".{name}{_TMP_SUFFIX}"
                with open(tmp, "wb") as fh:
                    pq.write_table(data.slice(int(start), int(end - start)), fh, compression="zstd")
                    fh.flush()
                    os.fsync(fh.fileno())
                staged.append((tmp, final))
        except BaseException:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise
        for tmp, final in staged:
            os.rename(tmp, final)
        for part in {final.parent for _, final in staged}:
            _fsync_dir(part)
        return int(data.num_rows)

    # ------------------------------------------------------------------ reads
    def scan_sql(
        self, source: str, start: datetime | None = None, end: datetime | None = None
    ) -> str:
        """SQL text (a parenthesised sub-query) of the deduplicated rows of ``source``.

        Parameters
        ----------
        source
            Lake source name.
        start, end
            Optional time window ``start <= time < end`` (aware datetimes; naive = CST).
            Day partitions outside the window are not opened.
        """
        spec = source_schema(source)
        cols = ", ".join(f'"{c}"' for c in spec.columns)
        if not self.has_data(source):
            typed = ", ".join(
                f'CAST(NULL AS {_duck_type(f.type)}) AS "{f.name}"' for f in spec.schema
            )
            return f"(SELECT {typed} LIMIT 0)"
        where: list[str] = []
        if start is not None:
            s = _to_utc(start)
            where.append(f"\"date\" >= DATE '{(s + timedelta(hours=8)).date().isoformat()}'")
            where.append(f"\"time\" >= TIMESTAMPTZ '{s.isoformat()}'")
        if end is not None:
            e = _to_utc(end)
            where.append(f"\"date\" <= DATE '{(e + timedelta(hours=8)).date().isoformat()}'")
            where.append(f"\"time\" < TIMESTAMPTZ '{e.isoformat()}'")
        where_sql = f" WHERE {' AND '.join(where)}" if where else ""
        key = ", ".join(f'"{c}"' for c in spec.key)
        return (
            f"(SELECT {cols} FROM read_parquet({_sql_str(self._glob(source))}, "
            "hive_partitioning = true, hive_types = {'date': DATE}, union_by_name = true)"
            f"{where_sql} QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY seq DESC) = 1)"
        )

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one deduplicated view per source.

        Views are named after the sources (``cems_hourly``, ``power`` …); a source
        without data gets an empty view of the right columns. The session time zone is
        ``Asia/Shanghai`` (China Standard Time), so ``date_trunc('day', time)`` gives
        local days; values stay absolute instants.
        """
        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'Asia/Shanghai'")
        for name in SOURCES:
            con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {self.scan_sql(name)}')
        return con

    def read(
        self, source: str, start: datetime | None = None, end: datetime | None = None
    ) -> pa.Table:
        """The deduplicated rows of ``source`` (optionally in a time window) as Arrow."""
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
            return con.sql(f"SELECT * FROM {self.scan_sql(source, start, end)}").to_arrow_table()
        finally:
            con.close()

    # ------------------------------------------------------------------ maintenance
    def compact(self, source: str | None = None) -> CompactionReport:
        """Merge the files of every multi-file day partition into one deduplicated file.

        Per partition: list the files (only these are merged), write the deduplicated
        union sorted by natural key to a temporary file, fsync, rename it into place,
        fsync the directory, then delete the merged files. Rows written concurrently
        land in new files that are not in the list, so they are kept; rows of the merged
        files keep their ``seq``, so a reader that briefly sees both old and new files
        still gets each key once.
        """
        began = time.perf_counter()
        report = CompactionReport()
        names = [source] if source is not None else list(SOURCES)
        for name in names:
            spec = source_schema(name)
            lock_path = self.root / name / ".compact.lock"
            if not (self.root / name).is_dir():
                continue
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                for part in self.partitions(name):
                    done = self._compact_partition(spec, part)
                    if done is not None:
                        report.partitions.append(done)
            finally:
                os.close(fd)
        report.seconds = time.perf_counter() - began
        return report

    def _compact_partition(self, spec: SourceSchema, part: Path) -> PartitionCompaction | None:
        files = sorted(part.glob("*.parquet"))
        if len(files) < 2:
            return None
        rows_before = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        listing = "[" + ", ".join(_sql_str(str(f)) for f in files) + "]"
        cols = ", ".join(f'"{c}"' for c in spec.columns)
        key = ", ".join(f'"{c}"' for c in spec.key)
        name = f"{int(files[-1].name.split('-')[0]):020d}-c{uuid.uuid4().hex[:11]}.parquet"
        tmp = part / f".{name}{_TMP_SUFFIX}"
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(
                f"COPY (SELECT {cols} FROM read_parquet({listing}, union_by_name = true) "
                f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY seq DESC) = 1 "
                f"ORDER BY {key}) TO {_sql_str(str(tmp))} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            con.close()
        _fsync_file(tmp)
        os.rename(tmp, part / name)
        _fsync_dir(part)
        for f in files:
            f.unlink(missing_ok=True)
        _fsync_dir(part)
        rows_after = pq.ParquetFile(part / name).metadata.num_rows
        return PartitionCompaction(
            spec.name, part.name.removeprefix("date="), len(files), rows_before, rows_after
        )

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per source: ``files``, ``rows`` (stored, before deduplication), ``bytes``,
        ``partitions``, ``first_day`` and ``last_day``."""
        out: dict[str, dict[str, Any]] = {}
        for name in SOURCES:
            parts = self.partitions(name)
            files = [f for p in parts for f in p.glob("*.parquet")]
            if not files:
                continue
            days = [p.name.removeprefix("date=") for p in parts if any(p.glob("*.parquet"))]
            out[name] = {
                "files": len(files),
                "rows": sum(_num_rows(f) for f in files),
                "bytes": sum(f.stat().st_size for f in files),
                "partitions": len(days),
                "first_day": min(days),
                "last_day": max(days),
            }
        return out


def _num_rows(path: Path) -> int:
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except FileNotFoundError:  # compacted away meanwhile
        return 0


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=CST)
    return value.astimezone(UTC)


def _duck_type(typ: pa.DataType) -> str:
    if typ == TIME_TYPE:
        return "TIMESTAMPTZ"
    if pa.types.is_string(typ):
        return "VARCHAR"
    if pa.types.is_float64(typ):
        return "DOUBLE"
    if pa.types.is_int64(typ):
        return "BIGINT"
    raise TypeError(f"no DuckDB type for {typ}")
