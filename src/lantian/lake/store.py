"""The Parquet measurement lake: append-only day-partitioned files, read through DuckDB.

Layout::

    <root>/<source>/date=YYYY-MM-DD/<seq>-<random>.parquet

``date`` is the China Standard Time date of ``time`` (the start of the interval).

Writes
    Files are immutable. A write creates new files (temporary name, fsync, rename, fsync
    of the directory), so a reader never sees a half-written file. Each file holds every
    natural key at most once; a re-sent value is a new row with a higher ``seq``.
Reads
    :meth:`Lake.connect` and :meth:`Lake.scan_sql` take a *snapshot* of the files that
    exist when they are called. A day partition with a single file is read as is; the
    files of a partition with several are deduplicated (highest ``seq`` per natural key
    wins). Call :meth:`Lake.connect` again to see later writes.
Change log
    Every :meth:`Lake.append` also records what it touched in ``<root>/_changes/``: one
    small JSON file per write (``<seq>-<random>.json``) naming the source, the write's
    ``seq`` and, per series (outlet, meter or station), the first and last hour written.
    The record is written under a temporary name before the data files are renamed into
    place and renamed itself after them, so a visible record always describes visible
    data. Platform detection (:mod:`lantian.rules.platform`) reads the set of records
    present, judges them and deletes exactly those it judged (:meth:`Lake.consume_changes`):
    ``seq`` is allocated before the rename, so a lower ``seq`` can appear after a higher one
    was consumed, and records are never consumed by "highest seq seen". Compaction
    writes no record (it changes no value).
Compaction
    :meth:`Lake.compact` merges the files of a multi-file partition into one deduplicated
    file. Only files listed when it starts are merged, so concurrent writes are never
    lost. The merged file's ``.replaces`` side file (renamed into place before the merged
    file) hides the old files from new snapshots at once; the old files themselves are
    deleted only after a grace period, so readers holding an older snapshot keep working.

References
----------
.. [1] HJ 212-2017, 污染物在线监控（监测）系统数据传输标准, §6.3: ``DataTime`` is local
   time (China Standard Time) and marks the start of the interval of a value; a data
   logger re-sends (补发) values after a communication fault, hence latest-write-wins.
.. [2] HJ 75-2017 / HJ 76-2017: minute, hourly and daily CEMS values, one per interval.
"""

from __future__ import annotations

import fcntl
import json
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
ROW_GROUP_ROWS = 65_536
"""Rows per Parquet row group in appended and compacted files. Readers of one device's
window (a lead's chart) skip the other row groups by their min/max statistics: with
~1 M-row groups a power lead's series read every meter of the day (p95 of lead page +
series 1,272 ms on a city-month lake), with 65,536-row groups 428 ms
(``bench/bench_lead_page.py --row-group-rows 65536``, one run on a loaded machine)."""
_REPLACES = ".replaces"
CHANGES_DIR = "_changes"
"""Directory (under the lake root) of the change records of writes."""
SERIES_COLUMN: dict[str, str] = {
    "cems_hourly": "outlet_id",
    "cems_minute": "outlet_id",
    "cems_realtime": "outlet_id",
    "cems_daily": "outlet_id",
    "power": "meter_id",
    "ambient_hourly": "station_id",
    "grid_hourly": "grid_id",
    "met_hourly": "station_id",
    "mobile_track": "vehicle_id",
    "camera_alarms": "alarm_id",
    "gate_records": "enterprise_id",
}
"""The series (device) id column of each lake source (clue layers: the grid, weather
station, vehicle, alarm and enterprise whose rows a write touched)."""
_STALE_TMP_SECONDS = 3600.0
DEFAULT_GRACE_SECONDS = 600.0
"""How long files replaced by a compaction stay on disk for readers of older snapshots."""
_seq_lock = threading.Lock()


@dataclass
class PartitionCompaction:
    """What compaction did to one day partition."""

    source: str
    day: str
    files_before: int
    rows_before: int
    rows_after: int


@dataclass(frozen=True)
class ChangeRecord:
    """What one :meth:`Lake.append` touched (a file of the lake's change log).

    ``series`` maps each series id (outlet, meter or station) to the start of the first
    and the end of the last hour written (aware UTC datetimes, ``[first, end)``).
    """

    name: str
    """File name under ``_changes/`` (the handle given back to :meth:`Lake.consume_changes`)."""
    seq: int
    source: str
    rows: int
    series: dict[str, tuple[datetime, datetime]]

    def to_json(self) -> str:
        """The record as stored (times as ISO 8601 UTC)."""
        return json.dumps(
            {
                "seq": self.seq,
                "source": self.source,
                "rows": self.rows,
                "series": {
                    k: [lo.isoformat(), hi.isoformat()] for k, (lo, hi) in self.series.items()
                },
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, name: str, text: str) -> ChangeRecord:
        """Parse a stored record (``ValueError`` naming the file when it is malformed)."""
        try:
            raw = json.loads(text)
            series = {
                str(k): (datetime.fromisoformat(v[0]), datetime.fromisoformat(v[1]))
                for k, v in raw["series"].items()
            }
            return cls(name, int(raw["seq"]), str(raw["source"]), int(raw["rows"]), series)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"lake change record {name}: {exc}") from exc


def series_hours(source: str, data: pa.Table) -> dict[str, tuple[datetime, datetime]]:
    """Per series id of ``data``: (start of its first hour, end of its last hour), UTC."""
    col = SERIES_COLUMN[source]
    if data.num_rows == 0:
        return {}
    grouped = data.select([col, "time"]).group_by(col).aggregate([("time", "min"), ("time", "max")])
    out: dict[str, tuple[datetime, datetime]] = {}
    ids = grouped.column(col).to_pylist()
    lows = grouped.column("time_min").to_pylist()
    highs = grouped.column("time_max").to_pylist()
    for sid, lo, hi in zip(ids, lows, highs, strict=True):
        first = _to_utc(lo).replace(minute=0, second=0, microsecond=0)
        last = _to_utc(hi).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        out[str(sid)] = (first, last)
    return out


@dataclass
class CompactionReport:
    """Result of :meth:`Lake.compact`."""

    partitions: list[PartitionCompaction] = field(default_factory=list)
    seconds: float = 0.0
    files_purged: int = 0
    """Replaced files deleted after their grace period."""

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


def numpy_view(values: pa.Array | pa.ChunkedArray, dtype: type[np.generic]) -> np.ndarray[Any, Any]:
    """A NumPy array of a null-free integer or boolean Arrow array (booleans as bool).

    Unlike ``Array.to_numpy`` this never imports pandas (a second or more of start-up).
    """
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if arr.null_count:
        raise ValueError("numpy_view needs an array without nulls")
    if pa.types.is_boolean(arr.type):
        arr = pc.cast(arr, pa.uint8())
        out = np.frombuffer(arr.buffers()[1], dtype=np.uint8, count=len(arr), offset=arr.offset)
        return out.astype(bool)
    width = np.dtype(dtype).itemsize
    return np.frombuffer(
        arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * width
    ).copy()


def cst_day_numbers(times: pa.Array | pa.ChunkedArray) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Days since 1970-01-01 of the China Standard Time date of each UTC timestamp (µs)."""
    micros = numpy_view(pc.cast(times, pa.int64()), np.int64)
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

    def partitions(self, source: str) -> list[Path]:
        """Existing day-partition directories of ``source``, oldest first."""
        base = self.source_dir(source)
        if not base.is_dir():
            return []
        return sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("date="))

    def live_files(self, part: Path) -> list[Path]:
        """Data files of one day partition that a new snapshot reads (oldest first).

        Files replaced by a compaction (listed in the ``.replaces`` side file of a merged
        file that exists) are left out; temporary files never match.
        """
        try:
            names = os.listdir(part)
        except FileNotFoundError:
            return []
        data = sorted(n for n in names if n.endswith(".parquet") and not n.startswith("."))
        present = set(data)
        dead: set[str] = set()
        for n in names:
            if n.endswith(_REPLACES) and n[: -len(_REPLACES)] in present:
                dead.update(_read_replaces(part / n))
        return [part / n for n in data if n not in dead]

    def files(self, source: str) -> list[Path]:
        """Data files of ``source`` a new snapshot reads, oldest partition first."""
        return [f for part in self.partitions(source) for f in self.live_files(part)]

    def has_data(self, source: str) -> bool:
        """True if ``source`` has at least one data file."""
        return any(self.live_files(part) for part in self.partitions(source))

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
        assume_unique: bool = False,
    ) -> int:
        """Store ``table`` as new files of ``source``, one per CST day; return rows stored.

        The table is coerced to the source schema (:func:`coerce_table`; ``origin`` fills
        the ``source`` column when absent), duplicate keys within it are reduced to the
        last row (skipped with ``assume_unique=True`` when the caller has checked that
        keys are unique), and every row gets the same new ``seq``. All day files are written under
        temporary names and fsynced before any is renamed into place.

        Raises
        ------
        ValueError, TypeError
            If the table does not fit the source schema (nothing is written).
        """
        spec = source_schema(source)
        data = coerce_table(spec, table, origin=origin, ingested_at=ingested_at)
        if not assume_unique:
            data = dedupe_last(data, spec.key)
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
        stem = f"{seq:020d}-{uuid.uuid4().hex[:12]}"
        name = f"{stem}.parquet"
        change_dir = self.root / CHANGES_DIR
        change_dir.mkdir(parents=True, exist_ok=True)
        change = ChangeRecord(
            f"{stem}.json", seq, source, int(data.num_rows), series_hours(source, data)
        )
        change_tmp = change_dir / f".{change.name}{_TMP_SUFFIX}"
        try:
            with open(change_tmp, "w", encoding="utf-8") as fh:
                fh.write(change.to_json())
                fh.flush()
                os.fsync(fh.fileno())
            for start, end in zip(starts, ends, strict=True):
                day = date(1970, 1, 1) + timedelta(days=int(sorted_days[start]))
                part = self.root / source / f"date={day.isoformat()}"
                part.mkdir(parents=True, exist_ok=True)
                final = part / name
                tmp = part / f".{name}{_TMP_SUFFIX}"
                with open(tmp, "wb") as fh:
                    pq.write_table(
                        data.slice(int(start), int(end - start)),
                        fh,
                        compression="zstd",
                        row_group_size=ROW_GROUP_ROWS,
                    )
                    fh.flush()
                    os.fsync(fh.fileno())
                staged.append((tmp, final))
        except BaseException:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            change_tmp.unlink(missing_ok=True)
            raise
        for tmp, final in staged:
            os.rename(tmp, final)
        for part in {final.parent for _, final in staged}:
            _fsync_dir(part)
        # the record becomes visible only after the data it describes
        os.rename(change_tmp, change_dir / change.name)
        _fsync_dir(change_dir)
        return int(data.num_rows)

    # ------------------------------------------------------------------ change log
    def pending_changes(self) -> list[ChangeRecord]:
        """The change records present now (not yet consumed), lowest ``seq`` first.

        Raises
        ------
        ValueError
            A record that cannot be parsed (named by file).
        """
        base = self.root / CHANGES_DIR
        try:
            names = sorted(n for n in os.listdir(base) if n.endswith(".json"))
        except FileNotFoundError:
            return []
        out: list[ChangeRecord] = []
        for n in names:
            try:
                text = (base / n).read_text(encoding="utf-8")
            except FileNotFoundError:  # consumed by a concurrent run
                continue
            out.append(ChangeRecord.from_json(n, text))
        return out

    def consume_changes(self, records: Sequence[ChangeRecord]) -> int:
        """Delete exactly ``records`` from the change log (after they were judged).

        Returns the number of records deleted; records written meanwhile stay.
        """
        base = self.root / CHANGES_DIR
        removed = 0
        for rec in records:
            path = base / rec.name
            if path.exists():
                path.unlink(missing_ok=True)
                removed += 1
        if removed:
            _fsync_dir(base)
        return removed

    def record_change(
        self, source: str, series: dict[str, tuple[datetime, datetime]], *, rows: int = 0
    ) -> ChangeRecord:
        """Add a change record without data (e.g. to defer future-stamped hours).

        The record gets a new ``seq`` and is written atomically.
        """
        source_schema(source)
        seq = self.next_seq()
        stem = f"{seq:020d}-{uuid.uuid4().hex[:12]}"
        rec = ChangeRecord(f"{stem}.json", seq, source, rows, dict(series))
        base = self.root / CHANGES_DIR
        base.mkdir(parents=True, exist_ok=True)
        tmp = base / f".{rec.name}{_TMP_SUFFIX}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(rec.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, base / rec.name)
        _fsync_dir(base)
        return rec

    # ------------------------------------------------------------------ reads
    def scan_sql(
        self,
        source: str,
        start: datetime | None = None,
        end: datetime | None = None,
        ids: Sequence[str] | None = None,
    ) -> str:
        """SQL text (a parenthesised sub-query) of the deduplicated rows of ``source``.

        The relation reads the files that exist now (a snapshot, see the module notes).

        Parameters
        ----------
        source
            Lake source name.
        start, end
            Optional time window ``start <= time < end`` (aware datetimes; naive = CST).
            Day partitions outside the window are not opened.
        ids
            Optional series ids (outlet, meter or station: :data:`SERIES_COLUMN`) to keep.
            The filter is applied inside each file scan, before deduplication (the id is
            part of every natural key), so DuckDB skips row groups of other devices.
        """
        spec = source_schema(source)
        lo = hi = None
        if start is not None:
            start = _to_utc(start)
            lo = (start + timedelta(hours=8)).date().isoformat()
        if end is not None:
            end = _to_utc(end)
            hi = (end + timedelta(hours=8)).date().isoformat()
        clean: list[Path] = []
        bases: list[Path] = []
        others: list[Path] = []
        for part in self.partitions(source):
            day = part.name.removeprefix("date=")
            if (lo is not None and day < lo) or (hi is not None and day > hi):
                continue
            live = self.live_files(part)
            if len(live) == 1:
                clean.extend(live)
            elif live:
                # the biggest file of a partition is its base; the others are usually small
                sizes = [_size(f) for f in live]
                base = live[sizes.index(max(sizes))]
                bases.append(base)
                others.extend(f for f in live if f != base)
        cols = ", ".join(f'"{c}"' for c in spec.columns)
        if not clean and not bases:
            typed = ", ".join(
                f'CAST(NULL AS {_duck_type(f.type)}) AS "{f.name}"' for f in spec.schema
            )
            return f"(SELECT {typed} LIMIT 0)"
        where: list[str] = []
        if start is not None:
            where.append(f"\"time\" >= TIMESTAMPTZ '{start.isoformat()}'")
        if end is not None:
            where.append(f"\"time\" < TIMESTAMPTZ '{end.isoformat()}'")
        if ids is not None:
            col = SERIES_COLUMN[source]
            uniq = sorted({str(i) for i in ids})
            if len(uniq) == 1:
                where.append(f'"{col}" = {_sql_str(uniq[0])}')
            elif uniq:
                # DuckDB 1.5 evaluates an IN list after the scan; a range is pushed into it
                listing = ", ".join(_sql_str(i) for i in uniq)
                lo_id, hi_id = _sql_str(uniq[0]), _sql_str(uniq[-1])
                where.append(
                    f'"{col}" >= {lo_id} AND "{col}" <= {hi_id} AND "{col}" IN ({listing})'
                )
            else:
                where.append("FALSE")
        where_sql = f" WHERE {' AND '.join(where)}" if where else ""
        parts: list[str] = []
        if clean:
            parts.append(f"SELECT {cols} FROM {_parquet(clean)}{where_sql}")
        if bases:
            parts.extend(_dedup_sql(spec, bases, others, where_sql))
        return "(" + " UNION ALL ".join(parts) + ")"

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one deduplicated view per source.

        Views are named after the sources (``cems_hourly``, ``power`` …) and read the
        files that exist now (a snapshot); a source without data gets an empty view of
        the right columns. The session time zone is ``Asia/Shanghai`` (China Standard
        Time), so ``date_trunc('day', time)`` gives local days; values stay instants.
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
    def compact(
        self, source: str | None = None, *, grace_seconds: float = DEFAULT_GRACE_SECONDS
    ) -> CompactionReport:
        """Merge the files of every multi-file day partition into one deduplicated file.

        Per partition: list the live files (only these are merged); write their
        deduplicated union, sorted by natural key, to a temporary file and fsync it; put
        the ``.replaces`` side file naming the merged files in place; rename the merged
        file into place; fsync the directory. Files replaced more than ``grace_seconds``
        ago (by this or an earlier compaction) are then deleted, as are temporary files
        left by crashed writers. Compactions of one source are serialised by a lock file.
        """
        began = time.perf_counter()
        report = CompactionReport()
        names = [source] if source is not None else list(SOURCES)
        for name in names:
            spec = source_schema(name)
            if not (self.root / name).is_dir():
                continue
            fd = os.open(self.root / name / ".compact.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                for part in self.partitions(name):
                    report.files_purged += _purge(part, grace_seconds)
                    done = self._compact_partition(spec, part)
                    if done is not None:
                        report.partitions.append(done)
                        report.files_purged += _purge(part, grace_seconds)
            finally:
                os.close(fd)
        report.seconds = time.perf_counter() - began
        return report

    def _compact_partition(self, spec: SourceSchema, part: Path) -> PartitionCompaction | None:
        files = self.live_files(part)
        if len(files) < 2:
            return None
        rows_before = sum(_num_rows(f) for f in files)
        cols = ", ".join(f'"{c}"' for c in spec.columns)
        key = ", ".join(f'"{c}"' for c in spec.key)
        seq = max(int(f.name.split("-")[0]) for f in files)
        name = f"{seq:020d}-c{uuid.uuid4().hex[:11]}.parquet"
        tmp = part / f".{name}{_TMP_SUFFIX}"
        side_tmp = part / f".{name}{_REPLACES}{_TMP_SUFFIX}"
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(
                f"COPY (SELECT {cols} FROM {_parquet(files)} "
                f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY seq DESC) = 1 "
                f"ORDER BY {key}) TO {_sql_str(str(tmp))} "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
            )
            _fsync_file(tmp)
            with open(side_tmp, "w", encoding="utf-8") as fh:
                fh.write("\n".join(f.name for f in files) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            side_tmp.unlink(missing_ok=True)
            raise
        finally:
            con.close()
        os.rename(side_tmp, part / f"{name}{_REPLACES}")
        os.rename(tmp, part / name)
        _fsync_dir(part)
        rows_after = _num_rows(part / name)
        return PartitionCompaction(
            spec.name, part.name.removeprefix("date="), len(files), rows_before, rows_after
        )

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per source, over the live files: ``files``, ``rows`` (stored, before
        deduplication), ``bytes``, ``partitions``, ``first_day`` and ``last_day``."""
        out: dict[str, dict[str, Any]] = {}
        for name in SOURCES:
            per_day = {
                p.name.removeprefix("date="): self.live_files(p) for p in self.partitions(name)
            }
            days = [d for d, fs in per_day.items() if fs]
            files = [f for fs in per_day.values() for f in fs]
            if not files:
                continue
            out[name] = {
                "files": len(files),
                "rows": sum(_num_rows(f) for f in files),
                "bytes": sum(_size(f) for f in files),
                "partitions": len(days),
                "first_day": min(days),
                "last_day": max(days),
            }
        return out


_shared_db: tuple[int, duckdb.DuckDBPyConnection] | None = None
_shared_lock = threading.Lock()


def shared_cursor() -> duckdb.DuckDBPyConnection:
    """A new cursor on this process's in-memory DuckDB, session time zone ``Asia/Shanghai``.

    Opening a DuckDB database costs ~0.1 s; a cursor costs microseconds. Short reads that
    build their SQL with :meth:`Lake.scan_sql` (e.g. a chart's series) use one cursor each
    and close it; cursors may be used from different threads at the same time. The database
    is created again in a forked child.
    """
    global _shared_db
    with _shared_lock:
        if _shared_db is None or _shared_db[0] != os.getpid():
            db = duckdb.connect(":memory:")
            db.execute("SET GLOBAL parquet_metadata_cache = true")  # data files are immutable
            _shared_db = (os.getpid(), db)
        cur = _shared_db[1].cursor()
    cur.execute("SET TimeZone = 'Asia/Shanghai'")
    return cur


def _dedup_sql(
    spec: SourceSchema, bases: list[Path], others: list[Path], where_sql: str
) -> list[str]:
    """SELECTs (to UNION ALL) of the latest row per key over multi-file partitions.

    Every file holds each key at most once, and keys never span day partitions, so
    with ``bases`` (the biggest file of each partition) and ``others`` (the rest):
    a base row survives unless another file has its key with a higher ``seq``; a row of
    the others survives if it is the latest among the others and no base row of its key
    has a higher (or equal) ``seq``. Both anti-joins build on the small side, so the
    big base files are streamed, not sorted (explicit ``ANTI JOIN``: ten times faster
    than ``NOT EXISTS`` in DuckDB 1.5).
    """
    cols = ", ".join(f'"{c}"' for c in spec.columns)
    key = ", ".join(f'"{c}"' for c in spec.key)
    on_s = " AND ".join(f'o."{c}" = b."{c}"' for c in spec.key)
    latest_others = (
        f"(SELECT {cols} FROM {_parquet(others)}{where_sql} "
        f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY seq DESC) = 1)"
    )
    base_rows = f"(SELECT {cols} FROM {_parquet(bases)}{where_sql})"
    return [
        f"SELECT b.* FROM {base_rows} AS b ANTI JOIN {latest_others} AS o "
        f"ON {on_s} AND o.seq > b.seq",
        f"SELECT o.* FROM {latest_others} AS o ANTI JOIN "
        f"(SELECT b.* FROM {base_rows} AS b SEMI JOIN {latest_others} AS o ON {on_s}) AS b "
        f"ON {on_s} AND b.seq >= o.seq",
    ]


def _parquet(files: Sequence[Path]) -> str:
    listing = ", ".join(_sql_str(str(f)) for f in files)
    return f"read_parquet([{listing}], union_by_name = true)"


def _read_replaces(path: Path) -> list[str]:
    try:
        return [n for n in path.read_text(encoding="utf-8").split("\n") if n]
    except FileNotFoundError:
        return []


def _purge(part: Path, grace_seconds: float) -> int:
    """Delete files replaced more than ``grace_seconds`` ago and stale temporary files."""
    now = time.time()
    removed = 0
    try:
        names = os.listdir(part)
    except FileNotFoundError:
        return 0
    present = set(names)
    changed = False
    for n in names:
        path = part / n
        if n.endswith(_REPLACES):
            if n[: -len(_REPLACES)] not in present:  # crashed before the merged file's rename
                path.unlink(missing_ok=True)
                changed = True
                continue
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age < grace_seconds:
                continue
            for old in _read_replaces(path):
                if old in present:
                    (part / old).unlink(missing_ok=True)
                    removed += 1
            path.unlink(missing_ok=True)
            changed = True
        elif n.endswith(_TMP_SUFFIX):
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age > max(grace_seconds, _STALE_TMP_SECONDS):
                path.unlink(missing_ok=True)
                changed = True
    if changed:
        _fsync_dir(part)
    return removed


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


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
